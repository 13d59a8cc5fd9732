package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"
)

// auditFillPercent packs audit pages tightly: keys only ever grow.
const auditFillPercent = 0.95

// AuditRecord is one entry of the append-only audit log.
type AuditRecord struct {
	Seq          uint64    // assigned by AppendAudit, from 1
	Time         time.Time // read back in UTC
	Credential   string    // which client credential made the request (its name, never the secret)
	RequestID    string
	Operation    string
	ResourceType string
	ResourceID   string
	AbsorbID     string
	UserName     string
	Outcome      string
	Changes      []FieldChange
}

// FieldChange is one attribute changed by an audited operation.
type FieldChange struct {
	Field string
	From  string
	To    string
}

// AppendAudit appends rec with the next sequence number (the bucket's
// NextSequence, so numbers are never reused even after pruning) and returns
// that number. rec.Seq is ignored; a zero rec.Time is set to the current time.
func (tx *boltTx) AppendAudit(rec AuditRecord) (uint64, error) {
	return tx.AppendPreparedAudit(tx.s.PrepareAudit(rec))
}

// PreparedAudit is an audit record encoded ahead of the write transaction
// that appends it; see PreparedUser.
type PreparedAudit struct {
	Record AuditRecord // with Time set
	v      []byte      // Bolt's encoding of Record, nil when not prepared by Bolt
}

// PrepareAudit encodes rec for AppendPreparedAudit; a zero rec.Time is set to
// the current time now.
func (s *Bolt) PrepareAudit(rec AuditRecord) PreparedAudit {
	if rec.Time.IsZero() {
		rec.Time = time.Now()
	}
	e := encoder{b: make([]byte, 0, 128)}
	e.time(rec.Time)
	for _, s := range []string{rec.Credential, rec.RequestID, rec.Operation, rec.ResourceType,
		rec.ResourceID, rec.AbsorbID, rec.UserName, rec.Outcome} {
		e.str(s)
	}
	e.uint(uint64(len(rec.Changes)))
	for _, c := range rec.Changes {
		e.str(c.Field)
		e.str(c.From)
		e.str(c.To)
	}
	return PreparedAudit{Record: rec, v: s.codec.record(&e, nil)}
}

// AppendPreparedAudit is AppendAudit for a record encoded by PrepareAudit.
func (tx *boltTx) AppendPreparedAudit(p PreparedAudit) (uint64, error) {
	if p.v == nil {
		p = tx.s.PrepareAudit(p.Record)
	}
	b := tx.b(bAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("append audit: %w", err)
	}
	if err := b.Put(seqKey(seq), p.v); err != nil {
		return 0, fmt.Errorf("append audit: %w", err)
	}
	return seq, nil
}

// ForEachAudit calls fn for each audit record with Seq >= fromSeq, in
// ascending Seq order. fn returns false to stop; its error stops the walk and
// is returned as it is.
func (tx *boltTx) ForEachAudit(fromSeq uint64, fn func(AuditRecord) (bool, error)) error {
	c := tx.b(bAudit).Cursor()
	for k, v := c.Seek(seqKey(fromSeq)); k != nil; k, v = c.Next() {
		rec, err := tx.decodeAudit(k, v)
		if err != nil {
			return err
		}
		more, err := fn(rec)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// PruneAudit deletes the oldest audit records, those with Time before
// before, stopping at the first newer one or after limit records (limit <= 0:
// no limit). It returns how many it deleted.
func (tx *boltTx) PruneAudit(before time.Time, limit int) (int, error) {
	var keys [][]byte
	c := tx.b(bAudit).Cursor()
	for k, v := c.First(); k != nil && (limit <= 0 || len(keys) < limit); k, v = c.Next() {
		rec, err := tx.decodeAudit(k, v)
		if err != nil {
			return 0, err
		}
		if !rec.Time.Before(before) {
			break
		}
		keys = append(keys, bytes.Clone(k))
	}
	b := tx.b(bAudit)
	for i, k := range keys {
		if err := b.Delete(k); err != nil {
			return i, fmt.Errorf("prune audit: %w", err)
		}
	}
	return len(keys), nil
}

func (tx *boltTx) decodeAudit(k, v []byte) (AuditRecord, error) {
	if len(k) != 8 {
		return AuditRecord{}, fmt.Errorf("decode audit record: key of %d bytes", len(k))
	}
	rec := AuditRecord{Seq: binary.BigEndian.Uint64(k)}
	d, _, err := tx.s.codec.open(v, false)
	if err != nil {
		return AuditRecord{}, fmt.Errorf("decode audit record %d: %w", rec.Seq, err)
	}
	rec.Time = d.time()
	for _, p := range []*string{&rec.Credential, &rec.RequestID, &rec.Operation, &rec.ResourceType,
		&rec.ResourceID, &rec.AbsorbID, &rec.UserName, &rec.Outcome} {
		*p = d.str()
	}
	if n := d.count(); n > 0 {
		rec.Changes = make([]FieldChange, n)
		for i := range rec.Changes {
			rec.Changes[i] = FieldChange{Field: d.str(), From: d.str(), To: d.str()}
		}
	}
	if d.err != nil {
		return AuditRecord{}, fmt.Errorf("decode audit record %d: %w", rec.Seq, d.err)
	}
	return rec, nil
}
