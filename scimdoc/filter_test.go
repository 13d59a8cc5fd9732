package scimdoc

import (
	"net/http"
	"strings"
	"testing"
)

func TestParseFilterCanonical(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Entra ID (E-n) and Okta (O-n) catalogue.
		{"E-1 test connection", `userName eq "9ad6e4f2-b6d4-4e3a-9d4c-5c5a3b8b1f0e"`, `userName eq "9ad6e4f2-b6d4-4e3a-9d4c-5c5a3b8b1f0e"`},
		{"E-2 match user", `userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"`, `userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"`},
		{"E-3 none found", `userName eq "non-existent user"`, `userName eq "non-existent user"`},
		{"E-4 unquoted externalId", `externalId eq jyoung`, `externalId eq "jyoung"`},
		{"E-5 email value path with sub-attribute", `emails[type eq "work"].value eq "user@contoso.com"`, `emails[type eq "work" and value eq "user@contoso.com"]`},
		{"E-18 unquoted ids", `id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager eq 2819c223-7f76-453a-919d-413861904646`, `id eq "54D382A4-2050-4C03-94D1-E769F1D15682" and manager eq "2819c223-7f76-453a-919d-413861904646"`},
		{"E-22 match group", `displayName eq "displayName"`, `displayName eq "displayName"`},
		{"O-2 user exists", `userName eq "test.user@okta.local"`, `userName eq "test.user@okta.local"`},
		// MS reference code filters.
		{"MS-Ref mixed case unquoted", `name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`, `name.FamilyName eq "Employee" and (emails.Value co "example.com" or emails.Value co "example.org")`},
		{"MS-Ref sw bare letter", `userName sw O`, `userName sw "O"`},
		{"MS-Ref unquoted datetime", `meta.Created gt 2015-10-10T14:38:21.8617979-07:00`, `meta.Created gt "2015-10-10T14:38:21.8617979-07:00"`},
		{"operator case", `USERNAME Eq "x"`, `USERNAME eq "x"`},
		{"logical case", `a pr AND b pr Or NOT (c pr)`, `a pr and b pr or not (c pr)`},
		// RFC 7644 §3.4.2.2 examples.
		{"rfc eq", `userName Eq "john"`, `userName eq "john"`},
		{"rfc co", `name.familyName co "O'Malley"`, `name.familyName co "O'Malley"`},
		{"rfc urn", `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`, `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`},
		{"rfc pr", `title pr`, `title pr`},
		{"rfc gt datetime", `meta.lastModified gt "2011-05-13T04:42:34Z"`, `meta.lastModified gt "2011-05-13T04:42:34Z"`},
		{"rfc and or grouping", `userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`, `userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`},
		{"rfc not", `userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`, `userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`},
		{"rfc value path", `emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`, `emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`},
		{"value path three terms", `emails[type eq "work" and primary eq true and value ew ".com"]`, `emails[type eq "work" and primary eq true and value ew ".com"]`},
		{"value path with or and sub", `emails[type eq "work" or type eq "home"].value eq "x"`, `emails[(type eq "work" or type eq "home") and value eq "x"]`},
		{"value path grouping inside", `emails[not (type eq "work")]`, `emails[not (type eq "work")]`},
		{"members value path in and", `id eq "g" and members[value eq "u"]`, `id eq "g" and members[value eq "u"]`},
		{"literals", `active eq True and x eq null and n gt 12 and d le -1.5e3`, `active eq true and x eq null and n gt 12 and d le -1500`},
		{"long digit strings are text", `externalId eq 12345678901234567890`, `externalId eq "12345678901234567890"`},
		{"escapes", `displayName eq "a\"b\\c\u00e9\n\/"`, `displayName eq "a\"b\\cé\u000A/"`},
		{"surrogate pair", `displayName eq "\ud83d\ude00"`, `displayName eq "😀"`},
		{"extra whitespace", "  userName\teq   \"x\"  and ( title pr )", `userName eq "x" and title pr`},
		{"precedence and over or", `a pr or b pr and c pr`, `a pr or b pr and c pr`},
		{"or under and keeps parentheses", `(a pr or b pr) and c pr`, `(a pr or b pr) and c pr`},
		{"not without space", `not(a pr)`, `not (a pr)`},
		{"attribute named not", `not pr`, `not pr`},
		{"value and", `title eq and`, `title eq "and"`},
		{"dollar ref", `members.$ref pr`, `members.$ref pr`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.in)
			if err != nil {
				t.Fatalf("ParseFilter(%q) = %v", tt.in, err)
			}
			if got := f.String(); got != tt.want {
				t.Errorf("ParseFilter(%q).String() = %s, want %s", tt.in, got, tt.want)
			}
			again, err := ParseFilter(f.String())
			if err != nil {
				t.Fatalf("ParseFilter(String()) = %v", err)
			}
			if got := again.String(); got != tt.want {
				t.Errorf("round trip = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	tests := []struct {
		name, in, detail string
	}{
		{"empty", "", "empty"},
		{"blank", "   ", "empty"},
		{"missing value", `userName eq`, `expected a value after "eq"`},
		{"missing operator", `userName`, `expected an operator`},
		{"unknown operator", `userName eqq "x"`, `found "eqq"`},
		{"unterminated string", `userName eq "x`, `unterminated string`},
		{"bad escape", `userName eq "\x"`, `invalid escape`},
		{"bad unicode escape", `userName eq "\u12"`, `invalid \u escape`},
		{"unbalanced open", `(userName eq "x"`, `missing ")"`},
		{"unbalanced close", `userName eq "x")`, `unexpected ")"`},
		{"dangling and", `userName eq "x" and`, `expected an expression after "and"`},
		{"two values", `userName eq John Smith`, `expected "and", "or"`},
		{"missing bracket", `emails[type eq "work"`, `missing "]"`},
		{"empty value filter", `emails[]`, `empty value filter`},
		{"nested value filter", `emails[type[value eq "x"] pr]`, `nested`},
		{"stray bracket", `emails]`, `expected an operator`},
		{"bad attribute", `user@name eq "x"`, `invalid attribute path`},
		{"bad sub-attribute after value path", `emails[type eq "work"].  eq "x"`, `invalid attribute path ""`},
		{"space before sub-attribute", `emails[type eq "work"] .value eq "x"`, `expected "and", "or"`},
		{"not without parentheses", `not userName eq "x"`, `expected an operator`},
		{"empty group", `()`, `expected an attribute`},
		{"value is a group", `userName eq (x)`, `expected a value`},
		{"reserved placeholder", `urn:x-scimdoc:valuepath:v0 pr`, `invalid attribute path`},
		{"too deep", strings.Repeat("(", 40) + "a pr" + strings.Repeat(")", 40), `nests deeper`},
		{"too long", `userName eq "` + strings.Repeat("x", MaxFilterLength) + `"`, `longer than 4096`},
		{"invalid utf-8", "userName eq \"\xff\"", `UTF-8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.in)
			if err == nil {
				t.Fatalf("ParseFilter(%q) = %s, want error", tt.in, f)
			}
			e := wantSCIMError(t, err, http.StatusBadRequest, TypeInvalidFilter)
			if !strings.Contains(e.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", e.Detail, tt.detail)
			}
		})
	}
}

func TestParseFilterMaxLength(t *testing.T) {
	prefix := `userName eq "`
	s := prefix + strings.Repeat("x", MaxFilterLength-len(prefix)-1) + `"`
	if len(s) != MaxFilterLength {
		t.Fatalf("test filter has %d bytes", len(s))
	}
	if _, err := ParseFilter(s); err != nil {
		t.Errorf("filter of exactly MaxFilterLength bytes: %v", err)
	}
	if _, err := ParseFilter(s + " "); err == nil {
		t.Errorf("filter of MaxFilterLength+1 bytes parsed")
	}
}

func TestNilFilter(t *testing.T) {
	var f *Filter
	if !f.Match(userSchema(), Document{}) {
		t.Error("nil filter does not match")
	}
	if f.String() != "" || f.EqualityHints() != nil {
		t.Error("nil filter has a string or hints")
	}
}
