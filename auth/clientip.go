package auth

import (
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the address of the client that sent r. It is the TCP peer
// (r.RemoteAddr) unless the peer is in trusted; then X-Forwarded-For is read from right to
// left, skipping addresses in trusted, and the first address not in trusted is the client
// (the "rightmost untrusted hop": entries to its left were written by the client and prove
// nothing). If every hop is trusted, the leftmost one is returned. It returns the zero Addr
// when the peer address cannot be parsed, or when a hop that must be read is not an address,
// so that allow-lists fail closed. IPv4-mapped IPv6 addresses are unmapped.
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parseHostAddr(r.RemoteAddr)
	if !peer.IsValid() || !inPrefixes(peer, trusted) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for h := range strings.SplitSeq(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseHostAddr(hops[i])
		if !a.IsValid() {
			return netip.Addr{}
		}
		client = a
		if !inPrefixes(a, trusted) {
			return a
		}
	}
	return client
}

// parseHostAddr parses "ip", "ip:port", "[ipv6]" or "[ipv6]:port", drops any zone and unmaps
// IPv4-mapped IPv6.
func parseHostAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap()
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap()
	}
	return netip.Addr{}
}

func inPrefixes(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
