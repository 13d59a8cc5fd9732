package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/absorb-scim/absorb-scim/internal/pgtest"
	"github.com/absorb-scim/absorb-scim/storage/postgres"
)

// testDatabase returns the URL of a new database (pgtest) migrated by the
// store, as a replica's start-up migrates it, so the cluster tables are
// the ones its migrations create.
func testDatabase(t *testing.T) string {
	t.Helper()
	url := pgtest.URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatalf("migrate the test database: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return url
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
