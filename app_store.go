package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/doctor"
	"github.com/absorb-scim/absorb-scim/server"
	"github.com/absorb-scim/absorb-scim/storage"
	"github.com/absorb-scim/absorb-scim/storage/dump"
)

// postgresConnectTimeout bounds how long opening or probing the PostgreSQL
// store waits for the server, so an unreachable database stops start-up
// with its reason instead of hanging it.
const postgresConnectTimeout = 20 * time.Second

// storeAccess is what a command needs of the store. It matters for the
// bbolt file only: a PostgreSQL store is shared, never locked, and always
// writable.
type storeAccess struct {
	// serve: create the data directory and file when missing, and wait
	// for the file's lock as long as storage.DefaultTimeout.
	serve bool
	// write: an admin command that changes the data (else read-only).
	write bool
}

// openStore opens the store cfg's storage.driver chooses: the bbolt file in
// cfg.DataDir, or the PostgreSQL database at storage.postgres.url, whose
// schema is created or migrated here. Errors never hold the URL's
// password.
func openStore(ctx context.Context, cfg config.Config, acc storeAccess) (storage.Store, error) {
	if cfg.Storage.Driver == config.DriverPostgres {
		return openPostgres(ctx, cfg.Storage.Postgres.URL, cfg.Tenant)
	}
	if acc.serve {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
		}
		return storage.Open(dbPath(cfg.DataDir), storage.Options{})
	}
	return openData(cfg.DataDir, acc.write)
}

// describeStorage names the store cfg chooses without opening it: the
// bbolt file's path, or the PostgreSQL URL with its password hidden.
func describeStorage(cfg config.Config) string {
	if cfg.Storage.Driver == config.DriverPostgres {
		return "postgres " + config.RedactURL(cfg.Storage.Postgres.URL)
	}
	return "bbolt " + dbPath(cfg.DataDir)
}

// storeName names an open store for people: "bbolt PATH", or what the
// engine's Describe says ("postgres host:5432/db"), never a secret.
func storeName(s storage.Store) string {
	if b, ok := s.(*storage.Bolt); ok {
		return "bbolt " + b.Path()
	}
	return s.Describe()
}

// storeStatus is what config check -connect and doctor say of the store.
type storeStatus struct {
	Store string // describeStorage
	// Reachable: the database answered (PostgreSQL), or the file could be
	// opened or is held by a running bridge (bbolt).
	Reachable bool
	// Schema is the database's schema version and Latest the one this
	// build migrates to (PostgreSQL only; zero for bbolt, which upgrades
	// its file itself).
	Schema, Latest int
	Detail         string // what was found, for people
	Err            error  // why the store cannot be used, nil when it can
}

// OK reports whether the store can be used by this build.
func (s storeStatus) OK() bool { return s.Err == nil }

// probeStore finds out whether the store cfg chooses can be used, without
// changing it: PostgreSQL is connected to and its schema version read
// (nothing is migrated), the bbolt file is opened read-only.
func probeStore(ctx context.Context, cfg config.Config) storeStatus {
	st := storeStatus{Store: describeStorage(cfg)}
	if cfg.Storage.Driver == config.DriverPostgres {
		return probePostgres(ctx, cfg.Storage.Postgres.URL, st)
	}
	path := dbPath(cfg.DataDir)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		st.Reachable = true
		st.Detail = "no data file yet: serve creates " + path
		return st
	}
	s, err := openData(cfg.DataDir, false)
	switch {
	case errors.Is(err, storage.ErrLocked):
		st.Reachable = true
		st.Detail = path + " is in use by a running bridge"
		return st
	case err != nil:
		st.Err = err
		return st
	}
	defer s.Close()
	c := s.Stats()
	st.Reachable = true
	st.Detail = fmt.Sprintf("%s: %d users, %d groups", path, c.Users, c.Groups)
	return st
}

// scrubbed is an error whose message had secrets taken out; it unwraps to
// the original, so callers can still tell its kind.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// scrub replaces each secret in err's message by "xxxxx". A driver's
// error may quote the connection string it was given.
func scrub(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		clean = strings.ReplaceAll(clean, s, "xxxxx")
	}
	if clean == msg {
		return err
	}
	return &scrubbed{msg: clean, err: err}
}

// checkStorage is config check's account of the store with -connect:
// whether the one the configuration chooses can be used. Without connect
// config check stays off the network and says nothing more. A store that
// cannot be used is an error.
func checkStorage(ctx context.Context, cfg config.Config, connect bool, stdout io.Writer) error {
	if !connect {
		return nil
	}
	st := probeStore(ctx, cfg)
	if !st.OK() {
		fmt.Fprintf(stdout, "storage: %s cannot be used: %v\n", st.Store, st.Err)
		return fmt.Errorf("storage: %w", st.Err)
	}
	fmt.Fprintf(stdout, "storage: %s: %s\n", st.Store, st.Detail)
	return nil
}

// storageCheck is doctor's check of the store.
func storageCheck(ctx context.Context, cfg config.Config) doctor.Check {
	st := probeStore(ctx, cfg)
	c := doctor.Check{Name: "storage", OK: st.OK(), Blocks: true}
	if st.OK() {
		c.Detail = st.Store + ": " + st.Detail
		return c
	}
	c.Detail = st.Store + ": " + st.Err.Error()
	switch {
	case cfg.Storage.Driver != config.DriverPostgres:
		c.Fix = "check dataDir, and that the file is the bridge's and readable"
	case !st.Reachable:
		c.Fix = "check storage.postgres.url, that the database server runs, and that this host may connect to it (pg_hba.conf, firewalls, sslmode)"
	default:
		c.Fix = "run a build at least as new as the one that last migrated the database"
	}
	return c
}

// backupStore is the store the server backs up from (GET /admin/backup):
// the bbolt file as it is, or, for an engine without a backup file of its
// own (PostgreSQL), the bridge's export of it.
func backupStore(s storage.Store) server.Store {
	if _, ok := s.(*storage.Bolt); ok {
		return s
	}
	return dumpBackup{s}
}

// dumpBackup backs a store up as a dump (storage/dump).
type dumpBackup struct{ storage.Store }

// Backup writes the export of the store to w and returns its size.
func (d dumpBackup) Backup(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	_, err := dump.Export(context.Background(), d.Store, cw)
	return cw.n, err
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
