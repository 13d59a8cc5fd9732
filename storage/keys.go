package storage

import (
	"encoding/binary"
	"strings"
)

// The bucket layout is documented in doc.go.

// schemaVersion is the value of meta/"schema" this package writes and the
// only one Open accepts. It is 2 because the Absorb copies kept in their
// users' values (linked.go) made the layout of earlier development builds,
// which no release wrote, unreadable as it is.
const schemaVersion = "2"

type bucketID int

const (
	bMeta bucketID = iota
	bUsers
	bUserName
	bUserExternalID
	bUserAbsorbID
	bUserEmail
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
	numBuckets
)

// bucketNames never change: they are the file format.
var bucketNames = [numBuckets][]byte{
	bMeta:             []byte("meta"),
	bUsers:            []byte("users"),
	bUserName:         []byte("users/userName"),
	bUserExternalID:   []byte("users/externalId"),
	bUserAbsorbID:     []byte("users/absorbId"),
	bUserEmail:        []byte("users/email"),
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
