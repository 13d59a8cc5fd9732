package storage

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// walkConvertChunk is how many keys one transaction of convertWalkKeys
// writes. They are appended in order, so a transaction writes about the
// pages its keys fill, not a page per key as keys in random order would. A
// variable, so that a test can stop a conversion half way through an index.
var walkConvertChunk = 50_000

// walkConversion is the bucket under which convertWalkKeys builds each walk
// index before it takes the place of the old one. It holds, for an index in
// progress, the index's bucket (the keys converted so far) and "next/"+name
// (the last old key converted), "copied/"+name once every key is, and
// "moved/"+name once the copy has taken the old index's place. The
// transaction that writes the new schema version drops it (retiredBuckets).
var walkConversion = []byte("migrate/walkKeys")

// convertingVersion is the schema version of a file whose walk keys
// convertWalkKeys has begun to convert: a build of version 3 or 4 refuses
// it, where it would take converted keys for its own, and a writable Open
// goes on with the conversion.
const convertingVersion = "5-converting"

// convertWalkKeys brings the walk index keys of a file of schema version 3 or
// 4, which end with the id as a string, to the form of version 5
// (walkid.go). wid keeps the order of ids as strings, so the keys of an
// index, read in order and converted, arrive in order: each index is copied,
// converted, into a bucket of the same name under walkConversion, a chunk of
// keys per transaction, and then takes the place of the old one. A
// conversion that stops goes on where it stopped at the next Open: an index
// not yet moved still holds every old key. users/keys needs nothing: its
// values hold keys without their ids.
func (s *Bolt) convertWalkKeys() error {
	if err := s.db.Update(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketNames[bMeta]).Put(keySchema, []byte(convertingVersion))
	}); err != nil {
		return fmt.Errorf("migrate to schema version %s: %w", schemaVersion, err)
	}
	for _, b := range walkBuckets {
		for {
			done, err := s.convertWalkChunk(b)
			if err != nil {
				return fmt.Errorf("migrate to schema version %s: %s: %w", schemaVersion, bucketNames[b], err)
			}
			if done {
				break
			}
		}
	}
	return nil
}

// convertWalkChunk converts the next walkConvertChunk keys of walk index b,
// and when none is left, puts the converted index in the old one's place.
func (s *Bolt) convertWalkChunk(b bucketID) (done bool, err error) {
	idx, name := walkIndexOf(b), bucketNames[b]
	nextKey := append([]byte("next/"), name...)
	copiedKey := append([]byte("copied/"), name...)
	movedKey := append([]byte("moved/"), name...)
	err = s.db.Update(func(btx *bolt.Tx) error {
		work, err := btx.CreateBucketIfNotExists(walkConversion)
		if err != nil {
			return err
		}
		if work.Get(movedKey) != nil {
			done = true
			return nil
		}
		if work.Get(copiedKey) != nil {
			// bbolt moves a bucket as its last commit left it, so the
			// move has a transaction of its own.
			done = true
			if err := btx.DeleteBucket(name); err != nil {
				return err
			}
			if err := btx.MoveBucket(name, work, nil); err != nil {
				return err
			}
			return work.Put(movedKey, nil)
		}
		old := btx.Bucket(name)
		if old == nil {
			return fmt.Errorf("%w: the bucket is missing", ErrCorrupt)
		}
		dst, err := work.CreateBucketIfNotExists(name)
		if err != nil {
			return err
		}
		dst.FillPercent = orderedFillPercent
		c := old.Cursor()
		k, _ := c.First()
		if last := work.Get(nextKey); last != nil {
			if k, _ = c.Seek(last); k != nil && string(k) == string(last) {
				k, _ = c.Next()
			}
		}
		var prev []byte
		for n := 0; k != nil && n < walkConvertChunk; k, _ = c.Next() {
			n++
			prev = k
			start := walkIDStart(idx, k)
			if start == len(k) {
				// A key without an id names no user; writing the user
				// puts its keys back.
				continue
			}
			key := appendWalkID(append(make([]byte, 0, start+canonicalIDLen), k[:start]...), string(k[start:]))
			if err := dst.Put(key, nil); err != nil {
				return err
			}
		}
		if k != nil {
			return work.Put(nextKey, prev)
		}
		return work.Put(copiedKey, nil)
	})
	return done, err
}
