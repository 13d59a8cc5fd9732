package fakeabsorb

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFilterUsers(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	obrien := newUser("o'brien", DeptResearchID)
	obrien["lastName"] = "O'Brien"
	f.send("POST", "/users", tok, obrien).want(t, 201)

	const (
		admin   = BridgeAdminUsername
		auditor = AuditorUsername
		scoped  = ScopedAdminUsername
		alice   = "alice@example.com"
		bob     = "bob@example.com"
		carol   = "carol@example.com"
		dave    = "dave@example.com"
	)
	tests := []struct {
		filter string
		want   []string
	}{
		{"username eq 'alice@example.com'", []string{alice}},
		{"username eq 'ALICE@EXAMPLE.COM'", []string{alice}},
		{"USERNAME eq 'bob@example.com'", []string{bob}},
		{"firstname eq 'Carol'", []string{carol}},
		{"username ne 'alice@example.com' and isAdmin eq false", []string{bob, carol, dave, "o'brien"}},
		{"lastName eq 'O''Brien'", []string{"o'brien"}},
		{"externalId gt 'emp-1002'", []string{carol, dave}},
		{"externalId ge 'emp-1002'", []string{bob, carol, dave}},
		{"externalId lt 'emp-1002'", []string{alice}},
		{"externalId le 'emp-1002'", []string{alice, bob}},
		{"externalId eq null", []string{admin, auditor, scoped, "o'brien"}},
		{"externalId ne null", []string{alice, bob, carol, dave}},
		{"middleName eq null and isAdmin eq false and lastName ne 'O''Brien'", []string{alice, bob, dave}},
		{"activeStatus eq 1", []string{dave}},
		{"activeStatus ne 0", []string{dave}},
		{"activeStatus lt 1 and isAdmin", []string{admin, auditor, scoped}},
		{"isAdmin eq true", []string{admin, auditor, scoped}},
		{"not isAdmin and activeStatus eq 0 and lastName ne 'O''Brien'", []string{alice, bob, carol}},
		{"not (isAdmin eq true)", []string{alice, bob, carol, dave, "o'brien"}},
		{"id eq guid'" + UserBobID + "'", []string{bob}},
		{"id eq guid'" + strings.ToUpper(UserBobID) + "'", []string{bob}},
		{"departmentId eq guid'" + DeptEngineeringID + "'", []string{alice, dave}},
		{"departmentId eq guid'" + DeptEngineeringID + "' or departmentId eq guid'" + DeptSalesID + "'", []string{scoped, alice, bob, dave}},
		{"(departmentId eq guid'" + DeptEngineeringID + "' or departmentId eq guid'" + DeptSalesID + "') and activeStatus eq 0", []string{scoped, alice, bob}},
		{"departmentId eq guid'" + DeptEngineeringID + "' or departmentId eq guid'" + DeptSalesID + "' and activeStatus eq 0", []string{scoped, alice, bob, dave}},
		{"dateAdded ge datetime'2024-01-15T09:14:00Z'", []string{carol, dave, "o'brien"}},
		{"dateAdded gt datetime'2024-01-15T09:14:00Z' and dateAdded lt datetime'2024-01-16'", []string{dave}},
		{"dateEdited le datetime'2024-01-15T09:10:00'", []string{admin, auditor}},
		{"dateAdded lt datetime'2024-01-15T10:10:00+01:00'", []string{admin}},
		{"customFields/string1 eq 'blue'", []string{alice}},
		{"CustomFields/String1 eq 'BLUE'", []string{alice}},
		{"customFields/decimal1 eq null and isAdmin eq false and activeStatus eq 1", []string{dave}},
		{"startswith(username,'ca')", []string{carol}},
		{"startsWith(lastName,'d') or endswith(username,'-admin')", []string{admin, scoped, dave}},
		{"substringof('ob',username)", []string{bob}},
		{"contains(username,'ob')", []string{bob}},
		{"tolower(firstName) eq 'alice'", []string{alice}},
		{"toupper(lastName) eq 'BROWN'", []string{bob}},
		{"startswith(username,'ca') eq true", []string{carol}},
		{"  username   eq   'dave@example.com'  ", []string{dave}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			res := f.send("GET", "/users?_limit=100&_filter="+url.QueryEscape(tt.filter), tok, nil).want(t, 200)
			if diff := cmp.Diff(tt.want, column(res.items(t, "users"), "username")); diff != "" {
				t.Errorf("usernames (-want +got):\n%s", diff)
			}
			if got := res.object(t)["totalItems"]; got != float64(len(tt.want)) {
				t.Errorf("totalItems = %v, want %d", got, len(tt.want))
			}
		})
	}
}

func TestFilterOtherResources(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	tests := []struct {
		path, filter, key, col string
		want                   []string
	}{
		{"/departments", "externalId eq 'dept-sales'", "departments", "name", []string{"Sales"}},
		{"/departments", "parentId eq null", "departments", "name", []string{"Company"}},
		{"/departments", "parentId eq guid'" + DeptCompanyID + "' and name ne 'Sales'", "departments", "name", []string{"Engineering", "Support", "Research"}},
		{"/courses", "startswith(name,'new')", "courses", "name", []string{"New Hire Onboarding"}},
		{"/groups", "isAutomatic eq true", "groups", "name", []string{"Engineering Team"}},
		{"/users/" + UserAliceID + "/enrollments", "status eq 3", "enrollments", "courseName", []string{"Security Awareness"}},
		{"/users/" + UserAliceID + "/enrollments", "progress lt 50", "enrollments", "courseName", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.filter, func(t *testing.T) {
			res := f.send("GET", tt.path+"?_filter="+url.QueryEscape(tt.filter), tok, nil).want(t, 200)
			if diff := cmp.Diff(tt.want, column(res.items(t, tt.key), tt.col)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBadFilter(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	tests := []struct {
		filter string
		detail string // part of the message
	}{
		{"username eq", "unexpected 'end of filter'"},
		{"username eq 'x", "unterminated string literal"},
		{"shoeSize eq 3", "could not find a property named 'shoeSize'"},
		{"customFields/string99 eq 'x'", "could not find a property named 'string99'"},
		{"id eq '" + UserBobID + "'", "incompatible types"},
		{"dateAdded ge '2024-01-01'", "incompatible types"},
		{"activeStatus eq 'x'", "incompatible types"},
		{"username eq 'a' and activeStatus", "needs boolean operands"},
		{"username", "must be a boolean expression"},
		{"id eq guid'nope'", "unrecognized guid literal"},
		{"dateAdded ge datetime'soon'", "unrecognized datetime literal"},
		{"frobnicate(username)", "unknown function 'frobnicate'"},
		{"startswith(username)", "takes 2 arguments"},
		{"startswith(activeStatus,'1')", "takes string arguments"},
		{"(username eq 'a'", "expected ')'"},
		{"username eq 'a')", "unexpected ')'"},
		{"roleIds eq null", "cannot be used in a filter"},
		{"username eq 'a' # 1", "unexpected character '#'"},
		{"username eq x'1'", "unknown literal prefix 'x'"},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			res := f.send("GET", "/users?_filter="+url.QueryEscape(tt.filter), tok, nil).want(t, 400)
			msg := res.message(t)
			if !strings.HasPrefix(msg, "The query specified in the URI is not valid.") || !strings.Contains(msg, tt.detail) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.detail)
			}
			_, err := parseFilter(tt.filter, userFields)
			if !errors.Is(err, errFilter) {
				t.Errorf("parseFilter error = %v, want errFilter", err)
			}
		})
	}
}

// lowerStrings are strings whose lower-case forms order awkwardly: case
// mappings that change the length of a rune's UTF-8, title case, invalid
// bytes (lowered to U+FFFD), U+FFFD itself, prefixes.
var lowerStrings = []string{
	"", "a", "A", "ab", "aB", "Ab", "b", "B", "@", "[", "`", "{", "_", "~", "\x7f",
	"é", "É", "e\u0301", "İ", "i", "ı", "I", "K", "\u212a", "k", "ſ", "s", "S", "ǅ", "ǆ", "Ǆ",
	"\xff", "\xff\xfe", "\ufffd", "\xed\xa0\x80", "\xc3", "a\xffb", "a\ufffdb", "Ω", "\u2126", "ω",
	"alice@example.com", "Alice@Example.com", "ALICE@EXAMPLE.COM", "alice@example.co",
	"zeta", "Zeta", "ZETA", "Émile", "émile", "EMILE", "Ångström", "angstrom", "日本", "😀", "\U0010FFFF",
}

func TestCompareLower(t *testing.T) {
	for _, a := range lowerStrings {
		for _, b := range lowerStrings {
			if got, want := compareLower(a, b), strings.Compare(strings.ToLower(a), strings.ToLower(b)); got != want {
				t.Errorf("compareLower(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func FuzzCompareLower(f *testing.F) {
	for i, a := range lowerStrings {
		f.Add(a, lowerStrings[(i*7+3)%len(lowerStrings)])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := compareLower(a, b), strings.Compare(strings.ToLower(a), strings.ToLower(b)); got != want {
			t.Errorf("compareLower(%q, %q) = %d, want %d", a, b, got, want)
		}
	})
}
