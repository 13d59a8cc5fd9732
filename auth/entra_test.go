package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	tenantID      = "6c2a4b0e-1f3d-4e5a-9b7c-8d9e0f1a2b3c"
	otherTenantID = "11111111-2222-3333-4444-555555555555"
)

// entraServer serves a tenant's OpenID metadata and the JWK Set it names.
type entraServer struct {
	*httptest.Server
	metaHits atomic.Int64
	keyHits  atomic.Int64
}

func newEntraServer(t *testing.T, keys ...map[string]any) *entraServer {
	t.Helper()
	s := &entraServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		s.metaHits.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":   "https://sts.windows.net/" + r.PathValue("tenant") + "/",
			"jwks_uri": s.URL + "/common/discovery/keys",
		})
	})
	mux.HandleFunc("GET /common/discovery/keys", func(w http.ResponseWriter, r *http.Request) {
		s.keyHits.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestEntra(t *testing.T) {
	clock := newClock()
	key, otherKey := rsaKeyPair(t), rsaKeyPair(t)
	srv := newEntraServer(t, jwkOf("entra1", &key.PublicKey))
	a := newAuth(t, Config{
		Now: clock.Now,
		Entra: []EntraTenant{{
			Name:        "entra",
			TenantID:    strings.ToUpper(tenantID),
			MetadataURL: srv.URL + "/" + tenantID + "/.well-known/openid-configuration",
		}},
	})
	now := clock.Now()
	v1 := "https://sts.windows.net/" + tenantID + "/"
	v2 := "https://login.microsoftonline.com/" + tenantID + "/v2.0"
	claims := func(edits ...func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{
			"iss": v1, "aud": entraSCIMAudience, "tid": tenantID, "appid": entraSyncFabricAppID,
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}
		for _, e := range edits {
			e(c)
		}
		return c
	}
	set := func(k string, v any) func(jwt.MapClaims) { return func(c jwt.MapClaims) { c[k] = v } }
	del := func(k string) func(jwt.MapClaims) { return func(c jwt.MapClaims) { delete(c, k) } }
	rs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, key, "entra1", c) }

	tests := []struct {
		name   string
		token  string
		status int
		detail string
	}{
		{name: "v1 token", token: rs(claims()), status: 200},
		{name: "v2 issuer with azp", token: rs(claims(set("iss", v2), del("appid"), set("azp", entraSyncFabricAppID))), status: 200},
		{name: "graph audience", token: rs(claims(set("aud", entraGraphAudience))), status: 200},
		{name: "another tenant's issuer", token: rs(claims(set("iss", "https://sts.windows.net/"+otherTenantID+"/"), set("tid", otherTenantID))), status: 401, detail: "is not configured"},
		{name: "tid of another tenant", token: rs(claims(set("tid", otherTenantID))), status: 401, detail: `token tenant (tid) "` + otherTenantID + `" is not tenant ` + tenantID},
		{name: "no tid", token: rs(claims(del("tid"))), status: 401, detail: "token tenant (tid)"},
		{name: "wrong audience", token: rs(claims(set("aud", "api://some-other-app"))), status: 401, detail: "wrong audience"},
		{name: "another application", token: rs(claims(set("appid", "99999999-0000-0000-0000-000000000000"))), status: 401, detail: "issued to application"},
		{name: "no appid", token: rs(claims(del("appid"))), status: 401, detail: "not to the Entra provisioning service"},
		{name: "expired", token: rs(claims(set("exp", now.Add(-time.Hour).Unix()))), status: 401, detail: "token expired at"},
		{name: "RS512", token: sign(t, jwt.SigningMethodRS512, key, "entra1", claims()), status: 401, detail: `token algorithm "RS512" is not allowed`},
		{name: "HS256 with the public key", token: sign(t, jwt.SigningMethodHS256, []byte(publicPEM(t, &key.PublicKey)), "entra1", claims()), status: 401, detail: `"HS256" is not allowed`},
		{name: "signed by another key", token: sign(t, jwt.SigningMethodRS256, otherKey, "entra1", claims()), status: 401, detail: "bad signature"},
		{name: "unknown kid", token: sign(t, jwt.SigningMethodRS256, otherKey, "entra2", claims()), status: 401, detail: "unknown key id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, a, http.MethodPatch, "/scim/v2/Users/1", bearer(tc.token))
			expectStatus(t, w, tc.status, tc.detail)
			if tc.status == 200 {
				if got := w.Header().Get("X-Credential"); got != "entra:entra" {
					t.Errorf("credential = %q", got)
				}
			}
		})
	}
	if got := srv.metaHits.Load(); got != 1 {
		t.Errorf("metadata hits = %d, want 1", got)
	}
	if got := srv.keyHits.Load(); got != 1 {
		t.Errorf("key set hits = %d, want 1", got)
	}
}

func TestEntraMetadataUnavailable(t *testing.T) {
	clock := newClock()
	key := rsaKeyPair(t)
	down := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(down.Close)
	a := newAuth(t, Config{
		Now:   clock.Now,
		Entra: []EntraTenant{{Name: "entra", TenantID: tenantID, MetadataURL: down.URL + "/meta"}},
	})
	tok := sign(t, jwt.SigningMethodRS256, key, "k", jwt.MapClaims{
		"iss": "https://sts.windows.net/" + tenantID + "/", "aud": entraSCIMAudience, "tid": tenantID,
		"appid": entraSyncFabricAppID, "exp": clock.Now().Add(time.Hour).Unix(),
	})
	w := do(t, a, http.MethodGet, "/scim/v2/Users", bearer(tok))
	expectStatus(t, w, http.StatusServiceUnavailable, "could not be fetched")
	if got := w.Header().Get("Retry-After"); got != "30" {
		t.Errorf("Retry-After = %q, want 30", got)
	}
}

func TestJWKSURIFromMetadata(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    string
		wantErr bool
	}{
		{name: "https", doc: `{"jwks_uri":"https://login.microsoftonline.com/common/discovery/keys"}`, want: "https://login.microsoftonline.com/common/discovery/keys"},
		{name: "http on loopback", doc: `{"jwks_uri":"http://127.0.0.1:1/keys"}`, want: "http://127.0.0.1:1/keys"},
		{name: "http on localhost", doc: `{"jwks_uri":"http://localhost:1/keys"}`, want: "http://localhost:1/keys"},
		{name: "http elsewhere", doc: `{"jwks_uri":"http://evil.example/keys"}`, wantErr: true},
		{name: "file scheme", doc: `{"jwks_uri":"file:///etc/passwd"}`, wantErr: true},
		{name: "missing", doc: `{"issuer":"x"}`, wantErr: true},
		{name: "not JSON", doc: `<html>`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseJWKSURI([]byte(tc.doc))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("jwks_uri = %q, want %q", got, tc.want)
			}
		})
	}
}
