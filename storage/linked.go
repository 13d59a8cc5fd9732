package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// The Absorb copy of an account a SCIM user is linked to is kept in that
// user's value in the users bucket, after the user record, and found through
// users/absorbId, which already maps the account to the user. Every create,
// replace and PATCH writes the user and its Absorb copy together; kept apart
// they changed a leaf (and the branch page above it) in each of two trees,
// kept together they change one, and each page a commit writes lengthens
// both of its fsyncs. absorb/users keeps only the copies no user holds.
const (
	// valueWithCopy begins a users value of the form
	// valueWithCopy uvarint(len(user record)) user-record absorb-record.
	valueWithCopy = 2
	// valueLink begins an absorb/users value of the form valueLink SCIM-id:
	// a link to the user that holds the copy, which files of schema
	// version 2 to 4 keep for every copy a user holds. It is read as
	// before and dropped by the next write of the account.
	valueLink = 3
)

// splitUserValue returns the user record of a users value and the Absorb
// copy it holds (nil when it holds none).
func splitUserValue(v []byte) (rec, absorbRec []byte, err error) {
	if len(v) == 0 || v[0] != valueWithCopy {
		return v, nil, nil
	}
	n, w := binary.Uvarint(v[1:])
	if w <= 0 || n > uint64(len(v)-1-w) {
		return nil, nil, errTruncated
	}
	start := 1 + w
	return v[start : start+int(n)], v[start+int(n):], nil
}

// joinUserValue is the users value holding rec and, when absorbRec is not
// nil, the Absorb copy absorbRec.
func joinUserValue(rec, absorbRec []byte) []byte {
	if absorbRec == nil {
		return bytes.Clone(rec)
	}
	v := make([]byte, 0, 1+binary.MaxVarintLen64+len(rec)+len(absorbRec))
	v = append(v, valueWithCopy)
	v = binary.AppendUvarint(v, uint64(len(rec)))
	v = append(v, rec...)
	return append(v, absorbRec...)
}

// linkedUser returns the SCIM id an absorb/users value links to.
func linkedUser(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != valueLink {
		return "", false
	}
	return string(v[1:]), true
}

// absorbRecord returns the Absorb user record of absorb/users value v of
// Absorb id id, following a link to the user that holds it.
func (tx *boltTx) absorbRecord(id string, v []byte) ([]byte, error) {
	userID, ok := linkedUser(v)
	if !ok {
		return v, nil
	}
	uv := tx.b(bUsers).Get([]byte(userID))
	if uv == nil {
		return nil, fmt.Errorf("absorb user %q: %w: linked to user %q, who does not exist", id, ErrCorrupt, userID)
	}
	_, rec, err := splitUserValue(uv)
	if err != nil {
		return nil, fmt.Errorf("absorb user %q: user %q: %w", id, userID, err)
	}
	if rec == nil {
		return nil, fmt.Errorf("absorb user %q: %w: linked to user %q, who holds no copy", id, ErrCorrupt, userID)
	}
	return rec, nil
}

// heldCopy returns the SCIM id of the user users/absorbId maps the Absorb
// id id to, that user's value and the Absorb copy the value holds (nil when
// it holds none, or when no user is mapped to id).
func (tx *boltTx) heldCopy(id []byte) (userID, userValue, absorbRec []byte, err error) {
	userID = tx.b(bUserAbsorbID).Get(id)
	if userID == nil {
		return nil, nil, nil, nil
	}
	userValue, absorbRec, err = tx.copyOfUser(userID)
	return userID, userValue, absorbRec, err
}

// copyOfUser returns the value of the user userID and the Absorb copy it
// holds (nil when it holds none, or when there is no such user: a stale
// users/absorbId entry, which Check reports).
func (tx *boltTx) copyOfUser(userID []byte) (userValue, absorbRec []byte, err error) {
	userValue = tx.b(bUsers).Get(userID)
	if userValue == nil {
		return nil, nil, nil
	}
	if _, absorbRec, err = splitUserValue(userValue); err != nil {
		return nil, nil, fmt.Errorf("user %q: %w", userID, err)
	}
	return userValue, absorbRec, nil
}

// absorbCopy returns the record of the Absorb copy of id wherever it is
// kept: in absorb/users (through a link of an older file too), else in the
// value of the user users/absorbId maps id to; nil when there is none.
func (tx *boltTx) absorbCopy(id string) ([]byte, error) {
	if id == "" {
		return nil, nil
	}
	key := []byte(id)
	if v := tx.b(bAbsorbUsers).Get(key); v != nil {
		return tx.absorbRecord(id, v)
	}
	_, _, rec, err := tx.heldCopy(key)
	if err != nil {
		return nil, fmt.Errorf("absorb user %q: %w", id, err)
	}
	return rec, nil
}

// storeAbsorbRecord stores rec, the record of Absorb user id: in the value of
// the SCIM user linked to it, if any, dropping what absorb/users held for it
// (an older copy, or a link); else in absorb/users.
func (tx *boltTx) storeAbsorbRecord(id string, rec []byte) error {
	userID, uv, _, err := tx.heldCopy([]byte(id))
	if err != nil {
		return err
	}
	if uv == nil {
		return tx.b(bAbsorbUsers).Put([]byte(id), rec)
	}
	userRec, _, _ := splitUserValue(uv) // heldCopy has split it
	if err := tx.put(bUsers, bytes.Clone(userID), joinUserValue(userRec, rec)); err != nil {
		return err
	}
	// Deleting a key absorb/users does not hold writes no page.
	return tx.b(bAbsorbUsers).Delete([]byte(id))
}

// unlinkAbsorbRecord moves the Absorb copy a users value holds (if any) back
// into absorb/users under absorbID, before the user is deleted or linked to
// another account. It replaces the link an older file may hold there.
func (tx *boltTx) unlinkAbsorbRecord(absorbID string, absorbRec []byte) error {
	if absorbRec == nil || absorbID == "" {
		return nil
	}
	if err := tx.b(bAbsorbUsers).Put([]byte(absorbID), bytes.Clone(absorbRec)); err != nil {
		return fmt.Errorf("absorb user %q: %w", absorbID, err)
	}
	return nil
}

// forEachAbsorbCopy calls fn with the id and record of every Absorb copy, in
// ascending id order, each once: it merges the records of absorb/users with
// the users/absorbId entries whose user holds the copy. An id both hold (a
// link of an older file, which leads to the same copy) is visited through
// absorb/users. fn returns false to stop.
func (tx *boltTx) forEachAbsorbCopy(fn func(id string, rec []byte) (bool, error)) error {
	kept := tx.b(bAbsorbUsers).Cursor()
	mapped := tx.b(bUserAbsorbID).Cursor()
	// nextHeld moves the users/absorbId cursor on to the next entry whose
	// user holds a copy, from the entry k (of the user userID).
	nextHeld := func(k, userID []byte) ([]byte, []byte, error) {
		for ; k != nil; k, userID = mapped.Next() {
			_, rec, err := tx.copyOfUser(userID)
			if err != nil {
				return nil, nil, fmt.Errorf("absorb user %q: %w", k, err)
			}
			if rec != nil {
				return k, rec, nil
			}
		}
		return nil, nil, nil
	}
	ka, va := kept.First()
	kh, rh, err := nextHeld(mapped.First())
	if err != nil {
		return err
	}
	for ka != nil || kh != nil {
		var id string
		var rec []byte
		cmp := 0
		switch {
		case ka == nil:
			cmp = 1
		case kh == nil:
			cmp = -1
		default:
			cmp = bytes.Compare(ka, kh)
		}
		if cmp <= 0 {
			id = string(ka)
			if rec, err = tx.absorbRecord(id, va); err != nil {
				return err
			}
			ka, va = kept.Next()
		} else {
			id, rec = string(kh), rh
		}
		if cmp >= 0 {
			if kh, rh, err = nextHeld(mapped.Next()); err != nil {
				return err
			}
		}
		more, err := fn(id, rec)
		if err != nil || !more {
			return err
		}
	}
	return nil
}
