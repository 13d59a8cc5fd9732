package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seededBbolt runs serve on a new bbolt data directory, creates a user in a
// group, stops, and returns the directory and the user's id.
func seededBbolt(t *testing.T) (dataDir, userID string) {
	t.Helper()
	_, fakeURL := opsFake(t)
	dataDir = t.TempDir()
	srv := startOpsServe(t, "-config", opsConfig(t, fakeURL, dataDir))
	userID = srv.createMember(t, createBody("marina@example.com"), "Harbour")
	if err := srv.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	return dataDir, userID
}

// usersJSON is `users list -json` of a data directory.
func usersJSON(t *testing.T, args ...string) []userLine {
	t.Helper()
	out := mustRunCmd(t, append([]string{"users", "list", "-json"}, args...)...)
	var users []userLine
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var u userLine
		if err := dec.Decode(&u); err != nil {
			t.Fatalf("users list -json: %v\n%s", err, out)
		}
		users = append(users, u)
	}
	return users
}

func TestMigrateBboltToBbolt(t *testing.T) {
	src, id := seededBbolt(t)
	dst := filepath.Join(t.TempDir(), "copy")
	out := mustRunCmd(t, "migrate", "-from", "bbolt:"+src, "-to", "bbolt:"+dst)
	for _, want := range []string{"copying bbolt " + dbPath(src), "every count matches", "users", "memberships"} {
		if !strings.Contains(out, want) {
			t.Errorf("migrate output lacks %q:\n%s", want, out)
		}
	}
	if got, want := usersJSON(t, "-data", dst), usersJSON(t, "-data", src); len(got) != 1 || got[0] != want[0] || got[0].ID != id {
		t.Errorf("users of the copy = %+v, want %+v", got, want)
	}
	show := mustRunCmd(t, "groups", "show", "Harbour", "-data", dst)
	if !strings.Contains(show, id) {
		t.Errorf("the copied group lost its member %s:\n%s", id, show)
	}

	// A destination that holds data is refused, unless -replace.
	_, _, err := runCmd(t, "migrate", "-from", "bbolt:"+src, "-to", "bbolt:"+dst)
	if err == nil || !strings.Contains(err.Error(), "is not empty (1 users") || !strings.Contains(err.Error(), "-replace") {
		t.Errorf("migrate into a store holding data = %v, want a refusal that names -replace", err)
	}
	out = mustRunCmd(t, "migrate", "-from", "bbolt:"+src, "-to", "bbolt:"+dst, "-replace")
	if !strings.Contains(out, "deleting what bbolt") || !strings.Contains(out, "every count matches") {
		t.Errorf("migrate -replace output:\n%s", out)
	}
	if got := usersJSON(t, "-data", dst); len(got) != 1 || got[0].ID != id {
		t.Errorf("users after -replace = %+v, want the one user %s", got, id)
	}
}

func TestMigrateRefusals(t *testing.T) {
	src, _ := seededBbolt(t)
	empty := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no flags", []string{"migrate"}, "usage"},
		{"unknown kind", []string{"migrate", "-from", "mysql://root:hunter2@db/x", "-to", "bbolt:" + empty}, "-from must be bbolt:DIR or postgres:URL"},
		{"url that does not parse", []string{"migrate", "-from", "bbolt:" + src, "-to", "postgres://scim:hunter2#@db:5432/absorb"}, "-to: the PostgreSQL URL does not parse"},
		{"no database", []string{"migrate", "-from", "bbolt:" + src, "-to", "postgres:postgres://scim:hunter2@db:5432"}, "names no database"},
		{"same store", []string{"migrate", "-from", "bbolt:" + src, "-to", "bbolt:" + src}, "the same store"},
		{"no source file", []string{"migrate", "-from", "bbolt:" + empty, "-to", "bbolt:" + t.TempDir()}, "no data file at"},
		{"configured url missing", []string{"migrate", "-from", "bbolt:" + src, "-to", "postgres:"}, "no storage.postgres.url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runCmd(t, tc.args...)
			if err == nil {
				t.Fatalf("migrate %q succeeded", tc.args)
			}
			all := err.Error() + stdout + stderr
			if !strings.Contains(all, tc.want) {
				t.Errorf("migrate %q = %v\n%s%s\nwant %q", tc.args, err, stdout, stderr, tc.want)
			}
			if strings.Contains(all, "hunter2") {
				t.Errorf("the password is printed: %s", all)
			}
		})
	}
	if _, err := os.Stat(dbPath(empty)); err == nil {
		t.Errorf("a refused migrate created %s", dbPath(empty))
	}
}

func TestConfigCheckConnectBbolt(t *testing.T) {
	dataDir, _ := seededBbolt(t)
	_, fakeURL := opsFake(t)
	cfg := opsConfig(t, fakeURL, dataDir)
	out := mustRunCmd(t, "config", "check", "-config", cfg, "-connect")
	if want := "storage: bbolt " + dbPath(dataDir) + ": " + dbPath(dataDir) + ": 1 users, 1 groups"; !strings.Contains(out, want) {
		t.Errorf("config check -connect = %q, want a line %q", out, want)
	}
	if out := mustRunCmd(t, "config", "check", "-config", cfg); out != "configuration is valid\n" {
		t.Errorf("config check without -connect = %q, want the one line it always printed", out)
	}
}

// TestBackupOfBboltIsStillItsFile checks nothing of bbolt's own backup
// changed: backup writes a bbolt file, not a dump.
func TestBackupOfBboltIsStillItsFile(t *testing.T) {
	dataDir, _ := seededBbolt(t)
	out := filepath.Join(t.TempDir(), "copy.db")
	mustRunCmd(t, "backup", "-data", dataDir, "-out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 4096 || b[0] == '{' {
		t.Errorf("backup of a bbolt store wrote %d bytes beginning %q, want a bbolt file", len(b), b[:min(len(b), 16)])
	}
}
