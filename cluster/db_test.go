package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// testDatabase returns the URL of a new database with the cluster tables,
// on the server ABSORB_SCIM_TEST_POSTGRES names, dropped at cleanup. Unset,
// the test is skipped; set but unreachable, it fails.
func testDatabase(t *testing.T) string {
	t.Helper()
	admin := os.Getenv("ABSORB_SCIM_TEST_POSTGRES")
	if admin == "" {
		t.Skip("PostgreSQL tests skipped: set ABSORB_SCIM_TEST_POSTGRES to a database URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("ABSORB_SCIM_TEST_POSTGRES: %v", err)
	}
	defer conn.Close(context.Background())
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "absorb_scim_cluster_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	schema, err := os.ReadFile(filepath.Join("..", "storage", "postgres", "migrations", "0002_cluster.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	if _, err := db.Exec(ctx, string(schema)); err != nil {
		t.Fatalf("apply the cluster tables: %v", err)
	}
	return u.String()
}

// openCluster opens a pool of its own on dbURL, as one replica would, and
// the tenant's coordination through it; both are closed at cleanup.
func openCluster(t *testing.T, dbURL, tenant string) (*Cluster, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	c, err := Open(t.Context(), pool, tenant, Options{LockConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, pool
}

// eventually polls cond every 10ms until it holds or timeout passes. It is
// for conditions only the database knows (a heartbeat counted, a session
// waiting for a lock), which send no event a test could wait on.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		<-tick.C
	}
}
