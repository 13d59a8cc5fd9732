package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Hold is a deactivation of an Absorb account that the bridge accepted from
// the IdP but kept from Absorb (the brake on mass deactivation), until an
// operator releases or discards it. A user has at most one hold.
type Hold struct {
	UserID     string    // SCIM id of the user; the key
	AbsorbID   string    // the account the deactivation is kept from
	UserName   string    //
	Kind       string    // what the IdP asked for: the bridge's names ("deactivate", "delete")
	Time       time.Time // when it was held; read back in UTC
	Credential string    // the credential of the request that was held (its name)
	RequestID  string    //
	// Resource is the SCIM resource as it was before the held request, so
	// that a discard can put it back (a deleted user is re-created from it).
	Resource json.RawMessage
}

// PutHold inserts or replaces the hold of h.UserID.
func (tx *boltTx) PutHold(h Hold) error {
	if h.UserID == "" {
		return errors.New("put hold: empty user id")
	}
	e := encoder{b: make([]byte, 0, 96)}
	for _, s := range []string{h.AbsorbID, h.UserName, h.Kind} {
		e.str(s)
	}
	e.time(h.Time)
	e.str(h.Credential)
	e.str(h.RequestID)
	if err := tx.b(bHolds).Put([]byte(h.UserID), tx.s.codec.record(&e, h.Resource)); err != nil {
		return fmt.Errorf("put hold %q: %w", h.UserID, err)
	}
	return nil
}

// Hold returns the hold of the user, or ErrNotFound.
func (tx *boltTx) Hold(userID string) (Hold, error) {
	b := tx.holds()
	var v []byte
	if b != nil && userID != "" {
		v = b.Get([]byte(userID))
	}
	if v == nil {
		return Hold{}, fmt.Errorf("hold %q: %w", userID, ErrNotFound)
	}
	return tx.decodeHold(userID, v)
}

// DeleteHold removes the hold of the user; removing one that does not exist
// is not an error.
func (tx *boltTx) DeleteHold(userID string) error {
	if userID == "" {
		return nil
	}
	if err := tx.b(bHolds).Delete([]byte(userID)); err != nil {
		return fmt.Errorf("delete hold %q: %w", userID, err)
	}
	return nil
}

// ForEachHold calls fn for each hold in user id order. fn returns false to
// stop; its error stops the walk and is returned as it is.
func (tx *boltTx) ForEachHold(fn func(Hold) (bool, error)) error {
	b := tx.holds()
	if b == nil {
		return nil
	}
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		h, err := tx.decodeHold(string(k), v)
		if err != nil {
			return err
		}
		more, err := fn(h)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// holds is the holds bucket, nil in a read-only transaction over a file
// written before it existed.
func (tx *boltTx) holds() *bolt.Bucket {
	if tx.tx.Bucket(bucketNames[bHolds]) == nil {
		return nil
	}
	return tx.b(bHolds)
}

func (tx *boltTx) decodeHold(userID string, v []byte) (Hold, error) {
	d, payload, err := tx.s.codec.open(v, true)
	if err != nil {
		return Hold{}, fmt.Errorf("decode hold %q: %w", userID, err)
	}
	h := Hold{UserID: userID, Resource: payload}
	h.AbsorbID, h.UserName, h.Kind = d.str(), d.str(), d.str()
	h.Time = d.time()
	h.Credential, h.RequestID = d.str(), d.str()
	if d.err != nil {
		return Hold{}, fmt.Errorf("decode hold %q: %w", userID, d.err)
	}
	return h, nil
}
