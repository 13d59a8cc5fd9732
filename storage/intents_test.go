package storage

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIntents(t *testing.T) {
	s := openTest(t)
	in := Intent{Key: "Ada@Example.com", SCIMID: "u1", Resource: scimResource("u1", "Ada@Example.com", ""), Started: t0}
	update(t, s, func(tx *boltTx) error {
		if err := tx.PutIntent(in); err != nil {
			return err
		}
		return tx.PutIntent(Intent{Key: "bob", SCIMID: "u2", Resource: json.RawMessage(`{}`)})
	})
	want := in
	want.Key = "ada@example.com"
	view(t, s, func(tx *boltTx) error {
		got, err := tx.Intent("ADA@example.com")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Intent (-want +got):\n%s", diff)
		}
		if _, err := tx.Intent("nobody"); !isNotFound(err) {
			t.Errorf("Intent(nobody) = %v, want ErrNotFound", err)
		}
		if got := tx.CountIntents(); got != 2 {
			t.Errorf("CountIntents() = %d, want 2", got)
		}
		return nil
	})

	// Replacing keeps one intent per key.
	in.SCIMID = "u1b"
	update(t, s, func(tx *boltTx) error { return tx.PutIntent(in) })
	var keys, ids []string
	view(t, s, func(tx *boltTx) error {
		return tx.ForEachIntent(func(in Intent) (bool, error) {
			keys = append(keys, in.Key)
			ids = append(ids, in.SCIMID)
			return true, nil
		})
	})
	if diff := cmp.Diff([]string{"ada@example.com", "bob"}, keys); diff != "" {
		t.Errorf("ForEachIntent keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"u1b", "u2"}, ids); diff != "" {
		t.Errorf("ForEachIntent ids (-want +got):\n%s", diff)
	}

	update(t, s, func(tx *boltTx) error {
		if err := tx.DeleteIntent("ADA@EXAMPLE.COM"); err != nil {
			return err
		}
		return tx.DeleteIntent("ada@example.com") // already gone: not an error
	})
	if got := s.Stats().Intents; got != 1 {
		t.Errorf("Stats().Intents = %d, want 1", got)
	}
	checkStore(t, s)
	if err := s.update(func(tx *boltTx) error { return tx.PutIntent(Intent{SCIMID: "x"}) }); err == nil {
		t.Error("PutIntent with an empty key succeeded")
	}
}
