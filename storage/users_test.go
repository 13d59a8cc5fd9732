package storage

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestUserRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		user User
	}{
		{name: "large resource", user: testUser("u1", "ada@example.com", "ada@example.com", "ADA@work.example.com")},
		{name: "small resource", user: User{ID: "u2", UserName: "bob", Active: false,
			Resource: json.RawMessage(`{"userName":"bob"}`), Created: t0, LastModified: t0, Version: 7}},
		{name: "no resource, zero times", user: User{ID: "u3", UserName: "carol"}},
		{name: "incompressible resource", user: User{ID: "u4", UserName: "dan",
			Resource: json.RawMessage(`"` + strings.Repeat("x", 10) + randomText(600) + `"`)}},
		{name: "time before 1970 in another zone", user: User{ID: "u5", UserName: "eve",
			Created:      time.Date(1969, 7, 20, 20, 17, 40, 5, time.FixedZone("X", 3600)),
			LastModified: time.Date(2262, 1, 1, 0, 0, 0, 999999999, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			putUsers(t, s, tt.user)
			view(t, s, func(tx *boltTx) error {
				got, err := tx.User(tt.user.ID)
				if err != nil {
					return err
				}
				if diff := cmp.Diff(tt.user, got); diff != "" {
					t.Errorf("User() (-want +got):\n%s", diff)
				}
				if got.Created.Location() != time.UTC {
					t.Errorf("Created is in %v, want UTC", got.Created.Location())
				}
				return nil
			})
		})
	}
}

// randomText returns n characters that deflate cannot shrink much.
func randomText(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = alphabet[x%uint32(len(alphabet))]
	}
	return string(b)
}

func TestUserValuesAreCopies(t *testing.T) {
	s := openTest(t)
	putUsers(t, s, testUser("u1", "ada@example.com", "ada@example.com"))
	var first User
	view(t, s, func(tx *boltTx) error {
		var err error
		first, err = tx.User("u1")
		return err
	})
	want := string(first.Resource)
	// Churn the file so the old pages are reused.
	for i := range 50 {
		u := testUser("u1", "ada@example.com", "ada@example.com")
		u.Version = uint64(i)
		u.Resource = json.RawMessage(`{"v":"` + randomText(2000) + `"}`)
		putUsers(t, s, u)
	}
	if got := string(first.Resource); got != want {
		t.Error("a Resource returned earlier changed after later writes")
	}
}

func TestUserLookups(t *testing.T) {
	s := openTest(t)
	ada := testUser("u1", "Ada.Lovelace@Example.com", "ada@example.com", "Shared@Example.com")
	bob := testUser("u2", "bob@example.com", "SHARED@example.com")
	carol := testUser("u3", "Ωmega@example.com")
	putUsers(t, s, bob, ada, carol)

	lookups := []struct {
		name   string
		lookup func(tx *boltTx) (User, error)
		want   string
	}{
		{"id", func(tx *boltTx) (User, error) { return tx.User("u1") }, "u1"},
		{"userName exact", func(tx *boltTx) (User, error) { return tx.UserByUserName("Ada.Lovelace@Example.com") }, "u1"},
		{"userName other case", func(tx *boltTx) (User, error) { return tx.UserByUserName("ADA.LOVELACE@EXAMPLE.COM") }, "u1"},
		{"userName non-ASCII other case", func(tx *boltTx) (User, error) { return tx.UserByUserName("ωMEGA@example.com") }, "u3"},
		{"externalId", func(tx *boltTx) (User, error) { return tx.UserByExternalID("ext-u2") }, "u2"},
		{"absorbId", func(tx *boltTx) (User, error) { return tx.UserByAbsorbID("absorb-u3") }, "u3"},
	}
	for _, tt := range lookups {
		t.Run(tt.name, func(t *testing.T) {
			view(t, s, func(tx *boltTx) error {
				u, err := tt.lookup(tx)
				if err != nil {
					return err
				}
				if u.ID != tt.want {
					t.Errorf("got user %q, want %q", u.ID, tt.want)
				}
				if len(u.Resource) == 0 {
					t.Error("lookup returned no resource")
				}
				return nil
			})
		})
	}

	misses := []struct {
		name   string
		lookup func(tx *boltTx) (User, error)
	}{
		{"missing id", func(tx *boltTx) (User, error) { return tx.User("nope") }},
		{"empty id", func(tx *boltTx) (User, error) { return tx.User("") }},
		{"missing userName", func(tx *boltTx) (User, error) { return tx.UserByUserName("nobody@example.com") }},
		{"empty userName", func(tx *boltTx) (User, error) { return tx.UserByUserName("") }},
		{"externalId is case-sensitive", func(tx *boltTx) (User, error) { return tx.UserByExternalID("EXT-u2") }},
		{"empty externalId", func(tx *boltTx) (User, error) { return tx.UserByExternalID("") }},
		{"missing absorbId", func(tx *boltTx) (User, error) { return tx.UserByAbsorbID("absorb-nope") }},
	}
	for _, tt := range misses {
		t.Run(tt.name, func(t *testing.T) {
			view(t, s, func(tx *boltTx) error {
				if _, err := tt.lookup(tx); !isNotFound(err) {
					t.Errorf("got %v, want ErrNotFound", err)
				}
				return nil
			})
		})
	}

	emails := []struct {
		email string
		want  []string
	}{
		{"ada@example.com", []string{"u1"}},
		{"ADA@EXAMPLE.COM", []string{"u1"}},
		{"shared@example.com", []string{"u1", "u2"}},
		{"ada.lovelace@example.com", nil}, // a userName, not an email
		{"", nil},
	}
	for _, tt := range emails {
		t.Run("email "+tt.email, func(t *testing.T) {
			view(t, s, func(tx *boltTx) error {
				users, err := tx.UsersByEmail(tt.email)
				if err != nil {
					return err
				}
				if diff := cmp.Diff(tt.want, userIDs(users)); diff != "" {
					t.Errorf("UsersByEmail(%q) ids (-want +got):\n%s", tt.email, diff)
				}
				return nil
			})
		})
	}
}

func userIDs(users []User) []string {
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	return ids
}

func TestPutUserReindexes(t *testing.T) {
	s := openTest(t)
	old := testUser("u1", "old@example.com", "old@example.com", "keep@example.com")
	putUsers(t, s, old)

	renamed := old
	renamed.UserName = "New@example.com"
	renamed.ExternalID = "ext-new"
	renamed.AbsorbID = "absorb-new"
	renamed.Emails = []string{"KEEP@example.com", "new@example.com"}
	renamed.Version = 2
	putUsers(t, s, renamed)

	view(t, s, func(tx *boltTx) error {
		for name, lookup := range map[string]func() (User, error){
			"old userName":   func() (User, error) { return tx.UserByUserName("old@example.com") },
			"old externalId": func() (User, error) { return tx.UserByExternalID("ext-u1") },
			"old absorbId":   func() (User, error) { return tx.UserByAbsorbID("absorb-u1") },
		} {
			if _, err := lookup(); !isNotFound(err) {
				t.Errorf("%s: got %v, want ErrNotFound", name, err)
			}
		}
		for name, lookup := range map[string]func() (User, error){
			"new userName":   func() (User, error) { return tx.UserByUserName("new@EXAMPLE.com") },
			"new externalId": func() (User, error) { return tx.UserByExternalID("ext-new") },
			"new absorbId":   func() (User, error) { return tx.UserByAbsorbID("absorb-new") },
		} {
			u, err := lookup()
			if err != nil {
				t.Errorf("%s: %v", name, err)
			} else if u.Version != 2 {
				t.Errorf("%s: got version %d, want 2", name, u.Version)
			}
		}
		for email, want := range map[string]int{"old@example.com": 0, "keep@example.com": 1, "new@example.com": 1} {
			users, err := tx.UsersByEmail(email)
			if err != nil {
				return err
			}
			if len(users) != want {
				t.Errorf("UsersByEmail(%q) found %d users, want %d", email, len(users), want)
			}
		}
		if got := tx.CountUsers(); got != 1 {
			t.Errorf("CountUsers() = %d after an update, want 1", got)
		}
		return nil
	})

	// Clearing the optional values removes their entries.
	cleared := renamed
	cleared.ExternalID, cleared.AbsorbID, cleared.Emails = "", "", nil
	putUsers(t, s, cleared)
	view(t, s, func(tx *boltTx) error {
		if _, err := tx.UserByExternalID("ext-new"); !isNotFound(err) {
			t.Errorf("cleared externalId: got %v, want ErrNotFound", err)
		}
		if _, err := tx.UserByAbsorbID("absorb-new"); !isNotFound(err) {
			t.Errorf("cleared absorbId: got %v, want ErrNotFound", err)
		}
		if users, _ := tx.UsersByEmail("keep@example.com"); len(users) != 0 {
			t.Errorf("cleared emails still found %d users", len(users))
		}
		return nil
	})
	checkStore(t, s)
}

func TestPutUserConflicts(t *testing.T) {
	existing := testUser("u1", "ada@example.com", "ada@example.com")
	tests := []struct {
		name  string
		user  User
		index string
		value string
	}{
		{"userName in other case", User{ID: "u2", UserName: "ADA@example.com"}, "userName", "ADA@example.com"},
		{"absorbId", User{ID: "u2", UserName: "bob", AbsorbID: "absorb-u1"}, "absorbId", "absorb-u1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			putUsers(t, s, existing)
			err := s.update(func(tx *boltTx) error {
				err := tx.PutUser(tt.user)
				// Nothing of the refused user was written.
				if _, gerr := tx.User(tt.user.ID); !isNotFound(gerr) {
					t.Errorf("refused user is readable in the same transaction: %v", gerr)
				}
				if got := tx.CountUsers(); got != 1 {
					t.Errorf("CountUsers() = %d after a refused put, want 1", got)
				}
				return err
			})
			if !errors.Is(err, ErrConflict) {
				t.Fatalf("PutUser = %v, want ErrConflict", err)
			}
			var ce *ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("PutUser = %T, want *ConflictError", err)
			}
			want := &ConflictError{Index: tt.index, Value: tt.value, ExistingID: "u1"}
			if diff := cmp.Diff(want, ce); diff != "" {
				t.Errorf("ConflictError (-want +got):\n%s", diff)
			}
			if !strings.Contains(ce.Error(), tt.value) || !strings.Contains(ce.Error(), "u1") {
				t.Errorf("Error() = %q, want the value and the existing id", ce.Error())
			}
			checkStore(t, s)
		})
	}
}

func TestExternalIDIsNotUnique(t *testing.T) {
	s := openTest(t)
	a := User{ID: "a", UserName: "x", ExternalID: "shared"}
	b := User{ID: "b", UserName: "y", ExternalID: "shared"}
	putUsers(t, s, a, b)
	view(t, s, func(tx *boltTx) error {
		got, err := tx.UsersByExternalID("shared")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" {
			t.Errorf("UsersByExternalID = %v, want users a and b", got)
		}
		return nil
	})
	update(t, s, func(tx *boltTx) error { return tx.DeleteUser("a") })
	view(t, s, func(tx *boltTx) error {
		got, err := tx.UserByExternalID("shared")
		if err != nil || got.ID != "b" {
			t.Errorf("UserByExternalID after delete = %v, %v; want b", got.ID, err)
		}
		return nil
	})
	checkStore(t, s)
}

func TestPutUserSwapsUserNames(t *testing.T) {
	s := openTest(t)
	a, b := User{ID: "a", UserName: "x"}, User{ID: "b", UserName: "y"}
	putUsers(t, s, a, b)
	update(t, s, func(tx *boltTx) error {
		a.UserName = "tmp"
		b.UserName = "x"
		if err := tx.PutUser(a); err != nil {
			return err
		}
		if err := tx.PutUser(b); err != nil {
			return err
		}
		a.UserName = "y"
		return tx.PutUser(a)
	})
	view(t, s, func(tx *boltTx) error {
		for name, want := range map[string]string{"x": "b", "y": "a"} {
			u, err := tx.UserByUserName(name)
			if err != nil {
				return err
			}
			if u.ID != want {
				t.Errorf("UserByUserName(%q) = %q, want %q", name, u.ID, want)
			}
		}
		if _, err := tx.UserByUserName("tmp"); !isNotFound(err) {
			t.Errorf("UserByUserName(tmp) = %v, want ErrNotFound", err)
		}
		return nil
	})
	checkStore(t, s)
}

func TestPutUserEmptyID(t *testing.T) {
	s := openTest(t)
	if err := s.update(func(tx *boltTx) error { return tx.PutUser(User{UserName: "x"}) }); err == nil {
		t.Error("PutUser with an empty id succeeded")
	}
}

func TestDeleteUser(t *testing.T) {
	s := openTest(t)
	ada := testUser("u1", "ada@example.com", "ada@example.com")
	bob := testUser("u2", "bob@example.com", "bob@example.com")
	putUsers(t, s, ada, bob)
	putGroups(t, s, Group{ID: "g1", DisplayName: "One"}, Group{ID: "g2", DisplayName: "Two"})
	update(t, s, func(tx *boltTx) error {
		for _, m := range [][2]string{{"g1", "u1"}, {"g1", "u2"}, {"g2", "u1"}} {
			if _, err := tx.AddMember(m[0], Member{UserID: m[1]}); err != nil {
				return err
			}
		}
		return tx.PutRuleState("u1", json.RawMessage(`{"rules":["r1"]}`))
	})

	update(t, s, func(tx *boltTx) error { return tx.DeleteUser("u1") })

	view(t, s, func(tx *boltTx) error {
		if _, err := tx.User("u1"); !isNotFound(err) {
			t.Errorf("User(u1) after delete = %v, want ErrNotFound", err)
		}
		for name, lookup := range map[string]func() (User, error){
			"userName":   func() (User, error) { return tx.UserByUserName("ada@example.com") },
			"externalId": func() (User, error) { return tx.UserByExternalID("ext-u1") },
			"absorbId":   func() (User, error) { return tx.UserByAbsorbID("absorb-u1") },
		} {
			if _, err := lookup(); !isNotFound(err) {
				t.Errorf("%s lookup after delete = %v, want ErrNotFound", name, err)
			}
		}
		if users, _ := tx.UsersByEmail("ada@example.com"); len(users) != 0 {
			t.Errorf("email lookup after delete found %d users", len(users))
		}
		for group, want := range map[string][]string{"g1": {"u2"}, "g2": nil} {
			if diff := cmp.Diff(want, memberIDs(t, tx, group)); diff != "" {
				t.Errorf("members of %s (-want +got):\n%s", group, diff)
			}
			g, err := tx.Group(group)
			if err != nil {
				return err
			}
			if g.MemberCount != len(want) {
				t.Errorf("%s MemberCount = %d, want %d", group, g.MemberCount, len(want))
			}
		}
		if raw, _ := tx.RuleState("u1"); raw != nil {
			t.Errorf("rule state after delete = %s, want nil", raw)
		}
		return nil
	})
	if got, want := s.Stats(), (Counts{Users: 1, Groups: 2, Memberships: 1}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	checkStore(t, s)

	err := s.update(func(tx *boltTx) error { return tx.DeleteUser("u1") })
	if !isNotFound(err) {
		t.Errorf("second DeleteUser = %v, want ErrNotFound", err)
	}
	// The userName is free again.
	putUsers(t, s, testUser("u3", "ADA@example.com"))
}

func TestForEachUser(t *testing.T) {
	s := openTest(t)
	ids := []string{"d", "a", "c", "e", "b"}
	for _, id := range ids {
		putUsers(t, s, User{ID: id, UserName: "user-" + id, Resource: json.RawMessage(`{"id":"` + id + `"}`)})
	}
	tests := []struct {
		name  string
		after string
		limit int // stop after this many; 0: all
		want  []string
	}{
		{name: "all", want: []string{"a", "b", "c", "d", "e"}},
		{name: "after an id", after: "b", want: []string{"c", "d", "e"}},
		{name: "after a missing id", after: "bb", want: []string{"c", "d", "e"}},
		{name: "after the last", after: "e", want: nil},
		{name: "stop early", limit: 2, want: []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			view(t, s, func(tx *boltTx) error {
				return tx.ForEachUser(tt.after, func(u User) (bool, error) {
					if want := `{"id":"` + u.ID + `"}`; string(u.Resource) != want {
						t.Errorf("resource of %s = %s, want %s", u.ID, u.Resource, want)
					}
					got = append(got, u.ID)
					return tt.limit == 0 || len(got) < tt.limit, nil
				})
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("error stops", func(t *testing.T) {
		boom := errors.New("boom")
		var n int
		err := s.view(func(tx *boltTx) error {
			return tx.ForEachUser("", func(User) (bool, error) { n++; return true, boom })
		})
		if err != boom || n != 1 {
			t.Errorf("ForEachUser = %v after %d calls, want boom after 1", err, n)
		}
	})
}

func TestEmailKeys(t *testing.T) {
	got := emailKeys([]string{"A@x.com", "", "a@X.com", "b@x.com"})
	if want := []string{"a@x.com", "b@x.com"}; !slices.Equal(got, want) {
		t.Errorf("emailKeys = %q, want %q", got, want)
	}
}

// TestPreparedUser: a record encoded before its transaction is stored as
// PutUser stores it, and one never prepared is refused.
func TestPreparedUser(t *testing.T) {
	s := openTest(t)
	u := testUser("prepared", "prepared@example.com", "prepared@example.com")
	p, err := s.PrepareUser(u)
	if err != nil {
		t.Fatal(err)
	}
	mirror := AbsorbUser{ID: u.AbsorbID, Username: u.UserName, ExternalID: u.ExternalID, Raw: absorbRaw(u.AbsorbID, u.UserName, u.ExternalID)}
	pm, err := s.PrepareAbsorbUser(mirror)
	if err != nil {
		t.Fatal(err)
	}
	pa := s.PrepareAudit(AuditRecord{Operation: "update", ResourceID: u.ID})
	u.UserName = "changed-after@example.com" // not seen: the record was encoded
	update(t, s, func(tx *boltTx) error {
		if err := tx.PutPreparedUser(p); err != nil {
			return err
		}
		if err := tx.PutPreparedAbsorbUser(pm); err != nil {
			return err
		}
		_, err := tx.AppendPreparedAudit(pa)
		return err
	})
	view(t, s, func(tx *boltTx) error {
		got, err := tx.UserByUserName("PREPARED@example.com")
		if err != nil {
			return err
		}
		if got.ID != "prepared" || string(got.Resource) != string(testUser("prepared", "prepared@example.com").Resource) {
			t.Errorf("stored user = %+v", got)
		}
		if _, err := tx.AbsorbUserByUsername("prepared@example.com"); err != nil {
			t.Errorf("absorb copy: %v", err)
		}
		return nil
	})
	err = s.update(func(tx *boltTx) error {
		if err := tx.PutPreparedUser(PreparedUser{}); err == nil {
			t.Error("PutPreparedUser of a user never prepared was accepted")
		}
		if err := tx.PutPreparedAbsorbUser(PreparedAbsorbUser{}); err == nil {
			t.Error("PutPreparedAbsorbUser of a copy never prepared was accepted")
		}
		return nil
	})
	// A record another engine prepared (only Record set) is encoded at the
	// write.
	update(t, s, func(tx *boltTx) error {
		seq, err := tx.AppendPreparedAudit(PreparedAudit{Record: AuditRecord{Operation: "elsewhere"}})
		if err != nil {
			return err
		}
		return tx.ForEachAudit(seq, func(r AuditRecord) (bool, error) {
			if r.Operation != "elsewhere" || r.Time.IsZero() {
				t.Errorf("audit record prepared elsewhere read back as %+v", r)
			}
			return false, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	checkStore(t, s)
}
