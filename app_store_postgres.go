package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/storage"
	"github.com/absorb-scim/absorb-scim/storage/postgres"
)

// openPostgres opens tenant's store (every row keyed by it; "" without
// tenants) in the PostgreSQL database at url and migrates its schema.
// A server that does not answer within postgresConnectTimeout, or a schema
// newer than this build, is an error of one line that names the key and
// the database, never the password.
func openPostgres(ctx context.Context, url, tenant string) (storage.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, postgresConnectTimeout)
	defer cancel()
	s, err := postgres.Open(ctx, url, postgres.Options{Tenant: tenant})
	if err == nil {
		return s, nil
	}
	err = scrub(err, config.URLSecrets(url))
	if unreachable(err) {
		return nil, fmt.Errorf("storage.postgres.url: the database does not answer: %w (check the URL, that the server runs and that this host may connect to it)", err)
	}
	return nil, fmt.Errorf("storage.postgres.url: %w", err)
}

// unreachable reports whether err says the server could not be reached or
// refused the connection (as opposed to a database that answered).
func unreachable(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
}

// probePostgres connects to the database at url, reads its schema version
// and compares it with this build's, without migrating anything.
func probePostgres(ctx context.Context, url string, st storeStatus) storeStatus {
	ctx, cancel := context.WithTimeout(ctx, postgresConnectTimeout)
	defer cancel()
	secrets := config.URLSecrets(url)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		st.Err = errors.New("storage.postgres.url is not a PostgreSQL URL")
		return st
	}
	cfg.MaxConns = 1
	where := "postgres " + net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port))) + "/" + cfg.ConnConfig.Database
	st.Store = where
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		defer pool.Close()
		err = pool.Ping(ctx)
	}
	if err != nil {
		st.Err = fmt.Errorf("does not answer: %w", scrub(err, secrets))
		return st
	}
	st.Reachable = true
	st.Schema, st.Latest, err = postgres.SchemaVersion(ctx, pool)
	switch {
	case err != nil:
		st.Err = fmt.Errorf("answers, but its schema version cannot be read: %w", scrub(err, secrets))
	case st.Schema > st.Latest:
		st.Err = fmt.Errorf("answers, but its schema is version %d, newer than this build's %d: run a build at least as new as the one that migrated it", st.Schema, st.Latest)
	case st.Schema == 0:
		st.Detail = fmt.Sprintf("answers; no schema yet: serve creates it (version %d)", st.Latest)
	case st.Schema < st.Latest:
		st.Detail = fmt.Sprintf("answers; schema version %d: serve migrates it to %d at start", st.Schema, st.Latest)
	default:
		st.Detail = fmt.Sprintf("answers; schema version %d, this build's", st.Schema)
	}
	return st
}
