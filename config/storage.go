package config

import (
	"errors"
	"net/url"
	"strings"
)

// validateStorage checks storage.driver and the PostgreSQL URL. The URL
// holds a password, so no message repeats it, not even in part: url.Parse's
// own errors quote the whole URL and are not used.
func (c *Config) validateStorage(p *problems) {
	switch c.Storage.Driver {
	case DriverBbolt, "":
	case DriverPostgres:
		pg := c.Storage.Postgres
		if pg.URL == "" {
			p.add("storage.postgres.url", "required when storage.driver is postgres (or storage.postgres.urlFile, or %sSTORAGE_POSTGRES_URL(_FILE))", EnvPrefix)
			return
		}
		if why := checkPostgresURL(pg.URL); why != "" {
			p.add("storage.postgres.url", "%s; want postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=require", why)
		}
	default:
		p.add("storage.driver", "%q must be bbolt (one replica, the file in dataDir) or postgres (storage.postgres.url)", c.Storage.Driver)
	}
}

// CheckPostgresURL returns why raw is not a PostgreSQL URL the bridge
// takes, nil when it is. The error never quotes the URL.
func CheckPostgresURL(raw string) error {
	if why := checkPostgresURL(raw); why != "" {
		return errors.New("the PostgreSQL URL " + why)
	}
	return nil
}

// checkPostgresURL says what is wrong with a PostgreSQL URL, "" when
// nothing is. It never quotes the URL.
func checkPostgresURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "does not parse as a URL (characters such as @ : / # ? % in the user name or password must be percent-encoded)"
	case u.Scheme != "postgres" && u.Scheme != "postgresql":
		if strings.Contains(raw, "=") && !strings.Contains(raw, "://") {
			return "is a key=value connection string; give it as a URL"
		}
		return "the scheme must be postgres:// or postgresql://"
	case u.Host == "" && u.Query().Get("host") == "":
		return "names no host (postgres://HOST:5432/..., or ?host=/run/postgresql for a Unix socket)"
	case strings.Trim(u.Path, "/") == "":
		return "names no database (the path after the host, e.g. /absorb_scim)"
	}
	if port := u.Port(); port != "" {
		for _, r := range port {
			if r < '0' || r > '9' {
				return "the port is not a number"
			}
		}
	}
	return ""
}

// RedactURL returns a PostgreSQL URL fit to print: its password, in the
// user information or in a password query parameter, is replaced by
// "xxxxx"; a URL that does not parse is not shown at all.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// URLSecrets returns the strings of a PostgreSQL URL that must never be
// shown (its password, as written and decoded), for scrubbing messages that
// may quote the URL, such as a driver's connection errors.
func URLSecrets(raw string) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Nothing can be told apart: the whole URL is the secret.
		add(raw)
		return out
	}
	if pw, ok := u.User.Password(); ok {
		add(pw)
		if i := strings.Index(raw, "://"); i >= 0 {
			// The password as written, before percent-decoding.
			rest := raw[i+3:]
			if at := strings.LastIndex(rest, "@"); at >= 0 {
				if c := strings.Index(rest[:at], ":"); c >= 0 {
					add(rest[c+1 : at])
				}
			}
		}
	}
	add(u.Query().Get("password"))
	return out
}
