package auth

import (
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const hsSecret = "0123456789abcdef0123456789abcdef-hs256"

// tamper replaces the payload of a signed token and keeps its signature.
func tamper(t *testing.T, tok string, edit func(jwt.MapClaims)) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	c := jwt.MapClaims{}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	edit(c)
	raw, err = json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

func TestJWT(t *testing.T) {
	clock := newClock()
	rsKey := rsaKeyPair(t)
	otherKey := rsaKeyPair(t)
	ecKey := ecKeyPair(t, elliptic.P256())
	jwks := newJWKSServer(t, jwkOf("ec1", &ecKey.PublicKey))
	rsPEM := publicPEM(t, &rsKey.PublicKey)

	a := newAuth(t, Config{
		Now:    clock.Now,
		Tokens: []Token{{Name: "static", Value: oktaToken}},
		JWT: []JWTIssuer{
			{Name: "hs", Issuer: "https://hs.example", Audiences: []string{"scim"}, Algorithms: []string{"HS256"}, Secret: hsSecret},
			{Name: "rs", Issuer: "https://rs.example", Audiences: []string{"absorb-scim", "other"}, Algorithms: []string{"RS256", "PS256"}, PublicKeyPEM: rsPEM},
			{Name: "es", Issuer: "https://es.example", Audiences: []string{"scim"}, Algorithms: []string{"ES256"}, JWKSURL: jwks.URL},
			{Name: "mixed", Issuer: "https://mixed.example", Audiences: []string{"scim"}, Algorithms: []string{"RS256", "HS256"}, PublicKeyPEM: rsPEM, Secret: hsSecret},
		},
	})
	now := clock.Now()
	claims := func(iss string, aud any, edits ...func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": iss, "aud": aud, "sub": "idp", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
		for _, e := range edits {
			e(c)
		}
		return c
	}
	set := func(k string, v any) func(jwt.MapClaims) { return func(c jwt.MapClaims) { c[k] = v } }
	del := func(k string) func(jwt.MapClaims) { return func(c jwt.MapClaims) { delete(c, k) } }

	hsGood := sign(t, jwt.SigningMethodHS256, []byte(hsSecret), "", claims("https://hs.example", "scim"))
	rsGood := sign(t, jwt.SigningMethodRS256, rsKey, "", claims("https://rs.example", []string{"x", "other"}))

	tests := []struct {
		name   string
		token  string
		status int
		cred   string
		detail string
	}{
		{name: "HS256 accepted", token: hsGood, status: 200, cred: "jwt:hs"},
		{name: "RS256 with PEM accepted", token: rsGood, status: 200, cred: "jwt:rs"},
		{name: "PS256 with PEM accepted", token: sign(t, jwt.SigningMethodPS256, rsKey, "", claims("https://rs.example", "absorb-scim")), status: 200, cred: "jwt:rs"},
		{name: "ES256 with JWKS accepted", token: sign(t, jwt.SigningMethodES256, ecKey, "ec1", claims("https://es.example", "scim")), status: 200, cred: "jwt:es"},
		{name: "ES256 without kid uses the only key", token: sign(t, jwt.SigningMethodES256, ecKey, "", claims("https://es.example", "scim")), status: 200, cred: "jwt:es"},
		{name: "static token still first", token: oktaToken, status: 200, cred: "bearer:static"},
		{name: "expired within leeway", token: sign(t, jwt.SigningMethodHS256, []byte(hsSecret), "", claims("https://hs.example", "scim", set("exp", now.Add(-30*time.Second).Unix()))), status: 200, cred: "jwt:hs"},

		{name: "expired", token: sign(t, jwt.SigningMethodHS256, []byte(hsSecret), "", claims("https://hs.example", "scim", set("exp", now.Add(-2*time.Minute).Unix()))),
			status: 401, detail: "token expired at " + now.Add(-2*time.Minute).UTC().Format(time.RFC3339)},
		{name: "not yet valid", token: sign(t, jwt.SigningMethodRS256, rsKey, "", claims("https://rs.example", "other", set("nbf", now.Add(5*time.Minute).Unix()))),
			status: 401, detail: "not valid before"},
		{name: "no exp", token: sign(t, jwt.SigningMethodHS256, []byte(hsSecret), "", claims("https://hs.example", "scim", del("exp"))), status: 401, detail: "no exp"},
		{name: "no aud", token: sign(t, jwt.SigningMethodHS256, []byte(hsSecret), "", claims("https://hs.example", "scim", del("aud"))), status: 401, detail: "no aud"},
		{name: "wrong issuer", token: sign(t, jwt.SigningMethodHS256, []byte(hsSecret), "", claims("https://evil.example", "scim")), status: 401, detail: `issuer "https://evil.example" is not configured`},
		{name: "issuer differs in case", token: sign(t, jwt.SigningMethodHS256, []byte(hsSecret), "", claims("https://HS.example", "scim")), status: 401, detail: "is not configured"},
		{name: "wrong audience", token: sign(t, jwt.SigningMethodRS256, rsKey, "", claims("https://rs.example", "someone-else")), status: 401, detail: `wrong audience: token aud ["someone-else"]`},
		{name: "alg not in allow-list", token: sign(t, jwt.SigningMethodRS384, rsKey, "", claims("https://rs.example", "other")), status: 401, detail: `algorithm "RS384" is not allowed for issuer "https://rs.example"; allowed: RS256, PS256`},
		{name: "HS256 signed with the RSA public key", token: sign(t, jwt.SigningMethodHS256, []byte(rsPEM), "", claims("https://rs.example", "other")), status: 401, detail: `algorithm "HS256" is not allowed`},
		{name: "HS256 signed with the RSA public key, issuer allowing both", token: sign(t, jwt.SigningMethodHS256, []byte(rsPEM), "", claims("https://mixed.example", "scim")), status: 401, detail: "bad signature"},
		{name: "alg none", token: unsigned(t, claims("https://hs.example", "scim")), status: 401, detail: `algorithm "none" is not allowed`},
		{name: "tampered payload", token: tamper(t, hsGood, func(c jwt.MapClaims) { c["sub"] = "admin" }), status: 401, detail: "bad signature"},
		{name: "tampered audience", token: tamper(t, rsGood, func(c jwt.MapClaims) { c["exp"] = now.Add(time.Hour).Unix() }), status: 401, detail: "bad signature"},
		{name: "signed by another key", token: sign(t, jwt.SigningMethodRS256, otherKey, "", claims("https://rs.example", "other")), status: 401, detail: "bad signature"},
		{name: "unknown kid", token: sign(t, jwt.SigningMethodES256, ecKey, "ec-unknown", claims("https://es.example", "scim")), status: 401, detail: `unknown key id (kid) "ec-unknown"`},
		{name: "not a JWT after all", token: "aaa.bbb.ccc", status: 401, detail: "looks like a JWT but its header is not base64url JSON"},
		{name: "JWT without iss", token: sign(t, jwt.SigningMethodHS256, []byte(hsSecret), "", claims("https://hs.example", "scim", del("iss"))), status: 401, detail: "no iss"},
		{name: "opaque unknown token", token: "opaque-token-value-0000", status: 401, detail: "unknown token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, a, http.MethodGet, "/scim/v2/Users", bearer(tc.token))
			expectStatus(t, w, tc.status, tc.detail)
			if got := w.Header().Get("X-Credential"); got != tc.cred {
				t.Errorf("credential = %q, want %q", got, tc.cred)
			}
			if tc.status == 401 {
				chal := w.Header().Get("WWW-Authenticate")
				if !strings.HasPrefix(chal, `Bearer realm="absorb-scim", error="invalid_token", error_description="`) {
					t.Errorf("WWW-Authenticate = %q", chal)
				}
				sig := tc.token[strings.LastIndex(tc.token, ".")+1:]
				if len(sig) > 10 && (strings.Contains(chal, sig) || strings.Contains(w.Body.String(), sig)) {
					t.Errorf("response echoes the token")
				}
			}
		})
	}
}
