package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/absorb-scim/absorb-scim/storage"
)

func absorbIDs(t *testing.T, tx storage.Tx) []string {
	t.Helper()
	var ids []string
	if err := tx.ForEachAbsorbUser(func(u storage.AbsorbUser) (bool, error) {
		ids = append(ids, u.ID)
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

func testAbsorbMirror(t *testing.T, s storage.Store) {
	a := storage.AbsorbUser{ID: "a1", Username: "Straße", ExternalID: "E1", DateEdited: "2026-01-01T00:00:00", Raw: json.RawMessage(`{"id":"a1"}`)}
	update(t, s, func(tx storage.Tx) error {
		if err := tx.PutAbsorbUser(a); err != nil {
			return err
		}
		return tx.PutAbsorbUser(storage.AbsorbUser{ID: "a0", Username: "zed"})
	})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.AbsorbUser("a1")
		if diff := cmp.Diff(a, got); err != nil || diff != "" {
			t.Errorf("AbsorbUser(a1) %v (-want +got):\n%s", err, diff)
		}
		if u, err := tx.AbsorbUserByUsername("STRASSE"); err != nil || u.ID != "a1" {
			t.Errorf("AbsorbUserByUsername(STRASSE) = %q, %v", u.ID, err)
		}
		if u, err := tx.AbsorbUserByExternalID("E1"); err != nil || u.ID != "a1" {
			t.Errorf("AbsorbUserByExternalID(E1) = %q, %v", u.ID, err)
		}
		if _, err := tx.AbsorbUserByExternalID("e1"); !isNotFound(err) {
			t.Errorf("AbsorbUserByExternalID(e1): %v, want ErrNotFound (exact)", err)
		}
		for _, f := range []func() error{
			func() error { return second(tx.AbsorbUser("")) },
			func() error { return second(tx.AbsorbUser("nope")) },
			func() error { return second(tx.AbsorbUserByUsername("")) },
			func() error { return second(tx.AbsorbUserByExternalID("")) },
		} {
			if err := f(); !isNotFound(err) {
				t.Errorf("look-up of nothing: %v, want ErrNotFound", err)
			}
		}
		if n := tx.CountAbsorbUsers(); n != 2 {
			t.Errorf("CountAbsorbUsers = %d, want 2", n)
		}
		if got := absorbIDs(t, tx); !cmp.Equal(got, []string{"a0", "a1"}) {
			t.Errorf("ForEachAbsorbUser = %v", got)
		}
		return nil
	})
	// The last write of a username or externalId wins; an entry leaves
	// with the account it points at, and an overwritten one stays with its
	// new holder.
	update(t, s, func(tx storage.Tx) error {
		if err := tx.PutAbsorbUser(storage.AbsorbUser{ID: "a2", Username: "STRASSE", ExternalID: "E1"}); err != nil {
			return err
		}
		if u, err := tx.AbsorbUserByUsername("straße"); err != nil || u.ID != "a2" {
			t.Errorf("after a2 took the username: %q, %v; want a2", u.ID, err)
		}
		if err := tx.PutAbsorbUser(storage.AbsorbUser{ID: "a1", Username: "other", ExternalID: "E9"}); err != nil {
			return err
		}
		if u, err := tx.AbsorbUserByUsername("strasse"); err != nil || u.ID != "a2" {
			t.Errorf("a1 renamed away: strasse = %q, %v; want a2 still", u.ID, err)
		}
		if u, err := tx.AbsorbUserByExternalID("E1"); err != nil || u.ID != "a2" {
			t.Errorf("a1 moved away: E1 = %q, %v; want a2 still", u.ID, err)
		}
		if err := tx.PutAbsorbUser(storage.AbsorbUser{ID: "a2", Username: "new"}); err != nil {
			return err
		}
		if _, err := tx.AbsorbUserByUsername("strasse"); !isNotFound(err) {
			t.Errorf("strasse after its holder a2 renamed: %v, want ErrNotFound", err)
		}
		if err := tx.DeleteAbsorbUser("nope"); !isNotFound(err) {
			t.Errorf("DeleteAbsorbUser(nope): %v, want ErrNotFound", err)
		}
		return tx.DeleteAbsorbUser("a1")
	})
	view(t, s, func(tx storage.Tx) error {
		for _, err := range []error{second(tx.AbsorbUser("a1")), second(tx.AbsorbUserByUsername("other")), second(tx.AbsorbUserByExternalID("E9"))} {
			if !isNotFound(err) {
				t.Errorf("after DeleteAbsorbUser(a1): %v, want ErrNotFound", err)
			}
		}
		if u, err := tx.AbsorbUserByUsername("NEW"); err != nil || u.ID != "a2" {
			t.Errorf("AbsorbUserByUsername(NEW) = %q, %v", u.ID, err)
		}
		if n := tx.CountAbsorbUsers(); n != 2 {
			t.Errorf("CountAbsorbUsers = %d, want 2", n)
		}
		return nil
	})
	if c := s.Stats(); c.AbsorbUsers != 2 {
		t.Errorf("Stats().AbsorbUsers = %d, want 2", c.AbsorbUsers)
	}
}

// A user linked to an Absorb account and the account's copy live and die
// apart, whatever the engine keeps together.
func testAbsorbMirrorLinkedUsers(t *testing.T, s storage.Store) {
	update(t, s, func(tx storage.Tx) error {
		if err := tx.PutAbsorbUser(storage.AbsorbUser{ID: "a1", Username: "ann", Raw: json.RawMessage(`{"v":1}`)}); err != nil {
			return err
		}
		if err := tx.PutUser(storage.User{ID: "u1", AbsorbID: "a1", UserName: "ann", Resource: json.RawMessage(`{"u":1}`)}); err != nil {
			return err
		}
		return tx.PutAbsorbUser(storage.AbsorbUser{ID: "a1", Username: "ann", Raw: json.RawMessage(`{"v":2}`)})
	})
	update(t, s, func(tx storage.Tx) error {
		// Relinked to another account: a1's copy stays readable.
		return tx.PutUser(storage.User{ID: "u1", AbsorbID: "a2", UserName: "ann", Resource: json.RawMessage(`{"u":2}`)})
	})
	view(t, s, func(tx storage.Tx) error {
		a, err := tx.AbsorbUser("a1")
		if err != nil || string(a.Raw) != `{"v":2}` {
			t.Errorf("AbsorbUser(a1) after relink = %+v, %v", a, err)
		}
		u, err := tx.User("u1")
		if err != nil || u.AbsorbID != "a2" || string(u.Resource) != `{"u":2}` {
			t.Errorf("User(u1) = %+v, %v", u, err)
		}
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		if err := tx.PutUser(storage.User{ID: "u1", AbsorbID: "a1", UserName: "ann"}); err != nil {
			return err
		}
		return tx.DeleteAbsorbUser("a1")
	})
	view(t, s, func(tx storage.Tx) error {
		if u, err := tx.UserByAbsorbID("a1"); err != nil || u.ID != "u1" {
			t.Errorf("the user outlives its account's copy: %q, %v", u.ID, err)
		}
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		if err := tx.PutAbsorbUser(storage.AbsorbUser{ID: "a1", Username: "ann", Raw: json.RawMessage(`{"v":3}`)}); err != nil {
			return err
		}
		return tx.DeleteUser("u1")
	})
	view(t, s, func(tx storage.Tx) error {
		if a, err := tx.AbsorbUserByUsername("ANN"); err != nil || string(a.Raw) != `{"v":3}` {
			t.Errorf("the copy outlives its user: %+v, %v", a, err)
		}
		return nil
	})
}

func testGroups(t *testing.T, s storage.Store) {
	g := storage.Group{ID: "g1", DisplayName: "Élèves", ExternalID: "X1", Resource: json.RawMessage(`{"displayName":"Élèves"}`),
		Created: t0, LastModified: t0.Add(time.Second), Version: 7}
	update(t, s, func(tx storage.Tx) error {
		for _, x := range []storage.Group{g, {ID: "g2", DisplayName: "élèves", ExternalID: "X1"}, {ID: "g0", DisplayName: "other", ExternalID: "x1"}} {
			if err := tx.PutGroup(x); err != nil {
				return err
			}
		}
		if err := tx.PutGroup(storage.Group{DisplayName: "no id"}); err == nil {
			t.Error("PutGroup without id succeeded")
		}
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Group("g1")
		if diff := cmp.Diff(g, got); err != nil || diff != "" {
			t.Errorf("Group(g1) %v (-want +got):\n%s", err, diff)
		}
		if _, err := tx.Group("nope"); !isNotFound(err) {
			t.Errorf("Group(nope): %v, want ErrNotFound", err)
		}
		groups, err := tx.GroupsByDisplayName("ÉLÈVES")
		if err != nil || !cmp.Equal(groupIDs(groups), []string{"g1", "g2"}) {
			t.Errorf("GroupsByDisplayName(ÉLÈVES) = %v, %v", groupIDs(groups), err)
		}
		groups, err = tx.GroupsByExternalID("X1")
		if err != nil || !cmp.Equal(groupIDs(groups), []string{"g1", "g2"}) {
			t.Errorf("GroupsByExternalID(X1) = %v, %v; want [g1 g2] (exact, not unique)", groupIDs(groups), err)
		}
		if groups, _ := tx.GroupsByDisplayName(""); len(groups) != 0 {
			t.Errorf("GroupsByDisplayName(\"\") = %v", groupIDs(groups))
		}
		if n := tx.CountGroups(); n != 3 {
			t.Errorf("CountGroups = %d, want 3", n)
		}
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		if err := tx.PutUser(storage.User{ID: "u1", UserName: "ann"}); err != nil {
			return err
		}
		if _, err := tx.AddMember("g1", storage.Member{UserID: "u1"}); err != nil {
			return err
		}
		// A rename moves the index and keeps the members.
		return tx.PutGroup(storage.Group{ID: "g1", DisplayName: "Staff", MemberCount: 99})
	})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Group("g1")
		if err != nil || got.MemberCount != 1 || got.ExternalID != "" {
			t.Errorf("Group(g1) after rename = %+v, %v; want 1 member kept, no externalId", got, err)
		}
		if groups, _ := tx.GroupsByDisplayName("élèves"); !cmp.Equal(groupIDs(groups), []string{"g2"}) {
			t.Errorf("old displayName now finds %v, want [g2]", groupIDs(groups))
		}
		if groups, _ := tx.GroupsByDisplayName("STAFF"); !cmp.Equal(groupIDs(groups), []string{"g1"}) {
			t.Errorf("new displayName finds %v, want [g1]", groupIDs(groups))
		}
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		if err := tx.DeleteGroup("nope"); !isNotFound(err) {
			t.Errorf("DeleteGroup(nope): %v, want ErrNotFound", err)
		}
		return tx.DeleteGroup("g1")
	})
	view(t, s, func(tx storage.Tx) error {
		if g, err := tx.GroupsOfUser("u1"); err != nil || len(g) != 0 {
			t.Errorf("GroupsOfUser(u1) after its group went = %v, %v", g, err)
		}
		var ids []string
		err := tx.ForEachGroup("g0", func(g storage.Group) (bool, error) {
			ids = append(ids, g.ID)
			return true, nil
		})
		if err != nil || !cmp.Equal(ids, []string{"g2"}) {
			t.Errorf("ForEachGroup after g0 = %v, %v; want [g2]", ids, err)
		}
		return nil
	})
	if c := s.Stats(); c.Groups != 2 || c.Memberships != 0 {
		t.Errorf("Stats = %+v, want 2 groups, no memberships", c)
	}
}

func testMembers(t *testing.T, s storage.Store) {
	putUsers(t, s, storage.User{ID: "u1", UserName: "a"}, storage.User{ID: "u2", UserName: "b"}, storage.User{ID: "u3", UserName: "c"})
	update(t, s, func(tx storage.Tx) error {
		for _, g := range []string{"g1", "g2"} {
			if err := tx.PutGroup(storage.Group{ID: g, DisplayName: g}); err != nil {
				return err
			}
		}
		for _, c := range []struct {
			g, u, display string
			want          bool
		}{
			{"g1", "u2", "B", true}, {"g1", "u1", "A", true}, {"g1", "u1", "A2", false}, {"g2", "u1", "", true},
		} {
			added, err := tx.AddMember(c.g, storage.Member{UserID: c.u, Display: c.display})
			if err != nil || added != c.want {
				t.Errorf("AddMember(%s, %s) = %v, %v; want %v", c.g, c.u, added, err, c.want)
			}
		}
		if _, err := tx.AddMember("nope", storage.Member{UserID: "u1"}); !isNotFound(err) {
			t.Errorf("AddMember to no group: %v, want ErrNotFound", err)
		}
		for _, u := range []string{"", "ghost"} {
			if _, err := tx.AddMember("g1", storage.Member{UserID: u}); !errors.Is(err, storage.ErrUnknownMember) || isNotFound(err) {
				t.Errorf("AddMember(%q): %v, want ErrUnknownMember only", u, err)
			}
		}
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		var members []storage.Member
		if err := tx.ForEachMember("g1", func(m storage.Member) (bool, error) {
			members = append(members, m)
			return true, nil
		}); err != nil {
			return err
		}
		if diff := cmp.Diff([]storage.Member{{UserID: "u1", Display: "A2"}, {UserID: "u2", Display: "B"}}, members); diff != "" {
			t.Errorf("ForEachMember(g1) (-want +got):\n%s", diff)
		}
		if err := tx.ForEachMember("nope", func(storage.Member) (bool, error) { return true, nil }); !isNotFound(err) {
			t.Errorf("ForEachMember(nope): %v, want ErrNotFound", err)
		}
		for _, c := range []struct {
			g, u string
			want bool
		}{{"g1", "u1", true}, {"g1", "u3", false}, {"g2", "u2", false}, {"g1", "", false}} {
			if in, err := tx.IsMember(c.g, c.u); err != nil || in != c.want {
				t.Errorf("IsMember(%s, %s) = %v, %v; want %v", c.g, c.u, in, err, c.want)
			}
		}
		if _, err := tx.IsMember("nope", "u1"); !isNotFound(err) {
			t.Errorf("IsMember(nope): %v, want ErrNotFound", err)
		}
		if g, err := tx.GroupsOfUser("u1"); err != nil || !cmp.Equal(g, []string{"g1", "g2"}) {
			t.Errorf("GroupsOfUser(u1) = %v, %v", g, err)
		}
		if g, err := tx.GroupsOfUser("u3"); err != nil || len(g) != 0 {
			t.Errorf("GroupsOfUser(u3) = %v, %v; want none", g, err)
		}
		if _, err := tx.GroupsOfUser("ghost"); !isNotFound(err) {
			t.Errorf("GroupsOfUser(ghost): %v, want ErrNotFound", err)
		}
		if g, _ := tx.Group("g1"); g.MemberCount != 2 {
			t.Errorf("g1 MemberCount = %d, want 2", g.MemberCount)
		}
		return nil
	})
	// A user read first, then its groups (an engine may answer the second
	// from the first): the same answer, and a copy the caller may change.
	view(t, s, func(tx storage.Tx) error {
		if _, err := tx.UserByUserName(userName(t, tx, "u1")); err != nil {
			return err
		}
		g, err := tx.GroupsOfUser("u1")
		if err != nil || !cmp.Equal(g, []string{"g1", "g2"}) {
			t.Errorf("GroupsOfUser(u1) after reading u1 = %v, %v", g, err)
		}
		if len(g) > 0 {
			g[0] = "changed"
		}
		if again, _ := tx.GroupsOfUser("u1"); !cmp.Equal(again, []string{"g1", "g2"}) {
			t.Errorf("GroupsOfUser(u1) after the caller changed its answer = %v", again)
		}
		return nil
	})
	if c := s.Stats(); c.Memberships != 3 {
		t.Errorf("Stats().Memberships = %d, want 3", c.Memberships)
	}
	update(t, s, func(tx storage.Tx) error {
		if removed, err := tx.RemoveMember("g1", "u3"); err != nil || removed {
			t.Errorf("RemoveMember of a non-member = %v, %v", removed, err)
		}
		if _, err := tx.RemoveMember("nope", "u1"); !isNotFound(err) {
			t.Errorf("RemoveMember from no group: %v, want ErrNotFound", err)
		}
		if removed, err := tx.RemoveMember("g2", "u1"); err != nil || !removed {
			t.Errorf("RemoveMember(g2, u1) = %v, %v", removed, err)
		}
		ids, err := tx.ClearMembers("g1")
		if err != nil || !cmp.Equal(ids, []string{"u1", "u2"}) {
			t.Errorf("ClearMembers(g1) = %v, %v; want [u1 u2]", ids, err)
		}
		if ids, err := tx.ClearMembers("g1"); err != nil || len(ids) != 0 {
			t.Errorf("ClearMembers of an empty group = %v, %v", ids, err)
		}
		if _, err := tx.ClearMembers("nope"); !isNotFound(err) {
			t.Errorf("ClearMembers(nope): %v, want ErrNotFound", err)
		}
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		for _, g := range []string{"g1", "g2"} {
			if grp, _ := tx.Group(g); grp.MemberCount != 0 {
				t.Errorf("%s MemberCount = %d, want 0", g, grp.MemberCount)
			}
		}
		return nil
	})
	if c := s.Stats(); c.Memberships != 0 {
		t.Errorf("Stats().Memberships = %d, want 0", c.Memberships)
	}
}

func testIntents(t *testing.T, s storage.Store) {
	in := storage.Intent{Key: "Straße", SCIMID: "u1", Resource: json.RawMessage(`{"userName":"Straße"}`), Started: t0}
	update(t, s, func(tx storage.Tx) error {
		if err := tx.PutIntent(in); err != nil {
			return err
		}
		if err := tx.PutIntent(storage.Intent{Key: "abe", SCIMID: "u0"}); err != nil {
			return err
		}
		if err := tx.PutIntent(storage.Intent{Key: "STRASSE", SCIMID: "u2", Started: t0}); err != nil {
			return err
		}
		if err := tx.PutIntent(storage.Intent{}); err == nil {
			t.Error("PutIntent with no key succeeded")
		}
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Intent("strasse")
		want := storage.Intent{Key: "strasse", SCIMID: "u2", Started: t0}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); err != nil || diff != "" {
			t.Errorf("Intent(strasse) %v (-want +got):\n%s", err, diff)
		}
		if _, err := tx.Intent("nope"); !isNotFound(err) {
			t.Errorf("Intent(nope): %v, want ErrNotFound", err)
		}
		if n := tx.CountIntents(); n != 2 {
			t.Errorf("CountIntents = %d, want 2", n)
		}
		var keys []string
		if err := tx.ForEachIntent(func(in storage.Intent) (bool, error) {
			keys = append(keys, in.Key)
			return true, nil
		}); err != nil {
			return err
		}
		if !cmp.Equal(keys, []string{"abe", "strasse"}) {
			t.Errorf("ForEachIntent keys = %v", keys)
		}
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		if err := tx.DeleteIntent("STRASSE"); err != nil {
			return err
		}
		return tx.DeleteIntent("never there")
	})
	if c := s.Stats(); c.Intents != 1 {
		t.Errorf("Stats().Intents = %d, want 1", c.Intents)
	}
}

func testHolds(t *testing.T, s storage.Store) {
	h := storage.Hold{UserID: "u1", AbsorbID: "a1", UserName: "ann", Kind: "deactivate", Time: t0, Credential: "okta",
		RequestID: "r1", Resource: json.RawMessage(`{"active":true}`)}
	update(t, s, func(tx storage.Tx) error {
		if err := tx.PutHold(h); err != nil {
			return err
		}
		if err := tx.PutHold(storage.Hold{UserID: "u0", Kind: "delete"}); err != nil {
			return err
		}
		if err := tx.PutHold(storage.Hold{}); err == nil {
			t.Error("PutHold without a user id succeeded")
		}
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Hold("u1")
		if diff := cmp.Diff(h, got); err != nil || diff != "" {
			t.Errorf("Hold(u1) %v (-want +got):\n%s", err, diff)
		}
		for _, id := range []string{"", "u9"} {
			if _, err := tx.Hold(id); !isNotFound(err) {
				t.Errorf("Hold(%q): %v, want ErrNotFound", id, err)
			}
		}
		var ids []string
		if err := tx.ForEachHold(func(h storage.Hold) (bool, error) {
			ids = append(ids, h.UserID)
			return true, nil
		}); err != nil {
			return err
		}
		if !cmp.Equal(ids, []string{"u0", "u1"}) {
			t.Errorf("ForEachHold = %v", ids)
		}
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		if err := tx.DeleteHold("u1"); err != nil {
			return err
		}
		return tx.DeleteHold("u9")
	})
	view(t, s, func(tx storage.Tx) error {
		if _, err := tx.Hold("u1"); !isNotFound(err) {
			t.Errorf("Hold(u1) after delete: %v", err)
		}
		return nil
	})
}

func auditSeqs(t *testing.T, s storage.Store, backward bool, from uint64) []uint64 {
	t.Helper()
	var seqs []uint64
	view(t, s, func(tx storage.Tx) error {
		fn := func(r storage.AuditRecord) (bool, error) {
			seqs = append(seqs, r.Seq)
			return true, nil
		}
		if backward {
			return tx.ForEachAuditBackward(from, fn)
		}
		return tx.ForEachAudit(from, fn)
	})
	return seqs
}

func testAudit(t *testing.T, s storage.Store) {
	rec := storage.AuditRecord{Seq: 999, Time: t0, Credential: "okta", RequestID: "r1", Operation: "replace", ResourceType: "User",
		ResourceID: "u1", AbsorbID: "a1", UserName: "ann", Outcome: "ok",
		Changes: []storage.FieldChange{{Field: "title", From: "a", To: "b"}, {Field: "dept", To: "x"}}}
	var seqs []uint64
	update(t, s, func(tx storage.Tx) error {
		for i := range 600 {
			r := rec
			r.RequestID = nth("r", i)
			seq, err := tx.AppendAudit(r)
			if err != nil {
				return err
			}
			if len(seqs) > 0 && seq <= seqs[len(seqs)-1] {
				t.Errorf("AppendAudit gave %d after %d", seq, seqs[len(seqs)-1])
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		return tx.ForEachAudit(seqs[0], func(got storage.AuditRecord) (bool, error) {
			want := rec
			want.Seq, want.RequestID = seqs[0], nth("r", 0)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("first record (-want +got):\n%s", diff)
			}
			return false, nil
		})
	})
	if got := auditSeqs(t, s, false, 0); !cmp.Equal(got, seqs) {
		t.Errorf("ForEachAudit(0) = %d records, want the %d appended in order", len(got), len(seqs))
	}
	if got := auditSeqs(t, s, false, seqs[300]); !cmp.Equal(got, seqs[300:]) {
		t.Errorf("ForEachAudit(from the 301st) = %d records, want %d", len(got), len(seqs[300:]))
	}
	reversed := func(list []uint64) []uint64 {
		out := make([]uint64, len(list))
		for i, v := range list {
			out[len(list)-1-i] = v
		}
		return out
	}
	if got := auditSeqs(t, s, true, 0); !cmp.Equal(got, reversed(seqs)) {
		t.Errorf("ForEachAuditBackward(0) = %d records, want every one newest first", len(got))
	}
	if got := auditSeqs(t, s, true, seqs[300]); !cmp.Equal(got, reversed(seqs[:300])) {
		t.Errorf("ForEachAuditBackward(the 301st) = %d records, want the 300 before it newest first", len(got))
	}
	// A zero time is the time of the append.
	before := time.Now()
	update(t, s, func(tx storage.Tx) error {
		seq, err := tx.AppendAudit(storage.AuditRecord{Operation: "create"})
		if err != nil {
			return err
		}
		return tx.ForEachAudit(seq, func(r storage.AuditRecord) (bool, error) {
			if r.Time.Before(before.Add(-time.Second)) || r.Time.After(time.Now().Add(time.Second)) || len(r.Changes) != 0 {
				t.Errorf("record of a zero time = %+v, want now and no changes", r)
			}
			return false, nil
		})
	})
}

func testAuditPrune(t *testing.T, s storage.Store) {
	var seqs []uint64
	update(t, s, func(tx storage.Tx) error {
		// Times out of order: pruning stops at the first record not older
		// than the cut, in sequence order.
		for _, h := range []int{1, 2, 3, 9, 4, 5} {
			seq, err := tx.AppendAudit(storage.AuditRecord{Time: t0.Add(time.Duration(h) * time.Hour), Operation: "op"})
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	cut := t0.Add(6 * time.Hour)
	update(t, s, func(tx storage.Tx) error {
		n, err := tx.PruneAudit(cut, 2)
		if err != nil || n != 2 {
			t.Errorf("PruneAudit(limit 2) = %d, %v; want 2", n, err)
		}
		n, err = tx.PruneAudit(cut, 0)
		if err != nil || n != 1 {
			t.Errorf("PruneAudit(no limit) = %d, %v; want 1, stopping at the newer record", n, err)
		}
		return nil
	})
	if got := auditSeqs(t, s, false, 0); !cmp.Equal(got, seqs[3:]) {
		t.Errorf("left after pruning: %v, want %v", got, seqs[3:])
	}
	update(t, s, func(tx storage.Tx) error {
		n, err := tx.PruneAudit(t0.Add(100*time.Hour), 0)
		if err != nil || n != 3 {
			t.Errorf("PruneAudit(everything) = %d, %v; want 3", n, err)
		}
		return nil
	})
	// Numbers are never reused, even with every record pruned.
	update(t, s, func(tx storage.Tx) error {
		seq, err := tx.AppendAudit(storage.AuditRecord{Operation: "after"})
		if err == nil && seq <= seqs[len(seqs)-1] {
			t.Errorf("AppendAudit after a prune gave %d, not after %d", seq, seqs[len(seqs)-1])
		}
		return err
	})
}

func testCursorsAndRuleStates(t *testing.T, s storage.Store) {
	update(t, s, func(tx storage.Tx) error {
		if err := tx.PutCursor("sync", "c1"); err != nil {
			return err
		}
		if err := tx.PutCursor("", "x"); err == nil {
			t.Error("PutCursor with no name succeeded")
		}
		for _, id := range []string{"u2", "u1"} {
			if err := tx.PutRuleState(id, json.RawMessage(`{"id":"`+id+`"}`)); err != nil {
				return err
			}
		}
		if err := tx.PutRuleState("", json.RawMessage(`{}`)); err == nil {
			t.Error("PutRuleState with no user succeeded")
		}
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		for name, want := range map[string]string{"sync": "c1", "other": "", "": ""} {
			if v, err := tx.Cursor(name); err != nil || v != want {
				t.Errorf("Cursor(%q) = %q, %v; want %q", name, v, err, want)
			}
		}
		if st, err := tx.RuleState("u1"); err != nil || string(st) != `{"id":"u1"}` {
			t.Errorf("RuleState(u1) = %s, %v", st, err)
		}
		if st, err := tx.RuleState("u9"); err != nil || st != nil {
			t.Errorf("RuleState(u9) = %s, %v; want nil", st, err)
		}
		var ids []string
		if err := tx.ForEachRuleState(func(id string, raw json.RawMessage) (bool, error) {
			ids = append(ids, id)
			return true, nil
		}); err != nil {
			return err
		}
		if !cmp.Equal(ids, []string{"u1", "u2"}) {
			t.Errorf("ForEachRuleState = %v", ids)
		}
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		if err := tx.PutCursor("sync", ""); err != nil {
			return err
		}
		return tx.PutRuleState("u1", nil)
	})
	view(t, s, func(tx storage.Tx) error {
		if v, _ := tx.Cursor("sync"); v != "" {
			t.Errorf("Cursor(sync) after removal = %q", v)
		}
		if st, _ := tx.RuleState("u1"); st != nil {
			t.Errorf("RuleState(u1) after removal = %s", st)
		}
		return nil
	})
}

// userName is the userName of the user with SCIM id id.
func userName(t *testing.T, tx storage.Tx, id string) string {
	t.Helper()
	u, err := tx.User(id)
	if err != nil {
		t.Fatalf("User(%s): %v", id, err)
	}
	return u.UserName
}
