package conformance

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// soakCounters are what the IdP side of the soak saw, shared by all its
// clients.
type soakCounters struct {
	mu         sync.Mutex
	ops        map[string]int // completed operations by kind
	requests   int            // SCIM requests sent
	retries    map[string]int // retries by cause: "429", "503", "no answer", ...
	failures   []string       // answers an IdP would not accept
	ambiguous  int            // creates resolved by a lookup after a lost answer
	maxAttempt int            // most attempts one request needed
}

func newSoakCounters() *soakCounters {
	return &soakCounters{ops: map[string]int{}, retries: map[string]int{}}
}

func (c *soakCounters) op(kind string) {
	c.mu.Lock()
	c.ops[kind]++
	c.mu.Unlock()
}

func (c *soakCounters) fail(format string, args ...any) {
	c.mu.Lock()
	c.failures = append(c.failures, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

func (c *soakCounters) retry(cause string) {
	c.mu.Lock()
	c.retries[cause]++
	c.mu.Unlock()
}

// soakIdP sends SCIM requests the way Entra's provisioning service does: a
// 429 or 503 is retried after its Retry-After (capped here so the soak runs
// fast), and so is a request that got no answer at all (a bridge that
// restarts); any other answer is final.
type soakIdP struct {
	idp *idpClient
	// spread, when set, takes the place of idp: each attempt goes to the
	// next of several replicas, as through a load balancer.
	spread   *roundRobin
	counters *soakCounters
	maxSleep time.Duration
	rnd      *rand.Rand
}

// roundRobin hands out the SCIM clients of several replicas in turn, to all
// the IdP connections sharing it, as a load balancer in front of them
// does; one that is down stays in turn (a balancer notices late), and its
// refused connections are retried on the next.
type roundRobin struct {
	next atomic.Uint64
	idps []*idpClient
}

func (r *roundRobin) pick() *idpClient {
	return r.idps[(r.next.Add(1)-1)%uint64(len(r.idps))]
}

// outcome is the final answer to one logical request, and whether an
// earlier attempt went unanswered (so it may have been carried out).
type outcome struct {
	reply
	lostAnswer bool
}

// call sends a request until it gets a final answer, for at most a minute.
func (s *soakIdP) call(method, path string, body any) (outcome, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out outcome
	for attempt := 1; ; attempt++ {
		s.counters.mu.Lock()
		s.counters.requests++
		if attempt > s.counters.maxAttempt {
			s.counters.maxAttempt = attempt
		}
		s.counters.mu.Unlock()
		idp := s.idp
		if s.spread != nil {
			idp = s.spread.pick()
		}
		r, err := idp.send(ctx, method, path, body)
		var wait time.Duration
		switch {
		case err != nil && errors.Is(err, syscall.ECONNREFUSED) && ctx.Err() == nil:
			// Nothing listens (a replica down): the request reached no
			// bridge, so it was not carried out.
			s.counters.retry("refused")
			wait = 20 * time.Millisecond
		case err != nil:
			if ctx.Err() != nil {
				return out, fmt.Errorf("%s %s: no final answer within a minute: %w", method, path, err)
			}
			out.lostAnswer = true
			s.counters.retry("no answer")
			wait = 50 * time.Millisecond
		case r.status == http.StatusTooManyRequests || r.status == http.StatusServiceUnavailable:
			d, ok := retryAfterSeconds(r.header)
			if !ok {
				s.counters.fail("%s %s: %d without Retry-After", method, path, r.status)
				d = time.Second
			}
			s.counters.retry(fmt.Sprint(r.status))
			wait = min(d, s.maxSleep)
		case r.status >= 500:
			s.counters.fail("%s %s: %s", method, path, r)
			s.counters.retry(fmt.Sprint(r.status))
			wait = 100 * time.Millisecond
		default:
			out.reply = r
			return out, nil
		}
		// Jitter, as a fleet of IdP workers would have. The pause is the
		// IdP's behaviour under test, not a wait for an event.
		wait += time.Duration(s.rnd.Int64N(int64(wait)/2 + 1))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return out, fmt.Errorf("%s %s: no final answer within a minute", method, path)
		}
	}
}

// errUnexpected marks an answer the IdP would not accept.
var errUnexpected = errors.New("unexpected answer")

// expect returns the outcome when its status is one of want, else an error.
func (s *soakIdP) expect(method, path string, body any, want ...int) (outcome, error) {
	out, err := s.call(method, path, body)
	if err != nil {
		return out, err
	}
	for _, w := range want {
		if out.status == w {
			return out, nil
		}
	}
	return out, fmt.Errorf("%w: %s %s: %s", errUnexpected, method, path, shorten(out.String()))
}

// lookup is Entra's and Okta's match, a GET with an equality filter such
// as userName eq "x". It returns the id found, or "".
func (s *soakIdP) lookup(filter string, okta bool) (string, error) {
	path := `/Users?filter=` + filter
	if okta {
		path += "&startIndex=1&count=100"
	}
	out, err := s.expect(http.MethodGet, path, nil, http.StatusOK)
	if err != nil {
		return "", err
	}
	list := asList(out.doc()["Resources"])
	switch len(list) {
	case 0:
		return "", nil
	case 1:
		id, _ := list[0].(map[string]any)["id"].(string)
		return id, nil
	}
	return "", fmt.Errorf("%w: %d users match %s", errUnexpected, len(list), filter)
}

func shorten(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// runClients runs every client's steps until deadline, side by side, and
// returns when all have stopped. A client stops early when a step gets no
// final answer, as an IdP whose request hangs would.
func runClients(clients []*soakClient, deadline time.Time, counters *soakCounters) {
	var workers sync.WaitGroup
	for _, c := range clients {
		workers.Go(func() {
			for time.Now().Before(deadline) {
				if err := c.step(); err != nil {
					counters.fail("client %d (%s): %v", c.n, c.style(), err)
					if !errors.Is(err, errUnexpected) {
						return // no final answer within a minute: this client is stuck
					}
				}
			}
		})
	}
	workers.Wait()
}
