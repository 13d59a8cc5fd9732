package storage

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestCursors(t *testing.T) {
	s := openTest(t)
	get := func(name string) string {
		t.Helper()
		var v string
		view(t, s, func(tx *boltTx) error {
			var err error
			v, err = tx.Cursor(name)
			return err
		})
		return v
	}
	if got := get("users.dateEdited"); got != "" {
		t.Errorf("unset cursor = %q, want empty", got)
	}
	update(t, s, func(tx *boltTx) error { return tx.PutCursor("users.dateEdited", "2025-03-01T08:09:10") })
	update(t, s, func(tx *boltTx) error { return tx.PutCursor("other", "x") })
	if got := get("users.dateEdited"); got != "2025-03-01T08:09:10" {
		t.Errorf("cursor = %q", got)
	}
	update(t, s, func(tx *boltTx) error { return tx.PutCursor("users.dateEdited", "2025-03-02T00:00:00") })
	if got := get("users.dateEdited"); got != "2025-03-02T00:00:00" {
		t.Errorf("overwritten cursor = %q", got)
	}
	update(t, s, func(tx *boltTx) error { return tx.PutCursor("users.dateEdited", "") })
	if got := get("users.dateEdited"); got != "" {
		t.Errorf("cleared cursor = %q", got)
	}
	if got := get("other"); got != "x" {
		t.Errorf("other cursor = %q, want x", got)
	}
	if err := s.update(func(tx *boltTx) error { return tx.PutCursor("", "x") }); err == nil {
		t.Error("PutCursor with an empty name succeeded")
	}
	update(t, s, func(tx *boltTx) error { return tx.PutCursor("a", "1") })
	var names []string
	view(t, s, func(tx *boltTx) error {
		return tx.ForEachCursor(func(name, value string) (bool, error) {
			names = append(names, name+"="+value)
			return true, nil
		})
	})
	if want := []string{"a=1", "other=x"}; !slices.Equal(names, want) {
		t.Errorf("ForEachCursor = %q, want %q (the cleared cursor gone)", names, want)
	}
}

func TestRuleState(t *testing.T) {
	s := openTest(t)
	get := func() json.RawMessage {
		t.Helper()
		var raw json.RawMessage
		view(t, s, func(tx *boltTx) error {
			var err error
			raw, err = tx.RuleState("u1")
			return err
		})
		return raw
	}
	if got := get(); got != nil {
		t.Errorf("unset rule state = %s, want nil", got)
	}
	in := json.RawMessage(`{"groups":["g1"]}`)
	update(t, s, func(tx *boltTx) error { return tx.PutRuleState("u1", in) })
	in[2] = 'X' // the store keeps its own copy
	got := get()
	if string(got) != `{"groups":["g1"]}` {
		t.Errorf("rule state = %s", got)
	}
	got[2] = 'Y' // and hands out copies
	if again := get(); string(again) != `{"groups":["g1"]}` {
		t.Errorf("rule state after changing a returned copy = %s", again)
	}
	update(t, s, func(tx *boltTx) error { return tx.PutRuleState("u1", nil) })
	if got := get(); got != nil {
		t.Errorf("deleted rule state = %s, want nil", got)
	}
}

func TestForEachRuleState(t *testing.T) {
	s := openTest(t)
	update(t, s, func(tx *boltTx) error {
		for _, id := range []string{"u2", "u1", "u3"} {
			if err := tx.PutRuleState(id, json.RawMessage(`{"id":"`+id+`"}`)); err != nil {
				return err
			}
		}
		return nil
	})
	var got []string
	view(t, s, func(tx *boltTx) error {
		return tx.ForEachRuleState(func(userID string, raw json.RawMessage) (bool, error) {
			if want := `{"id":"` + userID + `"}`; string(raw) != want {
				t.Errorf("state of %s = %s, want %s", userID, raw, want)
			}
			got = append(got, userID)
			return len(got) < 2, nil
		})
	})
	if want := []string{"u1", "u2"}; !slices.Equal(got, want) {
		t.Errorf("ForEachRuleState visited %v, want %v", got, want)
	}
}
