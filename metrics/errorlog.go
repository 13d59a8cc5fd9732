package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// LoggedError is one warning or error the bridge logged.
type LoggedError struct {
	Time    time.Time
	Level   slog.Level
	Message string
	// Reason is the record's attributes as key=value text (its "error"
	// first); the bridge's log lines never carry secrets.
	Reason string
}

// ErrorLog keeps the last warnings and errors the bridge logged, so a
// person can read why something failed without the log files. Its zero
// value is not usable; build it with NewErrorLog.
type ErrorLog struct {
	mu   sync.Mutex
	ring []LoggedError
	next int
	full bool
}

// NewErrorLog keeps the last n warnings and errors.
func NewErrorLog(n int) *ErrorLog { return &ErrorLog{ring: make([]LoggedError, max(n, 1))} }

// Handler returns a slog.Handler that passes every record to next and keeps
// those at slog.LevelWarn and above.
func (l *ErrorLog) Handler(next slog.Handler) slog.Handler {
	return &errorLogHandler{log: l, next: next}
}

// Recent returns the kept records, newest first.
func (l *ErrorLog) Recent() []LoggedError {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.next
	if l.full {
		n = len(l.ring)
	}
	out := make([]LoggedError, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, l.ring[(l.next-i+len(l.ring))%len(l.ring)])
	}
	return out
}

func (l *ErrorLog) add(e LoggedError) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring[l.next] = e
	l.next = (l.next + 1) % len(l.ring)
	if l.next == 0 {
		l.full = true
	}
}

type errorLogHandler struct {
	log   *ErrorLog
	next  slog.Handler
	attrs []slog.Attr
	group string
}

func (h *errorLogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn || h.next.Enabled(ctx, level)
}

func (h *errorLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		var errText string
		var rest []string
		add := func(a slog.Attr) bool {
			if a.Key == "error" {
				errText = a.Value.String()
			} else {
				rest = append(rest, fmt.Sprintf("%s=%s", a.Key, a.Value.String()))
			}
			return true
		}
		for _, a := range h.attrs {
			add(a)
		}
		r.Attrs(add)
		reason := strings.Join(rest, " ")
		if errText != "" {
			reason = strings.TrimSpace(errText + " " + reason)
		}
		h.log.add(LoggedError{Time: r.Time, Level: r.Level, Message: r.Message, Reason: reason})
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h *errorLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	c.next = h.next.WithAttrs(attrs)
	return &c
}

func (h *errorLogHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	return &c
}
