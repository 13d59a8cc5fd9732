package bridge_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// eventsOf lists a trace's history as "kind operation credential".
func eventsOf(tr bridge.Trace) []string {
	var out []string
	for _, e := range tr.History {
		out = append(out, e.Kind+" "+e.Operation+" "+e.Credential)
	}
	return out
}

func changeIn(e bridge.TraceEvent, field string) (bridge.TraceChange, bool) {
	for _, c := range e.Changes {
		if c.Field == field {
			return c, true
		}
	}
	return bridge.TraceChange{}, false
}

func TestTraceTellsWhatHappenedToOnePerson(t *testing.T) {
	w := newWorld(t, withRules(testRules...), withLimit(1, time.Hour))
	w.run()
	okta := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta", RequestID: "r1"})
	doc := userDoc("jane@example.com", "Jane", "Doe")
	doc["externalId"] = "ext-jane"
	doc["emails"] = []any{map[string]any{"value": "jane.doe@mail.example", "type": "work", "primary": true}}
	jane, err := w.b.CreateUser(okta, w.norm(doc))
	if err != nil {
		t.Fatal(err)
	}
	other := w.create(userDoc("other@example.com", "Other", "Person"))
	absorbID := w.absorbIDOf(jane.ID)
	if _, err := w.b.PatchUser(okta, jane.ID, scimdoc.Precondition{}, []scimdoc.Operation{{Op: "replace", Path: "title", Value: "Engineer"}}); err != nil {
		t.Fatal(err)
	}
	g := w.createGroup("Security Training")
	w.mustPatchGroup(g.ID, addMembers(jane.ID, other.ID))
	w.waitRules()
	w.mustPatchGroup(g.ID, removeMembers(jane.ID))
	w.waitRules()
	w.advance(2 * time.Second)
	w.editInAbsorb(absorbID, func(u *absorbapi.User) { u.LastName = "Doe-Smith" })
	w.sync()
	w.deactivate(okta, other.ID) // the one deactivation the brake lets through
	w.deactivate(okta, jane.ID)  // held

	for _, key := range []string{"jane@example.com", "JANE@example.com", "jane.doe@mail.example", "ext-jane", jane.ID, absorbID} {
		t.Run(key, func(t *testing.T) {
			tr, err := w.b.Trace(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			if tr.User == nil || tr.User.ID != jane.ID || tr.User.Active {
				t.Fatalf("trace user %+v, want jane, inactive", tr.User)
			}
			if tr.Link != (bridge.TraceLink{SCIMID: jane.ID, AbsorbID: absorbID, Linked: true}) {
				t.Errorf("link %+v", tr.Link)
			}
			var account absorbapi.User
			if err := json.Unmarshal(tr.Absorb, &account); err != nil || account.ID != absorbID || !account.Active() || account.LastName != "Doe-Smith" {
				t.Errorf("absorb account %s (%v): want the local copy, active, with the Absorb edit", tr.Absorb, err)
			}
			if len(tr.Groups) != 0 {
				t.Errorf("groups %+v, want none after leaving", tr.Groups)
			}
			if tr.Hold == nil || tr.Hold.ID != jane.ID {
				t.Errorf("hold %+v, want jane's", tr.Hold)
			}
			got := eventsOf(tr)
			want := []string{
				"absorbWrite create okta", "request scim-create okta",
				"absorbWrite update okta", "request scim-update okta",
				// the app runs rules as ActorRules, and group writes as the IdP's credential
				"request scim-membership " + bridge.ActorBackground, "rule enroll " + bridge.ActorBackground,
				"request scim-membership " + bridge.ActorBackground, "rule unenroll " + bridge.ActorBackground,
				"sync sync " + bridge.ActorSync,
				"hold hold okta", "request scim-update okta",
			}
			if !slices.Equal(got, want) {
				t.Fatalf("history\n got %q\nwant %q", got, want)
			}
			for i := 1; i < len(tr.History); i++ {
				if tr.History[i].Seq <= tr.History[i-1].Seq {
					t.Errorf("history out of order at %d", i)
				}
			}
			if c, ok := changeIn(tr.History[3], "title"); !ok || c.From != "" || c.To != "Engineer" {
				t.Errorf("request change %+v, want title → Engineer", tr.History[3].Changes)
			}
			if c, ok := changeIn(tr.History[2], "jobTitle"); !ok || c.To != "Engineer" {
				t.Errorf("absorb write changes %+v, want jobTitle → Engineer", tr.History[2].Changes)
			}
			if c, ok := changeIn(tr.History[8], "name.familyName"); !ok || c.From != "Doe" || c.To != "Doe-Smith" {
				t.Errorf("sync changes %+v, want name.familyName Doe → Doe-Smith", tr.History[8].Changes)
			}
			if c, ok := changeIn(tr.History[6], "group"); !ok || c.From != "Security Training ("+g.ID+")" || c.To != "" {
				t.Errorf("leaving the group: %+v", tr.History[6].Changes)
			}
			if e := tr.History[7]; e.SCIMID != jane.ID || e.AbsorbID != absorbID || e.UserName != "jane@example.com" {
				t.Errorf("unenroll record names %q %q %q, want jane", e.SCIMID, e.AbsorbID, e.UserName)
			}
			if c, ok := changeIn(tr.History[10], "active"); !ok || c.From != "true" || c.To != "false" {
				t.Errorf("held request changes %+v, want active true → false", tr.History[10].Changes)
			}
		})
	}

	// Other's history is its own.
	tr, err := w.b.Trace(context.Background(), "other@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tr.History {
		if e.SCIMID == jane.ID {
			t.Errorf("other's trace holds jane's event %+v", e)
		}
	}

	// A deleted user is still traced, by userName, from the audit log.
	if _, err := w.b.ReleaseHolds(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := w.b.DeleteUser(okta, jane.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	tr, err = w.b.Trace(context.Background(), "jane@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if tr.User != nil || tr.Link.AbsorbID != absorbID || tr.Link.Linked {
		t.Errorf("deleted user's trace: user %+v link %+v", tr.User, tr.Link)
	}
	if got := eventsOf(tr); len(got) < 3 || got[len(got)-1] != "request scim-delete okta" ||
		!slices.Contains(got, "hold release "+bridge.ActorBackground) {
		t.Errorf("deleted user's history ends %q", got)
	}

	_, err = w.b.Trace(context.Background(), "nobody@example.com")
	scimError(t, err, http.StatusNotFound)
	_, err = w.b.Trace(context.Background(), " ")
	scimError(t, err, http.StatusBadRequest)
}

func TestTraceOfASharedExternalIDIsAmbiguous(t *testing.T) {
	w := newWorld(t)
	// The second user takes the externalId by an update: a create naming
	// an externalId another account holds is refused, and a portal that
	// upserts by externalId would have given it the first one's account.
	w.create(withExternalID(userDoc("a@example.com", "Same", "Ext"), "shared"))
	b := w.create(withExternalID(userDoc("b@example.com", "Same", "Ext"), "own"))
	if _, err := w.patch(b.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "externalId", Value: "shared"}); err != nil {
		t.Fatalf("patch externalId: %v", err)
	}
	_, err := w.b.Trace(context.Background(), "shared")
	se := scimError(t, err, http.StatusConflict)
	if !strings.Contains(se.Detail, "a@example.com") || !strings.Contains(se.Detail, "b@example.com") {
		t.Errorf("detail %q does not name both users", se.Detail)
	}
}

func withExternalID(doc scimdoc.Document, externalID string) scimdoc.Document {
	doc["externalId"] = externalID
	return doc
}

// The trace reads the store alone: a stopped bridge's file, opened
// read-only, answers the same.
func TestTraceFromAStoppedBridgesFile(t *testing.T) {
	w := newWorld(t)
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	live, err := w.b.Trace(context.Background(), jane.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := storage.Open(w.dbPath, storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	stopped, err := bridge.TraceStore(ro, "jane@example.com")
	ro.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(live.History) == 0 {
		t.Fatal("the live trace has no history")
	}
	stopped.Query = live.Query
	a, _ := json.Marshal(live)
	b, _ := json.Marshal(stopped)
	if string(a) != string(b) {
		t.Errorf("traces differ:\nlive    %s\nstopped %s", a, b)
	}
	w.store = w.openStore() // for the world's own cleanup
}

// Requests that arrive in a bulk request are in the history as well.
func TestTraceOfBulkWrites(t *testing.T) {
	w := newWorld(t)
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "entra", RequestID: "bulk-1"})
	res := w.b.Bulk(ctx, []bridge.BulkOperation{createOp("bulk@example.com")}, 0)
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("bulk create: %+v", res)
	}
	id := res[0].Resource.ID
	setTitle := []scimdoc.Operation{{Op: "replace", Path: "title", Value: "Bulk title"}}
	res = w.b.Bulk(ctx, []bridge.BulkOperation{{Method: http.MethodPatch, Resource: "User", ID: id, Patch: setTitle}}, 0)
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("bulk patch: %+v", res)
	}
	tr, err := w.b.Trace(context.Background(), "bulk@example.com")
	if err != nil {
		t.Fatal(err)
	}
	var requests []bridge.TraceEvent
	for _, e := range tr.History {
		if e.Kind == bridge.EventRequest {
			requests = append(requests, e)
		}
	}
	if len(requests) != 2 || requests[0].Operation != bridge.OpSCIMCreate || requests[1].Operation != bridge.OpSCIMUpdate ||
		requests[1].Credential != "entra" || requests[1].RequestID != "bulk-1" {
		t.Fatalf("bulk requests in the history: %+v", requests)
	}
	if c, ok := changeIn(requests[1], "title"); !ok || c.From != "" || c.To != "Bulk title" {
		t.Errorf("bulk PATCH changes %+v, want title → Bulk title", requests[1].Changes)
	}
}
