package dump

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/absorb-scim/absorb-scim/storage"
)

// Clear deletes everything s keeps, through the storage interface, in
// transactions of batchSize records, so a store can be the destination of
// a copy again. It is for a store no bridge is using.
func Clear(ctx context.Context, s storage.Store) error {
	var groups, users, absorbUsers, intents, holds, ruleStates, cursors []string
	err := s.View(func(tx storage.Tx) error {
		if err := tx.ForEachGroup("", func(g storage.Group) (bool, error) { groups = append(groups, g.ID); return true, nil }); err != nil {
			return err
		}
		if err := tx.ForEachUser("", func(u storage.User) (bool, error) { users = append(users, u.ID); return true, nil }); err != nil {
			return err
		}
		if err := tx.ForEachAbsorbUser(func(a storage.AbsorbUser) (bool, error) { absorbUsers = append(absorbUsers, a.ID); return true, nil }); err != nil {
			return err
		}
		if err := tx.ForEachIntent(func(in storage.Intent) (bool, error) { intents = append(intents, in.Key); return true, nil }); err != nil {
			return err
		}
		if err := tx.ForEachHold(func(h storage.Hold) (bool, error) { holds = append(holds, h.UserID); return true, nil }); err != nil {
			return err
		}
		if err := tx.ForEachRuleState(func(id string, _ json.RawMessage) (bool, error) {
			ruleStates = append(ruleStates, id)
			return true, nil
		}); err != nil {
			return err
		}
		var c Counts
		return walkCursors(tx, &c, func(l line) error { cursors = append(cursors, l.Cursor.Name); return nil })
	})
	if err != nil {
		return fmt.Errorf("clear %s: %w", s.Describe(), err)
	}
	// Groups first, which drops their memberships; users next, which drops
	// their rule state and moves their Absorb copies out for the next step.
	steps := []struct {
		what string
		ids  []string
		del  func(storage.Tx, string) error
	}{
		{"groups", groups, func(tx storage.Tx, id string) error { return tx.DeleteGroup(id) }},
		{"users", users, func(tx storage.Tx, id string) error { return tx.DeleteUser(id) }},
		{"Absorb users", absorbUsers, func(tx storage.Tx, id string) error { return tx.DeleteAbsorbUser(id) }},
		{"create intents", intents, func(tx storage.Tx, key string) error { return tx.DeleteIntent(key) }},
		{"holds", holds, func(tx storage.Tx, id string) error { return tx.DeleteHold(id) }},
		{"rule state", ruleStates, func(tx storage.Tx, id string) error {
			if raw, err := tx.RuleState(id); err != nil || raw == nil {
				return err // gone with its user
			}
			return tx.PutRuleState(id, nil)
		}},
		{"cursors", cursors, func(tx storage.Tx, name string) error { return tx.PutCursor(name, "") }},
	}
	for _, st := range steps {
		for len(st.ids) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			chunk := st.ids[:min(batchSize, len(st.ids))]
			st.ids = st.ids[len(chunk):]
			err := s.Update(func(tx storage.Tx) error {
				for _, id := range chunk {
					if err := st.del(tx, id); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("clear %s of %s: %w", st.what, s.Describe(), err)
			}
		}
	}
	// Every record is older than a time in the future.
	future := time.Now().Add(24 * time.Hour)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var n int
		err := s.Update(func(tx storage.Tx) error {
			var err error
			n, err = tx.PruneAudit(future, batchSize)
			return err
		})
		if err != nil {
			return fmt.Errorf("clear audit of %s: %w", s.Describe(), err)
		}
		if n == 0 {
			return nil
		}
	}
}
