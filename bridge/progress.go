package bridge

import "context"

// Progress is told how far a long operation has got: the phase it is in,
// the items done, and the total when known (0 when not). It is called from
// the operation's goroutine, often: the receiver decides how often to say
// something.
type Progress func(phase string, done, total int)

type progressKey struct{}

// WithProgress returns a context whose long operations (Reconcile) report
// their progress to fn.
func WithProgress(ctx context.Context, fn Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// progressFrom returns the context's Progress, or one that does nothing.
func progressFrom(ctx context.Context) Progress {
	if fn, ok := ctx.Value(progressKey{}).(Progress); ok && fn != nil {
		return fn
	}
	return func(string, int, int) {}
}
