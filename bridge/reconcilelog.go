package bridge

import (
	"context"
	"sync"
	"time"
)

// ReconcileRun is one finished reconcile: its report, when it finished,
// who ran it (the context's Actor credential) and whether it fixed.
type ReconcileRun struct {
	Report ReconcileReport
	At     time.Time
	By     string
	Fix    bool
}

// ReconcileLog runs reconciles on a Bridge and remembers the last one that
// finished, so a person can read it later whoever ran it (the admin
// endpoint, the status console). It is safe for concurrent use.
type ReconcileLog struct {
	b    *Bridge
	mu   sync.Mutex
	last ReconcileRun
	ok   bool
}

// NewReconcileLog returns a ReconcileLog over b.
func NewReconcileLog(b *Bridge) *ReconcileLog { return &ReconcileLog{b: b} }

// Reconcile is Bridge.Reconcile; a run that finishes is remembered.
func (l *ReconcileLog) Reconcile(ctx context.Context, fix bool) (ReconcileReport, error) {
	rep, err := l.b.Reconcile(ctx, fix)
	if err != nil {
		return rep, err
	}
	by := ActorReconcile
	if a, ok := ActorFrom(ctx); ok && a.Credential != "" {
		by = a.Credential
	}
	l.mu.Lock()
	l.last, l.ok = ReconcileRun{Report: rep, At: l.b.now(), By: by, Fix: fix}, true
	l.mu.Unlock()
	return rep, nil
}

// LastReconcile returns the last reconcile that finished, and false before
// the first.
func (l *ReconcileLog) LastReconcile() (ReconcileRun, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last, l.ok
}
