package storage

import (
	"errors"
	"strings"
	"testing"
)

func TestIDString(t *testing.T) {
	const uuid = "01a24d09-a5bb-7265-95fc-2bf91a42d18a"
	tests := []struct {
		name    string
		s       string
		wantLen int // bytes the encoding takes
	}{
		{"empty", "", 1},
		{"canonical UUID", uuid, 17},
		{"nil UUID", "00000000-0000-0000-0000-000000000000", 17},
		{"request id", "058450e7ea1e7a2c", 10},
		{"32 hex digits", strings.ReplaceAll(uuid, "-", ""), 18},
		{"four hex digits", "beef", 4},
		{"a number of an even length", "2025", 4},
		{"two hex digits", "ab", 3},
		{"odd hex", "abcde", 6},
		{"uppercase UUID", strings.ToUpper(uuid), 37},
		{"mixed case UUID", "01A24d09-a5bb-7265-95fc-2bf91a42d18a", 37},
		{"UUID in braces", "{" + uuid + "}", 39},
		{"UUID with a dash moved", "01a24d0-9a5bb-7265-95fc-2bf91a42d18a", 37},
		{"UUID with a colon for a dash", "01a24d09:a5bb-7265-95fc-2bf91a42d18a", 37},
		{"uppercase hex", "058450E7EA1E7A2C", 17},
		{"16 non-hex", "ghijklmnopqrstuv", 17},
		{"32 non-hex", strings.Repeat("wxyz", 8), 33},
		{"36 non-hex with dashes", "gggggggg-gggg-gggg-gggg-gggggggggggg", 37},
		{"hex with a space", "0584 0e7ea1e7a2c", 17},
		{"NUL bytes", "\x00\x00\x00\x00", 5},
		{"starts with a tag byte", "\x00" + uuid[1:], 37},
		{"not UTF-8", "\xff\xfe\xfd", 4},
		{"true", "true", 5},
		{"very long", strings.Repeat("Ada Lovelace ", 10000), 130000 + 3},
		{"very long hex", strings.Repeat("0123456789abcdef", 10000), 80000 + 1 + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e encoder
			e.idStr(tt.s)
			if len(e.b) != tt.wantLen {
				t.Errorf("encoded in %d bytes, want %d", len(e.b), tt.wantLen)
			}
			e.str("next")
			d := &decoder{s: string(e.b)}
			if got := d.idStr(); got != tt.s {
				t.Errorf("read back %q, want %q", got, tt.s)
			}
			if next := d.str(); next != "next" || d.err != nil || d.off != len(d.s) {
				t.Errorf("next field %q, err %v, %d of %d bytes read", next, d.err, d.off, len(d.s))
			}
		})
	}
}

func TestIDStringDamage(t *testing.T) {
	tests := []struct {
		name string
		s    string
	}{
		{"nothing", ""},
		{"UUID cut short", "\x00\x01\x02\x03"},
		{"hex without its length", "\x01"},
		{"hex cut short", "\x01\x08\xab\xcd"},
		{"hex claims a huge length", "\x01\xff\xff\xff\xff\x0f"},
		{"string cut short", "\x09abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &decoder{s: tt.s}
			if got := d.idStr(); got != "" || !errors.Is(d.err, errTruncated) {
				t.Errorf("idStr() = %q, err %v; want empty and errTruncated", got, d.err)
			}
		})
	}
}

// FuzzIDString: any string reads back byte for byte, and reading any bytes
// as an id string fails or succeeds without a panic.
func FuzzIDString(f *testing.F) {
	f.Add("01a24d09-a5bb-7265-95fc-2bf91a42d18a")
	f.Add("058450e7ea1e7a2c")
	f.Add("{01A24D09-A5BB-7265-95FC-2BF91A42D18A}")
	f.Add("\x01\x08\xab")
	f.Fuzz(func(t *testing.T, s string) {
		var e encoder
		e.idStr(s)
		d := &decoder{s: string(e.b)}
		if got := d.idStr(); got != s || d.err != nil || d.off != len(d.s) {
			t.Fatalf("%q read back as %q (err %v, %d of %d bytes read)", s, got, d.err, d.off, len(d.s))
		}
		if len(e.b) > uvarintLen(uint64(len(s)+idTagPlain))+len(s) {
			t.Errorf("%q took %d bytes, more than it would as it is", s, len(e.b))
		}
		d = &decoder{s: s}
		d.idStr()
	})
}
