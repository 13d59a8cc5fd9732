package storage

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

func absorbAccount(id, username, externalID, edited string) AbsorbUser {
	return AbsorbUser{ID: id, Username: username, ExternalID: externalID, DateEdited: edited,
		Raw: absorbRaw(id, username, externalID)}
}

// rawValue returns a copy of the stored value of key in bucket.
func rawValue(t *testing.T, s *Bolt, bucket bucketID, key string) []byte {
	t.Helper()
	var v []byte
	view(t, s, func(tx *boltTx) error {
		v = bytes.Clone(tx.b(bucket).Get([]byte(key)))
		return nil
	})
	return v
}

// wantAbsorbUser checks every way of reading the Absorb user.
func wantAbsorbUser(t *testing.T, s *Bolt, want AbsorbUser) {
	t.Helper()
	view(t, s, func(tx *boltTx) error {
		for name, lookup := range map[string]func() (AbsorbUser, error){
			"id":         func() (AbsorbUser, error) { return tx.AbsorbUser(want.ID) },
			"username":   func() (AbsorbUser, error) { return tx.AbsorbUserByUsername(want.Username) },
			"externalId": func() (AbsorbUser, error) { return tx.AbsorbUserByExternalID(want.ExternalID) },
			"walk": func() (AbsorbUser, error) {
				var found AbsorbUser
				err := tx.ForEachAbsorbUser(func(u AbsorbUser) (bool, error) {
					if u.ID == want.ID {
						found = u
					}
					return true, nil
				})
				return found, err
			},
		} {
			got, err := lookup()
			if err != nil {
				t.Errorf("%s: %v", name, err)
			} else if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
		}
		return nil
	})
}

// putLinked writes u and the copy of its Absorb account a in one
// transaction, as every create, replace and PATCH does.
func putLinked(t *testing.T, s *Bolt, u User, a AbsorbUser) {
	t.Helper()
	update(t, s, func(tx *boltTx) error {
		if err := tx.PutUser(u); err != nil {
			return err
		}
		return tx.PutAbsorbUser(a)
	})
}

// linkedStore returns a store holding user u1 linked to Absorb account a1.
func linkedStore(t *testing.T) (*Bolt, User, AbsorbUser) {
	t.Helper()
	s := openTest(t)
	u := testUser("u1", "ada@example.com", "ada@example.com")
	u.AbsorbID = "a1"
	a := absorbAccount("a1", "ada@example.com", "ext-1", "2025-03-01T08:09:10.456")
	putLinked(t, s, u, a)
	return s, u, a
}

func TestLinkedAbsorbCopyLivesWithItsUser(t *testing.T) {
	s, u, first := linkedStore(t)
	if v := rawValue(t, s, bUsers, "u1"); v[0] != valueWithCopy {
		t.Fatalf("users value starts with %d, want the user with its Absorb copy (%d)", v[0], valueWithCopy)
	}
	link := rawValue(t, s, bAbsorbUsers, "a1")
	if !bytes.Equal(link, linkValue("u1")) {
		t.Fatalf("absorb/users value = %q, want a link to u1", link)
	}
	wantAbsorbUser(t, s, first)
	checkStore(t, s)

	// A PATCH writes both again: the link, and with it its page, stays.
	second := absorbAccount("a1", "ada@example.com", "ext-1", "2025-04-02T09:00:00.000")
	u.Version++
	putLinked(t, s, u, second)
	wantAbsorbUser(t, s, second)
	if got := rawValue(t, s, bAbsorbUsers, "a1"); !bytes.Equal(got, link) {
		t.Errorf("absorb/users value = %q after an update, want the same link", got)
	}
	// A write of the user alone (a sync folding in a rename) keeps the copy.
	u.Version++
	update(t, s, func(tx *boltTx) error { return tx.PutUser(u) })
	wantAbsorbUser(t, s, second)
	view(t, s, func(tx *boltTx) error {
		got, err := tx.User("u1")
		if err != nil {
			return err
		}
		if got.Version != u.Version || got.AbsorbID != "a1" {
			t.Errorf("User = version %d, absorbId %q; want %d, a1", got.Version, got.AbsorbID, u.Version)
		}
		if n := tx.CountAbsorbUsers(); n != 1 {
			t.Errorf("CountAbsorbUsers() = %d, want 1", n)
		}
		return nil
	})
	checkStore(t, s)
}

func TestLinkedAbsorbCopyLeavesItsUser(t *testing.T) {
	t.Run("the user is deleted", func(t *testing.T) {
		s, _, a := linkedStore(t)
		update(t, s, func(tx *boltTx) error { return tx.DeleteUser("u1") })
		if v := rawValue(t, s, bAbsorbUsers, "a1"); v[0] != recordFormat {
			t.Errorf("absorb/users value starts with %d, want the record itself", v[0])
		}
		wantAbsorbUser(t, s, a)
		checkStore(t, s)
	})

	t.Run("the user is linked to another account", func(t *testing.T) {
		s, u, a := linkedStore(t)
		b := absorbAccount("b2", "ada.new@example.com", "ext-2", "2025-05-01T00:00:00.000")
		u.AbsorbID = "b2"
		putLinked(t, s, u, b)
		wantAbsorbUser(t, s, a)
		wantAbsorbUser(t, s, b)
		if !bytes.Equal(rawValue(t, s, bAbsorbUsers, "b2"), linkValue("u1")) {
			t.Error("absorb/users b2 does not link to u1")
		}
		checkStore(t, s)
	})

	t.Run("the account is deleted", func(t *testing.T) {
		s, u, _ := linkedStore(t)
		update(t, s, func(tx *boltTx) error { return tx.DeleteAbsorbUser("a1") })
		if v := rawValue(t, s, bUsers, "u1"); v[0] != recordFormat {
			t.Errorf("users value starts with %d, want the user record alone", v[0])
		}
		view(t, s, func(tx *boltTx) error {
			got, err := tx.User("u1")
			if err != nil {
				return err
			}
			if got.UserName != u.UserName || got.AbsorbID != "a1" {
				t.Errorf("User = %+v", got)
			}
			if _, err := tx.AbsorbUser("a1"); !isNotFound(err) {
				t.Errorf("AbsorbUser(a1) = %v, want ErrNotFound", err)
			}
			if n := tx.CountAbsorbUsers(); n != 0 {
				t.Errorf("CountAbsorbUsers() = %d, want 0", n)
			}
			return nil
		})
		checkStore(t, s)
	})
}

// An account mirrored before any user is linked to it, as every file of
// schema version 1 holds them, is read where it is and moves in with the
// next write of its copy.
func TestAbsorbCopyMovesInOnItsNextWrite(t *testing.T) {
	s := openTest(t)
	a := absorbAccount("a1", "ada@example.com", "ext-1", "2025-03-01T08:09:10.456")
	update(t, s, func(tx *boltTx) error { return tx.PutAbsorbUser(a) })
	u := testUser("u1", "ada@example.com", "ada@example.com")
	u.AbsorbID = "a1"
	putUsers(t, s, u)
	if v := rawValue(t, s, bUsers, "u1"); v[0] != recordFormat {
		t.Fatalf("users value starts with %d before the copy is written again", v[0])
	}
	wantAbsorbUser(t, s, a)
	checkStore(t, s)

	a.DateEdited = "2025-06-01T00:00:00.000"
	update(t, s, func(tx *boltTx) error { return tx.PutAbsorbUser(a) })
	if !bytes.Equal(rawValue(t, s, bAbsorbUsers, "a1"), linkValue("u1")) {
		t.Error("absorb/users a1 does not link to u1 after the copy was written again")
	}
	wantAbsorbUser(t, s, a)
	checkStore(t, s)
}

func TestCheckFindsBrokenLinks(t *testing.T) {
	for name, breakIt := range map[string]func(tx *bolt.Tx) error{
		"link to a user without the copy": func(tx *bolt.Tx) error {
			v := tx.Bucket(bucketNames[bUsers]).Get([]byte("u1"))
			rec, _, err := splitUserValue(v)
			if err != nil {
				return err
			}
			return tx.Bucket(bucketNames[bUsers]).Put([]byte("u1"), bytes.Clone(rec))
		},
		"link to another user": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketNames[bAbsorbUsers]).Put([]byte("a1"), linkValue("u9"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			s, _, _ := linkedStore(t)
			if err := s.db.Update(breakIt); err != nil {
				t.Fatal(err)
			}
			if err := s.Check(); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Check() = %v, want ErrCorrupt", err)
			}
		})
	}
}

// A file of schema version 1, a layout no release wrote, is refused with a
// line naming the version, whether opened read-only or for writing.
func TestOpenRefusesSchemaVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bridge.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketNames[bMeta]).Put(keySchema, []byte("1"))
	}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()

	for _, opts := range []Options{{ReadOnly: true}, {NoSync: true}} {
		s, err := Open(path, opts)
		if err == nil {
			_ = s.Close()
			t.Fatalf("Open(%+v) of a version 1 file succeeded, want an error", opts)
		}
		if want := `unsupported schema version "1" (this build reads ` + schemaVersion + `)`; !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%+v) error = %v, want it to contain %q", opts, err, want)
		}
	}
}

// Random sequences of the writes that touch users and their Absorb copies,
// several to a transaction, against a model of what each read must return:
// whatever the order, every copy reads back as last written, none is lost or
// left behind, and Check agrees.
func TestLinkedAbsorbCopiesAgainstAModel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	s := openTest(t)
	users := map[string]string{}        // SCIM id -> Absorb id ("" when none)
	accounts := map[string]AbsorbUser{} // Absorb id -> the copy last written
	userIDs := []string{"u1", "u2", "u3", "u4"}
	absorbIDs := []string{"a1", "a2", "a3", "a4", "a5"}
	holderOf := func(aid string) string {
		for uid, a := range users {
			if a == aid && aid != "" {
				return uid
			}
		}
		return ""
	}
	edits, links, linkedRecords := 0, 0, 0
	for round := range 300 {
		update(t, s, func(tx *boltTx) error {
			for range 1 + r.IntN(4) {
				uid, aid := userIDs[r.IntN(len(userIDs))], absorbIDs[r.IntN(len(absorbIDs))]
				switch r.IntN(5) {
				case 0, 1: // a user written, linked to an account no other user holds, or to none
					if h := holderOf(aid); h != "" && h != uid {
						aid = ""
					}
					if r.IntN(6) == 0 {
						aid = ""
					}
					u := testUser(uid, uid+"@example.com")
					u.AbsorbID = aid
					if err := tx.PutUser(u); err != nil {
						return err
					}
					users[uid] = aid
				case 2: // a copy written, with or without the user it belongs to in the same transaction
					edits++
					a := absorbAccount(aid, aid+"@absorb.example", "ext-"+aid, fmt.Sprintf("2025-01-01T00:00:%02d.%03d", edits%60, edits))
					if err := tx.PutAbsorbUser(a); err != nil {
						return err
					}
					accounts[aid] = a
				case 3:
					if _, ok := users[uid]; ok {
						if err := tx.DeleteUser(uid); err != nil {
							return err
						}
						delete(users, uid)
					}
				case 4:
					if _, ok := accounts[aid]; ok {
						if err := tx.DeleteAbsorbUser(aid); err != nil {
							return err
						}
						delete(accounts, aid)
					}
				}
			}
			return nil
		})
		if err := s.Check(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		view(t, s, func(tx *boltTx) error {
			for _, aid := range absorbIDs {
				got, err := tx.AbsorbUser(aid)
				want, ok := accounts[aid]
				switch {
				case !ok && !isNotFound(err):
					t.Fatalf("round %d: AbsorbUser(%s) = %v, want ErrNotFound", round, aid, err)
				case ok && err != nil:
					t.Fatalf("round %d: AbsorbUser(%s): %v", round, aid, err)
				case ok && !reflect.DeepEqual(got, want): // cmp.Equal alike for these plain fields, and cheap enough for every round
					t.Fatalf("round %d: AbsorbUser(%s) = %s, want %s", round, aid, got.DateEdited, want.DateEdited)
				}
			}
			for _, uid := range userIDs {
				got, err := tx.User(uid)
				aid, ok := users[uid]
				switch {
				case !ok && !isNotFound(err):
					t.Fatalf("round %d: User(%s) = %v, want ErrNotFound", round, uid, err)
				case ok && (err != nil || got.AbsorbID != aid):
					t.Fatalf("round %d: User(%s) = %q, %v; want linked to %q", round, uid, got.AbsorbID, err, aid)
				}
			}
			if n := tx.CountAbsorbUsers(); n != len(accounts) {
				t.Fatalf("round %d: CountAbsorbUsers() = %d, want %d", round, n, len(accounts))
			}
			for aid := range accounts {
				if _, linked := linkedUser(tx.b(bAbsorbUsers).Get([]byte(aid))); linked {
					links++
				} else if holderOf(aid) != "" {
					linkedRecords++ // written before its user was linked, as schema 1 keeps them
				}
			}
			return nil
		})
	}
	if links == 0 || linkedRecords == 0 {
		t.Errorf("the sequence left %d links and %d copies of linked accounts in absorb/users: it should exercise both", links, linkedRecords)
	}
}
