package bridge

import (
	"sync"
	"time"
)

// writeLog remembers when the bridge's own writes to each Absorb account
// finished. A sync pass reads accounts over many seconds; a read taken
// before one of the bridge's writes landed must not overwrite the local copy
// that write made, nor be folded back into the SCIM user. Absorb dates edits
// to the second only, so the dates cannot tell; the pass's start time can.
// The steps that send user writes (sendUser, uploadUsers) record them.
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
