package scimdoc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGet(t *testing.T) {
	rs := userSchema()
	d := doc(t, bjensen)
	d["Title"] = d["title"] // a key in another case
	delete(d, "title")
	tests := []struct {
		path string
		want any
	}{
		{"userName", "bjensen@example.com"},
		{"USERNAME", "bjensen@example.com"},
		{"title", "Tour Guide"},
		{"name.givenName", "Barbara"},
		{"Name.GivenName", "Barbara"},
		{"active", true},
		{"emails.value", []any{"bjensen@example.com", "babs@jensen.org"}},
		{`emails[type eq "home"].value`, []any{"babs@jensen.org"}},
		{`emails[type eq "home"]`, []any{map[string]any{"value": "babs@jensen.org", "type": "home"}}},
		{`emails[type eq "other"]`, nil},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "701984"},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "26118915-6090-4610-87e4-49d8ca9f808d"},
		{"manager.value", "26118915-6090-4610-87e4-49d8ca9f808d"},
		{"meta.created", "2010-01-23T04:56:22Z"},
		{"nickName", "Babs"},
		{"userType", nil},
		{"nope", nil},
		{"", nil},
		{enterpriseURN, map[string]any{"employeeNumber": "701984", "costCenter": "4130", "department": "Tour Operations",
			"manager": map[string]any{"value": "26118915-6090-4610-87e4-49d8ca9f808d", "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Get(rs, d, tt.path)); diff != "" {
				t.Errorf("Get(%q) mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestDeepCopy(t *testing.T) {
	if DeepCopy(nil) != nil {
		t.Error("DeepCopy(nil) is not nil")
	}
	d := Document{
		"a": []any{map[string]any{"b": []any{"c"}}},
		"m": []map[string]any{{"x": 1.0}},
		"s": []string{"y"},
		"n": 1.0,
	}
	c := DeepCopy(d)
	want := Document{
		"a": []any{map[string]any{"b": []any{"c"}}},
		"m": []any{map[string]any{"x": 1.0}},
		"s": []any{"y"},
		"n": 1.0,
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Fatalf("DeepCopy mismatch (-want +got):\n%s", diff)
	}
	c["a"].([]any)[0].(map[string]any)["b"].([]any)[0] = "changed"
	d["m"].([]map[string]any)[0]["x"] = 2.0
	if d["a"].([]any)[0].(map[string]any)["b"].([]any)[0] != "c" || c["m"].([]any)[0].(map[string]any)["x"] != 1.0 {
		t.Error("copy shares storage with the original")
	}
}
