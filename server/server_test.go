package server

import "testing"

func TestScimTarget(t *testing.T) {
	for path, want := range map[string][2]string{
		"/scim/v2/Users/abc":         {"Users", "abc"},
		"/scim/v2/Groups":            {"Groups", ""},
		"/scim/v2/Users/.search":     {"Users", ".search"},
		"/healthz":                   {"", ""},
		"/scim/v2/Schemas/urn:a:b:c": {"Schemas", "urn:a:b:c"},
	} {
		r, id := scimTarget(path)
		if r != want[0] || id != want[1] {
			t.Errorf("scimTarget(%q) = %q, %q; want %q, %q", path, r, id, want[0], want[1])
		}
	}
}

func TestIsCleanPath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/scim/v2", true},
		{"/scim/v2/", true},
		{"/scim/v2/Users", true},
		{"/scim/v2/Users/", true},
		{"/scim/v2/Users/2819c223-7f76-453a-919d-413861904646", true},
		{"/scim/v2//Users", false},
		{"/scim/v2/Users//", false},
		{"/scim/v2/./Users", false},
		{"/scim/v2/Schemas/../Users", false},
		{"/scim/v2/Users/x/.", false},
		{"/scim/v2/Users/x/..", false},
	}
	for _, tc := range tests {
		if got := isCleanPath(tc.path); got != tc.want {
			t.Errorf("isCleanPath(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
