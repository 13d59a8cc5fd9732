package bridge_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// An account made in Absorb with a value too long to index is left out of
// the local copy and reported once; the sync does not fail on it.
func TestSyncSkipsAnAccountItCannotStore(t *testing.T) {
	w := newWorld(t)
	admin := w.newClient("auditor")
	long := strings.Repeat("x", 40<<10)
	_, err := admin.CreateUser(context.Background(), absorbapi.User{
		Username: "huge@example.com", Password: "Secret-1234", FirstName: "Huge", LastName: "Value",
		DepartmentID: fakeabsorb.DeptCompanyID, ExternalID: long, IsLearner: true, HasUsername: true,
	})
	if err != nil {
		t.Fatalf("create the account in Absorb: %v", err)
	}
	ok := w.create(userDoc("fine@example.com", "Fine", "User"))
	for pass := range 2 {
		w.sync() // fails the test on an error
		st := w.b.SyncStatus()
		if st.Skipped != 1 || st.LastError != "" {
			t.Fatalf("pass %d: Skipped = %d, LastError = %q; want 1 and none", pass+1, st.Skipped, st.LastError)
		}
	}
	if got := w.get(ok.ID); str(got.Doc, "userName") != "fine@example.com" {
		t.Fatalf("the other user is %v", got.Doc)
	}
}

// Values beyond the limits are refused with 400 before Absorb is called.
func TestLimitsRefuseBeforeAbsorbIsCalled(t *testing.T) {
	w := newWorld(t)
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	w.resetCalls()
	long := strings.Repeat("x", 40<<10)
	_, err := w.patch(jane.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "externalId", Value: long})
	se := scimError(t, err, http.StatusBadRequest)
	if se.ScimType != scimdoc.TypeInvalidValue || !strings.Contains(se.Detail, `"externalId"`) || !strings.Contains(se.Detail, "limit of 256") {
		t.Fatalf("error %v, want invalidValue naming externalId and its limit", se)
	}
	_, err = w.patch(jane.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "add", Path: "emails", Value: []any{map[string]any{"value": long + "@example.com"}}})
	scimError(t, err, http.StatusBadRequest)
	if n := len(w.calls()); n != 0 {
		t.Fatalf("Absorb was called: %v", w.calls())
	}
	rs := w.b.UserSchema()
	if rs.MaxLength("userName") != bridge.MaxIdentifierLength || rs.MaxValues("emails") != bridge.MaxValues {
		t.Fatalf("the user schema's limits are %d and %d", rs.MaxLength("userName"), rs.MaxValues("emails"))
	}

	_, err = w.b.CreateGroup(context.Background(), scimdoc.Document{"displayName": "G"})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := w.b.CreateGroup(context.Background(), scimdoc.Document{"displayName": "H"})
	ops := []scimdoc.Operation{{Op: "replace", Path: "displayName", Value: long}}
	_, err = w.b.PatchGroup(context.Background(), g.ID, scimdoc.Precondition{}, ops)
	scimError(t, err, http.StatusBadRequest)
	members := make([]any, bridge.MaxMembersPerRequest+1)
	for i := range members {
		members[i] = map[string]any{"value": jane.ID}
	}
	_, err = w.b.PatchGroup(context.Background(), g.ID, scimdoc.Precondition{}, []scimdoc.Operation{{Op: "add", Path: "members", Value: members}})
	if se := scimError(t, err, http.StatusBadRequest); !strings.Contains(se.Detail, "limit of 10000") {
		t.Fatalf("error %v, want the members limit", se)
	}
}
