package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/absorb-scim/absorb-scim/storage"
)

// pgTx is one transaction of a Store; see storage.Tx.
type pgTx struct {
	s        *Store
	ctx      context.Context
	conn     *pgxpool.Conn
	writable bool
	// begin is the statement that begins the transaction, sent with the
	// first statement fn runs; begun says it was, ended that it was
	// committed.
	begin        string
	begun, ended bool
	// failed is the first database error: PostgreSQL has aborted the
	// transaction then, and run reports it (or runs fn again) whatever fn
	// returns.
	failed    error
	wroteUser bool
	// groupsOf holds the group ids of the users a read-only transaction
	// has read (userWhere), for GroupsOfUser.
	groupsOf map[string][]string
}

var _ storage.Tx = (*pgTx)(nil)

// Writable reports whether the transaction may write.
func (t *pgTx) Writable() bool { return t.writable }

// errReadOnly is returned by a write method in a View.
var errReadOnly = errors.New("write in a read-only transaction")

func (t *pgTx) note(err error) error {
	if err != nil && t.failed == nil && !errors.Is(err, pgx.ErrNoRows) {
		t.failed = err
	}
	return err
}

func (t *pgTx) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	if !t.writable {
		return pgconn.CommandTag{}, errReadOnly
	}
	if t.begun {
		tag, err := t.conn.Exec(t.ctx, sql, args...)
		return tag, t.note(err)
	}
	br := t.sendBegin(sql, args)
	tag, err := br.Exec()
	return tag, t.note(closeBatch(br, err))
}

// stmt is one statement of a batch.
type stmt struct {
	sql  string
	args []any
}

// execAll runs stmts in order in one round trip (with the BEGIN when the
// transaction has not begun), stopping at the first error.
func (t *pgTx) execAll(stmts []stmt) error {
	if !t.writable {
		return errReadOnly
	}
	if len(stmts) == 0 {
		return nil
	}
	var batch pgx.Batch
	if !t.begun {
		batch.Queue(t.begin)
	}
	for _, x := range stmts {
		batch.Queue(x.sql, x.args...)
	}
	br := t.conn.SendBatch(t.ctx, &batch)
	var err error
	if !t.begun {
		if _, err = br.Exec(); err == nil {
			t.begun = true
		}
	}
	for range stmts {
		if err != nil {
			break
		}
		_, err = br.Exec()
	}
	return t.note(closeBatch(br, err))
}

// sendBegin sends the statement that begins the transaction and sql in
// one round trip; the caller reads sql's result from the batch, then
// closes it with closeBatch.
func (t *pgTx) sendBegin(sql string, args []any) pgx.BatchResults {
	var batch pgx.Batch
	batch.Queue(t.begin)
	batch.Queue(sql, args...)
	br := t.conn.SendBatch(t.ctx, &batch)
	if _, err := br.Exec(); err == nil {
		t.begun = true
	}
	return br
}

// closeBatch closes br and returns err, or the error of closing it.
func closeBatch(br pgx.BatchResults, err error) error {
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// notingRow records the error of a row's Scan.
type notingRow struct {
	t   *pgTx
	row pgx.Row
	br  pgx.BatchResults // the batch the row came from, closed after Scan; nil for none
}

func (r notingRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if r.br != nil {
		if cerr := r.br.Close(); err == nil {
			err = cerr
		}
	}
	return r.t.note(err)
}

func (t *pgTx) queryRow(sql string, args ...any) pgx.Row {
	if t.begun {
		return notingRow{t: t, row: t.conn.QueryRow(t.ctx, sql, args...)}
	}
	br := t.sendBegin(sql, args)
	return notingRow{t: t, row: br.QueryRow(), br: br}
}

// collect runs a query and scans every row with scan; the rows are closed
// before it returns, so the transaction may run other queries (as the
// functions given to ForEach methods do) while the caller goes through them.
func collect[T any](t *pgTx, scan func(pgx.CollectableRow) (T, error), sql string, args ...any) ([]T, error) {
	if !t.begun {
		br := t.sendBegin(sql, args)
		rows, err := br.Query()
		var list []T
		if err == nil {
			list, err = pgx.CollectRows(rows, scan)
		}
		return list, t.note(closeBatch(br, err))
	}
	rows, err := t.conn.Query(t.ctx, sql, args...)
	if err != nil {
		return nil, t.note(err)
	}
	list, err := pgx.CollectRows(rows, scan)
	return list, t.note(err)
}

// count runs a count query; an error is kept in t.failed (the Count
// methods return no error) and counts as zero.
func (t *pgTx) count(sql string, args ...any) int {
	var n int64
	if err := t.queryRow(sql, args...).Scan(&n); err != nil {
		return 0
	}
	return int(n)
}

// pageSize is how many rows a ForEach method reads per query.
const pageSize = 256

// forEachPage calls fn for each row of the pages fetch returns, until fn
// returns false or an error or a page is short. fetch reads the next page
// of at most n rows.
func forEachPage[T any](fetch func(n int) ([]T, error), fn func(T) (bool, error)) error {
	for {
		page, err := fetch(pageSize)
		if err != nil {
			return err
		}
		for _, x := range page {
			more, err := fn(x)
			if err != nil || !more {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

// b is s as a bytea parameter (” for "", never NULL).
func b(s string) []byte {
	if s == "" {
		return []byte{}
	}
	return []byte(s)
}

// nb is s as a bytea parameter, NULL for "".
func nb(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// raw is a document as a bytea parameter, NULL when empty.
func raw(v []byte) []byte {
	if len(v) == 0 {
		return nil
	}
	return v
}

// doc is a document read back; nil when none was stored.
func doc(v []byte) []byte {
	if len(v) == 0 {
		return nil
	}
	return v
}

// nanos is t as stored: Unix nanoseconds, NULL for the zero time.
func nanos(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}

// fromNanos reads a time stored by nanos back, in UTC.
func fromNanos(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(0, *n).UTC()
}

func strs(list [][]byte) []string {
	if len(list) == 0 {
		return nil
	}
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}

func bytesList(list []string) [][]byte {
	out := make([][]byte, len(list))
	for i, v := range list {
		out[i] = b(v)
	}
	return out
}
