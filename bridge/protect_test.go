package bridge_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// someRoleID is an Absorb admin role id; any role makes an account an
// administrator's.
const someRoleID = "c1000000-0000-4000-8000-000000000001"

// assertAdministratorConflict asserts err is the 409 that names an Absorb
// administrator.
func assertAdministratorConflict(t *testing.T, err error) {
	t.Helper()
	se := scimError(t, err, http.StatusConflict)
	if se.ScimType != scimdoc.TypeUniqueness || !strings.Contains(se.Detail, "belongs to an Absorb administrator") {
		t.Errorf("got %s %q, want uniqueness naming an Absorb administrator", se.ScimType, se.Detail)
	}
}

// absorbWrites counts the writes the fake received.
func absorbWrites(w *world) int {
	n := 0
	for route, c := range w.calls() {
		if !strings.HasPrefix(route, "GET ") && !strings.HasPrefix(route, "POST /authenticate") {
			n += c
		}
	}
	return n
}

func TestAdministratorIsNeverAdopted(t *testing.T) {
	tests := []struct {
		name     string
		userName string
		mirrored bool
		setup    func(w *world)
		// noCalls: refused before Absorb is asked anything.
		noCalls bool
	}{
		{name: "the bridge's own admin", userName: "bridge-admin", noCalls: true},
		{name: "the bridge's own admin in another case", userName: "Bridge-Admin", noCalls: true},
		{name: "another admin, asked of Absorb", userName: "auditor"},
		{name: "another admin, from the local copy", userName: "auditor", mirrored: true},
		{name: "a learner with an admin role", userName: "bob@example.com", setup: func(w *world) {
			w.editInAbsorb(fakeabsorb.UserBobID, func(u *absorbapi.User) { u.RoleIDs = []string{someRoleID} })
		}},
	}
	for _, tt := range tests {
		for _, bulk := range []bool{false, true} {
			name := tt.name
			if bulk {
				name += "/bulk"
			}
			t.Run(name, func(t *testing.T) {
				// With passthrough passwords a create would otherwise set the
				// administrator's password.
				w := newWorld(t, func(c *worldConfig) {
					c.mapping = func(mc *mapping.Config) { mc.Password = mapping.PasswordPassthrough }
				})
				if tt.setup != nil {
					tt.setup(w)
				}
				if tt.mirrored {
					w.sync()
				}
				w.warm()
				before := w.fake.Users()
				w.resetCalls()
				doc := userDoc(tt.userName, "Taken", "Over")
				doc["password"] = "Sup3r-secret-Passw0rd!"
				doc["active"] = false
				var err error
				if bulk {
					results := w.b.Bulk(context.Background(), []bridge.BulkOperation{
						{Method: http.MethodPost, Resource: "User", BulkID: "b1", Doc: w.norm(doc)},
					}, 0)
					err = results[0].Err
				} else {
					_, err = w.b.CreateUser(context.Background(), w.norm(doc))
				}
				assertAdministratorConflict(t, err)
				if n := absorbWrites(w); n != 0 {
					t.Errorf("%d writes sent to Absorb: %v", n, w.calls())
				}
				if tt.noCalls && w.fake.Stats().Total != 0 {
					t.Errorf("asked Absorb %v, want nothing", w.calls())
				}
				if diff := cmp.Diff(before, w.fake.Users(), cmp.AllowUnexported(fakeabsorb.User{})); diff != "" {
					t.Errorf("Absorb changed (-before +after):\n%s", diff)
				}
				if c := w.counts(); c.Users != 0 || c.Intents != 0 {
					t.Errorf("storage holds %d users and %d intents, want none", c.Users, c.Intents)
				}
				if page := w.list(`userName eq "` + tt.userName + `"`); page.TotalResults != 0 {
					t.Errorf("a lookup found %v", userNames(page))
				}
			})
		}
	}
}

func TestLinkedAccountThatBecomesAdministratorIsNotWritten(t *testing.T) {
	// Jane was provisioned as a learner; later an Absorb administrator gives
	// her account an admin role, and the sync folds that in. From then on
	// every SCIM write to her is refused and nothing is sent.
	w := newWorld(t)
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	absorbID := w.absorbIDOf(jane.ID)
	w.editInAbsorb(absorbID, func(u *absorbapi.User) { u.RoleIDs = []string{someRoleID} })
	w.sync()
	before := w.absorbUser(absorbID)
	w.resetCalls()
	ctx := context.Background()

	replacement := scimdoc.DeepCopy(jane.Doc)
	replacement["title"] = "Replaced"
	writes := []struct {
		name string
		run  func() error
	}{
		{"PATCH active false", func() error {
			_, err := w.patch(jane.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "active", Value: false})
			return err
		}},
		{"PATCH that changes nothing Absorb holds", func() error {
			_, err := w.patch(jane.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "active", Value: true})
			return err
		}},
		{"PUT", func() error {
			_, err := w.b.ReplaceUser(ctx, jane.ID, w.norm(replacement), scimdoc.Precondition{})
			return err
		}},
		{"DELETE", func() error { return w.b.DeleteUser(ctx, jane.ID, scimdoc.Precondition{}) }},
		{"bulk PATCH", func() error {
			return w.b.Bulk(ctx, []bridge.BulkOperation{{Method: http.MethodPatch, Resource: "User", ID: jane.ID,
				Patch: []scimdoc.Operation{{Op: "replace", Path: "title", Value: "Bulk"}}}}, 0)[0].Err
		}},
		{"bulk DELETE", func() error {
			return w.b.Bulk(ctx, []bridge.BulkOperation{{Method: http.MethodDelete, Resource: "User", ID: jane.ID}}, 0)[0].Err
		}},
	}
	for _, wr := range writes {
		t.Run(wr.name, func(t *testing.T) {
			assertAdministratorConflict(t, wr.run())
		})
	}
	if n := absorbWrites(w); n != 0 {
		t.Errorf("%d writes sent to Absorb: %v", n, w.calls())
	}
	if diff := cmp.Diff(before, w.absorbUser(absorbID), cmp.AllowUnexported(fakeabsorb.User{})); diff != "" {
		t.Errorf("the account changed (-before +after):\n%s", diff)
	}
	if _, err := w.storedUser(jane.ID); err != nil {
		t.Errorf("the SCIM user is gone: %v", err)
	}
	// A reconcile does not push the SCIM document onto it either.
	w.resetCalls()
	_, _ = w.b.Reconcile(ctx, true)
	if n := absorbWrites(w); n != 0 {
		t.Errorf("reconcile sent %d writes: %v", n, w.calls())
	}
}

func TestRenameOntoTheBridgesOwnAdminIsRefused(t *testing.T) {
	w := newWorld(t)
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	w.resetCalls()
	_, err := w.patch(jane.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "userName", Value: "BRIDGE-ADMIN"})
	assertAdministratorConflict(t, err)
	if n := absorbWrites(w); n != 0 {
		t.Errorf("%d writes sent to Absorb: %v", n, w.calls())
	}
}

func TestGroupRulesLeaveAnAdministratorsAccount(t *testing.T) {
	// Jane is in a ruled group when her account is made an administrator's:
	// the rules neither move nor enroll her, and do not retry for ever.
	w := newWorld(t, withRules(testRules...))
	w.run()
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	absorbID := w.absorbIDOf(jane.ID)
	w.editInAbsorb(absorbID, func(u *absorbapi.User) { u.RoleIDs = []string{someRoleID} })
	w.sync()
	before := w.absorbUser(absorbID)
	sales := w.createGroup("Sales Team")
	w.mustPatchGroup(sales.ID, addMembers(jane.ID))
	w.waitRules()
	if got := w.absorbUser(absorbID).DepartmentID; got != before.DepartmentID {
		t.Errorf("department moved to %s", got)
	}
	if got := w.courses(jane.ID); len(got) != 0 {
		t.Errorf("enrolled in %v", got)
	}
	if st := w.b.RuleStats(); st.Failures != 0 {
		t.Errorf("%d rule failures", st.Failures)
	}
}
