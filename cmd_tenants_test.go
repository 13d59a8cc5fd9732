package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/internal/pgtest"
	"github.com/absorb-scim/absorb-scim/storage/postgres"
)

func TestForTenant(t *testing.T) {
	withTenants := config.Default()
	withTenants.DataDir = "/data"
	withTenants.Tenants = []config.Tenant{{ID: "eu"}, {ID: "us"}}
	single := config.Default()
	single.DataDir = "/data"
	tests := []struct {
		name       string
		cfg        config.Config
		id         string
		configured bool
		dataDir    string // want, when no error
		err        string // want in the error
	}{
		{"single, no -tenant", single, "", false, "/data", ""},
		{"tenants, no -tenant", withTenants, "", false, "", "the configuration has tenants (eu, us): name one with -tenant ID"},
		{"a configured tenant", withTenants, "us", true, filepath.Join("/data", "tenants", "us"), ""},
		{"a removed tenant's data", withTenants, "gone", false, filepath.Join("/data", "tenants", "gone"), ""},
		{"a removed tenant's portal", withTenants, "gone", true, "", "no such tenant in the configuration (eu, us)"},
		{"a path for an id", withTenants, "../x", false, "", "a tenant id is lower-case letters"},
		{"-data only", single, "eu", false, filepath.Join("/data", "tenants", "eu"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := forTenant(tc.cfg, tc.id, tc.configured)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("forTenant = %v, want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.DataDir != tc.dataDir || got.Tenant != tc.id || len(got.Tenants) != 0 && tc.id != "" {
				t.Errorf("forTenant = dataDir %q, tenant %q, %d tenants; want %q, %q", got.DataDir, got.Tenant, len(got.Tenants), tc.dataDir, tc.id)
			}
		})
	}
}

// TestTenantOnPostgres: a tenant's bbolt data migrated into PostgreSQL is
// that tenant's rows alone; the data commands read them with -tenant;
// tenants list names it once removed, and tenants purge deletes its rows.
func TestTenantOnPostgres(t *testing.T) {
	pgURL := pgtest.URL(t)
	dataDir, _ := seededBbolt(t)
	mustRunCmd(t, "migrate", "-from", "bbolt:"+dataDir, "-to", pgURL, "-tenant", "eu")

	cfgDir := t.TempDir()
	writeTenants := func(ids ...string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "dataDir: %s\nstorage:\n  driver: postgres\n  postgres:\n    url: %s\ntenants:\n", cfgDir, pgURL)
		for _, id := range ids {
			fmt.Fprintf(&b, "  - id: %s\n    absorb: {url: \"http://127.0.0.1:1\", privateKey: k, username: u, password: p}\n    auth:\n      tokens: [{name: idp, value: %s-token-0123456789abcdef}]\n", id, id)
		}
		path := filepath.Join(cfgDir, "absorb-scim.yaml")
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	path := writeTenants("eu", "us")
	if users := usersJSON(t, "-config", path, "-tenant", "eu"); len(users) != 1 || users[0].UserName != "marina@example.com" {
		t.Errorf("users of eu: %+v", users)
	}
	if users := usersJSON(t, "-config", path, "-tenant", "us"); len(users) != 0 {
		t.Errorf("us sees eu's users: %+v", users)
	}
	path = writeTenants("us")
	if out := mustRunCmd(t, "tenants", "list", "-config", path); !strings.Contains(out, "eu ") || !strings.Contains(out, "false") {
		t.Errorf("tenants list:\n%s", out)
	}
	if out := mustRunCmd(t, "tenants", "purge", "eu", "-config", path); !strings.Contains(out, "purged tenant eu") {
		t.Errorf("tenants purge:\n%s", out)
	}
	s, err := postgres.Open(context.Background(), pgURL, postgres.Options{Tenant: "eu"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c := s.Stats(); c.Users != 0 || c.Groups != 0 {
		t.Errorf("after the purge, eu holds %+v", c)
	}
}
