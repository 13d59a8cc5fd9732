package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// tenantTables lists the tables of the schema that have a tenant column:
// every table the migrations create, whichever they are.
const tenantTables = `SELECT table_name FROM information_schema.columns
	WHERE table_schema = current_schema() AND column_name = 'tenant' ORDER BY table_name`

// Purge deletes every row of the store's tenant from every table that has
// a tenant column, in one transaction, and returns how many it deleted;
// the other tenants' rows stay. It is for a tenant no bridge serves any
// more (`absorb-scim tenants purge`).
func (s *Store) Purge(ctx context.Context) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, tenantTables)
		if err != nil {
			return fmt.Errorf("purge tenant %s: list the tables: %w", s.tenant, err)
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("purge tenant %s: list the tables: %w", s.tenant, err)
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
