package storage

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// orderedFillPercent is how full a split leaves the pages of a bucket whose
// keys arrive in order: the page that fills up is not written to again.
const orderedFillPercent = 0.9

// fillPercent is how full a split leaves the pages of a bucket in the
// writable transaction btx. bbolt's default of a half suits keys that arrive
// in random order (ids Absorb makes); keys that mostly arrive in order would
// leave every page they pass half empty for good, and the file twice the
// size it needs. The SCIM resources (whose new ids begin with the time, but
// need not: an earlier version's, a restored file's) and the indexes of
// values (userNames, emails, externalIds, display names) get either, as
// their keys arrive (see keyOrder).
func (s *Bolt) fillPercent(btx *bolt.Tx, id bucketID) float64 {
	switch id {
	case bUserAbsorbID, bAbsorbUsers, bMembers, bMemberOf, bGroupMemberCount:
		return bolt.DefaultFillPercent
	case bAudit:
		return auditFillPercent
	case bUsers, bGroups, bUserName, bAbsorbUsername, bAbsorbExternalID,
		bGroupDisplayName, bGroupExternalID, bGroupExternalIDs, bUserKeys, bUserSortUserName, bUserSortExternalID,
		bUserSortEmail, bUserSortFamilyName, bUserSortGivenName, bUserSortDisplayName, bUserSortLastModified,
		bUserSortActive:
		return s.order.fillPercent(btx, id)
	}
	return orderedFillPercent
}

// keyOrder follows how the keys put into those buckets arrive in the current
// writable transaction. They arrive in order in a bulk load of a sorted
// directory, and past the last key when new ids begin with the time; there
// pages split at 90 % stay nearly full, as no later key lands in them. They
// arrive in no order from an IdP creating users one at a time, where a 90 %
// split leaves a sliver that fills slowly while the full page splits again
// and again, leaving index pages mostly empty (BenchmarkFileSize). A bucket is split
// at 90 % when at least three in four of the transaction's keys came after
// the bucket's last key before the transaction or after the key put before
// them, at bbolt's default half otherwise. bbolt reads FillPercent when the
// transaction commits, so every put sets it again.
//
// bbolt runs one writable transaction at a time, so one keyOrder serves the
// store; it starts over when the transaction changes.
type keyOrder struct {
	tx        *bolt.Tx
	started   [numBuckets]bool
	end       [numBuckets][]byte // the bucket's last key before the transaction
	last      [numBuckets][]byte // the key put last
	puts      [numBuckets]int
	ascending [numBuckets]int
}

func (o *keyOrder) fillPercent(btx *bolt.Tx, id bucketID) float64 {
	if o.tx != btx || o.puts[id] == 0 || o.ascending[id]*4 < o.puts[id]*3 {
		return bolt.DefaultFillPercent
	}
	return orderedFillPercent
}

// put puts key into the bucket id, noting the key's order.
func (tx *boltTx) put(id bucketID, key, value []byte) error {
	b := tx.b(id)
	o := &tx.s.order
	if o.tx != tx.tx {
		*o = keyOrder{tx: tx.tx}
	}
	if !o.started[id] {
		o.started[id] = true
		end, _ := b.Cursor().Last()
		o.end[id] = append(o.end[id][:0], end...)
		o.last[id] = append(o.last[id][:0], end...)
	}
	o.puts[id]++
	if bytes.Compare(key, o.end[id]) > 0 || bytes.Compare(key, o.last[id]) > 0 {
		o.ascending[id]++
	}
	o.last[id] = append(o.last[id][:0], key...)
	b.FillPercent = o.fillPercent(tx.tx, id)
	return b.Put(key, value)
}
