package mapping

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parsed is what a test compares of a path: the filter in scimdoc's
// canonical form.
type parsed struct {
	raw, urn, attr, sub, filter string
	pref                        preference
}

func parsedOf(p path) parsed {
	return parsed{raw: p.raw, urn: p.urn, attr: p.attr, sub: p.sub, filter: p.at.Filter.String(), pref: p.pref}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		in   string
		want parsed
	}{
		{"title", parsed{raw: "title", attr: "title"}},
		{" name.givenName ", parsed{raw: "name.givenName", attr: "name", sub: "givenName"}},
		{EnterpriseURN + ":employeeNumber", parsed{raw: EnterpriseURN + ":employeeNumber", urn: EnterpriseURN, attr: "employeeNumber"}},
		{"URN:IETF:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
			parsed{raw: "URN:IETF:params:scim:schemas:extension:enterprise:2.0:User:manager.value", urn: EnterpriseURN, attr: "manager", sub: "value"}},
		{UserURN + ":userName", parsed{raw: UserURN + ":userName", attr: "userName"}},
		{AbsorbURN + ":customFields.string1", parsed{raw: AbsorbURN + ":customFields.string1", urn: AbsorbURN, attr: "customFields", sub: "string1"}},
		{`emails[type eq "work"].value`, parsed{raw: `emails[type eq "work"].value`, attr: "emails", filter: `type eq "work"`, sub: "value", pref: preferPrimaryWork}},
		{`addresses[type EQ "a]b\"c"].locality`, parsed{raw: `addresses[type EQ "a]b\"c"].locality`, attr: "addresses", filter: `type eq "a]b\"c"`, sub: "locality", pref: preferWorkPrimary}},
		{"phoneNumbers[primary eq true].value", parsed{raw: "phoneNumbers[primary eq true].value", attr: "phoneNumbers", filter: "primary eq true", sub: "value"}},
		// Names in any case take the schema's; a bare word and a number
		// compared with a string are strings, as in the filters IdPs send.
		{"EMAILS[Type eq work].Value", parsed{raw: "EMAILS[Type eq work].Value", attr: "emails", filter: `Type eq "work"`, sub: "value", pref: preferPrimaryWork}},
		{"emails[type eq 1]", parsed{raw: "emails[type eq 1]", attr: "emails", filter: "type eq 1", pref: preferPrimaryWork}},
		{`emails[type eq "work" and primary eq true].value`, parsed{raw: `emails[type eq "work" and primary eq true].value`, attr: "emails", filter: `type eq "work" and primary eq true`, sub: "value", pref: preferPrimaryWork}},
		{"manager", parsed{raw: "manager", urn: EnterpriseURN, attr: "manager"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parsePath(tt.in)
			if err != nil {
				t.Fatalf("parsePath: %v", err)
			}
			if diff := cmp.Diff(tt.want, parsedOf(got), cmp.AllowUnexported(parsed{})); diff != "" {
				t.Errorf("parsePath (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePathRejects(t *testing.T) {
	for _, in := range []string{
		"", "  ", "1title", "name.", "name..x", "name.given.more", "emails[type eq \"work\"", "emails[]",
		"emails[type]", "emails[type eq]", "emails[type co \"w\"]", "emails[type eq \"w\" or primary eq true]",
		"emails[type eq \"unterminated]", "title extra", AbsorbURN + ":", "urn:x:", "emails[type eq \"w\"]value",
		// Attributes the user schema does not define, and whole extensions.
		"nope", "name.nope", `urn:example:ext:2.0:User:tags[value eq "a:b"]`, AbsorbURN, "emails[nope eq \"x\"].value",
	} {
		t.Run(in, func(t *testing.T) {
			if p, err := parsePath(in); err == nil {
				t.Errorf("parsePath(%q) = %+v, want an error", in, parsedOf(p))
			}
		})
	}
}

func TestPathSet(t *testing.T) {
	tests := []struct {
		name   string
		before string
		path   string
		value  any
		after  string
	}{
		{"new simple", `{}`, "title", "T", `{"title":"T"}`},
		{"remove simple", `{"title":"T"}`, "title", nil, `{}`},
		{"sub creates complex", `{}`, "name.givenName", "A", `{"name":{"givenName":"A"}}`},
		{"last sub removes complex", `{"name":{"givenName":"A"}}`, "name.givenName", nil, `{}`},
		{"case-insensitive key kept", `{"Name":{"GivenName":"A"}}`, "name.givenName", "B", `{"Name":{"GivenName":"B"}}`},
		{"complex without sub means value", `{}`, EnterpriseURN + ":manager", "m", `{"` + EnterpriseURN + `":{"manager":{"value":"m"}}}`},
		{
			"extension container added to schemas", `{"schemas":["` + UserURN + `"]}`, AbsorbURN + ":notes", "n",
			`{"schemas":["` + UserURN + `","` + AbsorbURN + `"],"` + AbsorbURN + `":{"notes":"n"}}`,
		},
		{
			"empty extension container removed with its schema", `{"schemas":["` + UserURN + `","` + AbsorbURN + `"],"` + AbsorbURN + `":{"notes":"n"}}`,
			AbsorbURN + ":notes", nil, `{"schemas":["` + UserURN + `"]}`,
		},
		{"filtered write appends element", `{"emails":[{"value":"a","type":"home"}]}`, `emails[type eq "work"].value`, "w",
			`{"emails":[{"value":"a","type":"home"},{"value":"w","type":"work"}]}`},
		{"filtered write updates match", `{"emails":[{"value":"a","type":"home"},{"value":"w","type":"Work"}]}`, `emails[type eq "work"].value`, "v",
			`{"emails":[{"value":"a","type":"home"},{"value":"v","type":"Work"}]}`},
		{"unfiltered write starts a primary work element", `{}`, "phoneNumbers.value", "1",
			`{"phoneNumbers":[{"value":"1","type":"work","primary":true}]}`},
		{"removal drops an element left without data", `{"emails":[{"value":"a","type":"work","primary":true},{"value":"b"}]}`, "emails.value", nil,
			`{"emails":[{"value":"b"}]}`},
		{"removal keeps an element with other data", `{"addresses":[{"type":"work","locality":"L","region":"R"}]}`, "addresses.locality", nil,
			`{"addresses":[{"type":"work","region":"R"}]}`},
		{"removal of the last element drops the attribute", `{"addresses":[{"type":"work","locality":"L"}]}`, "addresses.locality", nil, `{}`},
		{"object replaced by a simple value", `{"title":{"x":1}}`, "title", "T", `{"title":"T"}`},
		{"list replaced by a simple value", `{"userName":["a"]}`, "userName", "u", `{"userName":"u"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parsePath(tt.path)
			if err != nil {
				t.Fatalf("parsePath: %v", err)
			}
			doc := decode(t, tt.before)
			p.set(doc, tt.value)
			want := decode(t, tt.after)
			if diff := cmp.Diff(want, doc); diff != "" {
				t.Errorf("set (-want +got):\n%s", diff)
			}
			if tt.value != nil {
				if got := p.get(doc); got != tt.value {
					t.Errorf("get after set = %v, want %v", got, tt.value)
				}
			}
		})
	}
}

func TestSplitOutside(t *testing.T) {
	got := splitOutside(`a|emails[value eq "x|y"].value|b[c eq "]|"]`, '|')
	want := []string{"a", `emails[value eq "x|y"].value`, `b[c eq "]|"]`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("splitOutside (-want +got):\n%s", diff)
	}
}
