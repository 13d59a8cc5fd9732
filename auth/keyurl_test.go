package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestCheckKeyURL(t *testing.T) {
	const insecure = "must be https (plain http only on a loopback address): signing keys fetched in clear text could be replaced"
	const malformed = "must be an absolute http or https URL"
	tests := []struct {
		name, url, want string
	}{
		{name: "https", url: "https://idp.example/keys"},
		{name: "http on IPv4 loopback", url: "http://127.0.0.1:8080/keys"},
		{name: "http on another IPv4 loopback", url: "http://127.4.5.6/keys"},
		{name: "http on IPv6 loopback", url: "http://[::1]:8080/keys"},
		{name: "http on mapped loopback", url: "http://[::ffff:127.0.0.1]/keys"},
		{name: "http on localhost", url: "http://LocalHost:9/keys"},
		{name: "http on a remote host", url: "http://idp.example/keys", want: insecure},
		{name: "http on a private address", url: "http://10.0.0.1/keys", want: insecure},
		{name: "http on a name ending in localhost", url: "http://evil-localhost/keys", want: insecure},
		{name: "other scheme", url: "ftp://idp.example/keys", want: malformed},
		{name: "relative", url: "/keys", want: malformed},
		{name: "no host", url: "https:///keys", want: malformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkKeyURL(tc.url); got != tc.want {
				t.Errorf("checkKeyURL(%q) = %q, want %q", tc.url, got, tc.want)
			}
		})
	}
}

func TestNewRefusesPlainHTTPKeyURLs(t *testing.T) {
	_, err := New(Config{
		JWT: []JWTIssuer{{Name: "gw", Issuer: "https://gw.example", Audiences: []string{"scim"}, Algorithms: []string{"RS256"},
			JWKSURL: "http://gw.example/jwks.json"}},
		Entra: []EntraTenant{{Name: "entra", TenantID: tenantID, MetadataURL: "http://login.example/meta"}},
	})
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("New error = %v, want *ConfigError", err)
	}
	want := []string{
		`JWT[0] "gw": JWKSURL must be https (plain http only on a loopback address): signing keys fetched in clear text could be replaced`,
		`Entra[0] "entra": MetadataURL must be https (plain http only on a loopback address): signing keys fetched in clear text could be replaced`,
	}
	if !slices.Equal(ce.Problems, want) {
		t.Errorf("problems = %q, want %q", ce.Problems, want)
	}
}

// roundTripFunc is an http.RoundTripper serving requests in-process.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestKeyFetchRefusesRedirectToHTTP serves the JWK Set in-process for https and http
// alike: following https://idp.example/old to plain http must fail, following it to https
// must work.
func TestKeyFetchRefusesRedirectToHTTP(t *testing.T) {
	key := rsaKeyPair(t)
	doc, err := json.Marshal(map[string]any{"keys": []any{jwkOf("k1", &key.PublicKey)}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var fetched []string
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		fetched = append(fetched, r.URL.String())
		mu.Unlock()
		w := httptest.NewRecorder()
		switch r.URL.Path {
		case "/to-http":
			http.Redirect(w, r, "http://idp.example/keys", http.StatusFound)
		case "/to-https":
			http.Redirect(w, r, "https://idp.example/keys", http.StatusFound)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(doc)
		}
		return w.Result(), nil
	})}
	tests := []struct {
		name, path string
		status     int
		want       []string
	}{
		{name: "redirect to http", path: "/to-http", status: http.StatusServiceUnavailable, want: []string{"https://idp.example/to-http"}},
		{name: "redirect to https", path: "/to-https", status: http.StatusOK, want: []string{"https://idp.example/to-https", "https://idp.example/keys"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			fetched = nil
			mu.Unlock()
			a := newAuth(t, Config{HTTPClient: client, JWT: []JWTIssuer{{Name: "idp", Issuer: "https://idp.example", Audiences: []string{"scim"},
				Algorithms: []string{"RS256"}, JWKSURL: "https://idp.example" + tc.path}}})
			tok := sign(t, jwt.SigningMethodRS256, key, "k1", jwt.MapClaims{"iss": "https://idp.example", "aud": "scim", "exp": time.Now().Add(time.Minute).Unix()})
			w := do(t, a, http.MethodGet, "/scim/v2/Users", bearer(tok))
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.status, w.Body.String())
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(fetched, tc.want) {
				t.Errorf("fetched %q, want %q", fetched, tc.want)
			}
			if client.CheckRedirect != nil {
				t.Errorf("New changed the caller's http.Client")
			}
		})
	}
}
