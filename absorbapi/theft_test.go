package absorbapi

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// TestFakeRepeatedTheft: another login as the bridge's admin revokes its
// token every 40ms while answers take 10ms, so a call that learns of one
// theft often retries with a token already stolen again. No call may fail,
// and every login must follow a theft.
func TestFakeRepeatedTheft(t *testing.T) {
	f := startFake(t, fakeabsorb.Options{Faults: "latency=10ms"})
	// No client-side limit: a wave of calls must take less time than the
	// thief needs to strike again, or no call could ever get through.
	c := f.client(t, "", func(c *Config) { c.RateLimit = -1 })
	ctx := context.Background()
	if _, err := c.GetUser(ctx, fakeabsorb.UserAliceID); err != nil {
		t.Fatal(err)
	}
	before := f.srv.Stats().Logins
	var steals atomic.Int64
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			case <-time.After(40 * time.Millisecond):
			}
			revoked, err := stealOverHTTP(f.url)
			if err != nil {
				t.Error(err)
				return
			}
			if revoked {
				steals.Add(1)
			}
		}
	}()
	const callers = 32
	until := time.Now().Add(600 * time.Millisecond)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			for time.Now().Before(until) {
				if _, err := c.GetUser(ctx, fakeabsorb.UserAliceID); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-stopped
	if err := firstError(errs); err != nil {
		t.Fatal(err)
	}
	logins := int64(f.srv.Stats().Logins - before)
	if steals.Load() < 5 {
		t.Fatalf("only %d thefts; the test proves nothing", steals.Load())
	}
	if logins > steals.Load() {
		t.Errorf("logins %d > thefts %d", logins, steals.Load())
	}
}

// stealOverHTTP revokes bridge-admin's token through the fake's control
// route, which says whether there was a token to revoke.
func stealOverHTTP(base string) (bool, error) {
	resp, err := http.Post(base+"/_fake/steal-token?username="+fakeabsorb.BridgeAdminUsername, "", nil)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var out struct {
		Revoked bool `json:"revoked"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	return out.Revoked, err
}

// TestRefusedAfterWorkingTokensBounded: once tokens have worked, a server
// that refuses every new token gets at most MaxAttempts logins from one
// call, which then fails as unauthorized.
func TestRefusedAfterWorkingTokensBounded(t *testing.T) {
	var refuse atomic.Bool
	s := &stub{route: func(w http.ResponseWriter, r *http.Request, tok string) {
		if refuse.Load() {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Authorization has been denied for this request."})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"id": "u1"})
	}}
	c := newStubClient(t, s, func(c *Config) { c.MaxAttempts = 4 })
	if _, err := c.GetUser(context.Background(), "u1"); err != nil {
		t.Fatal(err)
	}
	refuse.Store(true)
	before := s.loginCount()
	_, err := c.GetUser(context.Background(), "u1")
	if !IsUnauthorized(err) {
		t.Fatalf("GetUser error = %v, want unauthorized", err)
	}
	if got := s.loginCount() - before; got != 4 {
		t.Errorf("logins = %d, want 4 (MaxAttempts)", got)
	}
}
