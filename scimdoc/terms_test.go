package scimdoc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFilterTerms(t *testing.T) {
	tests := []struct {
		filter string
		want   []Term
		only   bool
	}{
		{`userName sw "ab"`, []Term{{"username", "sw", "ab"}}, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq "X"`, []Term{{"name.familyname", "eq", "X"}}, true},
		{`active eq true and meta.lastModified gt "2026-01-01T00:00:00Z"`, []Term{{"active", "eq", true}, {"meta.lastmodified", "gt", "2026-01-01T00:00:00Z"}}, true},
		{`emails[value eq "a@b.c"]`, []Term{{"emails.value", "eq", "a@b.c"}}, true},
		{`emails[type eq "work" and value sw "a"]`, []Term{{"emails.type", "eq", "work"}, {"emails.value", "sw", "a"}}, false},
		{`emails sw "a"`, []Term{{"emails.value", "sw", "a"}}, true},
		{`userName eq "a" or userName eq "b"`, nil, false},
		{`title pr and not (active eq false)`, []Term{{"title", "pr", nil}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			got, only := f.Terms()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("terms (-want +got):\n%s", diff)
			}
			if only != tt.only {
				t.Errorf("only = %v, want %v", only, tt.only)
			}
		})
	}
}
