package bridge_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// makeByHand creates an account in Absorb as another admin would, after
// the bridge's last sync, and returns its id.
func (w *world) makeByHand(userName string) string {
	w.t.Helper()
	pw := "Made-by-hand-1!"
	made, err := w.newClient("auditor").CreateUser(context.Background(), absorbapi.User{
		Username: userName, FirstName: "Hand", LastName: "Made", Password: pw,
		DepartmentID: fakeabsorb.DeptCompanyID, EmailAddress: userName, IsLearner: true, HasUsername: true,
	})
	if err != nil {
		w.t.Fatalf("create %s by hand: %v", userName, err)
	}
	return made.ID
}

// bulkCreate sends one Bulk request of user POSTs.
func (w *world) bulkCreate(docs ...scimdoc.Document) []bridge.BulkResult {
	w.t.Helper()
	ops := make([]bridge.BulkOperation, len(docs))
	for i, d := range docs {
		ops[i] = bridge.BulkOperation{Method: http.MethodPost, Resource: "User", BulkID: fmt.Sprint("b", i), Doc: w.norm(d)}
	}
	return w.b.Bulk(context.Background(), ops, 0)
}

// madeAfterLookup is an Absorb client on which an account is made by hand
// right after the bridge looks up the usernames of a bulk's creates, as
// another admin could between that look-up and the upload.
type madeAfterLookup struct {
	bridge.Absorb
	make func()
}

func (m *madeAfterLookup) ScanUsers(ctx context.Context, filter string, fn func(absorbapi.User) error) error {
	err := m.Absorb.ScanUsers(ctx, filter, fn)
	if strings.Contains(filter, "username eq") && m.make != nil {
		m.make()
		m.make = nil
	}
	return err
}

func TestBulkCreateRefusesAnAdministratorMadeSinceTheSync(t *testing.T) {
	// The local copy is complete and does not know the account; the upload
	// would overwrite it (it matches by username under either variant).
	for _, variant := range createVariants {
		t.Run(variant, func(t *testing.T) {
			w := newWorld(t, withVariants(variant))
			w.sync()
			w.warm()
			id := w.makeByHand("late-admin@example.com")
			w.editInAbsorb(id, func(u *absorbapi.User) { u.RoleIDs = []string{someRoleID} })
			before := w.absorbUser(id)
			results := w.bulkCreate(userDoc("late-admin@example.com", "Taken", "Over"), userDoc("fresh@example.com", "Fresh", "User"))
			assertAdministratorConflict(t, results[0].Err)
			if results[1].Err != nil {
				t.Fatalf("the other create of the bulk: %v", results[1].Err)
			}
			if diff := cmp.Diff(before, w.absorbUser(id), cmp.AllowUnexported(fakeabsorb.User{})); diff != "" {
				t.Errorf("the administrator's account changed (-before +after):\n%s", diff)
			}
			if c := w.counts(); c.Users != 1 || c.Intents != 0 {
				t.Errorf("storage holds %d users and %d intents, want 1 and 0", c.Users, c.Intents)
			}
		})
	}
}

func TestBulkCreateNeverLinksAnAccountItDidNotMake(t *testing.T) {
	// The account is made after the bridge looked the usernames up, so the
	// upload updates it; the answer is read back and refused as a single
	// create's would be.
	for _, variant := range createVariants {
		t.Run(variant, func(t *testing.T) {
			var w *world
			var id string
			hook := &madeAfterLookup{make: func() {
				w.advance(-3 * time.Hour)
				defer w.advance(3 * time.Hour)
				id = w.makeByHand("late@example.com")
			}}
			w = newWorld(t, withVariants(variant), func(c *worldConfig) {
				c.wrap = func(a bridge.Absorb) bridge.Absorb { hook.Absorb = a; return hook }
			})
			w.sync()
			w.warm()
			results := w.bulkCreate(userDoc("late@example.com", "Taken", "Over"), userDoc("fresh@example.com", "Fresh", "User"))
			if id == "" {
				t.Fatal("the account was not made")
			}
			se := scimError(t, results[0].Err, http.StatusConflict)
			if se.ScimType != scimdoc.TypeUniqueness || !strings.Contains(se.Detail, "did not create a new account") ||
				!strings.Contains(se.Detail, id) || !strings.Contains(se.Detail, "added ") {
				t.Errorf("got %s %q, want uniqueness saying Absorb did not create a new account, naming %s and when it was added", se.ScimType, se.Detail, id)
			}
			if results[1].Err != nil {
				t.Fatalf("the other create of the upload: %v", results[1].Err)
			}
			if c := w.counts(); c.Users != 1 || c.Intents != 0 {
				t.Errorf("storage holds %d users and %d intents, want 1 and 0", c.Users, c.Intents)
			}
			if page := w.list(`userName eq "late@example.com"`); page.TotalResults != 0 {
				t.Errorf("a lookup found %v", userNames(page))
			}
			if diff := cmp.Diff([]string{bridge.OpUpload + " " + id}, warnings(t, w)); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBulkCreateReadsItsAnswersBackInBatches(t *testing.T) {
	for _, variant := range createVariants {
		t.Run(variant, func(t *testing.T) {
			w := newWorld(t, withVariants(variant))
			w.sync()
			w.warm()
			var docs []scimdoc.Document
			for i := range 60 {
				docs = append(docs, userDoc(fmt.Sprintf("batch%02d@example.com", i), "Batch", fmt.Sprint("User", i)))
			}
			w.resetCalls()
			for i, r := range w.bulkCreate(docs...) {
				if r.Err != nil {
					t.Fatalf("create %d: %v", i, r.Err)
				}
				if got := w.absorbUser(w.absorbIDOf(r.Resource.ID)).Username; got != fmt.Sprintf("batch%02d@example.com", i) {
					t.Errorf("create %d linked to %q", i, got)
				}
			}
			calls := w.calls()
			// 60 usernames looked up and 60 answers read back, 50 a read:
			// four reads of GET /users, none by id.
			if calls["GET /users"] != 4 || calls["GET /users/{id}"] != 0 {
				t.Errorf("read Absorb with %v, want four GET /users and no GET /users/{id}", calls)
			}
			if got := warnings(t, w); len(got) != 0 {
				t.Errorf("warnings %v", got)
			}
		})
	}
}

// failingLookup is an Absorb client whose look-ups of usernames meet a
// failing Absorb, while its other requests do not.
type failingLookup struct {
	bridge.Absorb
	fake *fakeabsorb.Server
}

func (f *failingLookup) ScanUsers(ctx context.Context, filter string, fn func(absorbapi.User) error) error {
	if !strings.Contains(filter, "username eq") {
		return f.Absorb.ScanUsers(ctx, filter, fn)
	}
	if err := f.fake.SetFaults("error5xx=1"); err != nil {
		return err
	}
	defer func() { _ = f.fake.SetFaults("") }()
	return f.Absorb.ScanUsers(ctx, filter, fn)
}

func TestBulkCreateIsNotSentWhenItsUsernamesCannotBeLookedUp(t *testing.T) {
	lookup := &failingLookup{}
	w := newWorld(t, func(c *worldConfig) {
		c.wrap = func(a bridge.Absorb) bridge.Absorb { lookup.Absorb = a; return lookup }
	})
	lookup.fake = w.fake
	w.sync()
	w.warm()
	results := w.bulkCreate(userDoc("fresh@example.com", "Fresh", "User"))
	scimError(t, results[0].Err, http.StatusServiceUnavailable)
	for _, r := range allAuditRecords(t, w.store) {
		if r.Operation == bridge.OpUpload {
			t.Errorf("an upload was sent: %+v", r)
		}
	}
	if c := w.counts(); c.Users != 0 || c.Intents != 0 {
		t.Errorf("storage holds %d users and %d intents, want none", c.Users, c.Intents)
	}
}
