package postgres

import (
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/absorb-scim/absorb-scim/storage"
)

const userCols = "id, absorb_id, user_name, external_id, emails, active, resource, created, last_modified, version"

func scanUser(row pgx.CollectableRow) (storage.User, error) { return scanUserRow(row) }

func scanUserRow(row pgx.Row, more ...any) (storage.User, error) {
	var (
		id, absorbID, userName, ext, resource []byte
		emails                                [][]byte
		created, modified                     *int64
		version                               int64
		u                                     storage.User
	)
	if err := row.Scan(append([]any{&id, &absorbID, &userName, &ext, &emails, &u.Active, &resource, &created, &modified, &version}, more...)...); err != nil {
		return storage.User{}, err
	}
	u.ID, u.AbsorbID, u.UserName, u.ExternalID = string(id), string(absorbID), string(userName), string(ext)
	u.Emails = strs(emails)
	u.Resource = doc(resource)
	u.Created, u.LastModified = fromNanos(created), fromNanos(modified)
	u.Version = uint64(version)
	return u, nil
}

// userWhere reads the one user the condition selects ($1 is the tenant,
// $2 the value), or ErrNotFound.
func (t *pgTx) userWhere(cond, value string) (storage.User, error) {
	if value == "" {
		return storage.User{}, storage.ErrNotFound
	}
	if t.writable {
		u, err := scanUserRow(t.queryRow("SELECT "+userCols+" FROM users WHERE tenant = $1 AND "+cond, t.s.tenant, []byte(value)))
		if errors.Is(err, pgx.ErrNoRows) {
			return storage.User{}, storage.ErrNotFound
		}
		return u, err
	}
	// A read answers with the user's groups nearly always (a GET, a list
	// page), so they come in the same statement and GroupsOfUser takes
	// them from the transaction: one round trip instead of two. Only a
	// read-only transaction keeps them, as nothing in it can change them.
	var groups [][]byte
	u, err := scanUserRow(t.queryRow("SELECT "+userCols+`,
		array(SELECT m.group_id FROM members m WHERE m.tenant = $1 AND m.user_id = users.id ORDER BY m.group_id)
		FROM users WHERE tenant = $1 AND `+cond, t.s.tenant, []byte(value)), &groups)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.User{}, storage.ErrNotFound
	}
	if err == nil {
		if t.groupsOf == nil {
			t.groupsOf = make(map[string][]string)
		}
		t.groupsOf[u.ID] = strs(groups)
	}
	return u, err
}

// User returns the user with SCIM id id, or ErrNotFound.
func (t *pgTx) User(id string) (storage.User, error) {
	u, err := t.userWhere("id = $2", id)
	if err != nil {
		return storage.User{}, fmt.Errorf("user %q: %w", id, err)
	}
	return u, nil
}

// UserByUserName returns the user whose userName equals userName as
// storage.FoldUserName compares them, or ErrNotFound.
func (t *pgTx) UserByUserName(userName string) (storage.User, error) {
	u, err := t.userWhere("user_name_key = $2", storage.FoldUserName(userName))
	if err != nil {
		return storage.User{}, fmt.Errorf("user with userName %q: %w", userName, err)
	}
	return u, nil
}

// UserByExternalID returns the first user in id order whose externalId
// equals externalID exactly, or ErrNotFound.
func (t *pgTx) UserByExternalID(externalID string) (storage.User, error) {
	users, err := t.UsersByExternalID(externalID)
	if err != nil {
		return storage.User{}, err
	}
	if len(users) == 0 {
		return storage.User{}, fmt.Errorf("user with externalId %q: %w", externalID, storage.ErrNotFound)
	}
	return users[0], nil
}

// UsersByExternalID returns the users whose externalId equals externalID
// exactly, in ascending id order.
func (t *pgTx) UsersByExternalID(externalID string) ([]storage.User, error) {
	if externalID == "" {
		return nil, nil
	}
	users, err := collect(t, scanUser, "SELECT "+userCols+" FROM users WHERE tenant = $1 AND external_id = $2 ORDER BY id", t.s.tenant, []byte(externalID))
	if err != nil {
		return nil, fmt.Errorf("users with externalId %q: %w", externalID, err)
	}
	return users, nil
}

// UserByAbsorbID returns the user mapped to the Absorb id absorbID, or
// ErrNotFound.
func (t *pgTx) UserByAbsorbID(absorbID string) (storage.User, error) {
	u, err := t.userWhere("absorb_id = $2", absorbID)
	if err != nil {
		return storage.User{}, fmt.Errorf("user with absorb id %q: %w", absorbID, err)
	}
	return u, nil
}

// UsersByEmail returns the users holding email among their emails,
// case-insensitively (storage.FoldCase), in ascending id order.
func (t *pgTx) UsersByEmail(email string) ([]storage.User, error) {
	key := storage.FoldCase(email)
	if key == "" {
		return nil, nil
	}
	users, err := collect(t, scanUser, "SELECT "+prefixed("u.", userCols)+` FROM user_emails e
		JOIN users u ON u.tenant = e.tenant AND u.id = e.user_id
		WHERE e.tenant = $1 AND e.email_key = $2 ORDER BY e.user_id`, t.s.tenant, []byte(key))
	if err != nil {
		return nil, fmt.Errorf("users with email %q: %w", email, err)
	}
	return users, nil
}

// PutUser inserts or replaces the user with id u.ID; see storage.Tx.
func (t *pgTx) PutUser(u storage.User) error {
	p, err := t.s.PrepareUser(u)
	if err != nil {
		return err
	}
	return t.PutPreparedUser(p)
}

// PutPreparedUser inserts or replaces the user p.User. It returns a
// *storage.ConflictError when another user holds the same userName (as
// FoldUserName compares) or AbsorbID; nothing is written then.
func (t *pgTx) PutPreparedUser(p storage.PreparedUser) error {
	u := p.User
	if u.ID == "" {
		return errors.New("put user: empty id")
	}
	if err := checkUserKeys(u); err != nil {
		return fmt.Errorf("put user %q: %w", u.ID, err)
	}
	if !t.writable {
		return fmt.Errorf("put user %q: %w", u.ID, errReadOnly)
	}
	nameKey := storage.FoldUserName(u.UserName)
	// One round trip reads what the write must check and replace: the
	// holders of its unique values, its previous emails and walk keys.
	var (
		nameHolder, absorbHolder []byte
		oldEmails                [][]byte
		oldIdx                   []int16
		oldKeys                  [][]byte
	)
	err := t.queryRow(`SELECT
		(SELECT id FROM users WHERE tenant = $1 AND user_name_key = $2 AND id <> $4),
		(SELECT id FROM users WHERE tenant = $1 AND absorb_id = $3 AND id <> $4),
		(SELECT emails FROM users WHERE tenant = $1 AND id = $4),
		(SELECT array_agg(idx ORDER BY idx, key) FROM user_walk WHERE tenant = $1 AND user_id = $4),
		(SELECT array_agg(key ORDER BY idx, key) FROM user_walk WHERE tenant = $1 AND user_id = $4)`,
		t.s.tenant, nb(nameKey), nb(u.AbsorbID), []byte(u.ID)).Scan(&nameHolder, &absorbHolder, &oldEmails, &oldIdx, &oldKeys)
	if err != nil {
		return fmt.Errorf("put user %q: %w", u.ID, err)
	}
	if nameHolder != nil {
		return &storage.ConflictError{Index: "userName", Value: u.UserName, ExistingID: string(nameHolder)}
	}
	if absorbHolder != nil {
		return &storage.ConflictError{Index: "absorbId", Value: u.AbsorbID, ExistingID: string(absorbHolder)}
	}
	t.wroteUser = true
	stmts := []stmt{{`INSERT INTO users (tenant, ` + userCols + `, user_name_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (tenant, id) DO UPDATE SET absorb_id = excluded.absorb_id, user_name = excluded.user_name,
			external_id = excluded.external_id, emails = excluded.emails, active = excluded.active,
			resource = excluded.resource, created = excluded.created, last_modified = excluded.last_modified,
			version = excluded.version, user_name_key = excluded.user_name_key`,
		[]any{t.s.tenant, []byte(u.ID), nb(u.AbsorbID), b(u.UserName), nb(u.ExternalID), bytesList(u.Emails), u.Active,
			raw(u.Resource), nanos(u.Created), nanos(u.LastModified), int64(u.Version), nb(nameKey)}}}
	stmts = append(stmts, t.emailStmts(u.ID, emailKeys(strs(oldEmails)), emailKeys(u.Emails))...)
	stmts = append(stmts, t.walkStmts(u, oldIdx, oldKeys)...)
	if err := t.execAll(stmts); err != nil {
		return fmt.Errorf("put user %q: %w", u.ID, err)
	}
	return nil
}

// emailStmts replace the email index entries of user id.
func (t *pgTx) emailStmts(id string, oldKeys, newKeys []string) []stmt {
	var gone, added [][]byte
	for _, k := range oldKeys {
		if !slices.Contains(newKeys, k) {
			gone = append(gone, []byte(k))
		}
	}
	for _, k := range newKeys {
		if !slices.Contains(oldKeys, k) {
			added = append(added, []byte(k))
		}
	}
	var stmts []stmt
	if len(gone) > 0 {
		stmts = append(stmts, stmt{"DELETE FROM user_emails WHERE tenant = $1 AND user_id = $2 AND email_key = ANY($3)",
			[]any{t.s.tenant, []byte(id), gone}})
	}
	if len(added) > 0 {
		stmts = append(stmts, stmt{"INSERT INTO user_emails (tenant, email_key, user_id) SELECT $1, k, $2 FROM unnest($3::bytea[]) AS k",
			[]any{t.s.tenant, []byte(id), added}})
	}
	return stmts
}

// emailKeys returns the folded, distinct, non-empty emails.
func emailKeys(emails []string) []string {
	keys := make([]string, 0, len(emails))
	for _, e := range emails {
		if e = storage.FoldCase(e); e != "" && !slices.Contains(keys, e) {
			keys = append(keys, e)
		}
	}
	return keys
}

// DeleteUser removes the user, its index entries, its rule state and its
// group memberships (fixing the groups' member counts). It returns
// ErrNotFound when there is no such user.
func (t *pgTx) DeleteUser(id string) error {
	u, err := t.userWhere("id = $2", id)
	if err != nil {
		return fmt.Errorf("delete user %q: %w", id, err)
	}
	if !t.writable {
		return fmt.Errorf("delete user %q: %w", id, errReadOnly)
	}
	t.wroteUser = true
	tenant, uid := t.s.tenant, []byte(id)
	var stmts []stmt
	for _, q := range []string{
		`WITH gone AS (DELETE FROM members WHERE tenant = $1 AND user_id = $2 RETURNING group_id)
		 UPDATE groups g SET member_count = greatest(g.member_count - 1, 0) FROM gone
		 WHERE g.tenant = $1 AND g.id = gone.group_id`,
		"DELETE FROM user_walk WHERE tenant = $1 AND user_id = $2",
		"DELETE FROM rule_states WHERE tenant = $1 AND user_id = $2",
		"DELETE FROM users WHERE tenant = $1 AND id = $2",
	} {
		stmts = append(stmts, stmt{q, []any{tenant, uid}})
	}
	stmts = append(stmts, t.emailStmts(id, emailKeys(u.Emails), nil)...)
	if err := t.execAll(stmts); err != nil {
		return fmt.Errorf("delete user %q: %w", id, err)
	}
	return nil
}

// ForEachUser calls fn for each user in ascending id order, starting after
// the id after ("" starts at the first).
func (t *pgTx) ForEachUser(after string, fn func(storage.User) (bool, error)) error {
	last := b(after)
	return forEachPage(func(n int) ([]storage.User, error) {
		page, err := collect(t, scanUser, "SELECT "+userCols+" FROM users WHERE tenant = $1 AND id > $2 ORDER BY id LIMIT $3",
			t.s.tenant, last, n)
		if len(page) > 0 {
			last = []byte(page[len(page)-1].ID)
		}
		return page, err
	}, fn)
}

// CountUsers returns the number of users.
func (t *pgTx) CountUsers() int {
	return t.count("SELECT count(*) FROM users WHERE tenant = $1", t.s.tenant)
}

// prefixed qualifies each column of a list with p.
func prefixed(p, cols string) string {
	out := []byte(p)
	for i := 0; i < len(cols); i++ {
		out = append(out, cols[i])
		if cols[i] == ' ' && i > 0 && cols[i-1] == ',' {
			out = append(out, p...)
		}
	}
	return string(out)
}
