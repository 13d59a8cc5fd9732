package scimdoc

import (
	"fmt"
	"testing"
)

func BenchmarkFilterMatch(b *testing.B) {
	rs := userSchema()
	d := doc(b, bjensen)
	for _, s := range []string{
		`userName eq "BJENSEN@example.com"`,
		`emails[type eq "work"].value eq "bjensen@example.com"`,
		`name.FamilyName eq Jensen and (emails.Value co example.com or emails.Value co example.org)`,
		`meta.lastModified gt "2011-01-01T00:00:00Z"`,
	} {
		f, err := ParseFilter(s)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !f.Match(rs, d) {
					b.Fatal("no match")
				}
			}
		})
	}
}

func BenchmarkParseFilter(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFilter(`emails[type eq "work"].value eq "user@contoso.com" and active eq true`); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseEqFilter parses the eq filters IdPs send before every
// create, on the fast path and on the general path through filter-parser.
func BenchmarkParseEqFilter(b *testing.B) {
	for _, s := range []string{`userName eq "bjensen@example.com"`, `externalId eq "701984"`} {
		b.Run("fast/"+s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseFilter(s); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("filter-parser/"+s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				toks, err := lex(s)
				if err != nil {
					b.Fatal(err)
				}
				n := &normalizer{toks: toks}
				if err := n.filter(); err != nil {
					b.Fatal(err)
				}
				if _, err := parseCanonical(n.b.String(), n.vps); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkApplyPatch(b *testing.B) {
	rs := userSchema()
	d := doc(b, bjensen)
	ops, err := DecodePatch([]byte(patchBody(`[
	  {"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@example.com"},
	  {"op":"Replace","path":"name.familyName","value":"Jensen-Smith"},
	  {"op":"Replace","path":"active","value":"False"},
	  {"op":"replace","value":{"displayName":"B","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"7"}}]`)), 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ApplyPatch(rs, d, ops); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNormalizeLargeGroup is a group POST or PUT with 10,000 members,
// the most one request may name: each member is compared with the earlier
// ones to drop duplicates.
func BenchmarkNormalizeLargeGroup(b *testing.B) {
	rs := groupSchema()
	members := make([]any, 10000)
	for i := range members {
		members[i] = map[string]any{"value": fmt.Sprintf("0199a0b2-0000-7000-8000-%012d", i)}
	}
	for b.Loop() {
		if _, err := Normalize(rs, Document{"displayName": "Big", "members": members}); err != nil {
			b.Fatal(err)
		}
	}
}
