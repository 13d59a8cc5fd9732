package storage

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	bolt "go.etcd.io/bbolt"
)

func walkUser(id, userName, family string, active bool, modified time.Time, emails ...string) User {
	res, _ := json.Marshal(map[string]any{"userName": userName, "name": map[string]any{"familyName": family}})
	if family == "" {
		res, _ = json.Marshal(map[string]any{"userName": userName})
	}
	return User{ID: id, UserName: userName, Active: active, Emails: emails, Resource: res, LastModified: modified, Created: modified}
}

// scanIDs returns the ids of range r in order, and the position of each.
func scanIDs(t *testing.T, s *Bolt, r UserRange, desc bool, after []byte) (ids []string, pos [][]byte) {
	t.Helper()
	view(t, s, func(tx *boltTx) error {
		return tx.ScanUsers(r, desc, after, func(p []byte, id string) (bool, error) {
			ids, pos = append(ids, id), append(pos, p)
			return true, nil
		})
	})
	return ids, pos
}

func TestScanUsersRanges(t *testing.T) {
	s := openTest(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	users := []User{
		walkUser("u1", "carol", "Smith", true, t0.Add(3*time.Second), "c@x.org"),
		walkUser("u2", "Alice", "smithers", false, t0.Add(1*time.Second)),
		walkUser("u3", "bob", "", true, t0.Add(2*time.Second), "b@x.org", "B@y.org"),
		walkUser("u4", "al\x00ex", "Jones", true, t0.Add(2*time.Second)),
	}
	update(t, s, func(tx *boltTx) error {
		for _, u := range users {
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name string
		r    UserRange
		desc bool
		want []string
	}{
		{"all by id", UserRange{Index: ByID}, false, []string{"u1", "u2", "u3", "u4"}},
		{"all by userName", UserRange{Index: ByUserName}, false, []string{"u4", "u2", "u3", "u1"}},
		{"all by userName descending", UserRange{Index: ByUserName}, true, []string{"u1", "u3", "u2", "u4"}},
		{"missing family names last", UserRange{Index: ByFamilyName}, false, []string{"u4", "u1", "u2", "u3"}},
		{"missing family names first descending", UserRange{Index: ByFamilyName}, true, []string{"u3", "u2", "u1", "u4"}},
		{"family name eq folds case", UserRange{Index: ByFamilyName, Kind: RangeEqual, Value: "SMITH"}, false, []string{"u1"}},
		{"family name sw", UserRange{Index: ByFamilyName, Kind: RangePrefix, Value: "smi"}, false, []string{"u1", "u2"}},
		{"family name sw descending", UserRange{Index: ByFamilyName, Kind: RangePrefix, Value: "smi"}, true, []string{"u2", "u1"}},
		{"userName sw with a zero byte", UserRange{Index: ByUserName, Kind: RangePrefix, Value: "al\x00"}, false, []string{"u4"}},
		{"userName sw", UserRange{Index: ByUserName, Kind: RangePrefix, Value: "al"}, false, []string{"u4", "u2"}},
		{"email eq", UserRange{Index: ByEmail, Kind: RangeEqual, Value: "b@Y.org"}, false, []string{"u3"}},
		{"active", UserRange{Index: ByActive, Kind: RangeEqual, Active: true}, false, []string{"u1", "u3", "u4"}},
		{"inactive", UserRange{Index: ByActive, Kind: RangeEqual}, false, []string{"u2"}},
		{"modified after", UserRange{Index: ByLastModified, Kind: RangeAfter, Time: t0.Add(2 * time.Second)}, false, []string{"u1"}},
		{"modified from", UserRange{Index: ByLastModified, Kind: RangeFrom, Time: t0.Add(2 * time.Second)}, false, []string{"u3", "u4", "u1"}},
		{"modified from descending", UserRange{Index: ByLastModified, Kind: RangeFrom, Time: t0.Add(2 * time.Second)}, true, []string{"u1", "u4", "u3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, pos := scanIDs(t, s, tt.r, tt.desc, nil)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("ids (-want +got):\n%s", diff)
			}
			// Resuming after each position gives the rest.
			for i := range pos {
				rest, _ := scanIDs(t, s, tt.r, tt.desc, pos[i])
				if diff := cmp.Diff(tt.want[i+1:], rest, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("after %d (-want +got):\n%s", i, diff)
				}
			}
			view(t, s, func(tx *boltTx) error {
				n, ok, err := tx.CountUserRange(tt.r, 100)
				if err != nil || !ok || n != len(tt.want) {
					t.Errorf("CountUserRange = %d, %v, %v; want %d", n, ok, err, len(tt.want))
				}
				return nil
			})
		})
	}
}

func TestWalkIndexesFollowWrites(t *testing.T) {
	s := openTest(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	update(t, s, func(tx *boltTx) error {
		for i := range 3 {
			if err := tx.PutUser(walkUser(fmt.Sprintf("u%d", i), fmt.Sprintf("user%d", i), "Old", true, t0)); err != nil {
				return err
			}
		}
		// A rename and a deactivation move the keys; a delete removes them.
		if err := tx.PutUser(walkUser("u1", "zed", "New", false, t0.Add(time.Hour))); err != nil {
			return err
		}
		return tx.DeleteUser("u2")
	})
	got, _ := scanIDs(t, s, UserRange{Index: ByFamilyName, Kind: RangeEqual, Value: "old"}, false, nil)
	if diff := cmp.Diff([]string{"u0"}, got); diff != "" {
		t.Errorf("familyName old (-want +got):\n%s", diff)
	}
	got, _ = scanIDs(t, s, UserRange{Index: ByUserName}, false, nil)
	if diff := cmp.Diff([]string{"u0", "u1"}, got); diff != "" {
		t.Errorf("by userName (-want +got):\n%s", diff)
	}
	view(t, s, func(tx *boltTx) error {
		if n, _, _ := tx.CountUserRange(UserRange{Index: ByActive, Kind: RangeEqual, Active: true}, 10); n != 1 {
			t.Errorf("active count = %d, want 1", n)
		}
		if n, _, _ := tx.CountUserRange(UserRange{Index: ByActive, Kind: RangeEqual}, 10); n != 1 {
			t.Errorf("inactive count = %d, want 1", n)
		}
		if n, ok, _ := tx.CountUserRange(UserRange{Index: ByUserName, Kind: RangePrefix, Value: ""}, 1); ok || n != 1 {
			t.Errorf("count over the limit = %d, %v; want 1, false", n, ok)
		}
		return nil
	})
	for _, b := range walkBuckets {
		var n int
		view(t, s, func(tx *boltTx) error { n = tx.b(b).Stats().KeyN; return nil })
		want := 2
		if b == bUserSortEmail {
			want = 0
		}
		if n != want {
			t.Errorf("bucket %s holds %d keys, want %d", bucketNames[b], n, want)
		}
	}
}

func TestOpenMigratesSchemaVersion2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bridge.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = migrateChunk + 5 // more than one chunk
	update(t, s, func(tx *boltTx) error {
		for i := range n {
			if err := tx.PutUser(walkUser(fmt.Sprintf("u%05d", i), fmt.Sprintf("user%05d", n-i), "F", i%2 == 0, t0)); err != nil {
				return err
			}
		}
		return nil
	})
	// Make it the file a version 2 build wrote: no walk indexes, records
	// without names.
	if err := s.db.Update(func(btx *bolt.Tx) error {
		users := btx.Bucket(bucketNames[bUsers])
		for i := range n {
			u := walkUser(fmt.Sprintf("u%05d", i), fmt.Sprintf("user%05d", n-i), "F", i%2 == 0, t0)
			if err := users.Put([]byte(u.ID), encodeUserV4(s, u)); err != nil {
				return err
			}
		}
		for _, id := range append(walkBuckets, bUserKeys) {
			if err := btx.DeleteBucket(bucketNames[id]); err != nil {
				return err
			}
		}
		meta := btx.Bucket(bucketNames[bMeta])
		if err := meta.Delete(keyActiveUsers); err != nil {
			return err
		}
		return meta.Put(keySchema, []byte("2"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{ReadOnly: true}); err == nil {
		t.Fatal("a read-only Open of a version 2 file succeeded")
	}
	s, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatalf("Open of a version 2 file: %v", err)
	}
	defer s.Close()
	got, _ := scanIDs(t, s, UserRange{Index: ByUserName}, false, nil)
	if len(got) != n || got[0] != fmt.Sprintf("u%05d", n-1) || got[n-1] != "u00000" {
		t.Errorf("by userName after migration: %d users, first %q, last %q", len(got), got[0], got[len(got)-1])
	}
	view(t, s, func(tx *boltTx) error {
		if c, _, _ := tx.CountUserRange(UserRange{Index: ByActive, Kind: RangeEqual, Active: true}, n); c != (n+1)/2 {
			t.Errorf("active after migration = %d, want %d", c, (n+1)/2)
		}
		if v := string(tx.b(bMeta).Get(keySchema)); v != schemaVersion {
			t.Errorf("schema version = %q, want %q", v, schemaVersion)
		}
		// The records keep no names, so users/keys lists the keys of
		// theirs, and only those.
		keys, err := decodeWalkKeys("u00000", tx.b(bUserKeys).Get([]byte("u00000")))
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 3 {
			t.Errorf("users/keys lists %d keys, want 3", len(keys))
		}
		for _, k := range keys {
			if !fromResource(k.bucket) {
				t.Errorf("users/keys lists a key of %s", bucketNames[k.bucket])
			}
		}
		return nil
	})
	checkStore(t, s)
}

func TestCheckFindsWalkIndexDrift(t *testing.T) {
	s := openTest(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	update(t, s, func(tx *boltTx) error {
		return tx.PutUser(walkUser("u1", "ann", "Lee", true, t0))
	})
	checkStore(t, s)
	// A key lost from one index and one left over in another.
	if err := s.db.Update(func(btx *bolt.Tx) error {
		if err := btx.Bucket(bucketNames[bUserSortFamilyName]).Delete(appendWalkID(valueKey("lee"), "u1")); err != nil {
			return err
		}
		return btx.Bucket(bucketNames[bUserSortGivenName]).Put(appendWalkID(valueKey("stale"), "u9"), nil)
	}); err != nil {
		t.Fatal(err)
	}
	err := s.Check()
	if err == nil {
		t.Fatal("Check found nothing wrong with drifted walk indexes")
	}
	for _, want := range []string{"users/by/familyName: user \"u1\" has no key", "users/by/givenName holds 2 keys, the users have 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check = %v, want it to say %q", err, want)
		}
	}
}
