package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/absorb-scim/absorb-scim/config"
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
