package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/absorb-scim/absorb-scim/storage"
)

// PutIntent inserts or replaces the intent with key
// storage.FoldUserName(in.Key).
func (t *pgTx) PutIntent(in storage.Intent) error {
	key := storage.FoldUserName(in.Key)
	if key == "" {
		return errors.New("put intent: empty key")
	}
	if _, err := t.exec(`INSERT INTO intents (tenant, key, scim_id, resource, started) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant, key) DO UPDATE SET scim_id = excluded.scim_id, resource = excluded.resource, started = excluded.started`,
		t.s.tenant, []byte(key), b(in.SCIMID), raw(in.Resource), nanos(in.Started)); err != nil {
		return fmt.Errorf("put intent %q: %w", key, err)
	}
	return nil
}

const intentCols = "key, scim_id, resource, started"

func scanIntent(row pgx.CollectableRow) (storage.Intent, error) { return scanIntentRow(row) }

func scanIntentRow(row pgx.Row) (storage.Intent, error) {
	var key, id, resource []byte
	var started *int64
	if err := row.Scan(&key, &id, &resource, &started); err != nil {
		return storage.Intent{}, err
	}
	return storage.Intent{Key: string(key), SCIMID: string(id), Resource: doc(resource), Started: fromNanos(started)}, nil
}

// Intent returns the intent with key storage.FoldUserName(key), or
// ErrNotFound.
func (t *pgTx) Intent(key string) (storage.Intent, error) {
	key = storage.FoldUserName(key)
	if key == "" {
		return storage.Intent{}, fmt.Errorf("intent %q: %w", key, storage.ErrNotFound)
	}
	in, err := scanIntentRow(t.queryRow("SELECT "+intentCols+" FROM intents WHERE tenant = $1 AND key = $2", t.s.tenant, []byte(key)))
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.Intent{}, fmt.Errorf("intent %q: %w", key, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Intent{}, fmt.Errorf("intent %q: %w", key, err)
	}
	return in, nil
}

// DeleteIntent removes the intent with key storage.FoldUserName(key);
// deleting one that does not exist is not an error.
func (t *pgTx) DeleteIntent(key string) error {
	key = storage.FoldUserName(key)
	if key == "" {
		return nil
	}
	if _, err := t.exec("DELETE FROM intents WHERE tenant = $1 AND key = $2", t.s.tenant, []byte(key)); err != nil {
		return fmt.Errorf("delete intent %q: %w", key, err)
	}
	return nil
}

// ForEachIntent calls fn for each intent in ascending key order.
func (t *pgTx) ForEachIntent(fn func(storage.Intent) (bool, error)) error {
	last := []byte{}
	return forEachPage(func(n int) ([]storage.Intent, error) {
		page, err := collect(t, scanIntent, "SELECT "+intentCols+" FROM intents WHERE tenant = $1 AND key > $2 ORDER BY key LIMIT $3",
			t.s.tenant, last, n)
		if len(page) > 0 {
			last = []byte(page[len(page)-1].Key)
		}
		return page, err
	}, fn)
}

// CountIntents returns the number of intents.
func (t *pgTx) CountIntents() int {
	return t.count("SELECT count(*) FROM intents WHERE tenant = $1", t.s.tenant)
}

// PutHold inserts or replaces the hold of h.UserID.
func (t *pgTx) PutHold(h storage.Hold) error {
	if h.UserID == "" {
		return errors.New("put hold: empty user id")
	}
	if _, err := t.exec(`INSERT INTO holds (tenant, user_id, absorb_id, user_name, kind, time, credential, request_id, resource)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (tenant, user_id) DO UPDATE SET absorb_id = excluded.absorb_id, user_name = excluded.user_name,
			kind = excluded.kind, time = excluded.time, credential = excluded.credential,
			request_id = excluded.request_id, resource = excluded.resource`,
		t.s.tenant, []byte(h.UserID), b(h.AbsorbID), b(h.UserName), b(h.Kind), nanos(h.Time), b(h.Credential),
		b(h.RequestID), raw(h.Resource)); err != nil {
		return fmt.Errorf("put hold %q: %w", h.UserID, err)
	}
	return nil
}

const holdCols = "user_id, absorb_id, user_name, kind, time, credential, request_id, resource"

func scanHold(row pgx.CollectableRow) (storage.Hold, error) { return scanHoldRow(row) }

func scanHoldRow(row pgx.Row) (storage.Hold, error) {
	var id, absorbID, userName, kind, credential, requestID, resource []byte
	var at *int64
	if err := row.Scan(&id, &absorbID, &userName, &kind, &at, &credential, &requestID, &resource); err != nil {
		return storage.Hold{}, err
	}
	return storage.Hold{UserID: string(id), AbsorbID: string(absorbID), UserName: string(userName), Kind: string(kind),
		Time: fromNanos(at), Credential: string(credential), RequestID: string(requestID), Resource: doc(resource)}, nil
}

// Hold returns the hold of the user, or ErrNotFound.
func (t *pgTx) Hold(userID string) (storage.Hold, error) {
	if userID == "" {
		return storage.Hold{}, fmt.Errorf("hold %q: %w", userID, storage.ErrNotFound)
	}
	h, err := scanHoldRow(t.queryRow("SELECT "+holdCols+" FROM holds WHERE tenant = $1 AND user_id = $2", t.s.tenant, []byte(userID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.Hold{}, fmt.Errorf("hold %q: %w", userID, storage.ErrNotFound)
	}
	if err != nil {
		return storage.Hold{}, fmt.Errorf("hold %q: %w", userID, err)
	}
	return h, nil
}

// DeleteHold removes the hold of the user; removing one that does not
// exist is not an error.
func (t *pgTx) DeleteHold(userID string) error {
	if userID == "" {
		return nil
	}
	if _, err := t.exec("DELETE FROM holds WHERE tenant = $1 AND user_id = $2", t.s.tenant, []byte(userID)); err != nil {
		return fmt.Errorf("delete hold %q: %w", userID, err)
	}
	return nil
}

// ForEachHold calls fn for each hold in user id order.
func (t *pgTx) ForEachHold(fn func(storage.Hold) (bool, error)) error {
	last := []byte{}
	return forEachPage(func(n int) ([]storage.Hold, error) {
		page, err := collect(t, scanHold, "SELECT "+holdCols+" FROM holds WHERE tenant = $1 AND user_id > $2 ORDER BY user_id LIMIT $3",
			t.s.tenant, last, n)
		if len(page) > 0 {
			last = []byte(page[len(page)-1].UserID)
		}
		return page, err
	}, fn)
}

// AppendAudit appends rec with the next number of the audit_seq sequence
// and returns it. rec.Seq is ignored; a zero rec.Time is set to the current
// time.
func (t *pgTx) AppendAudit(rec storage.AuditRecord) (uint64, error) {
	return t.AppendPreparedAudit(t.s.PrepareAudit(rec))
}

// AppendPreparedAudit is AppendAudit for a record prepared by
// PrepareAudit. Numbers increase and are never reused, even after a prune
// or a rolled back write, but they have gaps: one sequence serves every
// tenant, and no writer waits for another's number.
func (t *pgTx) AppendPreparedAudit(p storage.PreparedAudit) (uint64, error) {
	rec := p.Record
	if rec.Time.IsZero() {
		rec.Time = time.Now()
	}
	if !t.writable {
		return 0, fmt.Errorf("append audit: %w", errReadOnly)
	}
	fields := make([][]byte, len(rec.Changes))
	from := make([][]byte, len(rec.Changes))
	to := make([][]byte, len(rec.Changes))
	for i, c := range rec.Changes {
		fields[i], from[i], to[i] = b(c.Field), b(c.From), b(c.To)
	}
	var seq int64
	err := t.queryRow(`INSERT INTO audit (tenant, seq, time, credential, request_id, operation, resource_type, resource_id,
			absorb_id, user_name, outcome, change_field, change_from, change_to)
		VALUES ($1, nextval('audit_seq'), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING seq`,
		t.s.tenant, nanos(rec.Time), b(rec.Credential), b(rec.RequestID), b(rec.Operation), b(rec.ResourceType),
		b(rec.ResourceID), b(rec.AbsorbID), b(rec.UserName), b(rec.Outcome), fields, from, to).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("append audit: %w", err)
	}
	return uint64(seq), nil
}

const auditCols = `seq, time, credential, request_id, operation, resource_type, resource_id, absorb_id, user_name,
	outcome, change_field, change_from, change_to`

func scanAudit(row pgx.CollectableRow) (storage.AuditRecord, error) {
	var (
		seq              int64
		at               *int64
		s                [8][]byte
		fields, from, to [][]byte
		rec              storage.AuditRecord
	)
	if err := row.Scan(&seq, &at, &s[0], &s[1], &s[2], &s[3], &s[4], &s[5], &s[6], &s[7], &fields, &from, &to); err != nil {
		return rec, err
	}
	rec.Seq, rec.Time = uint64(seq), fromNanos(at)
	for i, p := range []*string{&rec.Credential, &rec.RequestID, &rec.Operation, &rec.ResourceType,
		&rec.ResourceID, &rec.AbsorbID, &rec.UserName, &rec.Outcome} {
		*p = string(s[i])
	}
	if len(fields) != len(from) || len(fields) != len(to) {
		return rec, fmt.Errorf("audit record %d: %d changed fields, %d old and %d new values", seq, len(fields), len(from), len(to))
	}
	if len(fields) > 0 {
		rec.Changes = make([]storage.FieldChange, len(fields))
		for i := range fields {
			rec.Changes[i] = storage.FieldChange{Field: string(fields[i]), From: string(from[i]), To: string(to[i])}
		}
	}
	return rec, nil
}

// ForEachAudit calls fn for each audit record with Seq >= fromSeq, in
// ascending Seq order.
func (t *pgTx) ForEachAudit(fromSeq uint64, fn func(storage.AuditRecord) (bool, error)) error {
	if fromSeq > math.MaxInt64 {
		return nil
	}
	next := int64(fromSeq)
	return forEachPage(func(n int) ([]storage.AuditRecord, error) {
		page, err := collect(t, scanAudit, "SELECT "+auditCols+" FROM audit WHERE tenant = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
			t.s.tenant, next, n)
		if len(page) > 0 {
			next = int64(page[len(page)-1].Seq) + 1
		}
		return page, err
	}, fn)
}

// ForEachAuditBackward calls fn for each audit record with Seq < beforeSeq
// (every record when beforeSeq is 0), newest first.
func (t *pgTx) ForEachAuditBackward(beforeSeq uint64, fn func(storage.AuditRecord) (bool, error)) error {
	before := int64(math.MaxInt64)
	if beforeSeq != 0 && beforeSeq < math.MaxInt64 {
		before = int64(beforeSeq)
	}
	return forEachPage(func(n int) ([]storage.AuditRecord, error) {
		page, err := collect(t, scanAudit, "SELECT "+auditCols+" FROM audit WHERE tenant = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
			t.s.tenant, before, n)
		if len(page) > 0 {
			before = int64(page[len(page)-1].Seq)
		}
		return page, err
	}, fn)
}

// PruneAudit deletes the oldest audit records, those with Time before
// before, stopping at the first newer one or after limit records (limit
// <= 0: no limit). It returns how many it deleted.
func (t *pgTx) PruneAudit(before time.Time, limit int) (int, error) {
	if !t.writable {
		return 0, fmt.Errorf("prune audit: %w", errReadOnly)
	}
	type entry struct {
		seq int64
		at  *int64
	}
	var last int64 = -1
	pruned := 0
	after := int64(-1)
	for limit <= 0 || pruned < limit {
		n := pageSize * 4
		if limit > 0 {
			n = min(n, limit-pruned)
		}
		page, err := collect(t, func(row pgx.CollectableRow) (entry, error) {
			var e entry
			err := row.Scan(&e.seq, &e.at)
			return e, err
		}, "SELECT seq, time FROM audit WHERE tenant = $1 AND seq > $2 ORDER BY seq LIMIT $3", t.s.tenant, after, n)
		if err != nil {
			return 0, fmt.Errorf("prune audit: %w", err)
		}
		stop := len(page) < n
		for _, e := range page {
			if !fromNanos(e.at).Before(before) {
				stop = true
				break
			}
			last = e.seq
			pruned++
		}
		if stop || len(page) == 0 {
			break
		}
		after = page[len(page)-1].seq
	}
	if pruned == 0 {
		return 0, nil
	}
	// Every record up to the last old one is old: they were read in order.
	if _, err := t.exec("DELETE FROM audit WHERE tenant = $1 AND seq <= $2", t.s.tenant, last); err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	return pruned, nil
}

// Cursor returns the named value; "" when unset.
func (t *pgTx) Cursor(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	var v []byte
	err := t.queryRow("SELECT value FROM cursors WHERE tenant = $1 AND name = $2", t.s.tenant, []byte(name)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cursor %q: %w", name, err)
	}
	return string(v), nil
}

// PutCursor sets the named value; "" removes it.
func (t *pgTx) PutCursor(name, value string) error {
	if name == "" {
		return errors.New("put cursor: empty name")
	}
	var err error
	if value == "" {
		_, err = t.exec("DELETE FROM cursors WHERE tenant = $1 AND name = $2", t.s.tenant, []byte(name))
	} else {
		_, err = t.exec(`INSERT INTO cursors (tenant, name, value) VALUES ($1, $2, $3)
			ON CONFLICT (tenant, name) DO UPDATE SET value = excluded.value`, t.s.tenant, []byte(name), []byte(value))
	}
	if err != nil {
		return fmt.Errorf("put cursor %q: %w", name, err)
	}
	return nil
}

// ForEachCursor calls fn with every named value in name order (byte
// order, as Bolt lists them), until fn returns false or an error. It is not
// part of storage.Tx: it serves the copy of a whole store (storage/dump).
func (t *pgTx) ForEachCursor(fn func(name, value string) (bool, error)) error {
	type entry struct{ name, value string }
	last := []byte{}
	return forEachPage(func(n int) ([]entry, error) {
		page, err := collect(t, func(row pgx.CollectableRow) (entry, error) {
			var name, value []byte
			err := row.Scan(&name, &value)
			return entry{string(name), string(value)}, err
		}, "SELECT name, value FROM cursors WHERE tenant = $1 AND name > $2 ORDER BY name LIMIT $3", t.s.tenant, last, n)
		if len(page) > 0 {
			last = []byte(page[len(page)-1].name)
		}
		return page, err
	}, func(e entry) (bool, error) { return fn(e.name, e.value) })
}

// RuleState returns the group-rule state of the user; nil when unset.
func (t *pgTx) RuleState(userID string) (json.RawMessage, error) {
	if userID == "" {
		return nil, nil
	}
	var v []byte
	err := t.queryRow("SELECT state FROM rule_states WHERE tenant = $1 AND user_id = $2", t.s.tenant, []byte(userID)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rule state of %q: %w", userID, err)
	}
	return v, nil
}

// PutRuleState sets the group-rule state of the user; nil or empty removes
// it. DeleteUser removes it too.
func (t *pgTx) PutRuleState(userID string, state json.RawMessage) error {
	if userID == "" {
		return errors.New("put rule state: empty user id")
	}
	var err error
	if len(state) == 0 {
		_, err = t.exec("DELETE FROM rule_states WHERE tenant = $1 AND user_id = $2", t.s.tenant, []byte(userID))
	} else {
		_, err = t.exec(`INSERT INTO rule_states (tenant, user_id, state) VALUES ($1, $2, $3)
			ON CONFLICT (tenant, user_id) DO UPDATE SET state = excluded.state`, t.s.tenant, []byte(userID), []byte(state))
	}
	if err != nil {
		return fmt.Errorf("put rule state of %q: %w", userID, err)
	}
	return nil
}

// ForEachRuleState calls fn with every user that has group-rule state, in
// ascending user id order.
func (t *pgTx) ForEachRuleState(fn func(userID string, state json.RawMessage) (bool, error)) error {
	type entry struct {
		id    string
		state []byte
	}
	last := []byte{}
	return forEachPage(func(n int) ([]entry, error) {
		page, err := collect(t, func(row pgx.CollectableRow) (entry, error) {
			var id, state []byte
			err := row.Scan(&id, &state)
			return entry{string(id), state}, err
		}, "SELECT user_id, state FROM rule_states WHERE tenant = $1 AND user_id > $2 ORDER BY user_id LIMIT $3",
			t.s.tenant, last, n)
		if len(page) > 0 {
			last = []byte(page[len(page)-1].id)
		}
		return page, err
	}, func(e entry) (bool, error) { return fn(e.id, e.state) })
}
