package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Group is a SCIM group. Its members are stored apart, one key each; see
// AddMember.
type Group struct {
	ID           string
	DisplayName  string          // indexed case-insensitively (FoldCase), not unique
	ExternalID   string          // indexed exactly, not unique (RFC 7643 §3.1)
	Resource     json.RawMessage // the SCIM resource without members and meta
	Created      time.Time       // read back in UTC
	LastModified time.Time       // read back in UTC
	Version      uint64          // set by the caller
	MemberCount  int             // kept by the store
}

// Group returns the group with SCIM id id, or ErrNotFound.
func (tx *boltTx) Group(id string) (Group, error) {
	g, err := tx.group(id)
	if err != nil {
		return Group{}, fmt.Errorf("group %q: %w", id, err)
	}
	return g, nil
}

func (tx *boltTx) group(id string) (Group, error) {
	return getRecord(tx, bGroups, id, true, tx.decodeGroup)
}

// GroupsByExternalID returns the groups whose externalId equals ext
// exactly, in ascending id order; none is an empty result, not an error.
// RFC 7643 §3.1 leaves the uniqueness of externalId to the client, so two
// groups may share one.
func (tx *boltTx) GroupsByExternalID(ext string) ([]Group, error) {
	if ext == "" {
		return nil, nil
	}
	if tx.tx.Bucket(bucketNames[bGroupExternalIDs]) == nil {
		// A read-only transaction over a file written before the index
		// became non-unique: the old index holds one group per value.
		g, err := getByIndex(tx, bGroupExternalID, ext, bGroups, tx.decodeGroup)
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []Group{g}, nil
	}
	var groups []Group
	prefix := prefixKey(ext)
	c := tx.b(bGroupExternalIDs).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		g, err := tx.Group(string(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// moveGroupExternalIDs fills groups/externalIds from the groups of a file
// written when a group's externalId was unique (groups/externalId, one id
// per value), and empties that bucket, which is no longer kept.
func moveGroupExternalIDs(btx *bolt.Tx) error {
	groups, ids, old := btx.Bucket(bucketNames[bGroups]), btx.Bucket(bucketNames[bGroupExternalIDs]), btx.Bucket(bucketNames[bGroupExternalID])
	if groups == nil || old == nil {
		return nil
	}
	err := old.ForEach(func(ext, id []byte) error {
		if groups.Get(id) == nil {
			return nil
		}
		return ids.Put(pairKey(string(ext), string(id)), nil)
	})
	if err != nil {
		return fmt.Errorf("move the group externalId index: %w", err)
	}
	if err := btx.DeleteBucket(bucketNames[bGroupExternalID]); err != nil {
		return fmt.Errorf("move the group externalId index: %w", err)
	}
	if _, err := btx.CreateBucket(bucketNames[bGroupExternalID]); err != nil {
		return fmt.Errorf("move the group externalId index: %w", err)
	}
	return nil
}

// GroupsByDisplayName returns the groups whose displayName equals name
// case-insensitively (FoldCase), in ascending id order; none is an empty
// result, not an error.
func (tx *boltTx) GroupsByDisplayName(name string) ([]Group, error) {
	if name == "" {
		return nil, nil
	}
	var groups []Group
	prefix := prefixKey(FoldCase(name))
	c := tx.b(bGroupDisplayName).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		g, err := tx.Group(string(k[len(prefix):]))
		if err != nil {
			return nil, fmt.Errorf("displayName index %q: %w", name, err)
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// PutGroup inserts or replaces the group with id g.ID and its indexes.
// g.MemberCount is ignored: the stored count is kept. It returns a
// *ConflictError (errors.Is ErrConflict) when another group holds the same
// externalId; nothing is written then.
func (tx *boltTx) PutGroup(g Group) error {
	if g.ID == "" {
		return errors.New("put group: empty id")
	}
	if err := CheckIndexable("displayName", g.DisplayName); err != nil {
		return fmt.Errorf("put group %q: %w", g.ID, err)
	}
	if err := CheckIndexable("externalId", g.ExternalID); err != nil {
		return fmt.Errorf("put group %q: %w", g.ID, err)
	}
	old, err := tx.group(g.ID)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("put group %q: %w", g.ID, err)
	}
	if err := tx.writeGroup(g); err != nil {
		return err
	}
	if err := repair(tx, bGroupExternalIDs, nonEmpty(old.ExternalID), nonEmpty(g.ExternalID), g.ID); err != nil {
		return fmt.Errorf("put group %q: externalId index: %w", g.ID, err)
	}
	if oldName, newName := FoldCase(old.DisplayName), FoldCase(g.DisplayName); !exists || oldName != newName {
		names := tx.b(bGroupDisplayName)
		if exists && oldName != "" {
			if err := names.Delete(pairKey(oldName, g.ID)); err != nil {
				return fmt.Errorf("put group %q: displayName index: %w", g.ID, err)
			}
		}
		if newName != "" {
			if err := tx.put(bGroupDisplayName, pairKey(newName, g.ID), nil); err != nil {
				return fmt.Errorf("put group %q: displayName index: %w", g.ID, err)
			}
		}
	}
	if !exists {
		return tx.addCount(cGroups, 1)
	}
	return nil
}

func (tx *boltTx) writeGroup(g Group) error {
	if err := tx.put(bGroups, []byte(g.ID), tx.encodeGroup(g)); err != nil {
		return fmt.Errorf("put group %q: %w", g.ID, err)
	}
	return nil
}

// DeleteGroup removes the group, its index entries and its memberships in
// both directions. It returns ErrNotFound when there is no such group.
func (tx *boltTx) DeleteGroup(id string) error {
	g, err := tx.group(id)
	if err != nil {
		return fmt.Errorf("delete group %q: %w", id, err)
	}
	if _, err := tx.clearMembers(g.ID); err != nil {
		return fmt.Errorf("delete group %q: %w", id, err)
	}
	if err := repair(tx, bGroupExternalIDs, nonEmpty(g.ExternalID), nil, id); err != nil {
		return fmt.Errorf("delete group %q: externalId index: %w", id, err)
	}
	if name := FoldCase(g.DisplayName); name != "" {
		if err := tx.b(bGroupDisplayName).Delete(pairKey(name, id)); err != nil {
			return fmt.Errorf("delete group %q: displayName index: %w", id, err)
		}
	}
	if err := tx.b(bGroups).Delete([]byte(id)); err != nil {
		return fmt.Errorf("delete group %q: %w", id, err)
	}
	return tx.addCount(cGroups, -1)
}

// ForEachGroup calls fn for each group in ascending id order, starting after
// the id after ("" starts at the first). fn returns false to stop; its error
// stops the walk and is returned as it is.
func (tx *boltTx) ForEachGroup(after string, fn func(Group) (bool, error)) error {
	return forEachRecord(tx, bGroups, after, tx.decodeGroup, fn)
}

// CountGroups returns the number of groups.
func (tx *boltTx) CountGroups() int { return tx.count(cGroups) }

func (tx *boltTx) encodeGroup(g Group) []byte {
	e := encoder{b: make([]byte, 0, 48+len(g.DisplayName)+len(g.ExternalID))}
	e.str(g.DisplayName)
	e.str(g.ExternalID)
	e.time(g.Created)
	e.time(g.LastModified)
	e.uint(g.Version)
	return tx.s.codec.record(&e, g.Resource)
}

func (tx *boltTx) decodeGroup(id string, v []byte, withResource bool) (Group, error) {
	d, payload, err := tx.s.codec.open(v, withResource)
	if err != nil {
		return Group{}, fmt.Errorf("decode group %q: %w", id, err)
	}
	g := Group{ID: id, Resource: payload}
	g.DisplayName = d.str()
	g.ExternalID = d.str()
	g.Created = d.time()
	g.LastModified = d.time()
	g.Version = d.uint()
	if d.err != nil {
		return Group{}, fmt.Errorf("decode group %q: %w", id, d.err)
	}
	g.MemberCount = tx.memberCount(id)
	return g, nil
}

func (tx *boltTx) memberCount(groupID string) int {
	v := tx.b(bGroupMemberCount).Get([]byte(groupID))
	if len(v) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(v))
}

// addMemberCount changes a group's member count; the key is dropped at zero.
func (tx *boltTx) addMemberCount(groupID string, delta int) error {
	n := max(tx.memberCount(groupID)+delta, 0)
	var err error
	if n == 0 {
		err = tx.b(bGroupMemberCount).Delete([]byte(groupID))
	} else {
		err = tx.b(bGroupMemberCount).Put([]byte(groupID), binary.BigEndian.AppendUint64(nil, uint64(n)))
	}
	if err != nil {
		return fmt.Errorf("update member count of group %q: %w", groupID, err)
	}
	return nil
}
