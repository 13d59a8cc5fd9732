package auth

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// defaultLeeway is the clock skew allowed on exp and nbf when JWTIssuer.Leeway is zero.
const defaultLeeway = 60 * time.Second

// hmacKeySize returns the minimum key size in bytes of an HMAC algorithm (RFC 7518 §3.2), or
// 0 when alg is not one.
func hmacKeySize(alg string) int {
	switch alg {
	case "HS256":
		return 32
	case "HS384":
		return 48
	case "HS512":
		return 64
	}
	return 0
}

// isAsymmetric reports whether alg is one of the RSA, RSA-PSS and ECDSA algorithms of
// RFC 7518 §3.
func isAsymmetric(alg string) bool {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512":
		return true
	}
	return false
}

// verifier checks JWTs of one issuer.
type verifier interface {
	owner() *principal
	verify(ctx context.Context, raw string, h jwtHeader) (*principal, *failure)
}

// jwtHeader is the part of a JOSE header read before verification.
type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// claims are the JWT claims read here; Entra's tid, appid and azp beside the registered ones.
type claims struct {
	jwt.RegisteredClaims
	TenantID        string `json:"tid"`
	AppID           string `json:"appid"`
	AuthorizedParty string `json:"azp"`
}

// jwtShaped reports whether tok has the JWS compact form (RFC 7515 §7.1): three base64url
// parts separated by dots, the first two non-empty. An empty signature is allowed here so
// that an unsigned ("none") token is reported as such.
func jwtShaped(tok string) bool {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return false
	}
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=') {
				return false
			}
		}
	}
	return true
}

// peekJWT decodes the header and the iss claim of a JWT-shaped token without verifying it,
// to choose the issuer that will verify it.
func peekJWT(tok string) (jwtHeader, string, error) {
	var h jwtHeader
	parts := strings.Split(tok, ".")
	hb, err := b64url(parts[0])
	if err != nil || json.Unmarshal(hb, &h) != nil {
		return h, "", errors.New("its header is not base64url JSON")
	}
	pb, err := b64url(parts[1])
	var payload struct {
		Iss any `json:"iss"`
	}
	if err != nil || json.Unmarshal(pb, &payload) != nil {
		return h, "", errors.New("its payload is not base64url JSON")
	}
	iss, ok := payload.Iss.(string)
	if !ok || iss == "" {
		return h, "", errors.New("it has no iss (issuer) claim of type string")
	}
	return h, iss, nil
}

// jwtIssuer verifies the tokens of one JWTIssuer.
type jwtIssuer struct {
	p       *principal
	issuer  string
	algs    []string
	parser  *jwt.Parser
	secret  []byte
	pub     crypto.PublicKey
	jwksURL string
	keys    *keyStore
}

func (j *jwtIssuer) owner() *principal { return j.p }

// newJWTIssuer checks cfg and builds its verifier; it returns nil when cfg has problems.
func newJWTIssuer(c *checker, where string, cfg JWTIssuer, p *principal, a *Authenticator) *jwtIssuer {
	before := len(c.problems)
	j := &jwtIssuer{p: p, issuer: cfg.Issuer, jwksURL: cfg.JWKSURL, keys: a.keys}
	if cfg.Issuer == "" {
		c.addf("%s: Issuer is empty", where)
	}
	if len(cfg.Audiences) == 0 {
		c.addf("%s: Audiences is empty; list the aud values to accept", where)
	}
	if slices.Contains(cfg.Audiences, "") {
		c.addf("%s: Audiences has an empty value", where)
	}
	if cfg.PublicKeyPEM != "" {
		key, err := parsePublicKeyPEM(cfg.PublicKeyPEM)
		if err != nil {
			c.addf("%s: PublicKeyPEM %s", where, err)
		}
		j.pub = key
	}
	if cfg.JWKSURL != "" {
		if msg := checkKeyURL(cfg.JWKSURL); msg != "" {
			c.addf("%s: JWKSURL %s", where, msg)
		}
		if cfg.PublicKeyPEM != "" {
			c.addf("%s: PublicKeyPEM and JWKSURL are both set; set one", where)
		}
	}
	if cfg.Secret != "" {
		j.secret = []byte(cfg.Secret)
	}
	if len(cfg.Algorithms) == 0 {
		c.addf("%s: Algorithms is empty; list the accepted algorithms, for example [\"RS256\"]", where)
	}
	hasHMAC, hasAsym := false, false
	for _, alg := range cfg.Algorithms {
		switch {
		case strings.EqualFold(alg, "none"):
			c.addf("%s: algorithm \"none\" is never allowed", where)
		case hmacKeySize(alg) > 0:
			hasHMAC = true
			if cfg.Secret == "" {
				c.addf("%s: algorithm %s needs Secret; an HMAC algorithm is never verified with a public key", where, alg)
			} else if len(cfg.Secret) < hmacKeySize(alg) {
				c.addf("%s: Secret is shorter than %d bytes, the minimum for %s (RFC 7518 §3.2)", where, hmacKeySize(alg), alg)
			}
		case isAsymmetric(alg):
			hasAsym = true
			switch {
			case j.pub != nil && !keyFitsAlg(j.pub, alg):
				c.addf("%s: algorithm %s does not fit PublicKeyPEM, which holds %s", where, alg, describeKey(j.pub))
			case cfg.PublicKeyPEM == "" && cfg.JWKSURL == "":
				c.addf("%s: algorithm %s needs PublicKeyPEM or JWKSURL; Secret cannot verify it", where, alg)
			}
		default:
			c.addf("%s: unknown algorithm %q; use HS256/384/512, RS256/384/512, PS256/384/512 or ES256/384/512", where, alg)
		}
	}
	if cfg.Secret != "" && !hasHMAC {
		c.addf("%s: Secret is set but Algorithms has no HS256, HS384 or HS512", where)
	}
	if (cfg.PublicKeyPEM != "" || cfg.JWKSURL != "") && !hasAsym {
		c.addf("%s: PublicKeyPEM or JWKSURL is set but Algorithms has no RS*, PS* or ES* algorithm", where)
	}
	leeway := cfg.Leeway
	switch {
	case leeway < 0:
		c.addf("%s: Leeway must not be negative", where)
	case leeway == 0:
		leeway = defaultLeeway
	}
	if len(c.problems) > before {
		return nil
	}
	j.algs = slices.Clone(cfg.Algorithms)
	j.parser = jwt.NewParser(
		jwt.WithValidMethods(j.algs),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audiences...),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(a.now),
	)
	return j
}

// verify checks the algorithm, signature, iss, aud, exp and nbf of raw.
func (j *jwtIssuer) verify(ctx context.Context, raw string, h jwtHeader) (*principal, *failure) {
	if !slices.Contains(j.algs, h.Alg) {
		return nil, unauthorized(fmt.Sprintf("token algorithm %q is not allowed for issuer %q; allowed: %s",
			clip(h.Alg), j.issuer, strings.Join(j.algs, ", ")))
	}
	var cl claims
	_, err := j.parser.ParseWithClaims(raw, &cl, func(t *jwt.Token) (any, error) { return j.key(ctx, t) })
	if err != nil {
		return nil, describeJWTError(err, &cl, h, j.issuer)
	}
	return j.p, nil
}

// errNoKey means no configured key fits the token's algorithm.
var errNoKey = errors.New("no configured key fits the token's algorithm")

// key returns the verification key for t. An HMAC algorithm only ever gets Secret and an
// asymmetric one only a public key, so a token signed with the public key as an HMAC secret
// cannot pass.
func (j *jwtIssuer) key(ctx context.Context, t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	if _, ok := t.Method.(*jwt.SigningMethodHMAC); ok {
		if j.secret == nil {
			return nil, errNoKey
		}
		return j.secret, nil
	}
	switch {
	case j.pub != nil:
		if !keyFitsAlg(j.pub, alg) {
			return nil, errNoKey
		}
		return j.pub, nil
	case j.jwksURL != "":
		kid, _ := t.Header["kid"].(string)
		keys, err := j.keys.lookupKeys(ctx, j.jwksURL, kid, alg)
		if err != nil {
			return nil, err
		}
		return jwt.VerificationKeySet{Keys: keys}, nil
	}
	return nil, errNoKey
}

// describeJWTError turns a jwt parse error into a failure whose detail says what is wrong.
func describeJWTError(err error, cl *claims, h jwtHeader, issuer string) *failure {
	var detail string
	switch {
	case errors.Is(err, errKeysUnavailable):
		return &failure{
			status:     http.StatusServiceUnavailable,
			detail:     fmt.Sprintf("the signing keys of issuer %q could not be fetched; retry later", issuer),
			retryAfter: int(defaultRefetchInterval / time.Second),
		}
	case errors.Is(err, errUnknownKeyID) && h.Kid == "":
		detail = fmt.Sprintf("token has no key id (kid) and no signing key of issuer %q fits it", issuer)
	case errors.Is(err, errUnknownKeyID):
		detail = fmt.Sprintf("unknown key id (kid) %q: issuer %q has no such signing key", clip(h.Kid), issuer)
	case errors.Is(err, errNoKey):
		detail = fmt.Sprintf("no key is configured for algorithm %s", clip(h.Alg))
	case errors.Is(err, jwt.ErrTokenMalformed):
		detail = "token is malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		detail = fmt.Sprintf("bad signature: the token was altered or not signed by issuer %q", issuer)
	case errors.Is(err, jwt.ErrTokenExpired):
		detail = "token expired"
		if cl.ExpiresAt != nil {
			detail += " at " + cl.ExpiresAt.UTC().Format(time.RFC3339)
		}
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		detail = "token is not valid yet (nbf)"
		if cl.NotBefore != nil {
			detail = "token is not valid before " + cl.NotBefore.UTC().Format(time.RFC3339) + " (nbf)"
		}
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && cl.ExpiresAt == nil:
		detail = "token has no exp (expiry) claim"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && len(cl.Audience) == 0:
		detail = "token has no aud (audience) claim"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		detail = fmt.Sprintf("wrong audience: token aud %s is not accepted for issuer %q", clipList(cl.Audience), issuer)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		detail = fmt.Sprintf("wrong issuer: want %q", issuer)
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		detail = "token was issued in the future (iat)"
	default:
		detail = "token is invalid"
	}
	return unauthorized(detail)
}

func clipList(xs []string) string {
	out := make([]string, 0, len(xs))
	for i, x := range xs {
		if i == 5 {
			out = append(out, "...")
			break
		}
		out = append(out, fmt.Sprintf("%q", clip(x)))
	}
	return "[" + strings.Join(out, " ") + "]"
}
