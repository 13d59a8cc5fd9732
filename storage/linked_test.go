package storage

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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

// linkValue is the absorb/users value files of schema version 2 to 4 keep
// for the copy user userID holds; this build no longer writes it.
func linkValue(userID string) []byte { return append([]byte{valueLink}, userID...) }

// putSchema4Link writes into absorb/users the link a file of schema version
// 4 keeps for the copy of Absorb account absorbID that user userID holds.
func putSchema4Link(t *testing.T, s *Bolt, absorbID, userID string) {
	t.Helper()
	if err := s.db.Update(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketNames[bAbsorbUsers]).Put([]byte(absorbID), linkValue(userID))
	}); err != nil {
		t.Fatal(err)
	}
}

// wantHeldCopy checks that user userID holds the copy of absorbID and that
// absorb/users keeps nothing for it.
func wantHeldCopy(t *testing.T, s *Bolt, userID, absorbID string) {
	t.Helper()
	if v := rawValue(t, s, bUsers, userID); len(v) == 0 || v[0] != valueWithCopy {
		t.Errorf("users value of %s does not hold an Absorb copy", userID)
	}
	if v := rawValue(t, s, bAbsorbUsers, absorbID); v != nil {
		t.Errorf("absorb/users %s = %q, want nothing: user %s holds the copy", absorbID, v, userID)
	}
}

// wantKeptCopy checks that absorb/users keeps the copy of absorbID itself.
func wantKeptCopy(t *testing.T, s *Bolt, absorbID string) {
	t.Helper()
	if v := rawValue(t, s, bAbsorbUsers, absorbID); len(v) == 0 || v[0] != recordFormat {
		t.Errorf("absorb/users %s = %q, want the record itself", absorbID, v)
	}
}

// wantAbsorbWalk checks that ForEachAbsorbUser visits exactly the accounts
// ids, each once, in ascending order, and that CountAbsorbUsers agrees.
func wantAbsorbWalk(t *testing.T, s *Bolt, ids ...string) {
	t.Helper()
	view(t, s, func(tx *boltTx) error {
		var got []string
		if err := tx.ForEachAbsorbUser(func(u AbsorbUser) (bool, error) {
			got = append(got, u.ID)
			return true, nil
		}); err != nil {
			return err
		}
		if diff := cmp.Diff(ids, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ForEachAbsorbUser (-want +got):\n%s", diff)
		}
		if n := tx.CountAbsorbUsers(); n != len(ids) {
			t.Errorf("CountAbsorbUsers() = %d, want %d", n, len(ids))
		}
		return nil
	})
}

func TestLinkedAbsorbCopyLivesWithItsUser(t *testing.T) {
	s, u, first := linkedStore(t)
	wantHeldCopy(t, s, "u1", "a1")
	wantAbsorbUser(t, s, first)
	wantAbsorbWalk(t, s, "a1")
	checkStore(t, s)

	// A PATCH writes both again: absorb/users, and its pages, stay as they are.
	second := absorbAccount("a1", "ada@example.com", "ext-1", "2025-04-02T09:00:00.000")
	u.Version++
	putLinked(t, s, u, second)
	wantAbsorbUser(t, s, second)
	wantHeldCopy(t, s, "u1", "a1")
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
		return nil
	})
	wantAbsorbWalk(t, s, "a1")
	checkStore(t, s)
}

func TestLinkedAbsorbCopyLeavesItsUser(t *testing.T) {
	t.Run("the user is deleted", func(t *testing.T) {
		s, _, a := linkedStore(t)
		update(t, s, func(tx *boltTx) error { return tx.DeleteUser("u1") })
		wantKeptCopy(t, s, "a1")
		wantAbsorbUser(t, s, a)
		wantAbsorbWalk(t, s, "a1")
		checkStore(t, s)
	})

	t.Run("the user is linked to another account", func(t *testing.T) {
		s, u, a := linkedStore(t)
		b := absorbAccount("b2", "ada.new@example.com", "ext-2", "2025-05-01T00:00:00.000")
		u.AbsorbID = "b2"
		putLinked(t, s, u, b)
		wantAbsorbUser(t, s, a)
		wantAbsorbUser(t, s, b)
		wantKeptCopy(t, s, "a1")
		wantHeldCopy(t, s, "u1", "b2")
		wantAbsorbWalk(t, s, "a1", "b2")
		checkStore(t, s)
	})

	t.Run("the user is linked to no account", func(t *testing.T) {
		s, u, a := linkedStore(t)
		u.AbsorbID = ""
		putUsers(t, s, u)
		wantKeptCopy(t, s, "a1")
		wantAbsorbUser(t, s, a)
		wantAbsorbWalk(t, s, "a1")
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
			if _, err := tx.AbsorbUserByUsername("ada@example.com"); !isNotFound(err) {
				t.Errorf("AbsorbUserByUsername = %v, want ErrNotFound", err)
			}
			return nil
		})
		wantAbsorbWalk(t, s)
		checkStore(t, s)

		// Written again, the copy goes back into the user's value.
		a := absorbAccount("a1", "ada@example.com", "ext-1", "2025-07-01T00:00:00.000")
		update(t, s, func(tx *boltTx) error { return tx.PutAbsorbUser(a) })
		wantHeldCopy(t, s, "u1", "a1")
		wantAbsorbUser(t, s, a)
		wantAbsorbWalk(t, s, "a1")
		checkStore(t, s)
	})
}

// An account mirrored before any user is linked to it is read where it is
// and moves in with the next write of its copy.
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
	wantKeptCopy(t, s, "a1")
	wantAbsorbUser(t, s, a)
	wantAbsorbWalk(t, s, "a1")
	checkStore(t, s)

	a.DateEdited = "2025-06-01T00:00:00.000"
	update(t, s, func(tx *boltTx) error { return tx.PutAbsorbUser(a) })
	wantHeldCopy(t, s, "u1", "a1")
	wantAbsorbUser(t, s, a)
	wantAbsorbWalk(t, s, "a1")
	checkStore(t, s)
}

// schema4Store returns a store opened from a file of schema version 4
// holding user u1 with the copy of a1 and a link to it in absorb/users, user
// u2 linked to a2, whose copy absorb/users keeps, and the copy of a3, which
// no user is linked to.
func schema4Store(t *testing.T) (s *Bolt, u1 User, a1, a2, a3 AbsorbUser) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bridge.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	u1 = testUser("u1", "ada@example.com", "ada@example.com")
	u1.AbsorbID = "a1"
	a1 = absorbAccount("a1", "ada@example.com", "ext-1", "2025-03-01T08:09:10.456")
	putLinked(t, s, u1, a1)
	a2 = absorbAccount("a2", "bob@example.com", "ext-2", "2025-03-02T00:00:00.000")
	a3 = absorbAccount("a3", "cy@example.com", "ext-3", "2025-03-03T00:00:00.000")
	update(t, s, func(tx *boltTx) error {
		if err := tx.PutAbsorbUser(a2); err != nil {
			return err
		}
		return tx.PutAbsorbUser(a3)
	})
	u2 := testUser("u2", "bob@example.com", "bob@example.com")
	u2.AbsorbID = "a2"
	putUsers(t, s, u2)
	putSchema4Link(t, s, "a1", "u1")
	if err := s.db.Update(func(btx *bolt.Tx) error {
		if err := walkKeysToSchema4(btx); err != nil {
			return err
		}
		return btx.Bucket(bucketNames[bMeta]).Put(keySchema, []byte("4"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path, Options{NoSync: true}); err != nil {
		t.Fatalf("Open of a version 4 file: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, u1, a1, a2, a3
}

// A file of schema version 4 keeps in absorb/users a link for every copy a
// user holds: it is followed, never counted or visited twice, Check accepts
// it, and the next write of the account, of its user or the account's
// deletion leaves nothing of it behind.
func TestSchema4LinksAreReadAndDropped(t *testing.T) {
	t.Run("read", func(t *testing.T) {
		s, _, a1, a2, a3 := schema4Store(t)
		if !bytes.Equal(rawValue(t, s, bAbsorbUsers, "a1"), linkValue("u1")) {
			t.Fatal("the migration rewrote the link; this test no longer tests a version 4 link")
		}
		for _, a := range []AbsorbUser{a1, a2, a3} {
			wantAbsorbUser(t, s, a)
		}
		wantAbsorbWalk(t, s, "a1", "a2", "a3")
		checkStore(t, s)
	})

	t.Run("the account is written again", func(t *testing.T) {
		s, _, a1, _, _ := schema4Store(t)
		a1.DateEdited = "2025-08-01T00:00:00.000"
		update(t, s, func(tx *boltTx) error { return tx.PutAbsorbUser(a1) })
		wantHeldCopy(t, s, "u1", "a1")
		wantAbsorbUser(t, s, a1)
		wantAbsorbWalk(t, s, "a1", "a2", "a3")
		checkStore(t, s)
	})

	t.Run("the account is deleted", func(t *testing.T) {
		s, _, _, _, _ := schema4Store(t)
		update(t, s, func(tx *boltTx) error { return tx.DeleteAbsorbUser("a1") })
		if v := rawValue(t, s, bAbsorbUsers, "a1"); v != nil {
			t.Errorf("absorb/users a1 = %q after the account was deleted", v)
		}
		if v := rawValue(t, s, bUsers, "u1"); v[0] != recordFormat {
			t.Errorf("users value starts with %d, want the user record alone", v[0])
		}
		view(t, s, func(tx *boltTx) error {
			if _, err := tx.AbsorbUser("a1"); !isNotFound(err) {
				t.Errorf("AbsorbUser(a1) = %v, want ErrNotFound", err)
			}
			return nil
		})
		wantAbsorbWalk(t, s, "a2", "a3")
		checkStore(t, s)
	})

	t.Run("the user is deleted", func(t *testing.T) {
		s, _, a1, _, _ := schema4Store(t)
		update(t, s, func(tx *boltTx) error { return tx.DeleteUser("u1") })
		wantKeptCopy(t, s, "a1")
		wantAbsorbUser(t, s, a1)
		wantAbsorbWalk(t, s, "a1", "a2", "a3")
		checkStore(t, s)
	})

	t.Run("the user is linked to another account", func(t *testing.T) {
		s, u1, a1, _, a3 := schema4Store(t)
		u1.AbsorbID = "a3"
		putUsers(t, s, u1)
		wantKeptCopy(t, s, "a1")
		wantKeptCopy(t, s, "a3")
		wantAbsorbUser(t, s, a1)
		wantAbsorbUser(t, s, a3)
		wantAbsorbWalk(t, s, "a1", "a2", "a3")
		checkStore(t, s)

		// a3's next write moves it into u1's value.
		a3.DateEdited = "2025-09-01T00:00:00.000"
		update(t, s, func(tx *boltTx) error { return tx.PutAbsorbUser(a3) })
		wantHeldCopy(t, s, "u1", "a3")
		wantAbsorbUser(t, s, a3)
		wantAbsorbWalk(t, s, "a1", "a2", "a3")
		checkStore(t, s)
	})

	t.Run("the user is written again", func(t *testing.T) {
		s, u1, a1, _, _ := schema4Store(t)
		u1.Version++
		putUsers(t, s, u1)
		wantAbsorbUser(t, s, a1)
		wantAbsorbWalk(t, s, "a1", "a2", "a3")
		checkStore(t, s)
	})
}

func TestCheckFindsMisplacedCopies(t *testing.T) {
	tests := []struct {
		name   string
		damage func(tx *bolt.Tx) error
		want   string
	}{
		{
			name: "a copy lost from its user",
			damage: func(tx *bolt.Tx) error {
				v := tx.Bucket(bucketNames[bUsers]).Get([]byte("u1"))
				rec, _, err := splitUserValue(v)
				if err != nil {
					return err
				}
				return tx.Bucket(bucketNames[bUsers]).Put([]byte("u1"), bytes.Clone(rec))
			},
			want: "count/absorbUsers is 2 but there are 1",
		},
		{
			name: "a copy held twice",
			damage: func(tx *bolt.Tx) error {
				_, a, err := splitUserValue(tx.Bucket(bucketNames[bUsers]).Get([]byte("u1")))
				if err != nil {
					return err
				}
				return tx.Bucket(bucketNames[bAbsorbUsers]).Put([]byte("a1"), bytes.Clone(a))
			},
			want: `the copy of Absorb user "a1" is held twice: in absorb/users and by user "u1"`,
		},
		{
			name: "a held copy without its users/absorbId entry",
			damage: func(tx *bolt.Tx) error {
				return tx.Bucket(bucketNames[bUserAbsorbID]).Delete([]byte("a1"))
			},
			want: `user "u1" holds the copy of Absorb user "a1", which users/absorbId does not map to it`,
		},
		{
			name: "a link to another user",
			damage: func(tx *bolt.Tx) error {
				return tx.Bucket(bucketNames[bAbsorbUsers]).Put([]byte("a1"), linkValue("u9"))
			},
			want: `linked to user "u9", who does not exist`,
		},
		{
			name: "a link to a user without the copy",
			damage: func(tx *bolt.Tx) error {
				return tx.Bucket(bucketNames[bAbsorbUsers]).Put([]byte("a2"), linkValue("u2"))
			},
			want: `linked to user "u2", who holds no copy`,
		},
		{
			name: "a wrong count",
			damage: func(tx *bolt.Tx) error {
				return tx.Bucket(bucketNames[bMeta]).Put(counterKeys[cAbsorbUsers], []byte{0, 0, 0, 0, 0, 0, 0, 1})
			},
			want: "count/absorbUsers is 1 but there are 2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := linkedStore(t)
			u2 := testUser("u2", "bob@example.com")
			u2.AbsorbID = ""
			putLinked(t, s, u2, absorbAccount("a2", "bob@example.com", "ext-2", "2025-03-02T00:00:00.000"))
			checkStore(t, s)
			if err := s.db.Update(tt.damage); err != nil {
				t.Fatal(err)
			}
			wantCorrupt(t, s, tt.want)
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
	edits, held, kept, links := 0, 0, 0, 0
	for round := range 300 {
		update(t, s, func(tx *boltTx) error {
			for range 1 + r.IntN(4) {
				uid, aid := userIDs[r.IntN(len(userIDs))], absorbIDs[r.IntN(len(absorbIDs))]
				switch r.IntN(6) {
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
				case 5: // the link a file of schema version 4 keeps for a copy a user holds
					if h := holderOf(aid); h != "" {
						if _, _, rec, err := tx.heldCopy([]byte(aid)); err != nil || rec == nil {
							return err
						}
						if err := tx.b(bAbsorbUsers).Put([]byte(aid), linkValue(h)); err != nil {
							return err
						}
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
			var walked []string
			if err := tx.ForEachAbsorbUser(func(u AbsorbUser) (bool, error) {
				if want := accounts[u.ID]; !reflect.DeepEqual(u, want) {
					t.Fatalf("round %d: ForEachAbsorbUser gave %s of %s, want %s", round, u.DateEdited, u.ID, want.DateEdited)
				}
				walked = append(walked, u.ID)
				return true, nil
			}); err != nil {
				return err
			}
			if want := slices.Sorted(maps.Keys(accounts)); !slices.Equal(walked, want) {
				t.Fatalf("round %d: ForEachAbsorbUser visited %v, want %v", round, walked, want)
			}
			for aid := range accounts {
				v := tx.b(bAbsorbUsers).Get([]byte(aid))
				if _, linked := linkedUser(v); linked {
					links++
				} else if v == nil {
					held++
				} else if holderOf(aid) != "" {
					kept++ // written before its user was linked
				}
			}
			return nil
		})
	}
	if held == 0 || kept == 0 || links == 0 {
		t.Errorf("the sequence left %d copies in users' values, %d copies of linked accounts in absorb/users and %d links: it should exercise all three",
			held, kept, links)
	}
}
