package scimdoc

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// requireBadRequest fails unless err is nil or a 400 *Error.
func requireBadRequest(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	e, ok := AsError(err)
	if !ok || e.Status != http.StatusBadRequest || e.ScimType == "" || e.Detail == "" {
		t.Fatalf("error %v (%T) is not a 400 *Error with scimType and detail", err, err)
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		`userName eq "bjensen"`,
		`externalId eq jyoung`,
		`emails[type eq "work"].value eq "user@contoso.com"`,
		`id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager eq 2819c223-7f76-453a-919d-413861904646`,
		`name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`,
		`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`,
		`not (a pr) or b eq null and c gt -1.5e3`,
		`members[value eq "x" or not (type eq "Group")]`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`,
		`a eq "\u00e9\"\\"`,
		"a gt 000\x1f\x1f00\x00",
		`((((a pr))))`,
		`emails[`,
		`"`,
		`]`,
	} {
		f.Add(s)
	}
	rs := userSchema()
	d := doc(f, bjensen)
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			requireBadRequest(t, err)
			if e, _ := AsError(err); e.ScimType != TypeInvalidFilter {
				t.Fatalf("scimType = %q, want invalidFilter", e.ScimType)
			}
			return
		}
		flt.Match(rs, d)
		flt.Match(rs, Document{"emails": "x", "name": []any{1.0}})
		flt.EqualityHints()
		requireBadRequest(t, flt.Validate(rs))
		canon := flt.String()
		if len(canon) > MaxFilterLength {
			return // escaping control characters can make the canonical form longer
		}
		again, err := ParseFilter(canon)
		if err != nil {
			t.Fatalf("ParseFilter(%q).String() = %q does not parse: %v", s, canon, err)
		}
		if got := again.String(); got != canon {
			t.Fatalf("String is not stable: %q then %q", canon, got)
		}
		if flt.Match(rs, d) != again.Match(rs, d) {
			t.Fatalf("%q and its canonical form %q disagree", s, canon)
		}
	})
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"userName", "name.familyName", `emails[type eq "work"].value`, `members[value eq "x"]`,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", enterpriseURN,
		`addresses[type eq "work"].streetAddress`, `emails[value eq "a]b"].display`, "manager", `x[`, `emails[]`, `emails[a pr].`,
	} {
		f.Add(s)
	}
	rs := userSchema()
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(rs, s)
		if err != nil {
			requireBadRequest(t, err)
			return
		}
		for _, v := range []any{nil, "x", true, map[string]any{"type": "work", "value": "x"}, []any{"x"}} {
			p.Selects(v)
		}
		p.FilterValue()
	})
}

func FuzzDecodePatch(f *testing.F) {
	for _, ops := range []string{
		`[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"x@y.com"},{"op":"Replace","path":"name.familyName","value":"F"}]`,
		`[{"op":"replace","value":{"active":false}}]`,
		`[{"op":"Replace","path":"active","value":"False"}]`,
		`[{"op":"replace","value":{"displayName":"B","name.givenName":"K","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"A"}}]`,
		`[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"4561"}]`,
		`[{"op":"Add","path":"manager","value":[{"$ref":"http://x/Users/00aa","value":"00aa"}]}]`,
		`[{"op":"remove","path":"emails[type eq \"home\"]"},{"op":"add","path":"emails","value":[{"value":"a@b.c","primary":true}]}]`,
		`[{"op":"remove","path":"name.givenName"},{"op":"remove"}]`,
		`[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D"}}}]`,
		`[{"op":"replace","path":"meta.created","value":1}]`,
	} {
		f.Add([]byte(patchBody(ops)))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	rs := userSchema()
	start := doc(f, bjensen)
	f.Fuzz(func(t *testing.T, body []byte) {
		ops, err := DecodePatch(body, 20)
		if err != nil {
			requireBadRequest(t, err)
			return
		}
		checkApply(t, rs, start, ops)
	})
}

func FuzzApplyPatch(f *testing.F) {
	for _, seed := range []struct{ op, path, value string }{
		{"replace", `emails[type eq "work"].value`, `"x@y.com"`},
		{"add", "members", `[{"value":"u"}]`},
		{"remove", `emails[value co "@"]`, `null`},
		{"add", "", `{"name.givenName":"G","Title":"T"}`},
		{"replace", "manager", `"m"`},
		{"replace", "addresses[type eq \"work\"]", `{"locality":"X"}`},
		{"add", "name", `{"givenName":null}`},
		{"remove", "emails", `[{"value":"babs@jensen.org"}]`},
		{"replace", enterpriseURN, `{"employeeNumber":"9"}`},
		{"add", "phoneNumbers.primary", `"True"`},
	} {
		f.Add(seed.op, seed.path, []byte(seed.value))
	}
	f.Add("add", "emails", []byte(`[{"value":"a","primary":true},{"value":"b","primary":true},{"value":"c"}]`))
	f.Add("replace", "userName", []byte(`"`+strings.Repeat("x", 25)+`"`))
	rs := userSchema().WithLimits(fuzzLimits)
	start := doc(f, bjensen)
	f.Fuzz(func(t *testing.T, op, path string, raw []byte) {
		var value any
		if json.Unmarshal(raw, &value) != nil {
			value = string(raw)
		}
		checkApply(t, rs, start, []Operation{{Op: op, Path: path, Value: value}})
	})
}

// checkApply applies ops and checks the invariants of ApplyPatch: a 400 or a
// document, the input untouched, the result normalizable and JSON.
func checkApply(t *testing.T, rs *ResourceSchema, start Document, ops []Operation) {
	t.Helper()
	before := DeepCopy(start)
	got, err := ApplyPatch(rs, start, ops)
	if diff := cmp.Diff(before, start); diff != "" {
		t.Fatalf("ApplyPatch modified its input (-before +after):\n%s", diff)
	}
	if err != nil {
		requireBadRequest(t, err)
		if got != nil {
			t.Fatal("ApplyPatch returned a document with its error")
		}
		return
	}
	if _, err := json.Marshal(got); err != nil {
		t.Fatalf("result does not marshal: %v", err)
	}
	if _, err := Normalize(rs, got); err != nil {
		t.Fatalf("result does not normalize: %v", err)
	}
	if rs.limits != nil {
		checkWithinLimits(t, got)
	}
}
