package scimdoc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// fuzzLimits are small enough that seeds and fuzzed values cross them.
var fuzzLimits = Limits{
	MaxLength:        map[string]int{"userName": 24, "emails.value": 20},
	DefaultMaxLength: 64,
	MaxValues:        map[string]int{"emails": 3},
	DefaultMaxValues: 4,
	MaxPatchWork:     200,
}

func TestLimitsRefuseLongAndManyValues(t *testing.T) {
	rs := userSchema().WithLimits(fuzzLimits)
	tests := []struct {
		name, body, want string
	}{
		{"userName over its limit", `{"userName":"` + strings.Repeat("a", 25) + `"}`,
			`attribute "userName" is 25 characters long, more than the limit of 24`},
		{"limit counts characters, not bytes", `{"userName":"` + strings.Repeat("é", 24) + `"}`, ""},
		{"email value over its limit", `{"userName":"a","emails":[{"value":"` + strings.Repeat("e", 21) + `"}]}`,
			`attribute "emails.value" is 21 characters long, more than the limit of 20`},
		{"default length", `{"userName":"a","title":"` + strings.Repeat("t", 65) + `"}`,
			`attribute "title" is 65 characters long, more than the limit of 64`},
		{"extension attribute", `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"` + strings.Repeat("d", 65) + `"}}`,
			`attribute "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department" is 65 characters long, more than the limit of 64`},
		{"too many emails", `{"userName":"a","emails":[{"value":"a"},{"value":"b"},{"value":"c"},{"value":"d"}]}`,
			`attribute "emails" has 4 values, more than the limit of 3`},
		{"default count", `{"userName":"a","phoneNumbers":[{"value":"1"},{"value":"2"},{"value":"3"},{"value":"4"},{"value":"5"}]}`,
			`attribute "phoneNumbers" has 5 values, more than the limit of 4`},
		{"within every limit", `{"userName":"` + strings.Repeat("a", 24) + `","emails":[{"value":"a"},{"value":"b"},{"value":"c"}]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Normalize(rs, doc(t, tt.body))
			checkLimitError(t, err, tt.want)
			// The same document reached by a PATCH is refused the same way.
			_, err = ApplyPatch(rs, doc(t, `{"userName":"a"}`), []Operation{{Op: "replace", Value: map[string]any(doc(t, tt.body))}})
			checkLimitError(t, err, tt.want)
		})
	}
}

func checkLimitError(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("err = %v, want none", err)
		}
		return
	}
	e, ok := AsError(err)
	if !ok || e.Status != http.StatusBadRequest || e.ScimType != TypeInvalidValue || !strings.Contains(e.Detail, want) {
		t.Fatalf("err = %v, want 400 invalidValue containing %q", err, want)
	}
}

// TestPatchNeverWorksOnAListOverTheLimit: each operation's result is
// checked, so a PATCH cannot grow a list far past the limit and then filter
// over it with every later operation.
func TestPatchNeverWorksOnAListOverTheLimit(t *testing.T) {
	rs := userSchema().WithLimits(fuzzLimits)
	ops := make([]Operation, 0, 1000)
	for i := range 1000 {
		ops = append(ops, Operation{Op: "add", Path: "emails", Value: []any{map[string]any{"value": fmt.Sprint(i, "@x")}}})
	}
	_, err := ApplyPatch(rs, doc(t, `{"userName":"a"}`), ops)
	checkLimitError(t, err, `operation 4 (add): attribute "emails" has 4 values, more than the limit of 3`)
}

// A document stored before the limits keeps what it has: a PATCH of other
// attributes works, one that grows an attribute past its limit does not, and
// a PATCH whose operations times the largest list pass MaxPatchWork is
// refused before it runs.
func TestDocumentStoredBeforeTheLimits(t *testing.T) {
	rs := userSchema().WithLimits(fuzzLimits)
	emails := make([]any, 50)
	for i := range emails {
		emails[i] = map[string]any{"value": fmt.Sprint(i, "@x")}
	}
	old := Document{"userName": "a", "title": strings.Repeat("t", 100), "emails": emails}
	got, err := ApplyPatch(rs, old, []Operation{{Op: "replace", Path: "userName", Value: "b"}})
	if err != nil || got["userName"] != "b" {
		t.Fatalf("PATCH of another attribute: %v", err)
	}
	_, err = ApplyPatch(rs, old, []Operation{{Op: "add", Path: "emails", Value: []any{map[string]any{"value": "new@x"}}}})
	checkLimitError(t, err, `attribute "emails" has 51 values, more than the limit of 3`)
	_, err = ApplyPatch(rs, old, []Operation{{Op: "replace", Path: "title", Value: strings.Repeat("u", 100)}})
	checkLimitError(t, err, `attribute "title" is 100 characters long`)
	ops := make([]Operation, 5)
	for i := range ops {
		ops[i] = Operation{Op: "replace", Path: `emails[value eq "1@x"].type`, Value: "work"}
	}
	_, err = ApplyPatch(rs, old, ops)
	checkLimitError(t, err, `attribute "emails" has 50 values, too many for a PATCH of 5 operations`)
	got, err = ApplyPatch(rs, old, []Operation{{Op: "replace", Path: "emails", Value: []any{map[string]any{"value": "only@x"}}}})
	if err != nil || len(got["emails"].([]any)) != 1 {
		t.Fatalf("replacing the list with fewer values: %v", err)
	}
}

func TestUnlimitedSchemaAcceptsAnySize(t *testing.T) {
	long := strings.Repeat("a", 100_000)
	if _, err := Normalize(userSchema(), doc(t, `{"userName":"`+long+`"}`)); err != nil {
		t.Fatalf("Normalize without limits: %v", err)
	}
	if got := userSchema().MaxLength("userName"); got != 0 {
		t.Fatalf("MaxLength without limits = %d, want 0", got)
	}
	rs := userSchema().WithLimits(fuzzLimits)
	if got := rs.MaxLength("emails.value"); got != 20 {
		t.Fatalf("MaxLength(emails.value) = %d, want 20", got)
	}
	if got := rs.MaxValues("phoneNumbers"); got != 4 {
		t.Fatalf("MaxValues(phoneNumbers) = %d, want 4", got)
	}
}

// RFC 7643 §2.4: primary true at most once, exact duplicates once; the same
// rule on POST/PUT (Normalize) as on PATCH (ApplyPatch).
func TestMultiValuedRules(t *testing.T) {
	rs := userSchema()
	tests := []struct{ name, in, want string }{
		{"two primaries keep the first",
			`{"userName":"a","emails":[{"value":"a@x","type":"work","primary":true},{"value":"b@x","type":"home","primary":true}]}`,
			`{"userName":"a","emails":[{"value":"a@x","type":"work","primary":true},{"value":"b@x","type":"home","primary":false}]}`},
		{"an exact duplicate is stored once",
			`{"userName":"a","emails":[{"value":"a@x","type":"work"},{"value":"A@X","type":"work"},{"value":"a@x","type":"home"}]}`,
			`{"userName":"a","emails":[{"value":"a@x","type":"work"},{"value":"a@x","type":"home"}]}`},
		{"a dropped primary duplicate makes the kept one primary",
			`{"userName":"a","emails":[{"value":"a@x","type":"work"},{"value":"a@x","type":"work","primary":true}]}`,
			`{"userName":"a","emails":[{"value":"a@x","type":"work","primary":true}]}`},
		{"values equal under Unicode case folding are stored once",
			`{"userName":"a","emails":[{"value":"\u212a@x","type":"work"},{"value":"k@x","type":"work"},{"value":"\u017f@x","type":"work"},{"value":"S@X","type":"work"},{"value":"t@x","type":"work"}]}`,
			`{"userName":"a","emails":[{"value":"\u212a@x","type":"work"},{"value":"\u017f@x","type":"work"},{"value":"t@x","type":"work"}]}`},
		{"addresses without a value compare every sub-attribute",
			`{"userName":"a","addresses":[{"type":"work","locality":"X","primary":true},{"type":"work","locality":"X"},{"type":"work","locality":"Y"}]}`,
			`{"userName":"a","addresses":[{"type":"work","locality":"X","primary":true},{"type":"work","locality":"Y"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := doc(t, tt.want)
			got, err := Normalize(rs, doc(t, tt.in))
			if err != nil {
				t.Fatal(err)
			}
			delete(got, "schemas")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Normalize (-want +got):\n%s", diff)
			}
			got, err = ApplyPatch(rs, doc(t, `{"userName":"a"}`), []Operation{{Op: "replace", Value: map[string]any(doc(t, tt.in))}})
			if err != nil {
				t.Fatal(err)
			}
			delete(got, "schemas")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ApplyPatch (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzNormalizeLimits checks that whatever Normalize accepts is within the
// limits and has at most one primary value per attribute.
func FuzzNormalizeLimits(f *testing.F) {
	f.Add([]byte(bjensen))
	f.Add([]byte(`{"userName":"` + strings.Repeat("é", 25) + `","emails":[{"value":"a","primary":true},{"value":"a","primary":true}]}`))
	f.Add([]byte(`{"userName":"a","phoneNumbers":["1","2","3","4","5"],"emails":[{"value":"a"},{"value":"b"},{"value":"c"},{"value":"d"}]}`))
	rs := userSchema().WithLimits(fuzzLimits)
	f.Fuzz(func(t *testing.T, body []byte) {
		var d Document
		if json.Unmarshal(body, &d) != nil || d == nil {
			return
		}
		got, err := Normalize(rs, d)
		if err != nil {
			requireBadRequest(t, err)
			return
		}
		checkWithinLimits(t, got)
	})
}

// checkWithinLimits checks doc against fuzzLimits without the code under
// test: every string at most DefaultMaxLength characters, every list at
// most DefaultMaxValues values, at most one primary per list.
func checkWithinLimits(t *testing.T, d Document) {
	t.Helper()
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case string:
			if n := utf8.RuneCountInString(v); n > fuzzLimits.DefaultMaxLength {
				t.Fatalf("%s is %d characters long, beyond every limit", path, n)
			}
		case []any:
			if len(v) > fuzzLimits.DefaultMaxValues {
				t.Fatalf("%s has %d values, beyond every limit", path, len(v))
			}
			primaries := 0
			for _, e := range v {
				if m, ok := e.(map[string]any); ok && m["primary"] == true {
					primaries++
				}
				walk(path+"[]", e)
			}
			if primaries > 1 {
				t.Fatalf("%s has %d primary values", path, primaries)
			}
		case map[string]any:
			for k, e := range v {
				if path == "" && (k == "schemas" || k == "id" || k == "meta") {
					continue
				}
				walk(path+"."+k, e)
			}
		}
	}
	walk("", map[string]any(d))
}

// BenchmarkPatchLargestAllowed is the costliest PATCH the bridge's limits
// allow on the largest user they allow: 1,000 filtered replaces on a user
// with 100 emails.
func BenchmarkPatchLargestAllowed(b *testing.B) {
	rs := userSchema().WithLimits(Limits{DefaultMaxLength: 2048, DefaultMaxValues: 100})
	emails := make([]any, 100)
	for i := range emails {
		emails[i] = map[string]any{"value": fmt.Sprintf("u%d@example.com", i), "type": fmt.Sprint("t", i)}
	}
	start := Document{"userName": "u", "emails": emails}
	ops := make([]Operation, 1000)
	for i := range ops {
		ops[i] = Operation{Op: "replace", Path: fmt.Sprintf(`emails[type eq "t%d"].value`, i%100), Value: fmt.Sprintf("n%d@example.com", i)}
	}
	for b.Loop() {
		if _, err := ApplyPatch(rs, start, ops); err != nil {
			b.Fatal(err)
		}
	}
}

// RFC 7644 §3.5.2.3: a replace whose filter selects nothing is 400 noTarget
// when strict, and adds the value the filter describes otherwise (Entra).
func TestStrictReplaceWithoutTarget(t *testing.T) {
	rs := userSchema()
	start := doc(t, `{"userName":"a","emails":[{"value":"a@x","type":"work"}]}`)
	op := []Operation{{Op: "replace", Path: `emails[type eq "home"].value`, Value: "h@x"}}
	got, err := ApplyPatch(rs, start, op)
	if err != nil || len(got["emails"].([]any)) != 2 {
		t.Fatalf("lenient: %v, %v; want the home email added", got["emails"], err)
	}
	_, err = ApplyPatchWith(rs, start, op, PatchOptions{Strict: true})
	if e, ok := AsError(err); !ok || e.Status != http.StatusBadRequest || e.ScimType != TypeNoTarget {
		t.Fatalf("strict: %v, want 400 noTarget", err)
	}
	op[0].Path = `emails[type eq "work"].value`
	if _, err := ApplyPatchWith(rs, start, op, PatchOptions{Strict: true}); err != nil {
		t.Fatalf("strict with a target: %v", err)
	}
}

// TestManyValuesDuplicateFound drops a duplicate from a list longer than
// fewValues, where values are grouped by their folded text before they are
// compared: the duplicate differs only in Unicode case folding.
func TestManyValuesDuplicateFound(t *testing.T) {
	emails := []any{map[string]any{"value": "\u212a@x", "type": "work"}}
	for i := range fewValues + 2 {
		emails = append(emails, map[string]any{"value": fmt.Sprintf("u%d@x", i), "type": "work"})
	}
	emails = append(emails, map[string]any{"value": "k@X", "type": "work"})
	got, err := Normalize(userSchema(), Document{"userName": "a", "emails": emails})
	if err != nil {
		t.Fatal(err)
	}
	if l := got["emails"].([]any); len(l) != len(emails)-1 || l[0].(map[string]any)["value"] != "\u212a@x" {
		t.Errorf("emails %v: want the %d values without the last", l, len(emails)-1)
	}
}
