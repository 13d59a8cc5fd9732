package config

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts every environment variable the configuration reads.
const EnvPrefix = "ABSORB_SCIM_"

// applyEnv overrides file values with environment variables. Secrets may
// also be given as NAME_FILE, the path of a file holding the value (as
// container secret mounts provide). A value that does not parse is a
// problem named after its variable: silently ignoring ABSORB_SCIM_DRY_RUN=yes
// would send real writes to Absorb.
func applyEnv(c *Config, getenv func(string) string, p *problems) {
	str := func(name string, dst *string) {
		if v := getenv(EnvPrefix + name); v != "" {
			*dst = v
		}
	}
	str("LISTEN", &c.Listen)
	str("PUBLIC_URL", &c.PublicURL)
	str("DATA_DIR", &c.DataDir)
	str("STORAGE_DRIVER", &c.Storage.Driver)
	str("STORAGE_POSTGRES_URL", &c.Storage.Postgres.URL)
	str("STORAGE_POSTGRES_URL_FILE", &c.Storage.Postgres.URLFile)
	str("TLS_CERT", &c.TLS.Cert)
	str("TLS_KEY", &c.TLS.Key)
	str("LOG_FORMAT", &c.Log.Format)
	str("LOG_LEVEL", &c.Log.Level)
	str("ABSORB_REGION", &c.Absorb.Region)
	str("ABSORB_URL", &c.Absorb.URL)
	str("ABSORB_PRIVATE_KEY", &c.Absorb.PrivateKey)
	str("ABSORB_PRIVATE_KEY_FILE", &c.Absorb.PrivateKeyFile)
	str("ABSORB_USERNAME", &c.Absorb.Username)
	str("ABSORB_PASSWORD", &c.Absorb.Password)
	str("ABSORB_PASSWORD_FILE", &c.Absorb.PasswordFile)
	str("ABSORB_API_VERSION", &c.Absorb.APIVersion)
	str("DEFAULT_DEPARTMENT", &c.Mapping.DefaultDepartment)
	if v := getenv(EnvPrefix + "ABSORB_RATE_LIMIT"); v != "" {
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			c.Absorb.RateLimit = f
		} else {
			p.add(EnvPrefix+"ABSORB_RATE_LIMIT", "%q is not a number of requests per second (e.g. 200, or -1 for unlimited)", v)
		}
	}
	if v := getenv(EnvPrefix + "SYNC_INTERVAL"); v != "" {
		if d, err := time.ParseDuration(strings.TrimSpace(v)); err == nil {
			c.Sync.Interval = d
		} else {
			p.add(EnvPrefix+"SYNC_INTERVAL", "%q is not a duration (e.g. 30s, 5m, 1h)", v)
		}
	}
	if v := getenv(EnvPrefix + "DRY_RUN"); v != "" {
		if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
			c.DryRun = b
		} else {
			p.add(EnvPrefix+"DRY_RUN", "%q is not true or false", v)
		}
	}
	if v := getenv(EnvPrefix + "TRUSTED_PROXIES"); v != "" {
		c.TrustedProxies = splitList(v)
	}
	// One bearer token from the environment, the simplest deployment.
	tok := Token{Name: "env", Value: getenv(EnvPrefix + "TOKEN"), ValueFile: getenv(EnvPrefix + "TOKEN_FILE")}
	if tok.Value != "" || tok.ValueFile != "" {
		c.Auth.Tokens = append(c.Auth.Tokens, tok)
	}
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// resolveSecrets reads every *File secret into its value.
func (c *Config) resolveSecrets(p *problems) {
	read := func(key, file string, dst *string) {
		if file == "" {
			return
		}
		b, err := os.ReadFile(file)
		if err != nil {
			p.add(key, "cannot read %s: %v", file, err)
			return
		}
		*dst = strings.TrimSpace(string(b))
	}
	read("absorb.privateKeyFile", c.Absorb.PrivateKeyFile, &c.Absorb.PrivateKey)
	read("absorb.passwordFile", c.Absorb.PasswordFile, &c.Absorb.Password)
	read("storage.postgres.urlFile", c.Storage.Postgres.URLFile, &c.Storage.Postgres.URL)
	for i := range c.Auth.Tokens {
		t := &c.Auth.Tokens[i]
		read(keyf("auth.tokens", i, "valueFile"), t.ValueFile, &t.Value)
	}
	for i := range c.Auth.Basic {
		b := &c.Auth.Basic[i]
		read(keyf("auth.basic", i, "passwordFile"), b.PasswordFile, &b.Password)
	}
	for i := range c.Auth.JWT {
		j := &c.Auth.JWT[i]
		read(keyf("auth.jwt", i, "secretFile"), j.SecretFile, &j.Secret)
		read(keyf("auth.jwt", i, "publicKeyFile"), j.PublicKeyFile, &j.PublicKeyPEM)
	}
}

// indexKey names one entry of a list, e.g. auth.tokens[0].
func indexKey(list string, i int) string { return list + "[" + strconv.Itoa(i) + "]" }

func keyf(list string, i int, field string) string { return indexKey(list, i) + "." + field }
