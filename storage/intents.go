package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Intent records a user create in flight: written before Absorb is called
// and deleted once the mapping is stored, so a create interrupted half way
// can be found and finished or undone.
type Intent struct {
	Key      string          // the userName; stored and returned as FoldUserName(Key)
	SCIMID   string          // the SCIM id chosen for the user
	Resource json.RawMessage // the SCIM resource being created
	Started  time.Time       // read back in UTC
}

// PutIntent inserts or replaces the intent with key FoldUserName(in.Key).
func (tx *boltTx) PutIntent(in Intent) error {
	key := FoldUserName(in.Key)
	if key == "" {
		return errors.New("put intent: empty key")
	}
	b := tx.b(bIntents)
	exists := b.Get([]byte(key)) != nil
	e := encoder{b: make([]byte, 0, 24+len(in.SCIMID))}
	e.str(in.SCIMID)
	e.time(in.Started)
	if err := b.Put([]byte(key), tx.s.codec.record(&e, in.Resource)); err != nil {
		return fmt.Errorf("put intent %q: %w", key, err)
	}
	if !exists {
		return tx.addCount(cIntents, 1)
	}
	return nil
}

// Intent returns the intent with key FoldUserName(key), or ErrNotFound.
func (tx *boltTx) Intent(key string) (Intent, error) {
	key = FoldUserName(key)
	var v []byte
	if key != "" {
		v = tx.b(bIntents).Get([]byte(key))
	}
	if v == nil {
		return Intent{}, fmt.Errorf("intent %q: %w", key, ErrNotFound)
	}
	return tx.decodeIntent(key, v)
}

// DeleteIntent removes the intent with key FoldUserName(key). Deleting an intent
// that does not exist is not an error.
func (tx *boltTx) DeleteIntent(key string) error {
	key = FoldUserName(key)
	b := tx.b(bIntents)
	if key == "" || b.Get([]byte(key)) == nil {
		return nil
	}
	if err := b.Delete([]byte(key)); err != nil {
		return fmt.Errorf("delete intent %q: %w", key, err)
	}
	return tx.addCount(cIntents, -1)
}

// ForEachIntent calls fn for each intent in ascending key order. fn returns
// false to stop; its error stops the walk and is returned as it is.
func (tx *boltTx) ForEachIntent(fn func(Intent) (bool, error)) error {
	c := tx.b(bIntents).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		in, err := tx.decodeIntent(string(k), v)
		if err != nil {
			return err
		}
		more, err := fn(in)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// CountIntents returns the number of intents.
func (tx *boltTx) CountIntents() int { return tx.count(cIntents) }

func (tx *boltTx) decodeIntent(key string, v []byte) (Intent, error) {
	d, payload, err := tx.s.codec.open(v, true)
	if err != nil {
		return Intent{}, fmt.Errorf("decode intent %q: %w", key, err)
	}
	in := Intent{Key: key, Resource: payload}
	in.SCIMID = d.str()
	in.Started = d.time()
	if d.err != nil {
		return Intent{}, fmt.Errorf("decode intent %q: %w", key, d.err)
	}
	return in, nil
}
