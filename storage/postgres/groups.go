package postgres

import (
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/absorb-scim/absorb-scim/storage"
)

const groupCols = "id, display_name, external_id, resource, created, last_modified, version, member_count"

func scanGroup(row pgx.CollectableRow) (storage.Group, error) { return scanGroupRow(row) }

func scanGroupRow(row pgx.Row) (storage.Group, error) {
	var (
		id, name, ext, resource []byte
		created, modified       *int64
		version                 int64
		count                   int32
	)
	if err := row.Scan(&id, &name, &ext, &resource, &created, &modified, &version, &count); err != nil {
		return storage.Group{}, err
	}
	return storage.Group{ID: string(id), DisplayName: string(name), ExternalID: string(ext), Resource: doc(resource),
		Created: fromNanos(created), LastModified: fromNanos(modified), Version: uint64(version), MemberCount: int(count)}, nil
}

func (t *pgTx) group(id string) (storage.Group, error) {
	if id == "" {
		return storage.Group{}, storage.ErrNotFound
	}
	g, err := scanGroupRow(t.queryRow("SELECT "+groupCols+" FROM groups WHERE tenant = $1 AND id = $2", t.s.tenant, []byte(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.Group{}, storage.ErrNotFound
	}
	return g, err
}

// Group returns the group with SCIM id id, or ErrNotFound.
func (t *pgTx) Group(id string) (storage.Group, error) {
	g, err := t.group(id)
	if err != nil {
		return storage.Group{}, fmt.Errorf("group %q: %w", id, err)
	}
	return g, nil
}

// GroupsByExternalID returns the groups whose externalId equals ext
// exactly, in ascending id order.
func (t *pgTx) GroupsByExternalID(ext string) ([]storage.Group, error) {
	if ext == "" {
		return nil, nil
	}
	groups, err := collect(t, scanGroup, "SELECT "+groupCols+" FROM groups WHERE tenant = $1 AND external_id = $2 ORDER BY id",
		t.s.tenant, []byte(ext))
	if err != nil {
		return nil, fmt.Errorf("groups with externalId %q: %w", ext, err)
	}
	return groups, nil
}

// GroupsByDisplayName returns the groups whose displayName equals name
// case-insensitively (storage.FoldCase), in ascending id order.
func (t *pgTx) GroupsByDisplayName(name string) ([]storage.Group, error) {
	key := storage.FoldCase(name)
	if key == "" {
		return nil, nil
	}
	groups, err := collect(t, scanGroup, "SELECT "+groupCols+" FROM groups WHERE tenant = $1 AND display_key = $2 ORDER BY id",
		t.s.tenant, []byte(key))
	if err != nil {
		return nil, fmt.Errorf("displayName index %q: %w", name, err)
	}
	return groups, nil
}

// PutGroup inserts or replaces the group with id g.ID. g.MemberCount is
// ignored: the stored count is kept.
func (t *pgTx) PutGroup(g storage.Group) error {
	if g.ID == "" {
		return errors.New("put group: empty id")
	}
	if err := storage.CheckIndexable("displayName", g.DisplayName); err != nil {
		return fmt.Errorf("put group %q: %w", g.ID, err)
	}
	if err := storage.CheckIndexable("externalId", g.ExternalID); err != nil {
		return fmt.Errorf("put group %q: %w", g.ID, err)
	}
	if _, err := t.exec(`INSERT INTO groups (tenant, id, display_name, display_key, external_id, resource, created, last_modified, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (tenant, id) DO UPDATE SET display_name = excluded.display_name, display_key = excluded.display_key,
			external_id = excluded.external_id, resource = excluded.resource, created = excluded.created,
			last_modified = excluded.last_modified, version = excluded.version`,
		t.s.tenant, []byte(g.ID), b(g.DisplayName), nb(storage.FoldCase(g.DisplayName)), nb(g.ExternalID),
		raw(g.Resource), nanos(g.Created), nanos(g.LastModified), int64(g.Version)); err != nil {
		return fmt.Errorf("put group %q: %w", g.ID, err)
	}
	return nil
}

// DeleteGroup removes the group and its memberships. It returns
// ErrNotFound when there is no such group.
func (t *pgTx) DeleteGroup(id string) error {
	if err := t.requireGroup(id); err != nil {
		return fmt.Errorf("delete group %q: %w", id, err)
	}
	for _, q := range []string{
		"DELETE FROM members WHERE tenant = $1 AND group_id = $2",
		"DELETE FROM groups WHERE tenant = $1 AND id = $2",
	} {
		if _, err := t.exec(q, t.s.tenant, []byte(id)); err != nil {
			return fmt.Errorf("delete group %q: %w", id, err)
		}
	}
	return nil
}

// ForEachGroup calls fn for each group in ascending id order, starting
// after the id after ("" starts at the first).
func (t *pgTx) ForEachGroup(after string, fn func(storage.Group) (bool, error)) error {
	last := b(after)
	return forEachPage(func(n int) ([]storage.Group, error) {
		page, err := collect(t, scanGroup, "SELECT "+groupCols+" FROM groups WHERE tenant = $1 AND id > $2 ORDER BY id LIMIT $3",
			t.s.tenant, last, n)
		if len(page) > 0 {
			last = []byte(page[len(page)-1].ID)
		}
		return page, err
	}, fn)
}

// CountGroups returns the number of groups.
func (t *pgTx) CountGroups() int {
	return t.count("SELECT count(*) FROM groups WHERE tenant = $1", t.s.tenant)
}

func (t *pgTx) requireGroup(id string) error {
	if id != "" {
		var one int
		err := t.queryRow("SELECT 1 FROM groups WHERE tenant = $1 AND id = $2", t.s.tenant, []byte(id)).Scan(&one)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
	}
	return fmt.Errorf("group %q: %w", id, storage.ErrNotFound)
}

// AddMember makes m.UserID a member of the group; adding a member again
// returns added == false and updates its display text. It returns
// ErrNotFound when the group does not exist and ErrUnknownMember when the
// user does not.
func (t *pgTx) AddMember(groupID string, m storage.Member) (added bool, err error) {
	// One round trip reads the group, the user and the membership.
	var groupExists, userExists bool
	var old []byte
	err = t.queryRow(`SELECT
		EXISTS (SELECT 1 FROM groups WHERE tenant = $1 AND id = $2),
		EXISTS (SELECT 1 FROM users WHERE tenant = $1 AND id = $3),
		(SELECT display FROM members WHERE tenant = $1 AND group_id = $2 AND user_id = $3)`,
		t.s.tenant, []byte(groupID), []byte(m.UserID)).Scan(&groupExists, &userExists, &old)
	if err != nil {
		return false, fmt.Errorf("add member %q to group %q: %w", m.UserID, groupID, err)
	}
	if groupID == "" || !groupExists {
		return false, fmt.Errorf("add member: group %q: %w", groupID, storage.ErrNotFound)
	}
	if m.UserID == "" || !userExists {
		return false, fmt.Errorf("add member %q to group %q: %w", m.UserID, groupID, storage.ErrUnknownMember)
	}
	if old != nil {
		if string(old) != m.Display {
			if _, err := t.exec("UPDATE members SET display = $4 WHERE tenant = $1 AND group_id = $2 AND user_id = $3",
				t.s.tenant, []byte(groupID), []byte(m.UserID), b(m.Display)); err != nil {
				return false, fmt.Errorf("add member %q to group %q: %w", m.UserID, groupID, err)
			}
		}
		return false, nil
	}
	err = t.execAll([]stmt{
		{"INSERT INTO members (tenant, group_id, user_id, display) VALUES ($1, $2, $3, $4)",
			[]any{t.s.tenant, []byte(groupID), []byte(m.UserID), b(m.Display)}},
		{"UPDATE groups SET member_count = member_count + 1 WHERE tenant = $1 AND id = $2",
			[]any{t.s.tenant, []byte(groupID)}},
	})
	if err != nil {
		return false, fmt.Errorf("add member %q to group %q: %w", m.UserID, groupID, err)
	}
	return true, nil
}

func (t *pgTx) addMemberCount(groupID string, delta int) error {
	if _, err := t.exec("UPDATE groups SET member_count = greatest(member_count + $3, 0) WHERE tenant = $1 AND id = $2",
		t.s.tenant, []byte(groupID), delta); err != nil {
		return fmt.Errorf("update member count of group %q: %w", groupID, err)
	}
	return nil
}

// RemoveMember removes userID from the group; removed is false when it was
// not a member. It returns ErrNotFound when the group does not exist.
func (t *pgTx) RemoveMember(groupID, userID string) (removed bool, err error) {
	if err := t.requireGroup(groupID); err != nil {
		return false, fmt.Errorf("remove member: %w", err)
	}
	if userID == "" {
		return false, nil
	}
	tag, err := t.exec("DELETE FROM members WHERE tenant = $1 AND group_id = $2 AND user_id = $3",
		t.s.tenant, []byte(groupID), []byte(userID))
	if err != nil {
		return false, fmt.Errorf("remove member %q from group %q: %w", userID, groupID, err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	return true, t.addMemberCount(groupID, -1)
}

// ClearMembers removes every member of the group and returns their user
// ids in ascending order. It returns ErrNotFound when the group does not
// exist.
func (t *pgTx) ClearMembers(groupID string) (removed []string, err error) {
	if err := t.requireGroup(groupID); err != nil {
		return nil, fmt.Errorf("clear members: %w", err)
	}
	if !t.writable {
		return nil, fmt.Errorf("clear members of group %q: %w", groupID, errReadOnly)
	}
	ids, err := collect(t, func(row pgx.CollectableRow) (string, error) {
		var id []byte
		err := row.Scan(&id)
		return string(id), err
	}, "DELETE FROM members WHERE tenant = $1 AND group_id = $2 RETURNING user_id", t.s.tenant, []byte(groupID))
	if err != nil {
		return nil, fmt.Errorf("clear members of group %q: %w", groupID, err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	slices.Sort(ids)
	return ids, t.addMemberCount(groupID, -len(ids))
}

// IsMember reports whether userID is a member of the group. It returns
// ErrNotFound when the group does not exist.
func (t *pgTx) IsMember(groupID, userID string) (bool, error) {
	if err := t.requireGroup(groupID); err != nil {
		return false, err
	}
	if userID == "" {
		return false, nil
	}
	var one int
	err := t.queryRow("SELECT 1 FROM members WHERE tenant = $1 AND group_id = $2 AND user_id = $3",
		t.s.tenant, []byte(groupID), []byte(userID)).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// ForEachMember calls fn for each member of the group in ascending user id
// order. It returns ErrNotFound when the group does not exist.
func (t *pgTx) ForEachMember(groupID string, fn func(storage.Member) (bool, error)) error {
	if err := t.requireGroup(groupID); err != nil {
		return err
	}
	last := []byte{}
	return forEachPage(func(n int) ([]storage.Member, error) {
		page, err := collect(t, func(row pgx.CollectableRow) (storage.Member, error) {
			var id, display []byte
			err := row.Scan(&id, &display)
			return storage.Member{UserID: string(id), Display: string(display)}, err
		}, "SELECT user_id, display FROM members WHERE tenant = $1 AND group_id = $2 AND user_id > $3 ORDER BY user_id LIMIT $4",
			t.s.tenant, []byte(groupID), last, n)
		if len(page) > 0 {
			last = []byte(page[len(page)-1].UserID)
		}
		return page, err
	}, fn)
}

// GroupsOfUser returns the ids of the groups userID is a member of, in
// ascending order. It returns ErrNotFound when the user does not exist.
func (t *pgTx) GroupsOfUser(userID string) ([]string, error) {
	if ids, ok := t.groupsOf[userID]; ok {
		return slices.Clone(ids), nil
	}
	if userID == "" {
		return nil, fmt.Errorf("groups of user %q: %w", userID, storage.ErrNotFound)
	}
	var (
		exists bool
		ids    [][]byte
	)
	err := t.queryRow(`SELECT EXISTS (SELECT 1 FROM users WHERE tenant = $1 AND id = $2),
		array(SELECT group_id FROM members WHERE tenant = $1 AND user_id = $2 ORDER BY group_id)`,
		t.s.tenant, []byte(userID)).Scan(&exists, &ids)
	if err != nil {
		return nil, fmt.Errorf("groups of user %q: %w", userID, err)
	}
	if !exists {
		return nil, fmt.Errorf("groups of user %q: %w", userID, storage.ErrNotFound)
	}
	return strs(ids), nil
}
