package auth

import (
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// DefaultRealm is the WWW-Authenticate realm used when Config.Realm is empty.
const DefaultRealm = "absorb-scim"

// MinTokenLength is the shortest static bearer token New accepts as a plain
// value, and the shortest secret hash-secret hashes.
const MinTokenLength = 16

// Config configures an Authenticator. At least one of Tokens, Basic, JWT and Entra must be set.
type Config struct {
	// Realm is the realm of the WWW-Authenticate challenges (RFC 7235 §2.2); default "absorb-scim".
	Realm string
	// Tokens are static bearer tokens (RFC 6750).
	Tokens []Token
	// Basic are HTTP Basic users (RFC 7617).
	Basic []BasicUser
	// JWT are JWT issuers (RFC 7519).
	JWT []JWTIssuer
	// Entra are Microsoft Entra ID tenants whose provisioning service may call with its own JWT.
	Entra []EntraTenant
	// TrustedProxies are the peers whose X-Forwarded-For header is believed; see ClientIP.
	TrustedProxies []netip.Prefix
	// HTTPClient fetches JWKS and OpenID metadata documents; default a new http.Client.
	HTTPClient *http.Client
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// ErrorWriter writes the body of every failure. Without one, failures are answered
	// with the detail as plain text, which is enough for a Config that is only validated.
	ErrorWriter ErrorWriter
}

// Limits restricts where a credential may be used from and how often. It is embedded in each
// kind of credential; its zero value means no restriction.
type Limits struct {
	// AllowCIDRs, when set, are the only client addresses (see ClientIP) the credential may
	// be used from; other addresses get 403.
	AllowCIDRs []netip.Prefix
	// RatePerSecond, when positive, is the sustained request rate allowed for the credential;
	// requests above it get 429 with Retry-After.
	RatePerSecond float64
	// Burst is how many requests may arrive at once; default the rate rounded up, at least 1.
	Burst int
	// StrictPatch is passed on in Credential.StrictPatch.
	StrictPatch bool
}

// Token is a static bearer token. Exactly one of Value and Hash is set.
type Token struct {
	Name string
	// Value is the token itself: at least 16 printable ASCII characters without spaces.
	Value string
	// Hash is HashSecret(token), "sha256:<hex>", for configs that must not hold the token.
	Hash     string
	ReadOnly bool
	Limits
}

// BasicUser is an HTTP Basic user (RFC 7617). Exactly one of Password and PasswordHash is set.
type BasicUser struct {
	Name     string
	Username string
	Password string
	// PasswordHash is HashSecret(password), "sha256:<hex>".
	PasswordHash string
	ReadOnly     bool
	Limits
}

// JWTIssuer accepts JWTs (RFC 7519) whose iss equals Issuer and whose aud contains one of
// Audiences. The signature is checked with Secret for HS256/384/512 and with PublicKeyPEM or
// the keys at JWKSURL for RS*, PS* and ES*; only the Algorithms listed are accepted.
type JWTIssuer struct {
	Name      string
	Issuer    string
	Audiences []string
	// Algorithms is the explicit allow-list, for example ["RS256"]. "none" is never allowed.
	Algorithms []string
	// Secret is the HMAC key for HS*: at least as many bytes as the hash (RFC 7518 §3.2).
	Secret string
	// PublicKeyPEM is a PEM "PUBLIC KEY", "RSA PUBLIC KEY" or "CERTIFICATE" for RS*, PS*, ES*.
	PublicKeyPEM string
	// JWKSURL is the https URL of a JWK Set (RFC 7517 §5) for RS*, PS*, ES*; plain http is
	// accepted only on a loopback host, and redirects away from https are not followed.
	JWKSURL string
	// Leeway is the clock skew allowed on exp and nbf; default 60s.
	Leeway   time.Duration
	ReadOnly bool
	Limits
}

// EntraTenant accepts the JWTs Microsoft Entra ID issues to its provisioning service for
// TenantID (used when an enterprise app's "Secret Token" is left blank).
type EntraTenant struct {
	Name string
	// TenantID is the directory (tenant) id, a GUID.
	TenantID string
	ReadOnly bool
	Limits
	// MetadataURL is the OpenID configuration document that names the signing keys; default
	// https://login.microsoftonline.com/<TenantID>/.well-known/openid-configuration. Like
	// JWKSURL, it must be https, or http on a loopback host.
	MetadataURL string
}

// Authenticator authenticates SCIM requests. Build it with New; it is safe for concurrent use.
type Authenticator struct {
	realm   string
	tokens  []staticToken
	basic   []basicUser
	issuers map[string]verifier
	bearer  bool
	trusted []netip.Prefix
	keys    *keyStore
	now     func() time.Time
	schemes []Scheme
	errw    ErrorWriter
}

// principal is one configured credential with its limits.
type principal struct {
	cred    Credential
	allow   []netip.Prefix
	limiter *rate.Limiter
}

// checker collects configuration problems.
type checker struct {
	problems []string
	names    map[string]string
}

func (c *checker) addf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// New validates cfg and returns an Authenticator. It reports every problem at once as a
// *ConfigError: empty or duplicate names, malformed hashes, plain tokens too short, algorithm
// and key mismatches (an HS* algorithm without a secret, RS*/PS*/ES* with only a secret, a key
// of the wrong type or curve), "none", JWKS or metadata URLs that are not https (or http on a loopback host), invalid or
// non-canonical CIDR prefixes, bad rates, and a Config with no credentials at all. New makes no
// network calls: signing keys are fetched on first use.
func New(cfg Config) (*Authenticator, error) {
	c := &checker{names: map[string]string{}}
	a := &Authenticator{realm: cfg.Realm, issuers: map[string]verifier{}, now: cfg.Now, errw: cfg.ErrorWriter}
	if a.realm == "" {
		a.realm = DefaultRealm
	}
	if !printableNoQuote(a.realm) {
		c.addf("Realm must be printable ASCII without quotes or backslashes")
	}
	if a.now == nil {
		a.now = time.Now
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	a.keys = newKeyStore(client, a.now)

	seenTokens := map[[32]byte]string{}
	for i, t := range cfg.Tokens {
		where := fmt.Sprintf("Tokens[%d] %q", i, t.Name)
		p := c.principal(where, t.Name, SchemeBearer, t.ReadOnly, t.Limits)
		st := staticToken{p: p}
		switch {
		case t.Value != "" && t.Hash != "":
			c.addf("%s: Value and Hash are both set; set one", where)
		case t.Value != "":
			if len(t.Value) < MinTokenLength {
				c.addf("%s: Value is shorter than %d characters; use a random token such as `openssl rand -hex 32`", where, MinTokenLength)
			}
			if !visibleASCII(t.Value) {
				c.addf("%s: Value must be printable ASCII without spaces", where)
			}
			parsed, _ := parseHash(HashSecret(t.Value))
			st.digest = parsed
		case t.Hash != "":
			d, err := parseHash(t.Hash)
			if err != nil {
				c.addf("%s: Hash %s", where, err)
			} else if isWeakDigest(d) {
				c.addf("%s: Hash is the hash of a well-known weak secret; make a random token (`openssl rand -hex 32`) and hash it with `absorb-scim hash-secret`", where)
			}
			st.digest = d
		default:
			c.addf("%s: set Value or Hash", where)
		}
		if prev, dup := seenTokens[st.digest]; dup && st.digest != ([32]byte{}) {
			c.addf("%s: same token as %s", where, prev)
		}
		seenTokens[st.digest] = where
		a.tokens = append(a.tokens, st)
	}

	seenUsers := map[string]string{}
	for i, u := range cfg.Basic {
		where := fmt.Sprintf("Basic[%d] %q", i, u.Name)
		p := c.principal(where, u.Name, SchemeBasic, u.ReadOnly, u.Limits)
		bu := basicUser{p: p}
		switch {
		case u.Username == "":
			c.addf("%s: Username is empty", where)
		case !printable(u.Username) || strings.ContainsRune(u.Username, ':'):
			c.addf("%s: Username must be printable without ':' (RFC 7617 §2)", where)
		}
		if prev, dup := seenUsers[u.Username]; dup && u.Username != "" {
			c.addf("%s: Username is also used by %s", where, prev)
		}
		seenUsers[u.Username] = where
		bu.user, _ = parseHash(HashSecret(u.Username))
		switch {
		case u.Password != "" && u.PasswordHash != "":
			c.addf("%s: Password and PasswordHash are both set; set one", where)
		case u.Password != "":
			bu.password, _ = parseHash(HashSecret(u.Password))
			if isWeakDigest(bu.password) {
				c.addf("%s: Password is a well-known weak secret; use a random one such as `openssl rand -base64 24`", where)
			}
		case u.PasswordHash != "":
			d, err := parseHash(u.PasswordHash)
			if err != nil {
				c.addf("%s: PasswordHash %s", where, err)
			} else if isWeakDigest(d) {
				c.addf("%s: PasswordHash is the hash of a well-known weak secret; use a random password (`openssl rand -base64 24`) and hash it with `absorb-scim hash-secret`", where)
			}
			bu.password = d
		default:
			c.addf("%s: set Password or PasswordHash", where)
		}
		a.basic = append(a.basic, bu)
	}

	for i, j := range cfg.JWT {
		where := fmt.Sprintf("JWT[%d] %q", i, j.Name)
		p := c.principal(where, j.Name, SchemeJWT, j.ReadOnly, j.Limits)
		if v := newJWTIssuer(c, where, j, p, a); v != nil {
			a.addIssuer(c, where, j.Issuer, v)
		}
	}
	for i, e := range cfg.Entra {
		where := fmt.Sprintf("Entra[%d] %q", i, e.Name)
		p := c.principal(where, e.Name, SchemeEntra, e.ReadOnly, e.Limits)
		if t := newEntraTenant(c, where, e, p, a); t != nil {
			a.addIssuer(c, where, t.issuerV1, t)
			a.addIssuer(c, where, t.issuerV2, t)
		}
	}

	for i, pfx := range cfg.TrustedProxies {
		if msg := checkPrefix(pfx); msg != "" {
			c.addf("TrustedProxies[%d] %s", i, msg)
		}
		a.trusted = append(a.trusted, pfx.Masked())
	}
	if len(cfg.Tokens)+len(cfg.Basic)+len(cfg.JWT)+len(cfg.Entra) == 0 {
		c.addf("no credentials are configured: set at least one of Tokens, Basic, JWT or Entra")
	}
	if len(c.problems) > 0 {
		return nil, &ConfigError{Problems: c.problems}
	}
	a.bearer = len(a.tokens) > 0 || len(a.issuers) > 0
	a.schemes = buildSchemes(cfg)
	return a, nil
}

func (a *Authenticator) addIssuer(c *checker, where, iss string, v verifier) {
	if iss == "" {
		return
	}
	if prev, dup := a.issuers[iss]; dup {
		c.addf("%s: issuer %q is already served by %q", where, iss, prev.owner().cred.Name)
		return
	}
	a.issuers[iss] = v
}

// principal checks a credential's name and limits and builds its principal.
func (c *checker) principal(where, name, scheme string, readOnly bool, l Limits) *principal {
	if name == "" {
		c.addf("%s: Name is empty", where)
	} else if prev, dup := c.names[name]; dup {
		c.addf("%s: Name is also used by %s", where, prev)
	} else {
		c.names[name] = where
	}
	p := &principal{cred: Credential{Name: name, ReadOnly: readOnly, Scheme: scheme, StrictPatch: l.StrictPatch}}
	for i, pfx := range l.AllowCIDRs {
		if msg := checkPrefix(pfx); msg != "" {
			c.addf("%s: AllowCIDRs[%d] %s", where, i, msg)
		}
		p.allow = append(p.allow, pfx.Masked())
	}
	r := l.RatePerSecond
	switch {
	case math.IsNaN(r) || math.IsInf(r, 0) || r < 0:
		c.addf("%s: RatePerSecond must be a positive number or 0 for no limit", where)
	case l.Burst < 0:
		c.addf("%s: Burst must not be negative", where)
	case r == 0 && l.Burst > 0:
		c.addf("%s: Burst is set but RatePerSecond is 0", where)
	case r > 0:
		burst := l.Burst
		if burst == 0 {
			burst = max(1, int(math.Ceil(r)))
		}
		p.limiter = rate.NewLimiter(rate.Limit(r), burst)
	}
	return p
}

// checkPrefix returns a problem with pfx, or "".
func checkPrefix(pfx netip.Prefix) string {
	if !pfx.IsValid() {
		return "is not a valid CIDR prefix"
	}
	if pfx.Addr().Zone() != "" {
		return fmt.Sprintf("%s must not have a zone", pfx)
	}
	if m := pfx.Masked(); m != pfx {
		return fmt.Sprintf("%s has host bits set; did you mean %s?", pfx, m)
	}
	return ""
}

// visibleASCII reports whether s is non-empty and only holds %x21-7E.
func visibleASCII(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// printable reports whether s has no control characters.
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// printableNoQuote reports whether s is printable ASCII without '"' or '\'.
func printableNoQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
