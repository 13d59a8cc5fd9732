package auth

import (
	"net/netip"
	"net/url"
	"strings"
)

// checkKeyURL returns a problem with the URL of a JWK Set or OpenID metadata document, or "".
// The URL must be absolute https, or http on a loopback host (a test server, a local
// sidecar): signing keys fetched in clear text could be swapped on the way, and whoever swaps
// them can sign tokens the server accepts.
func checkKeyURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "must be an absolute http or https URL"
	}
	if !secureKeyURL(u) {
		return "must be https (plain http only on a loopback address): signing keys fetched in clear text could be replaced"
	}
	return ""
}

// secureKeyURL reports whether signing keys may be fetched from u: https, or http on a
// loopback host.
func secureKeyURL(u *url.URL) bool {
	switch {
	case u == nil || u.Host == "":
		return false
	case u.Scheme == "https":
		return true
	case u.Scheme == "http":
		return isLoopbackHost(u.Hostname())
	}
	return false
}

// isLoopbackHost reports whether host is "localhost" or a loopback IP address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
