package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/absorb-scim/absorb-scim/storage"
)

const absorbCols = "a.id, a.username, a.external_id, a.date_edited, a.raw"

func scanAbsorbUser(row pgx.CollectableRow) (storage.AbsorbUser, error) { return scanAbsorbRow(row) }

func scanAbsorbRow(row pgx.Row) (storage.AbsorbUser, error) {
	var id, username, ext, edited, rawDoc []byte
	if err := row.Scan(&id, &username, &ext, &edited, &rawDoc); err != nil {
		return storage.AbsorbUser{}, err
	}
	return storage.AbsorbUser{ID: string(id), Username: string(username), ExternalID: string(ext),
		DateEdited: string(edited), Raw: doc(rawDoc)}, nil
}

func (t *pgTx) absorbUserQuery(q, value string) (storage.AbsorbUser, error) {
	if value == "" {
		return storage.AbsorbUser{}, storage.ErrNotFound
	}
	u, err := scanAbsorbRow(t.queryRow(q, t.s.tenant, []byte(value)))
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.AbsorbUser{}, storage.ErrNotFound
	}
	return u, err
}

// AbsorbUser returns the mirrored Absorb user with Absorb id id, or
// ErrNotFound.
func (t *pgTx) AbsorbUser(id string) (storage.AbsorbUser, error) {
	u, err := t.absorbUserQuery("SELECT "+absorbCols+" FROM absorb_users a WHERE a.tenant = $1 AND a.id = $2", id)
	if err != nil {
		return storage.AbsorbUser{}, fmt.Errorf("absorb user %q: %w", id, err)
	}
	return u, nil
}

// AbsorbUserByUsername returns the mirrored Absorb user the username index
// holds for username (as storage.FoldUserName compares), or ErrNotFound.
func (t *pgTx) AbsorbUserByUsername(username string) (storage.AbsorbUser, error) {
	u, err := t.absorbUserQuery("SELECT "+absorbCols+` FROM absorb_username k
		JOIN absorb_users a ON a.tenant = k.tenant AND a.id = k.absorb_id
		WHERE k.tenant = $1 AND k.key = $2`, storage.FoldUserName(username))
	if err != nil {
		return storage.AbsorbUser{}, fmt.Errorf("absorb user with username %q: %w", username, err)
	}
	return u, nil
}

// AbsorbUserByExternalID returns the mirrored Absorb user the externalId
// index holds for ext (exact), or ErrNotFound.
func (t *pgTx) AbsorbUserByExternalID(ext string) (storage.AbsorbUser, error) {
	u, err := t.absorbUserQuery("SELECT "+absorbCols+` FROM absorb_external_id k
		JOIN absorb_users a ON a.tenant = k.tenant AND a.id = k.absorb_id
		WHERE k.tenant = $1 AND k.key = $2`, ext)
	if err != nil {
		return storage.AbsorbUser{}, fmt.Errorf("absorb user with externalId %q: %w", ext, err)
	}
	return u, nil
}

// PutAbsorbUser inserts or replaces the mirrored Absorb user with id u.ID;
// its username and externalId look-ups go to it (the last write wins).
func (t *pgTx) PutAbsorbUser(u storage.AbsorbUser) error {
	p, err := t.s.PrepareAbsorbUser(u)
	if err != nil {
		return err
	}
	return t.PutPreparedAbsorbUser(p)
}

// PutPreparedAbsorbUser is PutAbsorbUser for a checked record.
func (t *pgTx) PutPreparedAbsorbUser(p storage.PreparedAbsorbUser) error {
	u := p.User
	if u.ID == "" {
		return errors.New("put absorb user: empty id")
	}
	if !t.writable {
		return fmt.Errorf("put absorb user %q: %w", u.ID, errReadOnly)
	}
	old, err := t.absorbUserQuery("SELECT "+absorbCols+" FROM absorb_users a WHERE a.tenant = $1 AND a.id = $2", u.ID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("put absorb user %q: %w", u.ID, err)
	}
	if _, err := t.exec(`INSERT INTO absorb_users (tenant, id, username, external_id, date_edited, raw)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant, id) DO UPDATE SET username = excluded.username, external_id = excluded.external_id,
			date_edited = excluded.date_edited, raw = excluded.raw`,
		t.s.tenant, []byte(u.ID), b(u.Username), b(u.ExternalID), b(u.DateEdited), raw(u.Raw)); err != nil {
		return fmt.Errorf("put absorb user %q: %w", u.ID, err)
	}
	if err := t.reindexLastWins("absorb_username", storage.FoldUserName(old.Username), storage.FoldUserName(u.Username), u.ID); err != nil {
		return fmt.Errorf("put absorb user %q: username index: %w", u.ID, err)
	}
	if err := t.reindexLastWins("absorb_external_id", old.ExternalID, u.ExternalID, u.ID); err != nil {
		return fmt.Errorf("put absorb user %q: externalId index: %w", u.ID, err)
	}
	return nil
}

// reindexLastWins points newKey of table at id whoever held it, and drops
// oldKey when it still points at id.
func (t *pgTx) reindexLastWins(table, oldKey, newKey, id string) error {
	if oldKey != "" && oldKey != newKey {
		if _, err := t.exec("DELETE FROM "+table+" WHERE tenant = $1 AND key = $2 AND absorb_id = $3",
			t.s.tenant, []byte(oldKey), []byte(id)); err != nil {
			return err
		}
	}
	if newKey == "" {
		return nil
	}
	_, err := t.exec("INSERT INTO "+table+` (tenant, key, absorb_id) VALUES ($1, $2, $3)
		ON CONFLICT (tenant, key) DO UPDATE SET absorb_id = excluded.absorb_id
		WHERE `+table+`.absorb_id <> excluded.absorb_id`, t.s.tenant, []byte(newKey), []byte(id))
	return err
}

// DeleteAbsorbUser removes the mirrored Absorb user and the look-up entries
// that point at it. It returns ErrNotFound when there is no such user.
func (t *pgTx) DeleteAbsorbUser(id string) error {
	u, err := t.absorbUserQuery("SELECT "+absorbCols+" FROM absorb_users a WHERE a.tenant = $1 AND a.id = $2", id)
	if err != nil {
		return fmt.Errorf("delete absorb user %q: %w", id, err)
	}
	if err := t.reindexLastWins("absorb_username", storage.FoldUserName(u.Username), "", id); err != nil {
		return fmt.Errorf("delete absorb user %q: username index: %w", id, err)
	}
	if err := t.reindexLastWins("absorb_external_id", u.ExternalID, "", id); err != nil {
		return fmt.Errorf("delete absorb user %q: externalId index: %w", id, err)
	}
	if _, err := t.exec("DELETE FROM absorb_users WHERE tenant = $1 AND id = $2", t.s.tenant, []byte(id)); err != nil {
		return fmt.Errorf("delete absorb user %q: %w", id, err)
	}
	return nil
}

// ForEachAbsorbUser calls fn for each mirrored Absorb user in ascending id
// order.
func (t *pgTx) ForEachAbsorbUser(fn func(storage.AbsorbUser) (bool, error)) error {
	last := []byte{}
	return forEachPage(func(n int) ([]storage.AbsorbUser, error) {
		page, err := collect(t, scanAbsorbUser, "SELECT "+absorbCols+" FROM absorb_users a WHERE a.tenant = $1 AND a.id > $2 ORDER BY a.id LIMIT $3",
			t.s.tenant, last, n)
		if len(page) > 0 {
			last = []byte(page[len(page)-1].ID)
		}
		return page, err
	}, fn)
}

// CountAbsorbUsers returns the number of mirrored Absorb users.
func (t *pgTx) CountAbsorbUsers() int {
	return t.count("SELECT count(*) FROM absorb_users WHERE tenant = $1", t.s.tenant)
}
