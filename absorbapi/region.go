package absorbapi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// regionHosts maps a region name to its Integration API gateway host suffix.
var regionHosts = map[string]string{
	"us": "myabsorb.com",
	"ca": "myabsorb.ca",
	"eu": "myabsorb.eu",
	"au": "myabsorb.com.au",
}

// ResolveBaseURL turns a region name or a URL into the base URL of the
// Integration API. Region names are "us", "ca", "eu" and "au" for production
// (https://rest.myabsorb.com and its siblings) and the same names with a
// "-sandbox" suffix for the sandbox gateways (https://rest.sandbox.myabsorb.com,
// …); they are matched case-insensitively. Anything else must be an absolute
// http or https URL without query or fragment; a trailing slash is removed.
// It returns an error for an empty value, an unknown region or a malformed URL.
func ResolveBaseURL(regionOrURL string) (string, error) {
	s := strings.TrimSpace(regionOrURL)
	if s == "" {
		return "", fmt.Errorf("absorb base URL is empty: want a region (us, ca, eu, au, or us-sandbox, …) or an http(s) URL")
	}
	name := strings.ToLower(s)
	sandbox := false
	if base, ok := strings.CutSuffix(name, "-sandbox"); ok {
		name, sandbox = base, true
	}
	if host, ok := regionHosts[name]; ok {
		if sandbox {
			return "https://rest.sandbox." + host, nil
		}
		return "https://rest." + host, nil
	}
	if !strings.Contains(s, "://") {
		return "", fmt.Errorf("absorb base URL %q: unknown region (want us, ca, eu, au, optionally with -sandbox) and not a URL", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		// The url.Error would repeat the whole value, which may hold credentials.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return "", fmt.Errorf("absorb base URL: %w", err)
	}
	if u.User != nil {
		return "", fmt.Errorf("absorb base URL: credentials in the URL are not allowed")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("absorb base URL %q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return "", fmt.Errorf("absorb base URL %q: missing host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("absorb base URL %q: must not have a query or fragment", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}
