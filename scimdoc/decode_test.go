package scimdoc

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodeCases are inputs on which DecodeDocument must agree with
// json.Unmarshal, in value or in failing.
var decodeCases = []string{
	`{}`, ` { } `, `null`, `{"a":null}`,
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen","active":true,"name":{"givenName":"Barbara"},"emails":[{"value":"b@example.com","primary":true}],"x":[],"y":{}}`,
	`{"n":[0,-0,1,-1.5,1e3,1E-3,2.5e+10,123456789012345678901234567890]}`,
	`{"esc":"q\" b\\ s\/ \b\f\n\r\t \u00e9 \u20AC \ud83d\ude00 lone \ud800 x \udc00 pair-bad \ud800\u0041"}`,
	"{\"raw\":\"Zoë 日本 😀\"}", "{\"bad\":\"a\xffb\xc3\"}", "{\"bad\\n\":\"\xe2\x82\"}",
	`{"dup":1,"dup":2}`, `{"a":1,}`, `{"a":1`, `{"a"}`, `{a:1}`, `{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`,
	`{"a":.5}`, `{"a":tru}`, `{"a":nul}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":"x`, "{\"a\":\"\x01\"}", `{"a":"\x"}`,
	`{"a":"\u12"}`, `{"a":1e400}`, `{} x`, `[]`, `"s"`, `1`, ``, `{"a":[{"b":[{"c":[]}]}]}`, "\t{\n\"a\" :\r1 }\n",
}

func TestDecodeDocumentMatchesEncodingJSON(t *testing.T) {
	for _, in := range decodeCases {
		checkDecode(t, in)
	}
}

func checkDecode(t *testing.T, in string) {
	t.Helper()
	var want Document
	werr := json.Unmarshal([]byte(in), &want)
	got, err := DecodeDocument([]byte(in))
	if (err == nil) != (werr == nil) {
		t.Fatalf("DecodeDocument(%q): error %v; encoding/json: %v", in, err, werr)
	}
	if err != nil {
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("DecodeDocument(%q) (-encoding/json +got):\n%s", in, diff)
	}
}

func FuzzDecodeDocument(f *testing.F) {
	for _, in := range decodeCases {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) { checkDecode(t, in) })
}

func BenchmarkDecodeDocument(b *testing.B) {
	raw := []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],` +
		`"externalId":"ext-1","userName":"bjensen@example.com","name":{"formatted":"Ms. Barbara J Jensen III","familyName":"Jensen","givenName":"Barbara"},` +
		`"displayName":"Babs Jensen","emails":[{"value":"bjensen@example.com","type":"work","primary":true}],"active":true,"title":"Tour Guide",` +
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","department":"Tour Operations"}}`)
	b.Run("DecodeDocument", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeDocument(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var d Document
			if err := json.Unmarshal(raw, &d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
