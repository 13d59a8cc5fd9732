package postgres

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/absorb-scim/absorb-scim/storage"
)

// The walk indexes are the rows of user_walk: (tenant, idx, key) is a
// B-tree whose keys are Bolt's walk index keys (storage.UserWalkKeys), so
// both engines order users alike, missing values last, and a page is a
// range read from the position it starts after. A position is the key
// itself; ByID walks the users table by id, its position the id.

// walkStmts replace the walk index rows of u (oldIdx and oldKeys, in
// pairs) with its current keys, writing only those that changed.
func (t *pgTx) walkStmts(u storage.User, oldIdx []int16, oldKeys [][]byte) []stmt {
	keys := storage.UserWalkKeys(u)
	isOld := func(k storage.WalkKey) bool {
		for i := range oldIdx {
			if oldIdx[i] == int16(k.Index) && bytes.Equal(oldKeys[i], k.Key) {
				return true
			}
		}
		return false
	}
	var goneIdx, addIdx []int16
	var goneKey, addKey [][]byte
	for i := range oldIdx {
		kept := false
		for _, k := range keys {
			if oldIdx[i] == int16(k.Index) && bytes.Equal(oldKeys[i], k.Key) {
				kept = true
				break
			}
		}
		if !kept {
			goneIdx, goneKey = append(goneIdx, oldIdx[i]), append(goneKey, oldKeys[i])
		}
	}
	for _, k := range keys {
		if !isOld(k) {
			addIdx, addKey = append(addIdx, int16(k.Index)), append(addKey, k.Key)
		}
	}
	var stmts []stmt
	if len(goneIdx) > 0 {
		stmts = append(stmts, stmt{`DELETE FROM user_walk w USING unnest($2::smallint[], $3::bytea[]) AS d(idx, key)
			WHERE w.tenant = $1 AND w.idx = d.idx AND w.key = d.key`, []any{t.s.tenant, goneIdx, goneKey}})
	}
	if len(addIdx) > 0 {
		stmts = append(stmts, stmt{`INSERT INTO user_walk (tenant, idx, key, user_id)
			SELECT $1, idx, key, $4 FROM unnest($2::smallint[], $3::bytea[]) AS n(idx, key)`,
			[]any{t.s.tenant, addIdx, addKey, []byte(u.ID)}})
	}
	return stmts
}

// walkQuery builds the query of the keys (key, user_id) of range r of its
// index after the position after, in order (reversed when desc), and its
// arguments; the caller appends a LIMIT.
func (t *pgTx) walkQuery(r storage.UserRange, desc bool, after []byte) (string, []any, error) {
	lo, hi, err := r.Bounds()
	if err != nil {
		return "", nil, err
	}
	var q string
	args := []any{t.s.tenant}
	keyCol := "key"
	if r.Index == storage.ByID {
		if r.Kind != storage.RangeAll {
			return "", nil, fmt.Errorf("user index %d cannot answer a range of kind %d", r.Index, r.Kind)
		}
		keyCol = "id"
		q = "SELECT id AS key, id AS user_id FROM users WHERE tenant = $1"
	} else {
		args = append(args, int16(r.Index))
		q = "SELECT key, user_id FROM user_walk WHERE tenant = $1 AND idx = $2"
	}
	cond := func(op string, v []byte) {
		args = append(args, v)
		q += " AND " + keyCol + " " + op + " $" + strconv.Itoa(len(args))
	}
	if lo != nil {
		cond(">=", lo)
	}
	if hi != nil {
		cond("<", hi)
	}
	if after != nil {
		if desc {
			cond("<", after)
		} else {
			cond(">", after)
		}
	}
	if desc {
		q += " ORDER BY " + keyCol + " DESC"
	} else {
		q += " ORDER BY " + keyCol
	}
	return q, args, nil
}

type walkRow struct {
	key, id []byte
}

// ScanUsers calls fn with the position and id of each user in range r, in
// the index's order (reversed when desc), starting after the position
// after; see storage.Tx. Every key fn sees is counted in KeysScanned.
func (t *pgTx) ScanUsers(r storage.UserRange, desc bool, after []byte, fn func(pos []byte, id string) (bool, error)) error {
	base, args, err := t.walkQuery(r, desc, after)
	if err != nil {
		return err
	}
	// Pages grow: the first covers a list page of a hundred users and the
	// key past it in one query; a walk that filters reads many.
	n := 128
	for {
		page, err := collect(t, func(row pgx.CollectableRow) (walkRow, error) {
			var w walkRow
			err := row.Scan(&w.key, &w.id)
			return w, err
		}, base+" LIMIT $"+strconv.Itoa(len(args)+1), append(args, n)...)
		if err != nil {
			return err
		}
		for _, w := range page {
			t.s.keysScanned.Add(1)
			more, err := fn(w.key, string(w.id))
			if err != nil || !more {
				return err
			}
		}
		if len(page) < n {
			return nil
		}
		// Resume after the last key read.
		last := page[len(page)-1].key
		base, args, err = t.walkQuery(r, desc, last)
		if err != nil {
			return err
		}
		n = min(n*4, 4096)
	}
}

// SkipUsers returns the position of the n-th user of range r in the
// index's order (reversed when desc), nil when the range holds fewer.
func (t *pgTx) SkipUsers(r storage.UserRange, desc bool, n int) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	q, args, err := t.walkQuery(r, desc, nil)
	if err != nil {
		return nil, err
	}
	var pos, id []byte
	err = t.queryRow(q+" OFFSET $"+strconv.Itoa(len(args)+1)+" LIMIT 1", append(args, n-1)...).Scan(&pos, &id)
	if err == nil {
		t.s.keysScanned.Add(uint64(n))
		return pos, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	// Fewer than n: count what was read, as Bolt does.
	var read int64
	if err := t.queryRow("SELECT count(*) FROM ("+q+") w", args...).Scan(&read); err != nil {
		return nil, err
	}
	t.s.keysScanned.Add(uint64(read))
	return nil, nil
}

// CountUserRange returns the number of users in range r, reading at most
// limit keys; ok is false when there are more than limit (n is then
// limit). All users, and the active or inactive ones, are counted from the
// users table.
func (t *pgTx) CountUserRange(r storage.UserRange, limit int) (n int, ok bool, err error) {
	if r.Kind == storage.RangeAll && r.Index != storage.ByEmail {
		n = t.CountUsers()
		return n, n <= limit, t.failed
	}
	if r.Index == storage.ByActive && r.Kind == storage.RangeEqual {
		n = t.count("SELECT count(*) FROM users WHERE tenant = $1 AND active = $2", t.s.tenant, r.Active)
		return n, n <= limit, t.failed
	}
	if limit < 0 {
		limit = 0
	}
	q, args, err := t.walkQuery(r, false, nil)
	if err != nil {
		return 0, false, err
	}
	var read int64
	q = "SELECT count(*) FROM (" + q + " LIMIT $" + strconv.Itoa(len(args)+1) + ") w"
	if err := t.queryRow(q, append(args, int64(min(limit, math.MaxInt64-1))+1)...).Scan(&read); err != nil {
		return 0, false, err
	}
	t.s.keysScanned.Add(uint64(read))
	if int(read) > limit {
		return limit, false, nil
	}
	return int(read), true, nil
}
