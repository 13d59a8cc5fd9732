package postgres

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/absorb-scim/absorb-scim/internal/pgtest"
)

// TestPurgeDeletesOneTenant: after a purge no table holds a row of the
// tenant, and the other tenant of the database holds everything it held.
func TestPurgeDeletesOneTenant(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	open := func(tenant string) *Store {
		s, err := Open(ctx, url, Options{Tenant: tenant})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	gone, kept := open("gone"), open("kept")
	fillTenant(t, gone, 3)
	fillTenant(t, kept, 3)
	if ids, err := kept.Tenants(ctx); err != nil || !slices.Equal(ids, []string{"gone", "kept"}) {
		t.Errorf("Tenants = %v, %v; want gone and kept", ids, err)
	}
	n, err := gone.Purge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("Purge deleted no row")
	}
	checkTenant(t, kept, 3)
	if ids, err := kept.Tenants(ctx); err != nil || !slices.Equal(ids, []string{"kept"}) {
		t.Errorf("after the purge, Tenants = %v, %v; want kept", ids, err)
	}
	rows, err := gone.pool.Query(ctx, tenantTables)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) == 0 {
		t.Fatalf("tables with a tenant column: %v, %v", tables, err)
	}
	for _, table := range tables {
		var left int
		if err := gone.pool.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE tenant = 'gone'").Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%s holds %d rows of the purged tenant", table, left)
		}
	}
}
