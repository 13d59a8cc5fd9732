package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// User is a provisioned SCIM user and its Absorb account.
type User struct {
	ID           string          // SCIM id, the primary key
	AbsorbID     string          // unique when set
	UserName     string          // unique, compared by FoldUserName
	ExternalID   string          // exact; not unique
	Emails       []string        // every email value, for the email index (case-insensitive)
	Active       bool            //
	Resource     json.RawMessage // the SCIM resource as last written, without meta
	Created      time.Time       // read back in UTC
	LastModified time.Time       // read back in UTC
	Version      uint64          // set by the caller
}

// User returns the user with SCIM id id, or ErrNotFound.
func (tx *boltTx) User(id string) (User, error) {
	u, err := tx.user(id, true)
	if err != nil {
		return User{}, fmt.Errorf("user %q: %w", id, err)
	}
	return u, nil
}

func (tx *boltTx) user(id string, withResource bool) (User, error) {
	return getRecord(tx, bUsers, id, withResource, tx.decodeUser)
}

// UserByUserName returns the user whose userName equals userName
// as FoldUserName compares them, or ErrNotFound.
func (tx *boltTx) UserByUserName(userName string) (User, error) {
	u, err := tx.userByIndex(bUserName, FoldUserName(userName))
	if err != nil {
		return User{}, fmt.Errorf("user with userName %q: %w", userName, err)
	}
	return u, nil
}

// UserByExternalID returns the first user (in id order) whose externalId
// equals externalID exactly, or ErrNotFound. externalId is not unique
// (RFC 7643 §3.1 gives it no uniqueness): see UsersByExternalID.
func (tx *boltTx) UserByExternalID(externalID string) (User, error) {
	users, err := tx.UsersByExternalID(externalID)
	if err != nil {
		return User{}, err
	}
	if len(users) == 0 {
		return User{}, fmt.Errorf("user with externalId %q: %w", externalID, ErrNotFound)
	}
	return users[0], nil
}

// UsersByExternalID returns the users whose externalId equals externalID
// exactly, in ascending id order; none is an empty result, not an error.
func (tx *boltTx) UsersByExternalID(externalID string) ([]User, error) {
	return tx.usersByWalkValue(bUserSortExternalID, externalID, "externalId")
}

// UserByAbsorbID returns the user mapped to the Absorb id absorbID, or
// ErrNotFound.
func (tx *boltTx) UserByAbsorbID(absorbID string) (User, error) {
	u, err := tx.userByIndex(bUserAbsorbID, absorbID)
	if err != nil {
		return User{}, fmt.Errorf("user with absorb id %q: %w", absorbID, err)
	}
	return u, nil
}

func (tx *boltTx) userByIndex(idx bucketID, key string) (User, error) {
	return getByIndex(tx, idx, key, bUsers, tx.decodeUser)
}

// UsersByEmail returns the users holding email among their emails,
// case-insensitively (FoldCase), in ascending id order; none is an empty
// result, not an error.
func (tx *boltTx) UsersByEmail(email string) ([]User, error) {
	return tx.usersByWalkValue(bUserSortEmail, FoldCase(email), "email")
}

// usersByWalkValue reads the users whose key in walk index idx holds the
// value key (as the index keeps it): the keys sv(key) wid(id), in id order.
func (tx *boltTx) usersByWalkValue(idx bucketID, key, name string) ([]User, error) {
	if key == "" {
		return nil, nil
	}
	var users []User
	prefix := valueKey(key)
	c := tx.b(idx).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		id, ok := idOfWalkID(k[len(prefix):])
		if !ok {
			return nil, fmt.Errorf("%s index %q: key %q: %w", name, key, k, ErrCorrupt)
		}
		u, err := tx.user(id, true)
		if err != nil {
			return nil, fmt.Errorf("user %q of %s index %q: %w", id, name, key, err)
		}
		users = append(users, u)
	}
	return users, nil
}

// PutUser inserts or replaces the user with id u.ID and brings every index up
// to date, removing the entries of the previous version. It returns a
// *ConflictError (errors.Is ErrConflict) when another user holds the same
// userName (case-insensitively) or AbsorbID; nothing is written then.
// externalId is indexed but not unique. u.Version is stored as given.
func (tx *boltTx) PutUser(u User) error {
	p, err := tx.s.PrepareUser(u)
	if err != nil {
		return err
	}
	return tx.PutPreparedUser(p)
}

// PreparedUser is a user record encoded ahead of the write transaction that
// stores it (Store.PrepareUser), so the encoding and its compression run
// before bbolt's single writer is taken and the commit that concurrent
// writers share holds the writer for less time.
//
// Another engine may fill only User; Bolt then encodes at the write.
type PreparedUser struct {
	User User
	v    []byte // Bolt's encoding of User, nil when not prepared by Bolt
	walk []walkKey
}

// PrepareUser encodes u for PutPreparedUser. Changes made to u afterwards are
// not seen.
func (s *Bolt) PrepareUser(u User) (PreparedUser, error) {
	if u.ID == "" {
		return PreparedUser{}, errors.New("put user: empty id")
	}
	if err := checkUserKeys(u); err != nil {
		return PreparedUser{}, fmt.Errorf("put user %q: %w", u.ID, err)
	}
	names := resourceNames(u.Resource)
	walk := append(headerWalkKeys(u), nameWalkKeys(u.ID, names)...)
	return PreparedUser{User: u, v: s.encodeUser(u, names), walk: walk}, nil
}

// PutPreparedUser is PutUser for a record encoded by PrepareUser.
func (tx *boltTx) PutPreparedUser(p PreparedUser) error {
	if p.v == nil {
		var err error
		if p, err = tx.s.PrepareUser(p.User); err != nil {
			return err
		}
	}
	u := p.User
	if u.ID == "" {
		return errors.New("put user: empty id")
	}
	// One read of the value it replaces gives both the old user (for its
	// index entries) and the Absorb copy the value holds.
	var old User
	var oldNames *userNames
	var absorbRec []byte
	prev := tx.b(bUsers).Get([]byte(u.ID))
	exists := prev != nil
	if exists {
		var err error
		var names userNames
		var hasNames bool
		if old, names, hasNames, err = tx.decodeUserRecord(u.ID, prev, false); err != nil {
			return fmt.Errorf("put user %q: %w", u.ID, err)
		}
		if hasNames {
			oldNames = &names
		}
		if _, absorbRec, err = splitUserValue(prev); err != nil {
			return fmt.Errorf("put user %q: %w", u.ID, err)
		}
	}
	unique := []struct {
		idx        bucketID
		name       string
		value, key string
		oldKey     string
	}{
		{bUserName, "userName", u.UserName, FoldUserName(u.UserName), FoldUserName(old.UserName)},
		{bUserAbsorbID, "absorbId", u.AbsorbID, u.AbsorbID, old.AbsorbID},
	}
	for _, x := range unique {
		if x.key == "" {
			continue
		}
		if id := tx.b(x.idx).Get([]byte(x.key)); id != nil && string(id) != u.ID {
			return &ConflictError{Index: x.name, Value: x.value, ExistingID: string(id)}
		}
	}
	value := p.v
	switch {
	case absorbRec == nil:
	case old.AbsorbID == u.AbsorbID:
		value = joinUserValue(p.v, absorbRec)
	default:
		// Linked to another account now: the copy of the one it leaves
		// goes back to absorb/users.
		if err := tx.unlinkAbsorbRecord(old.AbsorbID, absorbRec); err != nil {
			return fmt.Errorf("put user %q: %w", u.ID, err)
		}
	}
	if err := tx.put(bUsers, []byte(u.ID), value); err != nil {
		return fmt.Errorf("put user %q: %w", u.ID, err)
	}
	for _, x := range unique {
		if err := reindex(tx, x.idx, x.oldKey, x.key, u.ID); err != nil {
			return fmt.Errorf("put user %q: %s index: %w", u.ID, x.name, err)
		}
	}
	var prevUser *User
	if exists {
		prevUser = &old
	}
	if err := tx.putWalkKeys(u.ID, prevUser, oldNames, p.walk, true); err != nil {
		return fmt.Errorf("put user %q: %w", u.ID, err)
	}
	if !exists {
		return tx.addCount(cUsers, 1)
	}
	return nil
}

// reindex moves a unique index entry from oldKey to newKey for id. An old
// entry is removed only while it still points at id.
func reindex(tx *boltTx, idx bucketID, oldKey, newKey, id string) error {
	b := tx.b(idx)
	if oldKey == newKey {
		if newKey == "" {
			return nil
		}
		if v := b.Get([]byte(newKey)); string(v) == id {
			return nil
		}
	} else if oldKey != "" {
		if v := b.Get([]byte(oldKey)); string(v) == id {
			if err := b.Delete([]byte(oldKey)); err != nil {
				return err
			}
		}
	}
	if newKey == "" {
		return nil
	}
	return tx.put(idx, []byte(newKey), []byte(id))
}

// repair moves id's entries of a non-unique (lp(key) id) index from the old
// keys to the new ones.
func repair(tx *boltTx, idx bucketID, oldKeys, newKeys []string, id string) error {
	b := tx.b(idx)
	for _, k := range oldKeys {
		if !slices.Contains(newKeys, k) {
			if err := b.Delete(pairKey(k, id)); err != nil {
				return err
			}
		}
	}
	for _, k := range newKeys {
		if !slices.Contains(oldKeys, k) {
			if err := tx.put(idx, pairKey(k, id), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// emailKeys returns the folded, distinct, non-empty emails.
func emailKeys(emails []string) []string {
	keys := make([]string, 0, len(emails))
	for _, e := range emails {
		if e = FoldCase(e); e != "" && !slices.Contains(keys, e) {
			keys = append(keys, e)
		}
	}
	return keys
}

// DeleteUser removes the user, its index entries, its rule state and all its
// group memberships (in both directions, fixing the groups' member counts).
// It returns ErrNotFound when there is no such user.
func (tx *boltTx) DeleteUser(id string) error {
	v := tx.b(bUsers).Get([]byte(id))
	if v == nil || id == "" {
		return fmt.Errorf("delete user %q: %w", id, ErrNotFound)
	}
	u, names, hasNames, err := tx.decodeUserRecord(id, v, false)
	if err != nil {
		return fmt.Errorf("delete user %q: %w", id, err)
	}
	var prevNames *userNames
	if hasNames {
		prevNames = &names
	}
	for _, x := range []struct {
		idx bucketID
		key string
	}{
		{bUserName, FoldUserName(u.UserName)},
		{bUserAbsorbID, u.AbsorbID},
	} {
		if err := reindex(tx, x.idx, x.key, "", id); err != nil {
			return fmt.Errorf("delete user %q: %w", id, err)
		}
	}
	if err := tx.putWalkKeys(id, &u, prevNames, nil, false); err != nil {
		return fmt.Errorf("delete user %q: %w", id, err)
	}
	for _, g := range tx.groupsOf(id) {
		if _, err := tx.removeMember(g, id); err != nil {
			return fmt.Errorf("delete user %q: %w", id, err)
		}
	}
	if err := tx.b(bRuleState).Delete([]byte(id)); err != nil {
		return fmt.Errorf("delete user %q: rule state: %w", id, err)
	}
	_, absorbRec, err := splitUserValue(tx.b(bUsers).Get([]byte(id)))
	if err != nil {
		return fmt.Errorf("delete user %q: %w", id, err)
	}
	if err := tx.unlinkAbsorbRecord(u.AbsorbID, absorbRec); err != nil {
		return fmt.Errorf("delete user %q: %w", id, err)
	}
	if err := tx.b(bUsers).Delete([]byte(id)); err != nil {
		return fmt.Errorf("delete user %q: %w", id, err)
	}
	return tx.addCount(cUsers, -1)
}

// ForEachUser calls fn for each user in ascending id order, starting after
// the id after ("" starts at the first). fn returns false to stop; its error
// stops the walk and is returned as it is.
func (tx *boltTx) ForEachUser(after string, fn func(User) (bool, error)) error {
	return forEachRecord(tx, bUsers, after, tx.decodeUser, fn)
}

// CountUsers returns the number of users.
func (tx *boltTx) CountUsers() int { return tx.count(cUsers) }

// encodeUser encodes u, whose resource gives names.
func (s *Bolt) encodeUser(u User, names userNames) []byte {
	e := encoder{b: make([]byte, 0, 64+len(u.AbsorbID)+len(u.UserName)+len(u.ExternalID)+32*len(u.Emails))}
	e.userFields(u)
	e.str(names.family)
	e.str(names.given)
	e.str(names.display)
	return s.codec.record(&e, u.Resource)
}

// userFields encodes the fields a user record's header held up to schema
// version 4; version 5 follows them with the names (encodeUser).
func (e *encoder) userFields(u User) {
	e.str(u.AbsorbID)
	e.str(u.UserName)
	e.str(u.ExternalID)
	e.uint(uint64(len(u.Emails)))
	for _, m := range u.Emails {
		e.str(m)
	}
	e.bool(u.Active)
	e.time(u.Created)
	e.time(u.LastModified)
	e.uint(u.Version)
}

func (tx *boltTx) decodeUser(id string, v []byte, withResource bool) (User, error) {
	u, _, _, err := tx.decodeUserRecord(id, v, withResource)
	return u, err
}

// decodeUserRecord decodes the user value v of id, and the names its record
// holds; hasNames is false for a record written before schema version 5,
// whose header ends with the version.
func (tx *boltTx) decodeUserRecord(id string, v []byte, withResource bool) (u User, names userNames, hasNames bool, err error) {
	rec, _, err := splitUserValue(v)
	if err != nil {
		return User{}, names, false, fmt.Errorf("decode user %q: %w", id, err)
	}
	d, payload, err := tx.s.codec.open(rec, withResource)
	if err != nil {
		return User{}, names, false, fmt.Errorf("decode user %q: %w", id, err)
	}
	u = User{ID: id, Resource: payload}
	u.AbsorbID = d.str()
	u.UserName = d.str()
	u.ExternalID = d.str()
	if n := d.count(); n > 0 {
		u.Emails = make([]string, n)
		for i := range u.Emails {
			u.Emails[i] = d.str()
		}
	}
	u.Active = d.bool()
	u.Created = d.time()
	u.LastModified = d.time()
	u.Version = d.uint()
	if hasNames = d.err == nil && d.off < len(d.s); hasNames {
		names = userNames{family: d.str(), given: d.str(), display: d.str()}
	}
	if d.err != nil {
		return User{}, userNames{}, false, fmt.Errorf("decode user %q: %w", id, d.err)
	}
	return u, names, hasNames, nil
}
