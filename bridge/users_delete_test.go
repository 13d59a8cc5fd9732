package bridge_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/absorb-scim/absorb-scim/scimdoc"
)

func TestDeleteUserDeactivatesAndKeepsTheAccount(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	created := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	absorbID := w.absorbIDOf(created.ID)
	w.resetCalls()

	if err := w.b.DeleteUser(ctx, created.ID, scimdoc.Precondition{IfMatch: created.ETag()}); err != nil {
		t.Fatal(err)
	}
	assertCalls(t, w, onePUT)
	u := w.absorbUser(absorbID)
	if u.ActiveStatus != 1 {
		t.Errorf("activeStatus %d after delete, want 1", u.ActiveStatus)
	}
	if u.FirstName != "Jane" || u.EmailAddress != "jane@example.com" {
		t.Errorf("deactivation changed other fields: %q %q", u.FirstName, u.EmailAddress)
	}
	_, err := w.b.GetUser(ctx, created.ID)
	scimError(t, err, http.StatusNotFound)
	scimError(t, w.b.DeleteUser(ctx, created.ID, scimdoc.Precondition{}), http.StatusNotFound)
	if n := w.counts().Users; n != 0 {
		t.Errorf("%d users stored after delete, want 0", n)
	}

	again := w.create(userDoc("jane@example.com", "Jane", "Again"))
	if again.ID == created.ID {
		t.Errorf("re-created user kept the deleted SCIM id %s", again.ID)
	}
	if got := w.absorbIDOf(again.ID); got != absorbID {
		t.Errorf("re-created user mapped to %s, want the same Absorb account %s", got, absorbID)
	}
	if got := len(w.absorbUsersNamed("jane@example.com")); got != 1 {
		t.Errorf("%d Absorb accounts, want 1", got)
	}
	u = w.absorbUser(absorbID)
	if u.ActiveStatus != 0 || u.LastName != "Again" {
		t.Errorf("re-created account: activeStatus %d lastName %q, want 0 and Again", u.ActiveStatus, u.LastName)
	}
}

func TestDeleteInactiveUserCostsNoCall(t *testing.T) {
	w := newWorld(t)
	created := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	if _, err := w.patch(created.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "active", Value: false}); err != nil {
		t.Fatal(err)
	}
	w.resetCalls()
	if err := w.b.DeleteUser(context.Background(), created.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	assertCalls(t, w, nil)
}

func TestDeleteUserLeavesItsGroups(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	joe := w.create(userDoc("joe@example.com", "Joe", "Doe"))
	g := w.createGroup("Team", jane.ID, joe.ID)

	if err := w.b.DeleteUser(ctx, jane.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if got := memberIDs(t, w, g.ID); len(got) != 1 || got[0] != joe.ID {
		t.Errorf("members %v after deleting jane, want only joe %s", got, joe.ID)
	}
	page, err := w.b.ListGroups(ctx, scimdoc.Query{Filter: parseFilter(t, `members[value eq "`+jane.ID+`"]`), StartIndex: 1, Count: -1}, false)
	if err != nil {
		t.Fatal(err)
	}
	if page.TotalResults != 0 {
		t.Errorf("the deleted user is still found as a member of %d groups", page.TotalResults)
	}
}
