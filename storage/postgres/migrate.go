package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The schema is a list of migrations, migrations/NNNN_name.sql, applied in
// order and recorded in schema_migrations. A small runner rather than a
// migration library: the files are plain SQL applied in one transaction, a
// library would add its own table layout, CLI and driver glue for a loop of
// twenty lines, and none of them takes the advisory lock inside the
// migrating transaction the way replicas starting together need.

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the pg_advisory_xact_lock key the migrating
// transaction holds, so replicas starting together migrate once: the
// others wait, then find nothing left to apply.
const migrationLockKey = 0x616273_6f726273 // "absorbs"

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) { return migrationsIn(migrationFiles) }

// migrationsIn returns the migrations of fsys's directory migrations in
// version order.
func migrationsIn(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return nil, err
	}
	var list []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration file %s: the name must be NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join("migrations", name))
		if err != nil {
			return nil, err
		}
		list = append(list, migration{version: v, name: strings.TrimSuffix(name, ".sql"), sql: string(b)})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].version < list[j].version })
	for i := 1; i < len(list); i++ {
		if list[i].version == list[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", list[i-1].name, list[i].name, list[i].version)
		}
	}
	return list, nil
}

// LatestSchemaVersion is the schema version this build migrates a database
// to.
func LatestSchemaVersion() int {
	list, err := migrations()
	if err != nil || len(list) == 0 {
		return 0
	}
	return list[len(list)-1].version
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// migrate applies, in one transaction under the migration lock, every
// migration the database has not recorded. A database migrated by a newer
// build is refused: this build would not know its tables.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrateFrom(ctx, pool, migrationFiles)
}

func migrateFrom(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) error {
	list, err := migrationsIn(fsys)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return errors.New("no migrations")
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLockKey)); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, createMigrationsTable); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if latest := list[len(list)-1].version; current > latest {
			return fmt.Errorf("the database's schema is version %d, newer than this build's %d: run a build at least as new as the one that migrated it", current, latest)
		}
		for _, m := range list {
			if m.version <= current {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("apply migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
				return fmt.Errorf("record migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}

// SchemaVersion returns the schema version the database has (0 for a
// database the bridge never migrated) and the one this build migrates to,
// for config check and doctor.
func SchemaVersion(ctx context.Context, pool *pgxpool.Pool) (current, latest int, err error) {
	latest = LatestSchemaVersion()
	err = pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current)
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == "42P01" { // undefined_table
		return 0, latest, nil
	}
	if err != nil {
		return 0, latest, fmt.Errorf("read schema version: %w", err)
	}
	return current, latest, nil
}
