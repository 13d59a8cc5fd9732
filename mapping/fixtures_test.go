package mapping

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/absorb-scim/absorb-scim/absorbapi"
)

// decode parses a JSON document the way the SCIM layer hands it over.
func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return doc
}

// mustNew builds a Mapper given the portal languages of testLanguages.
func mustNew(t testing.TB, cfg Config) *Mapper {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	m.SetLanguages(testLanguages())
	return m
}

// testLanguages are a portal's languages as the fake Absorb lists them: the
// ids have gaps, and some codes carry a region.
func testLanguages() []absorbapi.Language {
	return []absorbapi.Language{
		{ID: 1, Name: "English", Code: "en"}, {ID: 2, Name: "French", Code: "fr"},
		{ID: 3, Name: "Spanish", Code: "es"}, {ID: 4, Name: "German", Code: "de"},
		{ID: 5, Name: "Portuguese (Brazil)", Code: "pt-BR"}, {ID: 7, Name: "Dutch", Code: "nl"},
		{ID: 9, Name: "French (Canada)", Code: "fr-CA"}, {ID: 12, Name: "Japanese", Code: "ja"},
		{ID: 15, Name: "Chinese (Simplified)", Code: "zh-CN"},
	}
}

func intp(n int) *int { return &n }

// checkStrong fails unless pw meets Absorb's "Strong" policy and our length.
func checkStrong(t testing.TB, pw string) {
	t.Helper()
	if len(pw) != pwLength {
		t.Errorf("password length = %d, want %d", len(pw), pwLength)
	}
	for _, class := range []string{pwUpper, pwLower, pwDigits, pwSymbols} {
		if !strings.ContainsAny(pw, class) {
			t.Errorf("password lacks one of %q", class)
		}
	}
	for _, c := range pw {
		if !strings.ContainsRune(pwUpper+pwLower+pwDigits+pwSymbols, c) {
			t.Errorf("password has unexpected character %q", c)
		}
	}
}

// IdP request bodies, as documented (see idp-behaviour: O-3, E-6, E-7).
const (
	oktaCreate = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local",
		"name":{"givenName":"Test","familyName":"User"},
		"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
		"displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],
		"password":"1mz050nq","active":true}`
	entraCreate = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee","active":true,
		"emails":[{"primary":true,"type":"work","value":"Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"}],
		"meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
		"roles":[]}`
	entraCreateNulls = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
		"externalId":"58342554-38d6-4ec8-948c-50044d0a33fd","userName":"Test_User_feed3ace-693c-4e5a-82e2-694be1b39934","active":true,
		"displayName":"Test User","emails":[{"primary":true,"type":"work","value":"Test_User_22cc22cc@testuser.com"}],
		"meta":{"resourceType":"User"},"name":{"familyName":"familyName","givenName":"givenName"},
		"addresses":null,"phoneNumbers":null,"title":null,"department":null,"manager":null,"roles":[]}`
)
