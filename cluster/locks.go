package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Locks serialises work per key across the tenant's replicas with
// PostgreSQL session advisory locks (pg_advisory_lock). Each Lock or LockAll
// holds one connection of the locks' own pool until it is unlocked: the
// lock lives in that session, so it is released with the connection should
// the replica die. Waiting for a lock, or for a free connection, ends with
// ctx.
//
// Within one process a key must be taken by one caller at a time (bridge
// takes its in-process lock first): two connections of the same process
// exclude each other as any two do, but waiting here holds a connection.
type Locks struct{ c *Cluster }

// Locks returns the tenant's locks.
func (c *Cluster) Locks() *Locks { return &Locks{c: c} }

// unlockTimeout bounds the unlock statements; past it the connection is
// closed, which releases the locks as well.
const unlockTimeout = 5 * time.Second

// Lock waits until key is free or ctx ends, and returns the function that
// frees it.
func (l *Locks) Lock(ctx context.Context, key string) (unlock func(), err error) {
	return l.LockAll(ctx, []string{key})
}

// LockAll takes every key on one connection, in the order given (callers
// sort them, so two LockAll cannot deadlock), and returns the function that
// frees them all. On error it holds none.
func (l *Locks) LockAll(ctx context.Context, keys []string) (unlock func(), err error) {
	return l.lock(ctx, l.c.lockPool, keys)
}

// LockNested is Lock for a caller that already holds another lock: its
// connection comes from a pool of its own, so that callers holding a first
// lock and waiting for a second cannot hold every connection between them
// and wait for one another.
func (l *Locks) LockNested(ctx context.Context, key string) (unlock func(), err error) {
	return l.lock(ctx, l.c.nestedPool, []string{key})
}

func (l *Locks) lock(ctx context.Context, pool *pgxpool.Pool, keys []string) (unlock func(), err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("wait for a lock connection (%d in use): %w", pool.Stat().AcquiredConns(), err)
	}
	ids := make([]int64, len(keys))
	for i, k := range keys {
		ids[i] = lockID(l.c.tenant, k)
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", ids[i]); err != nil {
			// The wait may have been cancelled just after the lock was
			// granted: closing the session is the sure way to release
			// whatever it holds.
			discard(conn)
			return nil, fmt.Errorf("lock %s: %w", k, err)
		}
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
		defer cancel()
		for i := len(ids) - 1; i >= 0; i-- {
			if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", ids[i]); err != nil {
				discard(conn)
				return
			}
		}
		conn.Release()
	}, nil
}

// discard closes a pooled connection and gives it back to the pool, which
// drops it.
func discard(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	_ = conn.Conn().Close(ctx)
	conn.Release()
}
