package storage

import (
	"bytes"
	"encoding/json"
)

// ForEachRuleState calls fn with every user that has group-rule state, in
// ascending user id order, until fn returns false or an error.
func (tx *boltTx) ForEachRuleState(fn func(userID string, raw json.RawMessage) (bool, error)) error {
	c := tx.b(bRuleState).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		more, err := fn(string(k), bytes.Clone(v))
		if err != nil || !more {
			return err
		}
	}
	return nil
}
