package scimdoc

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParsePath(t *testing.T) {
	rs := userSchema()
	tests := []struct {
		in         string
		want       Path
		wantFilter string
	}{
		{"userName", Path{URN: userURN, Attr: "userName"}, ""},
		{"USERNAME", Path{URN: userURN, Attr: "userName"}, ""},
		{"name.familyName", Path{URN: userURN, Attr: "name", Sub: "familyName"}, ""},
		{"Name.FamilyName", Path{URN: userURN, Attr: "name", Sub: "familyName"}, ""},
		{"nickName", Path{URN: userURN, Attr: "nickName"}, ""},
		{"externalId", Path{URN: userURN, Attr: "externalId"}, ""},
		{"members", Path{}, "unknown"},
		{`emails[type eq "work"].value`, Path{URN: userURN, Attr: "emails", Sub: "value"}, `type eq "work"`},
		{`EMAILS[TYPE EQ "work"].VALUE`, Path{URN: userURN, Attr: "emails", Sub: "value"}, `TYPE eq "work"`},
		{`addresses[type eq "work"].streetAddress`, Path{URN: userURN, Attr: "addresses", Sub: "streetAddress"}, `type eq "work"`},
		{`emails[type eq "work" and primary eq true]`, Path{URN: userURN, Attr: "emails"}, `type eq "work" and primary eq true`},
		{`emails[value eq "a]b"]`, Path{URN: userURN, Attr: "emails"}, `value eq "a]b"`},
		{`emails[value eq "a\"]b"]`, Path{URN: userURN, Attr: "emails"}, `value eq "a\"]b"`},
		{enterpriseURN + ":employeeNumber", Path{URN: enterpriseURN, Attr: "employeeNumber"}, ""},
		{enterpriseURN + ":manager", Path{URN: enterpriseURN, Attr: "manager"}, ""},
		{enterpriseURN + ":manager.value", Path{URN: enterpriseURN, Attr: "manager", Sub: "value"}, ""},
		{"manager", Path{URN: enterpriseURN, Attr: "manager"}, ""},
		{enterpriseURN, Path{URN: enterpriseURN}, ""},
		{strings.ToLower(enterpriseURN), Path{URN: enterpriseURN}, ""},
		{userURN + ":name.givenName", Path{URN: userURN, Attr: "name", Sub: "givenName"}, ""},
		{"  userName  ", Path{URN: userURN, Attr: "userName"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePath(rs, tt.in)
			if tt.wantFilter == "unknown" {
				wantSCIMError(t, err, 400, TypeInvalidPath)
				return
			}
			if err != nil {
				t.Fatalf("ParsePath(%q) = %v", tt.in, err)
			}
			if got.Filter.String() != tt.wantFilter {
				t.Errorf("filter = %q, want %q", got.Filter.String(), tt.wantFilter)
			}
			got.Filter = nil
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(Path{})); diff != "" {
				t.Errorf("ParsePath(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParsePathGroup(t *testing.T) {
	got, err := ParsePath(groupSchema(), `members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]`)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attr != "members" || got.URN != groupURN || got.Filter.String() != `value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"` {
		t.Errorf("got %+v %s", got, got.Filter)
	}
}

func TestPathSelects(t *testing.T) {
	rs := userSchema()
	tests := []struct {
		path  string
		value any
		want  bool
	}{
		{"emails.value", map[string]any{"type": "home"}, true},
		{`emails[type eq "work"]`, map[string]any{"type": "Work", "value": "a@example.com"}, true},
		{`emails[type eq "work"]`, map[string]any{"type": "home"}, false},
		{`emails[type eq "work"]`, "a@example.com", false},
		{`emails[type eq "work" and primary eq true].value`, map[string]any{"type": "work", "primary": "True"}, true},
		{`emails[type eq "work" and primary eq true].value`, map[string]any{"type": "work"}, false},
		{`phoneNumbers[primary eq true]`, map[string]any{"primary": true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := ParsePath(rs, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Selects(tt.value); got != tt.want {
				t.Errorf("Selects(%v) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestPathFilterValue(t *testing.T) {
	rs := userSchema()
	tests := []struct {
		path string
		want map[string]any // nil: none
	}{
		{`emails[type eq "work"].value`, map[string]any{"type": "work"}},
		{`emails[TYPE eq "work" and primary eq true]`, map[string]any{"type": "work", "primary": true}},
		{`phoneNumbers[type eq work].value`, map[string]any{"type": "work"}},
		{"emails.value", nil},
		{`emails[type ne "work"].value`, nil},
		{`emails[type eq "work" or primary eq true].value`, nil},
		{`emails[nope eq "x"].value`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := ParsePath(rs, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := p.FilterValue()
			if ok != (tt.want != nil) {
				t.Fatalf("FilterValue() = %v, %v; want %v", got, ok, tt.want)
			}
			if diff := cmp.Diff(tt.want, got); ok && diff != "" {
				t.Errorf("FilterValue() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	rs := userSchema()
	tests := []struct{ in, detail string }{
		{"", "empty"},
		{"nope", `unknown attribute "nope"`},
		{"name.nope", `unknown attribute "name.nope"`},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0User:employeeNumber", "unknown attribute"},
		{`emails[type eq "work"`, `no "]"`},
		{`emails[]`, "empty filter"},
		{`emails[type eq]`, "invalid filter"},
		{`emails[type eq "work"]value`, `expected ".subAttribute"`},
		{`emails[type eq "work"].nope`, `unknown attribute "emails.nope"`},
		{`emails[type eq "work"].value.x`, `expected ".subAttribute"`},
		{`userName[value eq "x"]`, "neither multi-valued nor complex"},
		{`name.givenName[value eq "x"]`, "neither multi-valued nor complex"},
		{`emails[type[value eq "x"] pr]`, "nested"},
		{`nope[type eq "x"]`, `unknown attribute "nope"`},
		{strings.Repeat("a", MaxFilterLength+1), "longer than"},
		{"user\xffName", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParsePath(rs, tt.in)
			e := wantSCIMError(t, err, 400, TypeInvalidPath)
			if !strings.Contains(e.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", e.Detail, tt.detail)
			}
		})
	}
}
