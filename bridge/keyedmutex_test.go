package bridge

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// chanLocker is a Locker whose locks are one-slot channels, as another
// process's locks would be to this one: waiting for one ends with ctx.
type chanLocker struct {
	mu    sync.Mutex
	slots map[string]chan struct{}
}

func (l *chanLocker) slot(key string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.slots == nil {
		l.slots = map[string]chan struct{}{}
	}
	if l.slots[key] == nil {
		l.slots[key] = make(chan struct{}, 1)
	}
	return l.slots[key]
}

func (l *chanLocker) Lock(ctx context.Context, key string) (func(), error) {
	s := l.slot(key)
	select {
	case s <- struct{}{}:
		return func() { <-s }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestWriteLocksSharedLockerRefusal(t *testing.T) {
	shared := &chanLocker{}
	w := &writeLocks{shared: shared}
	// Another process holds user:1.
	other, err := shared.Lock(t.Context(), "user:1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = w.LockAll(ctx, []string{"user:2", "user:1"})
	e, ok := scimdoc.AsError(err)
	if !ok || e.Status != http.StatusServiceUnavailable {
		t.Fatalf("LockAll while another process holds a key = %v, want a 503 SCIM error", err)
	}
	// Nothing stays held: neither the local locks nor the shared user:2.
	other()
	unlock, err := w.LockAll(t.Context(), []string{"user:1", "user:2"})
	if err != nil {
		t.Fatalf("LockAll after the other process let go: %v", err)
	}
	unlock()
}
