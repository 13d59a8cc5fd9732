package storetest

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/absorb-scim/absorb-scim/storage"
)

func testUserRoundTrip(t *testing.T, s storage.Store) {
	want := storage.User{
		ID: "u1", AbsorbID: "a1", UserName: "Zoë\x00", ExternalID: "ext-1",
		Emails: []string{"Z@x.org", "z@x.org", "other@x.org"}, Active: true,
		Resource: json.RawMessage(`{"userName":"Zoë","name":{"familyName":"Ng"}}`),
		Created:  t0, LastModified: t0.Add(1), Version: math.MaxUint64,
	}
	putUsers(t, s, want, storage.User{ID: "u2", UserName: "bare"})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.User("u1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("User (-want +got):\n%s", diff)
		}
		bare, err := tx.User("u2")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(storage.User{ID: "u2", UserName: "bare"}, bare, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("bare User (-want +got):\n%s", diff)
		}
		if tx.CountUsers() != 2 {
			t.Errorf("CountUsers = %d, want 2", tx.CountUsers())
		}
		return nil
	})
	if c := s.Stats(); c.Users != 2 {
		t.Errorf("Stats().Users = %d, want 2", c.Users)
	}
}

func testUserLookups(t *testing.T, s storage.Store) {
	putUsers(t, s,
		storage.User{ID: "u1", AbsorbID: "a1", UserName: "Straße", ExternalID: "E1", Emails: []string{"Ann@X.org"}},
		storage.User{ID: "u2", AbsorbID: "a2", UserName: "ｊｏｓｅ", ExternalID: "E1", Emails: []string{"ann@x.org", "ÉLodie@x.org"}},
		storage.User{ID: "u0", UserName: "e\u0301mile", ExternalID: "e1"},
	)
	view(t, s, func(tx storage.Tx) error {
		for _, c := range []struct{ userName, want string }{
			{"STRASSE", "u1"}, {"strasse", "u1"}, {"jose", "u2"}, {"JOSE", "u2"}, {"ÉMILE", "u0"}, {"émile", "u0"},
		} {
			u, err := tx.UserByUserName(c.userName)
			if err != nil || u.ID != c.want {
				t.Errorf("UserByUserName(%q) = %q, %v; want %q", c.userName, u.ID, err, c.want)
			}
		}
		for _, name := range []string{"", "stras", "nobody"} {
			if _, err := tx.UserByUserName(name); !isNotFound(err) {
				t.Errorf("UserByUserName(%q): %v, want ErrNotFound", name, err)
			}
		}
		users, err := tx.UsersByExternalID("E1")
		if err != nil || !cmp.Equal(userIDs(users), []string{"u1", "u2"}) {
			t.Errorf("UsersByExternalID(E1) = %v, %v; want [u1 u2]", userIDs(users), err)
		}
		if u, err := tx.UserByExternalID("E1"); err != nil || u.ID != "u1" {
			t.Errorf("UserByExternalID(E1) = %q, %v; want the first in id order, u1", u.ID, err)
		}
		if u, err := tx.UserByExternalID("e1"); err != nil || u.ID != "u0" {
			t.Errorf("UserByExternalID(e1) = %q, %v; want u0 (exact)", u.ID, err)
		}
		if _, err := tx.UserByExternalID("E2"); !isNotFound(err) {
			t.Errorf("UserByExternalID(E2): %v, want ErrNotFound", err)
		}
		if users, err := tx.UsersByExternalID(""); err != nil || len(users) != 0 {
			t.Errorf("UsersByExternalID(\"\") = %v, %v; want none", userIDs(users), err)
		}
		if u, err := tx.UserByAbsorbID("a2"); err != nil || u.ID != "u2" {
			t.Errorf("UserByAbsorbID(a2) = %q, %v", u.ID, err)
		}
		for _, id := range []string{"", "A2", "a3"} {
			if _, err := tx.UserByAbsorbID(id); !isNotFound(err) {
				t.Errorf("UserByAbsorbID(%q): %v, want ErrNotFound", id, err)
			}
		}
		users, err = tx.UsersByEmail("ANN@x.ORG")
		if err != nil || !cmp.Equal(userIDs(users), []string{"u1", "u2"}) {
			t.Errorf("UsersByEmail(ANN@x.ORG) = %v, %v; want [u1 u2]", userIDs(users), err)
		}
		users, err = tx.UsersByEmail("élodie@X.org")
		if err != nil || !cmp.Equal(userIDs(users), []string{"u2"}) {
			t.Errorf("UsersByEmail(élodie) = %v, %v; want [u2]", userIDs(users), err)
		}
		if users, err := tx.UsersByEmail("none@x.org"); err != nil || len(users) != 0 {
			t.Errorf("UsersByEmail(none) = %v, %v; want none", userIDs(users), err)
		}
		for _, id := range []string{"", "U1", "nobody"} {
			if _, err := tx.User(id); !isNotFound(err) {
				t.Errorf("User(%q): %v, want ErrNotFound", id, err)
			}
		}
		return nil
	})
}

func testUserConflicts(t *testing.T, s storage.Store) {
	putUsers(t, s, storage.User{ID: "u1", AbsorbID: "a1", UserName: "Ann"})
	update(t, s, func(tx storage.Tx) error {
		for _, c := range []struct {
			u     storage.User
			index string
		}{
			{storage.User{ID: "u2", UserName: "ANN"}, "userName"},
			{storage.User{ID: "u2", UserName: "bob", AbsorbID: "a1"}, "absorbId"},
		} {
			err := tx.PutUser(c.u)
			var ce *storage.ConflictError
			if !errors.As(err, &ce) || !errors.Is(err, storage.ErrConflict) || ce.Index != c.index || ce.ExistingID != "u1" {
				t.Errorf("PutUser(%+v) = %v, want a *ConflictError on %s held by u1", c.u, err, c.index)
			}
		}
		// Nothing was written and the transaction goes on.
		if _, err := tx.User("u2"); !isNotFound(err) {
			t.Errorf("User(u2) after conflicts: %v, want ErrNotFound", err)
		}
		if err := tx.PutUser(storage.User{ID: "u3", UserName: "carl"}); err != nil {
			t.Errorf("PutUser after a conflict: %v", err)
		}
		// The same user may keep its own userName in another case.
		return tx.PutUser(storage.User{ID: "u1", AbsorbID: "a1", UserName: "ANN"})
	})
	view(t, s, func(tx storage.Tx) error {
		if n := tx.CountUsers(); n != 2 {
			t.Errorf("CountUsers = %d, want 2", n)
		}
		u, err := tx.UserByUserName("ann")
		if err != nil || u.UserName != "ANN" {
			t.Errorf("UserByUserName(ann) = %+v, %v", u, err)
		}
		return nil
	})
}

func testUserSwapsUserNames(t *testing.T, s storage.Store) {
	a, b := storage.User{ID: "a", UserName: "x"}, storage.User{ID: "b", UserName: "y"}
	putUsers(t, s, a, b)
	update(t, s, func(tx storage.Tx) error {
		a.UserName, b.UserName = "tmp", "x"
		if err := tx.PutUser(a); err != nil {
			return err
		}
		if err := tx.PutUser(b); err != nil {
			return err
		}
		a.UserName = "y"
		return tx.PutUser(a)
	})
	view(t, s, func(tx storage.Tx) error {
		for name, want := range map[string]string{"x": "b", "y": "a"} {
			if u, err := tx.UserByUserName(name); err != nil || u.ID != want {
				t.Errorf("UserByUserName(%q) = %q, %v; want %q", name, u.ID, err, want)
			}
		}
		if _, err := tx.UserByUserName("tmp"); !isNotFound(err) {
			t.Errorf("UserByUserName(tmp): %v, want ErrNotFound", err)
		}
		return nil
	})
}

func testUserReindexes(t *testing.T, s storage.Store) {
	putUsers(t, s, storage.User{ID: "u1", AbsorbID: "a1", UserName: "old", ExternalID: "e-old", Emails: []string{"old@x.org", "keep@x.org"}})
	putUsers(t, s, storage.User{ID: "u1", AbsorbID: "a2", UserName: "new", ExternalID: "e-new", Emails: []string{"KEEP@x.org", "new@x.org"}})
	putUsers(t, s, storage.User{ID: "u2", AbsorbID: "a1", UserName: "old", ExternalID: "e-old"})
	view(t, s, func(tx storage.Tx) error {
		for _, c := range []struct {
			what string
			get  func() (storage.User, error)
			want string
		}{
			{"userName new", func() (storage.User, error) { return tx.UserByUserName("new") }, "u1"},
			{"userName old", func() (storage.User, error) { return tx.UserByUserName("old") }, "u2"},
			{"absorb a2", func() (storage.User, error) { return tx.UserByAbsorbID("a2") }, "u1"},
			{"absorb a1", func() (storage.User, error) { return tx.UserByAbsorbID("a1") }, "u2"},
			{"externalId e-new", func() (storage.User, error) { return tx.UserByExternalID("e-new") }, "u1"},
			{"externalId e-old", func() (storage.User, error) { return tx.UserByExternalID("e-old") }, "u2"},
		} {
			if u, err := c.get(); err != nil || u.ID != c.want {
				t.Errorf("%s = %q, %v; want %q", c.what, u.ID, err, c.want)
			}
		}
		for email, want := range map[string][]string{"old@x.org": nil, "keep@x.org": {"u1"}, "new@x.org": {"u1"}} {
			users, err := tx.UsersByEmail(email)
			if err != nil || !cmp.Equal(userIDs(users), want, cmpopts.EquateEmpty()) {
				t.Errorf("UsersByEmail(%s) = %v, %v; want %v", email, userIDs(users), err, want)
			}
		}
		return nil
	})
}

func testDeleteUser(t *testing.T, s storage.Store) {
	putUsers(t, s,
		storage.User{ID: "u1", AbsorbID: "a1", UserName: "ann", ExternalID: "e1", Emails: []string{"ann@x.org"}, Active: true},
		storage.User{ID: "u2", UserName: "bob"},
	)
	update(t, s, func(tx storage.Tx) error {
		for _, g := range []string{"g1", "g2"} {
			if err := tx.PutGroup(storage.Group{ID: g, DisplayName: g}); err != nil {
				return err
			}
			for _, u := range []string{"u1", "u2"} {
				if _, err := tx.AddMember(g, storage.Member{UserID: u}); err != nil {
					return err
				}
			}
		}
		return tx.PutRuleState("u1", json.RawMessage(`{"r":1}`))
	})
	update(t, s, func(tx storage.Tx) error {
		if err := tx.DeleteUser("nobody"); !isNotFound(err) {
			t.Errorf("DeleteUser(nobody): %v, want ErrNotFound", err)
		}
		return tx.DeleteUser("u1")
	})
	view(t, s, func(tx storage.Tx) error {
		if _, err := tx.User("u1"); !isNotFound(err) {
			t.Errorf("User(u1) after delete: %v", err)
		}
		for what, err := range map[string]error{
			"userName": second(tx.UserByUserName("ann")), "absorbId": second(tx.UserByAbsorbID("a1")),
			"externalId": second(tx.UserByExternalID("e1")), "groups": second(tx.GroupsOfUser("u1")),
		} {
			if !isNotFound(err) {
				t.Errorf("%s look-up after delete: %v, want ErrNotFound", what, err)
			}
		}
		if users, _ := tx.UsersByEmail("ann@x.org"); len(users) != 0 {
			t.Errorf("UsersByEmail after delete = %v", userIDs(users))
		}
		if st, err := tx.RuleState("u1"); err != nil || st != nil {
			t.Errorf("RuleState after delete = %s, %v; want nil", st, err)
		}
		for _, g := range []string{"g1", "g2"} {
			grp, err := tx.Group(g)
			if err != nil || grp.MemberCount != 1 {
				t.Errorf("group %s: MemberCount %d, %v; want 1", g, grp.MemberCount, err)
			}
			if in, _ := tx.IsMember(g, "u1"); in {
				t.Errorf("u1 still a member of %s", g)
			}
		}
		n, ok, err := tx.CountUserRange(storage.UserRange{Index: storage.ByActive, Kind: storage.RangeEqual, Active: true}, 10)
		if n != 0 || !ok || err != nil {
			t.Errorf("active users after delete = %d, %v, %v; want 0", n, ok, err)
		}
		if tx.CountUsers() != 1 {
			t.Errorf("CountUsers = %d, want 1", tx.CountUsers())
		}
		return nil
	})
	if c := s.Stats(); c.Users != 1 || c.Memberships != 2 || c.Groups != 2 {
		t.Errorf("Stats = %+v, want 1 user, 2 groups, 2 memberships", c)
	}
	// The userName is free again.
	putUsers(t, s, storage.User{ID: "u3", UserName: "ANN", AbsorbID: "a1"})
}

func second[T any](_ T, err error) error { return err }

func testForEachUserPages(t *testing.T, s storage.Store) {
	// More users than one page of any engine's reads.
	const n = 600
	var users []storage.User
	for i := range n {
		users = append(users, storage.User{ID: nth("u", i), UserName: nth("name", i)})
	}
	putUsers(t, s, users...)
	var got []string
	view(t, s, func(tx storage.Tx) error {
		return tx.ForEachUser("", func(u storage.User) (bool, error) {
			got = append(got, u.ID)
			return true, nil
		})
	})
	if diff := cmp.Diff(userIDs(users), got); diff != "" {
		t.Fatalf("ForEachUser (-want +got):\n%s", diff)
	}
	got = nil
	view(t, s, func(tx storage.Tx) error {
		return tx.ForEachUser(nth("u", 297), func(u storage.User) (bool, error) {
			got = append(got, u.ID)
			return len(got) < 300, nil
		})
	})
	if diff := cmp.Diff(userIDs(users[298:598]), got); diff != "" {
		t.Errorf("ForEachUser after u0297, 300 of them (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	err := s.View(func(tx storage.Tx) error {
		return tx.ForEachUser("", func(storage.User) (bool, error) { return true, stop })
	})
	if !errors.Is(err, stop) {
		t.Errorf("ForEachUser with a failing fn: %v, want fn's error", err)
	}
}

func testUserTooLarge(t *testing.T, s storage.Store) {
	huge := strings.Repeat("x", 40000)
	for _, u := range []storage.User{
		{ID: "u1", UserName: huge},
		{ID: "u1", UserName: "ok", ExternalID: huge},
		{ID: "u1", UserName: "ok", Emails: []string{huge}},
	} {
		err := s.Update(func(tx storage.Tx) error { return tx.PutUser(u) })
		if !errors.Is(err, storage.ErrTooLarge) {
			t.Errorf("PutUser of a value of %d bytes: %v, want ErrTooLarge", len(huge), err)
		}
	}
	if c := s.Stats(); c.Users != 0 {
		t.Errorf("Stats().Users = %d after refused writes", c.Users)
	}
}

func testPrepared(t *testing.T, s storage.Store) {
	u := storage.User{ID: "u1", UserName: "ann", Emails: []string{"a@x.org"}, Resource: json.RawMessage(`{"a":1}`)}
	pu, err := s.PrepareUser(u)
	if err != nil {
		t.Fatal(err)
	}
	u.Resource[2] = 'b'
	u.Emails[0] = "b@x.org"
	au := storage.AbsorbUser{ID: "a1", Username: "ann", Raw: json.RawMessage(`{"x":1}`)}
	pa, err := s.PrepareAbsorbUser(au)
	if err != nil {
		t.Fatal(err)
	}
	au.Raw[2] = 'y'
	rec := s.PrepareAudit(storage.AuditRecord{Operation: "create"})
	if rec.Record.Time.IsZero() {
		t.Error("PrepareAudit left the time zero")
	}
	if _, err := s.PrepareUser(storage.User{}); err == nil {
		t.Error("PrepareUser of a user without id succeeded")
	}
	if _, err := s.PrepareAbsorbUser(storage.AbsorbUser{}); err == nil {
		t.Error("PrepareAbsorbUser without id succeeded")
	}
	var seq uint64
	update(t, s, func(tx storage.Tx) error {
		if err := tx.PutPreparedUser(pu); err != nil {
			return err
		}
		if err := tx.PutPreparedAbsorbUser(pa); err != nil {
			return err
		}
		seq, err = tx.AppendPreparedAudit(rec)
		return err
	})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.User("u1")
		if err != nil || string(got.Resource) != `{"a":1}` || !cmp.Equal(got.Emails, []string{"a@x.org"}) {
			t.Errorf("prepared user = %+v, %v; want it as it was prepared", got, err)
		}
		if users, _ := tx.UsersByEmail("a@x.org"); len(users) != 1 {
			t.Errorf("UsersByEmail(a@x.org) = %v, want the prepared user", userIDs(users))
		}
		if users, _ := tx.UsersByEmail("b@x.org"); len(users) != 0 {
			t.Errorf("UsersByEmail(b@x.org) = %v: the index follows a change made after PrepareUser", userIDs(users))
		}
		a, err := tx.AbsorbUser("a1")
		if err != nil || string(a.Raw) != `{"x":1}` {
			t.Errorf("prepared absorb user = %+v, %v", a, err)
		}
		return tx.ForEachAudit(seq, func(r storage.AuditRecord) (bool, error) {
			if r.Seq != seq || !r.Time.Equal(rec.Record.Time) || r.Operation != "create" {
				t.Errorf("prepared audit = %+v, want seq %d at %v", r, seq, rec.Record.Time)
			}
			return false, nil
		})
	})
}
