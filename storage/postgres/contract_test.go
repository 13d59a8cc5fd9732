package postgres

import (
	"testing"

	"github.com/absorb-scim/absorb-scim/internal/pgtest"
	"github.com/absorb-scim/absorb-scim/storage"
	"github.com/absorb-scim/absorb-scim/storage/storetest"
)

func TestStoreContract(t *testing.T) {
	url := pgtest.URL(t)
	storetest.Run(t, func(t *testing.T) storage.Store {
		// One database, a tenant per subtest: what the suite finds empty
		// is the tenant, which is also how portals share a database.
		return openTest(t, url, Options{Tenant: "contract-" + t.Name()})
	})
}
