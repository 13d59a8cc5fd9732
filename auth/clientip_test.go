package auth

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{name: "peer", remote: "192.0.2.1:1234", want: "192.0.2.1"},
		{name: "peer without port", remote: "192.0.2.1", want: "192.0.2.1"},
		{name: "ipv6 peer", remote: "[2001:db8::1]:443", want: "2001:db8::1"},
		{name: "ipv6 peer with zone", remote: "[fe80::1%eth0]:443", want: "fe80::1"},
		{name: "mapped peer", remote: "[::ffff:192.0.2.1]:443", want: "192.0.2.1"},
		{name: "unparsable peer", remote: "pipe", want: "invalid IP"},
		{name: "no trusted proxies ignores header", remote: "10.0.0.1:80", xff: []string{"192.0.2.9"}, want: "10.0.0.1"},
		{name: "untrusted peer ignores header", remote: "192.0.2.1:80", xff: []string{"198.51.100.1"}, trusted: trusted, want: "192.0.2.1"},
		{name: "trusted peer, one hop", remote: "10.0.0.1:80", xff: []string{"192.0.2.9"}, trusted: trusted, want: "192.0.2.9"},
		{name: "rightmost untrusted hop", remote: "10.0.0.1:80", xff: []string{"1.1.1.1, 192.0.2.9, 10.2.2.2"}, trusted: trusted, want: "192.0.2.9"},
		{name: "hop with port", remote: "10.0.0.1:80", xff: []string{"192.0.2.9:5555"}, trusted: trusted, want: "192.0.2.9"},
		{name: "bracketed ipv6 hop", remote: "[fd00::1]:80", xff: []string{"[2001:db8::7]"}, trusted: trusted, want: "2001:db8::7"},
		{name: "all hops trusted gives the leftmost", remote: "10.0.0.1:80", xff: []string{"10.3.3.3, 10.2.2.2"}, trusted: trusted, want: "10.3.3.3"},
		{name: "no header gives the proxy", remote: "10.0.0.1:80", trusted: trusted, want: "10.0.0.1"},
		{name: "empty entries skipped", remote: "10.0.0.1:80", xff: []string{"192.0.2.9, ,"}, trusted: trusted, want: "192.0.2.9"},
		{name: "garbage hop fails closed", remote: "10.0.0.1:80", xff: []string{"192.0.2.9, unknown"}, trusted: trusted, want: "invalid IP"},
		{name: "garbage left of the client is not read", remote: "10.0.0.1:80", xff: []string{"junk, 192.0.2.9"}, trusted: trusted, want: "192.0.2.9"},
		{name: "several header lines", remote: "10.0.0.1:80", xff: []string{"192.0.2.8", "192.0.2.9"}, trusted: trusted, want: "192.0.2.9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, x := range tc.xff {
				r.Header.Add("X-Forwarded-For", x)
			}
			if got := ClientIP(r, tc.trusted).String(); got != tc.want {
				t.Errorf("ClientIP = %s, want %s", got, tc.want)
			}
		})
	}
}
