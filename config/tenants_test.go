package config

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/auth"
)

const tenantsYAML = `
publicURL: https://scim.example.com
dataDir: /var/lib/absorb-scim
absorb:
  rateLimit: 50
tenants:
  - id: eu
    absorb:
      region: eu
      privateKey: 0f9c2f4e-1111-2222-3333-444455556666
      username: scim-eu
      password: eu-Password-1
    auth:
      tokens:
        - name: entra
          value: eu-token-0123456789abcdef
    rules:
      - name: sales
        displayName: Sales Team
        department: Sales
  - id: us-2
    absorb:
      region: us
      privateKey: 1f9c2f4e-1111-2222-3333-444455556666
      username: scim-us
      password: us-Password-1
      rateLimit: 20
    auth:
      tokens:
        - name: okta
          value: us-token-0123456789abcdef
    mapping:
      defaultDepartment: US
    safety:
      deactivationLimit:
        max: 0
`

func TestTenantsLoaded(t *testing.T) {
	cfg, err := Load(writeFile(t, "tenants.yaml", tenantsYAML), noEnv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := cfg.TenantIDs(), []string{"eu", "us-2"}; !slices.Equal(got, want) {
		t.Fatalf("TenantIDs() = %v, want %v", got, want)
	}
	eu, ok := cfg.ForTenant("eu")
	if !ok {
		t.Fatal("ForTenant(eu) not found")
	}
	if eu.Tenant != "eu" || eu.DataDir != filepath.Join("/var/lib/absorb-scim", "tenants", "eu") || eu.Absorb.Region != "eu" {
		t.Errorf("eu = tenant %q, dataDir %q, region %q", eu.Tenant, eu.DataDir, eu.Absorb.Region)
	}
	// Left out: the top-level value (absorb.rateLimit from the file,
	// safety from the defaults).
	if eu.Absorb.RateLimit != 50 || eu.Absorb.Timeout != 30*time.Second || eu.Safety.DeactivationLimit.Max != 50 {
		t.Errorf("eu inherited rate %v, timeout %s, brake %d; want 50, 30s, 50", eu.Absorb.RateLimit, eu.Absorb.Timeout, eu.Safety.DeactivationLimit.Max)
	}
	if len(eu.Rules()) != 1 || len(eu.Auth.Tokens) != 1 || eu.Auth.Tokens[0].Name != "entra" {
		t.Errorf("eu rules %v, tokens %v", eu.Rules(), eu.Auth.Tokens)
	}
	us, _ := cfg.ForTenant("us-2")
	// Set: the tenant's own, an explicit zero included.
	if us.Absorb.RateLimit != 20 || us.Safety.DeactivationLimit.Max != 0 || us.Mapping.DefaultDepartment != "US" || us.Mapping.Password != "generate" {
		t.Errorf("us-2 rate %v, brake %d, mapping %+v", us.Absorb.RateLimit, us.Safety.DeactivationLimit.Max, us.Mapping)
	}
	if len(us.Rules()) != 0 {
		t.Errorf("us-2 has eu's rules: %v", us.Rules())
	}
	if _, ok := cfg.ForTenant("nope"); ok {
		t.Error("ForTenant(nope) found a tenant")
	}
}

// groupRules, the top-level key's name, is taken in a tenant too, but not
// beside rules.
func TestTenantRulesUnderEitherKey(t *testing.T) {
	older := strings.Replace(tenantsYAML, "    rules:\n", "    groupRules:\n", 1)
	cfg, err := Load(writeFile(t, "tenants.yaml", older), noEnv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if eu, _ := cfg.ForTenant("eu"); len(eu.Rules()) != 1 {
		t.Errorf("eu rules under groupRules = %v, want one", eu.Rules())
	}
	both := strings.Replace(tenantsYAML, "    rules:\n", "    groupRules: [{name: x, displayName: X, department: X}]\n    rules:\n", 1)
	_, err = Load(writeFile(t, "tenants.yaml", both), noEnv)
	if err == nil || !strings.Contains(err.Error(), "tenants[0].rules") || !strings.Contains(err.Error(), "not both") {
		t.Errorf("rules and groupRules in one tenant: %v, want a problem naming tenants[0].rules", err)
	}
}

func TestTenantsProblemsNameTheTenant(t *testing.T) {
	hash := auth.HashSecret("us-token-0123456789abcdef")
	bad := tenantsYAML + `
  - id: eu
    absorb: {region: ca, privateKey: k, username: u, password: p}
    auth:
      tokens: [{name: t, value: other-token-0123456789abcdef}]
  - id: Bad_ID
    absorb: {region: mars, privateKey: k, username: u, password: p}
    auth:
      tokens: [{name: copy, hash: "` + hash + `"}]
  - id: nocreds
    absorb: {region: au, privateKey: k, username: u}
`
	bad = strings.Replace(bad, "absorb:\n  rateLimit: 50\n", "absorb:\n  rateLimit: 50\n  region: us\nauth:\n  tokens: [{name: top, value: top-token-0123456789abcdef}]\n  console:\n    - {username: ops, passwordHash: \""+auth.HashSecret("console-password-0123")+"\", role: viewer, tenants: [eu, moon]}\n", 1)
	_, err := Load(writeFile(t, "bad.yaml", bad), noEnv)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Load = %v, want *Error", err)
	}
	text := strings.Join(ce.Problems, "\n")
	for _, want := range []string{
		`tenants[2].id: "eu" is also the id of tenants[0]`,
		`tenants[3].id: "Bad_ID" must be lower-case`,
		`tenants[3].absorb.region: "mars" is not one of`,
		`(tenant "Bad_ID")`,
		`tenants[3].auth.tokens[0].value: the same bearer token is also tenant "us-2"'s (tenants[1].auth.tokens[0].value)`,
		`tenants[4].absorb.password: required (or absorb.passwordFile) (tenant "nocreds")`,
		`tenants[4].auth: no credential is configured: add auth.tokens, auth.basic, auth.jwt or auth.entra (tenant "nocreds")`,
		`tenants[4].auth: no credential is configured`,
		`(tenant "nocreds")`,
		`absorb.region: with tenants, each tenant names its own portal`,
		`auth: with tenants, every IdP credential belongs to one tenant`,
		`auth.console[0].tenants: "moon" is not the id of a configured tenant`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("problems lack %q:\n%s", want, text)
		}
	}
	for _, p := range ce.Problems {
		if strings.HasPrefix(p, "tenants[") && !strings.Contains(p, "(tenant ") && !strings.Contains(p, ".id: ") {
			t.Errorf("problem names no tenant: %s", p)
		}
		if strings.Contains(p, "us-token-0123456789abcdef") {
			t.Errorf("problem shows a secret: %s", p)
		}
	}
}

func TestTenantFileProblemsNameTheTenant(t *testing.T) {
	bad := strings.Replace(tenantsYAML, "      rateLimit: 20\n", "      rateLimit: fast\n      regin: us\n      passwordFile: /no/such/file\n", 1)
	_, err := Load(writeFile(t, "bad.yaml", bad), noEnv)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Load = %v, want *Error", err)
	}
	text := strings.Join(ce.Problems, "\n")
	for _, want := range []string{
		`tenants[1].absorb.regin: unknown key (README.md lists every key) (tenant "us-2")`,
		`tenants[1].absorb.rateLimit: "fast" is not a number (tenant "us-2")`,
		`tenants[1].absorb.passwordFile: cannot read /no/such/file`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("problems lack %q:\n%s", want, text)
		}
	}
}

func TestConsoleUserMaySee(t *testing.T) {
	cfg, err := Load(writeFile(t, "c.yaml", strings.Replace(tenantsYAML, "tenants:\n", "auth:\n  console:\n    - {username: eu-only, passwordHash: \""+auth.HashSecret("console-password-0123")+"\", role: viewer, tenants: [eu]}\n    - {username: all, passwordHash: \""+auth.HashSecret("console-password-0123")+"\", role: operator}\ntenants:\n", 1)), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	names := func(id string) []string {
		tc, _ := cfg.ForTenant(id)
		var out []string
		for _, u := range tc.Auth.Console {
			out = append(out, u.Username)
		}
		return out
	}
	if got := names("eu"); !slices.Equal(got, []string{"eu-only", "all"}) {
		t.Errorf("eu console users = %v", got)
	}
	if got := names("us-2"); !slices.Equal(got, []string{"all"}) {
		t.Errorf("us-2 console users = %v", got)
	}
}

func TestConsoleTenantsWithoutTenants(t *testing.T) {
	yaml := strings.Replace(validYAML, "auth:\n", "auth:\n  console:\n    - {username: ops, passwordHash: \""+auth.HashSecret("console-password-0123")+"\", role: viewer, tenants: [eu]}\n", 1)
	_, err := Load(writeFile(t, "c.yaml", yaml), noEnv)
	if err == nil || !strings.Contains(err.Error(), "auth.console[0].tenants: there are no tenants") {
		t.Errorf("Load = %v", err)
	}
}
