package postgres

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/absorb-scim/absorb-scim/internal/pgtest"
)

func TestMigrationsApplyInOrderAndAllOrNothing(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	files := fstest.MapFS{
		"migrations/0002_more.sql":  {Data: []byte("ALTER TABLE a ADD COLUMN y int; CREATE TABLE b (x int);")},
		"migrations/0001_first.sql": {Data: []byte("CREATE TABLE a (x int);")},
	}
	version := func() int {
		t.Helper()
		var v int
		if err := pool.QueryRow(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := migrateFrom(ctx, pool, files); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if v := version(); v != 2 {
		t.Errorf("schema version %d, want 2", v)
	}
	// A later build adds a migration that fails half way: none of it
	// stays, and the version is unchanged.
	files["migrations/0003_bad.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE c (x int); SELECT 1/0;")}
	if err := migrateFrom(ctx, pool, files); err == nil || !strings.Contains(err.Error(), "0003_bad") {
		t.Errorf("a failing migration: %v, want an error naming it", err)
	}
	if v := version(); v != 2 {
		t.Errorf("schema version %d after a failed migration, want 2", v)
	}
	var c *string
	if err := pool.QueryRow(ctx, "SELECT to_regclass('c')::text").Scan(&c); err != nil || c != nil {
		t.Errorf("table c after a failed migration: %v, %v; want none", c, err)
	}
	for name, data := range map[string]string{"migrations/12_x.txt": "", "migrations/first.sql": "", "migrations/0001_again.sql": ""} {
		bad := fstest.MapFS{"migrations/0001_first.sql": {Data: []byte("SELECT 1")}, name: {Data: []byte(data)}}
		if _, err := migrationsIn(bad); err == nil {
			t.Errorf("migrations with %s: no error", name)
		}
	}
}
