package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// AbsorbUser is the last known copy of an Absorb user the bridge's admin can
// see.
type AbsorbUser struct {
	ID         string // Absorb id, the primary key
	Username   string // indexed by FoldUserName; last write wins
	ExternalID string // indexed exactly; last write wins
	DateEdited string // as Absorb sent it
	Raw        json.RawMessage
}

// AbsorbUser returns the mirrored Absorb user with Absorb id id, or
// ErrNotFound.
func (tx *boltTx) AbsorbUser(id string) (AbsorbUser, error) {
	u, err := tx.absorbUser(id, true)
	if err != nil {
		return AbsorbUser{}, fmt.Errorf("absorb user %q: %w", id, err)
	}
	return u, nil
}

// absorbUser reads the copy of id wherever it is kept (absorbCopy).
func (tx *boltTx) absorbUser(id string, withRaw bool) (AbsorbUser, error) {
	rec, err := tx.absorbCopy(id)
	if err != nil {
		return AbsorbUser{}, err
	}
	if rec == nil {
		return AbsorbUser{}, ErrNotFound
	}
	return tx.decodeAbsorbRecord(id, rec, withRaw)
}

// AbsorbUserByUsername returns the mirrored Absorb user whose username equals
// username as FoldUserName compares them, or ErrNotFound.
func (tx *boltTx) AbsorbUserByUsername(username string) (AbsorbUser, error) {
	u, err := tx.absorbUserByIndex(bAbsorbUsername, FoldUserName(username))
	if err != nil {
		return AbsorbUser{}, fmt.Errorf("absorb user with username %q: %w", username, err)
	}
	return u, nil
}

// AbsorbUserByExternalID returns the mirrored Absorb user whose externalId
// equals ext exactly, or ErrNotFound.
func (tx *boltTx) AbsorbUserByExternalID(ext string) (AbsorbUser, error) {
	u, err := tx.absorbUserByIndex(bAbsorbExternalID, ext)
	if err != nil {
		return AbsorbUser{}, fmt.Errorf("absorb user with externalId %q: %w", ext, err)
	}
	return u, nil
}

func (tx *boltTx) absorbUserByIndex(idx bucketID, key string) (AbsorbUser, error) {
	if key == "" {
		return AbsorbUser{}, ErrNotFound
	}
	id := tx.b(idx).Get([]byte(key))
	if id == nil {
		return AbsorbUser{}, ErrNotFound
	}
	return tx.absorbUser(string(id), true)
}

// PutAbsorbUser inserts or replaces the mirrored Absorb user with id u.ID. Its
// username and externalId indexes are not unique: the last write wins, and
// the entries of the previous version are removed while they still point at
// this user.
func (tx *boltTx) PutAbsorbUser(u AbsorbUser) error {
	p, err := tx.s.PrepareAbsorbUser(u)
	if err != nil {
		return err
	}
	return tx.PutPreparedAbsorbUser(p)
}

// PreparedAbsorbUser is an Absorb user record encoded ahead of the write
// transaction that stores it; see PreparedUser.
type PreparedAbsorbUser struct {
	User AbsorbUser
	v    []byte // Bolt's encoding of User, nil when not prepared by Bolt
}

// PrepareAbsorbUser encodes u for PutPreparedAbsorbUser. Changes made to u
// afterwards are not seen.
func (s *Bolt) PrepareAbsorbUser(u AbsorbUser) (PreparedAbsorbUser, error) {
	if u.ID == "" {
		return PreparedAbsorbUser{}, errors.New("put absorb user: empty id")
	}
	if err := CheckIndexable("username", u.Username); err != nil {
		return PreparedAbsorbUser{}, fmt.Errorf("put absorb user %q: %w", u.ID, err)
	}
	if err := CheckIndexable("externalId", u.ExternalID); err != nil {
		return PreparedAbsorbUser{}, fmt.Errorf("put absorb user %q: %w", u.ID, err)
	}
	e := encoder{b: make([]byte, 0, 16+len(u.Username)+len(u.ExternalID)+len(u.DateEdited))}
	e.str(u.Username)
	e.str(u.ExternalID)
	e.str(u.DateEdited)
	v := s.codec.record(&e, u.Raw)
	return PreparedAbsorbUser{User: u, v: v}, nil
}

// PutPreparedAbsorbUser is PutAbsorbUser for a record encoded by
// PrepareAbsorbUser.
func (tx *boltTx) PutPreparedAbsorbUser(p PreparedAbsorbUser) error {
	if p.v == nil {
		var err error
		if p, err = tx.s.PrepareAbsorbUser(p.User); err != nil {
			return err
		}
	}
	u := p.User
	if u.ID == "" {
		return errors.New("put absorb user: empty id")
	}
	old, err := tx.absorbUser(u.ID, false)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("put absorb user %q: %w", u.ID, err)
	}
	if err := tx.storeAbsorbRecord(u.ID, p.v); err != nil {
		return fmt.Errorf("put absorb user %q: %w", u.ID, err)
	}
	if err := reindexLastWins(tx, bAbsorbUsername, FoldUserName(old.Username), FoldUserName(u.Username), u.ID); err != nil {
		return fmt.Errorf("put absorb user %q: username index: %w", u.ID, err)
	}
	if err := reindexLastWins(tx, bAbsorbExternalID, old.ExternalID, u.ExternalID, u.ID); err != nil {
		return fmt.Errorf("put absorb user %q: externalId index: %w", u.ID, err)
	}
	if !exists {
		return tx.addCount(cAbsorbUsers, 1)
	}
	return nil
}

// reindexLastWins points newKey at id whoever held it, and drops oldKey when
// it still points at id.
func reindexLastWins(tx *boltTx, idx bucketID, oldKey, newKey, id string) error {
	b := tx.b(idx)
	if oldKey != "" && oldKey != newKey {
		if v := b.Get([]byte(oldKey)); string(v) == id {
			if err := b.Delete([]byte(oldKey)); err != nil {
				return err
			}
		}
	}
	if newKey == "" {
		return nil
	}
	if v := b.Get([]byte(newKey)); string(v) == id {
		return nil
	}
	return tx.put(idx, []byte(newKey), []byte(id))
}

// DeleteAbsorbUser removes the mirrored Absorb user and its index entries
// that point at it. It returns ErrNotFound when there is no such user.
func (tx *boltTx) DeleteAbsorbUser(id string) error {
	u, err := tx.absorbUser(id, false)
	if err != nil {
		return fmt.Errorf("delete absorb user %q: %w", id, err)
	}
	if err := reindexLastWins(tx, bAbsorbUsername, FoldUserName(u.Username), "", id); err != nil {
		return fmt.Errorf("delete absorb user %q: username index: %w", id, err)
	}
	if err := reindexLastWins(tx, bAbsorbExternalID, u.ExternalID, "", id); err != nil {
		return fmt.Errorf("delete absorb user %q: externalId index: %w", id, err)
	}
	// The copy is in absorb/users or in the value of the user linked to the
	// account; an older file may hold both a link and the copy it leads to.
	if err := tx.b(bAbsorbUsers).Delete([]byte(id)); err != nil {
		return fmt.Errorf("delete absorb user %q: %w", id, err)
	}
	userID, uv, absorbRec, err := tx.heldCopy([]byte(id))
	if err != nil {
		return fmt.Errorf("delete absorb user %q: %w", id, err)
	}
	if absorbRec != nil {
		userRec, _, _ := splitUserValue(uv) // heldCopy has split it
		if err := tx.put(bUsers, bytes.Clone(userID), bytes.Clone(userRec)); err != nil {
			return fmt.Errorf("delete absorb user %q: %w", id, err)
		}
	}
	return tx.addCount(cAbsorbUsers, -1)
}

// ForEachAbsorbUser calls fn for each mirrored Absorb user in ascending id
// order. fn returns false to stop; its error stops the walk and is returned
// as it is.
func (tx *boltTx) ForEachAbsorbUser(fn func(AbsorbUser) (bool, error)) error {
	return tx.forEachAbsorbUser(true, fn)
}

func (tx *boltTx) forEachAbsorbUser(withRaw bool, fn func(AbsorbUser) (bool, error)) error {
	return tx.forEachAbsorbCopy(func(id string, rec []byte) (bool, error) {
		u, err := tx.decodeAbsorbRecord(id, rec, withRaw)
		if err != nil {
			return false, err
		}
		return fn(u)
	})
}

// CountAbsorbUsers returns the number of mirrored Absorb users.
func (tx *boltTx) CountAbsorbUsers() int { return tx.count(cAbsorbUsers) }

// decodeAbsorbUser decodes the absorb/users value v of id, following a
// link of an older file.
func (tx *boltTx) decodeAbsorbUser(id string, v []byte, withRaw bool) (AbsorbUser, error) {
	rec, err := tx.absorbRecord(id, v)
	if err != nil {
		return AbsorbUser{}, err
	}
	return tx.decodeAbsorbRecord(id, rec, withRaw)
}

// decodeAbsorbRecord decodes the Absorb user record rec of id.
func (tx *boltTx) decodeAbsorbRecord(id string, rec []byte, withRaw bool) (AbsorbUser, error) {
	d, payload, err := tx.s.codec.open(rec, withRaw)
	if err != nil {
		return AbsorbUser{}, fmt.Errorf("decode absorb user %q: %w", id, err)
	}
	u := AbsorbUser{ID: id, Raw: payload}
	u.Username = d.str()
	u.ExternalID = d.str()
	u.DateEdited = d.str()
	if d.err != nil {
		return AbsorbUser{}, fmt.Errorf("decode absorb user %q: %w", id, d.err)
	}
	return u, nil
}
