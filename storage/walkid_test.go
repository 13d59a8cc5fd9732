package storage

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// oddIDs are ids that are not canonical UUIDs, beside canonical ones, each
// next to the canonical id it is most easily mistaken for or sorted against.
var oddIDs = []string{
	"u1",
	"abcdefghijklmnop", // 16 bytes, as many as a canonical id takes
	"0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B",
	"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2",
	"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b-",
	"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2bx",
	"0190a1b2c3d47e5f8a6b7c8d9e0f1a2b",
	"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2g",
	"0190a1b2-c3d4-7e5f-8a6b:7c8d9e0f1a2b",
	"0190a1b2.c3d4-7e5f-8a6b-7c8d9e0f1a2b",
	"00000000-0000-0000-0000-000000000000", // the nil UUID
	"00000000-0000-0000-0000-00000000000",
	"ffffffff-ffff-ffff-ffff-ffffffffffff0",
	"ffffffff-ffff-ffff-ffff-fffffffffffg",
	"-", "0", "/", ":", "`", "g", "\x00", "\xff\xfe", "id with spaces",
}

var canonicalIDs = []string{
	"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",
	"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c",
	"00000000-0000-0000-0000-000000000001",
	"ffffffff-ffff-ffff-ffff-ffffffffffff",
	"8f14e45f-ceea-467f-a0e6-1b4c2d3e5f60",
}

func TestWalkIDRoundTrips(t *testing.T) {
	for _, id := range append(slices.Clone(canonicalIDs), oddIDs...) {
		p := appendWalkID(nil, id)
		_, canonical := canonicalID(id)
		if canonical != slices.Contains(canonicalIDs, id) {
			t.Errorf("canonicalID(%q) = %v", id, canonical)
		}
		if canonical && len(p) != 16 || !canonical && len(p) != 16+len(id) {
			t.Errorf("wid(%q) takes %d bytes", id, len(p))
		}
		if got, ok := idOfWalkID(p); !ok || got != id {
			t.Errorf("wid(%q) reads back as %q, %v", id, got, ok)
		}
		if !validWalkID(p) || walkIDLen(id) != len(p) {
			t.Errorf("wid(%q) = %x: valid %v, walkIDLen %d", id, p, validWalkID(p), walkIDLen(id))
		}
		// Every key of a user gives its id back, whatever the value.
		u := walkUser(id, "ann\x00lee", "", true, time.Unix(0, 0), "Ann@example.com")
		for _, k := range walkKeysOf(u) {
			if got := idOfKey(walkIndexOf(k.bucket), k.key); got != id {
				t.Errorf("key %q of %s gives id %q, want %q", k.key, bucketNames[k.bucket], got, id)
			}
		}
	}
	// Id parts no id has.
	for _, p := range [][]byte{nil, []byte("0190a1b2"), make([]byte, 16), []byte("0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"),
		append(make([]byte, 16), "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"...)} {
		if validWalkID(p) {
			t.Errorf("validWalkID(%q) = true", p)
		}
	}
}

// TestWalkIDsSortAsStrings pins that walk keys order ids as strings, the
// order of the keys of the other engine, whatever mix of forms they hold.
func TestWalkIDsSortAsStrings(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ids := append(slices.Clone(canonicalIDs), oddIDs...)
	const chars = "-0189:`abfgA/."
	for range 60 {
		ids = append(ids, fakeUUID(r))
	}
	for _, id := range slices.Clone(ids) {
		for range 8 {
			b := []byte(id)
			switch r.IntN(3) {
			case 0:
				b = b[:r.IntN(len(b)+1)]
			case 1:
				if len(b) > 0 {
					b[r.IntN(len(b))] = chars[r.IntN(len(chars))]
				}
			case 2:
				b = append(b, chars[r.IntN(len(chars))])
			}
			if len(b) > 0 {
				ids = append(ids, string(b))
			}
		}
	}
	wids := make([][]byte, len(ids))
	for i, id := range ids {
		wids[i] = appendWalkID(nil, id)
	}
	for i, a := range ids {
		for j, b := range ids {
			if got, want := bytes.Compare(wids[i], wids[j]), strings.Compare(a, b); got != want {
				t.Fatalf("wid(%q) and wid(%q) compare %d, the ids %d", a, b, got, want)
			}
		}
	}
	// So the keys of Bolt and those it exports for another engine sort
	// users alike in every index.
	type keys struct {
		id             string
		bolt, exported map[UserIndex][]byte
	}
	var users []keys
	for i, id := range ids {
		u := walkUser(id, []string{"ann", "bob"}[i%2], "", i%3 == 0, time.Unix(int64(i%2), 0), "a@example.com")
		k := keys{id, map[UserIndex][]byte{}, map[UserIndex][]byte{}}
		for _, wk := range walkKeysOf(u) {
			k.bolt[walkIndexOf(wk.bucket)] = wk.key
		}
		for _, wk := range UserWalkKeys(u) {
			k.exported[wk.Index] = wk.Key
		}
		users = append(users, k)
	}
	for idx := ByUserName; idx <= ByActive; idx++ {
		byBolt, byExported := slices.Clone(users), slices.Clone(users)
		slices.SortFunc(byBolt, func(a, b keys) int { return bytes.Compare(a.bolt[idx], b.bolt[idx]) })
		slices.SortFunc(byExported, func(a, b keys) int { return bytes.Compare(a.exported[idx], b.exported[idx]) })
		for i := range byBolt {
			if byBolt[i].id != byExported[i].id {
				t.Fatalf("index %d: user %d is %q by Bolt's keys, %q by the exported ones", idx, i, byBolt[i].id, byExported[i].id)
			}
		}
	}
}

// TestCheckFindsWalkKeysOfVersion4 pins that Check reports a walk key that
// ends with the id as a string, as version 4 wrote it, in a file of this
// version: in place of the user's key, or beside it.
func TestCheckFindsWalkKeysOfVersion4(t *testing.T) {
	for _, id := range []string{canonicalIDs[0], "u1"} {
		t.Run(id, func(t *testing.T) {
			s := openTest(t)
			u := walkUser(id, "ann", "Lee", true, time.Unix(0, 0))
			putUsers(t, s, u)
			checkStore(t, s)
			old := append(valueKey("ann"), id...)
			if err := s.db.Update(func(btx *bolt.Tx) error {
				return btx.Bucket(bucketNames[bUserSortUserName]).Put(old, nil)
			}); err != nil {
				t.Fatal(err)
			}
			wantOld := fmt.Sprintf("users/by/userName: key %q does not end with a user id as schema version %s writes it", old, schemaVersion)
			if err := s.Check(); err == nil || !strings.Contains(err.Error(), wantOld) {
				t.Errorf("Check = %v, want it to say %q", err, wantOld)
			}
			if err := s.db.Update(func(btx *bolt.Tx) error {
				return btx.Bucket(bucketNames[bUserSortUserName]).Delete(appendWalkID(valueKey("ann"), id))
			}); err != nil {
				t.Fatal(err)
			}
			err := s.Check()
			for _, want := range []string{wantOld, fmt.Sprintf("users/by/userName: user %q has no key", id)} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Check = %v, want it to say %q", err, want)
				}
			}
		})
	}
}

// FuzzWalkIDs checks, beyond the cases above, that any two ids read back
// as they are and compare as strings do.
func FuzzWalkIDs(f *testing.F) {
	for i, id := range oddIDs {
		f.Add(id, canonicalIDs[i%len(canonicalIDs)])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if a == "" || b == "" {
			return // users have ids
		}
		wa, wb := appendWalkID(nil, a), appendWalkID(nil, b)
		if got, ok := idOfWalkID(wa); !ok || got != a || !validWalkID(wa) {
			t.Fatalf("wid(%q) = %x reads back as %q, %v", a, wa, got, ok)
		}
		if got, want := bytes.Compare(wa, wb), strings.Compare(a, b); got != want {
			t.Fatalf("wid(%q) and wid(%q) compare %d, the ids %d", a, b, got, want)
		}
	})
}
