package scim

import "testing"

func TestCanonicalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/users":                 "/Users",
		"/Users/":                "/Users",
		"/USERS/abc":             "/Users/abc",
		"/groups/.search":        "/Groups/.search",
		"/serviceproviderconfig": "/ServiceProviderConfig",
		"/Schemas/urn:x:y":       "/Schemas/urn:x:y",
		"/":                      "/",
		"/.search":               "/.search",
		"/Unknown":               "/Unknown",
		"/Users/abc/":            "/Users/abc/",
	} {
		if got := canonicalPath(in); got != want {
			t.Errorf("canonicalPath(%q) = %q, want %q", in, got, want)
		}
	}
}
