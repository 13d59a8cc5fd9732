// Package postgres is the store of the bridge in a PostgreSQL database that
// several replicas, and several portals (tenants), share. It keeps the same
// contract as storage.Bolt, checked by the same suite (storage/storetest).
//
// Every table has a tenant column first in its primary key and every query
// names the tenant, so portals sharing one database never see each other's
// rows. Write transactions run SERIALIZABLE and are run again on a
// serialization failure or a deadlock, so two replicas writing the same
// rows behave as if one wrote after the other, as bbolt's single writer
// does; read transactions are REPEATABLE READ READ ONLY: one snapshot,
// never a failure. A write function may therefore run more than once (see
// Update).
//
// The totals (Stats, CountUsers and the like) are count(*) over an index
// rather than counters: a counter row would be one row every writer of
// every replica locks, and serialises them all. A group's member count is
// the exception, kept on the group's row, which every write of its members
// locks anyway. Audit numbers come from a sequence for the same reason.
//
// The user walks read the table user_walk, whose key is Bolt's walk index
// key (storage.UserWalkKeys): both engines order users alike, and a walk
// position is that key, opaque to callers.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/absorb-scim/absorb-scim/storage"
)

// DefaultTenant is the tenant of a store opened with an empty
// Options.Tenant.
const DefaultTenant = "default"

// Options configure Open.
type Options struct {
	// Tenant names the portal whose rows this store reads and writes; ""
	// is DefaultTenant.
	Tenant string
	// MaxConns bounds the pool's connections; zero keeps pgxpool's
	// default (the larger of 4 and the number of CPUs) or the URL's
	// pool_max_conns.
	MaxConns int32
	// MinConns is how many connections the pool keeps open when idle.
	MinConns int32
}

// Store is a tenant's view of a PostgreSQL database. It is safe for
// concurrent use.
type Store struct {
	pool     *pgxpool.Pool
	tenant   string
	describe string

	keysScanned atomic.Uint64
	batchCalls  atomic.Int64
	batchTime   atomic.Int64
}

// maxAttempts bounds how many times a write transaction runs when
// PostgreSQL keeps refusing it for a concurrent one.
const maxAttempts = 20

// Open connects to the database at url, creates or migrates its schema
// (once for replicas starting together) and returns the store of
// opts.Tenant. Errors never hold the URL's password.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors may quote the URL; say only what is wrong.
		return nil, fmt.Errorf("open postgres store: the URL is not a valid PostgreSQL connection string (postgres://user:password@host:port/database?sslmode=...)")
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.MinConns > 0 {
		cfg.MinConns = min(opts.MinConns, cfg.MaxConns)
	}
	tenant := opts.Tenant
	if tenant == "" {
		tenant = DefaultTenant
	}
	describe := describeConfig(cfg.ConnConfig)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", describe, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open %s: %w", describe, err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open %s: migrate the schema: %w", describe, err)
	}
	return &Store{pool: pool, tenant: tenant, describe: describe}, nil
}

// describeConfig names the database without its password.
func describeConfig(c *pgx.ConnConfig) string {
	return "postgres " + net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))) + "/" + c.Database
}

// Describe names the store for messages: "postgres host:port/database",
// with the tenant unless it is the default. It never holds the password.
func (s *Store) Describe() string {
	if s.tenant == DefaultTenant {
		return s.describe
	}
	return s.describe + " (tenant " + strconv.Quote(s.tenant) + ")"
}

// Pool returns the store's connection pool, for code that keeps tables of
// its own in the same database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Tenant returns the tenant whose rows the store reads and writes.
func (s *Store) Tenant() string { return s.tenant }

// Close closes the pool's connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// View runs fn in a read-only transaction on one snapshot. fn's error is
// returned as it is.
func (s *Store) View(fn func(storage.Tx) error) error {
	return s.run(false, fn)
}

// Update runs fn in a SERIALIZABLE transaction, committed when fn returns
// nil and rolled back otherwise. When PostgreSQL refuses the transaction
// because of a concurrent one (a serialization failure or a deadlock), fn
// runs again in a new transaction, so fn must leave nothing behind outside
// the transaction that a second run would double. fn's error is returned
// as it is.
func (s *Store) Update(fn func(storage.Tx) error) error {
	return s.run(true, fn)
}

// Batch is Update: each call has a transaction of its own, and concurrent
// calls run on the pool's connections side by side.
func (s *Store) Batch(fn func(storage.Tx) error) error {
	start := time.Now()
	err := s.run(true, fn)
	if err == nil {
		s.batchCalls.Add(1)
		s.batchTime.Add(int64(time.Since(start)))
	}
	return err
}

// BatchStats counts committed Batch calls: each is a commit of its own.
func (s *Store) BatchStats() storage.BatchStats {
	n := s.batchCalls.Load()
	return storage.BatchStats{Commits: n, Writes: n, CommitTime: time.Duration(s.batchTime.Load())}
}

// The statements that begin a transaction. A transaction is begun with its
// first statement, sent together with it in one round trip, so a read of
// one record costs two round trips (the read, the commit) rather than
// three.
const (
	beginReadOnly = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	beginWrite    = "BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE"
)

// run runs fn in a transaction, again while PostgreSQL refuses it for a
// concurrent one.
func (s *Store) run(writable bool, fn func(storage.Tx) error) error {
	ctx := context.Background()
	for attempt := 1; ; attempt++ {
		again, err := s.runOnce(ctx, writable, fn)
		if !again {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("%s: gave up after %d attempts refused for concurrent writes: %w", s.Describe(), attempt, err)
		}
		// Jittered, growing pause so the writers that collided do not
		// collide again.
		d := time.Duration(rand.Int64N(int64(time.Millisecond)<<min(attempt, 6))) + 100*time.Microsecond
		time.Sleep(d)
	}
}

// runOnce runs one attempt; again says whether to run fn once more.
func (s *Store) runOnce(ctx context.Context, writable bool, fn func(storage.Tx) error) (again bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("%s: %w", s.Describe(), err)
	}
	tx := &pgTx{s: s, ctx: ctx, conn: conn, writable: writable, begin: beginReadOnly}
	if writable {
		tx.begin = beginWrite
	}
	defer func() {
		// After a failure or a panic in fn, end the transaction; a
		// connection that cannot is closed, and Release drops a closed
		// connection or one still in a transaction rather than reuse it.
		if tx.begun && !tx.ended {
			if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
				_ = conn.Conn().Close(ctx)
			}
		}
		conn.Release()
	}()
	if err := fn(tx); err != nil {
		return retryable(tx.failed) || retryable(err), err
	}
	if tx.failed != nil {
		// fn went on after a database error, which aborts the
		// transaction in PostgreSQL: nothing after it was done.
		return retryable(tx.failed), fmt.Errorf("%s: %w", s.Describe(), tx.failed)
	}
	if !tx.begun {
		return false, nil // fn ran no statement
	}
	// A write of a user moves users_epoch after the commit, so a reader
	// that counted before it sees the epoch move once the change is
	// visible; sent with the COMMIT, it runs only when the COMMIT
	// succeeds. On the transaction's own connection: taking another from
	// the pool while holding this one could wait forever for a full pool.
	var batch pgx.Batch
	batch.Queue("COMMIT")
	if tx.wroteUser {
		batch.Queue("SELECT nextval('users_epoch')")
	}
	br := conn.SendBatch(ctx, &batch)
	tag, err := br.Exec()
	// A failed nextval leaves cached counts to the next write; the write
	// itself is committed and is not reported as failed.
	_ = br.Close()
	if err != nil {
		return retryable(err), fmt.Errorf("%s: commit: %w", s.Describe(), err)
	}
	tx.ended = true
	if tag.String() != "COMMIT" {
		// PostgreSQL answers COMMIT of a failed transaction with ROLLBACK.
		return false, fmt.Errorf("%s: commit: the transaction was rolled back", s.Describe())
	}
	return false, nil
}

// retryable reports whether err is PostgreSQL refusing a transaction for a
// concurrent one: a serialization failure, a deadlock, or a unique index
// entry a concurrent transaction took (the next attempt sees it and
// reports a conflict as bbolt does).
func retryable(err error) bool {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	if !ok {
		return false
	}
	switch pe.Code {
	case "40001", "40P01", "23505":
		return true
	}
	return false
}

// Stats returns the kept totals; zero counts when the database cannot be
// read.
func (s *Store) Stats() storage.Counts {
	var c storage.Counts
	_ = s.View(func(t storage.Tx) error {
		tx := t.(*pgTx)
		return tx.queryRow(`SELECT
			(SELECT count(*) FROM users WHERE tenant = $1),
			(SELECT count(*) FROM absorb_users WHERE tenant = $1),
			(SELECT count(*) FROM groups WHERE tenant = $1),
			(SELECT count(*) FROM members WHERE tenant = $1),
			(SELECT count(*) FROM intents WHERE tenant = $1)`, s.tenant).
			Scan(&c.Users, &c.AbsorbUsers, &c.Groups, &c.Memberships, &c.Intents)
	})
	return c
}

// KeysScanned counts the walk index entries ScanUsers, SkipUsers and
// CountUserRange have read through this Store.
func (s *Store) KeysScanned() uint64 { return s.keysScanned.Load() }

// UsersEpoch returns the users_epoch sequence, which every committed write
// of a user moves, on any replica and in any tenant: 1 before the first
// write, then one more for each; 0 when the database cannot be read.
func (s *Store) UsersEpoch() uint64 {
	var n int64
	// last_value is 1 both before and after the first nextval; is_called
	// tells them apart.
	if err := s.pool.QueryRow(context.Background(),
		"SELECT last_value + CASE WHEN is_called THEN 1 ELSE 0 END FROM users_epoch").Scan(&n); err != nil {
		return 0
	}
	return uint64(n)
}

// ErrBackupUnsupported is returned by Backup: PostgreSQL is backed up by
// its own tools.
var ErrBackupUnsupported = errors.New("a PostgreSQL store has no backup file of its own: back the database up with pg_dump, or copy it to a bbolt file with `absorb-scim migrate`")

// Backup returns ErrBackupUnsupported.
func (s *Store) Backup(io.Writer) (int64, error) { return 0, ErrBackupUnsupported }

// PrepareUser checks u; the encoding happens in the write itself.
func (s *Store) PrepareUser(u storage.User) (storage.PreparedUser, error) {
	if u.ID == "" {
		return storage.PreparedUser{}, errors.New("put user: empty id")
	}
	if err := checkUserKeys(u); err != nil {
		return storage.PreparedUser{}, fmt.Errorf("put user %q: %w", u.ID, err)
	}
	u.Emails = append([]string(nil), u.Emails...)
	u.Resource = append([]byte(nil), u.Resource...)
	return storage.PreparedUser{User: u}, nil
}

// PrepareAbsorbUser checks u.
func (s *Store) PrepareAbsorbUser(u storage.AbsorbUser) (storage.PreparedAbsorbUser, error) {
	if u.ID == "" {
		return storage.PreparedAbsorbUser{}, errors.New("put absorb user: empty id")
	}
	if err := storage.CheckIndexable("username", u.Username); err != nil {
		return storage.PreparedAbsorbUser{}, fmt.Errorf("put absorb user %q: %w", u.ID, err)
	}
	if err := storage.CheckIndexable("externalId", u.ExternalID); err != nil {
		return storage.PreparedAbsorbUser{}, fmt.Errorf("put absorb user %q: %w", u.ID, err)
	}
	u.Raw = append([]byte(nil), u.Raw...)
	return storage.PreparedAbsorbUser{User: u}, nil
}

// PrepareAudit sets a zero rec.Time to the current time.
func (s *Store) PrepareAudit(rec storage.AuditRecord) storage.PreparedAudit {
	if rec.Time.IsZero() {
		rec.Time = time.Now()
	}
	rec.Changes = append([]storage.FieldChange(nil), rec.Changes...)
	return storage.PreparedAudit{Record: rec}
}

// checkUserKeys refuses the values of u that bbolt could not index, so
// both engines accept the same users.
func checkUserKeys(u storage.User) error {
	if err := storage.CheckIndexable("userName", u.UserName); err != nil {
		return err
	}
	if err := storage.CheckIndexable("externalId", u.ExternalID); err != nil {
		return err
	}
	for _, e := range u.Emails {
		if err := storage.CheckIndexable("email", e); err != nil {
			return err
		}
	}
	return nil
}

var _ storage.Store = (*Store)(nil)
