package scimdoc

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// keys returns the sorted top-level keys of d, and of its extension object
// as "ext:" keys.
func keys(d Document) []string {
	var out []string
	for k, v := range d {
		if k == enterpriseURN {
			for sk := range v.(map[string]any) {
				out = append(out, "ext:"+sk)
			}
			continue
		}
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestProjectKeys(t *testing.T) {
	rs := userSchema()
	tests := []struct {
		name                 string
		attributes, excluded []string
		want                 []string
	}{
		{"default drops password", nil, nil, []string{"active", "addresses", "displayName", "emails", "ext:costCenter", "ext:department", "ext:employeeNumber", "ext:manager", "externalId", "groups", "id", "meta", "name", "nickName", "phoneNumbers", "schemas", "title", "userName"}},
		{"E-18 attributes=id", []string{"id"}, nil, []string{"id", "schemas"}},
		{"attributes case-insensitive", []string{"USERNAME", "Name.GivenName"}, nil, []string{"id", "name", "schemas", "userName"}},
		{"password is never returned", []string{"password", "userName"}, nil, []string{"id", "schemas", "userName"}},
		{"value filter stands for the attribute", []string{`emails[type eq "work"]`}, nil, []string{"emails", "id", "schemas"}},
		{"qualified extension attribute", []string{enterpriseURN + ":department"}, nil, []string{"ext:department", "id", "schemas"}},
		{"unqualified extension attribute", []string{"manager"}, nil, []string{"ext:manager", "id", "schemas"}},
		{"whole extension", []string{enterpriseURN}, nil, []string{"ext:costCenter", "ext:department", "ext:employeeNumber", "ext:manager", "id", "schemas"}},
		{"meta sub-attribute", []string{"meta.lastModified"}, nil, []string{"id", "meta", "schemas"}},
		{"unknown names are ignored", []string{"nope", "userName"}, nil, []string{"id", "schemas", "userName"}},
		{"excluded", nil, []string{"emails", "NAME", "groups", enterpriseURN}, []string{"active", "addresses", "displayName", "externalId", "id", "meta", "nickName", "phoneNumbers", "schemas", "title", "userName"}},
		{"id cannot be excluded", nil, []string{"id", "schemas", "userName"}, []string{"active", "addresses", "displayName", "emails", "ext:costCenter", "ext:department", "ext:employeeNumber", "ext:manager", "externalId", "groups", "id", "meta", "name", "nickName", "phoneNumbers", "schemas", "title"}},
		{"excluded extension attributes leave the rest", nil, []string{"department", enterpriseURN + ":manager"}, []string{"active", "addresses", "displayName", "emails", "ext:costCenter", "ext:employeeNumber", "externalId", "groups", "id", "meta", "name", "nickName", "phoneNumbers", "schemas", "title", "userName"}},
		{"both lists", []string{"userName", "title"}, []string{"title"}, []string{"id", "schemas", "userName"}},
	}
	d := doc(t, bjensen)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Project(rs, d, tt.attributes, tt.excluded)
			if diff := cmp.Diff(tt.want, keys(got)); diff != "" {
				t.Errorf("keys mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectSubAttributes(t *testing.T) {
	rs := userSchema()
	d := doc(t, bjensen)
	tests := []struct {
		name                 string
		attributes, excluded []string
		path                 string
		want                 any
	}{
		{"only givenName", []string{"name.givenName"}, nil, "name", map[string]any{"givenName": "Barbara"}},
		{"only email values", []string{"emails.value"}, nil, "emails", []any{map[string]any{"value": "bjensen@example.com"}, map[string]any{"value": "babs@jensen.org"}}},
		{"only manager value", []string{"manager.value"}, nil, enterpriseURN, map[string]any{"manager": map[string]any{"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}},
		{"exclude middle name", nil, []string{"name.middleName", "name.formatted"}, "name", map[string]any{"givenName": "Barbara", "familyName": "Jensen"}},
		{"exclude email types", nil, []string{"emails.type", "emails.primary"}, "emails", []any{map[string]any{"value": "bjensen@example.com"}, map[string]any{"value": "babs@jensen.org"}}},
		{"meta created", []string{"meta.created"}, nil, "meta", map[string]any{"created": "2010-01-23T04:56:22Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Project(rs, d, tt.attributes, tt.excluded)
			if diff := cmp.Diff(tt.want, got[tt.path]); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestProjectGroupExcludedMembers(t *testing.T) {
	rs := groupSchema()
	d := doc(t, tourGuides)
	got := Project(rs, d, nil, []string{"members"})
	want := Document{
		"schemas":     []any{groupURN},
		"id":          "e9e30dba-f08f-4109-8486-d5c6a331660a",
		"displayName": "Tour Guides",
		"meta":        map[string]any{"resourceType": "Group", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("E-21 excludedAttributes=members mismatch (-want +got):\n%s", diff)
	}
}

func TestProjectReturned(t *testing.T) {
	rs := widgetSchema()
	d := Document{
		"schemas": []any{widgetURN}, "id": "w1", "label": "L", "note": "N", "serial": "S",
		"parts": []any{map[string]any{"value": "p", "secret": "x", "weight": 1.0}},
		"extra": "kept by default",
	}
	tests := []struct {
		name                 string
		attributes, excluded []string
		want                 Document
	}{
		{"default", nil, nil, Document{"schemas": []any{widgetURN}, "id": "w1", "label": "L", "serial": "S", "parts": []any{map[string]any{"value": "p", "weight": 1.0}}, "extra": "kept by default"}},
		{"request attribute when asked", []string{"note"}, nil, Document{"schemas": []any{widgetURN}, "id": "w1", "note": "N", "serial": "S"}},
		{"never sub-attribute even when asked", []string{"parts.secret", "parts.value"}, nil, Document{"schemas": []any{widgetURN}, "id": "w1", "serial": "S", "parts": []any{map[string]any{"value": "p"}}}},
		{"always attribute cannot be excluded", nil, []string{"serial", "label", "extra"}, Document{"schemas": []any{widgetURN}, "id": "w1", "serial": "S", "parts": []any{map[string]any{"value": "p", "weight": 1.0}}, "extra": "kept by default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Project(rs, d, tt.attributes, tt.excluded)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Project mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProjectReturnsANewMap: the projection is a map of its own (the
// renderer adds and removes members of it); the values it keeps whole are
// shared with the document, which nothing changes once rendered.
func TestProjectReturnsANewMap(t *testing.T) {
	rs := userSchema()
	d := doc(t, bjensen)
	got := Project(rs, d, nil, nil)
	delete(got, "name")
	got["added"] = true
	if d["name"] == nil || d["added"] != nil {
		t.Error("changing the projection's members changed the document's")
	}
	// A value with a member to drop is a filtered copy, not the original.
	withEmpty := Document{"userName": "x", "emails": []any{map[string]any{"value": "a@example.com"}, map[string]any{}}}
	projected := Project(rs, withEmpty, nil, nil)
	if l := projected["emails"].([]any); len(l) != 1 || len(withEmpty["emails"].([]any)) != 2 {
		t.Errorf("emails projected to %v from %v; want the empty element dropped from a copy", l, withEmpty["emails"])
	}
	if Project(rs, nil, nil, nil) != nil {
		t.Error("Project(nil) is not nil")
	}
}
