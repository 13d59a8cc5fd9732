package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/absorb-scim/absorb-scim/internal/pgtest"
	"github.com/absorb-scim/absorb-scim/storage"
	"github.com/absorb-scim/absorb-scim/storage/dump"
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
	srv := startOpsServe(t, "-config", cfg)
	if out := mustRunCmd(t, "config", "check", "-config", cfg, "-connect"); !strings.Contains(out, "is in use by a running bridge") {
		t.Errorf("config check -connect beside a running bridge = %q", out)
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
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

// opsConfigPostgres is opsConfig with the bridge on the PostgreSQL
// database at url.
func opsConfigPostgres(t *testing.T, fakeURL, dataDir, url string) string {
	t.Helper()
	path := opsConfig(t, fakeURL, dataDir)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["storage"] = map[string]any{"driver": "postgres", "postgres": map[string]any{"url": url}}
	if b, err = json.Marshal(cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMigrateToPostgresAndBack copies a bridge's bbolt data to PostgreSQL,
// serves from there (the user answers, and a new write lands), copies it
// back to bbolt, and checks the admin commands, backup and restore on
// PostgreSQL on the way.
func TestMigrateToPostgresAndBack(t *testing.T) {
	pgURL := pgtest.URL(t)
	src, id := seededBbolt(t)

	out := mustRunCmd(t, "migrate", "-from", "bbolt:"+src, "-to", "postgres:"+pgURL)
	if !strings.Contains(out, "every count matches") || !strings.Contains(out, "to postgres 127.0.0.1") {
		t.Fatalf("migrate to postgres:\n%s", out)
	}

	// serve on the copy: the user answers with her group.
	_, fakeURL := opsFake(t)
	cfg := opsConfigPostgres(t, fakeURL, t.TempDir(), pgURL)
	srv := startOpsServe(t, "-config", cfg)
	status, body := srv.call(t, "GET", "/scim/v2/Users/"+id, opsToken, "")
	if status != http.StatusOK || !strings.Contains(string(body), "marina@example.com") || !strings.Contains(string(body), "Harbour") {
		t.Errorf("GET the migrated user on postgres: %d %s", status, body)
	}
	status, body = srv.call(t, "POST", "/scim/v2/Users", opsToken, createBody("newcomer@example.com"))
	if status != http.StatusCreated {
		t.Fatalf("create on postgres: %d %s", status, body)
	}
	// GET /admin/backup answers the export.
	status, body = srv.call(t, "GET", "/admin/backup", opsToken, "")
	if status != http.StatusOK || !strings.HasPrefix(string(body), `{"dump":{"format":"absorb-scim-dump"`) ||
		!strings.Contains(string(body), `{"end":{"users":2,`) {
		t.Errorf("GET /admin/backup on postgres: %d %.200s", status, body)
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("serve on postgres: %v", err)
	}

	// The admin commands read the database the configuration names.
	users := usersJSON(t, "-config", cfg)
	if len(users) != 2 {
		t.Errorf("users list on postgres = %+v, want marina and newcomer", users)
	}
	if got := usersJSON(t, "-config", cfg, "-data", src); len(got) != 1 {
		t.Errorf("users list -data DIR with a postgres configuration = %+v, want the bbolt file's one user", got)
	}
	if show := mustRunCmd(t, "groups", "show", "Harbour", "-config", cfg); !strings.Contains(show, id) {
		t.Errorf("groups show on postgres:\n%s", show)
	}
	if audit := mustRunCmd(t, "audit", "-config", cfg, "-user", "newcomer@example.com"); !strings.Contains(audit, "newcomer@example.com") {
		t.Errorf("audit on postgres lacks the new user's create:\n%s", audit)
	}

	// backup writes the export; restore puts it back after a change and
	// keeps what it replaced.
	backup := filepath.Join(t.TempDir(), "pg.jsonl")
	out = mustRunCmd(t, "backup", "-config", cfg, "-out", backup)
	if !strings.Contains(out, "an absorb-scim dump") || !strings.Contains(out, "2 users") {
		t.Errorf("backup on postgres: %s", out)
	}
	if b, err := os.ReadFile(backup); err != nil || !strings.HasPrefix(string(b), `{"dump":{"format":"absorb-scim-dump"`) {
		t.Errorf("the backup does not begin as a dump: %v %.80q", err, b)
	}
	if strings.Contains(out, "postgres://") {
		t.Errorf("backup printed the URL: %s", out)
	}
	mustRunCmd(t, "migrate", "-from", "bbolt:"+src, "-to", "postgres:"+pgURL, "-replace") // one user again
	if got := usersJSON(t, "-config", cfg); len(got) != 1 {
		t.Fatalf("after migrate -replace: %d users, want 1", len(got))
	}
	out = mustRunCmd(t, "restore", "-config", cfg, "-in", backup)
	if !strings.Contains(out, "restored postgres") || !strings.Contains(out, "2 users") || !strings.Contains(out, "absorb-scim-replaced-") {
		t.Errorf("restore on postgres:\n%s", out)
	}
	if got := usersJSON(t, "-config", cfg); len(got) != 2 {
		t.Errorf("after restore: %d users, want 2", len(got))
	}

	// And back to bbolt.
	back := filepath.Join(t.TempDir(), "back")
	out = mustRunCmd(t, "migrate", "-from", "postgres:"+pgURL, "-to", "bbolt:"+back)
	if !strings.Contains(out, "every count matches") {
		t.Fatalf("migrate to bbolt:\n%s", out)
	}
	if got := usersJSON(t, "-data", back); len(got) != 2 || got[0].ID == "" {
		t.Errorf("users of the bbolt copy = %+v, want 2", got)
	}
}

func TestPostgresStoreChecks(t *testing.T) {
	pgURL := pgtest.URL(t)
	_, fakeURL := opsFake(t)
	cfg := opsConfigPostgres(t, fakeURL, t.TempDir(), pgURL)
	out := mustRunCmd(t, "config", "check", "-config", cfg, "-connect")
	if !strings.Contains(out, "storage: postgres 127.0.0.1") || !strings.Contains(out, "no schema yet: serve creates it") {
		t.Errorf("config check -connect on a new database:\n%s", out)
	}
	srv := startOpsServe(t, "-config", cfg)
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	out = mustRunCmd(t, "config", "check", "-config", cfg, "-connect")
	if !strings.Contains(out, "this build's") {
		t.Errorf("config check -connect after serve:\n%s", out)
	}

	// A schema a newer build migrated: reported, and nothing is changed.
	conn, err := pgx.Connect(context.Background(), pgURL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(context.Background(), "INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_later')")
	conn.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stdout, _, err := runCmd(t, "config", "check", "-config", cfg, "-connect")
	if err == nil || !strings.Contains(stdout, "schema is version 9999, newer than this build's") {
		t.Errorf("config check -connect of a newer schema: %v\n%s", err, stdout)
	}
	stdout, _, err = runCmd(t, "doctor", "-config", cfg)
	if exitStatus(err) != 1 || !strings.Contains(stdout, "FAIL storage") || !strings.Contains(stdout, "run a build at least as new") {
		t.Errorf("doctor on a newer schema: exit %d\n%s", exitStatus(err), stdout)
	}

	// A database that does not answer: config check and doctor say so, and
	// serve does not start; none prints the password.
	const password = "pw-Do-Not-Print-4Kd"
	down := opsConfigPostgres(t, fakeURL, t.TempDir(), "postgres://scim:"+password+"@127.0.0.1:1/absorb_scim?sslmode=disable")
	stdout, stderr, err := runCmd(t, "config", "check", "-config", down, "-connect")
	if err == nil || !strings.Contains(stdout, "storage: postgres 127.0.0.1:1/absorb_scim cannot be used: does not answer") {
		t.Errorf("config check -connect of a database that does not answer: %v\n%s%s", err, stdout, stderr)
	}
	all := stdout + stderr + err.Error()
	stdout, stderr, err = runCmd(t, "doctor", "-config", down)
	if exitStatus(err) != 1 || !strings.Contains(stdout, "FAIL storage") || !strings.Contains(stdout, "storage.postgres.url") {
		t.Errorf("doctor with a database that does not answer: exit %d\n%s%s", exitStatus(err), stdout, stderr)
	}
	all += stdout + stderr
	_, errCh := launchOps(t, "-config", down)
	err = <-errCh
	errCh <- err // for the cleanup's stop
	if err == nil || !strings.Contains(err.Error(), "storage.postgres.url: the database does not answer") {
		t.Errorf("serve on a database that does not answer = %v", err)
	} else {
		all += err.Error()
	}
	if strings.Contains(all, password) {
		t.Errorf("the password was printed:\n%s", all)
	}
}

func TestMigrateSaysHowFarItGot(t *testing.T) {
	src, _ := seededBbolt(t)
	s, err := openData(src, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := storage.Open(dbPath(t.TempDir()), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var progress strings.Builder
	exported, imported, err := copyStore(context.Background(), s, d, 5, &progress)
	if err != nil || exported != imported {
		t.Fatalf("copyStore = %+v, %+v, %v", exported, imported, err)
	}
	records := exported.Users + exported.AbsorbUsers + exported.Groups + exported.Members + exported.Intents +
		exported.Holds + exported.RuleStates + exported.Audit + exported.Cursors
	lines := strings.Split(strings.TrimSuffix(progress.String(), "\n"), "\n")
	if len(lines) < records/5 || !strings.HasPrefix(lines[0], "migrate: 5 records copied (") {
		t.Errorf("progress for %d records, every 5:\n%s", records, progress.String())
	}
}

func TestRestoreBboltFromAnExport(t *testing.T) {
	src, id := seededBbolt(t)
	s, err := openData(src, false)
	if err != nil {
		t.Fatal(err)
	}
	exportPath := filepath.Join(t.TempDir(), "export.jsonl")
	f, err := os.Create(exportPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dump.Export(context.Background(), s, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s.Close()

	dst := t.TempDir()
	out := mustRunCmd(t, "restore", "-data", dst, "-in", exportPath)
	if !strings.Contains(out, "restored "+dbPath(dst)+" from "+exportPath+": 1 users, 1 groups, 1 memberships") {
		t.Errorf("restore of an export:\n%s", out)
	}
	if got := usersJSON(t, "-data", dst); len(got) != 1 || got[0].ID != id {
		t.Errorf("users after restoring an export = %+v, want %s", got, id)
	}

	// A cut export replaces nothing and leaves no file behind.
	b, _ := os.ReadFile(exportPath)
	cut := filepath.Join(t.TempDir(), "cut.jsonl")
	if err := os.WriteFile(cut, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, "restore", "-data", dst, "-in", cut); err == nil || !strings.Contains(err.Error(), "damaged or incomplete") {
		t.Errorf("restore of a cut export = %v, want a refusal", err)
	}
	entries, _ := os.ReadDir(dst)
	for _, e := range entries {
		if e.Name() != dbFileName {
			t.Errorf("the refused restore left %s in the data directory", e.Name())
		}
	}
	if got := usersJSON(t, "-data", dst); len(got) != 1 {
		t.Errorf("users after a refused restore = %+v, want the one restored before", got)
	}
}
