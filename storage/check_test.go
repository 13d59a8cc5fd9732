package storage

import (
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestCheckFindsDamage(t *testing.T) {
	tests := []struct {
		name   string
		damage func(tx *bolt.Tx) error
		want   string
	}{
		{
			name: "index entry of a missing user",
			damage: func(tx *bolt.Tx) error {
				return tx.Bucket(bucketNames[bUserName]).Put([]byte("ghost"), []byte("nobody"))
			},
			want: `users/userName: "ghost" points at missing "nobody"`,
		},
		{
			name: "missing index entry",
			damage: func(tx *bolt.Tx) error {
				return tx.Bucket(bucketNames[bUserSortExternalID]).Delete(appendWalkID(valueKey("ext-u1"), "u1"))
			},
			want: `users/by/externalId: user "u1" has no key`,
		},
		{
			name: "stale email entry",
			damage: func(tx *bolt.Tx) error {
				return tx.Bucket(bucketNames[bUserSortEmail]).Put(appendWalkID(valueKey("old@example.com"), "u1"), nil)
			},
			want: "users/by/email holds 2 keys, the users have 1",
		},
		{
			name: "wrong counter",
			damage: func(tx *bolt.Tx) error {
				return tx.Bucket(bucketNames[bMeta]).Put(counterKeys[cUsers], []byte{0, 0, 0, 0, 0, 0, 0, 9})
			},
			want: "count/users is 9 but there are 1",
		},
		{
			name: "one-sided membership",
			damage: func(tx *bolt.Tx) error {
				return tx.Bucket(bucketNames[bMemberOf]).Delete(pairKey("u1", "g1"))
			},
			want: `memberOf: no entry for user "u1" in group "g1"`,
		},
		{
			name: "wrong member count",
			damage: func(tx *bolt.Tx) error {
				return tx.Bucket(bucketNames[bGroupMemberCount]).Put([]byte("g1"), []byte{0, 0, 0, 0, 0, 0, 0, 3})
			},
			want: `group "g1" has 1 members but records 3`,
		},
		{
			name: "undecodable record",
			damage: func(tx *bolt.Tx) error {
				return tx.Bucket(bucketNames[bUsers]).Put([]byte("u1"), []byte{recordFormat, blobS2Dict1, 0xff})
			},
			want: `decode user "u1"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			putUsers(t, s, testUser("u1", "ada@example.com", "ada@example.com"))
			putGroups(t, s, Group{ID: "g1", DisplayName: "One"})
			update(t, s, func(tx *boltTx) error { _, err := tx.AddMember("g1", Member{UserID: "u1"}); return err })
			checkStore(t, s)
			if err := s.db.Update(tt.damage); err != nil {
				t.Fatal(err)
			}
			wantCorrupt(t, s, tt.want)
		})
	}
}

// TestCheckUserWithManyEmails checks a file holding a user with thousands of
// emails (an earlier build took any number): Check reads each user's emails
// once, so it ends, and finds nothing wrong.
func TestCheckUserWithManyEmails(t *testing.T) {
	s := openTest(t)
	emails := make([]string, 5000)
	for i := range emails {
		emails[i] = fmt.Sprintf("alias%d@example.com", i)
	}
	putUsers(t, s, testUser("u1", "many@example.com", emails...))
	checkStore(t, s)
}
