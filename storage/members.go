package storage

import (
	"bytes"
	"fmt"
)

// Member is one member of a group: a user and the display text the client
// gave for it.
type Member struct {
	UserID  string
	Display string
}

// AddMember makes m.UserID a member of the group. It is idempotent: adding a
// member again returns added == false (and updates its display text when that
// changed). Only the membership keys and the group's member count change; the
// group's Version and LastModified are the caller's to bump. It returns
// ErrNotFound when the group does not exist and ErrUnknownMember when the user
// does not.
func (tx *boltTx) AddMember(groupID string, m Member) (added bool, err error) {
	if err := tx.requireGroup(groupID); err != nil {
		return false, fmt.Errorf("add member: %w", err)
	}
	if m.UserID == "" || tx.b(bUsers).Get([]byte(m.UserID)) == nil {
		return false, fmt.Errorf("add member %q to group %q: %w", m.UserID, groupID, ErrUnknownMember)
	}
	members := tx.b(bMembers)
	key := pairKey(groupID, m.UserID)
	if old := members.Get(key); old != nil {
		if string(old) != m.Display {
			if err := members.Put(key, []byte(m.Display)); err != nil {
				return false, fmt.Errorf("add member %q to group %q: %w", m.UserID, groupID, err)
			}
		}
		return false, nil
	}
	if err := members.Put(key, []byte(m.Display)); err != nil {
		return false, fmt.Errorf("add member %q to group %q: %w", m.UserID, groupID, err)
	}
	if err := tx.b(bMemberOf).Put(pairKey(m.UserID, groupID), nil); err != nil {
		return false, fmt.Errorf("add member %q to group %q: %w", m.UserID, groupID, err)
	}
	if err := tx.addMemberCount(groupID, 1); err != nil {
		return false, err
	}
	return true, tx.addCount(cMemberships, 1)
}

// RemoveMember removes userID from the group; removed is false when it was
// not a member. It returns ErrNotFound when the group does not exist.
func (tx *boltTx) RemoveMember(groupID, userID string) (removed bool, err error) {
	if err := tx.requireGroup(groupID); err != nil {
		return false, fmt.Errorf("remove member: %w", err)
	}
	return tx.removeMember(groupID, userID)
}

func (tx *boltTx) removeMember(groupID, userID string) (bool, error) {
	if userID == "" {
		return false, nil
	}
	key := pairKey(groupID, userID)
	if tx.b(bMembers).Get(key) == nil {
		return false, nil
	}
	if err := tx.deleteMembership(groupID, userID); err != nil {
		return false, err
	}
	if err := tx.addMemberCount(groupID, -1); err != nil {
		return false, err
	}
	return true, tx.addCount(cMemberships, -1)
}

func (tx *boltTx) deleteMembership(groupID, userID string) error {
	if err := tx.b(bMembers).Delete(pairKey(groupID, userID)); err != nil {
		return fmt.Errorf("remove member %q from group %q: %w", userID, groupID, err)
	}
	if err := tx.b(bMemberOf).Delete(pairKey(userID, groupID)); err != nil {
		return fmt.Errorf("remove member %q from group %q: %w", userID, groupID, err)
	}
	return nil
}

// ClearMembers removes every member of the group and returns their user ids
// in ascending order. It returns ErrNotFound when the group does not exist.
func (tx *boltTx) ClearMembers(groupID string) (removed []string, err error) {
	if err := tx.requireGroup(groupID); err != nil {
		return nil, fmt.Errorf("clear members: %w", err)
	}
	return tx.clearMembers(groupID)
}

func (tx *boltTx) clearMembers(groupID string) ([]string, error) {
	var ids []string
	prefix := prefixKey(groupID)
	c := tx.b(bMembers).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, string(k[len(prefix):]))
	}
	for _, id := range ids {
		if err := tx.deleteMembership(groupID, id); err != nil {
			return nil, err
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if err := tx.addMemberCount(groupID, -len(ids)); err != nil {
		return nil, err
	}
	return ids, tx.addCount(cMemberships, -len(ids))
}

// IsMember reports whether userID is a member of the group. It returns
// ErrNotFound when the group does not exist.
func (tx *boltTx) IsMember(groupID, userID string) (bool, error) {
	if err := tx.requireGroup(groupID); err != nil {
		return false, err
	}
	if userID == "" {
		return false, nil
	}
	return tx.b(bMembers).Get(pairKey(groupID, userID)) != nil, nil
}

// ForEachMember calls fn for each member of the group in ascending user id
// order; fn returns false to stop, and its error stops the walk and is
// returned as it is. It returns ErrNotFound when the group does not exist.
func (tx *boltTx) ForEachMember(groupID string, fn func(Member) (bool, error)) error {
	if err := tx.requireGroup(groupID); err != nil {
		return err
	}
	prefix := prefixKey(groupID)
	c := tx.b(bMembers).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		more, err := fn(Member{UserID: string(k[len(prefix):]), Display: string(v)})
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// GroupsOfUser returns the ids of the groups userID is a member of, in
// ascending order. It returns ErrNotFound when the user does not exist.
func (tx *boltTx) GroupsOfUser(userID string) ([]string, error) {
	if userID == "" || tx.b(bUsers).Get([]byte(userID)) == nil {
		return nil, fmt.Errorf("groups of user %q: %w", userID, ErrNotFound)
	}
	return tx.groupsOf(userID), nil
}

func (tx *boltTx) groupsOf(userID string) []string {
	var ids []string
	prefix := prefixKey(userID)
	c := tx.b(bMemberOf).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, string(k[len(prefix):]))
	}
	return ids
}

func (tx *boltTx) requireGroup(id string) error {
	if id == "" || tx.b(bGroups).Get([]byte(id)) == nil {
		return fmt.Errorf("group %q: %w", id, ErrNotFound)
	}
	return nil
}
