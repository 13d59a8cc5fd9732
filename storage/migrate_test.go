package storage

import (
	"encoding/binary"
	"path/filepath"
	"slices"
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
		head := k.key[:len(k.key)-len(u.ID)]
		b = append(b, byte(walkIndexOf(k.bucket)))
		b = binary.AppendUvarint(b, uint64(len(head)))
		b = append(b, head...)
	}
	return b
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
