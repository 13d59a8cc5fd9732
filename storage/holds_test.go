package storage

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

func TestHolds(t *testing.T) {
	s := openTest(t)
	h := Hold{UserID: "u1", AbsorbID: "a1", UserName: "ada@example.com", Kind: "delete", Time: t0,
		Credential: "okta", RequestID: "r1", Resource: scimResource("u1", "ada@example.com", "")}
	update(t, s, func(tx *boltTx) error {
		if err := tx.PutHold(h); err != nil {
			return err
		}
		return tx.PutHold(Hold{UserID: "u0", AbsorbID: "a0", Kind: "deactivate", Resource: json.RawMessage(`{}`)})
	})
	view(t, s, func(tx *boltTx) error {
		got, err := tx.Hold("u1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(h, got); diff != "" {
			t.Errorf("Hold (-want +got):\n%s", diff)
		}
		if _, err := tx.Hold("nobody"); !isNotFound(err) {
			t.Errorf("Hold(nobody) = %v, want ErrNotFound", err)
		}
		return nil
	})
	var ids []string
	view(t, s, func(tx *boltTx) error {
		return tx.ForEachHold(func(h Hold) (bool, error) {
			ids = append(ids, h.UserID)
			return true, nil
		})
	})
	if diff := cmp.Diff([]string{"u0", "u1"}, ids); diff != "" {
		t.Errorf("ForEachHold (-want +got):\n%s", diff)
	}
	update(t, s, func(tx *boltTx) error {
		if err := tx.DeleteHold("u1"); err != nil {
			return err
		}
		return tx.DeleteHold("u1") // already gone: not an error
	})
	view(t, s, func(tx *boltTx) error {
		if _, err := tx.Hold("u1"); !isNotFound(err) {
			t.Errorf("Hold(u1) after delete = %v, want ErrNotFound", err)
		}
		return nil
	})
	checkStore(t, s)
	if err := s.update(func(tx *boltTx) error { return tx.PutHold(Hold{Kind: "delete"}) }); err == nil {
		t.Error("PutHold with an empty user id succeeded")
	}
}

// A file written before the holds bucket existed opens: read-only it has no
// holds, and a writable open adds the bucket.
func TestHoldsInAnOlderFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketNames[bHolds]) }); err != nil {
		t.Fatal(err)
	}
	s.Close()

	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open of a file without holds: %v", err)
	}
	view(t, ro, func(tx *boltTx) error {
		n := 0
		err := tx.ForEachHold(func(Hold) (bool, error) { n++; return true, nil })
		if _, herr := tx.Hold("u1"); !isNotFound(herr) {
			t.Errorf("Hold = %v, want ErrNotFound", herr)
		}
		if n != 0 {
			t.Errorf("ForEachHold found %d holds, want none", n)
		}
		return err
	})
	ro.Close()

	rw, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatalf("Open of a file without holds: %v", err)
	}
	defer rw.Close()
	update(t, rw, func(tx *boltTx) error { return tx.PutHold(Hold{UserID: "u1", Kind: "deactivate"}) })
}
