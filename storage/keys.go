package storage

import (
	"encoding/binary"
	"strings"
)

// The bucket layout is documented in doc.go.

// schemaVersion is the value of meta/"schema" this package writes and the
// only one Open accepts. Version 2 put the Absorb copies in their users'
// values (linked.go); version 3 added the walk indexes (userindex.go), which
// a writable Open builds in a file of version 2 (migrate.go); version 4
// dropped the email and externalId indexes the walk indexes repeat, and keeps
// in users/keys only the keys the user record cannot give back; version 5
// holds the same data in fewer bytes (see "Schema version 5" in doc.go).
const schemaVersion = "5"

type bucketID int

const (
	bMeta bucketID = iota
	bUsers
	bUserName
	bUserAbsorbID
	bAbsorbUsers
	bAbsorbUsername
	bAbsorbExternalID
	bIntents
	bGroups
	bGroupDisplayName
	bGroupExternalID
	bGroupMemberCount
	bMembers
	bMemberOf
	bCursors
	bRuleState
	bAudit
	bHolds
	bGroupExternalIDs
	bUserKeys
	bUserSortUserName
	bUserSortExternalID
	bUserSortEmail
	bUserSortFamilyName
	bUserSortGivenName
	bUserSortDisplayName
	bUserSortLastModified
	bUserSortActive
	numBuckets
)

// bucketNames never change: they are the file format.
var bucketNames = [numBuckets][]byte{
	bMeta:             []byte("meta"),
	bUsers:            []byte("users"),
	bUserName:         []byte("users/userName"),
	bUserAbsorbID:     []byte("users/absorbId"),
	bAbsorbUsers:      []byte("absorb/users"),
	bAbsorbUsername:   []byte("absorb/username"),
	bAbsorbExternalID: []byte("absorb/externalId"),
	bIntents:          []byte("intents"),
	bGroups:           []byte("groups"),
	bGroupDisplayName: []byte("groups/displayName"),
	bGroupExternalID:  []byte("groups/externalId"),
	bGroupExternalIDs: []byte("groups/externalIds"),
	bGroupMemberCount: []byte("groups/memberCount"),
	bMembers:          []byte("members"),
	bMemberOf:         []byte("memberOf"),
	bCursors:          []byte("cursors"),
	bRuleState:        []byte("ruleState"),
	bAudit:            []byte("audit"),
	bHolds:            []byte("holds"),

	// The walk indexes of schema version 3 (userindex.go).
	bUserKeys:             []byte("users/keys"),
	bUserSortUserName:     []byte("users/by/userName"),
	bUserSortExternalID:   []byte("users/by/externalId"),
	bUserSortEmail:        []byte("users/by/email"),
	bUserSortFamilyName:   []byte("users/by/familyName"),
	bUserSortGivenName:    []byte("users/by/givenName"),
	bUserSortDisplayName:  []byte("users/by/displayName"),
	bUserSortLastModified: []byte("users/by/lastModified"),
	bUserSortActive:       []byte("users/by/active"),
}

// laterBuckets were added after schema version 2 without a new version: a
// writable Open creates them in a file that lacks them (an older reader
// ignores them), and a read-only transaction over such a file reads them as
// empty.
var laterBuckets = [numBuckets]bool{bHolds: true, bGroupExternalIDs: true}

// meta keys.
var keySchema = []byte("schema")

// counter names a kept count in the meta bucket.
type counter int

const (
	cUsers counter = iota
	cAbsorbUsers
	cGroups
	cMemberships
	cIntents
	numCounters
)

var counterKeys = [numCounters][]byte{
	cUsers:       []byte("count/users"),
	cAbsorbUsers: []byte("count/absorbUsers"),
	cGroups:      []byte("count/groups"),
	cMemberships: []byte("count/memberships"),
	cIntents:     []byte("count/intents"),
}

// FoldCase is the case folding of emails and group displayNames:
// strings.ToLower of the UTF-8. userNames have FoldUserName.
func FoldCase(s string) string { return strings.ToLower(s) }

// prefixKey returns lp(a): uvarint(len(a)) then a.
func prefixKey(a string) []byte {
	k := make([]byte, 0, binary.MaxVarintLen32+len(a))
	k = binary.AppendUvarint(k, uint64(len(a)))
	return append(k, a...)
}

// pairKey returns lp(a) then b.
func pairKey(a, b string) []byte {
	k := make([]byte, 0, binary.MaxVarintLen32+len(a)+len(b))
	k = binary.AppendUvarint(k, uint64(len(a)))
	k = append(k, a...)
	return append(k, b...)
}

// seqKey is the big-endian key of an audit sequence number.
func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}
