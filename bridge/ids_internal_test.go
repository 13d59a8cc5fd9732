package bridge

import (
	"regexp"
	"testing"
	"time"
)

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestNewUUIDIsTimeOrdered: ids are RFC 9562 version 7 UUIDs carrying the
// time they were made, so later ids sort after earlier ones.
func TestNewUUIDIsTimeOrdered(t *testing.T) {
	before := time.Now().UnixMilli()
	first := newUUID()
	after := time.Now().UnixMilli()
	// One made a few milliseconds later, without waiting for them to pass.
	second := uuidAt(time.UnixMilli(after).Add(3 * time.Millisecond))
	for _, id := range []string{first, second} {
		if !uuidV7.MatchString(id) {
			t.Fatalf("%q is not a version 7 UUID", id)
		}
	}
	if first >= second {
		t.Errorf("%s made before %s sorts after it", first, second)
	}
	var ms int64
	for _, c := range first[:8] + first[9:13] {
		ms = ms<<4 | int64(hexValue(c))
	}
	if ms < before || ms > after {
		t.Errorf("%s carries %d ms, want between %d and %d", first, ms, before, after)
	}
	if newUUID() == newUUID() {
		t.Error("two ids in the same millisecond are equal")
	}
}

func hexValue(c rune) int {
	if c >= 'a' {
		return int(c-'a') + 10
	}
	return int(c - '0')
}
