package auth

import (
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewValidation(t *testing.T) {
	rsaPub := publicPEM(t, &rsaKeyPair(t).PublicKey)
	ecKey := ecKeyPair(t, elliptic.P256())
	ecPub := publicPEM(t, &ecKey.PublicKey)
	ecDER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}))
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakPEM := publicPEM(t, &weak.PublicKey)
	const secretValue = "super-secret-value-0123456789"
	okJWT := func(j JWTIssuer) JWTIssuer {
		if j.Name == "" {
			j.Name = "j"
		}
		if j.Issuer == "" {
			j.Issuer = "https://idp.example"
		}
		if j.Audiences == nil {
			j.Audiences = []string{"scim"}
		}
		return j
	}

	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{name: "nothing configured", cfg: Config{}, want: []string{
			"no credentials are configured: set at least one of Tokens, Basic, JWT or Entra",
		}},
		{name: "tokens", cfg: Config{Tokens: []Token{
			{Name: "", Value: secretValue},
			{Name: "a", Value: secretValue + "1", Hash: HashSecret("x")},
			{Name: "a", Value: "short"},
			{Name: "b"},
			{Name: "c", Value: "has space in the middle"},
			{Name: "d", Hash: "md5:abc"},
			{Name: "e", Hash: "sha256:abcd"},
			{Name: "f", Hash: "sha256:" + strings.Repeat("zz", 32)},
			{Name: "g", Hash: HashSecret(secretValue)},
		}}, want: []string{
			`Tokens[0] "": Name is empty`,
			`Tokens[1] "a": Value and Hash are both set; set one`,
			`Tokens[2] "a": Name is also used by Tokens[1] "a"`,
			`Tokens[2] "a": Value is shorter than 16 characters; use a random token such as ` + "`openssl rand -hex 32`",
			`Tokens[3] "b": set Value or Hash`,
			`Tokens[4] "c": Value must be printable ASCII without spaces`,
			`Tokens[5] "d": Hash must start with "sha256:"`,
			`Tokens[6] "e": Hash must have 64 hex digits after "sha256:"`,
			`Tokens[7] "f": Hash must have 64 hex digits after "sha256:"`,
			`Tokens[8] "g": same token as Tokens[0] ""`,
		}},
		{name: "basic", cfg: Config{Basic: []BasicUser{
			{Name: "a", Username: "", Password: "p"},
			{Name: "b", Username: "x:y", Password: "p"},
			{Name: "c", Username: "okta", Password: "p", PasswordHash: HashSecret("p")},
			{Name: "d", Username: "okta"},
			{Name: "e", Username: "e", PasswordHash: "sha256:"},
		}}, want: []string{
			`Basic[0] "a": Username is empty`,
			`Basic[1] "b": Username must be printable without ':' (RFC 7617 §2)`,
			`Basic[2] "c": Password and PasswordHash are both set; set one`,
			`Basic[3] "d": Username is also used by Basic[2] "c"`,
			`Basic[3] "d": set Password or PasswordHash`,
			`Basic[4] "e": PasswordHash must have 64 hex digits after "sha256:"`,
		}},
		{name: "jwt algorithms and keys", cfg: Config{JWT: []JWTIssuer{
			okJWT(JWTIssuer{Name: "none", Algorithms: []string{"none"}, Secret: strings.Repeat("s", 32)}),
			okJWT(JWTIssuer{Name: "hs-with-public-key", Issuer: "https://2", Algorithms: []string{"HS256"}, PublicKeyPEM: rsaPub}),
			okJWT(JWTIssuer{Name: "rs-with-secret", Issuer: "https://3", Algorithms: []string{"RS256"}, Secret: strings.Repeat("s", 32)}),
			okJWT(JWTIssuer{Name: "empty", Issuer: "https://4", JWKSURL: "https://idp/keys"}),
			okJWT(JWTIssuer{Name: "unknown", Issuer: "https://5", Algorithms: []string{"RS1"}, JWKSURL: "https://idp/keys"}),
			okJWT(JWTIssuer{Name: "short-secret", Issuer: "https://6", Algorithms: []string{"HS512"}, Secret: strings.Repeat("s", 32)}),
			okJWT(JWTIssuer{Name: "es-with-rsa", Issuer: "https://7", Algorithms: []string{"ES256"}, PublicKeyPEM: rsaPub}),
			okJWT(JWTIssuer{Name: "es384-with-p256", Issuer: "https://8", Algorithms: []string{"ES384"}, PublicKeyPEM: ecPub}),
		}}, want: []string{
			`JWT[0] "none": algorithm "none" is never allowed`,
			`JWT[0] "none": Secret is set but Algorithms has no HS256, HS384 or HS512`,
			`JWT[1] "hs-with-public-key": algorithm HS256 needs Secret; an HMAC algorithm is never verified with a public key`,
			`JWT[1] "hs-with-public-key": PublicKeyPEM or JWKSURL is set but Algorithms has no RS*, PS* or ES* algorithm`,
			`JWT[2] "rs-with-secret": algorithm RS256 needs PublicKeyPEM or JWKSURL; Secret cannot verify it`,
			`JWT[2] "rs-with-secret": Secret is set but Algorithms has no HS256, HS384 or HS512`,
			`JWT[3] "empty": Algorithms is empty; list the accepted algorithms, for example ["RS256"]`,
			`JWT[3] "empty": PublicKeyPEM or JWKSURL is set but Algorithms has no RS*, PS* or ES* algorithm`,
			`JWT[4] "unknown": unknown algorithm "RS1"; use HS256/384/512, RS256/384/512, PS256/384/512 or ES256/384/512`,
			`JWT[4] "unknown": PublicKeyPEM or JWKSURL is set but Algorithms has no RS*, PS* or ES* algorithm`,
			`JWT[5] "short-secret": Secret is shorter than 64 bytes, the minimum for HS512 (RFC 7518 §3.2)`,
			`JWT[6] "es-with-rsa": algorithm ES256 does not fit PublicKeyPEM, which holds an RSA key`,
			`JWT[7] "es384-with-p256": algorithm ES384 does not fit PublicKeyPEM, which holds an EC P-256 key`,
		}},
		{name: "jwt claims, urls and keys", cfg: Config{JWT: []JWTIssuer{
			{Name: "a", Algorithms: []string{"RS256"}, JWKSURL: "ftp://idp/keys", Leeway: -1},
			{Name: "b", Issuer: "https://b", Audiences: []string{""}, Algorithms: []string{"RS256"}, JWKSURL: "/keys"},
			okJWT(JWTIssuer{Name: "c", Issuer: "https://c", Algorithms: []string{"RS256"}, PublicKeyPEM: rsaPub, JWKSURL: "https://c/keys"}),
			okJWT(JWTIssuer{Name: "d", Issuer: "https://d", Algorithms: []string{"ES256"}, PublicKeyPEM: privPEM}),
			okJWT(JWTIssuer{Name: "e", Issuer: "https://e", Algorithms: []string{"RS256"}, PublicKeyPEM: "not pem"}),
			okJWT(JWTIssuer{Name: "f", Issuer: "https://f", Algorithms: []string{"RS256"}, PublicKeyPEM: weakPEM}),
			okJWT(JWTIssuer{Name: "g", Issuer: "https://c", Algorithms: []string{"RS256"}, JWKSURL: "https://g/keys"}),
		}}, want: []string{
			`JWT[0] "a": Issuer is empty`,
			`JWT[0] "a": Audiences is empty; list the aud values to accept`,
			`JWT[0] "a": JWKSURL must be an absolute http or https URL`,
			`JWT[0] "a": Leeway must not be negative`,
			`JWT[1] "b": Audiences has an empty value`,
			`JWT[1] "b": JWKSURL must be an absolute http or https URL`,
			`JWT[2] "c": PublicKeyPEM and JWKSURL are both set; set one`,
			`JWT[3] "d": PublicKeyPEM holds a private key; configure only the public key`,
			`JWT[4] "e": PublicKeyPEM is not PEM`,
			`JWT[5] "f": PublicKeyPEM holds a 1024-bit RSA key; at least 2048 bits are required`,
		}},
		{name: "duplicate issuer", cfg: Config{JWT: []JWTIssuer{
			okJWT(JWTIssuer{Name: "one", Algorithms: []string{"RS256"}, JWKSURL: "https://idp/keys"}),
			okJWT(JWTIssuer{Name: "two", Algorithms: []string{"ES256"}, JWKSURL: "https://idp/keys"}),
		}}, want: []string{
			`JWT[1] "two": issuer "https://idp.example" is already served by "one"`,
		}},
		{name: "entra", cfg: Config{Entra: []EntraTenant{
			{Name: "a", TenantID: "contoso.onmicrosoft.com"},
			{Name: "b", TenantID: tenantID, MetadataURL: "login.microsoftonline.com/x"},
			{Name: "c", TenantID: tenantID},
			{Name: "d", TenantID: strings.ToUpper(tenantID)},
		}}, want: []string{
			`Entra[0] "a": TenantID must be the directory (tenant) id, a GUID such as 00000000-0000-0000-0000-000000000000`,
			`Entra[1] "b": MetadataURL must be an absolute http or https URL`,
			`Entra[3] "d": issuer "https://sts.windows.net/` + tenantID + `/" is already served by "c"`,
			`Entra[3] "d": issuer "https://login.microsoftonline.com/` + tenantID + `/v2.0" is already served by "c"`,
		}},
		{name: "limits, proxies and realm", cfg: Config{
			Realm:          `a"b`,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/8"), {}},
			Tokens: []Token{
				{Name: "a", Value: secretValue, Limits: Limits{AllowCIDRs: []netip.Prefix{{}, netip.MustParsePrefix("192.168.1.7/24")}, RatePerSecond: -1}},
				{Name: "b", Value: secretValue + "b", Limits: Limits{Burst: 5}},
				{Name: "c", Value: secretValue + "c", Limits: Limits{RatePerSecond: 1, Burst: -1}},
			},
		}, want: []string{
			"Realm must be printable ASCII without quotes or backslashes",
			`Tokens[0] "a": AllowCIDRs[0] is not a valid CIDR prefix`,
			`Tokens[0] "a": AllowCIDRs[1] 192.168.1.7/24 has host bits set; did you mean 192.168.1.0/24?`,
			`Tokens[0] "a": RatePerSecond must be a positive number or 0 for no limit`,
			`Tokens[1] "b": Burst is set but RatePerSecond is 0`,
			`Tokens[2] "c": Burst must not be negative`,
			"TrustedProxies[0] 10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?",
			"TrustedProxies[1] is not a valid CIDR prefix",
		}},
		{name: "names are unique across kinds", cfg: Config{
			Tokens: []Token{{Name: "okta", Value: secretValue}},
			Basic:  []BasicUser{{Name: "okta", Username: "u", Password: "p"}},
		}, want: []string{
			`Basic[0] "okta": Name is also used by Tokens[0] "okta"`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(tc.cfg)
			if a != nil {
				t.Errorf("New returned an Authenticator despite problems")
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("New error = %v, want *ConfigError", err)
			}
			if diff := cmp.Diff(tc.want, ce.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			for _, secret := range []string{secretValue, strings.Repeat("s", 32), "BEGIN"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret", err)
				}
			}
		})
	}
}

func TestNewAcceptsValidConfig(t *testing.T) {
	rsaPub := publicPEM(t, &rsaKeyPair(t).PublicKey)
	_, err := New(Config{
		Realm:          "lms",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")},
		Tokens:         []Token{{Name: "okta", Value: oktaToken, Limits: Limits{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}, RatePerSecond: 25}}},
		Basic:          []BasicUser{{Name: "okta-basic", Username: "okta", PasswordHash: HashSecret("pw")}},
		JWT: []JWTIssuer{
			{Name: "rs", Issuer: "https://rs", Audiences: []string{"a"}, Algorithms: []string{"RS256", "PS256"}, PublicKeyPEM: rsaPub},
			{Name: "both", Issuer: "https://both", Audiences: []string{"a"}, Algorithms: []string{"RS256", "HS256"}, PublicKeyPEM: rsaPub, Secret: strings.Repeat("k", 32)},
			{Name: "jwks", Issuer: "https://jwks", Audiences: []string{"a"}, Algorithms: []string{"ES256", "RS256"}, JWKSURL: "https://jwks/keys"},
		},
		Entra: []EntraTenant{{Name: "entra", TenantID: tenantID}, {Name: "entra2", TenantID: otherTenantID}},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
}
