package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/klauspost/compress/s2"
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
//
// The record is of format recordFormatAudit2: the ids of its header and the
// values of its changes are id strings (idstring.go), and it is compressed
// with dictV2, whose words are those audit records repeat.
func (s *Bolt) PrepareAudit(rec AuditRecord) PreparedAudit {
	if rec.Time.IsZero() {
		rec.Time = time.Now()
	}
	e := encoder{b: make([]byte, 0, 128)}
	e.time(rec.Time)
	e.str(rec.Credential)
	e.idStr(rec.RequestID)
	e.str(rec.Operation)
	e.str(rec.ResourceType)
	e.idStr(rec.ResourceID)
	e.idStr(rec.AbsorbID)
	e.str(rec.UserName)
	e.str(rec.Outcome)
	e.uint(uint64(len(rec.Changes)))
	for _, c := range rec.Changes {
		e.str(c.Field)
		e.idStr(c.From)
		e.idStr(c.To)
	}
	return PreparedAudit{Record: rec, v: s.codec.recordAs(recordFormatAudit2, blobS2Dict2, &e, nil)}
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
	// Records of format 1, written before schema version 5, hold every
	// string as it is.
	format := byte(recordFormat)
	if len(v) > 0 && v[0] == recordFormatAudit2 {
		format = recordFormatAudit2
	}
	d, _, err := tx.s.codec.openAs(format, v, false)
	if err != nil {
		return AuditRecord{}, fmt.Errorf("decode audit record %d: %w", rec.Seq, err)
	}
	id := d.str
	if format == recordFormatAudit2 {
		id = d.idStr
	}
	rec.Time = d.time()
	rec.Credential = d.str()
	rec.RequestID = id()
	rec.Operation = d.str()
	rec.ResourceType = d.str()
	rec.ResourceID = id()
	rec.AbsorbID = id()
	rec.UserName = d.str()
	rec.Outcome = d.str()
	if n := d.count(); n > 0 {
		rec.Changes = make([]FieldChange, n)
		for i := range rec.Changes {
			c := &rec.Changes[i]
			c.Field = d.str()
			c.From = id()
			c.To = id()
		}
	}
	if d.err != nil {
		return AuditRecord{}, fmt.Errorf("decode audit record %d: %w", rec.Seq, d.err)
	}
	return rec, nil
}

// s2DictV2 is dictV2 as an S2 dictionary. Its first repeat offset, like the
// dictionary itself, is part of the file format and must never change.
var s2DictV2 = s2.MakeDictManual([]byte(dictV2), s2DictV2Repeat)

// s2DictV2Repeat is where the words of audit records begin in dictV2, just
// after dictV1.
const s2DictV2Repeat = 2005

// dictV2 is the S2 dictionary of blobS2Dict2 bodies: dictV1, whose names of
// SCIM and Absorb attributes audit records name too, then the words audit
// records repeat as their header writes them (each string after its length,
// the values of a change as id strings): the bridge's own credentials, the
// operations and outcomes, the attributes a change names, and last, where
// they are cheapest to refer to, those of a create from nothing. It holds
// names only, never values. It is part of the file format: it must never
// change (a new dictionary is a new blob kind).
const dictV2 = dictV1 +
	"\x17bridge:abandoned-create\x11bridge:background\x10bridge:reconcile\x0cbridge:rules\x0bbridge:sync" +
	"\x0bdeactivated\x08inactive\x04kept\x04none\x06linked\x04held\x07warning\x07refused\x07dry-run" +
	"\x0fscim-membership\x04User\x0bscim-delete\x04User\x0bcancel-hold\x04User\x07discard\x04User" +
	"\x07release\x04User\x04hold\x04User\x08unenroll\x04User\x06enroll\x04User\x04sync\x04User" +
	"\x0areactivate\x04User\x0adeactivate\x04User" +
	"\x05group\x06reason\x07request\x0aenrollment\x08courseId" +
	"\x0dcustomFields.\x10ccEmailAddresses\x07roleIds\x0edateTerminated\x09dateHired\x0csupervisorId" +
	"\x0freferenceNumber\x05notes\x08location\x0eemployeeNumber\x05phone\x0apostalCode\x09countryId" +
	"\x0aprovinceId\x04city\x08address2\x07address\x0amiddleName\x0cactiveStatus\x06gender\x0alanguageId" +
	"\x0cisInstructor\x09isManager\x07isAdmin" +
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.\x0dmanager.value\x0acostCenter" +
	"\x0corganization\x08division\x0adepartment\x0eemployeeNumber" +
	"\x09addresses\x0cphoneNumbers\x08userType\x08timezone\x06locale\x11preferredLanguage\x08nickName" +
	"\x0fname.middleName\x0ename.formatted\x0bdisplayName" +
	`[{"primary":true,"type":"mobile","value":"+1 [{"primary":true,"type":"work","value":"` +
	"\x06update\x04User\x0bscim-update\x04User\x06create\x04User\x06upload\x04User\x0bscim-create\x04User" +
	"\x06failed\x08accepted\x02ok" +
	"\x02id\x02\x06active\x02\x06true\x06emails\x02\x0fname.familyName\x02\x0ename.givenName\x02" +
	"\x05title\x02\x08userName\x02" +
	"\x0cdepartmentId\x02\x09firstName\x02\x08lastName\x02\x08username\x02\x0cemailAddress\x02" +
	"\x0aexternalId\x02\x08jobTitle\x02\x09isLearner\x07false\x06true\x0bhasUsername\x07false\x06true"
