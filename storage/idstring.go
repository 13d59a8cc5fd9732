package storage

// An id string is a header string that is often an id: a UUID, or a request
// id of hex digits. Hex spends two characters on every byte and S2 finds
// little to repeat in it, so an id string is stored as the bytes it spells:
//
//	0            a canonical lowercase UUID (8-4-4-4-12), then its 16 bytes
//	1 uvarint(n) lowercase hex digits of even length 2n >= 4, then its n bytes
//	uvarint(len+2) any other string, then its bytes
//
// Only the lowercase forms are compacted, because only they read back byte
// for byte: "ABCD" or a UUID in braces is stored as it is.
const (
	idTagUUID  = 0
	idTagHex   = 1
	idTagPlain = 2 // added to the length of a string stored as it is

	idMinHex = 4 // shorter hex gains nothing
)

// idStr appends s as an id string.
func (e *encoder) idStr(s string) {
	if b, ok := parseUUID(s); ok {
		e.b = append(e.b, idTagUUID)
		e.b = append(e.b, b[:]...)
		return
	}
	if isHex(s) {
		e.b = append(e.b, idTagHex)
		e.uint(uint64(len(s) / 2))
		for i := 0; i < len(s); i += 2 {
			e.b = append(e.b, unhex(s[i])<<4|unhex(s[i+1]))
		}
		return
	}
	e.uint(uint64(len(s)) + idTagPlain)
	e.b = append(e.b, s...)
}

// idStr reads an id string.
func (d *decoder) idStr() string {
	tag := d.uint()
	if d.err != nil {
		return ""
	}
	switch tag {
	case idTagUUID:
		if len(d.s)-d.off < 16 {
			d.fail()
			return ""
		}
		u := formatUUID([]byte(d.s[d.off : d.off+16]))
		d.off += 16
		return u
	case idTagHex:
		n := d.uint()
		if d.err != nil || n > uint64(len(d.s)-d.off) {
			d.fail()
			return ""
		}
		b := make([]byte, 0, 2*n)
		for _, c := range []byte(d.s[d.off : d.off+int(n)]) {
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		}
		d.off += int(n)
		return string(b)
	}
	n := tag - idTagPlain
	if n > uint64(len(d.s)-d.off) {
		d.fail()
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

// isHex reports whether s is lowercase hex digits of an even length worth
// compacting.
func isHex(s string) bool {
	if len(s) < idMinHex || len(s)%2 != 0 {
		return false
	}
	for i := range len(s) {
		if !isLowerHex(s[i]) {
			return false
		}
	}
	return true
}
