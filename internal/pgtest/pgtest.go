// Package pgtest gives a test its own empty PostgreSQL database on the
// server that ABSORB_SCIM_TEST_POSTGRES names, and drops it when the test
// ends. The URL's role must be allowed to create databases (CREATEDB); a
// throwaway cluster's superuser is.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the server tests create their databases on.
const EnvVar = "ABSORB_SCIM_TEST_POSTGRES"

// SkipMessage is why a test that needs PostgreSQL did not run.
const SkipMessage = "PostgreSQL tests skipped: set " + EnvVar + " to a database URL; .ci/run does"

// URL returns the URL of a new, empty database created for this test on
// the server named by ABSORB_SCIM_TEST_POSTGRES, dropped when the test and
// its cleanups end. With the variable unset the test is skipped; with it set
// and the server unreachable the test fails, so a broken CI database never
// passes for a skipped suite.
func URL(tb testing.TB) string {
	tb.Helper()
	admin := AdminURL(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("%s=%s: %v", EnvVar, redact(admin), err)
	}
	defer conn.Close(context.Background())

	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "absorb_scim_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create test database on %s: %v", redact(admin), err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		// WITH (FORCE) ends connections a store left open, so a test that
		// forgot to close its pool leaves no database behind.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("%s: %v", EnvVar, err)
	}
	u.Path = "/" + name
	return u.String()
}

// AdminURL returns ABSORB_SCIM_TEST_POSTGRES, or skips the test when it is
// unset.
func AdminURL(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv(EnvVar)
	if admin == "" {
		tb.Skip(SkipMessage)
	}
	if _, err := pgx.ParseConfig(admin); err != nil {
		tb.Fatalf("%s is not a PostgreSQL URL: %v", EnvVar, err)
	}
	return admin
}

// redact returns u without its password, for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
