// Package cluster is what lets several replicas of the bridge share one
// PostgreSQL database safely: one Absorb token for all of them (Tokens), one
// rate budget split between the live ones (Replicas), one replica at a time
// doing the background work (Lease), and per-user and per-group writes
// serialised across them (Locks).
//
// Its tables are created by the store's migrations
// (storage/postgres/migrations/0002_cluster.sql); every row and every
// advisory lock key carries the tenant, so the portals sharing a database do
// not coordinate with one another. Times are the database's (now()), the one
// clock every replica shares.
package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultLockConns is how many connections Locks may hold at once when
// Options.LockConns is zero: each held lock holds one (a bulk run holds one
// for all its keys); as many again serve the second locks of LockNested.
const DefaultLockConns = 16

// Options configure Open.
type Options struct {
	// LockConns bounds the connections the per-user and per-group locks
	// hold, in a pool of their own so that writers waiting for a lock never
	// take the connections the store's queries need; default
	// DefaultLockConns.
	LockConns int32
}

// Cluster is the coordination of one tenant's replicas through one
// database.
type Cluster struct {
	pool     *pgxpool.Pool // the store's
	lockPool *pgxpool.Pool // the locks' own
	// nestedPool serves the locks taken by a holder of another
	// (LockNested), so holders waiting for a second lock never wait for a
	// connection held by one another.
	nestedPool *pgxpool.Pool
	loginPool  *pgxpool.Pool // one connection, for the login's transaction
	tenant     string
	lockConns  int32
}

// Open returns the coordination of tenant's replicas through the database
// pool reaches (the store's pool; the tables come from its migrations). It
// opens two small pools with the same settings: one for the locks, and one
// of a single connection for the login's transaction, which must never wait
// for a connection that a writer holding a lock (and waiting for that very
// login) has. Close closes those; pool stays the caller's.
func Open(ctx context.Context, pool *pgxpool.Pool, tenant string, opts Options) (*Cluster, error) {
	if pool == nil {
		return nil, errors.New("cluster: no database pool")
	}
	n := opts.LockConns
	if n <= 0 {
		n = DefaultLockConns
	}
	cfg := pool.Config().Copy()
	cfg.MaxConns = n
	cfg.MinConns = 0
	lockPool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster: open the lock pool: %w", err)
	}
	nestedPool, err := pgxpool.NewWithConfig(ctx, cfg.Copy())
	if err != nil {
		lockPool.Close()
		return nil, fmt.Errorf("cluster: open the lock pool: %w", err)
	}
	loginCfg := pool.Config().Copy()
	loginCfg.MaxConns, loginCfg.MinConns = 1, 0
	loginPool, err := pgxpool.NewWithConfig(ctx, loginCfg)
	if err != nil {
		lockPool.Close()
		nestedPool.Close()
		return nil, fmt.Errorf("cluster: open the login pool: %w", err)
	}
	return &Cluster{pool: pool, lockPool: lockPool, nestedPool: nestedPool, loginPool: loginPool, tenant: tenant, lockConns: n}, nil
}

// Close closes the pools Open opened; locks still held are released.
func (c *Cluster) Close() {
	c.lockPool.Close()
	c.nestedPool.Close()
	c.loginPool.Close()
}

// Tenant is the tenant whose replicas this coordinates.
func (c *Cluster) Tenant() string { return c.tenant }

// lockID is the advisory lock key of key for tenant: the first 8 bytes of
// SHA-256(tenant, key). Two keys that collide only wait for each other.
func lockID(tenant, key string) int64 {
	h := sha256.New()
	h.Write([]byte(tenant))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return int64(binary.BigEndian.Uint64(h.Sum(nil)[:8]))
}
