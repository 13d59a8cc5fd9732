package storage

import "bytes"

// A walk index key ends with the id of its user (userindex.go). The bridge
// makes every id a UUID in its canonical form, 36 characters of lowercase
// hex and dashes that hold 16 bytes, so a walk key keeps such an id as those
// 16 bytes: big-endian, they sort as the lowercase hex does.
//
// Any other id (upper case, short, from an older build or a restored file)
// is kept as wfloor(id) followed by the id's bytes, where wfloor(id) is the
// 16 bytes of the greatest canonical id less than id as a string, zeros when
// there is none. The nil UUID, whose 16 bytes are those zeros, counts as any
// other id. So the two forms never meet: a canonical id takes exactly 16
// bytes, any other at least 17, and the 16 bytes of a canonical id are never
// zero. And the keys of one value sort as their ids do as strings, whatever
// their form: the first 16 bytes grow with the id, so ids with a canonical
// id between them (or one of them canonical) differ there in the right
// order, ids with none between them share those bytes and compare as
// strings after them, and the 16 bytes of a canonical id are a prefix of the
// keys of the other ids right after it. That is the order of another
// engine's keys, which hold the ids as strings (walkkeys.go), so both
// engines walk users alike.

// canonicalIDLen is the length of the id part of a walk key of a canonical
// id.
const canonicalIDLen = 16

// appendWalkID appends the id part of a walk index key of user id.
func appendWalkID(dst []byte, id string) []byte {
	if b, ok := canonicalID(id); ok {
		return append(dst, b[:]...)
	}
	floor := uuidFloor(id)
	return append(append(dst, floor[:]...), id...)
}

// walkIDLen is len(appendWalkID(nil, id)).
func walkIDLen(id string) int {
	if _, ok := canonicalID(id); ok {
		return canonicalIDLen
	}
	return canonicalIDLen + len(id)
}

// idOfWalkID returns the user id the id part p of a walk key holds; ok is
// false when p is no id part appendWalkID writes.
func idOfWalkID(p []byte) (id string, ok bool) {
	switch {
	case len(p) == canonicalIDLen:
		return formatUUID(p), true
	case len(p) > canonicalIDLen:
		return string(p[canonicalIDLen:]), true
	}
	return "", false
}

// validWalkID reports whether p is exactly the id part appendWalkID writes
// for the id it holds. Reading a key trusts its form; the consistency check
// asks this, which finds, among others, keys that end with the id as a
// string, as those of schema version 4 and before did.
func validWalkID(p []byte) bool {
	if len(p) == canonicalIDLen {
		return [16]byte(p) != [16]byte{}
	}
	if len(p) < canonicalIDLen {
		return false
	}
	id := string(p[canonicalIDLen:])
	if _, canonical := canonicalID(id); canonical {
		return false
	}
	floor := uuidFloor(id)
	return bytes.Equal(floor[:], p[:canonicalIDLen])
}

// canonicalID returns the 16 bytes of id when it is a canonical UUID other
// than the nil UUID.
func canonicalID(id string) (b [16]byte, ok bool) {
	b, ok = parseUUID(id)
	return b, ok && b != [16]byte{}
}

// uuidFloor returns the 16 bytes of the greatest canonical UUID less than
// s, zeros when there is none: wfloor(s) for an s that is not canonical.
func uuidFloor(s string) [16]byte {
	p := 0 // the length of the longest prefix of s a UUID may begin with
	for p < len(s) && p < uuidLen && fitsUUIDAt(p, s[p]) {
		p++
	}
	if p == 36 && len(s) > 36 {
		return uuidBytes(s[:36]) // s begins with a UUID, the greatest below it
	}
	// The greatest UUID below s shares with s the longest prefix it can
	// and holds, at the position after it, the greatest character less
	// than the one of s, then only the greatest characters.
	for i := min(p, 35, len(s)-1); i >= 0; i-- {
		c, ok := uuidCharBelow(i, s[i])
		if !ok {
			continue
		}
		var u [36]byte
		copy(u[:], s[:i])
		u[i] = c
		for j := i + 1; j < 36; j++ {
			u[j] = 'f'
			if isDashAt(j) {
				u[j] = '-'
			}
		}
		return uuidBytes(string(u[:]))
	}
	return [16]byte{}
}

// uuidCharBelow returns the greatest character a canonical UUID may hold at
// position i that is less than c.
func uuidCharBelow(i int, c byte) (byte, bool) {
	switch {
	case isDashAt(i):
		return '-', c > '-'
	case c > 'f':
		return 'f', true
	case c > 'a':
		return c - 1, true
	case c > '9':
		return '9', true
	case c > '0':
		return c - 1, true
	}
	return 0, false
}
