package auth

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

const (
	oktaToken     = "okta-0123456789abcdef0123456789abcdef"
	oneLoginToken = "onelogin-fedcba9876543210fedcba98765"
)

func TestHashSecret(t *testing.T) {
	// SHA-256 of "abc" (FIPS 180-2 appendix B.1).
	got := HashSecret("abc")
	want := "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got != want {
		t.Errorf("HashSecret(abc) = %q, want %q", got, want)
	}
	if _, err := parseHash(got); err != nil {
		t.Errorf("parseHash(HashSecret) = %v", err)
	}
}

func TestBearerToken(t *testing.T) {
	a := newAuth(t, Config{Tokens: []Token{
		{Name: "okta", Value: oktaToken},
		{Name: "onelogin", Hash: HashSecret(oneLoginToken)},
		{Name: "entra-secret", Hash: "sha256:" + strings.ToUpper(strings.TrimPrefix(HashSecret("entra-secret-token-0123456789"), "sha256:"))},
	}})
	tests := []struct {
		name   string
		authz  string
		status int
		cred   string
		detail string
	}{
		{name: "plain token", authz: bearer(oktaToken), status: 200, cred: "bearer:okta"},
		{name: "hashed token", authz: bearer(oneLoginToken), status: 200, cred: "bearer:onelogin"},
		{name: "upper-case hex hash", authz: bearer("entra-secret-token-0123456789"), status: 200, cred: "bearer:entra-secret"},
		{name: "lower-case scheme", authz: "bearer " + oktaToken, status: 200, cred: "bearer:okta"},
		{name: "extra spaces", authz: "Bearer   " + oktaToken + " ", status: 200, cred: "bearer:okta"},
		{name: "unknown token", authz: bearer(oktaToken + "x"), status: 401, detail: "unknown token"},
		{name: "prefix of a token", authz: bearer(oktaToken[:20]), status: 401, detail: "unknown token"},
		{name: "the hash itself", authz: bearer(HashSecret(oneLoginToken)), status: 401, detail: "unknown token"},
		{name: "empty token", authz: "Bearer", status: 401, detail: "no token after Bearer"},
		{name: "token with space", authz: "Bearer abc def", status: 401, detail: "spaces"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, a, http.MethodGet, "/scim/v2/Users", tc.authz)
			expectStatus(t, w, tc.status, tc.detail)
			if got := w.Header().Get("X-Credential"); got != tc.cred {
				t.Errorf("credential = %q, want %q", got, tc.cred)
			}
			if strings.Contains(w.Body.String(), oktaToken[:20]) || strings.Contains(w.Header().Get("WWW-Authenticate"), oktaToken[:20]) {
				t.Errorf("response echoes the token: %s", w.Body.String())
			}
		})
	}
}

func TestBasic(t *testing.T) {
	a := newAuth(t, Config{
		Tokens: []Token{{Name: "okta-token", Value: oktaToken}},
		Basic: []BasicUser{
			{Name: "okta-basic", Username: "okta", Password: "correct horse battery staple"},
			{Name: "hashed", Username: "other", PasswordHash: HashSecret("s3cret-s3cret-s3cret")},
		},
	})
	tests := []struct {
		name   string
		authz  string
		status int
		cred   string
		detail string
	}{
		{name: "good", authz: basicAuth("okta", "correct horse battery staple"), status: 200, cred: "basic:okta-basic"},
		{name: "hashed password", authz: basicAuth("other", "s3cret-s3cret-s3cret"), status: 200, cred: "basic:hashed"},
		{name: "password of another user", authz: basicAuth("okta", "s3cret-s3cret-s3cret"), status: 401, detail: "wrong password"},
		{name: "wrong password", authz: basicAuth("okta", "correct horse"), status: 401, detail: "wrong password"},
		{name: "unknown user", authz: basicAuth("nobody", "correct horse battery staple"), status: 401, detail: "unknown user name"},
		{name: "not base64", authz: "Basic !!!", status: 401, detail: "not valid base64"},
		{name: "no colon", authz: "Basic b2t0YQ==", status: 401, detail: "no ':'"},
		{name: "token as basic", authz: "Basic " + oktaToken, status: 401, detail: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, a, http.MethodGet, "/scim/v2/Users", tc.authz)
			expectStatus(t, w, tc.status, tc.detail)
			if got := w.Header().Get("X-Credential"); got != tc.cred {
				t.Errorf("credential = %q, want %q", got, tc.cred)
			}
			if tc.status == 401 {
				// A failed Basic attempt answers no Bearer error: the Bearer challenge was not used.
				want := []string{`Bearer realm="absorb-scim"`, `Basic realm="absorb-scim"`}
				if got := w.Header().Values("WWW-Authenticate"); strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("WWW-Authenticate = %q, want %q", got, want)
				}
			}
		})
	}
}

func TestNewRefusesWeakSecrets(t *testing.T) {
	for _, weak := range []string{"", "test", "password", "changeme", "secret", "admin", "token"} {
		t.Run("token hash of "+strconv.Quote(weak), func(t *testing.T) {
			_, err := New(Config{Tokens: []Token{{Name: "okta", Hash: HashSecret(weak)}}})
			if err == nil || !strings.Contains(err.Error(), `Tokens[0] "okta": Hash is the hash of a well-known weak secret`) {
				t.Errorf("New = %v, want the weak hash refused", err)
			}
		})
		t.Run("basic password hash of "+strconv.Quote(weak), func(t *testing.T) {
			_, err := New(Config{Basic: []BasicUser{{Name: "okta", Username: "okta", PasswordHash: HashSecret(weak)}}})
			if err == nil || !strings.Contains(err.Error(), `Basic[0] "okta": PasswordHash is the hash of a well-known weak secret`) {
				t.Errorf("New = %v, want the weak hash refused", err)
			}
		})
	}
	t.Run("basic password", func(t *testing.T) {
		_, err := New(Config{Basic: []BasicUser{{Name: "okta", Username: "okta", Password: "changeme"}}})
		if err == nil || !strings.Contains(err.Error(), `Basic[0] "okta": Password is a well-known weak secret`) {
			t.Errorf("New = %v, want the weak password refused", err)
		}
	})
	t.Run("random secret", func(t *testing.T) {
		if _, err := New(Config{Tokens: []Token{{Name: "okta", Hash: HashSecret(oktaToken)}}}); err != nil {
			t.Errorf("New = %v, want a random token's hash accepted", err)
		}
	})
}
