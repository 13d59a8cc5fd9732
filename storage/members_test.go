package storage

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func memberIDs(t *testing.T, tx *boltTx, groupID string) []string {
	t.Helper()
	var ids []string
	if err := tx.ForEachMember(groupID, func(m Member) (bool, error) {
		ids = append(ids, m.UserID)
		return true, nil
	}); err != nil {
		t.Fatalf("ForEachMember(%s): %v", groupID, err)
	}
	return ids
}

func TestMembers(t *testing.T) {
	s := openTest(t)
	putUsers(t, s, User{ID: "u3", UserName: "c"}, User{ID: "u1", UserName: "a"}, User{ID: "u2", UserName: "b"})
	// "g" is a prefix of "g1": their members must not mix.
	putGroups(t, s, Group{ID: "g"}, Group{ID: "g1"})

	steps := []struct {
		name string
		do   func(tx *boltTx) (bool, error)
		want bool
	}{
		{"add u2", func(tx *boltTx) (bool, error) { return tx.AddMember("g1", Member{UserID: "u2", Display: "B"}) }, true},
		{"add u1", func(tx *boltTx) (bool, error) { return tx.AddMember("g1", Member{UserID: "u1", Display: "A"}) }, true},
		{"add u1 again", func(tx *boltTx) (bool, error) { return tx.AddMember("g1", Member{UserID: "u1", Display: "A"}) }, false},
		{"add u1 with a new display", func(tx *boltTx) (bool, error) { return tx.AddMember("g1", Member{UserID: "u1", Display: "Ada"}) }, false},
		{"add u3 to the prefix group", func(tx *boltTx) (bool, error) { return tx.AddMember("g", Member{UserID: "u3"}) }, true},
		{"remove a non-member", func(tx *boltTx) (bool, error) { return tx.RemoveMember("g1", "u3") }, false},
		{"remove an empty id", func(tx *boltTx) (bool, error) { return tx.RemoveMember("g1", "") }, false},
		{"is member u1", func(tx *boltTx) (bool, error) { return tx.IsMember("g1", "u1") }, true},
		{"is member u3", func(tx *boltTx) (bool, error) { return tx.IsMember("g1", "u3") }, false},
	}
	for _, st := range steps {
		var got bool
		update(t, s, func(tx *boltTx) error {
			var err error
			got, err = st.do(tx)
			return err
		})
		if got != st.want {
			t.Errorf("%s: got %v, want %v", st.name, got, st.want)
		}
	}

	view(t, s, func(tx *boltTx) error {
		var members []Member
		if err := tx.ForEachMember("g1", func(m Member) (bool, error) {
			members = append(members, m)
			return true, nil
		}); err != nil {
			return err
		}
		want := []Member{{UserID: "u1", Display: "Ada"}, {UserID: "u2", Display: "B"}}
		if diff := cmp.Diff(want, members); diff != "" {
			t.Errorf("members of g1 (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"u3"}, memberIDs(t, tx, "g")); diff != "" {
			t.Errorf("members of g (-want +got):\n%s", diff)
		}
		for group, want := range map[string]int{"g": 1, "g1": 2} {
			g, err := tx.Group(group)
			if err != nil {
				return err
			}
			if g.MemberCount != want {
				t.Errorf("%s MemberCount = %d, want %d", group, g.MemberCount, want)
			}
		}
		groups, err := tx.GroupsOfUser("u1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"g1"}, groups); diff != "" {
			t.Errorf("GroupsOfUser(u1) (-want +got):\n%s", diff)
		}
		return nil
	})
	if got := s.Stats().Memberships; got != 3 {
		t.Errorf("Stats().Memberships = %d, want 3", got)
	}
	checkStore(t, s)

	var removed bool
	update(t, s, func(tx *boltTx) error {
		var err error
		removed, err = tx.RemoveMember("g1", "u2")
		return err
	})
	if !removed {
		t.Error("RemoveMember(g1, u2) = false, want true")
	}
	view(t, s, func(tx *boltTx) error {
		if diff := cmp.Diff([]string{"u1"}, memberIDs(t, tx, "g1")); diff != "" {
			t.Errorf("members after remove (-want +got):\n%s", diff)
		}
		if groups, _ := tx.GroupsOfUser("u2"); len(groups) != 0 {
			t.Errorf("GroupsOfUser(u2) after remove = %v", groups)
		}
		return nil
	})
	checkStore(t, s)
}

func TestForEachMemberStops(t *testing.T) {
	s := openTest(t)
	putGroups(t, s, Group{ID: "g"})
	update(t, s, func(tx *boltTx) error {
		for _, id := range []string{"u1", "u2", "u3"} {
			if err := tx.PutUser(User{ID: id, UserName: id}); err != nil {
				return err
			}
			if _, err := tx.AddMember("g", Member{UserID: id}); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx *boltTx) error {
		var n int
		if err := tx.ForEachMember("g", func(Member) (bool, error) { n++; return n < 2, nil }); err != nil {
			return err
		}
		if n != 2 {
			t.Errorf("fn called %d times, want 2", n)
		}
		boom := errors.New("boom")
		if err := tx.ForEachMember("g", func(Member) (bool, error) { return true, boom }); err != boom {
			t.Errorf("ForEachMember = %v, want boom", err)
		}
		return nil
	})
}

func TestClearMembers(t *testing.T) {
	s := openTest(t)
	putGroups(t, s, Group{ID: "g"}, Group{ID: "other"})
	update(t, s, func(tx *boltTx) error {
		for _, id := range []string{"u3", "u1", "u2"} {
			if err := tx.PutUser(User{ID: id, UserName: id}); err != nil {
				return err
			}
			if _, err := tx.AddMember("g", Member{UserID: id}); err != nil {
				return err
			}
		}
		_, err := tx.AddMember("other", Member{UserID: "u1"})
		return err
	})
	var removed []string
	update(t, s, func(tx *boltTx) error {
		var err error
		removed, err = tx.ClearMembers("g")
		return err
	})
	if diff := cmp.Diff([]string{"u1", "u2", "u3"}, removed); diff != "" {
		t.Errorf("ClearMembers (-want +got):\n%s", diff)
	}
	view(t, s, func(tx *boltTx) error {
		g, err := tx.Group("g")
		if err != nil {
			return err
		}
		if g.MemberCount != 0 {
			t.Errorf("MemberCount after clear = %d", g.MemberCount)
		}
		groups, err := tx.GroupsOfUser("u1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"other"}, groups); diff != "" {
			t.Errorf("GroupsOfUser(u1) (-want +got):\n%s", diff)
		}
		return nil
	})
	if got := s.Stats().Memberships; got != 1 {
		t.Errorf("Stats().Memberships = %d, want 1", got)
	}
	update(t, s, func(tx *boltTx) error {
		removed, err := tx.ClearMembers("g")
		if len(removed) != 0 {
			t.Errorf("second ClearMembers removed %v", removed)
		}
		return err
	})
	checkStore(t, s)
}

func TestMemberErrors(t *testing.T) {
	s := openTest(t)
	putUsers(t, s, User{ID: "u1", UserName: "a"})
	putGroups(t, s, Group{ID: "g"})
	tests := []struct {
		name string
		do   func(tx *boltTx) error
		want error
	}{
		{"add to a missing group", func(tx *boltTx) error { _, err := tx.AddMember("nope", Member{UserID: "u1"}); return err }, ErrNotFound},
		{"add a missing user", func(tx *boltTx) error { _, err := tx.AddMember("g", Member{UserID: "nope"}); return err }, ErrUnknownMember},
		{"add an empty user id", func(tx *boltTx) error { _, err := tx.AddMember("g", Member{}); return err }, ErrUnknownMember},
		{"remove from a missing group", func(tx *boltTx) error { _, err := tx.RemoveMember("nope", "u1"); return err }, ErrNotFound},
		{"clear a missing group", func(tx *boltTx) error { _, err := tx.ClearMembers("nope"); return err }, ErrNotFound},
		{"is member of a missing group", func(tx *boltTx) error { _, err := tx.IsMember("nope", "u1"); return err }, ErrNotFound},
		{"members of a missing group", func(tx *boltTx) error {
			return tx.ForEachMember("nope", func(Member) (bool, error) { return true, nil })
		}, ErrNotFound},
		{"groups of a missing user", func(tx *boltTx) error { _, err := tx.GroupsOfUser("nope"); return err }, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.update(tt.do)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if tt.want == ErrUnknownMember && errors.Is(err, ErrNotFound) {
				t.Errorf("an unknown member must not read as a missing group: %v", err)
			}
		})
	}
	if got := s.Stats().Memberships; got != 0 {
		t.Errorf("Stats().Memberships = %d after failed calls", got)
	}
}
