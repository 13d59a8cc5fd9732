package scimdoc

import "testing"

// TestParseSimpleMatchesGeneralPath checks that the fast path builds the
// same filter the general path (filter-parser) builds.
func TestParseSimpleMatchesGeneralPath(t *testing.T) {
	for _, f := range []string{
		`userName eq "bjensen@example.com"`,
		`USERNAME Eq "x"`,
		`externalId eq jyoung`,
		`id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager eq 2819c223-7f76-453a-919d-413861904646`,
		`userName sw O`,
		`title pr`,
		`active eq true`,
		`active eq False`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`,
		`count eq 12`,
		`count eq 1.5e3`,
		`externalId eq 1234567890123456789`,
		`x eq null`,
		`a eq "1" and b ne "2" and c pr`,
		`displayName eq "quote \" and backslash \\"`,
		`emails[type eq "work"].value eq "user@contoso.com"`,
		`emails[type eq "work"].value eq "user@contoso.com" and active eq true`,
		`members[value eq "2819c223"]`,
		`id eq "g1" and members[value eq "u1"]`,
		`emails[type eq "work" and primary eq true]`,
	} {
		t.Run(f, func(t *testing.T) {
			toks, err := lex(f)
			if err != nil {
				t.Fatal(err)
			}
			fast, ok, err := parseSimple(toks)
			if err != nil || !ok {
				t.Fatalf("fast path: ok=%v err=%v", ok, err)
			}
			n := &normalizer{toks: toks}
			if err := n.filter(); err != nil {
				t.Fatal(err)
			}
			slow, err := parseCanonical(n.b.String(), n.vps)
			if err != nil {
				t.Fatal(err)
			}
			got, want := (&Filter{root: fast}).String(), (&Filter{root: slow}).String()
			if got != want {
				t.Errorf("fast %s, general %s", got, want)
			}
		})
	}
}

func TestParseSimpleDeclines(t *testing.T) {
	for _, f := range []string{
		`a eq "1" or b eq "2"`,
		`not (a eq "1")`,
		`(a eq "1")`,
		`emails[type eq "work" or primary eq true]`,
		`emails[type eq "work"] or active eq true`,
		`a eq`,
		`a foo "1"`,
	} {
		toks, err := lex(f)
		if err != nil {
			continue
		}
		if _, ok, _ := parseSimple(toks); ok {
			t.Errorf("%s: fast path took it", f)
		}
	}
}
