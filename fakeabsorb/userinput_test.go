package fakeabsorb

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkDecodeUserInput checks that decodeUserInput decodes data as
// json.Unmarshal does into a zero userInput, and fails when it fails. It
// returns whether the parser decoded it without encoding/json.
func checkDecodeUserInput(t *testing.T, data []byte) (fast bool) {
	t.Helper()
	var want, got, parsed userInput
	wantErr := json.Unmarshal(data, &want)
	err := decodeUserInput(data, &got)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: decodeUserInput error = %v, json.Unmarshal error = %v", data, err, wantErr)
	}
	fast = decodeUserInputFast(data, &parsed)
	if fast && wantErr != nil {
		t.Fatalf("%q: the parser took what json.Unmarshal refuses (%v)", data, wantErr)
	}
	if wantErr != nil {
		return fast
	}
	// cmp tells nil from empty slices and maps, and compares pointers by value.
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("%q: decodeUserInput (-json.Unmarshal +got):\n%s", data, diff)
	}
	if fast {
		if diff := cmp.Diff(want, parsed); diff != "" {
			t.Fatalf("%q: the parser (-json.Unmarshal +got):\n%s", data, diff)
		}
	}
	return fast
}

// bridgeBody is a PUT body as a client that marshals a whole user sends it.
const bridgeBody = `{"id":"b0000000-0000-4000-8000-000000000001","departmentId":"d0000000-0000-4000-8000-000000000002",` +
	`"firstName":"Zoë","lastName":"Ørsted","username":"zoe@example.com","emailAddress":"zoe@example.com",` +
	`"ccEmailAddresses":["a@example.com","b@example.com"],"externalId":"emp-1001","languageId":3,"gender":0,` +
	`"jobTitle":"Staff Engineer","phone":"+1 555 0101","dateHired":"2020-01-02","dateAdded":"2024-01-15T09:12:00Z",` +
	`"dateEdited":"2024-01-15T09:12:00Z","lastLoginDate":"","customFields":{"string1":"blue","decimal1":1.5,"bool1":true,"string2":null},` +
	`"roleIds":[],"activeStatus":1,"isLearner":true,"isAdmin":false,"isInstructor":false,"isManager":true,"hasUsername":true}`

// fastBodies are bodies the parser decodes by itself.
var fastBodies = []string{
	bridgeBody,
	`{}`, " \t\r\n{ \t\r\n} \n", `{"username":"a"}`,
	`{"USERNAME":"a","DepartmentId":"d","FIRSTname":"f","lastname":"l","PassWord":"p"}`,
	`{"username":null,"activeStatus":null,"isLearner":null,"roleIds":null,"customFields":null,"languageId":null}`,
	`{"activeStatus":-0,"languageId":9223372036854775807,"gender":-9223372036854775808}`,
	`{"isLearner":false,"isInstructor":true,"isManager":false,"hasUsername":false}`,
	`{"ccEmailAddresses":[],"roleIds":[ "x" , "y" ]}`,
	`{"customFields":{}}`,
	`{"customFields":{"decimal1":0,"decimal2":-0.0,"decimal4":1E-400,"decimal5":123456789012345678901234567890,"string1":"","bool1":false}}`,
	`{"customFields":{"string1":"a","string1":"b","STRING1":"c","é":"d","nope":null}}`,
	`{"unknown":{"deep":[1,-2.5e+3,{"x":null,"y":"\u00e9\n\"","z":[]}],"t":true,"f":false},"id":"x","isAdmin":true}`,
	`{"notes":"` + "\x7f Zoë \u2028 \ufffd 😀" + `","dateAdded":"` + "\xff" + `"}`,
	`{"unknown":` + strings.Repeat("[", maxSkipDepth-1) + strings.Repeat("]", maxSkipDepth-1) + `}`,
}

// slowBodies are bodies the parser leaves to encoding/json, valid or not.
var slowBodies = []string{
	``, ` `, `null`, `[]`, `"x"`, `1`, `true`, `{`, `}`, `{}x`, `{},`, `{"a":1,}`, `{,}`, `{"a" 1}`, `{"a":}`,
	`{"a":tru}`, `{"a":nul}`, `{"a":"\u12"}`, `{"a":"\x"}`, `{"a":"` + "\x01" + `"}`, `{"a":01}`, `{"a":-}`, `{"a":1.}`,
	`{"a":.5}`, `{"a":1e}`, `{"a":+1}`, `{"a":[1,]}`, `{"a":{"b"}}`, `{"a":{1:2}}`, "\ufeff{}", `{'a':1}`,
	`{"username":1}`, `{"username":true}`, `{"username":{}}`, `{"username":[]}`, `{"username":"a\"b"}`,
	`{"username":"` + "\xff" + `"}`, `{"username":"` + "\xed\xa0\x80" + `"}`, `{"username":"a","username":"b"}`,
	`{"username":"a","USERNAME":"b"}`, `{"username":"a","username":null}`, `{"user\u006eame":"a"}`, `{"uſername":"a"}`,
	`{"\u212aey":"a"}`, `{"ßusername":"a"}`, `{"activeStatus":1.0}`, `{"activeStatus":1e0}`, `{"activeStatus":"1"}`,
	`{"activeStatus":9223372036854775808}`, `{"activeStatus":-9223372036854775809}`, `{"activeStatus":true}`,
	`{"isLearner":0}`, `{"isLearner":"true"}`, `{"roleIds":[null]}`, `{"roleIds":[1]}`, `{"roleIds":"x"}`,
	`{"roleIds":["a","b"],"roleIds":[null,null,null]}`, `{"ccEmailAddresses":{}}`, `{"customFields":[]}`,
	`{"customFields":"x"}`, `{"customFields":{"decimal1":1e400}}`, `{"customFields":{"decimal1":-1e309}}`,
	`{"customFields":{"a":[1]}}`, `{"customFields":{"a":{}}}`, `{"customFields":{"a":"\n"}}`,
	`{"customFields":{"a":1},"customFields":{"b":2}}`, `{"customFields":{"` + "\xff" + `":1}}`,
	`{"unknown":` + strings.Repeat("[", maxSkipDepth) + strings.Repeat("]", maxSkipDepth) + `}`,
	`{"unknown":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}`,
	`{"unknown":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
	`{"unknown":` + strings.Repeat(`{"a":`, 9999) + `1` + strings.Repeat("}", 9999) + `}`,
}

func TestDecodeUserInput(t *testing.T) {
	for _, body := range fastBodies {
		t.Run("fast "+abbrev(body), func(t *testing.T) {
			if !checkDecodeUserInput(t, []byte(body)) {
				t.Error("left to encoding/json")
			}
		})
	}
	for _, body := range slowBodies {
		t.Run("slow "+abbrev(body), func(t *testing.T) {
			if checkDecodeUserInput(t, []byte(body)) {
				t.Error("decoded by the parser")
			}
		})
	}
}

func abbrev(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

func FuzzDecodeUserInput(f *testing.F) {
	for _, body := range append(fastBodies, slowBodies...) {
		if len(body) < 1000 {
			f.Add([]byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecodeUserInput(t, data)
	})
}

// checkSplitUpload checks that splitUpload, when it takes data, splits it as
// json.Unmarshal into []json.RawMessage does.
func checkSplitUpload(t *testing.T, data []byte) (split bool) {
	t.Helper()
	got, split := splitUpload(data)
	if !split {
		return false
	}
	var want []json.RawMessage
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("%q: split what json.Unmarshal refuses: %v", data, err)
	}
	if len(got) != len(want) || (got == nil) != (want == nil) {
		t.Fatalf("%q: %d elements, want %d", data, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%q: element %d is %q, want %q", data, i, got[i], want[i])
		}
	}
	return true
}

func TestSplitUpload(t *testing.T) {
	for _, tt := range []struct {
		body  string
		split bool
	}{
		{`[]`, true}, {" [ ] ", true}, {`[` + bridgeBody + `, null ,1,"x",{},[],true]`, true},
		{`[{"a":"\u00e9"},{"b":[{"c":-1.5e3}]}]`, true},
		{`[` + strings.Repeat("[", maxSkipDepth) + strings.Repeat("]", maxSkipDepth) + `]`, false},
		{``, false}, {`null`, false}, {`{}`, false}, {`"x"`, false}, {`[`, false}, {`[,]`, false}, {`[1,]`, false},
		{`[1 2]`, false}, {`[]]`, false}, {`[01]`, false}, {`[{"a"}]`, false},
	} {
		t.Run(abbrev(tt.body), func(t *testing.T) {
			if got := checkSplitUpload(t, []byte(tt.body)); got != tt.split {
				t.Errorf("split = %v, want %v", got, tt.split)
			}
		})
	}
}

func FuzzSplitUpload(f *testing.F) {
	for _, body := range append(fastBodies, slowBodies...) {
		if len(body) < 1000 {
			f.Add([]byte("[" + body + "]"))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSplitUpload(t, data)
	})
}
