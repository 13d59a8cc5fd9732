package storage

// The users, the copies of Absorb's users and the groups are each a bucket
// of records keyed by id, decoded by a function of their own; these read
// any of them.

// decodeFunc decodes the record v of the given id, with its payload (the
// stored document) or without.
type decodeFunc[T any] func(id string, v []byte, withPayload bool) (T, error)

// getRecord reads the record id of bucket, or ErrNotFound.
func getRecord[T any](tx *boltTx, bucket bucketID, id string, withPayload bool, decode decodeFunc[T]) (T, error) {
	var zero T
	if id == "" {
		return zero, ErrNotFound
	}
	v := tx.b(bucket).Get([]byte(id))
	if v == nil {
		return zero, ErrNotFound
	}
	return decode(id, v, withPayload)
}

// getByIndex reads the record of bucket whose id the unique index idx holds
// under key, or ErrNotFound.
func getByIndex[T any](tx *boltTx, idx bucketID, key string, bucket bucketID, decode decodeFunc[T]) (T, error) {
	var zero T
	if key == "" {
		return zero, ErrNotFound
	}
	id := tx.b(idx).Get([]byte(key))
	if id == nil {
		return zero, ErrNotFound
	}
	return getRecord(tx, bucket, string(id), true, decode)
}

// forEachRecord calls fn for each record of bucket with an id after after
// ("" for all), in id order, until fn returns false or an error.
func forEachRecord[T any](tx *boltTx, bucket bucketID, after string, decode decodeFunc[T], fn func(T) (bool, error)) error {
	c := tx.b(bucket).Cursor()
	k, v := c.Seek([]byte(after))
	if k != nil && after != "" && string(k) == after {
		k, v = c.Next()
	}
	for ; k != nil; k, v = c.Next() {
		rec, err := decode(string(k), v, true)
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
