package config

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
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
		out.JWT = append(out.JWT, auth.JWTIssuer{
			Name: j.Name, Issuer: j.Issuer, Audiences: j.Audiences, Algorithms: j.Algorithms,
			Secret: j.Secret, PublicKeyPEM: j.PublicKeyPEM, JWKSURL: j.JWKSURL, Leeway: j.Leeway,
			ReadOnly: j.ReadOnly, Limits: limits(j.CredentialLimits),
		})
	}
	for _, e := range c.Auth.Entra {
		out.Entra = append(out.Entra, auth.EntraTenant{Name: e.Name, TenantID: e.TenantID, MetadataURL: e.MetadataURL, ReadOnly: e.ReadOnly, Limits: limits(e.CredentialLimits)})
	}
	return out
}

func limits(l CredentialLimits) auth.Limits {
	return auth.Limits{AllowCIDRs: prefixes(l.AllowCIDRs), RatePerSecond: l.RatePerSecond, Burst: l.Burst, StrictPatch: l.StrictPatch}
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
// validation, so `config check` and `serve` report those problems too, one
// line each, keyed like the file.
func (c Config) validateComponents(p *problems) {
	if _, err := mapping.New(c.MappingConfig()); err != nil {
		var me *mapping.ConfigError
		if errors.As(err, &me) {
			for _, problem := range me.Problems {
				*p = append(*p, "mapping."+problem)
			}
		} else {
			p.add("mapping", "%v", err)
		}
	}
	if err := bridge.ValidateRules(c.Rules()); err != nil {
		for _, problem := range strings.Split(strings.TrimPrefix(err.Error(), "group rules: "), "; ") {
			p.add("groupRules", "%s", problem)
		}
	}
	c.validateConsole(p)
	if len(c.Auth.Tokens)+len(c.Auth.Basic)+len(c.Auth.JWT)+len(c.Auth.Entra) > 0 {
		if _, err := auth.New(c.AuthConfig()); err != nil {
			var ae *auth.ConfigError
			if errors.As(err, &ae) {
				for _, problem := range ae.Problems {
					*p = append(*p, authKey(problem))
				}
			} else {
				p.add("auth", "%v", err)
			}
		}
	}
}

// authProblem matches an auth problem about one credential:
// `Tokens[1] "okta": Value is shorter than ...`.
var authProblem = regexp.MustCompile(`^(Tokens|Basic|JWT|Entra)\[(\d+)\] "([^"]*)": (.*)$`)

// authFieldWord finds the first field name an auth problem mentions.
var authFieldWord = regexp.MustCompile(`\b(Value|Hash|Username|PasswordHash|Password|Name|RatePerSecond|Burst|AllowCIDRs|Secret|PublicKeyPEM|JWKSURL|Issuer|Audiences|Algorithms|Leeway|TenantID|MetadataURL)\b`)

// authKeys are the file's keys for the auth package's names.
var authKeys = map[string]string{
	"Tokens": "auth.tokens", "Basic": "auth.basic", "JWT": "auth.jwt", "Entra": "auth.entra",
	"Value": "value", "Hash": "hash", "Username": "username", "Password": "password",
	"PasswordHash": "passwordHash", "Name": "name", "RatePerSecond": "ratePerSecond", "Burst": "burst",
	"AllowCIDRs": "allowCIDRs", "Secret": "secret", "PublicKeyPEM": "publicKeyFile", "JWKSURL": "jwksURL",
	"Issuer": "issuer", "Audiences": "audiences", "Algorithms": "algorithms", "Leeway": "leeway",
	"TenantID": "tenantId", "MetadataURL": "metadataURL",
}

// authKey rewrites an auth problem to start with its key in the file:
// `Tokens[1] "okta": Value is shorter ...` becomes
// `auth.tokens[1].value: Value is shorter ... (credential "okta")`.
func authKey(problem string) string {
	m := authProblem.FindStringSubmatch(problem)
	if m == nil {
		switch {
		case strings.HasPrefix(problem, "TrustedProxies"):
			return "trustedProxies: " + problem
		case strings.HasPrefix(problem, "Realm"):
			return "auth.realm: " + problem
		}
		return "auth: " + problem
	}
	key := authKeys[m[1]] + "[" + m[2] + "]"
	if f := authFieldWord.FindString(m[4]); f != "" {
		key += "." + authKeys[f]
	}
	if m[3] != "" {
		return fmt.Sprintf("%s: %s (credential %q)", key, m[4], m[3])
	}
	return key + ": " + m[4]
}
