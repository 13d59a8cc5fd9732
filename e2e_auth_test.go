package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/schemas"
)

// Credentials of the end-to-end servers. Each is distinctive, so that a
// search of logs and answers for it cannot hit anything else.
const (
	oktaToken      = "okta-e2e-token-Vf3k9QmZ2xLp"
	oneLoginToken  = "onelogin-e2e-token-Hs72PqLm0Zx" // configured by its hash only
	readerToken    = "reader-e2e-token-Bn5Tg8Wq1Kc"
	blockedToken   = "blocked-e2e-token-Yr4Dc6Uj9Ne"
	limitedToken   = "limited-e2e-token-Mx2Fb7Sa3Hq"
	proxiedToken   = "proxied-e2e-token-Lw8Ze1Vo5Gt"
	otherToken     = "other-e2e-token-Pk6Jd2Rc8Ys"
	wrongToken     = "wrong-e2e-token-Qa9Xn3Ke7Bv"
	basicUsername  = "scim-okta"
	basicPassword  = "basic-e2e-password-Ct4Wm8Hy2Rf"
	wrongBasicPass = "basic-e2e-wrong-Gd3Js7Np1Xe"
	hsSecret       = "hs256-e2e-secret-Zu7Np3Lx9Qd5Vb2Mk8Tc1Rw"
	hsIssuer       = "https://hs.e2e.test"
	rsIssuer       = "https://rs.e2e.test"
	jwtAudience    = "absorb-scim-e2e"
	rsKeyID        = "e2e-k1"
)

func authBearer(tok string) string { return "Bearer " + tok }

func authBasic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// jwtClaims are valid claims for iss, changed by edits.
func jwtClaims(iss string, edits ...func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"iss": iss, "sub": "idp", "aud": jwtAudience,
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
	for _, e := range edits {
		e(c)
	}
	return c
}

func withClaim(k string, v any) func(jwt.MapClaims) { return func(c jwt.MapClaims) { c[k] = v } }

// signJWT signs claims with method and key, naming kid when it is not "".
func signJWT(t *testing.T, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tamperPayload replaces the claims of a signed token, keeping its header
// and signature.
func tamperPayload(t *testing.T, tok string, c jwt.MapClaims) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

// tamperSignature changes one byte of a token's signature.
func tamperSignature(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)/2] ^= 0x01
	parts[2] = base64.RawURLEncoding.EncodeToString(sig)
	return strings.Join(parts, ".")
}

// unsignedJWT is a token with alg "none".
func unsignedJWT(t *testing.T, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jwksServer serves a JWK Set (RFC 7517 §5) holding pub under rsKeyID.
func jwksServer(t *testing.T, pub *rsa.PublicKey) string {
	t.Helper()
	doc, err := json.Marshal(map[string]any{"keys": []any{map[string]any{
		"kty": "RSA", "kid": rsKeyID, "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/jwks.json"
}

func publicKeyPEM(t *testing.T, pub *rsa.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// tokenEntry is an auth.tokens entry with the given options.
func tokenEntry(name, value string, options map[string]any) map[string]any {
	e := map[string]any{"name": name, "value": value}
	for k, v := range options {
		e[k] = v
	}
	return e
}

// authServerConfig configures every kind of credential but Entra, whose
// metadata URL the configuration file cannot set (Entra is covered by the
// auth package's own tests against a metadata server).
func authServerConfig(t *testing.T, fake *e2eFake, jwksURL string) map[string]any {
	t.Helper()
	cfg := baseConfig(t, fake)
	cfg["trustedProxies"] = []string{"127.0.0.1"}
	cfg["auth"] = map[string]any{
		"realm": e2eRealm,
		"tokens": []any{
			tokenEntry("okta", oktaToken, nil),
			map[string]any{"name": "onelogin", "hash": auth.HashSecret(oneLoginToken)},
			tokenEntry("reader", readerToken, map[string]any{"readOnly": true}),
			tokenEntry("blocked", blockedToken, map[string]any{"allowCIDRs": []string{"192.0.2.0/24"}}),
			tokenEntry("limited", limitedToken, map[string]any{"ratePerSecond": 0.01, "burst": 1}),
			tokenEntry("proxied", proxiedToken, map[string]any{"allowCIDRs": []string{"203.0.113.7"}}),
		},
		"basic": []any{map[string]any{"name": "okta-basic", "username": basicUsername, "password": basicPassword}},
		"jwt": []any{
			map[string]any{"name": "hs", "issuer": hsIssuer, "audiences": []string{jwtAudience}, "algorithms": []string{"HS256"}, "secret": hsSecret},
			map[string]any{"name": "rs", "issuer": rsIssuer, "audiences": []string{jwtAudience}, "algorithms": []string{"RS256"}, "jwksURL": jwksURL},
		},
	}
	return cfg
}

// TestServeAuthentication drives every credential kind through the whole
// server: what is accepted, what is refused and how.
func TestServeAuthentication(t *testing.T) {
	t.Parallel()
	rsKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	fake := startFake(t)
	s := startServe(t, authServerConfig(t, fake, jwksServer(t, &rsKey.PublicKey)))

	// A second server: tokens only, discovery open, no trusted proxy here.
	fakeB := startFake(t)
	cfgB := baseConfig(t, fakeB)
	cfgB["trustedProxies"] = []string{"10.0.0.0/8"}
	cfgB["auth"] = map[string]any{
		"realm": e2eRealm, "discoveryWithoutAuth": true,
		"tokens": []any{tokenEntry("okta", oktaToken, nil), tokenEntry("proxied", proxiedToken, map[string]any{"allowCIDRs": []string{"203.0.113.7"}})},
	}
	b := startServe(t, cfgB)
	s.waitReady(t)
	b.waitReady(t)

	hs := func(c jwt.MapClaims) string { return signJWT(t, jwt.SigningMethodHS256, []byte(hsSecret), "", c) }
	rs := func(kid string, c jwt.MapClaims) string { return signJWT(t, jwt.SigningMethodRS256, rsKey, kid, c) }
	expired := withClaim("exp", time.Now().Add(-2*time.Hour).Unix())

	t.Run("authentication", func(t *testing.T) {
		tests := []struct {
			name   string
			authz  string
			status int
			// invalidToken: the Bearer challenge carries error="invalid_token".
			invalidToken bool
			detail       string
		}{
			{name: "static token", authz: authBearer(oktaToken), status: 200},
			{name: "hashed static token", authz: authBearer(oneLoginToken), status: 200},
			{name: "lower-case bearer scheme", authz: "bearer " + oktaToken, status: 200},
			{name: "basic", authz: authBasic(basicUsername, basicPassword), status: 200},
			{name: "HS256 JWT", authz: authBearer(hs(jwtClaims(hsIssuer))), status: 200},
			{name: "RS256 JWT from the JWKS", authz: authBearer(rs(rsKeyID, jwtClaims(rsIssuer))), status: 200},

			{name: "no credentials", status: 401, detail: "authentication required"},
			{name: "unknown token", authz: authBearer(wrongToken), status: 401, invalidToken: true, detail: "unknown token"},
			{name: "token of another scheme", authz: "Token " + oktaToken, status: 401, detail: "neither the Bearer nor the Basic scheme"},
			{name: "basic with a wrong password", authz: authBasic(basicUsername, wrongBasicPass), status: 401, detail: "wrong password"},
			{name: "basic with a token as password", authz: authBasic(basicUsername, oktaToken), status: 401, detail: "wrong password"},
			{name: "HS256 expired", authz: authBearer(hs(jwtClaims(hsIssuer, expired))), status: 401, invalidToken: true, detail: "token expired"},
			{name: "RS256 expired", authz: authBearer(rs(rsKeyID, jwtClaims(rsIssuer, expired))), status: 401, invalidToken: true, detail: "token expired"},
			{name: "wrong issuer", authz: authBearer(hs(jwtClaims("https://evil.e2e.test"))), status: 401, invalidToken: true, detail: "is not configured"},
			{name: "wrong audience", authz: authBearer(rs(rsKeyID, jwtClaims(rsIssuer, withClaim("aud", "someone-else")))), status: 401, invalidToken: true, detail: "wrong audience"},
			{name: "no exp", authz: authBearer(hs(jwtClaims(hsIssuer, func(c jwt.MapClaims) { delete(c, "exp") }))), status: 401, invalidToken: true, detail: "no exp"},
			{name: "wrong algorithm", authz: authBearer(signJWT(t, jwt.SigningMethodRS384, rsKey, rsKeyID, jwtClaims(rsIssuer))), status: 401, invalidToken: true, detail: `"RS384" is not allowed`},
			{name: "HS256 signed with the RSA public key", authz: authBearer(signJWT(t, jwt.SigningMethodHS256, publicKeyPEM(t, &rsKey.PublicKey), rsKeyID, jwtClaims(rsIssuer))),
				status: 401, invalidToken: true, detail: `"HS256" is not allowed`},
			{name: "alg none", authz: authBearer(unsignedJWT(t, jwtClaims(hsIssuer))), status: 401, invalidToken: true, detail: `"none" is not allowed`},
			{name: "unknown kid", authz: authBearer(rs("e2e-unknown", jwtClaims(rsIssuer))), status: 401, invalidToken: true, detail: "unknown key id"},
			{name: "tampered payload", authz: authBearer(tamperPayload(t, rs(rsKeyID, jwtClaims(rsIssuer)), jwtClaims(rsIssuer, withClaim("sub", "admin")))),
				status: 401, invalidToken: true, detail: "bad signature"},
			{name: "tampered HS256 payload", authz: authBearer(tamperPayload(t, hs(jwtClaims(hsIssuer)), jwtClaims(hsIssuer, withClaim("aud", "x")))),
				status: 401, invalidToken: true, detail: "bad signature"},
			{name: "tampered signature", authz: authBearer(tamperSignature(t, rs(rsKeyID, jwtClaims(rsIssuer)))), status: 401, invalidToken: true, detail: "bad signature"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := s.do(t, e2eRequest{method: http.MethodGet, path: "/scim/v2/Users?count=1", authz: tc.authz})
				if tc.status == http.StatusOK {
					if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), schemas.ListResponseURN) {
						t.Fatalf("status %d, want 200 and a ListResponse; body: %s", resp.StatusCode, body)
					}
					return
				}
				_, detail := decodeSCIMError(t, resp, body, tc.status)
				if !strings.Contains(detail, tc.detail) {
					t.Errorf("detail = %q, want it to contain %q", detail, tc.detail)
				}
				checkChallenges(t, resp.Header.Values("WWW-Authenticate"), tc.invalidToken)
			})
		}
	})

	t.Run("a read-only credential's lookups change nothing", func(t *testing.T) {
		total := func() any {
			resp, body := s.do(t, e2eRequest{method: http.MethodGet, path: "/scim/v2/Users?count=0", authz: authBearer(oktaToken)})
			var page map[string]any
			if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &page) != nil {
				t.Fatalf("list: status %d, body %s", resp.StatusCode, body)
			}
			return page["totalResults"]
		}
		before := total()
		// Alice's and Bob's accounts exist in Absorb; no SCIM user holds them,
		// and a read never adopts one.
		for _, req := range []e2eRequest{
			{method: http.MethodGet, path: "/scim/v2/Users?filter=userName%20eq%20%22alice%40example.com%22"},
			{method: http.MethodPost, path: "/scim/v2/Users/.search",
				body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"externalId eq \"emp-1002\""}`},
		} {
			req.authz = authBearer(readerToken)
			resp, body := s.do(t, req)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"totalResults":0`) {
				t.Errorf("%s %s: status %d, body %s; want 200 and no user", req.method, req.path, resp.StatusCode, body)
			}
		}
		if after := total(); after != before {
			t.Errorf("the lookups changed the users: %v before, %v after", before, after)
		}
	})

	t.Run("authorization", func(t *testing.T) {
		user := e2eUser(t, "authz@example.com", nil)
		tests := []struct {
			name         string
			srv          *e2eServer
			method, path string
			authz        string
			body         string
			xff          string
			status       int
			detail       string
		}{
			{name: "read-only reads", method: "GET", path: "/scim/v2/Users", authz: authBearer(readerToken), status: 200},
			{name: "read-only searches", method: "POST", path: "/scim/v2/Users/.search", authz: authBearer(readerToken),
				body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"count":1}`, status: 200},
			{name: "read-only creates", method: "POST", path: "/scim/v2/Users", authz: authBearer(readerToken), body: user, status: 403, detail: "credential reader is read-only"},
			{name: "read-only patches", method: "PATCH", path: "/scim/v2/Users/00000000-0000-4000-8000-000000000000", authz: authBearer(readerToken),
				body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"x"}]}`, status: 403, detail: "read-only"},
			{name: "read-only deletes", method: "DELETE", path: "/scim/v2/Users/00000000-0000-4000-8000-000000000000", authz: authBearer(readerToken), status: 403, detail: "read-only"},
			{name: "read-only creates a group", method: "POST", path: "/scim/v2/Groups", authz: authBearer(readerToken),
				body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"x"}`, status: 403, detail: "read-only"},

			{name: "blocked address", method: "GET", path: "/scim/v2/Users", authz: authBearer(blockedToken), status: 403, detail: "client address 127.0.0.1 may not use credential blocked"},
			{name: "allowed address behind a trusted proxy", method: "GET", path: "/scim/v2/Users", authz: authBearer(proxiedToken), xff: "203.0.113.7", status: 200},
			{name: "trusted proxy alone is not the client", method: "GET", path: "/scim/v2/Users", authz: authBearer(proxiedToken), status: 403, detail: "127.0.0.1 may not"},
			{name: "forged X-Forwarded-For entry on the left", method: "GET", path: "/scim/v2/Users", authz: authBearer(proxiedToken), xff: "203.0.113.7, 198.51.100.1",
				status: 403, detail: "198.51.100.1 may not"},
			{name: "X-Forwarded-For from an untrusted peer", srv: b, method: "GET", path: "/scim/v2/Users", authz: authBearer(proxiedToken), xff: "203.0.113.7",
				status: 403, detail: "127.0.0.1 may not"},

			// Authentication comes before routing, lookups and body checks.
			{name: "unknown id with a bad token", method: "GET", path: "/scim/v2/Users/00000000-0000-4000-8000-000000000000", authz: authBearer(wrongToken), status: 401},
			{name: "unknown id without credentials", method: "GET", path: "/scim/v2/Users/00000000-0000-4000-8000-000000000000", status: 401},
			{name: "unknown id with a good token", method: "GET", path: "/scim/v2/Users/00000000-0000-4000-8000-000000000000", authz: authBearer(oktaToken), status: 404},
			{name: "delete with a bad token", method: "DELETE", path: "/scim/v2/Users/00000000-0000-4000-8000-000000000000", authz: authBearer(wrongToken), status: 401},
			{name: "unknown route with a bad token", method: "GET", path: "/scim/v2/Nothing", authz: authBearer(wrongToken), status: 401},
			{name: "bad JSON with a bad token", method: "POST", path: "/scim/v2/Users", authz: authBearer(wrongToken), body: "{not json", status: 401},
			{name: "oversized body with a bad token", method: "POST", path: "/scim/v2/Users", authz: authBearer(wrongToken), body: strings.Repeat(" ", 2<<20), status: 401},
			{name: "bad filter with a bad token", method: "GET", path: "/scim/v2/Users?filter=" + url.QueryEscape("userName zz"), authz: authBearer(wrongToken), status: 401},

			{name: "admin backup without credentials", method: "GET", path: "/admin/backup", status: 401},
			{name: "admin reconcile with a bad token", method: "POST", path: "/admin/reconcile", authz: authBearer(wrongToken), status: 401},
			{name: "admin backup with a read-only credential", method: "GET", path: "/admin/backup", authz: authBearer(readerToken), status: 403, detail: "read-write credential"},

			{name: "discovery needs credentials", method: "GET", path: "/scim/v2/ServiceProviderConfig", status: 401},
			{name: "schemas need credentials", method: "GET", path: "/scim/v2/Schemas", status: 401},
			{name: "a schema needs credentials", method: "GET", path: "/scim/v2/Schemas/" + schemas.UserURN, status: 401},
			{name: "resource types need credentials", method: "GET", path: "/scim/v2/ResourceTypes", status: 401},
			{name: "discovery with credentials", method: "GET", path: "/scim/v2/ServiceProviderConfig", authz: authBearer(readerToken), status: 200},
			{name: "open discovery", srv: b, method: "GET", path: "/scim/v2/ServiceProviderConfig", status: 200},
			{name: "open schemas", srv: b, method: "GET", path: "/scim/v2/Schemas/" + schemas.UserURN, status: 200},
			{name: "open resource types", srv: b, method: "GET", path: "/scim/v2/ResourceTypes", status: 200},
			{name: "open discovery leaves users closed", srv: b, method: "GET", path: "/scim/v2/Users", status: 401},
			{name: "open discovery leaves dot segments closed", srv: b, method: "GET", path: "/scim/v2/Schemas/../Users", status: 401},
			{name: "open discovery leaves escaped dot segments closed", srv: b, method: "GET", path: "/scim/v2/Schemas/%2E%2E/Users", status: 401},
			{name: "open discovery leaves escaped slashes closed", srv: b, method: "GET", path: "/scim/v2/Schemas/..%2FUsers", status: 401},
			{name: "open discovery leaves nested dot segments closed", srv: b, method: "GET", path: "/scim/v2/ResourceTypes/x/../../Users", status: 401},
			{name: "health needs nothing", method: "GET", path: "/healthz", status: 200},
			{name: "readiness needs nothing", method: "GET", path: "/readyz", status: 200},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				srv := tc.srv
				if srv == nil {
					srv = s
				}
				req := e2eRequest{method: tc.method, path: tc.path, authz: tc.authz, body: tc.body}
				if tc.xff != "" {
					req.header = map[string]string{"X-Forwarded-For": tc.xff}
				}
				resp, body := srv.do(t, req)
				if tc.status < 400 {
					if resp.StatusCode != tc.status {
						t.Fatalf("status %d, want %d; body: %s", resp.StatusCode, tc.status, body)
					}
					return
				}
				_, detail := decodeSCIMError(t, resp, body, tc.status)
				if !strings.Contains(detail, tc.detail) {
					t.Errorf("detail = %q, want it to contain %q", detail, tc.detail)
				}
			})
		}
	})

	t.Run("rate limit per credential", func(t *testing.T) {
		resp, body := s.do(t, e2eRequest{method: "GET", path: "/scim/v2/Users?count=1", authz: authBearer(limitedToken)})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("first request: status %d: %s", resp.StatusCode, body)
		}
		resp, body = s.do(t, e2eRequest{method: "GET", path: "/scim/v2/Users?count=1", authz: authBearer(limitedToken)})
		_, detail := decodeSCIMError(t, resp, body, http.StatusTooManyRequests)
		if !strings.Contains(detail, "credential limited exceeded its rate limit") {
			t.Errorf("detail = %q", detail)
		}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 100 {
			t.Errorf("Retry-After = %q, want whole seconds in [1, 100]", resp.Header.Get("Retry-After"))
		}
		// Other credentials are not slowed down.
		if resp, _ := s.do(t, e2eRequest{method: "GET", path: "/scim/v2/Users?count=1", authz: authBearer(oktaToken)}); resp.StatusCode != http.StatusOK {
			t.Errorf("another credential got %d while one was over its rate", resp.StatusCode)
		}
	})

	t.Run("authenticationSchemes lists the configured schemes", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			srv  *e2eServer
			want []string
		}{
			{name: "every kind", srv: s, want: []string{"oauthbearertoken OAuth Bearer Token primary", "oauthbearertoken JSON Web Token", "httpbasic HTTP Basic"}},
			{name: "tokens only", srv: b, want: []string{"oauthbearertoken OAuth Bearer Token primary"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := tc.srv.do(t, e2eRequest{method: "GET", path: "/scim/v2/ServiceProviderConfig", authz: authBearer(oktaToken)})
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				var spc struct {
					AuthenticationSchemes []struct {
						Type    string `json:"type"`
						Name    string `json:"name"`
						Primary bool   `json:"primary"`
					} `json:"authenticationSchemes"`
				}
				if err := json.Unmarshal(body, &spc); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, a := range spc.AuthenticationSchemes {
					g := a.Type + " " + a.Name
					if a.Primary {
						g += " primary"
					}
					got = append(got, g)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("authenticationSchemes = %q, want %q", got, tc.want)
				}
			})
		}
	})
}

// checkChallenges checks the WWW-Authenticate challenges of a 401 from a
// server with both bearer credentials and Basic users (RFC 6750 §3,
// RFC 7617 §2).
func checkChallenges(t *testing.T, got []string, invalidToken bool) {
	t.Helper()
	realm := `realm="` + e2eRealm + `"`
	var bearerC, basicC string
	for _, c := range got {
		switch {
		case strings.HasPrefix(c, "Bearer "):
			bearerC = c
		case strings.HasPrefix(c, "Basic "):
			basicC = c
		}
	}
	if !strings.HasPrefix(bearerC, "Bearer "+realm) {
		t.Errorf("WWW-Authenticate %q has no Bearer challenge with %s", got, realm)
	}
	if basicC != "Basic "+realm {
		t.Errorf("WWW-Authenticate %q has no Basic challenge with %s", got, realm)
	}
	if has := strings.Contains(bearerC, `error="invalid_token"`); has != invalidToken {
		t.Errorf("Bearer challenge %q: error=\"invalid_token\" present = %v, want %v", bearerC, has, invalidToken)
	}
}

// TestSecretsNeverAppear runs a whole provisioning scenario with debug logs
// and checks that no secret shows up in the log or in any answer.
func TestSecretsNeverAppear(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	cfg := baseConfig(t, fake)
	cfg["auth"] = map[string]any{
		"realm": e2eRealm,
		"tokens": []any{
			tokenEntry("okta", oktaToken, nil),
			map[string]any{"name": "onelogin", "hash": auth.HashSecret(oneLoginToken)},
		},
		"basic": []any{map[string]any{"name": "okta-basic", "username": basicUsername, "password": basicPassword}},
		"jwt":   []any{map[string]any{"name": "hs", "issuer": hsIssuer, "audiences": []string{jwtAudience}, "algorithms": []string{"HS256"}, "secret": hsSecret}},
	}
	s := startServe(t, cfg)
	s.waitReady(t)

	const (
		placeholderPassword = "okta-placeholder-Jh4Ks8Lq2Wm" // what Okta sends in password
		syncedPassword      = "okta-synced-Rp5Nb9Dv3Xc"      // a password change pushed by the IdP
	)
	hsJWT := signJWT(t, jwt.SigningMethodHS256, []byte(hsSecret), "", jwtClaims(hsIssuer))
	want := func(resp *http.Response, body []byte, status int) {
		t.Helper()
		if resp.StatusCode != status {
			t.Fatalf("status %d, want %d; body: %s", resp.StatusCode, status, body)
		}
	}
	id := func(body []byte) string {
		t.Helper()
		var u struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &u); err != nil || u.ID == "" {
			t.Fatalf("no id in %s", body)
		}
		return u.ID
	}
	patch := func(ops string) string {
		return `{"schemas":["` + schemas.PatchOpURN + `"],"Operations":[` + ops + `]}`
	}

	resp, body := s.do(t, e2eRequest{method: "POST", path: "/scim/v2/Users", authz: authBearer(oktaToken),
		body: e2eUser(t, "secret.one@example.com", map[string]any{"password": placeholderPassword})})
	want(resp, body, http.StatusCreated)
	one := id(body)
	resp, body = s.do(t, e2eRequest{method: "POST", path: "/scim/v2/Users", authz: authBasic(basicUsername, basicPassword),
		body: e2eUser(t, "secret.two@example.com", nil)})
	want(resp, body, http.StatusCreated)
	two := id(body)

	resp, body = s.do(t, e2eRequest{method: "PATCH", path: "/scim/v2/Users/" + one, authz: authBearer(hsJWT),
		body: patch(`{"op":"replace","path":"title","value":"Engineer"}`)})
	want(resp, body, http.StatusOK)
	resp, body = s.do(t, e2eRequest{method: "PATCH", path: "/scim/v2/Users/" + one, authz: authBearer(oneLoginToken),
		body: patch(`{"op":"replace","value":{"password":"` + syncedPassword + `"}}`)})
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		t.Fatalf("password patch: status %d: %s", resp.StatusCode, body)
	}
	resp, body = s.do(t, e2eRequest{method: "PATCH", path: "/scim/v2/Users/" + one, authz: authBearer(oktaToken),
		body: patch(`{"op":"replace","value":{"active":false}}`)})
	want(resp, body, http.StatusOK)
	resp, body = s.do(t, e2eRequest{method: "DELETE", path: "/scim/v2/Users/" + two, authz: authBearer(oktaToken)})
	want(resp, body, http.StatusNoContent)

	resp, body = s.do(t, e2eRequest{method: "GET", path: "/scim/v2/Users", authz: authBearer(wrongToken)})
	want(resp, body, http.StatusUnauthorized)
	resp, body = s.do(t, e2eRequest{method: "GET", path: "/scim/v2/Users", authz: authBasic(basicUsername, wrongBasicPass)})
	want(resp, body, http.StatusUnauthorized)
	resp, body = s.do(t, e2eRequest{method: "GET", path: "/scim/v2/Users/" + two + "-missing", authz: authBearer(oktaToken)})
	want(resp, body, http.StatusNotFound)

	// Another login as the bridge's admin: Absorb answers the bridge's
	// token with 401, and the bridge logs in again.
	logins := fake.srv.Stats().Logins
	fake.srv.StealToken(fakeabsorb.BridgeAdminUsername)
	resp, body = s.do(t, e2eRequest{method: "PATCH", path: "/scim/v2/Users/" + one, authz: authBearer(oktaToken),
		body: patch(`{"op":"replace","path":"title","value":"Manager"}`)})
	want(resp, body, http.StatusOK)
	if got := fake.srv.Stats().Logins; got <= logins {
		t.Errorf("logins after the token was stolen = %d, want more than %d", got, logins)
	}

	resp, body = s.do(t, e2eRequest{method: "GET", path: "/scim/v2/Users/" + one, authz: authBearer(oktaToken)})
	want(resp, body, http.StatusOK)
	if strings.Contains(strings.ToLower(string(body)), `"password"`) {
		t.Errorf("a user answer holds a password attribute: %s", body)
	}
	// /metrics needs no credentials, so it must hold counts only.
	resp, body = s.do(t, e2eRequest{method: "GET", path: "/metrics"})
	for _, personal := range []string{"secret.one@example.com", "secret.two@example.com", one, two} {
		if resp.StatusCode == http.StatusOK && strings.Contains(string(body), personal) {
			t.Errorf("/metrics shows %q", personal)
		}
	}

	generated := fake.tap.userPasswords()
	if len(generated) < 2 {
		t.Fatalf("the bridge sent %d passwords to Absorb, want one per created user at least", len(generated))
	}
	if slices.Contains(generated, placeholderPassword) || slices.Contains(generated, syncedPassword) {
		t.Errorf("the IdP's password reached Absorb although mapping.password is generate")
	}
	absorbTokens := fake.tap.absorbTokens()
	if len(absorbTokens) < 2 {
		t.Fatalf("%d Absorb logins seen, want at least 2", len(absorbTokens))
	}

	logs := s.stderr.String()
	if !strings.Contains(logs, `"level":"DEBUG"`) || !strings.Contains(logs, `"msg":"request"`) {
		t.Fatalf("the log has no debug or request lines; is the level debug?\n%s", logs)
	}
	secrets := map[string]string{
		"okta token":            oktaToken,
		"hashed token":          oneLoginToken,
		"wrong token":           wrongToken,
		"basic password":        basicPassword,
		"wrong basic password":  wrongBasicPass,
		"basic credentials":     strings.TrimPrefix(authBasic(basicUsername, basicPassword), "Basic "),
		"JWT secret":            hsSecret,
		"JWT":                   hsJWT,
		"JWT signature":         hsJWT[strings.LastIndex(hsJWT, ".")+1:],
		"Absorb private key":    e2ePrivateKey,
		"Absorb admin password": e2eAdminPassword,
		"IdP placeholder":       placeholderPassword,
		"IdP synced password":   syncedPassword,
	}
	for i, p := range generated {
		secrets["generated password "+strconv.Itoa(i)] = p
	}
	for i, tok := range absorbTokens {
		secrets["Absorb token "+strconv.Itoa(i)] = tok
	}
	for where, text := range map[string]string{"log": logs, "responses": s.transcript()} {
		for name, secret := range secrets {
			if i := strings.Index(text, secret); i >= 0 {
				t.Errorf("%s holds the %s: ...%s...", where, name, text[max(0, i-200):min(len(text), i+len(secret)+50)])
			}
		}
	}
}
