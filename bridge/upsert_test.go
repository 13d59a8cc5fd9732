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

// createVariants are the ways Absorb may answer POST /users for a username
// or externalId an account holds.
var createVariants = []string{"create=strict", "create=upsert"}

// withVariants makes the fake play the given variants.
func withVariants(spec string) func(*worldConfig) {
	return func(c *worldConfig) {
		prev := c.fake
		c.fake = func(o *fakeabsorb.Options) {
			if prev != nil {
				prev(o)
			}
			v, err := fakeabsorb.ParseVariants(spec)
			if err != nil {
				panic(err)
			}
			o.Variants = v
		}
	}
}

// salesDoc is a user the scoped admin may create: in its Sales department.
func salesDoc(userName, externalID string) scimdoc.Document {
	doc := userDoc(userName, "Sales", "Person")
	doc[mapping.EnterpriseURN] = map[string]any{"department": "Sales"}
	if externalID != "" {
		doc["externalId"] = externalID
	}
	return doc
}

// warnings returns the audit records of writes Absorb applied to an account
// the bridge did not choose.
func warnings(t *testing.T, w *world) []string {
	t.Helper()
	var out []string
	for _, r := range allAuditRecords(t, w.store) {
		if r.Outcome == bridge.OutcomeWarning {
			out = append(out, r.Operation+" "+r.AbsorbID)
		}
	}
	return out
}

func TestCreateRefusesAnExternalIDAnotherAccountHolds(t *testing.T) {
	// Bob's account holds externalId emp-1002. A create of another user with
	// it would rename Bob's account under create=upsert; under either
	// variant it is refused, naming Bob, before anything is sent.
	for _, variant := range createVariants {
		for _, bulk := range []bool{false, true} {
			name := variant
			if bulk {
				name += "/bulk"
			}
			t.Run(name, func(t *testing.T) {
				w := newWorld(t, withVariants(variant))
				w.warm()
				before := w.fake.Users()
				doc := w.norm(userDoc("newbie@example.com", "New", "Bie"))
				doc["externalId"] = "emp-1002"
				var err error
				if bulk {
					err = w.b.Bulk(context.Background(), []bridge.BulkOperation{{Method: http.MethodPost, Resource: "User", Doc: doc}}, 0)[0].Err
				} else {
					_, err = w.b.CreateUser(context.Background(), doc)
				}
				se := scimError(t, err, http.StatusConflict)
				if se.ScimType != scimdoc.TypeUniqueness || !strings.Contains(se.Detail, `"bob@example.com"`) {
					t.Errorf("got %s %q, want uniqueness naming bob@example.com", se.ScimType, se.Detail)
				}
				if diff := cmp.Diff(before, w.fake.Users(), cmp.AllowUnexported(fakeabsorb.User{})); diff != "" {
					t.Errorf("Absorb changed (-before +after):\n%s", diff)
				}
				if c := w.counts(); c.Users != 0 || c.Intents != 0 {
					t.Errorf("storage holds %d users and %d intents, want none", c.Users, c.Intents)
				}
			})
		}
	}
}

func TestCreateAdoptsByUserNameUnderEitherVariant(t *testing.T) {
	for _, variant := range createVariants {
		t.Run(variant, func(t *testing.T) {
			w := newWorld(t, withVariants(variant))
			doc := userDoc("bob@example.com", "Bob", "Brown")
			doc["externalId"] = "emp-1002"
			res := w.create(doc)
			if got := w.absorbIDOf(res.ID); got != fakeabsorb.UserBobID {
				t.Errorf("linked %s, want Bob's account", got)
			}
			if n := w.calls()["POST /users"]; n != 0 {
				t.Errorf("POST /users sent %d times, want 0: the adoption is an update", n)
			}
			if got := warnings(t, w); len(got) != 0 {
				t.Errorf("warnings %v", got)
			}
		})
	}
}

func TestCreateOverAHiddenAccount(t *testing.T) {
	// The scoped admin cannot see Carol (Support). A create of her username
	// is refused by a strict Absorb; an upserting Absorb updates her account
	// instead, which the bridge tells from the answer: 409, a warning in the
	// audit log, and no link.
	tests := []struct {
		name       string
		doc        scimdoc.Document
		strictOK   bool   // strict Absorb creates a new account
		strictWant string // else the 409's detail holds this
	}{
		{"by username", salesDoc("carol@example.com", ""), false, "outside the department scope"},
		{"by externalId", salesDoc("fresh@example.com", "emp-1003"), true, ""},
	}
	for _, tt := range tests {
		for _, variant := range createVariants {
			t.Run(tt.name+"/"+variant, func(t *testing.T) {
				w := newWorld(t, asAdmin("scoped-admin"), withVariants(variant))
				res, err := w.b.CreateUser(context.Background(), w.norm(tt.doc))
				if variant == "create=strict" && tt.strictOK {
					if err != nil {
						t.Fatalf("create: %v", err)
					}
					if got := w.absorbIDOf(res.ID); got == fakeabsorb.UserCarolID {
						t.Errorf("linked Carol's account")
					}
					if got := w.absorbUser(fakeabsorb.UserCarolID).Username; got != "carol@example.com" {
						t.Errorf("Carol's account renamed to %q", got)
					}
					return
				}
				se := scimError(t, err, http.StatusConflict)
				want := tt.strictWant
				if variant == "create=upsert" {
					want = "did not create a new account"
				}
				if se.ScimType != scimdoc.TypeUniqueness || !strings.Contains(se.Detail, want) {
					t.Errorf("got %s %q, want uniqueness saying %q", se.ScimType, se.Detail, want)
				}
				if c := w.counts(); c.Users != 0 || c.Intents != 0 {
					t.Errorf("storage holds %d users and %d intents, want none", c.Users, c.Intents)
				}
				wantWarnings := []string(nil)
				if variant == "create=upsert" {
					wantWarnings = []string{bridge.OpCreate + " " + fakeabsorb.UserCarolID}
				}
				if diff := cmp.Diff(wantWarnings, warnings(t, w)); diff != "" {
					t.Errorf("warnings (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestCreateOverAnAccountTheLocalCopyKnowsByAnotherName(t *testing.T) {
	// Jane's account is renamed in Absorb after the last sync; the local
	// copy still knows it as jane. A create of its new username must not
	// link it to a second SCIM user.
	for _, variant := range createVariants {
		for _, bulk := range []bool{false, true} {
			name := variant
			if bulk {
				name += "/bulk" // an upload updates the holder of a username under either variant
			}
			t.Run(name, func(t *testing.T) {
				w := newWorld(t, withVariants(variant))
				jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
				absorbID := w.absorbIDOf(jane.ID)
				w.sync()
				w.editInAbsorb(absorbID, func(u *absorbapi.User) { u.Username = "jd@example.com" })
				doc := w.norm(userDoc("jd@example.com", "Other", "Person"))
				var err error
				if bulk {
					err = w.b.Bulk(context.Background(), []bridge.BulkOperation{{Method: http.MethodPost, Resource: "User", Doc: doc}}, 0)[0].Err
				} else {
					_, err = w.b.CreateUser(context.Background(), doc)
				}
				se := scimError(t, err, http.StatusConflict)
				if !bulk && !strings.Contains(se.Detail, jane.ID) {
					t.Errorf("detail %q does not name user %s", se.Detail, jane.ID)
				}
				if c := w.counts(); c.Users != 1 || c.Intents != 0 {
					t.Errorf("storage holds %d users and %d intents, want 1 and 0", c.Users, c.Intents)
				}
				if got := w.absorbIDOf(jane.ID); got != absorbID {
					t.Errorf("jane now linked to %s, want %s", got, absorbID)
				}
			})
		}
	}
}

func TestCreateChecksAnAccountMadeSinceTheSync(t *testing.T) {
	// The local copy is complete and does not know the account, made by
	// another admin since the last sync. On an upserting portal the POST
	// would update it before its answer could be checked, so a create the
	// bridge is not told is strict asks Absorb first and treats the account
	// as a known one: an administrator's is refused untouched, a learner's
	// adopted, a taken externalId refused.
	for _, behaviour := range []string{"", "unknown", "upsert"} {
		t.Run("admin/"+behaviour, func(t *testing.T) {
			w := newWorld(t, withVariants("create=upsert"), createBehaviour(behaviour))
			w.sync()
			id := w.makeByHand("late-admin@example.com")
			w.editInAbsorb(id, func(u *absorbapi.User) { u.RoleIDs = []string{someRoleID} })
			before := w.absorbUser(id)
			w.resetCalls()
			_, err := w.b.CreateUser(context.Background(), w.norm(userDoc("late-admin@example.com", "Taken", "Over")))
			assertAdministratorConflict(t, err)
			if diff := cmp.Diff(before, w.absorbUser(id), cmp.AllowUnexported(fakeabsorb.User{})); diff != "" {
				t.Errorf("the administrator's account changed (-before +after):\n%s", diff)
			}
			if n := absorbWrites(w); n != 0 {
				t.Errorf("%d writes sent to Absorb (%v), want none", n, w.calls())
			}
			if c := w.counts(); c.Users != 0 || c.Intents != 0 {
				t.Errorf("storage holds %d users and %d intents, want none", c.Users, c.Intents)
			}
		})
		t.Run("learner/"+behaviour, func(t *testing.T) {
			w := newWorld(t, withVariants("create=upsert"), createBehaviour(behaviour))
			w.sync()
			id := w.makeByHand("late@example.com")
			w.resetCalls()
			res := w.create(userDoc("late@example.com", "Late", "Comer"))
			if got := w.absorbIDOf(res.ID); got != id {
				t.Errorf("linked %s, want the account made by hand %s", got, id)
			}
			if n := w.calls()["POST /users"]; n != 0 {
				t.Errorf("POST /users sent %d times, want 0: the adoption is an update", n)
			}
			accounts := w.absorbUsersNamed("late@example.com")
			if len(accounts) != 1 || accounts[0].Username != "late@example.com" {
				t.Errorf("Absorb holds %v, want the one account, its username unchanged", accounts)
			}
			if got := warnings(t, w); len(got) != 0 {
				t.Errorf("warnings %v", got)
			}
		})
		t.Run("externalId/"+behaviour, func(t *testing.T) {
			w := newWorld(t, withVariants("create=upsert"), createBehaviour(behaviour))
			w.sync()
			id := w.makeByHand("holder@example.com")
			w.editInAbsorb(id, func(u *absorbapi.User) { u.ExternalID = "emp-late" })
			before := w.fake.Users()
			doc := userDoc("other@example.com", "Other", "Person")
			doc["externalId"] = "emp-late"
			_, err := w.b.CreateUser(context.Background(), w.norm(doc))
			se := scimError(t, err, http.StatusConflict)
			if se.ScimType != scimdoc.TypeUniqueness || !strings.Contains(se.Detail, `"holder@example.com"`) {
				t.Errorf("got %s %q, want uniqueness naming holder@example.com", se.ScimType, se.Detail)
			}
			if diff := cmp.Diff(before, w.fake.Users(), cmp.AllowUnexported(fakeabsorb.User{})); diff != "" {
				t.Errorf("Absorb changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestStrictCreateAsksAbsorbNothingButThePost(t *testing.T) {
	// On a portal known to refuse a taken username, a create the complete
	// local copy knows nothing of sends POST /users without a look-up; one
	// not known to be strict looks the username and externalId up first.
	// After the POST, only a portal that may upsert is asked for the
	// account it answered with.
	for _, tt := range []struct {
		behaviour   string
		wantLookups int
		wantReads   int
	}{{bridge.CreateStrict, 0, 0}, {"", 2, 1}, {"upsert", 2, 1}} {
		t.Run("behaviour="+tt.behaviour, func(t *testing.T) {
			w := newWorld(t, createBehaviour(tt.behaviour))
			w.sync()
			w.create(userDoc("first@example.com", "First", "User")) // resolves the default department
			w.resetCalls()
			doc := userDoc("fresh@example.com", "Fresh", "User")
			doc["externalId"] = "emp-fresh"
			w.create(doc)
			if got := w.calls()["GET /users"]; got != tt.wantLookups {
				t.Errorf("GET /users sent %d times before the create, want %d (calls %v)", got, tt.wantLookups, w.calls())
			}
			if got := w.calls()["POST /users"]; got != 1 {
				t.Errorf("POST /users sent %d times, want 1", got)
			}
			if got := w.calls()["GET /users/{id}"]; got != tt.wantReads {
				t.Errorf("GET /users/{id} sent %d times after the create, want %d (calls %v)", got, tt.wantReads, w.calls())
			}
		})
	}
}
