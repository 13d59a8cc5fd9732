package config

import (
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/doctor"
)

// validate checks everything that can be checked without the network.
func (c *Config) validate(p *problems) {
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		p.add("listen", "%q is not host:port (e.g. 0.0.0.0:8080)", c.Listen)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.add("listen", "%q: the port must be a number from 0 to 65535 (e.g. 0.0.0.0:8080)", c.Listen)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("publicURL", "%q must be an absolute http(s) URL such as https://scim.example.com", c.PublicURL)
		}
	}
	if c.DataDir == "" {
		p.add("dataDir", "must be set (the directory of the bbolt file, and of doctor's record)")
	}
	c.validateStorage(p)
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		p.add("tls", "set both cert and key, or neither")
	}
	for key, f := range map[string]string{"tls.cert": c.TLS.Cert, "tls.key": c.TLS.Key} {
		if f != "" {
			if _, err := os.Stat(f); err != nil {
				p.add(key, "cannot read %s", f)
			}
		}
	}
	for i, cidr := range c.TrustedProxies {
		if _, err := ParsePrefix(cidr); err != nil {
			p.add(indexKey("trustedProxies", i), "%q is not an IP address or CIDR", cidr)
		}
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		p.add("log.format", "%q must be json or text", c.Log.Format)
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		p.add("log.level", "%q must be debug, info, warn or error", c.Log.Level)
	}
	if len(c.Tenants) > 0 {
		c.validateTenants(p)
	} else {
		c.validateAbsorb(p)
		c.validateAuth(p)
		c.validateComponents(p)
		c.validateSafety(p)
		c.validateConsoleTenants(p)
	}
	if c.Limits.MaxBodyBytes < 1024 {
		p.add("limits.maxBodyBytes", "%d is too small (at least 1024)", c.Limits.MaxBodyBytes)
	}
	if c.Limits.MaxBulkBodyBytes < c.Limits.MaxBodyBytes {
		p.add("limits.maxBulkBodyBytes", "must be at least limits.maxBodyBytes")
	}
	if c.Limits.MaxBodyBytesInFlight < c.Limits.MaxBodyBytes {
		p.add("limits.maxBodyBytesInFlight", "must be at least limits.maxBodyBytes")
	}
	if c.Limits.MaxPatchOperations < 1 {
		p.add("limits.maxPatchOperations", "must be at least 1")
	}
	if c.Limits.MaxResults < 1 {
		p.add("limits.maxResults", "must be at least 1")
	}
	if c.Limits.MaxFilterScan < 1000 {
		p.add("limits.maxFilterScan", "%d is too small (at least 1000)", c.Limits.MaxFilterScan)
	}
	if r := c.Audit.Retention; r != 0 && r < 24*time.Hour {
		p.add("audit.retention", "%s is too short: 0 keeps every record, else at least 24h", r)
	}
	if c.Sync.Interval < 1e9 {
		p.add("sync.interval", "%s is too short (at least 1s)", c.Sync.Interval)
	}
	for _, t := range []struct {
		key string
		d   time.Duration
	}{
		{"http.readHeaderTimeout", c.HTTP.ReadHeaderTimeout}, {"http.readTimeout", c.HTTP.ReadTimeout},
		{"http.writeTimeout", c.HTTP.WriteTimeout}, {"http.idleTimeout", c.HTTP.IdleTimeout},
	} {
		if t.d <= 0 {
			p.add(t.key, "%s must be positive: without it a slow or idle client holds its connection open", t.d)
		}
	}
}

func (c *Config) validateAbsorb(p *problems) {
	a := c.Absorb
	switch {
	case a.Region == "" && a.URL == "":
		p.add("absorb.region", "set absorb.region (us, ca, eu, au, or us-sandbox ...) or absorb.url")
	case a.Region != "" && a.URL != "":
		p.add("absorb.url", "set absorb.region or absorb.url, not both")
	case a.URL != "":
		u, err := url.Parse(a.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("absorb.url", "%q must be an absolute http(s) URL", a.URL)
		}
	default:
		if !validRegion(a.Region) {
			p.add("absorb.region", "%q is not one of us, ca, eu, au, us-sandbox, ca-sandbox, eu-sandbox, au-sandbox", a.Region)
		}
	}
	if a.PrivateKey == "" {
		p.add("absorb.privateKey", "required (or absorb.privateKeyFile, or %sABSORB_PRIVATE_KEY)", EnvPrefix)
	}
	if a.Username == "" {
		p.add("absorb.username", "required: the Absorb admin the bridge logs in as (%sABSORB_USERNAME)", EnvPrefix)
	}
	if a.Password == "" {
		p.add("absorb.password", "required (or absorb.passwordFile, or %sABSORB_PASSWORD)", EnvPrefix)
	}
	if a.RateLimit == 0 || a.RateLimit < -1 {
		p.add("absorb.rateLimit", "%v must be a positive number of requests per second (or -1 for unlimited)", a.RateLimit)
	}
	if a.Burst < 1 {
		p.add("absorb.burst", "must be at least 1")
	}
	if a.Timeout <= 0 {
		p.add("absorb.timeout", "must be positive")
	}
	if a.MaxQueueWait <= 0 {
		p.add("absorb.maxQueueWait", "must be positive: how long a write may wait for its turn at absorb.rateLimit before the bridge answers 429")
	}
	pinned := a.Behaviour.Doctor()
	got := map[string]string{
		"create": pinned.Create, "sort": pinned.Sort, "put": pinned.Put,
		"dates": pinned.Dates, "filterPaging": pinned.FilterPaging, "answers": pinned.Answers, "upload": pinned.Upload,
	}
	for _, name := range []string{"create", "sort", "put", "dates", "filterPaging", "answers", "upload"} {
		if v := got[name]; v != "" && !slices.Contains(doctor.Values[name], v) {
			p.add("absorb.behaviour."+name, "%q is not one of %s (or leave it out to use what doctor found)", v, strings.Join(doctor.Values[name], ", "))
		}
	}
}

func validRegion(r string) bool {
	switch strings.ToLower(r) {
	case "us", "ca", "eu", "au", "us-sandbox", "ca-sandbox", "eu-sandbox", "au-sandbox":
		return true
	}
	return false
}

func (c *Config) validateAuth(p *problems) {
	a := c.Auth
	if len(a.Tokens)+len(a.Basic)+len(a.JWT)+len(a.Entra) == 0 {
		p.add("auth", "no credential is configured: add auth.tokens (or set %sTOKEN), auth.basic, auth.jwt or auth.entra", EnvPrefix)
	}
	limits := func(key string, l CredentialLimits) {
		for _, cidr := range l.AllowCIDRs {
			if _, err := ParsePrefix(cidr); err != nil {
				p.add(key+".allowCIDRs", "%q is not an IP address or CIDR", cidr)
			}
		}
	}
	// Each credential's own rules are the auth package's (validateComponents);
	// CIDRs are checked here because unparsable ones never reach it.
	for i, t := range a.Tokens {
		limits(indexKey("auth.tokens", i), t.CredentialLimits)
	}
	for i, b := range a.Basic {
		limits(indexKey("auth.basic", i), b.CredentialLimits)
	}
	for i, j := range a.JWT {
		limits(indexKey("auth.jwt", i), j.CredentialLimits)
	}
	for i, e := range a.Entra {
		limits(indexKey("auth.entra", i), e.CredentialLimits)
	}
}

// ParsePrefix reads a CIDR, or a single address as a one-address prefix.
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(strings.TrimSpace(s))
	}
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
