package config

import (
	"net/netip"
	"os"
	"strings"

	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/mapping"
)

// MappingConfig is the mapping section as the mapping package takes it.
func (c Config) MappingConfig() mapping.Config {
	m := mapping.Default()
	for k, v := range c.Mapping.Fields {
		if m.Fields == nil {
			m.Fields = map[string]string{}
		}
		m.Fields[k] = v
	}
	if len(c.Mapping.DepartmentAttributes) > 0 {
		m.DepartmentAttributes = c.Mapping.DepartmentAttributes
	}
	m.DefaultDepartment = c.Mapping.DefaultDepartment
	m.UnknownDepartment = c.Mapping.UnknownDepartment
	m.Password = c.Mapping.Password
	for k, v := range c.Mapping.Languages {
		if m.Languages == nil {
			m.Languages = map[string]int{}
		}
		m.Languages[k] = v
	}
	return m
}

// Rules are the group rules as the bridge takes them.
func (c Config) Rules() []bridge.Rule {
	out := make([]bridge.Rule, 0, len(c.GroupRules))
	for _, r := range c.GroupRules {
		out = append(out, bridge.Rule{
			Name: r.Name, DisplayName: r.DisplayName, DisplayNamePattern: r.DisplayNamePattern,
			ExternalID: r.ExternalID, ExternalIDPattern: r.ExternalIDPattern,
			Department: r.Department, Courses: r.Courses, UnenrollOnLeave: r.UnenrollOnLeave,
		})
	}
	return out
}

// AuthConfig is the auth section as the auth package takes it. Unparsable
// CIDRs were reported by validation and are skipped here.
func (c Config) AuthConfig() auth.Config {
	out := auth.Config{Realm: c.Auth.Realm, TrustedProxies: prefixes(c.TrustedProxies)}
	for _, t := range c.Auth.Tokens {
		out.Tokens = append(out.Tokens, auth.Token{Name: t.Name, Value: t.Value, Hash: t.Hash, ReadOnly: t.ReadOnly, Limits: limits(t.CredentialLimits)})
	}
	for _, b := range c.Auth.Basic {
		out.Basic = append(out.Basic, auth.BasicUser{Name: b.Name, Username: b.Username, Password: b.Password, PasswordHash: b.PasswordHash, ReadOnly: b.ReadOnly, Limits: limits(b.CredentialLimits)})
	}
	for _, j := range c.Auth.JWT {
		var pem string
		if j.PublicKeyFile != "" {
			if b, err := os.ReadFile(j.PublicKeyFile); err == nil {
				pem = string(b)
			}
		}
		out.JWT = append(out.JWT, auth.JWTIssuer{
			Name: j.Name, Issuer: j.Issuer, Audiences: j.Audiences, Algorithms: j.Algorithms,
			Secret: j.Secret, PublicKeyPEM: pem, JWKSURL: j.JWKSURL, Leeway: j.Leeway,
			ReadOnly: j.ReadOnly, Limits: limits(j.CredentialLimits),
		})
	}
	for _, e := range c.Auth.Entra {
		out.Entra = append(out.Entra, auth.EntraTenant{Name: e.Name, TenantID: e.TenantID, ReadOnly: e.ReadOnly, Limits: limits(e.CredentialLimits)})
	}
	return out
}

func limits(l CredentialLimits) auth.Limits {
	return auth.Limits{AllowCIDRs: prefixes(l.AllowCIDRs), RatePerSecond: l.RatePerSecond, Burst: l.Burst}
}

func prefixes(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := ParsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// validateComponents checks the sections other packages own with their own
// validation, so `config check` and `serve` report those problems too.
func (c Config) validateComponents(p *problems) {
	if _, err := mapping.New(c.MappingConfig()); err != nil {
		p.add("mapping", "%s", strings.TrimPrefix(err.Error(), "invalid mapping config: "))
	}
	if err := bridge.ValidateRules(c.Rules()); err != nil {
		p.add("groupRules", "%s", strings.TrimPrefix(err.Error(), "group rules: "))
	}
	if len(c.Auth.Tokens)+len(c.Auth.Basic)+len(c.Auth.JWT)+len(c.Auth.Entra) > 0 {
		if _, err := auth.New(c.AuthConfig()); err != nil {
			p.add("auth", "%s", err.Error())
		}
	}
}
