package scimdoc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEqualityHints(t *testing.T) {
	tests := []struct {
		filter string
		want   []Hint
	}{
		{`userName eq "Test_User"`, []Hint{{"username", "Test_User"}}},
		{`USERNAME Eq "x"`, []Hint{{"username", "x"}}},
		{`externalId eq jyoung`, []Hint{{"externalid", "jyoung"}}},
		{`externalId eq 701984`, []Hint{{"externalid", "701984"}}},
		{`id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager eq 2819c223-7f76-453a-919d-413861904646`, []Hint{{"id", "54D382A4-2050-4C03-94D1-E769F1D15682"}}},
		{`emails[type eq "work"].value eq "user@contoso.com"`, []Hint{{"emails.value", "user@contoso.com"}}},
		{`emails[value eq "a@b.c"]`, []Hint{{"emails.value", "a@b.c"}}},
		{`emails.value eq "a@b.c"`, []Hint{{"emails.value", "a@b.c"}}},
		{`emails eq "a@b.c"`, []Hint{{"emails.value", "a@b.c"}}},
		{`displayName eq "displayName"`, []Hint{{"displayname", "displayName"}}},
		{`members[value eq "u1"]`, []Hint{{"members.value", "u1"}}},
		{`members eq "u1"`, []Hint{{"members.value", "u1"}}},
		{`members.value eq "u1"`, []Hint{{"members.value", "u1"}}},
		{`id eq "g" and members[value eq "u"]`, []Hint{{"id", "g"}, {"members.value", "u"}}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`, []Hint{{"username", "x"}}},
		{`userName eq "a" and (title pr or nickName pr) and externalId eq "b"`, []Hint{{"username", "a"}, {"externalid", "b"}}},
		{`(userName eq "a" and externalId eq "b") and active eq true`, []Hint{{"username", "a"}, {"externalid", "b"}}},
		// No hints.
		{`userName eq "a" or externalId eq "b"`, nil},
		{`not (userName eq "a")`, nil},
		{`userName ne "a"`, nil},
		{`userName co "a"`, nil},
		{`active eq true`, nil},
		{`userName eq null`, nil},
		{`title eq "x"`, nil},
		{`emails[type eq "work" or value eq "x"]`, nil},
		{`emails[type eq "work"]`, nil},
		{`addresses[value eq "x"]`, nil},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, f.EqualityHints()); diff != "" {
				t.Errorf("EqualityHints mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
