package fakeabsorb

import (
	"testing"
	"time"
)

func TestControlFaults(t *testing.T) {
	f := setup(t, Options{})
	tests := []struct {
		name     string
		path     string
		body     any
		status   int
		wantSpec string
	}{
		{"query", "/_fake/faults?spec=latency%3D5ms", nil, 200, "latency=5ms"},
		{"raw body", "/_fake/faults", "error5xx=0.5", 200, "error5xx=0.5"},
		{"JSON object", "/_fake/faults", map[string]string{"spec": "throttle=0.1,reset=0.2"}, 200, "throttle=0.1,reset=0.2"},
		{"JSON string", "/_fake/faults", `"reset=0.25"`, 200, "reset=0.25"},
		{"bad spec keeps the faults", "/_fake/faults", "explode=1", 400, "reset=0.25"},
		{"bad JSON", "/_fake/faults", `{"spec":`, 400, "reset=0.25"},
		{"empty clears", "/_fake/faults", nil, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.roundTrip(f.request("POST", tt.path, tt.body)).want(t, tt.status)
			got := f.roundTrip(f.request("GET", "/_fake/faults", nil)).want(t, 200).object(t)["spec"]
			if got != tt.wantSpec {
				t.Errorf("spec = %v, want %q", got, tt.wantSpec)
			}
			if s := f.srv.Faults().String(); s != tt.wantSpec {
				t.Errorf("Faults() = %q, want %q", s, tt.wantSpec)
			}
		})
	}
}

func TestControlRoutesAreExempt(t *testing.T) {
	f := setup(t, Options{RateLimit: 0.001, Burst: 1, Faults: "error5xx=1,latency=200ms"})
	start := time.Now()
	for range 5 {
		f.roundTrip(f.request("GET", "/_fake/stats", nil)).want(t, 200)
	}
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("control routes took %v: latency applied to them", d)
	}
	if st := f.srv.Stats(); st.Total != 0 || len(st.Requests) != 0 {
		t.Errorf("control routes were counted: %+v", st)
	}
	f.roundTrip(f.request("GET", "/_fake/nope", nil)).want(t, 404)
	f.roundTrip(f.request("POST", "/_fake/steal-token", nil)).want(t, 400)
}
