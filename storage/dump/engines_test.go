package dump_test

import (
	"context"
	"os"
	"testing"

	"github.com/absorb-scim/absorb-scim/internal/pgtest"
	"github.com/absorb-scim/absorb-scim/storage"
	"github.com/absorb-scim/absorb-scim/storage/postgres"
)

// engines are the stores the tests run against: bbolt, and PostgreSQL when
// pgtest.EnvVar names a server (its absence is logged, not silent).
func engines(t *testing.T) []engine {
	t.Helper()
	list := []engine{{name: "bbolt", open: openBolt}}
	if os.Getenv(pgtest.EnvVar) == "" {
		t.Log(pgtest.SkipMessage)
		return list
	}
	return append(list, engine{name: "postgres", open: openPostgres})
}

func openPostgres(t *testing.T) storage.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.URL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
