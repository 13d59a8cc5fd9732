package storage

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// encodeUserV4 encodes u as a schema version 4 build wrote it: the header
// ends with the version, without the names.
func encodeUserV4(s *Bolt, u User) []byte {
	e := encoder{}
	e.userFields(u)
	return s.codec.record(&e, u.Resource)
}

// putUsersV4 stores users as a schema version 4 build did: each record
// without its names (keeping an Absorb copy its value holds), and in
// users/keys the keys of its names.
func putUsersV4(t *testing.T, s *Bolt, users ...User) {
	t.Helper()
	putUsers(t, s, users...)
	if err := s.db.Update(func(btx *bolt.Tx) error {
		for _, u := range users {
			b := btx.Bucket(bucketNames[bUsers])
			_, absorbRec, err := splitUserValue(b.Get([]byte(u.ID)))
			if err != nil {
				return err
			}
			v := encodeUserV4(s, u)
			if absorbRec != nil {
				v = joinUserValue(v, absorbRec)
			}
			if err := b.Put([]byte(u.ID), v); err != nil {
				return err
			}
			if err := btx.Bucket(bucketNames[bUserKeys]).Put([]byte(u.ID), encodeWalkKeys(u.ID, walkKeysOf(u))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// recordNames returns the names the record of user id holds, nil when it
// holds none, and whether users/keys has an entry for id.
func recordNames(t *testing.T, s *Bolt, id string) (names *userNames, listed bool) {
	t.Helper()
	view(t, s, func(tx *boltTx) error {
		_, n, ok, err := tx.decodeUserRecord(id, tx.b(bUsers).Get([]byte(id)), false)
		if ok {
			names = &n
		}
		listed = tx.b(bUserKeys).Get([]byte(id)) != nil
		return err
	})
	return names, listed
}

// namedUser is a user whose resource has every name the walk indexes keep.
func namedUser(id, userName, given, family, display string) User {
	u := testUser(id, userName, userName)
	u.Resource, _ = json.Marshal(map[string]any{"userName": userName, "displayName": display,
		"name": map[string]any{"givenName": given, "familyName": family}})
	return u
}

// TestUserNamesInRecord checks that a user written by this build keeps its
// names in its record's header, as its resource gives them, and nothing in
// users/keys.
func TestUserNamesInRecord(t *testing.T) {
	s := openTest(t)
	putUsers(t, s, namedUser("u1", "ann", "Ann", "Lee", "Ann LEE"), walkUser("u2", "bob", "", true, t0))
	names, listed := recordNames(t, s, "u1")
	if want := (userNames{family: "Lee", given: "Ann", display: "Ann LEE"}); names == nil || *names != want {
		t.Errorf("names of u1 = %+v, want %+v", names, want)
	}
	if names, _ := recordNames(t, s, "u2"); names == nil || *names != (userNames{}) {
		t.Errorf("names of u2 = %+v, want empty ones", names)
	}
	if listed {
		t.Error("users/keys has an entry for a user written by this build")
	}
	view(t, s, func(tx *boltTx) error {
		if n := tx.b(bUserKeys).Stats().KeyN; n != 0 {
			t.Errorf("users/keys holds %d entries, want none", n)
		}
		return nil
	})
	checkStore(t, s)
}

// TestUserOfSchema4 checks that a user written by schema version 4 (names
// in users/keys, not in its record) is read, found by its names, moved to
// the record by a rewrite with nothing left behind, and deleted whole.
func TestUserOfSchema4(t *testing.T) {
	s := openTest(t)
	old := []User{
		namedUser("u1", "ann", "Ann", "Lee", "Ann Lee"),
		namedUser("u2", "bob", "Bob", "Ray", "Bob Ray"),
		namedUser("u3", "cy", "Cy", "Lee", "Cy Lee"),
	}
	putUsersV4(t, s, old...)
	putUsers(t, s, namedUser("u4", "dee", "Dee", "Lee", "Dee Lee"))
	checkStore(t, s)
	for _, id := range []string{"u1", "u2", "u3"} {
		if names, listed := recordNames(t, s, id); names != nil || !listed {
			t.Fatalf("user %s: names %+v, users/keys entry %v; want the schema 4 form", id, names, listed)
		}
	}
	view(t, s, func(tx *boltTx) error {
		u, err := tx.User("u1")
		if err != nil {
			t.Fatal(err)
		}
		if u.UserName != "ann" || string(u.Resource) != string(old[0].Resource) || u.Version != old[0].Version {
			t.Errorf("User(u1) = %+v, want %+v", u, old[0])
		}
		return nil
	})
	lee := UserRange{Index: ByFamilyName, Kind: RangeEqual, Value: "LEE"}
	if got, _ := scanIDs(t, s, lee, false, nil); !slices.Equal(got, []string{"u1", "u3", "u4"}) {
		t.Errorf("familyName lee = %v, want [u1 u3 u4]", got)
	}

	// Rewritten, u1 takes the new form: its old keys go, whichever part of
	// the user gave them, and so does its users/keys entry.
	moved := namedUser("u1", "anne", "Anne", "Leigh", "Anne Leigh")
	putUsers(t, s, moved)
	names, listed := recordNames(t, s, "u1")
	if want := (userNames{family: "Leigh", given: "Anne", display: "Anne Leigh"}); names == nil || *names != want {
		t.Errorf("names of rewritten u1 = %+v, want %+v", names, want)
	}
	if listed {
		t.Error("users/keys still has the entry of rewritten u1")
	}
	checkStore(t, s)
	for _, tt := range []struct {
		r    UserRange
		want []string
	}{
		{lee, []string{"u3", "u4"}},
		{UserRange{Index: ByFamilyName, Kind: RangeEqual, Value: "leigh"}, []string{"u1"}},
		{UserRange{Index: ByGivenName, Kind: RangeEqual, Value: "ann"}, nil},
		{UserRange{Index: ByDisplayName, Kind: RangeEqual, Value: "ann lee"}, nil},
		{UserRange{Index: ByDisplayName, Kind: RangeEqual, Value: "anne leigh"}, []string{"u1"}},
		{UserRange{Index: ByUserName, Kind: RangeEqual, Value: "ann"}, nil},
	} {
		if got, _ := scanIDs(t, s, tt.r, false, nil); !slices.Equal(got, tt.want) {
			t.Errorf("%+v = %v, want %v", tt.r, got, tt.want)
		}
	}
	// Written again, the new form finds its old keys in its own record.
	putUsers(t, s, namedUser("u1", "anne", "Anne", "Lee", "Anne Lee"))
	if got, _ := scanIDs(t, s, lee, false, nil); !slices.Equal(got, []string{"u1", "u3", "u4"}) {
		t.Errorf("familyName lee after the second rewrite = %v, want [u1 u3 u4]", got)
	}
	checkStore(t, s)

	// Deleted, a user of either form leaves nothing.
	update(t, s, func(tx *boltTx) error {
		if err := tx.DeleteUser("u2"); err != nil {
			return err
		}
		return tx.DeleteUser("u1")
	})
	if _, listed := recordNamesOrNone(t, s, "u2"); listed {
		t.Error("users/keys still has the entry of deleted u2")
	}
	for _, r := range []UserRange{
		{Index: ByFamilyName, Kind: RangeEqual, Value: "ray"},
		{Index: ByGivenName, Kind: RangeEqual, Value: "bob"},
		{Index: ByDisplayName, Kind: RangeEqual, Value: "anne lee"},
	} {
		if got, _ := scanIDs(t, s, r, false, nil); len(got) != 0 {
			t.Errorf("%+v after the deletes = %v, want none", r, got)
		}
	}
	checkStore(t, s)
	view(t, s, func(tx *boltTx) error {
		if n := tx.b(bUserKeys).Stats().KeyN; n != 1 {
			t.Errorf("users/keys holds %d entries, want 1 (u3's)", n)
		}
		return nil
	})
}

// recordNamesOrNone is recordNames for a user that may be gone.
func recordNamesOrNone(t *testing.T, s *Bolt, id string) (exists, listed bool) {
	t.Helper()
	view(t, s, func(tx *boltTx) error {
		exists, listed = tx.b(bUsers).Get([]byte(id)) != nil, tx.b(bUserKeys).Get([]byte(id)) != nil
		return nil
	})
	return exists, listed
}

// TestCheckFindsUserNamesDamage checks that Check tells each form of a
// user's names from a damaged one.
func TestCheckFindsUserNamesDamage(t *testing.T) {
	tests := []struct {
		name   string
		damage func(s *Bolt, tx *bolt.Tx) error
		want   string
	}{
		{
			name: "entry beside names in the record",
			damage: func(s *Bolt, tx *bolt.Tx) error {
				u := namedUser("u1", "ann", "Ann", "Lee", "Ann Lee")
				return tx.Bucket(bucketNames[bUserKeys]).Put([]byte("u1"), encodeWalkKeys("u1", walkKeysOf(u)))
			},
			want: `users/keys: user "u1", whose record holds its names, has an entry`,
		},
		{
			name: "names in the record not its resource's",
			damage: func(s *Bolt, tx *bolt.Tx) error {
				u := namedUser("u1", "ann", "Ann", "Lee", "Ann Lee")
				return tx.Bucket(bucketNames[bUsers]).Put([]byte("u1"), s.encodeUser(u, userNames{family: "Lee", given: "Anna", display: "Ann Lee"}))
			},
			want: `user "u1": its record holds other names than its resource`,
		},
		{
			name: "schema 4 record without its entry",
			damage: func(s *Bolt, tx *bolt.Tx) error {
				return tx.Bucket(bucketNames[bUserKeys]).Delete([]byte("u2"))
			},
			want: `users/keys: user "u2", whose record holds no names, has no entry`,
		},
		{
			name: "schema 4 entry of other keys",
			damage: func(s *Bolt, tx *bolt.Tx) error {
				u := namedUser("u2", "bob", "Bob", "Roy", "Bob Ray")
				return tx.Bucket(bucketNames[bUserKeys]).Put([]byte("u2"), encodeWalkKeys("u2", walkKeysOf(u)))
			},
			want: `users/keys: user "u2" lists other keys than its walk keys`,
		},
		{
			name: "entry of a missing user",
			damage: func(s *Bolt, tx *bolt.Tx) error {
				u := namedUser("u9", "eve", "Eve", "Lee", "Eve Lee")
				return tx.Bucket(bucketNames[bUserKeys]).Put([]byte("u9"), encodeWalkKeys("u9", walkKeysOf(u)))
			},
			want: `users/keys holds 2 users, 1 users' records hold no names`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			putUsers(t, s, namedUser("u1", "ann", "Ann", "Lee", "Ann Lee"))
			putUsersV4(t, s, namedUser("u2", "bob", "Bob", "Ray", "Bob Ray"))
			checkStore(t, s)
			if err := s.db.Update(func(tx *bolt.Tx) error { return tt.damage(s, tx) }); err != nil {
				t.Fatal(err)
			}
			wantCorrupt(t, s, tt.want)
		})
	}
}

// TestUserOfSchema4WithAbsorbCopy checks that a schema 4 user whose value
// holds its Absorb copy keeps the copy when rewritten into the new form.
func TestUserOfSchema4WithAbsorbCopy(t *testing.T) {
	s := openTest(t)
	u := namedUser("u1", "ann", "Ann", "Lee", "Ann Lee")
	putUsers(t, s, u)
	a := AbsorbUser{ID: u.AbsorbID, Username: "ann", DateEdited: "2025-03-01T08:09:10.456", Raw: absorbRaw(u.AbsorbID, "ann", "")}
	update(t, s, func(tx *boltTx) error { return tx.PutAbsorbUser(a) })
	putUsersV4(t, s, u)
	view(t, s, func(tx *boltTx) error {
		if _, rec, _ := splitUserValue(tx.b(bUsers).Get([]byte("u1"))); rec == nil {
			t.Fatal("the schema 4 value of u1 does not hold its Absorb copy")
		}
		return nil
	})
	checkStore(t, s)
	u.LastModified = u.LastModified.Add(time.Minute)
	putUsers(t, s, u)
	if names, listed := recordNames(t, s, "u1"); names == nil || listed {
		t.Errorf("rewritten u1: names %+v, users/keys entry %v; want the names in its record only", names, listed)
	}
	view(t, s, func(tx *boltTx) error {
		got, err := tx.AbsorbUser(u.AbsorbID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != "ann" {
			t.Errorf("Absorb copy = %+v, want username ann", got)
		}
		return nil
	})
	checkStore(t, s)
}
