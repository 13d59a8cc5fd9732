package scimdoc

import (
	"testing"
)

func TestMatchUser(t *testing.T) {
	rs := userSchema()
	d := doc(t, bjensen)
	tests := []struct {
		filter string
		want   bool
	}{
		// Entra ID and Okta catalogue.
		{`userName eq "bjensen@example.com"`, true},
		{`userName eq "BJENSEN@EXAMPLE.COM"`, true}, // caseExact=false
		{`userName eq "9ad6e4f2-b6d4-4e3a-9d4c-5c5a3b8b1f0e"`, false},
		{`USERNAME Eq "bjensen@example.com"`, true},
		{`externalId eq 701984`, true}, // bare number against a string attribute
		{`externalId eq "701984"`, true},
		{`emails[type eq "work"].value eq "bjensen@example.com"`, true},
		{`emails[type eq "work"].value eq "BJensen@Example.com"`, true},
		{`emails[type eq "home"].value eq "bjensen@example.com"`, false},
		{`emails[type eq "work"].value eq "babs@jensen.org"`, false},
		{`id eq 2819c223-7f76-453a-919d-413861904646 and manager eq 26118915-6090-4610-87e4-49d8ca9f808d`, true},
		{`id eq 2819C223-7F76-453A-919D-413861904646`, false}, // id is caseExact
		{`externalId eq "701984 "`, false},
		{`name.FamilyName eq JENSEN and (emails.Value co example.com or emails.Value co example.org)`, true},
		{`name.FamilyName eq Jensen and (emails.Value co example.net or emails.Value co example.org)`, false},
		{`userName sw B`, true},
		{`userName sw O`, false},
		{`meta.Created gt 2009-10-10T14:38:21.8617979-07:00`, true},
		{`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`, false},
		// Operators.
		{`title eq "tour guide"`, true},
		{`title ne "tour guide"`, false},
		{`title ne "Driver"`, true},
		{`nickName ne "x"`, true},
		{`userType ne "x"`, true}, // absent: not equal
		{`userType eq null`, true},
		{`title eq null`, false},
		{`title ne null`, true},
		{`title co "UR G"`, true},
		{`title co "driver"`, false},
		{`title sw "tour"`, true},
		{`title ew "GUIDE"`, true},
		{`title ew "tour"`, false},
		{`title gt "Tour"`, true},
		{`title lt "Tour"`, false},
		{`title ge "tour guide"`, true},
		{`title le "TOUR GUIDE"`, true},
		{`title pr`, true},
		{`userType pr`, false},
		{`name pr`, true},
		{`emails pr`, true},
		{`ims pr`, false},
		{`active eq true`, true},
		{`active eq false`, false},
		{`active eq "True"`, true},
		{`active ne false`, true},
		{`active gt false`, false}, // booleans have no order
		{`meta.lastModified eq "2011-05-13T04:42:34Z"`, true},
		{`meta.lastModified eq "2011-05-13T06:42:34+02:00"`, true}, // same instant
		{`meta.lastModified ge "2011-05-13T04:42:34.000Z"`, true},
		{`meta.lastModified lt "2011-05-13T04:42:34Z"`, false},
		{`meta.lastModified lt 2012-01-01`, true},
		{`meta.created sw "2010-01"`, true},
		{`meta.resourceType eq "user"`, false}, // resourceType is caseExact
		{`meta.resourceType eq "User"`, true},
		// Multi-valued and complex attributes.
		{`emails.value eq "babs@jensen.org"`, true},
		{`emails eq "babs@jensen.org"`, true}, // emails stands for emails.value
		{`emails co "jensen.org"`, true},
		{`emails.type eq "other"`, false},
		{`emails.value ne "babs@jensen.org"`, false},
		{`emails[type eq "work" and primary eq true]`, true},
		{`emails[type eq "home" and primary eq true]`, false},
		{`emails[type eq "home" or primary eq true]`, true},
		{`emails[not (type eq "work")]`, true},
		{`emails[type eq "work" and primary eq true and value ew ".com"]`, true},
		{`emails[value eq "babs@jensen.org"] and emails[type eq "work"]`, true},
		{`addresses[type eq "work"].postalCode eq 91608`, true},
		{`addresses[type eq "work" and country eq "usa"]`, true},
		{`phoneNumbers[type eq "work"]`, true},
		{`groups.value eq "e9e30dba-f08f-4109-8486-d5c6a331660a"`, true},
		// Extension attributes, qualified or not.
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, true},
		{`URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:department eq "tour operations"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true},
		{`manager eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true},
		{`manager.displayName co "smith"`, true},
		{`department eq "Tour Operations"`, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com"`, true},
		// Precedence: not > and > or.
		{`userName eq "x" or title pr and active eq true`, true},
		{`(userName eq "x" or title pr) and active eq false`, false},
		{`userName eq "x" or title pr and active eq false`, false},
		{`not (userName eq "x") and title pr`, true},
		{`not (title pr) or active eq true`, true},
		{`not (title pr or active eq true)`, false},
		{`not (not (title pr))`, true},
		// Unknown attributes match nothing, and their negation everything.
		{`nope eq "x"`, false},
		{`nope ne "x"`, false},
		{`nope pr`, false},
		{`not (nope eq "x")`, true},
		{`name.nope eq "x"`, false},
		{`emails[nope eq "x"]`, false},
		{`nope[value eq "x"]`, false},
		{`members eq "x"`, false},
		{`name eq "x"`, false}, // complex without a value sub-attribute
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			if got := f.Match(rs, d); got != tt.want {
				t.Errorf("Match(%s) = %v, want %v", f, got, tt.want)
			}
		})
	}
}

func TestMatchGroup(t *testing.T) {
	rs := groupSchema()
	d := doc(t, tourGuides)
	tests := []struct {
		filter string
		want   bool
	}{
		{`displayName eq "tour guides"`, true},
		{`displayName eq "displayName"`, false},
		{`members.value eq "902c246b-6245-4190-8e05-00816be7344a"`, true},
		{`members eq "902c246b-6245-4190-8e05-00816be7344a"`, true},
		{`members[value eq "902c246b-6245-4190-8e05-00816be7344a"]`, true},
		{`members[value eq "nope"]`, false},
		{`id eq "e9e30dba-f08f-4109-8486-d5c6a331660a" and members[value eq "2819c223-7f76-453a-919d-413861904646"]`, true},
		{`members[type eq "Group"]`, false},
		{`userName eq "x"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			if got := f.Match(rs, d); got != tt.want {
				t.Errorf("Match(%s) = %v, want %v", f, got, tt.want)
			}
		})
	}
}

// TestMatchOddDocuments checks that documents of unexpected shapes neither
// panic nor match by accident.
func TestMatchOddDocuments(t *testing.T) {
	rs := userSchema()
	filters := []string{
		`userName eq "x"`, `emails.value eq "x"`, `emails[type eq "work"].value eq "x"`, `name.givenName pr`,
		`manager eq "x"`, `meta.created gt "2010-01-01T00:00:00Z"`, `active eq true`, `emails pr`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`,
	}
	docs := map[string]Document{
		"nil":                  nil,
		"empty":                {},
		"wrong scalar types":   {"userName": 5.0, "active": "maybe", "meta": "x", "name": 7.0},
		"list for single":      {"userName": []any{"x"}, "name": []any{map[string]any{"givenName": "x"}}},
		"map for list":         {"emails": map[string]any{"value": "x", "type": "work"}},
		"scalars in list":      {"emails": []any{"x", 1.0, nil, true, []any{"x"}}},
		"extension not object": {enterpriseURN: "x", "meta": map[string]any{"created": 12.0}},
		"typed slices":         {"emails": []map[string]any{{"value": 3.0}}, "schemas": []string{"a"}},
		"nested garbage":       {"name": map[string]any{"givenName": map[string]any{"x": []any{}}}, enterpriseURN: map[string]any{"manager": []any{"x"}}},
	}
	for name, d := range docs {
		t.Run(name, func(t *testing.T) {
			for _, s := range filters {
				f, err := ParseFilter(s)
				if err != nil {
					t.Fatalf("ParseFilter(%q): %v", s, err)
				}
				f.Match(rs, d)
			}
		})
	}
	t.Run("list for single matches nothing", func(t *testing.T) {
		f, _ := ParseFilter(`userName eq "x"`)
		if f.Match(rs, docs["list for single"]) {
			t.Error("userName given as a list matched")
		}
	})
	t.Run("map for list still matches", func(t *testing.T) {
		f, _ := ParseFilter(`emails[type eq "work"].value eq "x"`)
		if !f.Match(rs, docs["map for list"]) {
			t.Error("emails given as an object did not match")
		}
	})
	t.Run("nil schema", func(t *testing.T) {
		f, _ := ParseFilter(`userName pr`)
		if f.Match(nil, Document{"userName": "x"}) {
			t.Error("matched without a schema")
		}
	})
}

func TestFilterValidate(t *testing.T) {
	rs := userSchema()
	for _, tt := range []struct {
		filter string
		ok     bool
	}{
		{`active gt true`, false},
		{`emails[primary ge false]`, false},
		{`active eq true`, true},
		{`meta.created gt "2011-01-01T00:00:00Z"`, true},
		{`title lt "x"`, true},
		{`nope gt true`, true},
		// A value of the wrong type can match nothing: say so.
		{`meta.lastModified gt "not-a-date"`, false},
		{`meta.lastModified ge 5`, false},
		{`meta.lastModified sw "2026"`, true},
		{`meta.lastModified gt "2026-01-02"`, true},
		// A bare word that is no JSON number is text (`externalId eq jyoung`).
		{`userName eq 1e999`, true},
		{`active eq "yes"`, false},
		{`active eq "True"`, true},
		{`active pr`, true},
	} {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			err = f.Validate(rs)
			if tt.ok {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			wantSCIMError(t, err, 400, TypeInvalidFilter)
		})
	}
}
