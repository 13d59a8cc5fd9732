package bridge

import (
	"context"
	"sync"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
)

// writeLog remembers when the bridge's own writes to each Absorb account
// finished. A sync pass reads accounts over many seconds; a read taken
// before one of the bridge's writes landed must not overwrite the local copy
// that write made, nor be folded back into the SCIM user. Absorb dates edits
// to the second only, so the dates cannot tell; the pass's start time can.
type writeLog struct {
	mu   sync.Mutex
	done map[string]time.Time // Absorb id -> when the last write finished
}

func (l *writeLog) record(id string) {
	if id == "" {
		return
	}
	l.mu.Lock()
	if l.done == nil {
		l.done = make(map[string]time.Time)
	}
	l.done[id] = time.Now()
	l.mu.Unlock()
}

// since reports whether the bridge finished a write to the account after t:
// a read of it taken during a pass that started at t may predate the write.
func (l *writeLog) since(id string, t time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.done[id]
	return ok && w.After(t)
}

// forget drops what no pass starting at t or later needs.
func (l *writeLog) forget(before time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, w := range l.done {
		if w.Before(before) {
			delete(l.done, id)
		}
	}
}

// loggedAbsorb records every user write that may have reached Absorb,
// failed ones included (a timeout may still have landed).
type loggedAbsorb struct {
	Absorb
	log *writeLog
}

func (a loggedAbsorb) CreateUser(ctx context.Context, u absorbapi.User) (*absorbapi.User, error) {
	got, err := a.Absorb.CreateUser(ctx, u)
	if got != nil {
		a.log.record(got.ID)
	}
	return got, err
}

func (a loggedAbsorb) UpdateUser(ctx context.Context, u absorbapi.User) (*absorbapi.User, error) {
	got, err := a.Absorb.UpdateUser(ctx, u)
	a.log.record(u.ID)
	return got, err
}

func (a loggedAbsorb) UploadUsers(ctx context.Context, users []absorbapi.User) ([]absorbapi.UploadResult, error) {
	res, err := a.Absorb.UploadUsers(ctx, users)
	for _, r := range res {
		a.log.record(r.ID)
	}
	for _, u := range users {
		a.log.record(u.ID)
	}
	return res, err
}
