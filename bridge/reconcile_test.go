package bridge_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/storage"
)

// fakeUser returns the fake's copy of an account.
func fakeUser(t *testing.T, f *fakeabsorb.Server, id string) fakeabsorb.User {
	t.Helper()
	for _, u := range f.Users() {
		if u.ID == id {
			return u
		}
	}
	t.Fatalf("no account %s in the fake", id)
	return fakeabsorb.User{}
}

func driftOf(rep bridge.ReconcileReport, kind, userID string) (bridge.Drift, bool) {
	for _, d := range rep.Drift {
		if d.Kind == kind && d.UserID == userID {
			return d, true
		}
	}
	return bridge.Drift{}, false
}

func TestReconcileFixesAnEditMadeBehindTheBridge(t *testing.T) {
	r := newOpsRig(t, false)
	ctx := context.Background()
	res, err := r.b.CreateUser(ctx, opsUserDoc("walt@example.com", "Walt", "Whitman"))
	if err != nil {
		t.Fatal(err)
	}
	var absorbID string
	_ = r.store.View(func(tx storage.Tx) error {
		u, err := tx.User(res.ID)
		absorbID = u.AbsorbID
		return err
	})
	// Someone edits the account in Absorb directly.
	auditor := newFakeClient(t, r.url, fakeabsorb.AuditorUsername)
	acct, err := auditor.GetUser(ctx, absorbID)
	if err != nil {
		t.Fatal(err)
	}
	acct.FirstName = "Walter"
	acct.LastName = "White"
	if _, err := auditor.UpdateUser(ctx, *acct); err != nil {
		t.Fatal(err)
	}
	r.fake.ResetStats()

	rep, err := r.b.Reconcile(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := driftOf(rep, bridge.DriftFields, res.ID)
	if !ok {
		t.Fatalf("no field drift reported: %+v", rep)
	}
	want := []mapping.Change{{Field: "firstName", From: "Walter", To: "Walt"}, {Field: "lastName", From: "White", To: "Whitman"}}
	if diff := cmp.Diff(want, d.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if d.Fixed || rep.Fixed != 0 {
		t.Error("reconcile without fix reports a fix")
	}
	if w := upstreamWrites(r.fake.Stats()); len(w) != 0 {
		t.Errorf("reconcile without fix wrote to Absorb: %v", w)
	}
	if got := fakeUser(t, r.fake, absorbID).FirstName; got != "Walter" {
		t.Errorf("first name in Absorb = %q after a report-only run", got)
	}

	r.fake.ResetStats()
	rep, err = r.b.Reconcile(bridge.WithActor(ctx, bridge.Actor{Credential: "ops", RequestID: "rec-1"}), true)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := driftOf(rep, bridge.DriftFields, res.ID); !ok || !d.Fixed {
		t.Fatalf("drift not fixed: %+v", rep)
	}
	if got := upstreamWrites(r.fake.Stats()); !cmp.Equal(got, map[string]int{"PUT /users/{id}": 1}) {
		t.Errorf("fix sent %v, want one PUT", got)
	}
	u := fakeUser(t, r.fake, absorbID)
	if u.FirstName != "Walt" || u.LastName != "Whitman" {
		t.Errorf("Absorb holds %s %s, want the SCIM truth Walt Whitman", u.FirstName, u.LastName)
	}
	recs := opsAuditRecords(t, r.store)
	last := recs[len(recs)-1]
	if last.Credential != "ops" || last.RequestID != "rec-1" || last.Operation != bridge.OpUpdate {
		t.Errorf("fix audited as %+v", last)
	}
	if c, ok := opsChangeOf(last, "firstName"); !ok || c.From != "Walter" || c.To != "Walt" {
		t.Errorf("fix audited with firstName change %+v, want Walter -> Walt", c)
	}

	rep, err = r.b.Reconcile(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Drift) != 0 {
		t.Errorf("drift left after the fix: %+v", rep.Drift)
	}

	// A field no SCIM attribute maps to changes in Absorb: only the local
	// copy is behind, and the fix refreshes it without a write.
	acct, err = auditor.GetUser(ctx, absorbID)
	if err != nil {
		t.Fatal(err)
	}
	acct.Address2 = "Suite 9"
	if _, err := auditor.UpdateUser(ctx, *acct); err != nil {
		t.Fatal(err)
	}
	r.fake.ResetStats()
	rep, err = r.b.Reconcile(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	d, ok = driftOf(rep, bridge.DriftStaleCopy, res.ID)
	if !ok || !d.Fixed {
		t.Fatalf("no fixed stale-copy drift: %+v", rep.Drift)
	}
	if c := d.Changes; len(c) == 0 || c[0] != (mapping.Change{Field: "address2", From: "", To: "Suite 9"}) {
		t.Errorf("stale-copy changes %+v", c)
	}
	if w := upstreamWrites(r.fake.Stats()); len(w) != 0 {
		t.Errorf("refreshing the local copy wrote to Absorb: %v", w)
	}
	var local string
	_ = r.store.View(func(tx storage.Tx) error {
		a, err := tx.AbsorbUser(absorbID)
		local = string(a.Raw)
		return err
	})
	if !strings.Contains(local, "Suite 9") {
		t.Errorf("local copy not refreshed: %s", local)
	}
}

func TestReconcileReportsMissingAndDuplicateAccounts(t *testing.T) {
	r := newOpsRig(t, false)
	ctx := context.Background()
	kept, err := r.b.CreateUser(ctx, opsUserDoc("vera@example.com", "Vera", "Vance"))
	if err != nil {
		t.Fatal(err)
	}
	// A user whose account is gone: recorded by hand with an id Absorb lacks.
	const goneID = "b0000000-0000-4000-8000-0000000000ee"
	now := time.Now()
	err = r.store.Update(func(tx storage.Tx) error {
		return tx.PutUser(storage.User{ID: "gone-user", AbsorbID: goneID, UserName: "gone@example.com", Active: true,
			Resource: []byte(`{"userName":"gone@example.com","name":{"givenName":"Gone","familyName":"Away"}}`), Created: now, LastModified: now, Version: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	// Vera's account is renamed in Absorb and Carol's takes Vera's username.
	auditor := newFakeClient(t, r.url, fakeabsorb.AuditorUsername)
	var veraAbsorb string
	_ = r.store.View(func(tx storage.Tx) error {
		u, err := tx.User(kept.ID)
		veraAbsorb = u.AbsorbID
		return err
	})
	for _, step := range []struct{ id, username string }{{veraAbsorb, "vera-old@example.com"}, {fakeabsorb.UserCarolID, "vera@example.com"}} {
		acct, err := auditor.GetUser(ctx, step.id)
		if err != nil {
			t.Fatal(err)
		}
		acct.Username = step.username
		if _, err := auditor.UpdateUser(ctx, *acct); err != nil {
			t.Fatal(err)
		}
	}

	rep, err := r.b.Reconcile(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, kind, user string
		fixed            bool
	}{
		{"gone account is flagged and its local copy dropped", bridge.DriftMissing, "gone-user", true},
		{"username taken by another account is only reported", bridge.DriftDuplicateUsername, kept.ID, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, ok := driftOf(rep, tc.kind, tc.user)
			if !ok {
				t.Fatalf("no %s drift for %s: %+v", tc.kind, tc.user, rep.Drift)
			}
			if d.Fixed != tc.fixed {
				t.Errorf("fixed = %v, want %v", d.Fixed, tc.fixed)
			}
		})
	}
	if rep.Users != 2 || rep.Drifted != 2 {
		t.Errorf("users %d drifted %d, want 2 and 2", rep.Users, rep.Drifted)
	}
	if got := fakeUser(t, r.fake, veraAbsorb).Username; got != "vera-old@example.com" {
		t.Errorf("a conflicting username was pushed: Absorb holds %q", got)
	}
}
