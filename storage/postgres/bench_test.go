package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/absorb-scim/absorb-scim/internal/pgtest"
	"github.com/absorb-scim/absorb-scim/storage"
)

const benchUsers = 100_000

// loadUsers writes n users with the rows PutUser would write, through
// COPY: putting them one by one would take most of a benchmark run.
func loadUsers(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var users, emails, walks [][]any
	for i := range n {
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		name := fmt.Sprintf("user%06d@example.com", i)
		res, _ := json.Marshal(map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": name,
			"name":   map[string]string{"givenName": "Given", "familyName": fmt.Sprintf("Family%d", i%977)},
			"emails": []map[string]any{{"value": name, "primary": true, "type": "work"}}, "active": true,
			"externalId": fmt.Sprintf("ext-%d", i), "title": "Learner",
		})
		u := storage.User{ID: id, AbsorbID: fmt.Sprintf("abs-%d", i), UserName: name, ExternalID: fmt.Sprintf("ext-%d", i),
			Emails: []string{name}, Active: true, Resource: res, Created: t0, LastModified: t0.Add(time.Duration(i) * time.Second), Version: 1}
		users = append(users, []any{s.tenant, []byte(u.ID), []byte(u.AbsorbID), []byte(u.UserName), []byte(storage.FoldUserName(u.UserName)),
			[]byte(u.ExternalID), bytesList(u.Emails), u.Active, u.Resource, nanos(u.Created), nanos(u.LastModified), int64(u.Version)})
		emails = append(emails, []any{s.tenant, []byte(storage.FoldCase(name)), []byte(id)})
		for _, k := range storage.UserWalkKeys(u) {
			walks = append(walks, []any{s.tenant, int16(k.Index), k.Key, []byte(id)})
		}
	}
	for _, c := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"users", []string{"tenant", "id", "absorb_id", "user_name", "user_name_key", "external_id", "emails", "active",
			"resource", "created", "last_modified", "version"}, users},
		{"user_emails", []string{"tenant", "email_key", "user_id"}, emails},
		{"user_walk", []string{"tenant", "idx", "key", "user_id"}, walks},
	} {
		if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			b.Fatalf("copy %s: %v", c.table, err)
		}
	}
	if _, err := s.pool.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReads measures the reads behind GET /Users/{id} and
// userName eq: one read transaction with one look-up, against 100,000
// users. The Parallel variants run as many readers as GOMAXPROCS, as a
// replica serving concurrent requests does.
func BenchmarkReads(b *testing.B) {
	s := openTest(b, pgtest.URL(b), Options{})
	loadUsers(b, s, benchUsers)
	id := func(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i) }
	name := func(i int) string { return fmt.Sprintf("USER%06d@example.com", i) }
	byID := func(i int) error {
		return s.View(func(tx storage.Tx) error { _, err := tx.User(id(i)); return err })
	}
	byName := func(i int) error {
		return s.View(func(tx storage.Tx) error { _, err := tx.UserByUserName(name(i)); return err })
	}
	for _, c := range []struct {
		name string
		read func(int) error
	}{{"UserByID", byID}, {"UserByUserName", byName}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if err := c.read(rand.IntN(benchUsers)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
		})
		b.Run(c.name+"Parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := c.read(rand.IntN(benchUsers)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
		})
	}
}

// BenchmarkPutUser measures a create's write: one write transaction
// putting a new user with its email and walk keys, serially and from
// parallel writers.
func BenchmarkPutUser(b *testing.B) {
	s := openTest(b, pgtest.URL(b), Options{})
	var n atomic.Int64
	put := func() error {
		i := n.Add(1)
		return s.Update(func(tx storage.Tx) error {
			return tx.PutUser(storage.User{ID: fmt.Sprintf("u%09d", i), UserName: fmt.Sprintf("user%09d@example.com", i),
				Emails: []string{fmt.Sprintf("user%09d@example.com", i)}, Active: true,
				Resource: json.RawMessage(`{"name":{"givenName":"Given","familyName":"Family"}}`), LastModified: time.Now()})
		})
	}
	b.Run("Serial", func(b *testing.B) {
		for b.Loop() {
			if err := put(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	})
	b.Run("Parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := put(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	})
}

// BenchmarkFillDatabase is not a measurement: it fills the database that
// ABSORB_SCIM_BENCH_FILL_URL names (tenant "default") with the 100,000
// users BenchmarkReads reads, for measuring `serve` on PostgreSQL over
// HTTP (BENCHMARKS.md). It does nothing without the variable.
func BenchmarkFillDatabase(b *testing.B) {
	url := os.Getenv("ABSORB_SCIM_BENCH_FILL_URL")
	if url == "" {
		b.Skip("set ABSORB_SCIM_BENCH_FILL_URL to the database to fill")
	}
	s, err := Open(context.Background(), url, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	loadUsers(b, s, benchUsers)
	for b.Loop() {
	}
}
