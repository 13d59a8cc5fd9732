package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/absorb-scim/absorb-scim/storage"
)

func walkUser(id, userName, family string, active bool, modified time.Time, emails ...string) storage.User {
	doc := map[string]any{"userName": userName}
	if family != "" {
		doc["name"] = map[string]any{"familyName": family, "givenName": "G" + family}
		doc["displayName"] = family + " " + userName
	}
	res, _ := json.Marshal(doc)
	ext := ""
	if family != "" {
		ext = "X-" + family
	}
	return storage.User{ID: id, UserName: userName, ExternalID: ext, Active: active, Emails: emails, Resource: res, LastModified: modified, Created: modified}
}

// scanIDs returns the ids of range r in order, and the position of each.
func scanIDs(t *testing.T, s storage.Store, r storage.UserRange, desc bool, after []byte) (ids []string, pos [][]byte) {
	t.Helper()
	view(t, s, func(tx storage.Tx) error {
		return tx.ScanUsers(r, desc, after, func(p []byte, id string) (bool, error) {
			ids, pos = append(ids, id), append(pos, p)
			return true, nil
		})
	})
	return ids, pos
}

func walkFixture(t *testing.T, s storage.Store) {
	putUsers(t, s,
		walkUser("u1", "carol", "Smith", true, t0.Add(3*time.Second), "c@x.org"),
		walkUser("u2", "Alice", "smithers", false, t0.Add(1*time.Second)),
		walkUser("u3", "bob", "", true, t0.Add(2*time.Second), "b@x.org", "B@y.org"),
		walkUser("u4", "al\x00ex", "Jones", true, t0.Add(2*time.Second)),
	)
}

func testWalkRanges(t *testing.T, s storage.Store) {
	walkFixture(t, s)
	for _, tt := range []struct {
		name string
		r    storage.UserRange
		desc bool
		want []string
	}{
		{"all by id", storage.UserRange{Index: storage.ByID}, false, []string{"u1", "u2", "u3", "u4"}},
		{"all by id descending", storage.UserRange{Index: storage.ByID}, true, []string{"u4", "u3", "u2", "u1"}},
		{"all by userName", storage.UserRange{Index: storage.ByUserName}, false, []string{"u4", "u2", "u3", "u1"}},
		{"all by userName descending", storage.UserRange{Index: storage.ByUserName}, true, []string{"u1", "u3", "u2", "u4"}},
		{"userName eq folds case", storage.UserRange{Index: storage.ByUserName, Kind: storage.RangeEqual, Value: "ALICE"}, false, []string{"u2"}},
		{"userName sw with a zero byte", storage.UserRange{Index: storage.ByUserName, Kind: storage.RangePrefix, Value: "al\x00"}, false, []string{"u4"}},
		{"userName sw", storage.UserRange{Index: storage.ByUserName, Kind: storage.RangePrefix, Value: "al"}, false, []string{"u4", "u2"}},
		{"userName sw empty is every present value", storage.UserRange{Index: storage.ByUserName, Kind: storage.RangePrefix}, false, []string{"u4", "u2", "u3", "u1"}},
		{"externalId is exact", storage.UserRange{Index: storage.ByExternalID, Kind: storage.RangeEqual, Value: "X-Smith"}, false, []string{"u1"}},
		{"externalId exact misses another case", storage.UserRange{Index: storage.ByExternalID, Kind: storage.RangeEqual, Value: "x-smith"}, false, nil},
		{"externalId sw, missing excluded", storage.UserRange{Index: storage.ByExternalID, Kind: storage.RangePrefix, Value: "X-"}, false, []string{"u4", "u1", "u2"}},
		{"externalId missing", storage.UserRange{Index: storage.ByExternalID, Kind: storage.RangeEqual}, false, []string{"u3"}},
		{"missing family names last", storage.UserRange{Index: storage.ByFamilyName}, false, []string{"u4", "u1", "u2", "u3"}},
		{"missing family names first descending", storage.UserRange{Index: storage.ByFamilyName}, true, []string{"u3", "u2", "u1", "u4"}},
		{"family name eq folds case", storage.UserRange{Index: storage.ByFamilyName, Kind: storage.RangeEqual, Value: "SMITH"}, false, []string{"u1"}},
		{"family name sw", storage.UserRange{Index: storage.ByFamilyName, Kind: storage.RangePrefix, Value: "smi"}, false, []string{"u1", "u2"}},
		{"family name sw descending", storage.UserRange{Index: storage.ByFamilyName, Kind: storage.RangePrefix, Value: "smi"}, true, []string{"u2", "u1"}},
		{"given name", storage.UserRange{Index: storage.ByGivenName}, false, []string{"u4", "u1", "u2", "u3"}},
		{"display name sw", storage.UserRange{Index: storage.ByDisplayName, Kind: storage.RangePrefix, Value: "smith"}, false, []string{"u1", "u2"}},
		{"all by email, a user per email", storage.UserRange{Index: storage.ByEmail}, false, []string{"u3", "u3", "u1"}},
		{"email eq", storage.UserRange{Index: storage.ByEmail, Kind: storage.RangeEqual, Value: "b@Y.org"}, false, []string{"u3"}},
		{"active", storage.UserRange{Index: storage.ByActive, Kind: storage.RangeEqual, Active: true}, false, []string{"u1", "u3", "u4"}},
		{"active descending", storage.UserRange{Index: storage.ByActive, Kind: storage.RangeEqual, Active: true}, true, []string{"u4", "u3", "u1"}},
		{"inactive", storage.UserRange{Index: storage.ByActive, Kind: storage.RangeEqual}, false, []string{"u2"}},
		{"by last modified", storage.UserRange{Index: storage.ByLastModified}, false, []string{"u2", "u3", "u4", "u1"}},
		{"modified eq", storage.UserRange{Index: storage.ByLastModified, Kind: storage.RangeEqual, Time: t0.Add(2 * time.Second)}, false, []string{"u3", "u4"}},
		{"modified after", storage.UserRange{Index: storage.ByLastModified, Kind: storage.RangeAfter, Time: t0.Add(2 * time.Second)}, false, []string{"u1"}},
		{"modified from", storage.UserRange{Index: storage.ByLastModified, Kind: storage.RangeFrom, Time: t0.Add(2 * time.Second)}, false, []string{"u3", "u4", "u1"}},
		{"modified from descending", storage.UserRange{Index: storage.ByLastModified, Kind: storage.RangeFrom, Time: t0.Add(2 * time.Second)}, true, []string{"u1", "u4", "u3"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, pos := scanIDs(t, s, tt.r, tt.desc, nil)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("ids (-want +got):\n%s", diff)
			}
			// Resuming after each position gives the rest.
			for i := range pos {
				rest, _ := scanIDs(t, s, tt.r, tt.desc, pos[i])
				if diff := cmp.Diff(tt.want[i+1:], rest, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("after %d (-want +got):\n%s", i, diff)
				}
			}
			view(t, s, func(tx storage.Tx) error {
				n, ok, err := tx.CountUserRange(tt.r, 100)
				if err != nil || !ok || n != len(tt.want) {
					t.Errorf("CountUserRange = %d, %v, %v; want %d", n, ok, err, len(tt.want))
				}
				return nil
			})
		})
	}
	err := s.View(func(tx storage.Tx) error {
		return tx.ScanUsers(storage.UserRange{Index: storage.ByID, Kind: storage.RangePrefix, Value: "u"}, false, nil,
			func([]byte, string) (bool, error) { return true, nil })
	})
	if err == nil {
		t.Error("a prefix range of ByID was answered, want an error")
	}
}

// testWalkTiesSortByID pins that users of one value walk in the order of
// their ids as strings, whatever the ids look like: UUIDs as the bridge
// makes them, which an engine may keep shorter, and ids of other shapes
// that sort among them.
func testWalkTiesSortByID(t *testing.T, s storage.Store) {
	ids := []string{
		"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",
		"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c",
		"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b-1",
		"0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B",
		"0190a1b2-c3d4-7e5f-8a6b",
		"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2",
		"0190a1b2-c3d4-7e5f-8a6b:7c8d9e0f1a2b",
		"00000000-0000-0000-0000-000000000000",
		"ffffffff-ffff-ffff-ffff-ffffffffffff",
		"abcdefghijklmnop",
		"u1",
		"-",
	}
	var users []storage.User
	for i, id := range ids {
		users = append(users, walkUser(id, nth("tie", i), "Tie", i%2 == 0, t0))
	}
	putUsers(t, s, users...)
	want := slices.Sorted(slices.Values(ids))
	for _, r := range []storage.UserRange{
		{Index: storage.ByFamilyName, Kind: storage.RangeEqual, Value: "tie"},
		{Index: storage.ByGivenName, Kind: storage.RangePrefix, Value: "gti"},
		{Index: storage.ByLastModified, Kind: storage.RangeEqual, Time: t0},
		{Index: storage.ByID},
	} {
		for _, desc := range []bool{false, true} {
			w := slices.Clone(want)
			if desc {
				slices.Reverse(w)
			}
			got, pos := scanIDs(t, s, r, desc, nil)
			if diff := cmp.Diff(w, got); diff != "" {
				t.Fatalf("index %d, desc %v (-want +got):\n%s", r.Index, desc, diff)
			}
			for i := range pos {
				rest, _ := scanIDs(t, s, r, desc, pos[i])
				if diff := cmp.Diff(w[i+1:], rest, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("index %d, desc %v, after %q (-want +got):\n%s", r.Index, desc, w[i], diff)
				}
			}
		}
	}
	r := storage.UserRange{Index: storage.ByActive, Kind: storage.RangeEqual, Active: true}
	var active []string
	for i, id := range ids {
		if i%2 == 0 {
			active = append(active, id)
		}
	}
	if got, _ := scanIDs(t, s, r, false, nil); !slices.Equal(got, slices.Sorted(slices.Values(active))) {
		t.Errorf("active users walk as %q, want %q", got, slices.Sorted(slices.Values(active)))
	}
}

func testWalkPositionsSurviveWrites(t *testing.T, s storage.Store) {
	var users []storage.User
	for i := range 10 {
		users = append(users, walkUser(nth("u", i*10), nth("name", i*10), "F", i%2 == 0, t0))
	}
	putUsers(t, s, users...)
	r := storage.UserRange{Index: storage.ByUserName}
	for _, desc := range []bool{false, true} {
		t.Run(fmt.Sprintf("desc=%v", desc), func(t *testing.T) {
			var first []string
			var pos []byte
			view(t, s, func(tx storage.Tx) error {
				return tx.ScanUsers(r, desc, nil, func(p []byte, id string) (bool, error) {
					first, pos = append(first, id), p
					return len(first) < 4, nil
				})
			})
			// Users arrive before and after the position, others leave.
			update(t, s, func(tx storage.Tx) error {
				for _, i := range []int{5, 45, 85} {
					if err := tx.PutUser(walkUser(nth("u", i), nth("name", i), "F", true, t0)); err != nil {
						return err
					}
				}
				return tx.DeleteUser(nth("u", 60))
			})
			defer update(t, s, func(tx storage.Tx) error {
				for _, i := range []int{5, 45, 85} {
					if err := tx.DeleteUser(nth("u", i)); err != nil {
						return err
					}
				}
				return tx.PutUser(users[6])
			})
			rest, _ := scanIDs(t, s, r, desc, pos)
			all, _ := scanIDs(t, s, r, desc, nil)
			// Ids and userNames sort alike here: the rest is every user
			// past the last one read, whether or not it still exists.
			last := first[len(first)-1]
			var want []string
			for _, id := range all {
				if (!desc && id > last) || (desc && id < last) {
					want = append(want, id)
				}
			}
			if diff := cmp.Diff(want, rest); diff != "" {
				t.Errorf("resumed walk after %s (-want +got):\n%s", last, diff)
			}
			if slices.Contains(rest, nth("u", 60)) {
				t.Errorf("resumed walk %v holds the deleted u0060", rest)
			}
		})
	}
}

func testSkipAndCount(t *testing.T, s storage.Store) {
	var users []storage.User
	for i := range 30 {
		users = append(users, walkUser(nth("u", i), nth("name", 29-i), "F", i < 10, t0, fmt.Sprintf("m%d@x.org", i%3)))
	}
	putUsers(t, s, users...)
	r := storage.UserRange{Index: storage.ByUserName, Kind: storage.RangePrefix, Value: "NAME"}
	for _, desc := range []bool{false, true} {
		all, pos := scanIDs(t, s, r, desc, nil)
		view(t, s, func(tx storage.Tx) error {
			for _, n := range []int{1, 7, 30} {
				before := s.KeysScanned()
				p, err := tx.SkipUsers(r, desc, n)
				if err != nil || !cmp.Equal(p, pos[n-1]) {
					t.Errorf("SkipUsers(%d, desc %v) = %q, %v; want %q", n, desc, p, err, pos[n-1])
				}
				if got := s.KeysScanned() - before; got != uint64(n) {
					t.Errorf("SkipUsers(%d) read %d keys, want %d", n, got, n)
				}
			}
			for _, n := range []int{0, 31} {
				if p, err := tx.SkipUsers(r, desc, n); p != nil || err != nil {
					t.Errorf("SkipUsers(%d) = %q, %v; want nil", n, p, err)
				}
			}
			return nil
		})
		if len(all) != 30 {
			t.Fatalf("range holds %d users, want 30", len(all))
		}
	}
	before := s.KeysScanned()
	var read int
	view(t, s, func(tx storage.Tx) error {
		return tx.ScanUsers(r, false, nil, func([]byte, string) (bool, error) {
			read++
			return read < 5, nil
		})
	})
	if got := s.KeysScanned() - before; got != 5 {
		t.Errorf("a walk that stopped at the 5th user read %d keys, want 5", got)
	}
	view(t, s, func(tx storage.Tx) error {
		for _, c := range []struct {
			r      storage.UserRange
			limit  int
			n      int
			exact  bool
			reason string
		}{
			{storage.UserRange{Index: storage.ByID}, 100, 30, true, "all"},
			{storage.UserRange{Index: storage.ByUserName}, 10, 30, false, "all over the limit"},
			{storage.UserRange{Index: storage.ByActive, Kind: storage.RangeEqual, Active: true}, 100, 10, true, "active"},
			{storage.UserRange{Index: storage.ByActive, Kind: storage.RangeEqual}, 100, 20, true, "inactive"},
			{storage.UserRange{Index: storage.ByEmail}, 100, 30, true, "every email"},
			{storage.UserRange{Index: storage.ByEmail, Kind: storage.RangeEqual, Value: "M1@x.org"}, 100, 10, true, "one email"},
			{storage.UserRange{Index: storage.ByEmail, Kind: storage.RangeEqual, Value: "m1@x.org"}, 4, 4, false, "one email over the limit"},
			{r, 30, 30, true, "prefix at the limit"},
			{r, 29, 29, false, "prefix over the limit"},
		} {
			n, ok, err := tx.CountUserRange(c.r, c.limit)
			if err != nil || ok != c.exact || (c.exact && n != c.n) || (!c.exact && n < c.limit) {
				t.Errorf("%s: CountUserRange = %d, %v, %v; want %d, %v", c.reason, n, ok, err, c.n, c.exact)
			}
		}
		return nil
	})
}

func testUsersEpoch(t *testing.T, s storage.Store) {
	e0 := s.UsersEpoch()
	putUsers(t, s, storage.User{ID: "u1", UserName: "ann"})
	e1 := s.UsersEpoch()
	if e1 == e0 {
		t.Errorf("UsersEpoch stayed %d across a user write", e0)
	}
	update(t, s, func(tx storage.Tx) error { return tx.DeleteUser("u1") })
	if e2 := s.UsersEpoch(); e2 == e1 {
		t.Errorf("UsersEpoch stayed %d across a user delete", e1)
	}
}
