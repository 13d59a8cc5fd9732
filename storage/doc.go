// Package storage keeps all the state of the bridge in one bbolt file: the
// SCIM id <-> Absorb id mappings, the SCIM resources as last written, the
// indexes behind eq-filters, a mirror of Absorb users, pending-create intents,
// groups and their members, sync cursors, per-user rule state and an audit log.
//
// A Store owns the file. Every read and write happens inside one bbolt
// transaction, given to the caller as a *Tx by View, Update or Batch; the
// methods of Tx copy values out of the memory map, so what they return stays
// valid after the transaction ends. Indexes and counters are maintained by the
// same transaction that changes a record, so they can never disagree with it.
//
// # Case folding
//
// userName, Absorb username and create intent keys are FoldUserName of the
// value: Unicode NFC, width folding, full case folding and NFC again, so
// the spellings of one name (a precomposed "é" and "e" with a combining
// accent, full-width letters, "ſam" and "sam", "ß" and "SS") are one key.
// For ASCII it is strings.ToLower, as it was before meta/"userNameFold"
// existed; a writable Open of a file without that key rebuilds these
// indexes once.
//
// email and group displayName lookups are case-insensitive: their index
// keys are FoldCase of the value, which is strings.ToLower of its UTF-8
// (simple Unicode lower-casing, no normalisation: "É" and "é" match, "ß" and
// "SS" do not).
//
// # Buckets and keys
//
// All buckets are top level. "id" is a SCIM id, or the Absorb id in the
// absorb buckets. lp(x) is uvarint(len(x)) followed by x, which makes a
// composite key's first part unambiguous whatever bytes it holds, so a prefix
// scan for lp(x) finds exactly the keys of x.
//
//	meta                 "schema"            -> "5"
//	                     "userNameFold"      -> "2" (FoldUserName; absent: strings.ToLower, rebuilt by Open)
//	                     "count/<name>"      -> uint64 big-endian (users, absorbUsers, groups, memberships, intents)
//	users                id                  -> user record, or 2 uvarint(len(user record)) user-record absorb-record
//	users/userName       ufold(userName)     -> id   (unique)
//	users/absorbId       absorbID            -> id   (unique)
//	absorb/users         absorb id           -> absorb user record (of a copy no user holds), or, in a file
//	                                           of version 4 or older, 3 id (a link to the user that holds it)
//	absorb/username      ufold(username)     -> absorb id (last write wins)
//	absorb/externalId    externalId          -> absorb id (last write wins)
//	intents              ufold(key)          -> intent record
//	groups               id                  -> group record
//	groups/displayName   lp(fold(name)) id   -> ""   (not unique)
//	groups/externalId    (empty: the unique index of files written before groups/externalIds, whose
//	                     entries a writable Open moves there)
//	groups/externalIds   lp(externalId) id   -> ""   (not unique, exact; RFC 7643 §3.1; added without a
//	                                           schema change, like holds)
//	groups/memberCount   id                  -> uint64 big-endian (absent when zero)
//	members              lp(groupID) userID  -> member display (raw UTF-8)
//	memberOf             lp(userID) groupID  -> ""
//	cursors              name                -> value (raw UTF-8)
//	ruleState            userID              -> opaque JSON, as given
//	audit                uint64 big-endian   -> audit record (Seq, from the bucket's NextSequence)
//	holds                id                  -> hold record (a deactivation kept from Absorb; added without a
//	                                           schema change: created when missing, read as empty when absent)
//	users/by/<attribute> sv(value) wid(id)   -> ""   (the walk indexes of schema version 3: userindex.go;
//	                                           users/by/email and users/by/externalId also answer the
//	                                           email and externalId look-ups; wid: walkid.go, schema 5)
//	users/keys           id                  -> the walk index keys of id its resource gives, only for
//	                                           a user whose record does not hold its names (schema 4)
//	meta                 "count/activeUsers" -> uint64 big-endian
//	meta                 "mirrorLoad"        -> 1 while a MirrorLoad writes (absent otherwise)
//
// fold is FoldCase, ufold FoldUserName. Empty values are never indexed
// (bbolt has no empty keys), and a value whose key would pass bbolt's
// MaxKeySize is refused before anything is written (*TooLargeError,
// CheckIndexable).
// The Absorb copy of an account a user is linked to (users/absorbId) lives in
// that user's value, after the user record, and is found through
// users/absorbId, so a write of a user and its copy changes one page instead
// of two (see linked.go). Copies of accounts no user is linked to, and copies
// written before their user was linked, stay in absorb/users; a copy moves in
// with its next write and back out when its user is deleted or linked
// elsewhere. A copy is in one place only: absorb/users or its user's value.
// Membership is one key per (group, user) in each direction and the member
// count is a key of its own, so adding or removing one member writes the
// same few small keys whatever the size of the group, and never rewrites the
// group record. The meta counters keep the totals, so Stats and the Count
// methods read one key each.
//
// # Record encoding
//
// Records are a compact binary encoding, not JSON: decoding one costs a few
// allocations and no reflection. A record is
//
//	format   one byte: 1; 2 for audit records of schema version 5, whose header holds id strings
//	kind     one byte: 0 the body follows as it is;
//	         2 the body as one S2 block (github.com/klauspost/compress/s2, which
//	         begins with the body's length) with the dictionary dictV1 of
//	         codec.go, first repeat offset s2DictV1Repeat;
//	         3 the same with the dictionary dictV2 of audit.go (dictV1 then the
//	         words of audit records), first repeat offset s2DictV2Repeat
//	body     uvarint(len(header)) header payload
//
// The body is compressed when it is 128 bytes or more and compressing makes
// it smaller. The header is a sequence of fields, the payload an opaque JSON
// document (the SCIM resource, or the Absorb user as Absorb sent it):
//
//	string   uvarint(len) bytes
//	idstring 0 and the 16 bytes of a canonical lowercase UUID; 1 uvarint(n) and the n bytes that 2n lowercase
//	         hex digits (4 or more) spell; any other string as uvarint(len+2) bytes (idstring.go)
//	uint     uvarint
//	bool     one byte, 0 or 1
//	time     uvarint(0) for the zero time, else uvarint(nanosecond+1) varint(unix seconds); read back in UTC
//	list     uvarint(count) then the items
//
//	user     header: absorbID userName externalID list(emails) active created lastModified version
//	         familyName givenName displayName (schema 5; absent from a record written before)
//	         payload: resource
//	absorb   header: username externalID dateEdited; payload: raw
//	intent   header: scimID started; payload: resource
//	group    header: displayName externalID created lastModified version; payload: resource
//	audit    header: time credential requestID operation resourceType resourceID absorbID userName outcome
//	         list(field from to); no payload. In format 2 requestID, resourceID, absorbID, from and to
//	         are idstrings, and the body is compressed with dictV2 (kind 3)
//	hold     header: absorbID userName kind time credential requestID; payload: the SCIM resource before
//
// Compressing header and payload together lets the userName, emails and
// externalId of the header share bytes with the same values in the document.
// BenchmarkFileSize reports the size of a file of 100,000 users with their
// Absorb mirror, memberships and audit records.
//
// # Schema version 5
//
// A user record's header ends with the resource's name.familyName,
// name.givenName and displayName, as the resource gives them ("" when
// missing or not a string), so that a write finds the walk index keys of the
// version it replaces in the record it decodes anyway. users/keys kept those
// keys before, one entry per user; compressed with the resource, which
// holds the same strings, the values cost the record far less. A record
// without them (written before) keeps its users/keys entry until the user
// is next written or deleted.
//
// Audit records are written in format 2. Most of what S2 cannot shrink in an
// audit record is hex: the resource's SCIM and Absorb ids, UUIDs that also
// come back as change values, and the request id. Stored as the bytes they
// spell, and compressed with a dictionary that adds the operations, outcomes
// and attribute names audit records repeat, a record of a create takes about
// a third less. Only the lowercase forms are compacted, so every string reads
// back byte for byte. The format byte tells the forms apart, because the
// header of format 1 begins with the record's time and has no spare value to
// mark a version with; records of format 1 are not rewritten and read as
// before.
//
// absorb/users no longer keeps a link (3 id) for each copy a user holds:
// users/absorbId maps the account to the same user, so the link repeated it
// at the cost of a key, a value and their page space per linked user. A
// look-up of an Absorb id reads absorb/users, then users/absorbId and the
// user's value; ForEachAbsorbUser merges absorb/users with the users/absorbId
// entries whose user holds a copy. The links a version 4 file holds are
// still followed (and never counted or visited twice) and go with the next
// write or deletion of the account, or when the copy leaves its user.
//
// The walk index keys end with wid(id) instead of the id (walkid.go): the 16
// bytes of a canonical UUID, which is every id the bridge makes, instead of
// its 36 characters, so each of a user's eight walk keys is 20 bytes shorter.
// Any other id is kept as 16 bytes that place it among the canonical ids,
// then the id as it is: keys of one value still sort by id as a string, as
// PostgreSQL's walk keys, which keep the id as it is, do. Since wid keeps
// that order, a writable Open of a file of version 3 or 4 converts each walk
// index by reading its keys in order and appending them, converted, to a new
// bucket that then takes the old one's place (migratewalk.go): it writes
// about the size of the indexes, where building them from the users would
// write a page per key. A file of version 2 has its walk indexes built from
// the users. users/keys holds keys without their ids and is left as it is.
//
// # The first full sync
//
// A first full sync reads every account of the portal, in no order of any
// key the mirror keeps, so it hands the copies of the accounts the store
// holds nothing of to a MirrorLoad (mirrorload.go). That sorts them, with
// their absorb/username and absorb/externalId entries, in runs of 32 MiB
// written to the directory <data file>.mirror-load beside the file, then
// merges the runs into absorb/users, then into each index, in key order, so
// each page is written about once. meta "mirrorLoad" is set while it writes:
// copies may lack their index entries until it is cleared, and the next
// MirrorLoad rebuilds both indexes from the copies first. The directory is
// removed when the load ends, and cleared when the next one starts.
//
// # File growth
//
// bbolt never shrinks its file and cannot reuse, within a transaction, the
// pages that transaction frees. A transaction that rewrites most records
// therefore grows the file by about the size of what it rewrites: write bulk
// changes (a full mirror refresh) in transactions of bounded size, as the
// sync's batches of 5,000 accounts, not in one.
package storage
