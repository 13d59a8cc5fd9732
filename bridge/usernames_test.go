package bridge_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// twins are spellings of one userName.
var twins = []struct{ name, first, twin string }{
	{"precomposed then decomposed", "jos\u00e9@example.com", "jose\u0301@example.com"},
	{"decomposed then precomposed", "jose\u0301@example.com", "jos\u00e9@example.com"},
	{"full-width letters", "sam@example.com", "\uff53\uff41\uff4d@example.com"},
	{"long s", "sam@example.com", "\u017fam@example.com"},
	{"trailing space", "sam@example.com", "sam@example.com "},
	{"leading space", "sam@example.com", " sam@example.com"},
	{"case", "sam@example.com", "SAM@Example.com"},
}

// nameDoc is userDoc with a plain work email, as twin spellings are no
// valid email address.
func nameDoc(userName string) scimdoc.Document {
	doc := userDoc(userName, "Given", "Family")
	doc["emails"] = []any{map[string]any{"value": "mail@example.com", "type": "work", "primary": true}}
	return doc
}

func TestUserNameTwinsAreOneSCIMUser(t *testing.T) {
	for _, tt := range twins {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			first := w.create(nameDoc(tt.first))
			_, err := w.b.CreateUser(context.Background(), w.norm(nameDoc(tt.twin)))
			se := scimError(t, err, http.StatusConflict)
			if se.ScimType != scimdoc.TypeUniqueness || !strings.Contains(se.Detail, "already provisioned as user "+first.ID) {
				t.Errorf("got %s %q, want uniqueness naming user %s", se.ScimType, se.Detail, first.ID)
			}
			if n := len(w.fake.Users()); n != 8 {
				t.Errorf("Absorb holds %d accounts, want the 7 seeded and one more", n)
			}
		})
	}
}

func TestUserNameTwinOfAnAccountLinksIt(t *testing.T) {
	// The account exists in Absorb under one spelling; the IdP creates the
	// user under a twin. The account is linked and keeps its own spelling,
	// whether the local copy knows it or Absorb is asked.
	for _, tt := range twins {
		for _, mirrored := range []bool{false, true} {
			name := tt.name
			if mirrored {
				name += "/from the local copy"
			}
			t.Run(name, func(t *testing.T) {
				w := newWorld(t)
				pw, err := mapping.GeneratePassword()
				if err != nil {
					t.Fatal(err)
				}
				made, err := w.client.CreateUser(context.Background(), absorbapi.User{
					Username: strings.TrimSpace(tt.first), FirstName: "Made", LastName: "InAbsorb", Password: pw,
					DepartmentID: fakeabsorb.DeptCompanyID, IsLearner: true, HasUsername: true,
				})
				if err != nil {
					t.Fatal(err)
				}
				if mirrored {
					w.sync()
				}
				res, err := w.b.CreateUser(context.Background(), w.norm(nameDoc(tt.twin)))
				if err != nil {
					t.Fatalf("create of a twin: %v", err)
				}
				if got := w.absorbIDOf(res.ID); got != made.ID {
					t.Errorf("linked %s, want the account %s", got, made.ID)
				}
				if n := len(w.fake.Users()); n != 8 {
					t.Errorf("Absorb holds %d accounts, want the 7 seeded and one more", n)
				}
				if got, want := w.absorbUser(made.ID).Username, made.Username; !strings.EqualFold(got, want) {
					t.Errorf("the account's username became %q, want %q (in any case)", got, want)
				}
				if got := str(res.Doc, "userName"); got != strings.TrimSpace(got) {
					t.Errorf("stored userName %q keeps its surrounding spaces", got)
				}
			})
		}
	}
}

func TestUserNameSurroundingSpacesAreTrimmed(t *testing.T) {
	w := newWorld(t)
	res := w.create(nameDoc("  trail@example.com\t"))
	if got := str(res.Doc, "userName"); got != "trail@example.com" {
		t.Errorf("userName %q, want it trimmed", got)
	}
	if got := w.absorbUser(w.absorbIDOf(res.ID)).Username; got != "trail@example.com" {
		t.Errorf("Absorb username %q, want it trimmed", got)
	}
	if page := w.list(`userName eq "trail@example.com"`); len(page.Resources) != 1 {
		t.Errorf("lookup by the trimmed name found %v", userNames(page))
	}
}

func TestUserNameInvisibleCharactersAreRefused(t *testing.T) {
	bad := []struct{ name, userName string }{
		{"zero-width space", "jane\u200b@example.com"},
		{"zero-width joiner", "\u200djane@example.com"},
		{"word joiner", "jane@example.com\u2060"},
		{"byte order mark", "\ufeffjane@example.com"},
		{"NUL", "jane\x00@example.com"},
		{"bell", "jane\a@example.com"},
		{"line feed inside", "jane\n.doe@example.com"},
		{"right-to-left override", "jane\u202e@example.com"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
			w.warm()
			w.resetCalls()
			_, err := w.b.CreateUser(context.Background(), userDoc(tt.userName, "Bad", "Name"))
			if se := scimError(t, err, http.StatusBadRequest); se.ScimType != scimdoc.TypeInvalidValue || !strings.Contains(se.Detail, "invisible character") {
				t.Errorf("create: got %s %q, want invalidValue naming the invisible character", se.ScimType, se.Detail)
			}
			_, err = w.patch(jane.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "userName", Value: tt.userName})
			if se := scimError(t, err, http.StatusBadRequest); se.ScimType != scimdoc.TypeInvalidValue {
				t.Errorf("rename: got %s %q, want invalidValue", se.ScimType, se.Detail)
			}
			if n := w.fake.Stats().Total; n != 0 {
				t.Errorf("Absorb was asked %v", w.calls())
			}
			if c := w.counts(); c.Users != 1 || c.Intents != 0 {
				t.Errorf("storage holds %d users and %d intents, want 1 and 0", c.Users, c.Intents)
			}
		})
	}
}
