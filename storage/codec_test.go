package storage

import (
	"bytes"
	"encoding/hex"
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
		{"json", []string{"ada@example.com"}, scimResource("u1", "ada@example.com", "e"), blobS2Dict1},
		{"incompressible", []string{"x"}, randomBytes(500), blobPlain},
		{"large header only", []string{strings.Repeat("header ", 100)}, nil, blobS2Dict1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e encoder
			for _, s := range tt.header {
				e.str(s)
			}
			v := c.record(&e, tt.payload)
			if v[0] != recordFormat || v[1] != tt.wantKind {
				t.Errorf("format %d kind %d, want %d %d", v[0], v[1], recordFormat, tt.wantKind)
			}
			if tt.wantKind == blobS2Dict1 && len(v) >= len(e.b)+len(tt.payload) {
				t.Errorf("compressed record of %d bytes is not smaller than its %d plain bytes", len(v), len(e.b)+len(tt.payload))
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
	good := c.record(&e, []byte(strings.Repeat("payload ", 40)))
	tests := []struct {
		name string
		v    []byte
	}{
		{"empty", nil},
		{"one byte", []byte{recordFormat}},
		{"unknown format", append([]byte{9}, good[1:]...)},
		{"an audit record's format", append([]byte{recordFormatAudit2}, good[1:]...)},
		{"unknown kind", []byte{recordFormat, 7, 0}},
		{"truncated body", good[:len(good)/2]},
		// An S2 body begins with its plain length: 2^40 here.
		{"claims a huge body", []byte{recordFormat, blobS2Dict1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0}},
		{"blob kind 1, never released", []byte{recordFormat, 1, 0x40, 0xff}},
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

// TestS2DictionaryIsFixed: the S2 dictionary's first repeat offset is where
// its comment says, the opening of a SCIM user document, and a record written
// when the format was set still reads back (the encoder's output may change
// with the library; what it wrote must stay readable).
func TestS2DictionaryIsFixed(t *testing.T) {
	opening := []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",`)
	if got := bytes.LastIndex([]byte(dictV1), opening); got != s2DictV1Repeat {
		t.Errorf("the opening of a user document is at %d of dictV1; s2DictV1Repeat is %d", got, s2DictV1Repeat)
	}
	expectStoredRecord(t, "0102c40644100f616461406578616d706c652e636f6d7b3a71003665023a1a025d5328537072696e676669656c643e5202"+
		"1036323730313e98005d8204494c4ab10228313030204d61696e2053743ae100047d5d3e26013c4169736861204a6f68616e73736f6e2232270132"+
		"0e01364a00002c35443a050108227d5d3aef010465224d080475312eec012edd012e80002e0502469e002e0402184169736861227d664603462603"+
		"3c353535203031302075313030227d5d2c711715006771995453656e696f7220536f66747761726520456e67696e65fe7803043a7b364905184343"+
		"2d302d30303e3005116d08696e674e040824452d7531303030303030565905111e2c2d303030302d343030302d38110f0938103030227d7d32ec03"+
		"2e2c0210636f6d227d",
		[]string{"ada@example.com"}, scimResource("u1", "ada@example.com", "e"))
}

// expectStoredRecord opens the record hexRecord and compares its first
// header strings and its payload.
func expectStoredRecord(t *testing.T, hexRecord string, wantHeader []string, wantPayload []byte) {
	t.Helper()
	v, err := hex.DecodeString(hexRecord)
	if err != nil {
		t.Fatal(err)
	}
	var c codec
	d, payload, err := c.open(v, true)
	if err != nil {
		t.Fatal(err)
	}
	header := make([]string, len(wantHeader))
	for i := range header {
		header[i] = d.str()
	}
	if diff := cmp.Diff(wantHeader, header); diff != "" || d.err != nil {
		t.Errorf("header (-want +got):\n%s (err %v)", diff, d.err)
	}
	if !bytes.Equal(payload, wantPayload) {
		t.Errorf("payload = %s\nwant      %s", payload, wantPayload)
	}
}

// FuzzRecord: any header and payload read back as written, and opening any
// bytes as a record fails or succeeds without a panic.
func FuzzRecord(f *testing.F) {
	f.Add("ada@example.com", []byte(scimResource("u1", "ada@example.com", "e")))
	f.Add("", []byte(strings.Repeat("payload ", 40)))
	f.Add("x", []byte{recordFormat, blobS2Dict1, 0x80, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, header string, payload []byte) {
		var c codec
		var e encoder
		e.str(header)
		v := c.record(&e, payload)
		d, got, err := c.open(v, true)
		if err != nil {
			t.Fatalf("open what record wrote: %v", err)
		}
		if h := d.str(); h != header || d.err != nil {
			t.Fatalf("header = %q (err %v), want %q", h, d.err, header)
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("payload = %q, want %q", got, payload)
		}
		// The payload as a stored value, and with its kind byte changed.
		for _, kind := range []byte{blobPlain, 1, blobS2Dict1} {
			if len(payload) >= 2 {
				damaged := append([]byte{recordFormat, kind}, payload[2:]...)
				_, _, _ = c.open(damaged, true)
				_, _, _ = c.open(damaged, false)
			}
		}
	})
}
