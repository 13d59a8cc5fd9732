package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Cursor returns the named value (a sync cursor or flag); "" when unset.
func (tx *boltTx) Cursor(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	return string(tx.b(bCursors).Get([]byte(name))), nil
}

// PutCursor sets the named value; "" removes it.
func (tx *boltTx) PutCursor(name, value string) error {
	if name == "" {
		return errors.New("put cursor: empty name")
	}
	var err error
	if value == "" {
		err = tx.b(bCursors).Delete([]byte(name))
	} else {
		err = tx.b(bCursors).Put([]byte(name), []byte(value))
	}
	if err != nil {
		return fmt.Errorf("put cursor %q: %w", name, err)
	}
	return nil
}

// ForEachCursor calls fn with every named value in name order, until fn
// returns false or an error. It is not part of Tx: it serves the copy of
// a whole store (storage/dump), which finds it through an interface of its
// own.
func (tx *boltTx) ForEachCursor(fn func(name, value string) (bool, error)) error {
	c := tx.b(bCursors).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		more, err := fn(string(k), string(v))
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// RuleState returns a copy of the group-rule state of the user; nil when
// unset. The store does not interpret it.
func (tx *boltTx) RuleState(userID string) (json.RawMessage, error) {
	if userID == "" {
		return nil, nil
	}
	v := tx.b(bRuleState).Get([]byte(userID))
	if v == nil {
		return nil, nil
	}
	return bytes.Clone(v), nil
}

// PutRuleState sets the group-rule state of the user; nil or empty removes
// it. DeleteUser removes it too.
func (tx *boltTx) PutRuleState(userID string, raw json.RawMessage) error {
	if userID == "" {
		return errors.New("put rule state: empty user id")
	}
	var err error
	if len(raw) == 0 {
		err = tx.b(bRuleState).Delete([]byte(userID))
	} else {
		err = tx.b(bRuleState).Put([]byte(userID), bytes.Clone(raw))
	}
	if err != nil {
		return fmt.Errorf("put rule state of %q: %w", userID, err)
	}
	return nil
}
