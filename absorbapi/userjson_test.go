package absorbapi

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodeUserCases are documents DecodeUser must read exactly as
// json.Unmarshal does: the shapes Absorb and the bridge's copies use, and
// every kind of document the fast path hands to encoding/json.
var decodeUserCases = []string{
	`{}`,
	` { "id" : "a1" , "username":"ann@example.com" } `,
	`{"id":"b0000000-0000-4000-8000-000000000001","departmentId":"d1","firstName":"Ann","middleName":null,` +
		`"lastName":"Ng","username":"ann@example.com","emailAddress":"ann@example.com","ccEmailAddresses":[],` +
		`"externalId":"e1","languageId":1,"gender":0,"address":null,"address2":null,"city":"Zürich",` +
		`"postalCode":null,"provinceId":null,"countryId":null,"phone":"+1 555","employeeNumber":"7",` +
		`"location":null,"jobTitle":"Dev","referenceNumber":null,"notes":null,"dateHired":null,` +
		`"dateTerminated":null,"dateAdded":"2024-01-15T09:00:00Z","dateEdited":"2024-01-15T09:01:00Z",` +
		`"lastLoginDate":null,"customFields":{"string1":"blue","decimal1":2.5,"bool1":true,"date1":null},` +
		`"roleIds":["r1","r2"],"activeStatus":1,"isLearner":true,"isAdmin":false,"isInstructor":false,` +
		`"isManager":false,"supervisorId":null,"hasUsername":true}`,
	`{"ccEmailAddresses":null,"roleIds":null,"customFields":null,"languageId":null,"activeStatus":null}`,
	`{"customFields":{}}`,
	`{"languageId":-3,"gender":12}`,
	`{"languageId":1.5}`,
	`{"languageId":1e2}`,
	`{"languageId":"1"}`,
	`{"activeStatus":"Inactive"}`,
	`{"activeStatus":"bogus"}`,
	`{"activeStatus":1.0}`,
	`{"ID":"upper case name"}`,
	`{"userName":"other spelling"}`,
	`{"unknownField":{"nested":[1,2]},"id":"x"}`,
	`{"id":"x","id":"y"}`,
	`{"id":"esc\"aped\u00e9"}`,
	"{\"id\":\"bad\xffutf8\"}",
	"{\"id\":\"control\x01\"}",
	`{"id":5}`,
	`{"isAdmin":"true"}`,
	`{"isAdmin":null}`,
	`{"roleIds":["a",1]}`,
	`{"customFields":{"s":{"nested":true}}}`,
	`{"customFields":{"n":-0.5e3,"big":1e400}}`,
	`{"customFields":{"a":1,"a":2}}`,
	`{"id":"x"} trailing`,
	`{"id":"x",}`,
	`{"id":01}`,
	`[]`,
	`null`,
	``,
	`{"id":"x"`,
}

func TestDecodeUserMatchesEncodingJSON(t *testing.T) {
	for _, doc := range decodeUserCases {
		checkDecodeUser(t, []byte(doc))
	}
}

// TestDecodeUserMergesAsEncodingJSON: decoding into a User that holds values
// keeps json.Unmarshal's merge.
func TestDecodeUserMergesAsEncodingJSON(t *testing.T) {
	doc := []byte(`{"firstName":"New","customFields":{"string2":"x"}}`)
	want := User{ID: "kept", FirstName: "Old", CustomFields: map[string]any{"string1": "kept"}}
	got := User{ID: "kept", FirstName: "Old", CustomFields: map[string]any{"string1": "kept"}}
	if err := json.Unmarshal(doc, &want); err != nil {
		t.Fatal(err)
	}
	if err := DecodeUser(doc, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DecodeUser into a filled User (-json.Unmarshal +DecodeUser):\n%s", diff)
	}
}

func checkDecodeUser(t *testing.T, doc []byte) {
	t.Helper()
	var want, got User
	wantErr := json.Unmarshal(doc, &want)
	gotErr := DecodeUser(doc, &got)
	if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
		t.Errorf("DecodeUser(%q) error = %v, json.Unmarshal's %v", doc, gotErr, wantErr)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DecodeUser(%q) (-json.Unmarshal +DecodeUser):\n%s", doc, diff)
	}
}

func FuzzDecodeUser(f *testing.F) {
	for _, doc := range decodeUserCases {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) { checkDecodeUser(t, doc) })
}

func BenchmarkDecodeUser(b *testing.B) {
	doc := []byte(decodeUserCases[2])
	b.Run("DecodeUser", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var u User
			if err := DecodeUser(doc, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var u User
			if err := json.Unmarshal(doc, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestDecodeUserFastPath pins that the documents Absorb answers take the
// fast path rather than encoding/json.
func TestDecodeUserFastPath(t *testing.T) {
	for _, doc := range decodeUserCases[:6] {
		var u User
		d := userDecoder{data: doc}
		if !d.object(&u) || !d.atEnd() {
			t.Errorf("fast path refused %q", doc)
		}
	}
}
