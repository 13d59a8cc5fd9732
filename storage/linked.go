package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// The Absorb copy of an account a SCIM user is linked to is kept in that
// user's value in the users bucket, after the user record, and absorb/users
// holds a link to the user in its place. Every create, replace and PATCH
// writes the user and its Absorb copy together; kept apart they changed a
// leaf (and the branch page above it) in each of two trees, kept together
// they change one, and each page a commit writes lengthens both of its
// fsyncs.
const (
	// valueWithCopy begins a users value of the form
	// valueWithCopy uvarint(len(user record)) user-record absorb-record.
	valueWithCopy = 2
	// valueLink begins an absorb/users value of the form valueLink SCIM-id.
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

func linkValue(userID string) []byte { return append([]byte{valueLink}, userID...) }

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

// storeAbsorbRecord stores rec, the record of Absorb user id: in the value of
// the SCIM user linked to it, if any, with a link in absorb/users; else in
// absorb/users itself.
func (tx *boltTx) storeAbsorbRecord(id string, rec []byte) error {
	if userID := tx.b(bUserAbsorbID).Get([]byte(id)); userID != nil {
		userID = bytes.Clone(userID)
		if uv := tx.b(bUsers).Get(userID); uv != nil {
			userRec, _, err := splitUserValue(uv)
			if err != nil {
				return fmt.Errorf("user %q: %w", userID, err)
			}
			if err := tx.put(bUsers, userID, joinUserValue(userRec, rec)); err != nil {
				return err
			}
			link := linkValue(string(userID))
			if bytes.Equal(tx.b(bAbsorbUsers).Get([]byte(id)), link) {
				return nil // unchanged: its page stays as it is
			}
			return tx.b(bAbsorbUsers).Put([]byte(id), link)
		}
	}
	return tx.b(bAbsorbUsers).Put([]byte(id), rec)
}

// unlinkAbsorbRecord moves the Absorb copy a users value holds (if any) back
// into absorb/users under absorbID, before the user is deleted or linked to
// another account.
func (tx *boltTx) unlinkAbsorbRecord(absorbID string, absorbRec []byte) error {
	if absorbRec == nil || absorbID == "" {
		return nil
	}
	if err := tx.b(bAbsorbUsers).Put([]byte(absorbID), bytes.Clone(absorbRec)); err != nil {
		return fmt.Errorf("absorb user %q: %w", absorbID, err)
	}
	return nil
}
