package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// v3WalkKeys encodes every walk index key of u as schema version 3 wrote
// users/keys.
func v3WalkKeys(u User) []byte {
	keys := walkKeysOf(u)
	b := binary.AppendUvarint(nil, uint64(len(keys)))
	for _, k := range keys {
		head := k.key[:len(k.key)-walkIDLen(u.ID)]
		b = append(b, byte(walkIndexOf(k.bucket)))
		b = binary.AppendUvarint(b, uint64(len(head)))
		b = append(b, head...)
	}
	return b
}

// putOldWalkKeys replaces the walk index keys of users with those schema
// version 4 and before wrote, which end with the id as a string: the keys
// UserWalkKeys exports.
func putOldWalkKeys(btx *bolt.Tx, users ...User) error {
	for _, u := range users {
		for _, k := range walkKeysOf(u) {
			if err := btx.Bucket(bucketNames[k.bucket]).Delete(k.key); err != nil {
				return err
			}
		}
		for _, k := range UserWalkKeys(u) {
			if err := btx.Bucket(bucketNames[userIndexBuckets[k.Index]]).Put(k.Key, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// walkKeysToSchema4 rewrites every walk index key of the file in the form
// schema version 4 and before wrote, which ends with the id as a string: a
// test that labels a file version 4 makes its walk keys those of version 4.
func walkKeysToSchema4(btx *bolt.Tx) error {
	for _, b := range walkBuckets {
		bucket := btx.Bucket(bucketNames[b])
		var keys [][]byte
		if err := bucket.ForEach(func(k, _ []byte) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			start := walkIDStart(walkIndexOf(b), k)
			id, ok := idOfWalkID(k[start:])
			if !ok {
				return fmt.Errorf("%s: key %q holds no id", bucketNames[b], k)
			}
			if err := bucket.Delete(k); err != nil {
				return err
			}
			if err := bucket.Put(append(k[:start:start], id...), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestOpenMigratesSchemaVersion3 turns a file into one a version 3 build
// wrote (the email and externalId indexes beside the walk indexes, every
// walk key listed in users/keys) and checks that a writable Open drops the
// two indexes, and that users written by version 3 are found, rewritten and
// deleted as before.
func TestOpenMigratesSchemaVersion3(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bridge.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	users := []User{
		walkUser("u1", "ann", "Lee", true, t0, "Ann@example.com"),
		walkUser("u2", "bob", "Ray", false, t0.Add(time.Second), "bob@example.com", "shared@example.com"),
		walkUser("u3", "cy", "", true, t0.Add(2*time.Second), "shared@example.com"),
	}
	users[0].ExternalID, users[1].ExternalID = "e-1", "e-1"
	putUsersV4(t, s, users...)
	if err := s.db.Update(func(btx *bolt.Tx) error {
		for _, name := range retiredBuckets {
			b, err := btx.CreateBucket(name)
			if err != nil {
				return err
			}
			if err := b.Put(pairKey("e-1", "u1"), nil); err != nil {
				return err
			}
		}
		for _, u := range users {
			if err := btx.Bucket(bucketNames[bUserKeys]).Put([]byte(u.ID), v3WalkKeys(u)); err != nil {
				return err
			}
		}
		if err := putOldWalkKeys(btx, users...); err != nil {
			return err
		}
		return btx.Bucket(bucketNames[bMeta]).Put(keySchema, []byte("3"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{ReadOnly: true}); err == nil {
		t.Fatal("a read-only Open of a version 3 file succeeded")
	}
	s, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatalf("Open of a version 3 file: %v", err)
	}
	defer s.Close()
	view(t, s, func(tx *boltTx) error {
		if v := string(tx.b(bMeta).Get(keySchema)); v != schemaVersion {
			t.Errorf("schema version = %q, want %q", v, schemaVersion)
		}
		for _, name := range retiredBuckets {
			if tx.tx.Bucket(name) != nil {
				t.Errorf("bucket %s is still there", name)
			}
		}
		return nil
	})
	checkStore(t, s)
	ids := func(users []User, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range users {
			out = append(out, u.ID)
		}
		return out
	}
	view(t, s, func(tx *boltTx) error {
		if got := ids(tx.UsersByEmail("SHARED@example.com")); !slices.Equal(got, []string{"u2", "u3"}) {
			t.Errorf("UsersByEmail = %v, want [u2 u3]", got)
		}
		if got := ids(tx.UsersByExternalID("e-1")); !slices.Equal(got, []string{"u1", "u2"}) {
			t.Errorf("UsersByExternalID = %v, want [u1 u2]", got)
		}
		return nil
	})

	// A user of version 3 rewritten: every old key goes, whichever part of
	// the user gave it.
	moved := walkUser("u1", "anne", "Leigh", false, t0.Add(time.Hour), "anne@example.com")
	putUsers(t, s, moved)
	update(t, s, func(tx *boltTx) error { return tx.DeleteUser("u2") })
	checkStore(t, s)
	view(t, s, func(tx *boltTx) error {
		if got := ids(tx.UsersByEmail("ann@example.com")); len(got) != 0 {
			t.Errorf("UsersByEmail(old email) = %v, want none", got)
		}
		if got := ids(tx.UsersByEmail("anne@example.com")); !slices.Equal(got, []string{"u1"}) {
			t.Errorf("UsersByEmail(new email) = %v, want [u1]", got)
		}
		if got := ids(tx.UsersByExternalID("e-1")); len(got) != 0 {
			t.Errorf("UsersByExternalID = %v, want none", got)
		}
		return nil
	})
	got, _ := scanIDs(t, s, UserRange{Index: ByFamilyName, Kind: RangeEqual, Value: "lee"}, false, nil)
	if len(got) != 0 {
		t.Errorf("familyName lee after the rewrite: %v, want none", got)
	}
}

// TestOpenMigratesSchemaVersion4 turns a file into one a version 4 build
// wrote, its walk keys ending with the ids as strings, and checks that a
// writable Open builds them again in the form of version 5 and that every
// walk reads the same users in the same order as before.
func TestOpenMigratesSchemaVersion4(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bridge.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(7, 8))
	ids := []string{"u1", "abcdefghijklmnop", "0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B"}
	for len(ids) < migrateChunk+20 { // more than one chunk
		ids = append(ids, fakeUUID(r))
	}
	var users []User
	for i, id := range ids {
		// Few values, so that most users tie on one and sort by id.
		u := walkUser(id, fmt.Sprintf("user%05d", i), []string{"Lee", "Ray", ""}[i%3], i%2 == 0,
			t0.Add(time.Duration(i%4)*time.Second), fmt.Sprintf("m%d@example.com", i%5))
		u.ExternalID = []string{"", "e-1", "e-2"}[i%3]
		users = append(users, u)
	}
	putUsersV4(t, s, users...) // records without names, their keys in users/keys
	ranges := []UserRange{{Index: ByID}, {Index: ByFamilyName, Kind: RangeEqual, Value: "lee"}, {Index: ByEmail, Kind: RangePrefix, Value: "m1"}}
	for idx := ByUserName; idx <= ByActive; idx++ {
		ranges = append(ranges, UserRange{Index: idx})
	}
	type walk struct{ asc, desc []string }
	walks := func() []walk {
		var out []walk
		for _, r := range ranges {
			asc, _ := scanIDs(t, s, r, false, nil)
			desc, _ := scanIDs(t, s, r, true, nil)
			out = append(out, walk{asc, desc})
		}
		return out
	}
	before := walks()
	if err := s.db.Update(func(btx *bolt.Tx) error {
		if err := putOldWalkKeys(btx, users...); err != nil {
			return err
		}
		return btx.Bucket(bucketNames[bMeta]).Put(keySchema, []byte("4"))
	}); err != nil {
		t.Fatal(err)
	}
	// A migration that stopped half way: one index converted, another
	// half.
	defer func(n int) { walkConvertChunk = n }(walkConvertChunk)
	walkConvertChunk = 100
	for i := 0; i < 3; i++ {
		if _, err := s.convertWalkChunk(walkBuckets[1]); err != nil {
			t.Fatal(err)
		}
	}
	for done := false; !done; {
		if done, err = s.convertWalkChunk(walkBuckets[0]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.db.Update(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketNames[bMeta]).Put(keySchema, []byte(convertingVersion))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "must be upgraded") {
		t.Fatalf("a read-only Open of a file half converted: %v, want it to say the file must be upgraded", err)
	}
	s, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatalf("Open of a version 4 file: %v", err)
	}
	defer s.Close()
	checkStore(t, s)
	view(t, s, func(tx *boltTx) error {
		if v := string(tx.b(bMeta).Get(keySchema)); v != schemaVersion {
			t.Errorf("schema version = %q, want %q", v, schemaVersion)
		}
		if tx.tx.Bucket(walkConversion) != nil {
			t.Errorf("bucket %s is still there", walkConversion)
		}
		for _, b := range walkBuckets {
			if n := tx.b(b).Stats().KeyN; n < len(users) {
				t.Errorf("%s holds %d keys after the migration, want at least %d", bucketNames[b], n, len(users))
			}
		}
		return nil
	})
	after := walks()
	for i, r := range ranges {
		if !slices.Equal(before[i].asc, after[i].asc) || !slices.Equal(before[i].desc, after[i].desc) {
			t.Errorf("range %+v walks another way after the migration", r)
		}
	}
	// A deep page is found by skipping keys, as before.
	r0 := UserRange{Index: ByFamilyName, Kind: RangeEqual, Value: "ray"}
	want, pos := scanIDs(t, s, r0, false, nil)
	view(t, s, func(tx *boltTx) error {
		p, err := tx.SkipUsers(r0, false, 300)
		if err != nil || !bytes.Equal(p, pos[299]) {
			t.Errorf("SkipUsers(300) = %q, %v; want %q", p, err, pos[299])
		}
		rest, _ := scanIDs(t, s, r0, false, p)
		if !slices.Equal(rest, want[300:]) {
			t.Errorf("the walk after the 300th user gives %d users, want %d", len(rest), len(want)-300)
		}
		return nil
	})
	// Users written by version 4, rewritten and deleted, leave nothing
	// behind.
	moved := users[0]
	moved.UserName, moved.Emails = "moved", []string{"moved@example.com"}
	putUsers(t, s, moved)
	update(t, s, func(tx *boltTx) error { return tx.DeleteUser(users[1].ID) })
	checkStore(t, s)
	if got, _ := scanIDs(t, s, UserRange{Index: ByUserName, Kind: RangeEqual, Value: "moved"}, false, nil); !slices.Equal(got, []string{moved.ID}) {
		t.Errorf("userName moved: %v, want [%s]", got, moved.ID)
	}
}
