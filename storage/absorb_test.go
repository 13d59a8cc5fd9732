package storage

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAbsorbUserRoundTrip(t *testing.T) {
	s := openTest(t)
	u := AbsorbUser{ID: "a1", Username: "Ada@Example.com", ExternalID: "ext-1", DateEdited: "2025-03-01T08:09:10.456",
		Raw: absorbRaw("a1", "Ada@Example.com", "ext-1")}
	update(t, s, func(tx *boltTx) error { return tx.PutAbsorbUser(u) })
	view(t, s, func(tx *boltTx) error {
		for name, lookup := range map[string]func() (AbsorbUser, error){
			"id":                  func() (AbsorbUser, error) { return tx.AbsorbUser("a1") },
			"username other case": func() (AbsorbUser, error) { return tx.AbsorbUserByUsername("ADA@example.COM") },
			"externalId":          func() (AbsorbUser, error) { return tx.AbsorbUserByExternalID("ext-1") },
		} {
			got, err := lookup()
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if diff := cmp.Diff(u, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
		}
		for name, lookup := range map[string]func() (AbsorbUser, error){
			"missing id":            func() (AbsorbUser, error) { return tx.AbsorbUser("nope") },
			"empty id":              func() (AbsorbUser, error) { return tx.AbsorbUser("") },
			"missing username":      func() (AbsorbUser, error) { return tx.AbsorbUserByUsername("bob") },
			"externalId other case": func() (AbsorbUser, error) { return tx.AbsorbUserByExternalID("EXT-1") },
		} {
			if _, err := lookup(); !isNotFound(err) {
				t.Errorf("%s: got %v, want ErrNotFound", name, err)
			}
		}
		if got := tx.CountAbsorbUsers(); got != 1 {
			t.Errorf("CountAbsorbUsers() = %d, want 1", got)
		}
		return nil
	})
}

func TestAbsorbUserIndexes(t *testing.T) {
	s := openTest(t)
	put := func(u AbsorbUser) {
		t.Helper()
		update(t, s, func(tx *boltTx) error { return tx.PutAbsorbUser(u) })
	}
	byUsername := func(name string) string {
		t.Helper()
		var id string
		err := s.view(func(tx *boltTx) error {
			u, err := tx.AbsorbUserByUsername(name)
			id = u.ID
			return err
		})
		if err != nil && !isNotFound(err) {
			t.Fatal(err)
		}
		return id
	}

	put(AbsorbUser{ID: "a1", Username: "ada", ExternalID: "e1"})
	put(AbsorbUser{ID: "a1", Username: "ada.l", ExternalID: "e1b"})
	if got := byUsername("ada"); got != "" {
		t.Errorf("old username still finds %q", got)
	}
	if got := byUsername("ada.l"); got != "a1" {
		t.Errorf("new username finds %q, want a1", got)
	}
	view(t, s, func(tx *boltTx) error {
		if _, err := tx.AbsorbUserByExternalID("e1"); !isNotFound(err) {
			t.Errorf("old externalId: %v, want ErrNotFound", err)
		}
		return nil
	})

	// Last write wins, and a stale entry of another user is left alone.
	put(AbsorbUser{ID: "a2", Username: "ADA.L"})
	if got := byUsername("ada.l"); got != "a2" {
		t.Errorf("after a2 took the username: finds %q, want a2", got)
	}
	put(AbsorbUser{ID: "a1", Username: "ada.lovelace"})
	if got := byUsername("ada.l"); got != "a2" {
		t.Errorf("a1 renaming removed a2's entry: finds %q", got)
	}
	if got := s.Stats().AbsorbUsers; got != 2 {
		t.Errorf("Stats().AbsorbUsers = %d, want 2", got)
	}
	checkStore(t, s)

	update(t, s, func(tx *boltTx) error { return tx.DeleteAbsorbUser("a1") })
	if got := byUsername("ada.lovelace"); got != "" {
		t.Errorf("deleted user still found: %q", got)
	}
	if got := byUsername("ada.l"); got != "a2" {
		t.Errorf("deleting a1 removed a2's entry: finds %q", got)
	}
	if err := s.update(func(tx *boltTx) error { return tx.DeleteAbsorbUser("a1") }); !isNotFound(err) {
		t.Errorf("second DeleteAbsorbUser = %v, want ErrNotFound", err)
	}
	if got := s.Stats().AbsorbUsers; got != 1 {
		t.Errorf("Stats().AbsorbUsers = %d, want 1", got)
	}
	checkStore(t, s)
}

func TestForEachAbsorbUser(t *testing.T) {
	s := openTest(t)
	update(t, s, func(tx *boltTx) error {
		for _, id := range []string{"c", "a", "b"} {
			if err := tx.PutAbsorbUser(AbsorbUser{ID: id, Username: id}); err != nil {
				return err
			}
		}
		return nil
	})
	var got []string
	view(t, s, func(tx *boltTx) error {
		return tx.ForEachAbsorbUser(func(u AbsorbUser) (bool, error) {
			got = append(got, u.ID)
			return len(got) < 2, nil
		})
	})
	if diff := cmp.Diff([]string{"a", "b"}, got); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	boom := errors.New("boom")
	if err := s.view(func(tx *boltTx) error {
		return tx.ForEachAbsorbUser(func(AbsorbUser) (bool, error) { return true, boom })
	}); err != boom {
		t.Errorf("ForEachAbsorbUser = %v, want boom", err)
	}
	if err := s.update(func(tx *boltTx) error { return tx.PutAbsorbUser(AbsorbUser{Username: "x"}) }); err == nil {
		t.Error("PutAbsorbUser with an empty id succeeded")
	}
}
