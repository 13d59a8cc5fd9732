package absorbapi

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// memoryTokenStore is a TokenStore for Clients in one process: the same
// contract as a database's, with a mutex for its lock.
type memoryTokenStore struct {
	lock sync.Mutex // held through ReplaceToken, as the database's lock is
	mu   sync.Mutex // guards tok
	tok  SharedToken
}

func (s *memoryTokenStore) LoadToken(context.Context) (SharedToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok, nil
}

func (s *memoryTokenStore) ReplaceToken(ctx context.Context, replace func(context.Context, SharedToken) (SharedToken, error)) (SharedToken, error) {
	s.lock.Lock()
	defer s.lock.Unlock()
	cur, _ := s.LoadToken(ctx)
	next, err := replace(ctx, cur)
	if err != nil {
		return SharedToken{}, fmt.Errorf("replace token: %w", err)
	}
	s.mu.Lock()
	s.tok = next
	s.mu.Unlock()
	return next, nil
}

// busyClients makes each client read a user n times at once.
func busyClients(t *testing.T, clients []*Client, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(clients)*n)
	for _, c := range clients {
		for range n {
			wg.Go(func() {
				if _, err := c.FindUserByUsername(t.Context(), fakeabsorb.BridgeAdminUsername); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("request: %v", err)
	}
}

func TestSharedTokenOneLoginForSeveralClients(t *testing.T) {
	f := startFake(t, fakeabsorb.Options{})
	store := &memoryTokenStore{}
	var clients []*Client
	for range 3 {
		clients = append(clients, f.client(t, "", func(c *Config) { c.TokenStore = store }))
	}
	busyClients(t, clients, 10)
	if got, want := f.srv.Stats().Logins, 1; got != want {
		t.Fatalf("logins after first use = %d, want %d", got, want)
	}

	// Absorb revokes the token (as a login elsewhere would): every client
	// is refused with it, and exactly one of them logs in again.
	f.srv.StealToken(fakeabsorb.BridgeAdminUsername)
	busyClients(t, clients, 10)
	if got, want := f.srv.Stats().Logins, 2; got != want {
		t.Fatalf("logins after the token was revoked = %d, want %d", got, want)
	}
	if s := fmt.Sprint(store.tok); s == store.tok.Value || fmt.Sprintf("%#v", store.tok) == store.tok.Value {
		t.Fatalf("SharedToken prints its value")
	}
}

func TestSetRateLimitChangesTheLimiter(t *testing.T) {
	f := startFake(t, fakeabsorb.Options{})
	c := f.client(t, "", func(c *Config) { c.RateLimit, c.Burst = 100, 50 })
	c.SetRateLimit(25, 5)
	if got, want := float64(c.limiter.Limit()), 25.0; got != want {
		t.Errorf("limit = %v, want %v", got, want)
	}
	if got, want := c.limiter.Burst(), 5; got != want {
		t.Errorf("burst = %v, want %v", got, want)
	}
	if got := c.limiter.Tokens(); got > 5 {
		t.Errorf("tokens after a smaller burst = %v, want at most 5", got)
	}
	c.SetRateLimit(0, 0)
	if c.limiter.Limit() <= 0 || c.limiter.Burst() < 1 {
		t.Errorf("SetRateLimit(0, 0) left limit %v burst %d: requests would stop for good", c.limiter.Limit(), c.limiter.Burst())
	}
}

func TestSharedTokenOneRefreshForSeveralClients(t *testing.T) {
	f := startFake(t, fakeabsorb.Options{})
	store := &memoryTokenStore{}
	var (
		mu  sync.Mutex
		now = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	var clients []*Client
	for range 3 {
		clients = append(clients, f.client(t, "", func(c *Config) {
			c.TokenStore, c.Now = store, clock
			c.TokenTTL, c.RefreshMargin = time.Hour, 10*time.Minute
		}))
	}
	busyClients(t, clients, 5)
	mu.Lock()
	now = now.Add(55 * time.Minute) // past TokenTTL-RefreshMargin for every client
	mu.Unlock()
	busyClients(t, clients, 5)
	if got, want := f.srv.Stats().Logins, 2; got != want {
		t.Fatalf("logins after the shared token aged = %d, want %d (one login, one refresh)", got, want)
	}
}
