package dump

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/absorb-scim/absorb-scim/storage"
)

// batchSize is how many records Import writes per transaction: enough to
// amortise a commit, few enough that a bbolt file does not grow by the size
// of the whole copy (storage's "File growth").
const batchSize = 1000

// ErrDamaged is returned (wrapped) when a dump cannot be read to its end:
// it is cut short, holds a line that is not the format's, or its counts
// disagree with its lines.
var ErrDamaged = errors.New("the dump is damaged or incomplete")

// Import writes every record of the dump r into s and returns what it
// wrote. It does not check that s is empty (see Count and Clear): a record
// whose id s already holds is replaced, and audit records are appended
// after those s holds. A dump that is not the format, of a
// newer version, cut short or otherwise damaged is an error wrapping
// ErrDamaged; what was written before the error stays written, in
// transactions of batchSize records.
func Import(ctx context.Context, s storage.Store, r io.Reader) (Counts, error) {
	return read(ctx, s, r)
}

// Verify reads the whole dump r as Import would, writing nothing, and
// returns its counts: a restore checks its dump before it deletes anything.
func Verify(ctx context.Context, r io.Reader) (Counts, error) {
	return read(ctx, nil, r)
}

// read reads the dump r and writes its records into s; with a nil s it
// only checks them.
func read(ctx context.Context, s storage.Store, r io.Reader) (Counts, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	dec.DisallowUnknownFields()
	var (
		c       Counts
		pending []func(storage.Tx) error
		n       int
	)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if s == nil {
			pending = pending[:0]
			return nil
		}
		err := s.Update(func(tx storage.Tx) error {
			for _, op := range pending {
				if err := op(tx); err != nil {
					return err
				}
			}
			return nil
		})
		pending = pending[:0]
		return err
	}
	for {
		var l line
		err := dec.Decode(&l)
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return c, fmt.Errorf("%w: it is empty", ErrDamaged)
			}
			return c, fmt.Errorf("%w: it ends after line %d, before its last line (it was cut short)", ErrDamaged, n)
		}
		if err != nil && n == 0 {
			return c, checkHeader(nil)
		}
		if err != nil {
			return c, fmt.Errorf("%w: line %d: %v", ErrDamaged, n+1, err)
		}
		n++
		if n == 1 {
			if err := checkHeader(l.Dump); err != nil {
				return c, err
			}
			continue
		}
		if l.End != nil {
			if err := flush(); err != nil {
				return c, err
			}
			if *l.End != c {
				return c, fmt.Errorf("%w: its last line counts %+v but it holds %+v", ErrDamaged, *l.End, c)
			}
			if err := dec.Decode(&l); !errors.Is(err, io.EOF) {
				return c, fmt.Errorf("%w: more follows its last line (line %d)", ErrDamaged, n)
			}
			return c, nil
		}
		op, err := l.op(&c)
		if err != nil {
			return c, fmt.Errorf("%w: line %d: %v", ErrDamaged, n, err)
		}
		lineNo := n
		pending = append(pending, func(tx storage.Tx) error {
			if err := op(tx); err != nil {
				return fmt.Errorf("import line %d: %w", lineNo, err)
			}
			return nil
		})
		if len(pending) >= batchSize {
			if err := flush(); err != nil {
				return c, err
			}
		}
	}
}

func checkHeader(h *header) error {
	switch {
	case h == nil || h.Format != Format:
		return fmt.Errorf("%w: it does not begin as an absorb-scim dump does (a bbolt backup is restored with absorb-scim restore to a bbolt data directory)", ErrDamaged)
	case h.Version > Version || h.Version < 1:
		return fmt.Errorf("%w: format version %d, and this build reads version %d: use a build at least as new as the one that wrote it", ErrDamaged, h.Version, Version)
	}
	return nil
}

// op returns the write of the one record l holds and counts it in c.
func (l line) op(c *Counts) (func(storage.Tx) error, error) {
	switch {
	case l.Cursor != nil:
		v := *l.Cursor
		c.Cursors++
		return func(tx storage.Tx) error { return tx.PutCursor(v.Name, v.Value) }, nil
	case l.User != nil:
		v := *l.User
		c.Users++
		return func(tx storage.Tx) error {
			return tx.PutUser(storage.User{ID: v.ID, AbsorbID: v.AbsorbID, UserName: v.UserName, ExternalID: v.ExternalID,
				Emails: v.Emails, Active: v.Active, Resource: v.Resource, Created: v.Created, LastModified: v.LastModified,
				Version: v.Version})
		}, nil
	case l.AbsorbUser != nil:
		v := *l.AbsorbUser
		c.AbsorbUsers++
		return func(tx storage.Tx) error {
			return tx.PutAbsorbUser(storage.AbsorbUser{ID: v.ID, Username: v.Username, ExternalID: v.ExternalID,
				DateEdited: v.DateEdited, Raw: v.Raw})
		}, nil
	case l.Group != nil:
		v := *l.Group
		c.Groups++
		return func(tx storage.Tx) error {
			return tx.PutGroup(storage.Group{ID: v.ID, DisplayName: v.DisplayName, ExternalID: v.ExternalID,
				Resource: v.Resource, Created: v.Created, LastModified: v.LastModified, Version: v.Version})
		}, nil
	case l.Member != nil:
		v := *l.Member
		c.Members++
		return func(tx storage.Tx) error {
			_, err := tx.AddMember(v.Group, storage.Member{UserID: v.User, Display: v.Display})
			return err
		}, nil
	case l.Intent != nil:
		v := *l.Intent
		c.Intents++
		return func(tx storage.Tx) error {
			return tx.PutIntent(storage.Intent{Key: v.Key, SCIMID: v.SCIMID, Resource: v.Resource, Started: v.Started})
		}, nil
	case l.Hold != nil:
		v := *l.Hold
		c.Holds++
		return func(tx storage.Tx) error {
			return tx.PutHold(storage.Hold{UserID: v.UserID, AbsorbID: v.AbsorbID, UserName: v.UserName, Kind: v.Kind,
				Time: v.Time, Credential: v.Credential, RequestID: v.RequestID, Resource: v.Resource})
		}, nil
	case l.RuleState != nil:
		v := *l.RuleState
		if len(v.State) == 0 || string(v.State) == "null" {
			return nil, fmt.Errorf("rule state of %q is empty", v.User)
		}
		c.RuleStates++
		return func(tx storage.Tx) error { return tx.PutRuleState(v.User, v.State) }, nil
	case l.Audit != nil:
		v := *l.Audit
		if v.Time.IsZero() {
			// AppendAudit would stamp it with the time of the copy.
			return nil, fmt.Errorf("audit record %d has no time", v.Seq)
		}
		c.Audit++
		rec := storage.AuditRecord{Time: v.Time, Credential: v.Credential, RequestID: v.RequestID, Operation: v.Operation,
			ResourceType: v.ResourceType, ResourceID: v.ResourceID, AbsorbID: v.AbsorbID, UserName: v.UserName, Outcome: v.Outcome}
		for _, ch := range v.Changes {
			rec.Changes = append(rec.Changes, storage.FieldChange(ch))
		}
		return func(tx storage.Tx) error { _, err := tx.AppendAudit(rec); return err }, nil
	case l.Dump != nil:
		return nil, errors.New("a second first line")
	}
	return nil, errors.New("an empty line object")
}
