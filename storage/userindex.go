package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// The walk indexes let a list of users be read one page at a time, in the
// order of an attribute and narrowed by a filter term, without reading the
// users before the page. Each is a bucket of keys with empty values:
//
//	users/by/userName      sv(fold(userName)) wid(id)
//	users/by/externalId    sv(externalId) wid(id)          (exact, as externalId is caseExact)
//	users/by/email         sv(fold(email)) wid(id)         (one key per distinct email; no key for none)
//	users/by/familyName    sv(fold(name.familyName)) wid(id)
//	users/by/givenName     sv(fold(name.givenName)) wid(id)
//	users/by/displayName   sv(fold(displayName)) wid(id)
//	users/by/lastModified  u64(lastModified) wid(id)
//	users/by/active        0 or 1, then wid(id)
//	users/keys             id -> the keys of familyName, givenName and displayName written for
//	                       id, each without the wid(id) it ends with: uvarint(count) then
//	                       (UserIndex byte, lp(key)) each (schema version 3 listed every key);
//	                       only for a user whose record does not hold its names (schema 3 and 4)
//	meta                   "count/activeUsers" -> uint64 big-endian
//
// sv(v) is v with each 0x00 byte written 0x00 0xFF, then 0x00 0x00: keys
// sort by value, then by id, and every key of one value, or of values with
// one prefix, is one range. A user without the value (an empty string
// included) has the key 0xFF id instead, which sorts after every value, as
// RFC 7644 §3.4.2.3 sorts missing values last. u64(t) is t's Unix
// nanoseconds with the sign bit flipped, big-endian, so keys sort by time.
// wid(id) is the 16 bytes of a canonical UUID id, or wfloor(id) then id for
// any other (walkid.go): keys of one value sort by id as a string.
// A write removes the keys of the version it replaces without decoding that
// version's resource: they come from the record's header, which a write
// reads anyway, and, for a record written before schema version 5, whose
// header does not hold the names, from users/keys.

// UserIndex names an order users can be walked in.
type UserIndex uint8

// The walk indexes. ByID is the users bucket itself.
const (
	ByID UserIndex = iota
	ByUserName
	ByExternalID
	ByEmail
	ByFamilyName
	ByGivenName
	ByDisplayName
	ByLastModified
	ByActive
)

var userIndexBuckets = [...]bucketID{
	ByID:           bUsers,
	ByUserName:     bUserSortUserName,
	ByExternalID:   bUserSortExternalID,
	ByEmail:        bUserSortEmail,
	ByFamilyName:   bUserSortFamilyName,
	ByGivenName:    bUserSortGivenName,
	ByDisplayName:  bUserSortDisplayName,
	ByLastModified: bUserSortLastModified,
	ByActive:       bUserSortActive,
}

// walkBuckets are the buckets a user write keeps, in UserIndex order
// (ByID excluded).
var walkBuckets = userIndexBuckets[ByUserName:]

var keyActiveUsers = []byte("count/activeUsers")

// missingValue begins the key of a user without the value.
const missingValue = 0xFF

// RangeKind says which keys of an index a UserRange covers.
type RangeKind uint8

// The kinds of range.
const (
	RangeAll    RangeKind = iota // every key
	RangeEqual                   // the value equals Value (Time, Active)
	RangePrefix                  // the value starts with Value
	RangeFrom                    // the value is at or after Time (ByLastModified)
	RangeAfter                   // the value is after Time (ByLastModified)
)

// UserRange is a range of one walk index. Value is compared as the index
// keeps it: folded (FoldCase) except for ByExternalID.
type UserRange struct {
	Index  UserIndex
	Kind   RangeKind
	Value  string
	Time   time.Time
	Active bool
}

// bounds returns the range's keys as [lo, hi); nil means unbounded.
func (r UserRange) bounds() (lo, hi []byte, err error) {
	if r.Kind == RangeAll {
		return nil, nil, nil
	}
	switch r.Index {
	case ByActive:
		if r.Kind != RangeEqual {
			break
		}
		b := activeByte(r.Active)
		return []byte{b}, []byte{b + 1}, nil
	case ByLastModified:
		switch r.Kind {
		case RangeEqual:
			lo = timeKey(r.Time)
			return lo, prefixEnd(lo), nil
		case RangeFrom:
			return timeKey(r.Time), nil, nil
		case RangeAfter:
			return timeKey(r.Time.Add(time.Nanosecond)), nil, nil
		}
	case ByUserName, ByExternalID, ByEmail, ByFamilyName, ByGivenName, ByDisplayName:
		v := r.Value
		if r.Index != ByExternalID {
			v = FoldCase(v)
		}
		switch r.Kind {
		case RangeEqual:
			if v == "" {
				return []byte{missingValue}, nil, nil
			}
			lo = valueKey(v)
			return lo, prefixEnd(lo), nil
		case RangePrefix:
			lo = escapeValue(nil, v)
			if len(lo) == 0 {
				return nil, []byte{missingValue}, nil
			}
			return lo, prefixEnd(lo), nil
		}
	}
	return nil, nil, fmt.Errorf("user index %d cannot answer a range of kind %d", r.Index, r.Kind)
}

// ScanUsers calls fn with the position and id of each user in range r, in
// the index's order (reversed when desc), starting after the position after
// (nil starts at the beginning of the range). A position is the index key:
// given back as after, it resumes the walk after that user even when users
// were added or removed meanwhile. fn returns false to stop; its error stops
// the walk and is returned as it is. Every key read is counted in
// KeysScanned.
func (tx *boltTx) ScanUsers(r UserRange, desc bool, after []byte, fn func(pos []byte, id string) (bool, error)) error {
	var fnErr error
	err := tx.scanKeys(r, desc, after, func(k []byte) bool {
		more, err := fn(bytes.Clone(k), idOfKey(r.Index, k))
		fnErr = err
		return err == nil && more
	})
	if err != nil {
		return err
	}
	return fnErr
}

// SkipUsers returns the position of the n-th user of range r in the
// index's order (reversed when desc), nil when the range holds fewer. It
// reads only keys, so a page no walk led to costs one key per user before
// it.
func (tx *boltTx) SkipUsers(r UserRange, desc bool, n int) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	var pos []byte
	seen := 0
	err := tx.scanKeys(r, desc, nil, func(k []byte) bool {
		if seen++; seen == n {
			pos = bytes.Clone(k)
			return false
		}
		return true
	})
	return pos, err
}

// scanKeys calls fn with each key of range r from after on; the key is
// valid only during the call.
func (tx *boltTx) scanKeys(r UserRange, desc bool, after []byte, fn func(k []byte) bool) error {
	lo, hi, err := r.bounds()
	if err != nil {
		return err
	}
	c := tx.b(userIndexBuckets[r.Index]).Cursor()
	var k []byte
	next := c.Next
	if desc {
		next = c.Prev
		seek := hi
		if after != nil && (hi == nil || bytes.Compare(after, hi) < 0) {
			seek = after
		}
		if seek == nil {
			k, _ = c.Last()
		} else if k, _ = c.Seek(seek); k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
	} else {
		start := lo
		if after != nil && bytes.Compare(after, lo) >= 0 {
			start = after
		}
		k, _ = c.Seek(start)
		if k != nil && after != nil && bytes.Equal(k, after) {
			k, _ = c.Next()
		}
	}
	var n uint64
	defer func() { tx.s.keysScanned.Add(n) }()
	for ; k != nil; k, _ = next() {
		if (hi != nil && bytes.Compare(k, hi) >= 0) || (lo != nil && bytes.Compare(k, lo) < 0) {
			break
		}
		n++
		if !fn(k) {
			return nil
		}
	}
	return nil
}

// CountUserRange returns the number of users in range r, reading at most
// limit keys; ok is false when there are more than limit (n is then limit,
// or the exact number where it costs nothing). All users, and the active or
// inactive ones, are counted from kept totals without reading the index.
func (tx *boltTx) CountUserRange(r UserRange, limit int) (n int, ok bool, err error) {
	if r.Kind == RangeAll && r.Index != ByEmail {
		n = tx.CountUsers()
		return n, n <= limit, nil
	}
	if r.Index == ByActive && r.Kind == RangeEqual {
		if n = tx.countActive(); !r.Active {
			n = max(tx.CountUsers()-n, 0)
		}
		return n, n <= limit, nil
	}
	err = tx.scanKeys(r, false, nil, func([]byte) bool {
		n++
		return n <= limit
	})
	if n > limit {
		return limit, false, err
	}
	return n, true, err
}

// KeysScanned returns how many index keys ScanUsers has read since the store
// was opened, so tests can check that a page reads what it shows and no more.
func (s *Bolt) KeysScanned() uint64 { return s.keysScanned.Load() }

func (tx *boltTx) countActive() int {
	v := tx.b(bMeta).Get(keyActiveUsers)
	if len(v) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(v))
}

func (tx *boltTx) addActive(delta int) error {
	if delta == 0 {
		return nil
	}
	n := max(tx.countActive()+delta, 0)
	if err := tx.b(bMeta).Put(keyActiveUsers, binary.BigEndian.AppendUint64(nil, uint64(n))); err != nil {
		return fmt.Errorf("update %s: %w", keyActiveUsers, err)
	}
	return nil
}

// walkKey is one key of a walk index.
type walkKey struct {
	bucket bucketID
	key    []byte
}

// sortedNames are the attributes of a resource the walk indexes keep that
// only the resource gave before schema version 5 (userNames). encoding/json
// matches the names case-insensitively, as SCIM does (RFC 7643 §2.1).
type sortedNames struct {
	Name struct {
		FamilyName json.RawMessage `json:"familyName"`
		GivenName  json.RawMessage `json:"givenName"`
	} `json:"name"`
	DisplayName json.RawMessage `json:"displayName"`
}

// jsonString returns the string a JSON value holds, "" for any other value.
func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// walkKeysOf returns the walk index keys of u.
func walkKeysOf(u User) []walkKey {
	return append(headerWalkKeys(u), resourceWalkKeys(u)...)
}

// headerWalkKeys returns the walk index keys of u that the user record's
// header gives: those of userName, externalId, emails, lastModified and
// active.
func headerWalkKeys(u User) []walkKey {
	id := appendWalkID(make([]byte, 0, canonicalIDLen), u.ID)
	keys := make([]walkKey, 0, 4+len(u.Emails))
	keys = append(keys,
		walkKey{bUserSortUserName, append(strValueKey(FoldCase(u.UserName)), id...)},
		walkKey{bUserSortExternalID, append(strValueKey(u.ExternalID), id...)})
	for _, e := range emailKeys(u.Emails) {
		keys = append(keys, walkKey{bUserSortEmail, append(valueKey(e), id...)})
	}
	return append(keys,
		walkKey{bUserSortLastModified, append(timeKey(u.LastModified), id...)},
		walkKey{bUserSortActive, append([]byte{activeByte(u.Active)}, id...)})
}

// resourceWalkKeys returns the walk index keys of u that only its resource
// gives: those of name.familyName, name.givenName and displayName.
func resourceWalkKeys(u User) []walkKey {
	return nameWalkKeys(u.ID, resourceNames(u.Resource))
}

// userNames are a user's name.familyName, name.givenName and displayName as
// its resource gives them ("" when missing or not a string). The user
// record's header holds them since schema version 5 (users/keys kept their
// keys before), so that a write need not decode the resource it replaces.
type userNames struct{ family, given, display string }

// resourceNames returns the userNames of a SCIM user resource.
func resourceNames(resource json.RawMessage) userNames {
	var names sortedNames
	if len(resource) > 0 {
		// A resource that is not an object has no names: its keys say
		// "missing", which is what the filter and sort see too.
		_ = json.Unmarshal(resource, &names)
	}
	return userNames{
		family:  jsonString(names.Name.FamilyName),
		given:   jsonString(names.Name.GivenName),
		display: jsonString(names.DisplayName),
	}
}

// nameWalkKeys returns the walk index keys of user id with names n.
func nameWalkKeys(id string, n userNames) []walkKey {
	wid := appendWalkID(make([]byte, 0, canonicalIDLen), id)
	return []walkKey{
		{bUserSortFamilyName, append(strValueKey(FoldCase(n.family)), wid...)},
		{bUserSortGivenName, append(strValueKey(FoldCase(n.given)), wid...)},
		{bUserSortDisplayName, append(strValueKey(FoldCase(n.display)), wid...)},
	}
}

// strValueKey is the key of a string value without the id: sv(v), or
// missingValue for "".
func strValueKey(v string) []byte {
	if v == "" {
		return []byte{missingValue}
	}
	return valueKey(v)
}

// fromResource reports whether the keys of walk index bucket b come from
// the resource (resourceWalkKeys), not from the user record's header.
func fromResource(b bucketID) bool {
	return b == bUserSortFamilyName || b == bUserSortGivenName || b == bUserSortDisplayName
}

// UsersEpoch returns a number that changes after every committed write of
// a user. A count read in a transaction begun after UsersEpoch returned e
// stays true while UsersEpoch still returns e, so it can be kept until then.
func (s *Bolt) UsersEpoch() uint64 { return s.usersEpoch.Load() }

// putWalkKeys replaces the walk index keys of user id with keys. prev is
// the user as stored before (its header is enough), nil when there was none,
// and prevNames the names its record holds, nil when it holds none (a record
// written before schema version 5). namesInRecord says the record written
// holds the names keys come from: users/keys then keeps nothing for id.
func (tx *boltTx) putWalkKeys(id string, prev *User, prevNames *userNames, keys []walkKey, namesInRecord bool) error {
	tx.tx.OnCommit(func() { tx.s.usersEpoch.Add(1) })
	old, listed, err := tx.walkKeys(id, prev, prevNames)
	if err != nil {
		return err
	}
	wasActive, isActive := 0, 0
	for _, o := range old {
		if o.bucket == bUserSortActive && o.key[0] == 1 {
			wasActive = 1
		}
		if !containsKey(keys, o) {
			if err := tx.b(o.bucket).Delete(o.key); err != nil {
				return fmt.Errorf("walk index %s: %w", bucketNames[o.bucket], err)
			}
		}
	}
	for _, k := range keys {
		if k.bucket == bUserSortActive && k.key[0] == 1 {
			isActive = 1
		}
		if !containsKey(old, k) {
			if err := tx.put(k.bucket, k.key, nil); err != nil {
				return fmt.Errorf("walk index %s: %w", bucketNames[k.bucket], err)
			}
		}
	}
	if err := tx.addActive(isActive - wasActive); err != nil {
		return err
	}
	switch {
	case keys != nil && !namesInRecord:
		return tx.put(bUserKeys, []byte(id), encodeWalkKeys(id, keys))
	case listed:
		return tx.b(bUserKeys).Delete([]byte(id))
	}
	return nil
}

func containsKey(keys []walkKey, k walkKey) bool {
	for _, x := range keys {
		if x.bucket == k.bucket && bytes.Equal(x.key, k.key) {
			return true
		}
	}
	return false
}

// encodeWalkKeys encodes the keys of user id that come from its resource,
// without the wid(id) each ends with: uvarint(count) then (bucket byte,
// lp(key without wid(id))) each.
func encodeWalkKeys(id string, keys []walkKey) []byte {
	idLen := walkIDLen(id)
	n := 0
	for _, k := range keys {
		if fromResource(k.bucket) {
			n++
		}
	}
	b := binary.AppendUvarint(make([]byte, 0, 64), uint64(n))
	for _, k := range keys {
		if !fromResource(k.bucket) {
			continue
		}
		head := k.key[:len(k.key)-idLen]
		b = append(b, byte(walkIndexOf(k.bucket)))
		b = binary.AppendUvarint(b, uint64(len(head)))
		b = append(b, head...)
	}
	return b
}

// walkKeys returns the walk index keys written for user id, whose stored
// record is prev (its header is enough; nil when there is none) holding
// prevNames (nil when it holds none): those prev's header gives and those of
// prevNames or, for a record without names, those users/keys lists. listed
// says users/keys holds an entry for id. An entry written before schema
// version 4 lists every key, and is taken as it is.
func (tx *boltTx) walkKeys(id string, prev *User, prevNames *userNames) (keys []walkKey, listed bool, err error) {
	if prev != nil && prevNames != nil {
		return append(headerWalkKeys(*prev), nameWalkKeys(id, *prevNames)...), false, nil
	}
	v := tx.b(bUserKeys).Get([]byte(id))
	if v == nil {
		return nil, false, nil
	}
	if keys, err = decodeWalkKeys(id, v); err != nil {
		return nil, true, err
	}
	for _, k := range keys {
		if !fromResource(k.bucket) {
			return keys, true, nil // a value of schema version 3
		}
	}
	if prev == nil {
		return nil, true, fmt.Errorf("walk keys of user %q: %w: the user has no record", id, ErrCorrupt)
	}
	return append(headerWalkKeys(*prev), keys...), true, nil
}

// decodeWalkKeys decodes a users/keys value of user id.
func decodeWalkKeys(id string, v []byte) ([]walkKey, error) {
	n, w := binary.Uvarint(v)
	if w <= 0 || n > uint64(len(v)) {
		return nil, fmt.Errorf("walk keys of user %q: %w", id, ErrCorrupt)
	}
	v = v[w:]
	wid := appendWalkID(nil, id)
	keys := make([]walkKey, 0, n)
	for range n {
		if len(v) < 1 {
			return nil, fmt.Errorf("walk keys of user %q: %w", id, ErrCorrupt)
		}
		idx := UserIndex(v[0])
		l, w := binary.Uvarint(v[1:])
		if w <= 0 || uint64(len(v)-1-w) < l || idx == ByID || int(idx) >= len(userIndexBuckets) {
			return nil, fmt.Errorf("walk keys of user %q: %w", id, ErrCorrupt)
		}
		b := userIndexBuckets[idx]
		head := v[1+w : 1+w+int(l)]
		key := append(make([]byte, 0, len(head)+len(wid)), head...)
		keys = append(keys, walkKey{b, append(key, wid...)})
		v = v[1+w+int(l):]
	}
	return keys, nil
}

// walkIndexOf returns the UserIndex of a walk index bucket: users/keys
// stores it, as bucket ids are numbered in code and may change.
func walkIndexOf(b bucketID) UserIndex {
	for i, x := range userIndexBuckets {
		if x == b && i != int(ByID) {
			return UserIndex(i)
		}
	}
	panic(fmt.Sprintf("bucket %s is not a walk index", bucketNames[b]))
}

func activeByte(active bool) byte {
	if active {
		return 1
	}
	return 0
}

// escapeValue appends v with each 0x00 written 0x00 0xFF.
func escapeValue(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		dst = append(dst, v[i])
		if v[i] == 0 {
			dst = append(dst, 0xFF)
		}
	}
	return dst
}

// valueKey returns sv(v): the escaped value and its terminator, with room
// for a canonical id.
func valueKey(v string) []byte {
	return append(escapeValue(make([]byte, 0, len(v)+2+canonicalIDLen), v), 0, 0)
}

func timeKey(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8+canonicalIDLen), uint64(t.UnixNano())^(1<<63))
}

// prefixEnd returns the least key greater than every key beginning with p,
// nil when there is none.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// idOfKey returns the user id a key of index idx ends with ("" for a key
// that holds none).
func idOfKey(idx UserIndex, k []byte) string {
	if idx == ByID {
		return string(k)
	}
	id, _ := idOfWalkID(k[walkIDStart(idx, k):])
	return id
}

// walkIDStart returns where the id part of key k of walk index idx begins:
// after its value; len(k) when the value does not end.
func walkIDStart(idx UserIndex, k []byte) int {
	switch idx {
	case ByLastModified:
		return min(8, len(k))
	case ByActive:
		return min(1, len(k))
	}
	if len(k) > 0 && k[0] == missingValue {
		return 1
	}
	for i := 0; i+1 < len(k); i++ {
		if k[i] == 0 {
			if k[i+1] == 0 {
				return i + 2
			}
			i++ // an escaped 0x00
		}
	}
	return len(k)
}
