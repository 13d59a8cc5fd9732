package bridge

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"

	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// Locker serialises the writes of one user or one group across every
// process that writes them (replicas sharing one database). Keys are
// "user:<id>", "username:<folded userName>" and "group:<id>".
type Locker interface {
	// Lock waits until key is free or ctx ends, and returns the function
	// that frees it.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// BatchLocker is a Locker that takes several keys at once more cheaply than
// one by one; keys come sorted, and are taken in that order.
type BatchLocker interface {
	LockAll(ctx context.Context, keys []string) (unlock func(), err error)
}

// NestedLocker is a Locker with a second supply of locks for callers that
// already hold one (a rename holds the user and takes the new userName), so
// that such callers never wait behind one another for what a lock needs
// (a database connection).
type NestedLocker interface {
	LockNested(ctx context.Context, key string) (unlock func(), err error)
}

// writeLocks is the bridge's locking: the in-process keyedMutex first, so
// the writers of one key in this process wait here without holding anything
// shared, then the shared Locker, if any, which is what serialises the
// writers of other processes.
type writeLocks struct {
	local  keyedMutex
	shared Locker // nil: this process is the only writer
}

// Lock takes key. Its error, when the shared Locker fails or ctx ends
// first, is a 503 the client can retry.
func (w *writeLocks) Lock(ctx context.Context, key string) (unlock func(), err error) {
	if w.shared == nil {
		return w.local.Lock(key), nil // one process: as before, nothing more
	}
	return w.LockAll(ctx, []string{key})
}

// LockNested takes key for a caller that holds another lock already.
func (w *writeLocks) LockNested(ctx context.Context, key string) (unlock func(), err error) {
	n, ok := w.shared.(NestedLocker)
	if !ok {
		return w.Lock(ctx, key)
	}
	local := w.local.Lock(key)
	shared, err := n.LockNested(ctx, key)
	if err != nil {
		local()
		return nil, lockError([]string{key}, err)
	}
	return func() {
		shared()
		local()
	}, nil
}

// LockAll takes every key, in sorted order so that it cannot deadlock with
// another LockAll or with single locks taken in that order. On error it
// holds none of them.
func (w *writeLocks) LockAll(ctx context.Context, keys []string) (unlock func(), err error) {
	keys = append([]string(nil), keys...)
	sort.Strings(keys)
	locals := make([]func(), 0, len(keys))
	releaseLocals := func() {
		for i := len(locals) - 1; i >= 0; i-- {
			locals[i]()
		}
	}
	for _, k := range keys {
		locals = append(locals, w.local.Lock(k))
	}
	if w.shared == nil {
		return releaseLocals, nil
	}
	var sharedUnlock func()
	if b, ok := w.shared.(BatchLocker); ok {
		sharedUnlock, err = b.LockAll(ctx, keys)
	} else {
		sharedUnlock, err = lockEach(ctx, w.shared, keys)
	}
	if err != nil {
		releaseLocals()
		return nil, lockError(keys, err)
	}
	return func() {
		sharedUnlock()
		releaseLocals()
	}, nil
}

// lockEach takes keys one by one through l, freeing those taken when one
// fails.
func lockEach(ctx context.Context, l Locker, keys []string) (func(), error) {
	unlocks := make([]func(), 0, len(keys))
	all := func() {
		for i := len(unlocks) - 1; i >= 0; i-- {
			unlocks[i]()
		}
	}
	for _, k := range keys {
		u, err := l.Lock(ctx, k)
		if err != nil {
			all()
			return nil, err
		}
		unlocks = append(unlocks, u)
	}
	return all, nil
}

// lockError is the SCIM error of a write whose lock could not be taken:
// nothing was written, and the same request may be sent again.
func lockError(keys []string, err error) error {
	what := "the resource"
	if len(keys) == 1 {
		what = keys[0]
	}
	e := scimdoc.Errorf(http.StatusServiceUnavailable, "", "the write lock of %s could not be taken; nothing was written, send the request again", what)
	e.Err = fmt.Errorf("lock %v: %w", keys, err)
	return e
}

// keyedMutex serialises work per key (a resource id or a userName) without a
// lock per resource living forever: entries are dropped when unused.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

// Lock locks key and returns the function that unlocks it.
func (k *keyedMutex) Lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyedEntry)
	}
	e := k.locks[key]
	if e == nil {
		e = &keyedEntry{}
		k.locks[key] = e
	}
	e.refs++
	k.mu.Unlock()

	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
