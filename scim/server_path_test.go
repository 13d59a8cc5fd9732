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
		"/Users":                 "/Users",
		"/Users/abc":             "/Users/abc",
		"/Bulk":                  "/Bulk",
		"":                       "/",
	} {
		if got := canonicalPath(in); got != want {
			t.Errorf("canonicalPath(%q) = %q, want %q", in, got, want)
		}
	}
	// A path already canonical is the request's own: nothing is allocated.
	if n := testing.AllocsPerRun(100, func() { canonicalPath("/Users/2819c223-7f76-453a-919d-413861904646") }); n != 0 {
		t.Errorf("canonicalPath of a canonical path allocates %v times", n)
	}
}
