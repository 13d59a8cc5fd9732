package auth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzAuthorization sends arbitrary Authorization headers: the middleware must not panic,
// must never answer 5xx, must keep WWW-Authenticate on one line and must not echo secrets.
func FuzzAuthorization(f *testing.F) {
	const password = "fuzz-password-value"
	clock := newClock()
	hsTok := func(c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(hsSecret))
		if err != nil {
			f.Fatal(err)
		}
		return s
	}
	for _, seed := range []string{
		"", "Bearer", "Bearer ", "Bearer " + oktaToken, "bearer " + oktaToken, "Basic", "Basic Og==",
		basicAuth("okta", password), basicAuth("okta", "wrong"), "Basic " + strings.Repeat("A", 5000),
		"Digest realm=x", "Bearer a.b.c", "Bearer ..", "Bearer e30.e30.", "Bearer eyJhbGciOiJub25lIn0.e30.",
		"Bearer " + hsTok(jwt.MapClaims{"iss": "https://idp.example", "aud": "scim", "exp": clock.Now().Add(time.Hour).Unix()}),
		"Bearer " + hsTok(jwt.MapClaims{"iss": "https://idp.example", "aud": []any{1, nil}, "exp": "soon"}),
		"Bearer " + hsTok(jwt.MapClaims{"iss": 42}),
		"Bearer \x00\r\n", "Bearer \u00e9\u00e9", "\tBearer\t" + oktaToken,
	} {
		f.Add(seed)
	}
	a, err := New(Config{
		Now:    clock.Now,
		Tokens: []Token{{Name: "okta", Value: oktaToken, ReadOnly: true}},
		Basic:  []BasicUser{{Name: "basic", Username: "okta", Password: password}},
		JWT:    []JWTIssuer{{Name: "j", Issuer: "https://idp.example", Audiences: []string{"scim"}, Algorithms: []string{"HS256"}, Secret: hsSecret}},
	})
	if err != nil {
		f.Fatal(err)
	}
	h := a.Middleware(okHandler)
	f.Fuzz(func(t *testing.T, authz string) {
		r := httptest.NewRequest(http.MethodPatch, "/scim/v2/Users/1", nil)
		if authz != "" {
			r.Header["Authorization"] = []string{authz}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		default:
			t.Fatalf("status %d for %q", w.Code, authz)
		}
		out := w.Body.String() + strings.Join(w.Header().Values("WWW-Authenticate"), "|")
		for _, secret := range []string{oktaToken, password, hsSecret} {
			if strings.Contains(out, secret) {
				t.Fatalf("response for %q contains a secret: %s", authz, out)
			}
		}
		for _, c := range w.Header().Values("WWW-Authenticate") {
			if strings.ContainsAny(c, "\r\n\x00") {
				t.Fatalf("challenge %q has control characters", c)
			}
		}
	})
}
