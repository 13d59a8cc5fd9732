package storage

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// maxBatchCalls bounds how many writers share one transaction, so one
// commit's work (and the time its writers wait) stays bounded.
const maxBatchCalls = 500

// groupCommit gathers concurrent Batch calls into shared transactions.
//
// The first writer to arrive while no commit is running commits at once,
// alone; writers that arrive while a commit is running wait for it and then
// share the next one. Batches so size themselves to the load: a lone write
// waits for nothing, and under load each commit takes everything that queued
// during the one before. (bbolt's own Batch instead waits a fixed delay
// before every commit, which a lone write pays in full and which leaves the
// disk idle between commits under load.)
type groupCommit struct {
	mu      sync.Mutex
	pending []batchCall
	running bool // a goroutine is committing pending batches

	commits    atomic.Int64 // shared transactions committed
	writes     atomic.Int64 // Batch calls those transactions carried
	commitTime atomic.Int64 // nanoseconds spent running and committing them
}

// BatchStats are running totals of Batch's group commit since Open; Writes
// divided by Commits is how many writers shared a commit on average.
type BatchStats struct {
	Commits    int64         // transactions committed for Batch calls
	Writes     int64         // Batch calls committed in them
	CommitTime time.Duration // time spent running and committing them, fsync included
}

// BatchStats returns the group commit's totals since Open.
func (s *Bolt) BatchStats() BatchStats {
	return BatchStats{Commits: s.group.commits.Load(), Writes: s.group.writes.Load(),
		CommitTime: time.Duration(s.group.commitTime.Load())}
}

type batchCall struct {
	fn   func(*bolt.Tx) error
	done chan error
}

// errRunAlone tells a writer whose function failed inside a shared
// transaction to run it again in one of its own, so its error is its own and
// the other writers' work is not lost with it.
var errRunAlone = errors.New("run the write in a transaction of its own")

// batch runs fn in a transaction shared with concurrent callers. fn may run
// more than once.
func (g *groupCommit) batch(db *bolt.DB, fn func(*bolt.Tx) error) error {
	done := make(chan error, 1)
	g.mu.Lock()
	g.pending = append(g.pending, batchCall{fn: fn, done: done})
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if lead {
		g.commitPending(db)
	}
	err := <-done
	if err == errRunAlone {
		return db.Update(fn)
	}
	return err
}

// commitPending commits one batch of what is pending, then hands the next
// batch to a new goroutine so that the caller, whose own write was in this
// batch, can answer its request.
func (g *groupCommit) commitPending(db *bolt.DB) {
	g.mu.Lock()
	calls := g.pending
	if len(calls) > maxBatchCalls {
		calls = calls[:maxBatchCalls:maxBatchCalls]
	}
	g.pending = g.pending[len(calls):]
	g.mu.Unlock()

	g.commitCalls(db, calls)

	g.mu.Lock()
	more := len(g.pending) > 0
	if !more {
		g.running = false
		g.pending = nil
	}
	g.mu.Unlock()
	if more {
		go g.commitPending(db)
	}
}

// commitCalls runs calls in one transaction. A call that fails is taken out
// and told to run alone, and the rest are tried again without it; a failed
// commit fails every call.
func (g *groupCommit) commitCalls(db *bolt.DB, calls []batchCall) {
	for len(calls) > 0 {
		failed := -1
		start := time.Now()
		err := db.Update(func(tx *bolt.Tx) error {
			for i, c := range calls {
				if err := callSafely(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			calls[failed].done <- errRunAlone
			calls = append(calls[:failed:failed], calls[failed+1:]...)
			continue
		}
		if err == nil {
			g.commits.Add(1)
			g.writes.Add(int64(len(calls)))
			g.commitTime.Add(int64(time.Since(start)))
		}
		for _, c := range calls {
			c.done <- err
		}
		return
	}
}

// callSafely runs fn, turning a panic into an error so one writer's bug
// cannot take the shared transaction's other writers down with it; the
// writer then runs alone and panics in its own goroutine.
func callSafely(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in a batched write: %v", r)
		}
	}()
	return fn(tx)
}
