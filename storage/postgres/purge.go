package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// tenantTables lists the tables of the schema that have a tenant column:
// every table the migrations create, whichever they are.
const tenantTables = `SELECT table_name FROM information_schema.columns
	WHERE table_schema = current_schema() AND column_name = 'tenant' ORDER BY table_name`

// Tenants lists the tenants that have rows in the database, sorted: the
// store's own and every other.
func (s *Store) Tenants(ctx context.Context) ([]string, error) {
	var out []string
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		tables, err := tablesWithTenant(ctx, tx)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, table := range tables {
			rows, err := tx.Query(ctx, "SELECT DISTINCT tenant FROM "+pgx.Identifier{table}.Sanitize())
			if err != nil {
				return fmt.Errorf("list tenants: %s: %w", table, err)
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return fmt.Errorf("list tenants: %s: %w", table, err)
			}
			for _, id := range ids {
				seen[id] = true
			}
		}
		for id := range seen {
			out = append(out, id)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// tablesWithTenant lists the tables tenantTables finds.
func tablesWithTenant(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, tenantTables)
	if err != nil {
		return nil, fmt.Errorf("list the tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list the tables: %w", err)
	}
	return tables, nil
}

// Purge deletes every row of the store's tenant from every table that has
// a tenant column, in one transaction, and returns how many it deleted;
// the other tenants' rows stay. It is for a tenant no bridge serves any
// more (`absorb-scim tenants purge`).
func (s *Store) Purge(ctx context.Context) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tables, err := tablesWithTenant(ctx, tx)
		if err != nil {
			return fmt.Errorf("purge tenant %s: %w", s.tenant, err)
		}
		for _, table := range tables {
			tag, err := tx.Exec(ctx, "DELETE FROM "+pgx.Identifier{table}.Sanitize()+" WHERE tenant = $1", s.tenant)
			if err != nil {
				return fmt.Errorf("purge tenant %s: %s: %w", s.tenant, table, err)
			}
			n += tag.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
