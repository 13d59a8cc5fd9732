package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func noEnv(string) string { return "" }

const validYAML = `
listen: 0.0.0.0:9090
publicURL: https://scim.example.com
dataDir: /var/lib/absorb-scim
absorb:
  region: eu
  privateKey: 0f9c2f4e-1111-2222-3333-444455556666
  username: scim-bridge
  password: s3cret-Password!
auth:
  tokens:
    - name: okta
      value: okta-token-0123456789abcdef
mapping:
  defaultDepartment: Company
groupRules:
  - name: sales
    displayName: Sales Team
    department: Sales
    courses: [Sales Fundamentals]
sync:
  interval: 2m
audit:
  retention: 2160h
`

func TestLoadValidFile(t *testing.T) {
	cfg, err := Load(writeFile(t, "c.yaml", validYAML), noEnv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Listen != "0.0.0.0:9090" || cfg.Absorb.Region != "eu" || cfg.Sync.Interval != 2*time.Minute || cfg.Audit.Retention != 90*24*time.Hour {
		t.Errorf("values not read: %+v", cfg)
	}
	if cfg.Absorb.RateLimit != 200 || cfg.Limits.MaxBodyBytes != 1<<20 || cfg.Absorb.MaxQueueWait != 2*time.Second {
		t.Errorf("defaults lost: rate %v, body %d, queue wait %s", cfg.Absorb.RateLimit, cfg.Limits.MaxBodyBytes, cfg.Absorb.MaxQueueWait)
	}
	if got := cfg.Rules(); len(got) != 1 || got[0].Department != "Sales" {
		t.Errorf("Rules() = %+v", got)
	}
	if m := cfg.MappingConfig(); m.DefaultDepartment != "Company" || len(m.Fields) == 0 {
		t.Errorf("MappingConfig() = %+v", m)
	}
}

func TestEnvironmentAndSecretFiles(t *testing.T) {
	secret := writeFile(t, "pw", "from-file-password\n")
	token := writeFile(t, "tok", "env-token-0123456789abcdef\n")
	env := map[string]string{
		"ABSORB_SCIM_LISTEN":               "127.0.0.1:7000",
		"ABSORB_SCIM_ABSORB_PASSWORD_FILE": secret,
		"ABSORB_SCIM_TOKEN_FILE":           token,
		"ABSORB_SCIM_SYNC_INTERVAL":        "45s",
	}
	cfg, err := Load(writeFile(t, "c.yaml", validYAML), func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Listen != "127.0.0.1:7000" || cfg.Sync.Interval != 45*time.Second {
		t.Errorf("env overrides not applied: %s %s", cfg.Listen, cfg.Sync.Interval)
	}
	if cfg.Absorb.Password != "from-file-password" {
		t.Errorf("password file not read (trailing newline must go)")
	}
	var found bool
	for _, tok := range cfg.Auth.Tokens {
		if tok.Name == "env" && tok.Value == "env-token-0123456789abcdef" {
			found = true
		}
	}
	if !found {
		t.Errorf("ABSORB_SCIM_TOKEN_FILE did not add a token: %+v", cfg.Auth.Tokens)
	}
}

// TestEveryProblemReportedWithItsKey feeds one bad value of each kind and
// expects a problem naming each key, all at once.
func TestEveryProblemReportedWithItsKey(t *testing.T) {
	bad := `
listen: nonsense
publicURL: ftp://x
tls: {cert: /nonexistent.pem}
trustedProxies: [not-a-cidr]
log: {format: xml, level: loud}
absorb:
  region: mars
  rateLimit: 0
  burst: 0
  maxQueueWait: 0s
auth:
  tokens:
    - name: ""
      value: short
mapping:
  unknownDepartment: maybe
  password: keep
  fields:
    notAField: title
groupRules:
  - name: empty
limits:
  maxBodyBytes: 10
  maxBodyBytesInFlight: 5
  maxPatchOperations: 0
  maxFilterScan: 10
sync:
  interval: 10ms
audit:
  retention: 1h
http: {readHeaderTimeout: 0s, writeTimeout: -1s}
`
	_, err := Load(writeFile(t, "bad.yaml", bad), noEnv)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Load = %v, want *Error", err)
	}
	text := strings.Join(ce.Problems, "\n")
	seen := map[string]bool{}
	for _, p := range ce.Problems {
		if seen[p] {
			t.Errorf("problem reported twice: %s", p)
		}
		seen[p] = true
	}
	for _, key := range []string{
		"listen:", "publicURL:", "tls:", "trustedProxies[0]:", "log.format:", "log.level:",
		"absorb.region:", "absorb.privateKey:", "absorb.username:", "absorb.password:", "absorb.rateLimit:",
		"absorb.burst:", "absorb.maxQueueWait:", "auth.tokens[0].name:", "auth.tokens[0].value:", "mapping.unknownDepartment:",
		"mapping.password:", "mapping.fields:", "groupRules:", "limits.maxBodyBytes:", "limits.maxBodyBytesInFlight:", "limits.maxPatchOperations:", "limits.maxFilterScan:",
		"sync.interval:", "audit.retention:", "http.readHeaderTimeout:", "http.writeTimeout:",
	} {
		if !strings.Contains(text, key) {
			t.Errorf("no problem for %s in:\n%s", key, text)
		}
	}
}

func TestUnknownKeyRefused(t *testing.T) {
	_, err := Load(writeFile(t, "typo.yaml", "listen: 127.0.0.1:1\nabsorbb: {}\n"), noEnv)
	if err == nil || !strings.Contains(err.Error(), "absorbb") {
		t.Fatalf("Load = %v, want an error naming the unknown key", err)
	}
}

func TestNoCredentialRefused(t *testing.T) {
	open := strings.Replace(validYAML, "auth:\n  tokens:\n    - name: okta\n      value: okta-token-0123456789abcdef\n", "", 1)
	_, err := Load(writeFile(t, "open.yaml", open), noEnv)
	if err == nil || !strings.Contains(err.Error(), "auth: no credential") {
		t.Fatalf("Load = %v, want a refusal to run without credentials", err)
	}
}

func TestParsePrefix(t *testing.T) {
	for in, want := range map[string]string{"10.0.0.0/8": "10.0.0.0/8", "192.0.2.7": "192.0.2.7/32", "2001:db8::1": "2001:db8::1/128"} {
		p, err := ParsePrefix(in)
		if err != nil || p.String() != want {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	if _, err := ParsePrefix("nope"); err == nil {
		t.Error("ParsePrefix(nope) succeeded")
	}
}

func TestAbsorbBehaviourPins(t *testing.T) {
	pinned := strings.Replace(validYAML, "  password: s3cret-Password!\n",
		"  password: s3cret-Password!\n  behaviour: {create: upsert, filterPaging: broken, upload: update}\n", 1)
	cfg, err := Load(writeFile(t, "pinned.yaml", pinned), noEnv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if b := cfg.Absorb.Behaviour; b.Create != "upsert" || b.FilterPaging != "broken" || b.Upload != "update" || b.Put != "" {
		t.Errorf("absorb.behaviour = %+v", b)
	}
	bad := strings.Replace(validYAML, "  password: s3cret-Password!\n",
		"  password: s3cret-Password!\n  behaviour: {create: maybe, dates: iso, upload: batch}\n", 1)
	_, err = Load(writeFile(t, "bad.yaml", bad), noEnv)
	for _, want := range []string{`absorb.behaviour.create: "maybe" is not one of strict, upsert`, `absorb.behaviour.dates: "iso" is not one of rfc3339, absorb`,
		`absorb.behaviour.upload: "batch" is not one of update, keep`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load = %v, want a problem %q", err, want)
		}
	}
}
