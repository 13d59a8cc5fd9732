package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/absorb-scim/absorb-scim/auth"
)

// problemsOf loads the file body with env and returns the problems.
func problemsOf(t *testing.T, body string, env map[string]string) []string {
	t.Helper()
	_, err := Load(writeFile(t, "c.yaml", body), func(k string) string { return env[k] })
	if err == nil {
		return nil
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Load = %v, want *Error", err)
	}
	return ce.Problems
}

func hasProblem(problems []string, prefix, fragment string) bool {
	for _, p := range problems {
		if strings.HasPrefix(p, prefix) && strings.Contains(p, fragment) {
			return true
		}
	}
	return false
}

func TestEnvironmentThatDoesNotParse(t *testing.T) {
	env := map[string]string{
		"ABSORB_SCIM_DRY_RUN":           "yes",
		"ABSORB_SCIM_SYNC_INTERVAL":     "5 minutes",
		"ABSORB_SCIM_ABSORB_RATE_LIMIT": "fast",
	}
	got := problemsOf(t, validYAML, env)
	for _, want := range []struct{ key, fragment string }{
		{"ABSORB_SCIM_DRY_RUN:", `"yes" is not true or false`},
		{"ABSORB_SCIM_SYNC_INTERVAL:", `"5 minutes" is not a duration`},
		{"ABSORB_SCIM_ABSORB_RATE_LIMIT:", `"fast" is not a number`},
	} {
		if !hasProblem(got, want.key, want.fragment) {
			t.Errorf("no problem %s ...%s... in %q", want.key, want.fragment, got)
		}
	}
}

func TestEnvironmentThatParses(t *testing.T) {
	cfg, err := Load(writeFile(t, "c.yaml", validYAML), func(k string) string {
		return map[string]string{"ABSORB_SCIM_DRY_RUN": "true", "ABSORB_SCIM_ABSORB_RATE_LIMIT": "50"}[k]
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !cfg.DryRun || cfg.Absorb.RateLimit != 50 {
		t.Errorf("DryRun = %t, RateLimit = %v; want true, 50", cfg.DryRun, cfg.Absorb.RateLimit)
	}
}

func TestFileValuesOfTheWrongKindNameTheirKeys(t *testing.T) {
	body := strings.NewReplacer(
		"  interval: 2m", "  interval: 5 minutes",
		"  region: eu\n", "  region: eu\n  burst: lots\n  rateLimit: [1, 2]\n",
	).Replace(validYAML) + "dryRun: maybe\nshutdownGrace: soon\n"
	got := problemsOf(t, body, nil)
	for _, want := range []struct{ key, fragment string }{
		{"sync.interval:", `"5 minutes" is not a duration`},
		{"absorb.burst:", `"lots" is not a whole number`},
		{"absorb.rateLimit:", "a list is not a number"},
		{"dryRun:", `"maybe" is not true or false`},
		{"shutdownGrace:", `"soon" is not a duration`},
	} {
		if !hasProblem(got, want.key, want.fragment) {
			t.Errorf("no problem %s ...%s... in %q", want.key, want.fragment, got)
		}
	}
	for _, p := range got {
		if strings.Contains(p, "time.Duration") || strings.Contains(p, "!!") || strings.Contains(p, "float64") {
			t.Errorf("problem speaks of Go or YAML types: %s", p)
		}
	}
}

func TestUnknownNestedKeyNamed(t *testing.T) {
	got := problemsOf(t, strings.Replace(validYAML, "  region: eu\n", "  region: eu\n  regoin: us\n", 1), nil)
	if !hasProblem(got, "absorb.regoin:", "unknown key") {
		t.Errorf("problems %q, want absorb.regoin: unknown key", got)
	}
}

func TestImpossibleListenPort(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:99999", "127.0.0.1:-1", "127.0.0.1:http-alt"} {
		got := problemsOf(t, strings.Replace(validYAML, "listen: 0.0.0.0:9090", "listen: "+listen, 1), nil)
		if !hasProblem(got, "listen:", "port must be a number from 0 to 65535") {
			t.Errorf("listen %s: problems %q, want the port refused", listen, got)
		}
	}
}

func TestWeakTokenHashRefused(t *testing.T) {
	for _, weak := range []string{"", "test", "password", "changeme", "secret", "admin", "token"} {
		body := strings.Replace(validYAML, "value: okta-token-0123456789abcdef", "hash: "+auth.HashSecret(weak), 1)
		got := problemsOf(t, body, nil)
		if !hasProblem(got, "auth.tokens[0].hash:", "well-known weak secret") {
			t.Errorf("hash of %q: problems %q, want auth.tokens[0].hash refused", weak, got)
		}
	}
}
