package auth

import (
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestJWKSRefetch(t *testing.T) {
	clock := newClock()
	k1, k2 := rsaKeyPair(t), rsaKeyPair(t)
	jwks := newJWKSServer(t, jwkOf("k1", &k1.PublicKey))
	a := newAuth(t, Config{
		Now: clock.Now,
		JWT: []JWTIssuer{{Name: "idp", Issuer: "https://idp.example", Audiences: []string{"scim"}, Algorithms: []string{"RS256"}, JWKSURL: jwks.URL}},
	})
	token := func(kid string, key *rsa.PrivateKey) string {
		now := clock.Now()
		return sign(t, jwt.SigningMethodRS256, key, kid, jwt.MapClaims{"iss": "https://idp.example", "aud": "scim", "exp": now.Add(time.Minute).Unix()})
	}
	steps := []struct {
		name     string
		advance  time.Duration
		setup    func()
		kid      string
		key      *rsa.PrivateKey
		status   int
		wantHits int64
	}{
		{name: "first use fetches", kid: "k1", key: k1, status: 200, wantHits: 1},
		{name: "known kid is cached", kid: "k1", key: k1, status: 200, wantHits: 1},
		{name: "unknown kid right after a fetch is not refetched", kid: "k2", key: k2, status: 401, wantHits: 1},
		{name: "unknown kid after the interval refetches once", advance: 31 * time.Second, kid: "k2", key: k2, status: 401, wantHits: 2},
		{name: "then it is rate-limited", kid: "k2", key: k2, status: 401, wantHits: 2},
		{name: "rotated key not seen within the interval", setup: func() { jwks.setKeys(jwkOf("k1", &k1.PublicKey), jwkOf("k2", &k2.PublicKey)) }, kid: "k2", key: k2, status: 401, wantHits: 2},
		{name: "rotated key found after the interval", advance: 31 * time.Second, kid: "k2", key: k2, status: 200, wantHits: 3},
		{name: "old keys still cached", kid: "k1", key: k1, status: 200, wantHits: 3},
		{name: "a day-old set is refreshed", advance: 25 * time.Hour, kid: "k1", key: k1, status: 200, wantHits: 4},
		{name: "stale keys serve while the JWKS is down", advance: 25 * time.Hour, setup: func() { jwks.setFail(true) }, kid: "k1", key: k1, status: 200, wantHits: 5},
		{name: "unknown kid while the JWKS is down is 503", advance: 31 * time.Second, kid: "k3", key: k2, status: 503, wantHits: 6},
		{name: "recovered", advance: 31 * time.Second, setup: func() { jwks.setFail(false) }, kid: "k2", key: k2, status: 200, wantHits: 7},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		if s.setup != nil {
			s.setup()
		}
		w := do(t, a, http.MethodGet, "/scim/v2/Users", bearer(token(s.kid, s.key)))
		if w.Code != s.status {
			t.Fatalf("%s: status = %d, want %d; body %s", s.name, w.Code, s.status, w.Body.String())
		}
		if got := jwks.hits.Load(); got != s.wantHits {
			t.Fatalf("%s: JWKS hits = %d, want %d", s.name, got, s.wantHits)
		}
		if s.status == 503 {
			if ra := w.Header().Get("Retry-After"); ra != "30" {
				t.Errorf("%s: Retry-After = %q, want 30", s.name, ra)
			}
			expectStatus(t, w, 503, "could not be fetched")
		}
		if s.status == 401 {
			expectStatus(t, w, 401, `unknown key id (kid) "k2"`)
		}
	}
}

func TestJWKSConcurrentUnknownKidFetchesOnce(t *testing.T) {
	clock := newClock()
	k1 := ecKeyPair(t, elliptic.P384())
	jwks := newJWKSServer(t, jwkOf("k1", &k1.PublicKey))
	a := newAuth(t, Config{
		Now: clock.Now,
		JWT: []JWTIssuer{{Name: "idp", Issuer: "https://idp.example", Audiences: []string{"scim"}, Algorithms: []string{"ES384"}, JWKSURL: jwks.URL}},
	})
	tok := sign(t, jwt.SigningMethodES384, k1, "forged", jwt.MapClaims{"iss": "https://idp.example", "aud": "scim", "exp": clock.Now().Add(time.Minute).Unix()})
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Go(func() {
			codes[i] = do(t, a, http.MethodGet, "/scim/v2/Users", bearer(tok)).Code
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusUnauthorized {
			t.Errorf("request %d: status %d, want 401", i, c)
		}
	}
	if got := jwks.hits.Load(); got != 1 {
		t.Errorf("JWKS hits = %d, want 1", got)
	}
}

func TestParseJWKS(t *testing.T) {
	rsaK := rsaKeyPair(t)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p256, p384, p521 := ecKeyPair(t, elliptic.P256()), ecKeyPair(t, elliptic.P384()), ecKeyPair(t, elliptic.P521())
	offCurve := jwkOf("off", &p256.PublicKey)
	offCurve["y"] = offCurve["x"]
	with := func(m map[string]any, k string, v any) map[string]any {
		c := map[string]any{}
		for kk, vv := range m {
			c[kk] = vv
		}
		c[k] = v
		return c
	}
	tests := []struct {
		name    string
		doc     any
		kid     string
		alg     string
		want    int
		wantErr bool
	}{
		{name: "rsa", doc: map[string]any{"keys": []any{jwkOf("r", &rsaK.PublicKey)}}, kid: "r", alg: "RS256", want: 1},
		{name: "rsa fits PS512", doc: map[string]any{"keys": []any{jwkOf("r", &rsaK.PublicKey)}}, kid: "r", alg: "PS512", want: 1},
		{name: "rsa does not fit ES256", doc: map[string]any{"keys": []any{jwkOf("r", &rsaK.PublicKey)}}, kid: "r", alg: "ES256", want: 0},
		{name: "rsa padded base64", doc: map[string]any{"keys": []any{with(jwkOf("r", &rsaK.PublicKey), "e", "AQAB==")}}, kid: "r", alg: "RS256", want: 1},
		{name: "rsa 1024 bits skipped", doc: map[string]any{"keys": []any{jwkOf("w", &weak.PublicKey)}}, kid: "w", alg: "RS256", want: 0},
		{name: "rsa even exponent skipped", doc: map[string]any{"keys": []any{with(jwkOf("r", &rsaK.PublicKey), "e", "AAI")}}, kid: "r", alg: "RS256", want: 0},
		{name: "p256", doc: map[string]any{"keys": []any{jwkOf("e", &p256.PublicKey)}}, kid: "e", alg: "ES256", want: 1},
		{name: "p256 does not fit ES384", doc: map[string]any{"keys": []any{jwkOf("e", &p256.PublicKey)}}, kid: "e", alg: "ES384", want: 0},
		{name: "p384", doc: map[string]any{"keys": []any{jwkOf("e", &p384.PublicKey)}}, kid: "e", alg: "ES384", want: 1},
		{name: "p521", doc: map[string]any{"keys": []any{jwkOf("e", &p521.PublicKey)}}, kid: "e", alg: "ES512", want: 1},
		{name: "point off the curve skipped", doc: map[string]any{"keys": []any{offCurve}}, kid: "off", alg: "ES256", want: 0},
		{name: "unknown curve skipped", doc: map[string]any{"keys": []any{with(jwkOf("e", &p256.PublicKey), "crv", "secp256k1")}}, kid: "e", alg: "ES256", want: 0},
		{name: "encryption key skipped", doc: map[string]any{"keys": []any{with(jwkOf("r", &rsaK.PublicKey), "use", "enc")}}, kid: "r", alg: "RS256", want: 0},
		{name: "jwk alg restricts use", doc: map[string]any{"keys": []any{with(jwkOf("r", &rsaK.PublicKey), "alg", "PS256")}}, kid: "r", alg: "RS256", want: 0},
		{name: "symmetric key skipped", doc: map[string]any{"keys": []any{map[string]any{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}}}, kid: "s", alg: "HS256", want: 0},
		{name: "no kid matches every fitting key", doc: map[string]any{"keys": []any{jwkOf("a", &rsaK.PublicKey), jwkOf("b", &rsaK.PublicKey), jwkOf("e", &p256.PublicKey)}}, kid: "", alg: "RS256", want: 2},
		{name: "malformed entry skipped, others kept", doc: map[string]any{"keys": []any{"junk", jwkOf("r", &rsaK.PublicKey)}}, kid: "r", alg: "RS256", want: 1},
		{name: "no keys member", doc: map[string]any{"kty": "RSA"}, wantErr: true},
		{name: "not an object", doc: []any{1, 2}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := json.Marshal(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			set, err := parseJWKS(data)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseJWKS error = %v, wantErr %v", err, tc.wantErr)
			}
			if got := len(set.match(tc.kid, tc.alg)); got != tc.want {
				t.Errorf("match(%q, %q) found %d keys, want %d", tc.kid, tc.alg, got, tc.want)
			}
		})
	}
}
