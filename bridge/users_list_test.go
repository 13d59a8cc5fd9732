package bridge_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
	"github.com/google/go-cmp/cmp"
)

// userNames lists the userNames of a page, in order.
func userNames(p scimdoc.Page) []string {
	out := []string{}
	for _, r := range p.Resources {
		out = append(out, str(r.Doc, "userName"))
	}
	return out
}

func TestListUsersByIndex(t *testing.T) {
	w := newWorld(t)
	jane := userDoc("jane@example.com", "Jane", "Doe")
	jane["externalId"] = "ext-jane"
	jane["emails"] = []any{
		map[string]any{"value": "jane@example.com", "type": "work", "primary": true},
		map[string]any{"value": "jd@home.example", "type": "home"},
	}
	w.create(jane)
	w.create(userDoc("joe@example.com", "Joe", "Doe"))
	w.sync() // nothing below may need Absorb
	w.warm()
	w.resetCalls()

	tests := []struct {
		filter string
		want   []string
	}{
		{`userName eq "jane@example.com"`, []string{"jane@example.com"}},
		{`userName eq "JANE@EXAMPLE.COM"`, []string{"jane@example.com"}},
		{`USERNAME Eq "joe@example.com"`, []string{"joe@example.com"}},
		{`externalId eq "ext-jane"`, []string{"jane@example.com"}},
		{`externalId eq "EXT-JANE"`, []string{}}, // externalId is caseExact
		{`emails.value eq "jd@home.example"`, []string{"jane@example.com"}},
		{`emails[type eq "work"].value eq "jane@example.com"`, []string{"jane@example.com"}},
		{`emails[type eq "work"].value eq "jd@home.example"`, []string{}},
		{`userName eq "jane@example.com" and active eq false`, []string{}},
		{`userName eq "nobody@example.com"`, []string{}},
		{`emails.value eq "nobody@example.com"`, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			page := w.list(tt.filter)
			if diff := cmp.Diff(tt.want, userNames(page)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if page.TotalResults != len(tt.want) {
				t.Errorf("totalResults %d, want %d", page.TotalResults, len(tt.want))
			}
		})
	}
	if n := w.fake.Stats().Total; n != 0 {
		t.Errorf("%d upstream calls for local lookups after the full sync, want 0: %v", n, w.calls())
	}
}

func TestListUsersNeverAdopts(t *testing.T) {
	// A read never writes: an Absorb account no SCIM user holds is not
	// listed, nothing is stored and Absorb is not asked. The IdP's create
	// that follows its empty lookup adopts the account.
	tests := []struct {
		name     string
		mirrored bool
		filter   string
		create   string // the userName whose create adopts absorbID
		absorbID string
	}{
		{"userName before the full sync", false, `userName eq "bob@example.com"`, "bob@example.com", fakeabsorb.UserBobID},
		{"userName after the full sync", true, `userName eq "bob@example.com"`, "bob@example.com", fakeabsorb.UserBobID},
		{"userName in another case", false, `userName eq "BOB@example.com"`, "BOB@example.com", fakeabsorb.UserBobID},
		{"externalId before the full sync", false, `externalId eq "emp-1003"`, "carol@example.com", fakeabsorb.UserCarolID},
		{"externalId after the full sync", true, `externalId eq "emp-1003"`, "carol@example.com", fakeabsorb.UserCarolID},
		{"an inactive account", false, `userName eq "dave@example.com"`, "dave@example.com", fakeabsorb.UserDaveID},
		{"unknown userName", false, `userName eq "nobody@example.com"`, "", ""},
		{"email", false, `emails.value eq "bob@example.com"`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.mirrored {
				w.sync()
			}
			w.warm()
			w.resetCalls()
			page := w.list(tt.filter)
			if page.TotalResults != 0 || len(page.Resources) != 0 {
				t.Fatalf("got %v, want no users", userNames(page))
			}
			if c := w.counts(); c.Users != 0 || c.Intents != 0 {
				t.Errorf("the read stored %d users and %d intents", c.Users, c.Intents)
			}
			if n := w.fake.Stats().Total; n != 0 {
				t.Errorf("the read asked Absorb %v", w.calls())
			}
			if tt.create == "" {
				return
			}
			doc := userDoc(tt.create, "Adopted", "User")
			if strings.HasPrefix(tt.filter, "externalId") {
				doc["externalId"] = "emp-1003"
			}
			res := w.create(doc)
			if got := w.absorbIDOf(res.ID); got != tt.absorbID {
				t.Errorf("the create linked Absorb id %s, want %s", got, tt.absorbID)
			}
			if w.absorbUser(tt.absorbID).ActiveStatus != 0 {
				t.Errorf("the adopted account is not active after the create")
			}
			if again := w.list(tt.filter); len(again.Resources) != 1 || again.Resources[0].ID != res.ID {
				t.Errorf("lookup after the create gave %v, want user %s", userNames(again), res.ID)
			}
		})
	}
}

func TestDeletedUserStaysDeleted(t *testing.T) {
	// RFC 7644 §3.6: a deleted resource is omitted from later queries. The
	// account is only deactivated, so a lookup must not bring it back; the
	// IdP's re-hire (a create after that empty lookup) reactivates it.
	w := newWorld(t)
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	absorbID := w.absorbIDOf(jane.ID)
	if err := w.b.DeleteUser(context.Background(), jane.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	for _, filter := range []string{`userName eq "jane@example.com"`, `emails.value eq "jane@example.com"`} {
		if page := w.list(filter); page.TotalResults != 0 {
			t.Errorf("%s after the delete gave %v, want none", filter, userNames(page))
		}
	}
	if n := w.counts().Users; n != 0 {
		t.Errorf("%d users stored after the delete and lookups, want 0", n)
	}
	rehired := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	if rehired.ID == jane.ID {
		t.Errorf("the re-hire kept the deleted SCIM id")
	}
	if got := w.absorbIDOf(rehired.ID); got != absorbID {
		t.Errorf("the re-hire linked %s, want the old account %s", got, absorbID)
	}
	if w.absorbUser(absorbID).ActiveStatus != 0 {
		t.Errorf("the re-hired account is still inactive")
	}
}

func TestListUsersScanFilters(t *testing.T) {
	w := newWorld(t)
	for i, p := range []struct{ user, family, title string }{
		{"u1@example.com", "Alpha", "Engineer"},
		{"u2@example.com", "Beta", "Manager"},
		{"u3@example.com", "Gamma", "Engineer"},
	} {
		d := userDoc(p.user, fmt.Sprint("Given", i), p.family)
		d["title"] = p.title
		w.create(d)
	}
	res := w.list(`userName eq "u2@example.com"`).Resources[0]
	if _, err := w.patch(res.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "active", Value: false}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		filter string
		want   []string
	}{
		{`title eq "Engineer"`, []string{"u1@example.com", "u3@example.com"}},
		{`name.familyName sw "g"`, []string{"u3@example.com"}},
		{`active eq false`, []string{"u2@example.com"}},
		{`userName eq "u1@example.com" or userName eq "u3@example.com"`, []string{"u1@example.com", "u3@example.com"}},
		{`userName co "u" and not (title eq "Engineer")`, []string{"u2@example.com"}},
		{`title pr`, []string{"u1@example.com", "u2@example.com", "u3@example.com"}},
		{`meta.resourceType eq "User" and title eq "Manager"`, []string{"u2@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			q := scimdoc.Query{Filter: parseFilter(t, tt.filter), SortBy: "userName", StartIndex: 1, Count: -1}
			page, err := w.b.ListUsers(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, userNames(page)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestListUsersPagingAndSorting(t *testing.T) {
	w := newWorld(t)
	names := []string{"e@example.com", "b@example.com", "d@example.com", "a@example.com", "c@example.com"}
	for _, n := range names {
		w.create(userDoc(n, "Given", "Family"))
	}
	tests := []struct {
		name       string
		q          scimdoc.Query
		wantTotal  int
		wantNames  []string
		wantLength int
	}{
		{"sorted ascending", scimdoc.Query{SortBy: "userName", StartIndex: 1, Count: -1}, 5,
			[]string{"a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"}, 5},
		{"sorted descending", scimdoc.Query{SortBy: "userName", Descending: true, StartIndex: 1, Count: -1}, 5,
			[]string{"e@example.com", "d@example.com", "c@example.com", "b@example.com", "a@example.com"}, 5},
		{"second page of two", scimdoc.Query{SortBy: "userName", StartIndex: 3, Count: 2}, 5,
			[]string{"c@example.com", "d@example.com"}, 2},
		{"last partial page", scimdoc.Query{SortBy: "userName", StartIndex: 5, Count: 2}, 5,
			[]string{"e@example.com"}, 1},
		{"past the end", scimdoc.Query{SortBy: "userName", StartIndex: 9, Count: 2}, 5, []string{}, 0},
		{"count zero gives only the total", scimdoc.Query{StartIndex: 1, Count: 0}, 5, []string{}, 0},
		{"startIndex below one means one", scimdoc.Query{SortBy: "userName", StartIndex: 0, Count: 1}, 5, []string{"a@example.com"}, 1},
		{"filtered and paged", scimdoc.Query{Filter: parseFilter(t, `userName sw "a" or userName sw "b" or userName sw "c"`), SortBy: "userName", StartIndex: 2, Count: 5}, 3,
			[]string{"b@example.com", "c@example.com"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := w.b.ListUsers(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if page.TotalResults != tt.wantTotal {
				t.Errorf("totalResults %d, want %d", page.TotalResults, tt.wantTotal)
			}
			if len(page.Resources) != tt.wantLength {
				t.Errorf("%d resources, want %d", len(page.Resources), tt.wantLength)
			}
			if diff := cmp.Diff(tt.wantNames, userNames(page)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	// Without sortBy the order is stable from one call to the next, so Okta
	// can page through it.
	q := scimdoc.Query{StartIndex: 1, Count: -1}
	first, _ := w.b.ListUsers(context.Background(), q)
	second, _ := w.b.ListUsers(context.Background(), q)
	if diff := cmp.Diff(userNames(first), userNames(second)); diff != "" {
		t.Errorf("unsorted order changed between calls:\n%s", diff)
	}
}

func TestLookupLeavesAnInterruptedCreateToTheRetry(t *testing.T) {
	// A create crashed after Absorb made the account. Before the IdP retries
	// the create it looks the userName up (Okta does): the lookup finds
	// nothing and changes nothing, and the retried create links the account
	// under the create's SCIM id and clears the intent.
	w := newWorld(t)
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
		DepartmentID: fakeabsorb.DeptCompanyID, IsLearner: true, HasUsername: true,
	})
	if err != nil {
		t.Fatal(err)
	}

	if page := w.list(`userName eq "crash@example.com"`); page.TotalResults != 0 {
		t.Fatalf("lookup gave %v, want none", userNames(page))
	}
	if c := w.counts(); c.Intents != 1 || c.Users != 0 {
		t.Errorf("after the lookup storage holds %d users and %d intents, want 0 and 1", c.Users, c.Intents)
	}
	res, err := w.b.CreateUser(context.Background(), w.norm(userDoc("crash@example.com", "Crash", "Test")))
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != scimID {
		t.Errorf("the retried create answered %s, want the intent's id %s", res.ID, scimID)
	}
	if got := w.absorbIDOf(scimID); got != made.ID {
		t.Errorf("mapped to %s, want %s", got, made.ID)
	}
	if c := w.counts(); c.Intents != 0 || c.Users != 1 {
		t.Errorf("storage holds %d users and %d intents, want 1 and 0", c.Users, c.Intents)
	}
}

func TestAdoptionIgnoresAStaleLocalCopy(t *testing.T) {
	// Alice's account is renamed in Absorb after the full sync. Her old
	// userName no longer names it: a lookup adopts nothing and a create
	// makes a new account rather than taking hers over.
	stale := func(t *testing.T) *world {
		w := newWorld(t)
		w.sync()
		w.editInAbsorb(fakeabsorb.UserAliceID, func(u *absorbapi.User) { u.Username = "alice.anderson@example.com" })
		return w
	}
	t.Run("lookup", func(t *testing.T) {
		w := stale(t)
		if page := w.list(`userName eq "alice@example.com"`); page.TotalResults != 0 {
			t.Errorf("lookup found %v", userNames(page))
		}
		if n := w.counts().Users; n != 0 {
			t.Errorf("lookup adopted %d users", n)
		}
	})
	t.Run("create", func(t *testing.T) {
		w := stale(t)
		res := w.create(userDoc("alice@example.com", "Alice", "New"))
		if got := w.absorbIDOf(res.ID); got == fakeabsorb.UserAliceID {
			t.Errorf("the create took over the renamed account")
		}
		if got := w.absorbUser(fakeabsorb.UserAliceID).Username; got != "alice.anderson@example.com" {
			t.Errorf("the renamed account's username became %q", got)
		}
	})
}

func TestAdoptionByAmbiguousExternalID(t *testing.T) {
	// Absorb does not keep externalId unique. A lookup by an externalId two
	// accounts share adopts neither and is no error.
	w := newWorld(t)
	w.editInAbsorb(fakeabsorb.UserBobID, func(u *absorbapi.User) { u.ExternalID = "shared-1" })
	w.editInAbsorb(fakeabsorb.UserCarolID, func(u *absorbapi.User) { u.ExternalID = "shared-1" })
	page, err := w.b.ListUsers(context.Background(), scimdoc.Query{Filter: parseFilter(t, `externalId eq "shared-1"`), StartIndex: 1, Count: -1})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if page.TotalResults != 0 || w.counts().Users != 0 {
		t.Errorf("adopted %v", userNames(page))
	}
}
