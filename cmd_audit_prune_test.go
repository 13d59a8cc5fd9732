package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/storage"
)

// TestAuditPrune: `audit prune -before` deletes the records made before
// the time it names and keeps the others.
func TestAuditPrune(t *testing.T) {
	dataDir := t.TempDir()
	s, err := storage.Open(dbPath(dataDir), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = s.Update(func(tx storage.Tx) error {
		for i, age := range []time.Duration{400 * 24 * time.Hour, 100 * 24 * time.Hour, time.Hour} {
			if _, err := tx.AppendAudit(storage.AuditRecord{Time: now.Add(-age), Credential: "okta", Operation: "update",
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

	out := mustRunCmd(t, "audit", "prune", "-data", dataDir, "-before", "2160h")
	if !strings.Contains(out, "deleted 2 audit records made before ") {
		t.Errorf("prune said %q; want 2 records deleted", out)
	}
	left := mustRunCmd(t, "audit", "-data", dataDir)
	if strings.Contains(left, "user0@") || strings.Contains(left, "user1@") || !strings.Contains(left, "user2@") {
		t.Errorf("records left:\n%s\nwant only user2's", left)
	}
	if _, _, err := runCmd(t, "audit", "prune", "-data", dataDir); err == nil {
		t.Error("prune without -before succeeded")
	}
	if _, _, err := runCmd(t, "audit", "prune", "-data", dataDir, "-before", "last week"); err == nil {
		t.Error("prune with an unreadable -before succeeded")
	}
}
