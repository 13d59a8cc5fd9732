package fakeabsorb

import (
	"testing"

	"golang.org/x/time/rate"
)

func TestRateLimitBurstExhausted(t *testing.T) {
	f := setup(t, Options{RateLimit: 0.001, Burst: 3})
	tok := f.login(BridgeAdminUsername) // the login spends a token too
	f.send("GET", "/users", tok, nil).want(t, 200)
	f.send("GET", "/nope", tok, nil).want(t, 403)
	for _, path := range []string{"/users", "/authenticate", "/nope"} {
		res := f.send("GET", path, tok, nil).want(t, 429)
		if got := res.message(t); got != "Too Many Requests" {
			t.Errorf("message = %q", got)
		}
		if v := res.header.Get("Retry-After"); v != "" {
			t.Errorf("Retry-After = %q, want none", v)
		}
	}
	// A request without the key is throttled before the key is checked.
	f.roundTrip(f.request("GET", "/users", nil)).want(t, 429)
	// Control routes are never throttled.
	f.roundTrip(f.request("GET", "/_fake/stats", nil)).want(t, 200)
	if got := f.srv.Stats().Throttled; got != 4 {
		t.Errorf("throttled = %d, want 4", got)
	}

	f.srv.SetRateLimit(-1, 0)
	for range 20 {
		f.send("GET", "/users", tok, nil).want(t, 200)
	}
	f.srv.SetRateLimit(0.001, 1)
	f.send("GET", "/users", tok, nil).want(t, 200)
	f.send("GET", "/users", tok, nil).want(t, 429)

	f.roundTrip(f.request("POST", "/_fake/rate-limit?rate=-1&burst=1", nil)).want(t, 204)
	f.send("GET", "/users", tok, nil).want(t, 200)
	f.roundTrip(f.request("POST", "/_fake/rate-limit?rate=fast", nil)).want(t, 400)
}

func TestRateLimitDefaults(t *testing.T) {
	tests := []struct {
		name      string
		perSecond float64
		burst     int
		wantLimit rate.Limit
		wantBurst int
	}{
		{"zero means defaults", 0, 0, 200, 100},
		{"explicit", 5, 2, 5, 2},
		{"negative is unlimited", -1, 0, rate.Inf, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Options{RateLimit: tt.perSecond, Burst: tt.burst})
			if err != nil {
				t.Fatal(err)
			}
			if s.limiter.Limit() != tt.wantLimit || s.limiter.Burst() != tt.wantBurst {
				t.Errorf("limit, burst = %v, %d, want %v, %d", s.limiter.Limit(), s.limiter.Burst(), tt.wantLimit, tt.wantBurst)
			}
		})
	}
}
