package storage

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRecordEncoding(t *testing.T) {
	var c codec
	tests := []struct {
		name     string
		header   []string
		payload  []byte
		wantKind byte
	}{
		{"empty", nil, nil, blobPlain},
		{"small", []string{"a", "b"}, []byte(`{"x":1}`), blobPlain},
		{"json", []string{"ada@example.com"}, scimResource("u1", "ada@example.com", "e"), blobDeflate1},
		{"incompressible", []string{"x"}, randomBytes(500), blobPlain},
		{"large header only", []string{strings.Repeat("header ", 100)}, nil, blobDeflate1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e encoder
			for _, s := range tt.header {
				e.str(s)
			}
			v, err := c.record(&e, tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			if v[0] != recordFormat || v[1] != tt.wantKind {
				t.Errorf("format %d kind %d, want %d %d", v[0], v[1], recordFormat, tt.wantKind)
			}
			if tt.wantKind == blobDeflate1 && len(v) >= len(e.b)+len(tt.payload) {
				t.Errorf("deflated record of %d bytes is not smaller than its %d plain bytes", len(v), len(e.b)+len(tt.payload))
			}
			d, payload, err := c.open(v, true)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for range tt.header {
				got = append(got, d.str())
			}
			if d.err != nil {
				t.Fatal(d.err)
			}
			if diff := cmp.Diff(tt.header, got); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			if !bytes.Equal(payload, tt.payload) {
				t.Errorf("payload = %q, want %q", payload, tt.payload)
			}
			// The payload does not alias the stored value.
			if len(payload) > 0 {
				for i := range v {
					v[i] = 0
				}
				if !bytes.Equal(payload, tt.payload) {
					t.Error("payload changed with the stored value")
				}
			}
		})
	}
}

func TestRecordDamage(t *testing.T) {
	var c codec
	var e encoder
	e.str("hello")
	good, err := c.record(&e, []byte(strings.Repeat("payload ", 40)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		v    []byte
	}{
		{"empty", nil},
		{"one byte", []byte{recordFormat}},
		{"unknown format", append([]byte{9}, good[1:]...)},
		{"unknown kind", []byte{recordFormat, 7, 0}},
		{"truncated deflate", good[:len(good)/2]},
		{"header longer than value", []byte{recordFormat, blobPlain, 50, 'a'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := c.open(tt.v, true); err == nil {
				t.Error("open succeeded, want an error")
			}
		})
	}
	t.Run("header field past the end", func(t *testing.T) {
		d := &decoder{s: "\x05ab"}
		if got := d.str(); got != "" || !errors.Is(d.err, errTruncated) {
			t.Errorf("str() = %q, err %v; want empty and errTruncated", got, d.err)
		}
	})
}

func TestTimeEncoding(t *testing.T) {
	times := []time.Time{
		{},
		time.Unix(0, 0),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2025, 3, 1, 8, 9, 10, 123456789, time.FixedZone("CET", 3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	}
	var e encoder
	for _, tm := range times {
		e.time(tm)
	}
	d := &decoder{s: string(e.b)}
	for _, want := range times {
		got := d.time()
		if !got.Equal(want) || got.IsZero() != want.IsZero() {
			t.Errorf("time %v read back as %v", want, got)
		}
	}
	if d.err != nil || d.off != len(d.s) {
		t.Errorf("decoder err %v, %d of %d bytes read", d.err, d.off, len(d.s))
	}
}

// randomBytes returns n bytes that deflate cannot shrink.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	x := uint64(88172645463325252)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x >> 32)
	}
	return b
}
