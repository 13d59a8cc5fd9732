package scimdoc

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// stdJSON is what the server wrote before AppendJSON: a json.Encoder that
// does not escape HTML, without its newline.
func stdJSON(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	type named struct {
		A string `json:"a"`
		B int    `json:"b,omitempty"`
	}
	values := map[string]any{
		"nil":             nil,
		"empty map":       map[string]any{},
		"nil map":         map[string]any(nil),
		"nil slice":       []any(nil),
		"nil strings":     []string(nil),
		"empty slice":     []any{},
		"document":        Document{"b": 1.0, "a": "x"},
		"escapes":         "quote \" backslash \\ tab \t nl \n cr \r bs \b ff \f nul \x00 esc \x1b del \x7f",
		"html":            "<script>&amp;</script>",
		"unicode":         "Zoë Ångström 日本 😀",
		"bad utf8":        "a\xffb\xc3",
		"line separators": "a\u2028b\u2029c",
		"floats":          []any{0.0, -0.0, 1.0, -1.5, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, 3.0e-9, -2.5e300, math.MaxFloat64, math.SmallestNonzeroFloat64},
		"nested": map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"name":    map[string]any{"givenName": "Ann", "familyName": "O'Neil"},
			"emails":  []any{map[string]any{"value": "ann@example.com", "primary": true, "type": "work"}},
			"active":  false,
			"meta":    map[string]any{"created": "2026-11-26T10:00:00.000Z"},
		},
		"other types":    map[string]any{"int": 42, "struct": named{A: "<x>"}, "time": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "raw": json.RawMessage(`{"k":"a\u003cb"}`), "strs": []string{"<", "\\u003c"}},
		"backslash then": `\u003c is not <`,
		"many keys":      manyKeys(50),
		"ints":           []any{0, -7, 1 << 40},
		"list of maps":   []map[string]any{{"b": "2", "a": "1"}, nil, {}},
		"nil maps":       []map[string]any(nil),
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			got, err := AppendJSON([]byte("prefix"), v)
			if err != nil {
				t.Fatal(err)
			}
			want := append([]byte("prefix"), stdJSON(t, v)...)
			if !bytes.Equal(got, want) {
				t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func manyKeys(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[strings.Repeat("k", i%7)+string(rune('a'+i%26))+string(rune('A'+i/26))] = float64(i)
	}
	return m
}

func TestAppendJSONRefusesWhatEncodingJSONRefuses(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(1), map[string]any{"x": []any{math.Inf(-1)}}, map[string]any{"ch": make(chan int)}} {
		if _, err := AppendJSON(nil, v); err == nil {
			t.Errorf("AppendJSON(%v) gave no error", v)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("plain", 1.5, `{"a":["b",null,true]}`)
	f.Add("\x00\u2028<&>\xff\"\\", -1e-7, `"x"`)
	f.Fuzz(func(t *testing.T, s string, x float64, doc string) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			x = 0
		}
		var decoded any
		_ = json.Unmarshal([]byte(doc), &decoded)
		v := map[string]any{s: s, "x": x, "doc": decoded, "list": []any{s, x}}
		got, err := AppendJSON(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if want := stdJSON(t, v); !bytes.Equal(got, want) {
			t.Errorf("AppendJSON:\n got %q\nwant %q", got, want)
		}
	})
}

func BenchmarkAppendJSON(b *testing.B) {
	var doc map[string]any
	raw := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"2819c223-7f76-453a-919d-413861904646","externalId":"ext-1",` +
		`"userName":"bjensen@example.com","name":{"formatted":"Ms. Barbara J Jensen III","familyName":"Jensen","givenName":"Barbara"},` +
		`"displayName":"Babs Jensen","emails":[{"value":"bjensen@example.com","type":"work","primary":true}],"active":true,"title":"Tour Guide",` +
		`"groups":[{"value":"e9e30dba-f08f-4109-8486-d5c6a331660a","display":"Tour Guides","type":"direct"}],` +
		`"meta":{"resourceType":"User","created":"2026-11-26T10:00:00.000Z","lastModified":"2026-11-26T10:00:00.000Z","version":"W/\"3\"","location":"https://scim.example.com/scim/v2/Users/2819c223-7f76-453a-919d-413861904646"}}`
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		b.Fatal(err)
	}
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = AppendJSON(buf[:0], doc)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for b.Loop() {
			buf.Reset()
			_ = enc.Encode(doc)
		}
	})
}
