package bridge_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/storage"
)

// appendAudit appends n audit records, each about size bytes, for users
// user0, user1, user2 in turn.
func appendAudit(t *testing.T, store storage.Store, n, size int) {
	t.Helper()
	err := store.Update(func(tx storage.Tx) error {
		for i := range n {
			rec := storage.AuditRecord{Time: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Credential: "okta",
				Operation: "update", ResourceType: "User", UserName: fmt.Sprintf("user%d", i%3), Outcome: "ok",
				Changes: []storage.FieldChange{{Field: "notes", To: strings.Repeat("n", size)}}}
			if _, err := tx.AppendAudit(rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReadAuditOutsideTransactions reads an audit log of several pages
// while the reader, between two records, makes the data file grow (as the
// bridge's writes do while GET /admin/audit streams to a slow client): the
// write does not wait for the reader, and every record is read once, in
// order.
func TestReadAuditOutsideTransactions(t *testing.T) {
	store, err := storage.Open(filepath.Join(t.TempDir(), "absorb-scim.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	const records, grow = 1200, 1000
	appendAudit(t, store, records, 10)

	var seqs []uint64
	grew := false
	err = bridge.ReadAudit(store, bridge.AuditQuery{}, func(r storage.AuditRecord) error {
		seqs = append(seqs, r.Seq)
		if !grew {
			grew = true
			// Several MiB more than the file holds: bbolt must map the
			// file anew, which waits for every open read transaction.
			appendAudit(t, store, grow, 4<<10)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) < records {
		t.Fatalf("read %d records, want at least %d", len(seqs), records)
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("record %d has seq %d, want %d", i, s, i+1)
		}
	}

	var users []string
	err = bridge.ReadAudit(store, bridge.AuditQuery{User: "USER1"}, func(r storage.AuditRecord) error {
		users = append(users, r.UserName)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := thirds(records) + thirds(grow); len(users) != want || users[0] != "user1" {
		t.Errorf("read %d records of user1 (first %q), want %d", len(users), users[0], want)
	}
}

// thirds is how many of n records appendAudit gives user1.
func thirds(n int) int { return (n + 1) / 3 }
