package pgtest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestURLIsAFreshDatabaseDroppedAtCleanup(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		u := URL(t)
		conn, err := pgx.Connect(context.Background(), u)
		if err != nil {
			t.Fatalf("connect to %s: %v", u, err)
		}
		defer conn.Close(context.Background())
		var tables int
		if err := conn.QueryRow(context.Background(),
			"select current_database(), (select count(*) from pg_tables where schemaname = 'public')").Scan(&name, &tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("new database holds %d tables, want 0", tables)
		}
		if URL(t) == u {
			t.Errorf("two calls gave one database %s", u)
		}
	})
	conn, err := pgx.Connect(context.Background(), AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), "select count(*) from pg_database where datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if name == "" || n != 0 {
		t.Errorf("database %q: %d left after cleanup, want 0", name, n)
	}
}

// recorder is a testing.TB that records how URL ended.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func runURL(r *recorder) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		URL(r)
	}()
	<-done
}

func TestURLWithoutServerSkips(t *testing.T) {
	t.Setenv(EnvVar, "")
	r := &recorder{TB: t}
	runURL(r)
	if r.skipped != SkipMessage || r.failed != "" {
		t.Errorf("skipped %q, failed %q; want skipped %q", r.skipped, r.failed, SkipMessage)
	}
}

func TestURLWithUnreachableServerFails(t *testing.T) {
	// Port 1 on loopback refuses at once.
	t.Setenv(EnvVar, "postgres://u:secret@127.0.0.1:1/postgres?connect_timeout=5")
	r := &recorder{TB: t}
	runURL(r)
	if r.skipped != "" || r.failed == "" {
		t.Fatalf("skipped %q, failed %q; want a failure", r.skipped, r.failed)
	}
	if strings.Contains(r.failed, "secret") {
		t.Errorf("failure message %q holds the password", r.failed)
	}
}
