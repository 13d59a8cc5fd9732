package dump

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/absorb-scim/absorb-scim/storage"
)

// cursorLister is a transaction that can list its named values. It is not
// part of storage.Tx, which only reads and writes values by name.
type cursorLister interface {
	ForEachCursor(fn func(name, value string) (bool, error)) error
}

// knownCursors are the names the bridge keeps its sync cursors under
// (bridge/sync.go), in name order as ForEachCursor lists them; they are
// what Export copies from a store whose transactions cannot list their
// cursors.
var knownCursors = []string{"absorb/edited-since", "absorb/full-sync-done"}

// KnownCursors returns the cursor names Export copies from a store that
// cannot list its cursors; the bridge's tests check that its own are
// among them.
func KnownCursors() []string { return slices.Clone(knownCursors) }

// checkEvery is how many records pass between two looks at the context.
const checkEvery = 1000

// Export writes everything s keeps to w in the dump format, from one read
// transaction so the copy is consistent, and returns what it wrote. It
// stops with ctx's error when ctx ends.
func Export(ctx context.Context, s storage.Store, w io.Writer) (Counts, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var c Counts
	n := 0
	put := func(l line) error {
		if n++; n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := enc.Encode(l); err != nil {
			return fmt.Errorf("write dump: %w", err)
		}
		return nil
	}
	if err := put(line{Dump: &header{Format: Format, Version: Version, Created: time.Now().UTC()}}); err != nil {
		return c, err
	}
	err := s.View(func(tx storage.Tx) error {
		return walk(tx, &c, put)
	})
	if err != nil {
		return c, err
	}
	if err := put(line{End: &c}); err != nil {
		return c, err
	}
	if err := bw.Flush(); err != nil {
		return c, fmt.Errorf("write dump: %w", err)
	}
	return c, nil
}

// Count counts everything s keeps, record by record, as Export would
// write it.
func Count(ctx context.Context, s storage.Store) (Counts, error) {
	return Export(ctx, s, io.Discard)
}

// walk calls put with every record of tx, in the order of the format, and
// counts them in c.
func walk(tx storage.Tx, c *Counts, put func(line) error) error {
	if err := walkCursors(tx, c, put); err != nil {
		return err
	}
	err := tx.ForEachUser("", func(u storage.User) (bool, error) {
		c.Users++
		return true, put(line{User: &userLine{ID: u.ID, AbsorbID: u.AbsorbID, UserName: u.UserName, ExternalID: u.ExternalID,
			Emails: u.Emails, Active: u.Active, Resource: u.Resource, Created: u.Created.UTC(),
			LastModified: u.LastModified.UTC(), Version: u.Version}})
	})
	if err != nil {
		return fmt.Errorf("export users: %w", err)
	}
	err = tx.ForEachAbsorbUser(func(a storage.AbsorbUser) (bool, error) {
		c.AbsorbUsers++
		return true, put(line{AbsorbUser: &absorbUserLine{ID: a.ID, Username: a.Username, ExternalID: a.ExternalID,
			DateEdited: a.DateEdited, Raw: a.Raw}})
	})
	if err != nil {
		return fmt.Errorf("export Absorb users: %w", err)
	}
	var groups []string
	err = tx.ForEachGroup("", func(g storage.Group) (bool, error) {
		c.Groups++
		groups = append(groups, g.ID)
		return true, put(line{Group: &groupLine{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID,
			Resource: g.Resource, Created: g.Created.UTC(), LastModified: g.LastModified.UTC(), Version: g.Version}})
	})
	if err != nil {
		return fmt.Errorf("export groups: %w", err)
	}
	for _, id := range groups {
		err := tx.ForEachMember(id, func(m storage.Member) (bool, error) {
			c.Members++
			return true, put(line{Member: &memberLine{Group: id, User: m.UserID, Display: m.Display}})
		})
		if err != nil {
			return fmt.Errorf("export members of group %q: %w", id, err)
		}
	}
	err = tx.ForEachIntent(func(in storage.Intent) (bool, error) {
		c.Intents++
		return true, put(line{Intent: &intentLine{Key: in.Key, SCIMID: in.SCIMID, Resource: in.Resource, Started: in.Started.UTC()}})
	})
	if err != nil {
		return fmt.Errorf("export create intents: %w", err)
	}
	err = tx.ForEachHold(func(h storage.Hold) (bool, error) {
		c.Holds++
		return true, put(line{Hold: &holdLine{UserID: h.UserID, AbsorbID: h.AbsorbID, UserName: h.UserName, Kind: h.Kind,
			Time: h.Time.UTC(), Credential: h.Credential, RequestID: h.RequestID, Resource: h.Resource}})
	})
	if err != nil {
		return fmt.Errorf("export holds: %w", err)
	}
	err = tx.ForEachRuleState(func(userID string, raw json.RawMessage) (bool, error) {
		c.RuleStates++
		return true, put(line{RuleState: &ruleStateLine{User: userID, State: raw}})
	})
	if err != nil {
		return fmt.Errorf("export rule state: %w", err)
	}
	err = tx.ForEachAudit(0, func(r storage.AuditRecord) (bool, error) {
		c.Audit++
		a := &auditLine{Seq: r.Seq, Time: r.Time.UTC(), Credential: r.Credential, RequestID: r.RequestID,
			Operation: r.Operation, ResourceType: r.ResourceType, ResourceID: r.ResourceID, AbsorbID: r.AbsorbID,
			UserName: r.UserName, Outcome: r.Outcome}
		for _, ch := range r.Changes {
			a.Changes = append(a.Changes, changeLine(ch))
		}
		return true, put(line{Audit: a})
	})
	if err != nil {
		return fmt.Errorf("export audit: %w", err)
	}
	return nil
}

func walkCursors(tx storage.Tx, c *Counts, put func(line) error) error {
	emit := func(name, value string) error {
		if value == "" {
			return nil
		}
		c.Cursors++
		return put(line{Cursor: &cursorLine{Name: name, Value: value}})
	}
	if cl, ok := tx.(cursorLister); ok {
		err := cl.ForEachCursor(func(name, value string) (bool, error) { return true, emit(name, value) })
		if err != nil {
			return fmt.Errorf("export cursors: %w", err)
		}
		return nil
	}
	for _, name := range knownCursors {
		v, err := tx.Cursor(name)
		if err != nil {
			return fmt.Errorf("export cursor %q: %w", name, err)
		}
		if err := emit(name, v); err != nil {
			return err
		}
	}
	return nil
}
