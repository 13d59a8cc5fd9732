package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

func TestNoCredentials(t *testing.T) {
	bearerOnly := newAuth(t, Config{Tokens: []Token{{Name: "t", Value: oktaToken}}})
	both := newAuth(t, Config{Realm: "lms", Tokens: []Token{{Name: "t", Value: oktaToken}}, Basic: []BasicUser{{Name: "b", Username: "u", Password: "p"}}})
	basicOnly := newAuth(t, Config{Basic: []BasicUser{{Name: "b", Username: "u", Password: "p"}}})
	tests := []struct {
		name   string
		a      *Authenticator
		authz  string
		want   []string
		detail string
	}{
		{name: "bearer deployment", a: bearerOnly, want: []string{`Bearer realm="absorb-scim"`}, detail: "send Authorization: Bearer <token>"},
		{name: "bearer and basic deployment", a: both, want: []string{`Bearer realm="lms"`, `Basic realm="lms"`}, detail: "Bearer <token> or Authorization: Basic"},
		{name: "basic deployment", a: basicOnly, want: []string{`Basic realm="absorb-scim"`}, detail: "send Authorization: Basic"},
		{name: "unsupported scheme", a: bearerOnly, authz: "Digest username=x", want: []string{`Bearer realm="absorb-scim"`}, detail: "uses neither the Bearer nor the Basic scheme"},
		{name: "token without scheme", a: bearerOnly, authz: oktaToken, want: []string{`Bearer realm="absorb-scim"`}, detail: "uses neither the Bearer nor the Basic scheme"},
		{name: "tab separator", a: bearerOnly, authz: "Bearer\t" + oktaToken + "x", want: []string{`Bearer realm="absorb-scim", error="invalid_token", error_description="unknown token: it matches no configured token"`}, detail: "unknown token"},
		{name: "basic sent to a bearer deployment", a: bearerOnly, authz: basicAuth("u", "p"), want: []string{`Bearer realm="absorb-scim"`}, detail: "Basic authentication is not enabled"},
		{name: "bearer sent to a basic deployment", a: basicOnly, authz: bearer(oktaToken), want: []string{`Basic realm="absorb-scim"`}, detail: "bearer tokens are not accepted"},
		{name: "blank header", a: bearerOnly, authz: "   ", want: []string{`Bearer realm="absorb-scim"`}, detail: "header is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/scim/v2/Users", nil)
			if tc.authz != "" {
				r.Header["Authorization"] = []string{tc.authz}
			}
			w := doReq(t, tc.a, r)
			expectStatus(t, w, http.StatusUnauthorized, tc.detail)
			if diff := cmp.Diff(tc.want, w.Header().Values("WWW-Authenticate")); diff != "" {
				t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
			}
		})
	}
}

// challengeRE is RFC 6750 §3: error_description limited to %x20-21 / %x23-5B / %x5D-7E.
var challengeRE = regexp.MustCompile(`^Bearer realm="absorb-scim", error="invalid_token", error_description="[\x20\x21\x23-\x5b\x5d-\x7e]*"$`)

func TestChallengeFormat(t *testing.T) {
	a := newAuth(t, Config{
		Tokens: []Token{{Name: "t", Value: oktaToken}},
		JWT:    []JWTIssuer{{Name: "j", Issuer: "https://idp.example", Audiences: []string{"scim"}, Algorithms: []string{"HS256"}, Secret: hsSecret}},
	})
	t.Run("exact challenge", func(t *testing.T) {
		w := do(t, a, http.MethodGet, "/scim/v2/Users", bearer("wrong-token-value-123"))
		want := `Bearer realm="absorb-scim", error="invalid_token", error_description="unknown token: it matches no configured token"`
		if got := w.Header().Get("WWW-Authenticate"); got != want {
			t.Errorf("WWW-Authenticate = %q, want %q", got, want)
		}
	})
	hostile := []string{`https://x"y\z`, "https://\u00e9vil", strings.Repeat("i", 500), "https://x\ty"}
	for _, iss := range hostile {
		t.Run("issuer "+iss[:min(len(iss), 12)], func(t *testing.T) {
			tok := sign(t, jwt.SigningMethodHS256, []byte(hsSecret), "", jwt.MapClaims{"iss": iss, "aud": "scim", "exp": time.Now().Add(time.Hour).Unix()})
			w := do(t, a, http.MethodGet, "/scim/v2/Users", bearer(tok))
			expectStatus(t, w, http.StatusUnauthorized, "is not configured")
			if got := w.Header().Get("WWW-Authenticate"); !challengeRE.MatchString(got) || len(got) > 300 {
				t.Errorf("WWW-Authenticate = %q breaks RFC 6750 §3 syntax or is too long", got)
			}
		})
	}
}

func TestMultipleAuthorizationHeaders(t *testing.T) {
	a := newAuth(t, Config{Tokens: []Token{{Name: "t", Value: oktaToken}}})
	r := httptest.NewRequest(http.MethodGet, "/scim/v2/Users", nil)
	r.Header.Add("Authorization", bearer(oktaToken))
	r.Header.Add("Authorization", bearer("other-token-0123456789"))
	w := doReq(t, a, r)
	expectStatus(t, w, http.StatusBadRequest, "more than one Authorization header")
	want := `Bearer realm="absorb-scim", error="invalid_request", error_description="the request has more than one Authorization header"`
	if got := w.Header().Get("WWW-Authenticate"); got != want {
		t.Errorf("WWW-Authenticate = %q, want %q", got, want)
	}
}

func TestReadOnly(t *testing.T) {
	const readerToken = "reader-token-0123456789abcdef"
	a := newAuth(t, Config{Tokens: []Token{
		{Name: "reader", Value: readerToken, ReadOnly: true},
		{Name: "writer", Value: oktaToken},
	}})
	tests := []struct {
		method, path, token string
		status              int
	}{
		{http.MethodGet, "/scim/v2/Users", readerToken, 200},
		{http.MethodHead, "/scim/v2/Users/1", readerToken, 200},
		{http.MethodPost, "/scim/v2/Users/.search", readerToken, 200},
		{http.MethodPost, "/scim/v2/.search", readerToken, 200},
		{http.MethodPost, "/scim/v2/Users", readerToken, 403},
		{http.MethodPost, "/scim/v2/Users/.search/x", readerToken, 403},
		{http.MethodPost, "/scim/v2/Bulk", readerToken, 403},
		{http.MethodPut, "/scim/v2/Users/1", readerToken, 403},
		{http.MethodPatch, "/scim/v2/Users/1", readerToken, 403},
		{http.MethodDelete, "/scim/v2/Groups/1", readerToken, 403},
		{http.MethodOptions, "/scim/v2/Users", readerToken, 403},
		{http.MethodPost, "/scim/v2/Users", oktaToken, 200},
		{http.MethodDelete, "/scim/v2/Users/1", oktaToken, 200},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path+" "+tc.token[:6], func(t *testing.T) {
			w := do(t, a, tc.method, tc.path, bearer(tc.token))
			expectStatus(t, w, tc.status, "credential reader is read-only")
			if tc.status == 403 {
				var e scimErr
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.ScimType != "" {
					t.Errorf("scimType = %q (err %v), want none", e.ScimType, err)
				}
				if len(w.Header().Values("WWW-Authenticate")) != 0 {
					t.Errorf("403 carries a challenge")
				}
			}
		})
	}
}

func TestAllowCIDRs(t *testing.T) {
	a := newAuth(t, Config{
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		Tokens: []Token{
			{Name: "okta", Value: oktaToken, Limits: Limits{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")}}},
			{Name: "open", Value: oneLoginToken},
		},
	})
	tests := []struct {
		name   string
		remote string
		xff    []string
		token  string
		status int
		detail string
	}{
		{name: "allowed peer", remote: "203.0.113.5:4711", token: oktaToken, status: 200},
		{name: "allowed IPv6 peer", remote: "[2001:db8::1]:443", token: oktaToken, status: 200},
		{name: "IPv4-mapped peer", remote: "[::ffff:203.0.113.5]:443", token: oktaToken, status: 200},
		{name: "blocked peer", remote: "198.51.100.7:4711", token: oktaToken, status: 403, detail: "client address 198.51.100.7 may not use credential okta"},
		{name: "unrestricted credential", remote: "198.51.100.7:4711", token: oneLoginToken, status: 200},
		{name: "allowed behind trusted proxy", remote: "10.1.2.3:80", xff: []string{"203.0.113.5"}, token: oktaToken, status: 200},
		{name: "blocked behind trusted proxy", remote: "10.1.2.3:80", xff: []string{"198.51.100.7"}, token: oktaToken, status: 403, detail: "198.51.100.7 may not"},
		{name: "two trusted proxies", remote: "10.1.2.3:80", xff: []string{"203.0.113.5, 10.9.9.9"}, token: oktaToken, status: 200},
		{name: "forged left entry is ignored", remote: "10.1.2.3:80", xff: []string{"203.0.113.5, 198.51.100.7"}, token: oktaToken, status: 403, detail: "198.51.100.7 may not"},
		{name: "split headers", remote: "10.1.2.3:80", xff: []string{"198.51.100.7", "203.0.113.5"}, token: oktaToken, status: 200},
		{name: "X-Forwarded-For from an untrusted peer is ignored", remote: "198.51.100.7:4711", xff: []string{"203.0.113.5"}, token: oktaToken, status: 403, detail: "198.51.100.7 may not"},
		{name: "garbage behind trusted proxy", remote: "10.1.2.3:80", xff: []string{"not-an-ip"}, token: oktaToken, status: 403, detail: "could not be determined"},
		{name: "proxy alone is not the client", remote: "10.1.2.3:80", token: oktaToken, status: 403, detail: "10.1.2.3 may not"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/scim/v2/Users", nil)
			r.RemoteAddr = tc.remote
			r.Header.Set("Authorization", bearer(tc.token))
			for _, x := range tc.xff {
				r.Header.Add("X-Forwarded-For", x)
			}
			expectStatus(t, doReq(t, a, r), tc.status, tc.detail)
		})
	}
}

func TestRateLimit(t *testing.T) {
	clock := newClock()
	const slowToken = "slow-token-0123456789abcdef"
	a := newAuth(t, Config{
		Now: clock.Now,
		Tokens: []Token{
			{Name: "okta", Value: oktaToken, Limits: Limits{RatePerSecond: 1, Burst: 2}},
			{Name: "onelogin", Value: oneLoginToken, Limits: Limits{RatePerSecond: 100}},
			{Name: "slow", Value: slowToken, Limits: Limits{RatePerSecond: 0.1}},
		},
	})
	get := func(tok string) *httptest.ResponseRecorder {
		t.Helper()
		return do(t, a, http.MethodGet, "/scim/v2/Users", bearer(tok))
	}
	for range 2 {
		expectStatus(t, get(oktaToken), 200, "")
	}
	w := get(oktaToken)
	expectStatus(t, w, http.StatusTooManyRequests, "credential okta exceeded its rate limit; retry after 1 s")
	if got := w.Header().Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
	expectStatus(t, get(oktaToken), http.StatusTooManyRequests, "")
	// Another credential has its own limiter.
	expectStatus(t, get(oneLoginToken), 200, "")
	// Refused requests did not use up the allowance: one second buys one request.
	clock.Advance(time.Second)
	expectStatus(t, get(oktaToken), 200, "")
	expectStatus(t, get(oktaToken), http.StatusTooManyRequests, "")

	expectStatus(t, get(slowToken), 200, "")
	w = get(slowToken)
	expectStatus(t, w, http.StatusTooManyRequests, "retry after 10 s")
	if got := w.Header().Get("Retry-After"); got != "10" {
		t.Errorf("Retry-After = %q, want 10", got)
	}
}

func TestErrorWriter(t *testing.T) {
	type call struct {
		Status           int
		ScimType, Detail string
	}
	var got []call
	a := newAuth(t, Config{Tokens: []Token{{Name: "t", Value: oktaToken}},
		ErrorWriter: func(w http.ResponseWriter, r *http.Request, status int, scimType, detail string) {
			got = append(got, call{status, scimType, detail})
			w.WriteHeader(status)
			_, _ = w.Write([]byte("custom"))
		}})
	w := do(t, a, http.MethodGet, "/scim/v2/Users", bearer("bad-token-0123456789"))
	if w.Code != 401 || w.Body.String() != "custom" || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("custom writer: status %d body %q challenge %q", w.Code, w.Body.String(), w.Header().Get("WWW-Authenticate"))
	}
	want := []call{{401, "", "unknown token: it matches no configured token"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}

	// Without a writer (a Config only validated), the detail is sent as plain text.
	plain, err := New(Config{Tokens: []Token{{Name: "t", Value: oktaToken}}})
	if err != nil {
		t.Fatal(err)
	}
	w = do(t, plain, http.MethodGet, "/scim/v2/Users", "")
	if w.Code != 401 || !strings.Contains(w.Body.String(), "authentication required") || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("no writer: status %d body %q challenge %q", w.Code, w.Body.String(), w.Header().Get("WWW-Authenticate"))
	}
}

func TestCredentialContext(t *testing.T) {
	if _, ok := CredentialFrom(context.Background()); ok {
		t.Error("CredentialFrom(empty context) reported a credential")
	}
	want := Credential{Name: "okta", ReadOnly: true, Scheme: SchemeBearer}
	a := newAuth(t, Config{Tokens: []Token{{Name: "okta", Value: oktaToken, ReadOnly: true}}})
	var got Credential
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = CredentialFrom(r.Context())
	}))
	r := httptest.NewRequest(http.MethodGet, "/scim/v2/Users", nil)
	r.Header.Set("Authorization", bearer(oktaToken))
	h.ServeHTTP(httptest.NewRecorder(), r)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("credential (-want +got):\n%s", diff)
	}
}

func TestSchemes(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{name: "tokens", cfg: Config{Tokens: []Token{{Name: "t", Value: oktaToken}}}, want: []string{"oauthbearertoken:OAuth Bearer Token:true"}},
		{name: "basic", cfg: Config{Basic: []BasicUser{{Name: "b", Username: "u", Password: "p"}}}, want: []string{"httpbasic:HTTP Basic:true"}},
		{name: "all kinds, two tokens", cfg: Config{
			Tokens: []Token{{Name: "t", Value: oktaToken}, {Name: "t2", Value: oneLoginToken}},
			Basic:  []BasicUser{{Name: "b", Username: "u", Password: "p"}},
			JWT:    []JWTIssuer{{Name: "j", Issuer: "https://i", Audiences: []string{"a"}, Algorithms: []string{"HS256"}, Secret: hsSecret}},
			Entra:  []EntraTenant{{Name: "e", TenantID: tenantID}},
		}, want: []string{
			"oauthbearertoken:OAuth Bearer Token:true",
			"oauthbearertoken:Microsoft Entra ID token:false",
			"oauthbearertoken:JSON Web Token:false",
			"httpbasic:HTTP Basic:false",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, s := range newAuth(t, tc.cfg).Schemes() {
				got = append(got, s.Type+":"+s.Name+":"+map[bool]string{true: "true", false: "false"}[s.Primary])
				if s.Description == "" || s.SpecURI == "" {
					t.Errorf("scheme %q lacks description or specUri", s.Name)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("schemes (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		b, err := json.Marshal(Scheme{Type: "httpbasic", Name: "n", Description: "d", SpecURI: "s", DocumentationURI: "u", Primary: true})
		if err != nil {
			t.Fatal(err)
		}
		want := `{"type":"httpbasic","name":"n","description":"d","specUri":"s","documentationUri":"u","primary":true}`
		if string(b) != want {
			t.Errorf("json = %s, want %s", b, want)
		}
	})
}
