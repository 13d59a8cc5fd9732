package conformance

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/absorb-scim/absorb-scim/internal/pgtest"
)

// storeEnv names the environment variable that puts every bridge these
// tests start on one store: "bbolt" (unset: the default) or "postgres", a
// database of its own per data directory on the server pgtest.EnvVar
// names. .ci/run runs the suite once with each.
const storeEnv = "ABSORB_SCIM_TEST_STORE"

// onPostgres reports whether storeEnv asks for PostgreSQL, failing the test
// when it asks for something else or for PostgreSQL without a server: a
// suite asked to run on PostgreSQL never passes on bbolt instead.
func onPostgres(t *testing.T) bool {
	t.Helper()
	switch v := strings.TrimSpace(os.Getenv(storeEnv)); v {
	case "", "bbolt":
		return false
	case "postgres":
		if os.Getenv(pgtest.EnvVar) == "" {
			t.Fatalf("%s=postgres needs %s to name a PostgreSQL server", storeEnv, pgtest.EnvVar)
		}
		return true
	default:
		t.Fatalf("%s=%q: want bbolt or postgres", storeEnv, v)
		return false
	}
}

// pgDatabases maps a data directory to its database, so a bridge started
// again on the same directory finds what the one before it kept.
var pgDatabases sync.Map

// postgresURLFor returns the database of dataDir, made for t when it has
// none yet and dropped when t ends.
func postgresURLFor(t *testing.T, dataDir string) string {
	t.Helper()
	if u, ok := pgDatabases.Load(dataDir); ok {
		return u.(string)
	}
	u, loaded := pgDatabases.LoadOrStore(dataDir, pgtest.URL(t))
	if !loaded {
		t.Cleanup(func() { pgDatabases.Delete(dataDir) })
	}
	return u.(string)
}

// storageConfig is the storage section of a bridge's configuration: none
// for bbolt (the file in dataDir).
func storageConfig(t *testing.T, dataDir string) string {
	t.Helper()
	if !onPostgres(t) {
		return ""
	}
	return fmt.Sprintf("storage:\n  driver: postgres\n  postgres:\n    url: %s\n", postgresURLFor(t, dataDir))
}

// TestPostgresFaultsAtStart starts `serve` on a PostgreSQL store it cannot
// use. It must exit non-zero within seconds and say why in one line, which
// never holds the database password.
func TestPostgresFaultsAtStart(t *testing.T) {
	t.Parallel()
	const password = "pg-Secret-7Hq2"
	for _, tc := range []struct {
		name string
		// url returns the database the bridge is given.
		url  func(t *testing.T) string
		want []string
	}{
		{
			name: "unreachable",
			url: func(t *testing.T) string {
				// Port 1 on the loopback address: nothing listens, the
				// connection is refused at once.
				return "postgres://scim:" + password + "@127.0.0.1:1/absorb_scim?sslmode=disable&connect_timeout=5"
			},
			want: []string{"postgres 127.0.0.1:1/absorb_scim", "storage.postgres.url"},
		},
		{
			name: "schema newer than the binary",
			url: func(t *testing.T) string {
				u := pgtest.URL(t)
				first := startServe(t, serveOptions{absorbURL: downURL(t), storageURL: u})
				if code := first.mustTerminate(t, 20*time.Second); code != 0 {
					t.Fatalf("making the schema: exit %d", code)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				conn, err := pgx.Connect(ctx, u)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(ctx)
				if _, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_from_the_future')"); err != nil {
					t.Fatal(err)
				}
				return u
			},
			want: []string{"schema", "9999", "newer than this build"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := tc.url(t)
			start := time.Now()
			s := launchServe(t, serveOptions{absorbURL: downURL(t), storageURL: u}, nil)
			code, ok := s.wait(30 * time.Second)
			if !ok {
				t.Fatalf("serve still runs %s after start:\n%s", time.Since(start), s.logs)
			}
			if code == 0 {
				t.Fatalf("serve exited 0:\n%s", s.logs)
			}
			lines := stderrLines(s.stderr.String())
			if len(lines) != 1 {
				t.Fatalf("stderr has %d lines besides the start record, want 1:\n%s", len(lines), s.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("stderr line lacks %q: %s", w, lines[0])
				}
			}
			if strings.Contains(s.stderr.String(), password) {
				t.Errorf("the password is on stderr:\n%s", s.stderr)
			}
			t.Logf("exit %d after %s: %s", code, time.Since(start).Round(time.Millisecond), lines[0])
		})
	}
}
