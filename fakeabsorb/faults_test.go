package fakeabsorb

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseFaults(t *testing.T) {
	tests := []struct {
		spec    string
		want    Faults
		wantErr bool
	}{
		{"", Faults{}, false},
		{"latency=20ms", Faults{Latency: 20 * time.Millisecond}, false},
		{"latency=20ms,error5xx=0.05,throttle=0.05,reset=0.01", Faults{20 * time.Millisecond, 0.05, 0.05, 0.01}, false},
		{" reset = 1 , ,", Faults{Reset: 1}, false},
		{"ERROR5XX=0", Faults{}, false},
		{"error5xx=0.1,error5xx=0.2", Faults{Error5xx: 0.2}, false},
		{"latency=fast", Faults{}, true},
		{"latency=-1s", Faults{}, true},
		{"error5xx=1.5", Faults{}, true},
		{"throttle=-0.1", Faults{}, true},
		{"reset=NaN", Faults{}, true},
		{"reset", Faults{}, true},
		{"explode=1", Faults{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParseFaults(tt.spec)
			if tt.wantErr {
				if !errors.Is(err, ErrBadFaults) {
					t.Fatalf("err = %v, want ErrBadFaults", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			again, err := ParseFaults(got.String())
			if err != nil || again != got {
				t.Errorf("String %q does not read back: %v, %v", got.String(), again, err)
			}
		})
	}
	if _, err := New(Options{Faults: "explode=1"}); !errors.Is(err, ErrBadFaults) {
		t.Errorf("New with a bad spec: err = %v, want ErrBadFaults", err)
	}
}

// userExists reports whether a user with that username exists anywhere.
func userExists(f *fake, username string) bool {
	for _, u := range f.srv.Users() {
		if u.Username == username {
			return true
		}
	}
	return false
}

func TestFaultError5xx(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	if err := f.srv.SetFaults("error5xx=1"); err != nil {
		t.Fatal(err)
	}
	res := f.send("POST", "/users", tok, newUser("not.created", DeptSalesID)).want(t, 500)
	if got := res.message(t); got != "Internal Server Error" {
		t.Errorf("message = %q", got)
	}
	if userExists(f, "not.created") {
		t.Error("a 500 fault did the work")
	}
	if got := f.srv.Stats().Faults.Error5xx; got != 1 {
		t.Errorf("faults.error5xx = %d, want 1", got)
	}
}

func TestFaultThrottle(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	if err := f.srv.SetFaults("throttle=1"); err != nil {
		t.Fatal(err)
	}
	res := f.send("POST", "/users", tok, newUser("not.created", DeptSalesID)).want(t, 429)
	if got := res.message(t); got != "Too Many Requests" || res.header.Get("Retry-After") != "" {
		t.Errorf("message = %q, Retry-After = %q", got, res.header.Get("Retry-After"))
	}
	if userExists(f, "not.created") {
		t.Error("a throttle fault did the work")
	}
	st := f.srv.Stats()
	if st.Throttled != 1 || st.Faults.Throttle != 1 {
		t.Errorf("throttled = %d, faults.throttle = %d, want 1, 1", st.Throttled, st.Faults.Throttle)
	}
}

func TestFaultResetDoesTheWork(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	if err := f.srv.SetFaults("reset=1"); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	req := f.request("POST", "/users", newUser("committed", DeptSalesID))
	req.Header.Set("x-api-key", PrivateKey)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err == nil {
		res.Body.Close()
		t.Fatalf("got status %d, want a dropped connection", res.StatusCode)
	}
	if !userExists(f, "committed") {
		t.Error("the dropped request's work was not committed")
	}
	if got := f.srv.Stats().Faults.Reset; got != 1 {
		t.Errorf("faults.reset = %d, want 1", got)
	}
	// A retry of the create now meets the committed user.
	if err := f.srv.SetFaults(""); err != nil {
		t.Fatal(err)
	}
	f.send("POST", "/users", tok, newUser("committed", DeptSalesID)).want(t, 422)
}

func TestFaultLatencyAfterWork(t *testing.T) {
	f := setup(t, Options{Faults: "latency=150ms"})
	start := time.Now()
	tok := f.login(BridgeAdminUsername)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("login took %v, want at least the 150ms latency", d)
	}
	req := f.request("POST", "/users", newUser("slow.create", DeptSalesID))
	req.Header.Set("x-api-key", PrivateKey)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := (&http.Client{Timeout: 30 * time.Millisecond}).Do(req)
	if err == nil {
		res.Body.Close()
		t.Fatalf("got status %d, want a client timeout", res.StatusCode)
	}
	if !userExists(f, "slow.create") {
		t.Error("the timed-out create was not committed")
	}
}

func TestFaultDecisionsFollowTheSeed(t *testing.T) {
	statuses := func() []int {
		f := setup(t, Options{Faults: "error5xx=0.3,throttle=0.3", RandSeed: 42})
		out := make([]int, 40)
		for i := range out {
			out[i] = f.send("GET", "/nope", "", nil).status
		}
		return out
	}
	a, b := statuses(), statuses()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different decisions (-a +b):\n%s", diff)
	}
	count := map[int]int{}
	for _, s := range a {
		count[s]++
	}
	if count[500] == 0 || count[429] == 0 || count[403] == 0 {
		t.Errorf("statuses %v: want a mix of 500, 429 and 403", count)
	}
}
