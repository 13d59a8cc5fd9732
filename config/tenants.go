package config

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Tenant is one Absorb portal served from this deployment: its own portal,
// IdP credentials, mapping, group rules and brake. Its data is kept apart
// from every other tenant's, and a credential of one tenant opens no other.
type Tenant struct {
	// ID names the tenant in its URLs (/tenants/{id}/scim/v2), its data
	// directory, its logs, audit records and metrics.
	ID      string  `yaml:"id"`
	Absorb  Absorb  `yaml:"absorb"`
	Auth    Auth    `yaml:"auth"`
	Mapping Mapping `yaml:"mapping"`
	// Rules are the tenant's group rules. groupRules, the top-level key's
	// name, is taken too; a tenant may not set both.
	Rules      []GroupRule `yaml:"rules"`
	GroupRules []GroupRule `yaml:"groupRules"`
	Safety     Safety      `yaml:"safety"`
}

// rules are the tenant's group rules, under whichever key they were given.
func (t Tenant) rules() []GroupRule {
	if len(t.Rules) > 0 {
		return t.Rules
	}
	return t.GroupRules
}

// tenantID is what a tenant id may be: lower-case letters, digits and '-',
// starting with a letter or digit, short enough for a path segment and a
// directory name.
var tenantID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidTenantID reports whether id may name a tenant.
func ValidTenantID(id string) bool { return tenantID.MatchString(id) }

// TenantDir is the data directory of tenant id under dataDir.
func TenantDir(dataDir, id string) string { return filepath.Join(dataDir, "tenants", id) }

// TenantIDs are the ids of the configured tenants, in the file's order.
func (c Config) TenantIDs() []string {
	ids := make([]string, 0, len(c.Tenants))
	for _, t := range c.Tenants {
		ids = append(ids, t.ID)
	}
	return ids
}

// ForTenant is the configuration tenant id is served with: the deployment's
// settings (listen, limits, sync, audit, log ...) with the tenant's absorb,
// auth, mapping, rules and safety, its own data directory under
// dataDir, and the console users who may see it. It is false when no tenant
// has that id.
func (c Config) ForTenant(id string) (Config, bool) {
	i := slices.IndexFunc(c.Tenants, func(t Tenant) bool { return t.ID == id })
	if i < 0 {
		return Config{}, false
	}
	return c.tenantConfig(c.Tenants[i]), true
}

// tenantConfig is ForTenant's configuration for t.
func (c Config) tenantConfig(t Tenant) Config {
	out := c
	out.Tenants = nil
	out.Tenant = t.ID
	out.DataDir = TenantDir(c.DataDir, t.ID)
	out.Absorb = t.Absorb
	out.Mapping = t.Mapping
	out.GroupRules = t.rules()
	out.Safety = t.Safety
	out.Auth = t.Auth
	if out.Auth.Realm == "" {
		out.Auth.Realm = c.Auth.Realm
	}
	out.Auth.DiscoveryWithoutAuth = t.Auth.DiscoveryWithoutAuth || c.Auth.DiscoveryWithoutAuth
	out.Auth.Console = nil
	for _, u := range c.Auth.Console {
		if u.MaySee(t.ID) {
			out.Auth.Console = append(out.Auth.Console, u)
		}
	}
	return out
}

// prepareTenants reads each tenant's *File secrets and gives it the
// top-level value of every key it leaves out that has one (absorb.rateLimit,
// mapping, safety ...): the file's keys (raw) say what the tenant set, so a
// tenant's explicit zero (safety.deactivationLimit.max: 0) stays.
func (c *Config) prepareTenants(raw []byte, p *problems) {
	if len(c.Tenants) == 0 {
		return
	}
	present := map[string]bool{}
	var root yaml.Node
	if len(raw) > 0 && yaml.Unmarshal(raw, &root) == nil {
		for _, k := range indexKeys(&root) {
			present[k.name] = true
		}
	}
	// The file's problems so far (an unknown key, a word for a duration)
	// are keyed tenants[i].…: name the tenant too.
	for j, problem := range *p {
		for i, t := range c.Tenants {
			if strings.HasPrefix(problem, indexKey("tenants", i)+".") && t.ID != "" && !strings.Contains(problem, "(tenant ") {
				(*p)[j] = fmt.Sprintf("%s (tenant %q)", problem, t.ID)
			}
		}
	}
	for i := range c.Tenants {
		t := &c.Tenants[i]
		key := indexKey("tenants", i)
		t.resolveSecrets(key, p)
		inherit := func(name string, apply func()) {
			if !present[key+"."+name] {
				apply()
			}
		}
		top := c.Absorb
		inherit("absorb.apiVersion", func() { t.Absorb.APIVersion = top.APIVersion })
		inherit("absorb.rateLimit", func() { t.Absorb.RateLimit = top.RateLimit })
		inherit("absorb.burst", func() { t.Absorb.Burst = top.Burst })
		inherit("absorb.timeout", func() { t.Absorb.Timeout = top.Timeout })
		inherit("absorb.maxQueueWait", func() { t.Absorb.MaxQueueWait = top.MaxQueueWait })
		inherit("absorb.behaviour", func() { t.Absorb.Behaviour = top.Behaviour })
		if !present[key+".mapping"] {
			t.Mapping = c.Mapping
		} else {
			inherit("mapping.unknownDepartment", func() { t.Mapping.UnknownDepartment = c.Mapping.UnknownDepartment })
			inherit("mapping.password", func() { t.Mapping.Password = c.Mapping.Password })
		}
		inherit("safety.deactivationLimit.max", func() { t.Safety.DeactivationLimit.Max = c.Safety.DeactivationLimit.Max })
		inherit("safety.deactivationLimit.window", func() { t.Safety.DeactivationLimit.Window = c.Safety.DeactivationLimit.Window })
	}
}

// resolveSecrets reads the tenant's *File secrets into their values.
func (t *Tenant) resolveSecrets(key string, p *problems) {
	c := Config{Absorb: t.Absorb, Auth: t.Auth}
	var sub problems
	c.resolveSecrets(&sub)
	t.Absorb, t.Auth = c.Absorb, c.Auth
	for _, problem := range sub {
		*p = append(*p, fmt.Sprintf("%s.%s (tenant %q)", key, problem, t.ID))
	}
}

// validateTenants checks a configuration with tenants: each tenant as a
// whole configuration of its own, every problem keyed tenants[i].… and
// naming the tenant; then what tenants may not share.
func (c *Config) validateTenants(p *problems) {
	c.refuseTopLevelPortal(p)
	seen := map[string]int{}
	for i, t := range c.Tenants {
		key := indexKey("tenants", i)
		switch {
		case t.ID == "":
			p.add(key+".id", "required: lower-case letters, digits and '-', such as eu-sales")
		case !ValidTenantID(t.ID):
			p.add(key+".id", "%q must be lower-case letters, digits and '-' (at most 63, not starting with '-')", t.ID)
		}
		if len(t.Rules) > 0 && len(t.GroupRules) > 0 {
			p.add(key+".rules", "give the tenant's group rules under rules or groupRules, not both")
		}
		if j, dup := seen[t.ID]; dup && t.ID != "" {
			p.add(key+".id", "%q is also the id of tenants[%d]: each tenant needs its own id", t.ID, j)
		} else {
			seen[t.ID] = i
		}
		tc := c.tenantConfig(t)
		var sub problems
		tc.validateAbsorb(&sub)
		tc.validateAuth(&sub)
		tc.validateComponents(&sub)
		tc.validateSafety(&sub)
		for _, problem := range sub {
			if strings.HasPrefix(problem, "auth.console") {
				continue // the console users are the deployment's, checked once below
			}
			name, rest, _ := strings.Cut(problem, ": ")
			*p = append(*p, fmt.Sprintf("%s.%s: %s (tenant %q)", key, name, withoutEnvHint(rest), t.ID))
		}
	}
	c.validateConsole(p)
	c.validateConsoleTenants(p)
	c.refuseSharedCredentials(p)
}

// validateConsoleTenants reports auth.console[].tenants naming no
// configured tenant.
func (c *Config) validateConsoleTenants(p *problems) {
	for i, u := range c.Auth.Console {
		for _, id := range u.Tenants {
			switch {
			case len(c.Tenants) == 0:
				p.add(keyf("auth.console", i, "tenants"), "there are no tenants: leave it out, or configure tenants")
				return
			case !slices.Contains(c.TenantIDs(), id):
				p.add(keyf("auth.console", i, "tenants"), "%q is not the id of a configured tenant (%s)", id, strings.Join(c.TenantIDs(), ", "))
			}
		}
	}
}

// envHint is the environment variable a problem suggests, which sets the
// top level and so does not help a tenant: "(or absorb.passwordFile, or
// ABSORB_SCIM_ABSORB_PASSWORD)", " (ABSORB_SCIM_ABSORB_USERNAME)",
// " (or set ABSORB_SCIM_TOKEN)".
var envHint = regexp.MustCompile(`, or ` + EnvPrefix + `[A-Z_]+| \((or set )?` + EnvPrefix + `[A-Z_]+\)`)

func withoutEnvHint(problem string) string { return envHint.ReplaceAllString(problem, "") }

// refuseTopLevelPortal reports the top-level keys a configuration with
// tenants must leave out: each tenant has its own portal, credentials and
// rules, and one left at the top would belong to no tenant.
func (c *Config) refuseTopLevelPortal(p *problems) {
	a := c.Absorb
	for _, k := range []struct{ key, value string }{
		{"absorb.region", a.Region}, {"absorb.url", a.URL}, {"absorb.privateKey", a.PrivateKey},
		{"absorb.username", a.Username}, {"absorb.password", a.Password},
	} {
		if k.value != "" {
			p.add(k.key, "with tenants, each tenant names its own portal (tenants[].%s); remove it here", strings.TrimPrefix(k.key, "absorb."))
		}
	}
	if n := len(c.Auth.Tokens) + len(c.Auth.Basic) + len(c.Auth.JWT) + len(c.Auth.Entra); n > 0 {
		p.add("auth", "with tenants, every IdP credential belongs to one tenant (tenants[].auth); move the %d credentials here (and %sTOKEN) into a tenant", n, EnvPrefix)
	}
	if len(c.GroupRules) > 0 {
		p.add("groupRules", "with tenants, each tenant has its own rules (tenants[].rules); move them into a tenant")
	}
}

// credentialOwner is one credential as tenants may not share it.
type credentialOwner struct{ tenant, key string }

// refuseSharedCredentials reports a credential two tenants would both
// accept: a request carrying it could not be said to belong to one tenant.
func (c *Config) refuseSharedCredentials(p *problems) {
	owners := map[string]credentialOwner{}
	claim := func(tenant, key, kind, identity string) {
		if identity == "" {
			return
		}
		id := kind + "\x00" + identity
		if o, ok := owners[id]; ok && o.tenant != tenant {
			p.add(key, "the same %s is also tenant %q's (%s): a credential may belong to one tenant only (tenant %q)", kind, o.tenant, o.key, tenant)
			return
		}
		owners[id] = credentialOwner{tenant: tenant, key: key}
	}
	for i, t := range c.Tenants {
		base := indexKey("tenants", i) + ".auth"
		for j, tok := range t.Auth.Tokens {
			claim(t.ID, keyf(base+".tokens", j, "value"), "bearer token", secretDigest(tok.Value, tok.Hash))
		}
		for j, b := range t.Auth.Basic {
			if d := secretDigest(b.Password, b.PasswordHash); d != "" {
				claim(t.ID, keyf(base+".basic", j, "username"), "Basic user and password", b.Username+"\x00"+d)
			}
		}
		for j, jw := range t.Auth.JWT {
			claim(t.ID, keyf(base+".jwt", j, "issuer"), "JWT issuer", jw.Issuer)
			if jw.Secret != "" {
				claim(t.ID, keyf(base+".jwt", j, "secret"), "JWT secret", digestHex(jw.Secret))
			}
		}
		for j, e := range t.Auth.Entra {
			claim(t.ID, keyf(base+".entra", j, "tenantId"), "Entra tenant", strings.ToLower(e.TenantID))
		}
	}
}

// secretDigest is the SHA-256 of a secret given as a value or as its hash,
// so the same secret is recognised whichever way each tenant wrote it.
func secretDigest(value, hash string) string {
	if value != "" {
		return digestHex(value)
	}
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(hash), "sha256:"))
}

func digestHex(s string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(s))) }
