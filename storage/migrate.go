package storage

import (
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// migrateChunk is how many users one transaction of a migration indexes: a
// bulk change is written in transactions of about a thousand records (see
// "File growth" in doc.go).
const migrateChunk = 1000

// retiredBuckets are the buckets of schema version 3 that version 4 no
// longer keeps: the email and externalId indexes, which held the same keys
// (value, then id) as the walk indexes users/by/email and users/by/externalId.
var retiredBuckets = [][]byte{[]byte("users/email"), []byte("users/externalId")}

// migrate brings a file of schema version 2, 3 or 4 to version 5. Files of
// any other version are left to checkLayout. The walk index keys of
// versions 3 and 4 end with the id as a string, where version 5 keeps a
// canonical id in 16 bytes (walkid.go): they are converted.
func (s *Bolt) migrate() error {
	var version string
	if err := s.db.View(func(btx *bolt.Tx) error {
		if meta := btx.Bucket(bucketNames[bMeta]); meta != nil {
			version = string(meta.Get(keySchema))
		}
		return nil
	}); err != nil {
		return err
	}
	switch version {
	case "2":
		if err := s.buildWalkIndexes(); err != nil {
			return err
		}
		return s.retireBuckets()
	case "3", "4", convertingVersion:
		if err := s.convertWalkKeys(); err != nil {
			return err
		}
		return s.retireBuckets()
	}
	return nil
}

// retireBuckets drops retiredBuckets and the work of convertWalkKeys and
// writes the current version, in one transaction: bbolt frees a dropped
// bucket's pages without reading them, and later writes reuse them.
func (s *Bolt) retireBuckets() error {
	err := s.db.Update(func(btx *bolt.Tx) error {
		for _, name := range slices.Concat(retiredBuckets, [][]byte{walkConversion}) {
			if btx.Bucket(name) != nil {
				if err := btx.DeleteBucket(name); err != nil {
					return err
				}
			}
		}
		return btx.Bucket(bucketNames[bMeta]).Put(keySchema, []byte(schemaVersion))
	})
	if err != nil {
		return fmt.Errorf("migrate to schema version %s: %w", schemaVersion, err)
	}
	return nil
}

// buildWalkIndexes builds the walk indexes (userindex.go) and users/keys
// afresh from the users the file holds. Each chunk of users is its own
// transaction and the caller writes the version after the last, so a
// migration that stops half way starts again from the beginning at the
// next Open.
func (s *Bolt) buildWalkIndexes() error {
	err := s.db.Update(func(btx *bolt.Tx) error {
		for _, id := range walkBuckets {
			if btx.Bucket(bucketNames[id]) != nil {
				if err := btx.DeleteBucket(bucketNames[id]); err != nil {
					return err
				}
			}
			if _, err := btx.CreateBucket(bucketNames[id]); err != nil {
				return err
			}
		}
		if btx.Bucket(bucketNames[bUserKeys]) != nil {
			if err := btx.DeleteBucket(bucketNames[bUserKeys]); err != nil {
				return err
			}
		}
		if _, err := btx.CreateBucket(bucketNames[bUserKeys]); err != nil {
			return err
		}
		return btx.Bucket(bucketNames[bMeta]).Delete(keyActiveUsers)
	})
	if err != nil {
		return fmt.Errorf("migrate to schema version %s: %w", schemaVersion, err)
	}
	after := ""
	for {
		done := true
		err := s.db.Update(func(btx *bolt.Tx) error {
			tx := s.newTx(btx)
			var users []User
			err := tx.ForEachUser(after, func(u User) (bool, error) {
				users = append(users, u)
				return len(users) < migrateChunk, nil
			})
			if err != nil {
				return err
			}
			for _, u := range users {
				if err := tx.putWalkKeys(u.ID, nil, nil, walkKeysOf(u), false); err != nil {
					return fmt.Errorf("user %q: %w", u.ID, err)
				}
			}
			if len(users) == migrateChunk {
				after, done = users[len(users)-1].ID, false
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("migrate to schema version %s: %w", schemaVersion, err)
		}
		if done {
			return nil
		}
	}
}
