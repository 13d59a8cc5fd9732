package bridge_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/scim"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

func TestGovernorLimit(t *testing.T) {
	tests := []struct {
		name string
		cfg  bridge.GovernorConfig
		want int
	}{
		{"default wait", bridge.GovernorConfig{Rate: 200}, 400},
		{"short wait", bridge.GovernorConfig{Rate: 50, MaxWait: 100 * time.Millisecond}, 5},
		{"at least one", bridge.GovernorConfig{Rate: 0.1, MaxWait: time.Second}, 1},
		{"explicit queue", bridge.GovernorConfig{Rate: 50, MaxQueue: 7}, 7},
		{"unlimited", bridge.GovernorConfig{Rate: -1, MaxQueue: 7}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bridge.NewGovernor(tt.cfg).Stats().Limit; got != tt.want {
				t.Errorf("limit = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestGovernorSetRate(t *testing.T) {
	tests := []struct {
		name string
		cfg  bridge.GovernorConfig
		rate float64
		want int
	}{
		{"a third of the rate", bridge.GovernorConfig{Rate: 200}, 200.0 / 3, 133},
		{"the whole rate back", bridge.GovernorConfig{Rate: 50}, 200, 400},
		{"explicit queue stays", bridge.GovernorConfig{Rate: 50, MaxQueue: 7}, 10, 7},
		{"unlimited stays", bridge.GovernorConfig{Rate: -1}, 10, 0},
		{"no rate changes nothing", bridge.GovernorConfig{Rate: 200}, 0, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := bridge.NewGovernor(tt.cfg)
			g.SetRate(tt.rate)
			if got := g.Stats().Limit; got != tt.want {
				t.Errorf("limit = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestGovernorAdmit(t *testing.T) {
	ctx := context.Background()
	g := bridge.NewGovernor(bridge.GovernorConfig{Rate: 1, MaxQueue: 3})
	first, err := g.Admit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	second, err := g.Admit(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Admit(ctx, 1)
	var se *scimdoc.Error
	if !errors.As(err, &se) || se.Status != http.StatusTooManyRequests {
		t.Fatalf("admit past the limit: %v, want a 429", err)
	}
	if se.RetryAfter != 3*time.Second {
		t.Errorf("RetryAfter = %s, want 3s (three calls queued at 1/s)", se.RetryAfter)
	}
	first()
	first() // a second call changes nothing
	third, err := g.Admit(ctx, 1)
	if err != nil {
		t.Fatalf("admit after a release: %v", err)
	}
	if got := g.Stats(); got.InFlight != 3 || got.Admitted != 3 || got.Rejected != 1 {
		t.Errorf("stats = %+v, want 3 in flight, 3 admitted, 1 rejected", got)
	}
	second()
	third()
	big, err := g.Admit(ctx, 10)
	if err != nil {
		t.Fatalf("a write costlier than the limit is refused on an idle governor: %v", err)
	}
	if _, err := g.Admit(ctx, 1); err == nil {
		t.Errorf("a write was admitted beside one costlier than the limit")
	}
	big()

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.Admit(cancelled, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("admit with a cancelled context: %v", err)
	}
	var none *bridge.Governor
	release, err := none.Admit(ctx, 1)
	if err != nil {
		t.Fatalf("a nil governor refused: %v", err)
	}
	release()
}

// A storm of concurrent creates against an Absorb limited to 50 requests a
// second: the bridge turns some away with 429 and Retry-After, Absorb never
// throttles, and every create the bridge accepted lands exactly once.
func TestGovernorStorm(t *testing.T) {
	const rate, creates = 50, 300
	gov := bridge.NewGovernor(bridge.GovernorConfig{Rate: rate, MaxQueue: 10})
	// Known strict, each create is one upstream call: the storm is about
	// the Governor, not the look-ups of a portal that may upsert.
	r := newBulkRig(t, rigConfig{fakeRate: rate, fakeBurst: 20, clientRate: rate, clientBurst: 10, gov: gov, createBehaviour: bridge.CreateStrict})
	g := r.b
	s, err := scim.New(scim.Options{BaseURL: "https://scim.example.com/scim/v2", Users: g, Groups: g, Bulk: g})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: creates}}
	t.Cleanup(client.CloseIdleConnections)

	var (
		refused  atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		problems []string
		// freed holds one token per create that landed: each frees the
		// place of one write at the Governor, for one refused client.
		freed = make(chan struct{}, creates)
	)
	deadline := time.Now().Add(60 * time.Second)
	for i := range creates {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"storm%03d@example.com"}`, i)
			for time.Now().Before(deadline) {
				resp, err := client.Post(srv.URL+"/Users", "application/scim+json", strings.NewReader(body))
				if err != nil {
					mu.Lock()
					problems = append(problems, err.Error())
					mu.Unlock()
					return
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusCreated:
					freed <- struct{}{}
					return
				case http.StatusTooManyRequests:
					refused.Add(1)
					if resp.Header.Get("Retry-After") == "" {
						mu.Lock()
						problems = append(problems, "429 without Retry-After")
						mu.Unlock()
					}
					// A real IdP waits Retry-After; the test retries as soon
					// as a write it was refused behind has landed.
					select {
					case <-freed:
					case <-time.After(time.Until(deadline)):
					}
				default:
					mu.Lock()
					problems = append(problems, fmt.Sprintf("user %d: status %d", i, resp.StatusCode))
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(problems) > 0 {
		t.Fatalf("%d problems, first: %s", len(problems), problems[0])
	}
	if refused.Load() == 0 {
		t.Errorf("the bridge never answered 429")
	}
	if got := r.fake.Stats().Throttled; got != 0 {
		t.Errorf("Absorb answered 429 %d times, want 0", got)
	}
	accounts := r.accounts()
	for i := range creates {
		name := fmt.Sprintf("storm%03d@example.com", i)
		if accounts[name] != 1 {
			t.Errorf("%s has %d Absorb accounts, want 1", name, accounts[name])
		}
	}
	if c := r.store.Stats(); c.Users != creates || c.Intents != 0 {
		t.Errorf("store holds %d users and %d intents, want %d and 0", c.Users, c.Intents, creates)
	}
	if st := gov.Stats(); st.Rejected != uint64(refused.Load()) || st.InFlight != 0 {
		t.Errorf("governor stats %+v; the clients saw %d refusals", st, refused.Load())
	}
}
