package storage

// ForEachAuditBackward calls fn for each audit record with Seq < beforeSeq
// (every record when beforeSeq is 0), newest first: the order a person
// reading the feed wants. fn returns false to stop; its error stops the walk
// and is returned as it is.
func (tx *boltTx) ForEachAuditBackward(beforeSeq uint64, fn func(AuditRecord) (bool, error)) error {
	c := tx.b(bAudit).Cursor()
	var k, v []byte
	if beforeSeq == 0 {
		k, v = c.Last()
	} else {
		k, v = c.Seek(seqKey(beforeSeq))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	for ; k != nil; k, v = c.Prev() {
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
