package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
	"github.com/google/go-cmp/cmp"
)

// idpPassword is a password an IdP sends; with the default mapping it is
// ignored and a generated one is sent instead.
const idpPassword = "Okta-Placeholder-Pw-91!"

// passwordRecorder passes every call to the real Absorb client and keeps
// the passwords the bridge sends, so a test can look for them where they
// must never be.
type passwordRecorder struct {
	bridge.Absorb
	mu        sync.Mutex
	passwords []string
}

func (r *passwordRecorder) CreateUser(ctx context.Context, u absorbapi.User) (*absorbapi.User, error) {
	r.keep(u.Password)
	return r.Absorb.CreateUser(ctx, u)
}

func (r *passwordRecorder) UpdateUser(ctx context.Context, u absorbapi.User) (*absorbapi.User, error) {
	r.keep(u.Password)
	return r.Absorb.UpdateUser(ctx, u)
}

func (r *passwordRecorder) keep(pw string) {
	if pw != "" {
		r.mu.Lock()
		r.passwords = append(r.passwords, pw)
		r.mu.Unlock()
	}
}

func TestCreateUserMapsFieldsAndNeverKeepsThePassword(t *testing.T) {
	rec := &passwordRecorder{}
	var logs bytes.Buffer
	w := newWorld(t, func(c *worldConfig) {
		c.wrap = func(a bridge.Absorb) bridge.Absorb { rec.Absorb = a; return rec }
		c.log = &logs
	})
	w.warm()
	w.resetCalls()
	doc := userDoc("jane@example.com", "Jane", "Doe")
	doc["externalId"] = "ext-jane"
	doc["title"] = "Engineer"
	doc["password"] = idpPassword
	doc["phoneNumbers"] = []any{map[string]any{"value": "+1 555 0100", "type": "work"}}
	doc[mapping.EnterpriseURN] = map[string]any{"employeeNumber": "E-77"}
	doc["schemas"] = []any{mapping.UserURN, mapping.EnterpriseURN}

	res := w.create(doc)

	if res.ID == "" || res.Version != 1 {
		t.Fatalf("resource id %q version %d, want an id and version 1", res.ID, res.Version)
	}
	if _, ok := res.Doc["password"]; ok {
		t.Errorf("the created resource carries a password")
	}
	accounts := w.absorbUsersNamed("jane@example.com")
	if len(accounts) != 1 {
		t.Fatalf("%d Absorb accounts named jane@example.com, want 1", len(accounts))
	}
	got := accounts[0]
	if got.ID == res.ID {
		t.Errorf("the SCIM id is the Absorb id %s", got.ID)
	}
	if w.absorbIDOf(res.ID) != got.ID {
		t.Errorf("mapping holds Absorb id %s, want %s", w.absorbIDOf(res.ID), got.ID)
	}
	type fields struct {
		First, Last, Email, ExternalID, Title, Phone, Employee, Dept string
		Status                                                       int
		Learner                                                      bool
	}
	want := fields{"Jane", "Doe", "jane@example.com", "ext-jane", "Engineer", "+1 555 0100", "E-77", fakeabsorb.DeptCompanyID, 0, true}
	have := fields{got.FirstName, got.LastName, got.EmailAddress, got.ExternalID, got.JobTitle, got.Phone, got.EmployeeNumber, got.DepartmentID, got.ActiveStatus, got.IsLearner}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("Absorb user (-want +got):\n%s", diff)
	}
	if n := w.calls()["POST /users"]; n != 1 {
		t.Errorf("POST /users sent %d times, want 1", n)
	}

	// One generated password was sent, not the IdP's; it is neither stored
	// nor returned nor logged: not in any decoded record, not in the file's
	// bytes, not in the log.
	if len(rec.passwords) != 1 {
		t.Fatalf("%d passwords sent, want 1", len(rec.passwords))
	}
	generated := rec.passwords[0]
	if generated == idpPassword || len(generated) < 16 {
		t.Errorf("sent password of %d characters, the IdP's: %v", len(generated), generated == idpPassword)
	}
	secrets := [][]byte{[]byte(generated), []byte(idpPassword)}
	if containsAny(logs.Bytes(), secrets) {
		t.Errorf("the log holds a password")
	}
	if logs.Len() == 0 {
		t.Errorf("nothing was logged; the log check proves nothing")
	}
	again := w.get(res.ID)
	if _, ok := again.Doc["password"]; ok {
		t.Errorf("GetUser returns a password")
	}
	err := w.store.View(func(tx storage.Tx) error {
		if err := tx.ForEachUser("", func(u storage.User) (bool, error) {
			if bytes.Contains(bytes.ToLower(u.Resource), []byte("password")) || containsAny(u.Resource, secrets) {
				t.Errorf("stored user %s holds a password: %s", u.ID, u.Resource)
			}
			return true, nil
		}); err != nil {
			return err
		}
		if err := tx.ForEachIntent(func(in storage.Intent) (bool, error) {
			t.Errorf("intent %s left after a successful create", in.Key)
			return true, nil
		}); err != nil {
			return err
		}
		return tx.ForEachAbsorbUser(func(a storage.AbsorbUser) (bool, error) {
			if bytes.Contains(bytes.ToLower(a.Raw), []byte(`"password"`)) || containsAny(a.Raw, secrets) {
				t.Errorf("stored Absorb copy %s holds a password: %s", a.ID, a.Raw)
			}
			return true, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(w.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if containsAny(raw, secrets) {
		t.Errorf("the storage file holds a password")
	}
}

func containsAny(b []byte, subs [][]byte) bool {
	for _, s := range subs {
		if bytes.Contains(b, s) {
			return true
		}
	}
	return false
}

func TestCreateUserGeneratesAcceptedPasswords(t *testing.T) {
	// Each create carries a fresh generated password; the fake refuses any
	// that misses its strong policy, so twenty creates all succeeding shows
	// the generator meets it every time.
	w := newWorld(t)
	for i := range 20 {
		name := "pw" + string(rune('a'+i)) + "@example.com"
		w.create(userDoc(name, "Pass", "Word"))
	}
	if got := w.counts().Users; got != 20 {
		t.Fatalf("%d users stored, want 20", got)
	}
}

func TestCreateUserAdoptsExistingAccount(t *testing.T) {
	tests := []struct {
		name     string
		absorbID string
		userName string
		mirrored bool // a full sync ran first
	}{
		{"active account, before the full sync", fakeabsorb.UserAliceID, "alice@example.com", false},
		{"active account, after the full sync", fakeabsorb.UserAliceID, "alice@example.com", true},
		{"userName in another case", fakeabsorb.UserAliceID, "Alice@Example.COM", false},
		{"inactive account is reactivated", fakeabsorb.UserDaveID, "dave@example.com", false},
		{"inactive account after the full sync", fakeabsorb.UserDaveID, "dave@example.com", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.mirrored {
				w.sync()
			}
			before := len(w.fake.Users())
			before1 := w.absorbUser(tt.absorbID)
			w.resetCalls()

			doc := userDoc(tt.userName, "Adopted", "Person")
			doc["title"] = "Adoptee"
			res := w.create(doc)

			if got := len(w.fake.Users()); got != before {
				t.Errorf("%d Absorb users after adoption, want %d (no new account)", got, before)
			}
			if n := w.calls()["POST /users"]; n != 0 {
				t.Errorf("POST /users sent %d times on adoption, want 0", n)
			}
			if got := w.absorbIDOf(res.ID); got != tt.absorbID {
				t.Errorf("mapped to Absorb id %s, want %s", got, tt.absorbID)
			}
			u := w.absorbUser(tt.absorbID)
			if u.FirstName != "Adopted" || u.LastName != "Person" || u.JobTitle != "Adoptee" {
				t.Errorf("Absorb user not updated: %q %q %q", u.FirstName, u.LastName, u.JobTitle)
			}
			if u.ActiveStatus != 0 {
				t.Errorf("activeStatus %d, want 0 (active)", u.ActiveStatus)
			}
			if u.DepartmentID != before1.DepartmentID {
				t.Errorf("department moved from %s to %s though the user names none", before1.DepartmentID, u.DepartmentID)
			}
			if str(res.Doc, "userName") != tt.userName {
				t.Errorf("resource userName %q, want %q", str(res.Doc, "userName"), tt.userName)
			}
		})
	}
}

func TestCreateUserTwiceIsAConflict(t *testing.T) {
	w := newWorld(t)
	first := w.create(userDoc("kim@example.com", "Kim", "Lee"))
	for _, name := range []string{"kim@example.com", "KIM@example.com", " kim@example.com "} {
		t.Run(name, func(t *testing.T) {
			w.resetCalls()
			_, err := w.b.CreateUser(context.Background(), w.norm(userDoc(name, "Kim", "Lee")))
			se := scimError(t, err, http.StatusConflict)
			if se.ScimType != scimdoc.TypeUniqueness {
				t.Errorf("scimType %q, want uniqueness", se.ScimType)
			}
			if !strings.Contains(se.Detail, first.ID) {
				t.Errorf("detail %q does not name the holder %s", se.Detail, first.ID)
			}
			if n := w.fake.Stats().Total; n != 0 {
				t.Errorf("%d upstream calls for a local conflict, want 0", n)
			}
		})
	}
	if got := len(w.absorbUsersNamed("kim@example.com")); got != 1 {
		t.Errorf("%d Absorb accounts, want 1", got)
	}
}

func TestCreateUserOutsideAdminScopeIsAConflict(t *testing.T) {
	for _, mirrored := range []bool{false, true} {
		t.Run(fmt.Sprintf("after a full sync %v", mirrored), func(t *testing.T) {
			testCreateOutsideScope(t, mirrored)
		})
	}
}

func testCreateOutsideScope(t *testing.T, mirrored bool) {
	w := newWorld(t, asAdmin("scoped-admin"))
	if mirrored {
		w.sync()
	}
	before := w.absorbUser(fakeabsorb.UserAliceID)
	total := len(w.fake.Users())

	doc := userDoc("alice@example.com", "Alice", "Again")
	doc[mapping.EnterpriseURN] = map[string]any{"department": "Sales"}
	_, err := w.b.CreateUser(context.Background(), w.norm(doc))

	se := scimError(t, err, http.StatusConflict)
	if se.ScimType != scimdoc.TypeUniqueness {
		t.Errorf("scimType %q, want uniqueness", se.ScimType)
	}
	if got := len(w.fake.Users()); got != total {
		t.Errorf("%d Absorb users, want %d", got, total)
	}
	if w.upserts() {
		// A portal that upserts has already changed the hidden account when
		// it answers: the bridge can only say so, and link nothing.
		if !strings.Contains(se.Detail, "did not create a new account") {
			t.Errorf("detail %q does not say Absorb updated an existing account", se.Detail)
		}
	} else {
		if !strings.Contains(se.Detail, "outside the department scope") {
			t.Errorf("detail %q does not say the account is outside the admin's scope", se.Detail)
		}
		if diff := cmp.Diff(before, w.absorbUser(fakeabsorb.UserAliceID), cmp.AllowUnexported(fakeabsorb.User{})); diff != "" {
			t.Errorf("Alice changed (-before +after):\n%s", diff)
		}
	}
	c := w.counts()
	if c.Users != 0 || c.Intents != 0 {
		t.Errorf("storage holds %d users and %d intents, want none", c.Users, c.Intents)
	}
	// A lookup finds nothing to adopt either.
	if page := w.list(`userName eq "alice@example.com"`); page.TotalResults != 0 {
		t.Errorf("a lookup adopted the hidden account")
	}
}

func TestCreateUserFinishesAnInterruptedCreate(t *testing.T) {
	// A crash after Absorb created the account and before the mapping was
	// written leaves an intent and an unlinked account. The retry adopts that
	// account under the intent's SCIM id.
	for _, mirrored := range []bool{false, true} {
		name := "before the full sync"
		if mirrored {
			name = "after the full sync"
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			if mirrored {
				w.sync()
			}
			const scimID = "11111111-2222-4333-8444-555555555555"
			err := w.store.Update(func(tx storage.Tx) error {
				return tx.PutIntent(storage.Intent{Key: "crash@example.com", SCIMID: scimID, Started: time.Now()})
			})
			if err != nil {
				t.Fatal(err)
			}
			pw, err := mapping.GeneratePassword()
			if err != nil {
				t.Fatal(err)
			}
			made, err := w.client.CreateUser(context.Background(), absorbapi.User{
				Username: "crash@example.com", FirstName: "Crash", LastName: "Test", Password: pw,
				DepartmentID: fakeabsorb.DeptCompanyID, EmailAddress: "crash@example.com", IsLearner: true, HasUsername: true,
			})
			if err != nil {
				t.Fatal(err)
			}

			res := w.create(userDoc("crash@example.com", "Crash", "Recovered"))

			if res.ID != scimID {
				t.Errorf("SCIM id %s, want the intent's %s", res.ID, scimID)
			}
			if got := w.absorbIDOf(res.ID); got != made.ID {
				t.Errorf("mapped to %s, want the account made before the crash %s", got, made.ID)
			}
			if got := len(w.absorbUsersNamed("crash@example.com")); got != 1 {
				t.Errorf("%d Absorb accounts, want 1", got)
			}
			if got := w.absorbUser(made.ID).LastName; got != "Recovered" {
				t.Errorf("lastName %q, want the retry's %q", got, "Recovered")
			}
			if c := w.counts(); c.Intents != 0 || c.Users != 1 {
				t.Errorf("storage holds %d users and %d intents, want 1 and 0", c.Users, c.Intents)
			}
		})
	}
}

func TestCreateUserRefusals(t *testing.T) {
	tests := []struct {
		name string
		doc  scimdoc.Document
		want int
	}{
		{"no userName", scimdoc.Document{"schemas": []any{mapping.UserURN}, "name": map[string]any{"givenName": "A"}}, http.StatusBadRequest},
		{"blank userName", scimdoc.Document{"schemas": []any{mapping.UserURN}, "userName": "  "}, http.StatusBadRequest},
		{"bad email refused by Absorb", func() scimdoc.Document {
			d := userDoc("bad-mail@example.com", "Bad", "Mail")
			d["emails"] = []any{map[string]any{"value": "not an address", "primary": true}}
			return d
		}(), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			_, err := w.b.CreateUser(context.Background(), tt.doc)
			scimError(t, err, tt.want)
			if c := w.counts(); c.Users != 0 || c.Intents != 0 {
				t.Errorf("storage holds %d users and %d intents after a refusal, want none", c.Users, c.Intents)
			}
		})
	}
}

func TestConcurrentCreatesMakeOneUser(t *testing.T) {
	tests := []struct {
		name, userName string
		absorbID       string // an account to adopt, or "" for a new one
	}{
		{"new account", "race@example.com", ""},
		{"adopted account, with lookups racing", "bob@example.com", fakeabsorb.UserBobID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			const n = 12
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				ids     = map[string]bool{}
				created int
			)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i%3 == 2 { // an IdP looking the userName up meanwhile
						page, err := w.b.ListUsers(context.Background(), scimdoc.Query{Filter: parseFilter(t, `userName eq "`+tt.userName+`"`), StartIndex: 1, Count: -1})
						if err != nil {
							t.Errorf("ListUsers: %v", err)
							return
						}
						mu.Lock()
						for _, r := range page.Resources {
							ids[r.ID] = true
						}
						mu.Unlock()
						return
					}
					res, err := w.b.CreateUser(context.Background(), w.norm(userDoc(tt.userName, "Race", "Condition")))
					if err != nil {
						if se, ok := scimdoc.AsError(err); !ok || se.Status != http.StatusConflict {
							t.Errorf("CreateUser: %v, want success or 409", err)
						}
						return
					}
					mu.Lock()
					created++
					ids[res.ID] = true
					mu.Unlock()
				}()
			}
			wg.Wait()
			if len(ids) != 1 {
				t.Errorf("%d SCIM ids answered, want 1: %v", len(ids), ids)
			}
			if tt.absorbID == "" && created != 1 {
				t.Errorf("%d creates succeeded, want 1", created)
			}
			if created > 1 {
				t.Errorf("%d creates succeeded", created)
			}
			if got := len(w.absorbUsersNamed(tt.userName)); got != 1 {
				t.Errorf("%d Absorb accounts, want 1", got)
			}
			if c := w.counts(); c.Users != 1 || c.Intents != 0 {
				t.Errorf("storage holds %d users and %d intents, want 1 and 0", c.Users, c.Intents)
			}
		})
	}
}

// mirroringCreates copies each account a create makes into the store's
// mirror before the create's answer returns, as a sync on another replica
// sharing the store may do between the POST and the check of its answer.
type mirroringCreates struct {
	bridge.Absorb
	store func() storage.Store
}

func (m mirroringCreates) CreateUser(ctx context.Context, u absorbapi.User) (*absorbapi.User, error) {
	got, err := m.Absorb.CreateUser(ctx, u)
	if err != nil || got == nil {
		return got, err
	}
	fresh, err := m.Absorb.GetUser(ctx, got.ID)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(fresh)
	if err != nil {
		return nil, err
	}
	err = m.store().Update(func(tx storage.Tx) error {
		return tx.PutAbsorbUser(storage.AbsorbUser{ID: fresh.ID, Username: fresh.Username, ExternalID: fresh.ExternalID, DateEdited: fresh.DateEdited, Raw: raw})
	})
	return got, err
}

// A create whose new account a sync mirrored meanwhile links it: the copy
// was added after the create began, so it is no proof the account existed.
func TestCreateLinksItsAccountMirroredMeanwhile(t *testing.T) {
	for _, behaviour := range []string{bridge.CreateStrict, ""} {
		t.Run("create="+behaviour, func(t *testing.T) {
			var w *world
			w = newWorld(t, func(c *worldConfig) {
				c.createBehaviour = behaviour
				c.wrap = func(a bridge.Absorb) bridge.Absorb {
					return mirroringCreates{Absorb: a, store: func() storage.Store { return w.store }}
				}
			})
			res, err := w.b.CreateUser(context.Background(), w.norm(userDoc("mirrored@example.com", "Mia", "Rror")))
			if err != nil {
				t.Fatalf("create: %v, want the new account linked", err)
			}
			err = w.store.View(func(tx storage.Tx) error {
				u, err := tx.User(res.ID)
				if err == nil && u.AbsorbID == "" {
					t.Error("the user is not linked to its account")
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
