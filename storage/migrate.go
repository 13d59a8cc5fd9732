package storage

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migrateChunk is how many users one transaction of a migration indexes: a
// bulk change is written in transactions of about a thousand records (see
// "File growth" in doc.go).
const migrateChunk = 1000

// migrate brings a file of schema version 2 to version 3 by building the
// walk indexes (userindex.go) from the users it holds. Each chunk of users
// is its own transaction and the version is written last, so a migration
// that stops half way starts again from the beginning at the next Open.
// Files of any other version are left to checkLayout.
func (s *Bolt) migrate() error {
	var version string
	if err := s.db.View(func(btx *bolt.Tx) error {
		if meta := btx.Bucket(bucketNames[bMeta]); meta != nil {
			version = string(meta.Get(keySchema))
		}
		return nil
	}); err != nil || version != "2" {
		return err
	}
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
		return fmt.Errorf("migrate to schema version 3: %w", err)
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
				if err := tx.putWalkKeys(u.ID, walkKeysOf(u)); err != nil {
					return fmt.Errorf("user %q: %w", u.ID, err)
				}
			}
			if len(users) == migrateChunk {
				after, done = users[len(users)-1].ID, false
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("migrate to schema version 3: %w", err)
		}
		if done {
			break
		}
	}
	if err := s.db.Update(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketNames[bMeta]).Put(keySchema, []byte(schemaVersion))
	}); err != nil {
		return fmt.Errorf("migrate to schema version 3: %w", err)
	}
	return nil
}
