package storage

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

func TestGroupRoundTrip(t *testing.T) {
	s := openTest(t)
	g := Group{
		ID: "g1", DisplayName: "Engineering", ExternalID: "okta-g1",
		Resource: json.RawMessage(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering"}`),
		Created:  t0, LastModified: t0, Version: 3,
		MemberCount: 99, // ignored
	}
	putGroups(t, s, g)
	g.MemberCount = 0
	view(t, s, func(tx *boltTx) error {
		got, err := tx.Group("g1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(g, got); diff != "" {
			t.Errorf("Group() (-want +got):\n%s", diff)
		}
		return nil
	})

	// A replace keeps the member count the store holds.
	putUsers(t, s, User{ID: "u1", UserName: "ada"})
	update(t, s, func(tx *boltTx) error {
		_, err := tx.AddMember("g1", Member{UserID: "u1"})
		return err
	})
	g.Version, g.MemberCount = 4, 0
	putGroups(t, s, g)
	view(t, s, func(tx *boltTx) error {
		got, err := tx.Group("g1")
		if err != nil {
			return err
		}
		if got.MemberCount != 1 || got.Version != 4 {
			t.Errorf("after replace: MemberCount %d Version %d, want 1 and 4", got.MemberCount, got.Version)
		}
		return nil
	})
	if got := s.Stats().Groups; got != 1 {
		t.Errorf("Stats().Groups = %d, want 1", got)
	}
}

func TestGroupLookups(t *testing.T) {
	s := openTest(t)
	putGroups(t, s,
		Group{ID: "g2", DisplayName: "Sales", ExternalID: "e2"},
		Group{ID: "g1", DisplayName: "sales", ExternalID: "e1"},
		Group{ID: "g3", DisplayName: "Sales Team"},
	)
	view(t, s, func(tx *boltTx) error {
		groups, err := tx.GroupsByDisplayName("SALES")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"g1", "g2"}, groupIDs(groups)); diff != "" {
			t.Errorf("GroupsByDisplayName (-want +got):\n%s", diff)
		}
		if groups, _ := tx.GroupsByDisplayName("Nobody"); len(groups) != 0 {
			t.Errorf("GroupsByDisplayName(Nobody) = %d groups", len(groups))
		}
		gs, err := tx.GroupsByExternalID("e2")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"g2"}, groupIDs(gs)); diff != "" {
			t.Errorf("GroupsByExternalID(e2) (-want +got):\n%s", diff)
		}
		for _, ext := range []string{"E2", "", "nope"} {
			if gs, err := tx.GroupsByExternalID(ext); err != nil || len(gs) != 0 {
				t.Errorf("GroupsByExternalID(%q) = %v, %v; want none", ext, groupIDs(gs), err)
			}
		}
		if _, err := tx.Group("nope"); !isNotFound(err) {
			t.Errorf("Group(nope) = %v, want ErrNotFound", err)
		}
		return nil
	})
}

func groupIDs(groups []Group) []string {
	var ids []string
	for _, g := range groups {
		ids = append(ids, g.ID)
	}
	return ids
}

func TestPutGroupReindexes(t *testing.T) {
	s := openTest(t)
	putGroups(t, s, Group{ID: "g1", DisplayName: "Old", ExternalID: "old"})
	putGroups(t, s, Group{ID: "g1", DisplayName: "New", ExternalID: "new"})
	view(t, s, func(tx *boltTx) error {
		if groups, _ := tx.GroupsByDisplayName("old"); len(groups) != 0 {
			t.Errorf("old displayName still finds %d groups", len(groups))
		}
		if gs, _ := tx.GroupsByExternalID("old"); len(gs) != 0 {
			t.Errorf("old externalId still finds %v", groupIDs(gs))
		}
		if groups, _ := tx.GroupsByDisplayName("new"); len(groups) != 1 {
			t.Errorf("new displayName finds %d groups, want 1", len(groups))
		}
		if gs, err := tx.GroupsByExternalID("new"); err != nil || len(gs) != 1 {
			t.Errorf("new externalId finds %v, %v; want g1", groupIDs(gs), err)
		}
		if got := tx.CountGroups(); got != 1 {
			t.Errorf("CountGroups() = %d, want 1", got)
		}
		return nil
	})
	checkStore(t, s)
}

// RFC 7643 §3.1 leaves the uniqueness of externalId to the client: two
// groups may share one.
func TestGroupsShareAnExternalID(t *testing.T) {
	s := openTest(t)
	putGroups(t, s, Group{ID: "g1", DisplayName: "One", ExternalID: "ext"})
	putGroups(t, s, Group{ID: "g2", DisplayName: "Two", ExternalID: "ext"})
	view(t, s, func(tx *boltTx) error {
		gs, err := tx.GroupsByExternalID("ext")
		if diff := cmp.Diff([]string{"g1", "g2"}, groupIDs(gs)); err != nil || diff != "" {
			t.Errorf("GroupsByExternalID(ext) (-want +got), %v:\n%s", err, diff)
		}
		return nil
	})
	update(t, s, func(tx *boltTx) error { return tx.DeleteGroup("g1") })
	view(t, s, func(tx *boltTx) error {
		gs, _ := tx.GroupsByExternalID("ext")
		if diff := cmp.Diff([]string{"g2"}, groupIDs(gs)); diff != "" {
			t.Errorf("after deleting g1 (-want +got):\n%s", diff)
		}
		return nil
	})
	checkStore(t, s)
}

func TestDeleteGroup(t *testing.T) {
	s := openTest(t)
	putUsers(t, s, User{ID: "u1", UserName: "ada"}, User{ID: "u2", UserName: "bob"})
	putGroups(t, s, Group{ID: "g1", DisplayName: "One", ExternalID: "e1"}, Group{ID: "g2", DisplayName: "Two"})
	update(t, s, func(tx *boltTx) error {
		for _, m := range [][2]string{{"g1", "u1"}, {"g1", "u2"}, {"g2", "u1"}} {
			if _, err := tx.AddMember(m[0], Member{UserID: m[1]}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx *boltTx) error { return tx.DeleteGroup("g1") })
	view(t, s, func(tx *boltTx) error {
		if _, err := tx.Group("g1"); !isNotFound(err) {
			t.Errorf("Group(g1) after delete = %v", err)
		}
		if gs, _ := tx.GroupsByExternalID("e1"); len(gs) != 0 {
			t.Errorf("GroupsByExternalID(e1) after delete = %v", groupIDs(gs))
		}
		if groups, _ := tx.GroupsByDisplayName("One"); len(groups) != 0 {
			t.Errorf("GroupsByDisplayName(One) after delete = %d groups", len(groups))
		}
		for user, want := range map[string][]string{"u1": {"g2"}, "u2": nil} {
			got, err := tx.GroupsOfUser(user)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("GroupsOfUser(%s) (-want +got):\n%s", user, diff)
			}
		}
		return nil
	})
	if got, want := s.Stats(), (Counts{Users: 2, Groups: 1, Memberships: 1}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	checkStore(t, s)
	if err := s.update(func(tx *boltTx) error { return tx.DeleteGroup("g1") }); !isNotFound(err) {
		t.Errorf("second DeleteGroup = %v, want ErrNotFound", err)
	}
	// A group created again under the same id starts empty.
	putGroups(t, s, Group{ID: "g1", DisplayName: "One again"})
	view(t, s, func(tx *boltTx) error {
		g, err := tx.Group("g1")
		if err == nil && g.MemberCount != 0 {
			t.Errorf("MemberCount of a re-created group = %d", g.MemberCount)
		}
		return err
	})
}

func TestForEachGroup(t *testing.T) {
	s := openTest(t)
	putGroups(t, s, Group{ID: "c"}, Group{ID: "a"}, Group{ID: "b"})
	tests := []struct {
		name  string
		after string
		limit int
		want  []string
	}{
		{name: "all", want: []string{"a", "b", "c"}},
		{name: "after", after: "a", want: []string{"b", "c"}},
		{name: "stop early", limit: 1, want: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			view(t, s, func(tx *boltTx) error {
				return tx.ForEachGroup(tt.after, func(g Group) (bool, error) {
					got = append(got, g.ID)
					return tt.limit == 0 || len(got) < tt.limit, nil
				})
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

// A file written when a group's externalId was unique (groups/externalId,
// value -> id, and no groups/externalIds) opens with its groups found by
// externalId, and then takes a second group with the same one.
func TestOldGroupExternalIDIndexMoves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	putGroups(t, s, Group{ID: "g1", DisplayName: "One", ExternalID: "ext"})
	// Make it the file an earlier version left.
	err = s.db.Update(func(btx *bolt.Tx) error {
		if err := btx.DeleteBucket(bucketNames[bGroupExternalIDs]); err != nil {
			return err
		}
		return btx.Bucket(bucketNames[bGroupExternalID]).Put([]byte("ext"), []byte("g1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	view(t, ro, func(tx *boltTx) error {
		gs, err := tx.GroupsByExternalID("ext")
		if diff := cmp.Diff([]string{"g1"}, groupIDs(gs)); err != nil || diff != "" {
			t.Errorf("read-only, before the move (-want +got), %v:\n%s", err, diff)
		}
		return nil
	})
	checkStore(t, ro)
	_ = ro.Close()
	s, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	putGroups(t, s, Group{ID: "g2", DisplayName: "Two", ExternalID: "ext"})
	view(t, s, func(tx *boltTx) error {
		gs, err := tx.GroupsByExternalID("ext")
		if diff := cmp.Diff([]string{"g1", "g2"}, groupIDs(gs)); err != nil || diff != "" {
			t.Errorf("after the move (-want +got), %v:\n%s", err, diff)
		}
		if n := tx.tx.Bucket(bucketNames[bGroupExternalID]).Stats().KeyN; n != 0 {
			t.Errorf("the old index still holds %d keys", n)
		}
		return nil
	})
	checkStore(t, s)
}
