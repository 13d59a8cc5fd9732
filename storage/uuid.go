package storage

// A UUID in its canonical form is 36 characters, lowercase hex digits and
// dashes, that spell 16 bytes. The walk index keys (walkid.go) and the id
// strings of audit records (idstring.go) keep such ids as their 16 bytes.

const (
	uuidLen   = 36
	hexDigits = "0123456789abcdef"
)

// isDashAt reports whether a canonical UUID has a dash at position i.
func isDashAt(i int) bool { return i == 8 || i == 13 || i == 18 || i == 23 }

// fitsUUIDAt reports whether a canonical UUID may hold c at position i.
func fitsUUIDAt(i int, c byte) bool {
	if isDashAt(i) {
		return c == '-'
	}
	return isLowerHex(c)
}

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// unhex is the value of a digit isLowerHex accepts.
func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}

// parseUUID returns the 16 bytes of s when s is a UUID in its canonical
// form (the nil UUID included).
func parseUUID(s string) (b [16]byte, ok bool) {
	if len(s) != uuidLen {
		return b, false
	}
	for i := range uuidLen {
		if !fitsUUIDAt(i, s[i]) {
			return b, false
		}
	}
	return uuidBytes(s), true
}

// uuidBytes returns the 16 bytes of u, 36 characters that fitsUUIDAt.
func uuidBytes(u string) (b [16]byte) {
	j := 0
	for i := range uuidLen {
		if isDashAt(i) {
			continue
		}
		b[j/2] |= unhex(u[i]) << (4 * (1 - j%2))
		j++
	}
	return b
}

// formatUUID returns the canonical form of the 16 bytes b.
func formatUUID(b []byte) string {
	var u [uuidLen]byte
	j := 0
	for i := range uuidLen {
		if isDashAt(i) {
			u[i] = '-'
			continue
		}
		u[i] = hexDigits[b[j/2]>>(4*(1-j%2))&0xF]
		j++
	}
	return string(u[:])
}
