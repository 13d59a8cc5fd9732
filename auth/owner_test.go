package auth

import (
	"encoding/base64"
	"net/http/httptest"
	"testing"
)

func TestRecognizes(t *testing.T) {
	a, err := New(Config{
		Tokens: []Token{{Name: "okta", Value: "okta-token-0123456789abcdef"}},
		Basic:  []BasicUser{{Name: "onelogin", Username: "ol", Password: "ol-password-0123456789"}},
		JWT:    []JWTIssuer{{Name: "idp", Issuer: "https://idp.example.com", Audiences: []string{"scim"}, Algorithms: []string{"HS256"}, Secret: "0123456789abcdef0123456789abcdef"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A JWT whose iss is the issuer's; its signature is never checked here.
	jwtFor := func(iss string) string {
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(`{"iss":"`+iss+`","aud":"scim"}`)) + ".c2lnbmF0dXJl"
	}
	tests := []struct {
		name, header, want string
		ok                 bool
	}{
		{"token", "Bearer okta-token-0123456789abcdef", "okta", true},
		{"basic", "Basic " + base64.StdEncoding.EncodeToString([]byte("ol:ol-password-0123456789")), "onelogin", true},
		{"jwt of the issuer", "Bearer " + jwtFor("https://idp.example.com"), "idp", true},
		{"other token", "Bearer some-other-token-0123456789", "", false},
		{"wrong password", "Basic " + base64.StdEncoding.EncodeToString([]byte("ol:nope")), "", false},
		{"jwt of another issuer", "Bearer " + jwtFor("https://else.example.com"), "", false},
		{"none", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/scim/v2/Users", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			name, ok := a.Recognizes(r)
			if name != tc.want || ok != tc.ok {
				t.Errorf("Recognizes = %q, %v; want %q, %v", name, ok, tc.want, tc.ok)
			}
		})
	}
}
