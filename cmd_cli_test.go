package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/storage"
)

// TestEveryCommandHelp: -h of every command exits 0 and lists the
// command's own flags, not another's.
func TestEveryCommandHelp(t *testing.T) {
	tests := []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{args: []string{"serve"}, want: []string{"-config", "-tls-cert", "-dry-run"}},
		{args: []string{"demo"}, want: []string{"-absorb-faults", "-token"}},
		{args: []string{"fake-absorb"}, want: []string{"-faults", "-rate"}},
		{args: []string{"config", "check"}, want: []string{"-config"}, notWant: []string{"-tls-cert", "-listen", "-dry-run"}},
		{args: []string{"config"}, want: []string{"config check", "config check -h", "one line per problem"}},
		{args: []string{"hash-secret"}, want: []string{"standard input", "16 characters"}},
		{args: []string{"users"}, want: []string{"list|show", "users list -h", "show  one"}},
		{args: []string{"users", "list"}, want: []string{"-data", "-json"}},
		{args: []string{"users", "show"}, want: []string{"-data", "ID-or-userName"}},
		{args: []string{"groups", "show"}, want: []string{"-data", "ID-or-displayName"}},
		{args: []string{"audit"}, want: []string{"-user", "-since"}},
		{args: []string{"audit", "prune"}, want: []string{"-before"}, notWant: []string{"-since"}},
		{args: []string{"reconcile"}, want: []string{"-fix", "-exit-code"}},
		{args: []string{"rules"}, want: []string{"rules apply|status", "rules apply -h", "re-apply", "status"}},
		{args: []string{"rules", "apply"}, want: []string{"-url", "-token-file"}},
		{args: []string{"rules", "status"}, want: []string{"-url", "-token-file"}},
		{args: []string{"backup"}, want: []string{"-out"}},
		{args: []string{"restore"}, want: []string{"-in"}},
		{args: []string{"migrate"}, want: []string{"-from", "-to", "-replace", "bbolt:DIR", "postgres:URL"}},
		{args: []string{"config", "check"}, want: []string{"-connect"}},
		{args: []string{"healthcheck"}, want: []string{"-url", "-timeout"}},
		{args: []string{"load"}, want: []string{"-mix", "-concurrency"}},
		{args: []string{"version"}, want: []string{"-json"}},
		{args: []string{"holds"}, want: []string{"-url", "-token-file", "release|discard"}},
		{args: []string{"holds", "release"}, want: []string{"-all", "-url"}},
		{args: []string{"trace"}, want: []string{"USER", "-url", "-data"}},
	}
	for _, tt := range tests {
		name := strings.Join(tt.args, " ")
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			// Standard input is not read: hash-secret -h must not wait for it.
			err := run(context.Background(), append(tt.args, "-h"), noEnvOps, &out, &errb)
			if err != nil {
				t.Fatalf("%s -h = %v, want success\n%s%s", name, err, out.String(), errb.String())
			}
			text := out.String() + errb.String()
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("%s -h does not mention %s:\n%s", name, w, text)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, w) {
					t.Errorf("%s -h lists %s, another command's flag:\n%s", name, w, text)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"-version"}} {
		out := mustRunCmd(t, args...)
		if !strings.HasPrefix(out, "absorb-scim ") || !strings.Contains(out, "commit ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("%v printed %q, want the version, commit and %s", args, out, runtime.Version())
		}
	}
	out := mustRunCmd(t, "version", "-json")
	if !strings.Contains(out, `"goVersion": "`+runtime.Version()+`"`) {
		t.Errorf("version -json printed %s", out)
	}
}

func TestHashSecret(t *testing.T) {
	const good = "0123456789abcdef0123"
	tests := []struct {
		name, in string
		want     string // "" means an error
	}{
		{"random secret", good + "\n", auth.HashSecret(good) + "\n"},
		{"crlf dropped", good + "\r\n", auth.HashSecret(good) + "\n"},
		{"sixteen characters", "0123456789abcdef", auth.HashSecret("0123456789abcdef") + "\n"},
		{"fifteen characters", "0123456789abcde\n", ""},
		{"test", "test\n", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := runHashSecret(nil, strings.NewReader(tt.in), &out, &errb)
			if tt.want == "" {
				if err == nil {
					t.Errorf("hash-secret of %q = %q, want a refusal", tt.in, out.String())
				}
				return
			}
			if err != nil || out.String() != tt.want {
				t.Errorf("hash-secret = %q, %v; want %q", out.String(), err, tt.want)
			}
		})
	}
	var errb bytes.Buffer
	if err := runHashSecret(nil, strings.NewReader("short\n"), &bytes.Buffer{}, &errb); err == nil || !strings.Contains(err.Error(), "16") {
		t.Errorf("refusal %v does not say how long a secret must be", err)
	}
}

// TestAuditPruneRefusals: a cut-off in the future, or one inside the
// configured retention, deletes nothing.
func TestAuditPruneRefusals(t *testing.T) {
	dataDir := t.TempDir()
	s, err := storage.Open(dbPath(dataDir), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(func(tx storage.Tx) error {
		for i, age := range []time.Duration{400 * 24 * time.Hour, 30 * 24 * time.Hour, time.Hour} {
			if _, err := tx.AppendAudit(storage.AuditRecord{Time: time.Now().Add(-age), Credential: "okta", Operation: "update",
				ResourceType: "User", UserName: fmt.Sprintf("user%d@example.com", i), Outcome: "ok"}); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := writeTestFile(t, "c.yaml", "dataDir: "+dataDir+"\naudit:\n  retention: 2160h\n")

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"future time", []string{"-data", dataDir, "-before", time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}, "in the future"},
		{"future date", []string{"-data", dataDir, "-before", "2999-01-01"}, "in the future"},
		{"inside retention", []string{"-config", cfgPath, "-before", "720h"}, "inside audit.retention (2160h0m0s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, err := runCmd(t, append([]string{"audit", "prune"}, tt.args...)...)
			if err == nil || !strings.Contains(errOut, tt.want) {
				t.Errorf("prune %v = %v, stderr %q; want a refusal saying %q", tt.args, err, errOut, tt.want)
			}
		})
	}
	if left := mustRunCmd(t, "audit", "-data", dataDir); strings.Count(left, "@example.com") != 3 {
		t.Errorf("a refused prune deleted records:\n%s", left)
	}
	out := mustRunCmd(t, "audit", "prune", "-config", cfgPath, "-before", "2400h")
	if !strings.Contains(out, "deleting the 1 of 3 audit records") || !strings.Contains(out, "deleted 1 audit records") {
		t.Errorf("prune outside the retention said:\n%s\nwant what it will delete, then what it deleted", out)
	}
}

func writeTestFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
