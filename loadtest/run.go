package loadtest

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// user is what the workers know of one SCIM user.
type user struct {
	id, userName, externalID string
}

// sample is one measured request.
type sample struct {
	d      time.Duration
	status int // 0 for a transport error
}

// Run preloads or discovers users, then runs the mix with Concurrency
// workers until Duration has passed, Requests were sent or ctx ends, and
// reports what it measured. It returns an error for an invalid Config, when
// the preload or discovery fails outright, or when the mix needs existing
// users and there are none.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	c := &runner{cfg: cfg, runID: runID()}
	rep := &Report{Concurrency: cfg.Concurrency}
	before, err := c.absorbStats(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.Users > 0 {
		pre, err := c.preload(ctx)
		if err != nil {
			return nil, err
		}
		rep.Preload = pre
	} else if err := c.discover(ctx); err != nil {
		return nil, err
	}
	rep.Users = len(c.users)
	needUsers := cfg.Mix[OpGet]+cfg.Mix[OpFilter]+cfg.Mix[OpExtFilter]+cfg.Mix[OpPatch] > 0
	if needUsers && len(c.users) == 0 {
		return nil, errors.New("the mix reads or patches users, and there are none: preload some with -users")
	}
	if err := c.measure(ctx, rep); err != nil {
		return nil, err
	}
	after, err := c.absorbStats(ctx)
	if err != nil {
		return nil, err
	}
	if before != nil && after != nil {
		rep.Absorb = after.minus(before)
	}
	return rep, nil
}

// runner holds the state of one run.
type runner struct {
	cfg   Config
	runID string
	users []user
}

// runID makes the names of one run's users unique.
func runID() string {
	var b [4]byte
	_, _ = crand.Read(b[:]) // never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// do sends one request and reads the whole answer.
func (c *runner) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, b, err
}

// userDoc is the SCIM document of the n-th user of a run.
func userDoc(userName, externalID string, n int) map[string]any {
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":   userName,
		"externalId": externalID,
		"name":       map[string]any{"givenName": "Load", "familyName": fmt.Sprintf("User%d", n)},
		"emails":     []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"title":      "Tester",
		"active":     true,
	}
}

// preload creates Users users through /Bulk, BulkSize at a time, one
// request after the other; operations answered 429 or 503 are sent again
// (at most five times) after a pause.
func (c *runner) preload(ctx context.Context) (*Preload, error) {
	start := time.Now()
	pre := &Preload{}
	pending := make([]int, c.cfg.Users)
	for i := range pending {
		pending[i] = i
	}
	for attempt := 1; len(pending) > 0 && attempt <= 5; attempt++ {
		var retry []int
		for lo := 0; lo < len(pending); lo += c.cfg.BulkSize {
			batch := pending[lo:min(lo+c.cfg.BulkSize, len(pending))]
			again, err := c.bulkCreate(ctx, batch, pre)
			if err != nil {
				return nil, err
			}
			retry = append(retry, again...)
		}
		pending = retry
		if len(pending) > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Second):
			}
		}
	}
	pre.Failed += len(pending)
	pre.Users = len(c.users)
	pre.Elapsed = time.Since(start)
	return pre, nil
}

// bulkCreate sends one /Bulk request creating the users numbered in batch
// and returns those to send again.
func (c *runner) bulkCreate(ctx context.Context, batch []int, pre *Preload) ([]int, error) {
	type op struct {
		Method string         `json:"method"`
		Path   string         `json:"path"`
		BulkID string         `json:"bulkId"`
		Data   map[string]any `json:"data"`
	}
	ops := make([]op, len(batch))
	byBulkID := make(map[string]user, len(batch))
	num := make(map[string]int, len(batch))
	for i, n := range batch {
		name := fmt.Sprintf("load-%s-%d@example.com", c.runID, n)
		ext := fmt.Sprintf("load-%s-%d", c.runID, n)
		bid := fmt.Sprintf("u%d", n)
		ops[i] = op{Method: http.MethodPost, Path: "/Users", BulkID: bid, Data: userDoc(name, ext, n)}
		byBulkID[bid] = user{userName: name, externalID: ext}
		num[bid] = n
	}
	body, err := json.Marshal(map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
		"Operations": ops,
	})
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	status, answer, err := c.do(ctx, http.MethodPost, "/Bulk", body)
	if err != nil {
		return nil, fmt.Errorf("bulk preload: %w", err)
	}
	pre.Requests++
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		pre.Throttled += len(batch)
		return batch, nil
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("bulk preload: status %d: %s", status, clip(answer))
	}
	var resp struct {
		Operations []struct {
			BulkID, Status, Location string
		}
	}
	if err := json.Unmarshal(answer, &resp); err != nil {
		return nil, fmt.Errorf("bulk preload: decode answer: %w", err)
	}
	var again []int
	created := 0
	for _, o := range resp.Operations {
		u, ok := byBulkID[o.BulkID]
		if !ok {
			continue
		}
		switch o.Status {
		case "201":
			u.id = lastSegment(o.Location)
			c.users = append(c.users, u)
			created++
		case "429", "503":
			pre.Throttled++
			again = append(again, num[o.BulkID])
		default:
			pre.Failed++
		}
	}
	if c.cfg.Progress != nil {
		fmt.Fprintf(c.cfg.Progress, "bulk: %d users created, %d to retry, in %s (%d so far)\n",
			created, len(again), time.Since(t0).Round(time.Millisecond), len(c.users))
	}
	return again, nil
}

func lastSegment(loc string) string {
	for i := len(loc) - 1; i >= 0; i-- {
		if loc[i] == '/' {
			s, err := url.PathUnescape(loc[i+1:])
			if err != nil {
				return loc[i+1:]
			}
			return s
		}
	}
	return loc
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// discover reads up to DiscoverUsers existing users.
func (c *runner) discover(ctx context.Context) error {
	for start := 1; len(c.users) < DiscoverUsers; {
		q := url.Values{"startIndex": {fmt.Sprint(start)}, "count": {"1000"}, "attributes": {"userName,externalId"}}
		status, body, err := c.do(ctx, http.MethodGet, "/Users?"+q.Encode(), nil)
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		if status != http.StatusOK {
			return fmt.Errorf("list users: status %d: %s", status, clip(body))
		}
		var page struct {
			TotalResults int `json:"totalResults"`
			Resources    []struct {
				ID         string `json:"id"`
				UserName   string `json:"userName"`
				ExternalID string `json:"externalId"`
			} `json:"Resources"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		for _, r := range page.Resources {
			c.users = append(c.users, user{id: r.ID, userName: r.UserName, externalID: r.ExternalID})
		}
		start += len(page.Resources)
		if len(page.Resources) == 0 || start > page.TotalResults {
			break
		}
	}
	return nil
}

// measure runs the workers and fills rep with what they measured.
func (c *runner) measure(ctx context.Context, rep *Report) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Duration)
	defer cancel()
	ops := make([]string, 0, len(c.cfg.Mix))
	for op := range c.cfg.Mix {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var cum []int
	total := 0
	for _, op := range ops {
		total += c.cfg.Mix[op]
		cum = append(cum, total)
	}
	var (
		sent    atomic.Int64
		wg      sync.WaitGroup
		mu      sync.Mutex
		samples = make(map[string][]sample)
	)
	start := time.Now()
	for w := range c.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w)+1, uint64(start.UnixNano())))
			send := c.sender(ctx)
			mine := make(map[string][]sample)
			for n := 0; ctx.Err() == nil; n++ {
				if sent.Add(1) > int64(c.cfg.Requests) {
					break
				}
				pick := rng.IntN(total)
				op := ops[sort.SearchInts(cum, pick+1)]
				s, ok := c.one(ctx, send, op, rng, w, n)
				if !ok {
					break // the run ended during the request
				}
				mine[op] = append(mine[op], s)
			}
			mu.Lock()
			for op, ss := range mine {
				samples[op] = append(samples[op], ss...)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	var all []sample
	for _, op := range ops {
		ss := samples[op]
		all = append(all, ss...)
		rep.Ops = append(rep.Ops, summarize(op, ss, rep.Elapsed))
	}
	rep.Total = summarize("total", all, rep.Elapsed)
	return nil
}

// sendFunc sends one request of the measured phase and returns the status.
type sendFunc func(method, path string, body []byte) (int, error)

// sender returns a worker's way of sending: its own keep-alive connection
// for plain http, else the shared net/http client.
func (c *runner) sender(ctx context.Context) sendFunc {
	raw, err := newRawClient(c.cfg.BaseURL, c.cfg.Token, 30*time.Second)
	if err == nil && raw != nil {
		raw.stopAt, _ = ctx.Deadline() // a request in flight when the run ends is cut off
		return raw.do
	}
	return func(method, path string, body []byte) (int, error) {
		status, _, err := c.do(ctx, method, path, body)
		return status, err
	}
}

// one sends one request of op and measures it; ok is false when the run
// ended while it was in flight.
func (c *runner) one(ctx context.Context, send sendFunc, op string, rng *rand.Rand, worker, n int) (sample, bool) {
	var (
		method = http.MethodGet
		path   string
		body   []byte
	)
	var u user
	if len(c.users) > 0 {
		u = c.users[rng.IntN(len(c.users))]
	}
	switch op {
	case OpGet:
		path = "/Users/" + url.PathEscape(u.id)
	case OpFilter:
		path = "/Users?filter=" + url.QueryEscape(fmt.Sprintf("userName eq %q", u.userName))
	case OpExtFilter:
		path = "/Users?filter=" + url.QueryEscape(fmt.Sprintf("externalId eq %q", u.externalID))
	case OpPatch:
		method, path = http.MethodPatch, "/Users/"+url.PathEscape(u.id)
		body = []byte(fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],`+
			`"Operations":[{"op":"replace","path":"title","value":"Title %d-%d"}]}`, worker, n))
	case OpCreate:
		method, path = http.MethodPost, "/Users"
		name := fmt.Sprintf("load-%s-w%d-%d@example.com", c.runID, worker, n)
		body, _ = json.Marshal(userDoc(name, fmt.Sprintf("load-%s-w%d-%d", c.runID, worker, n), n))
	}
	t0 := time.Now()
	status, err := send(method, path, body)
	d := time.Since(t0)
	if err != nil {
		if dl, ok := ctx.Deadline(); ctx.Err() != nil || ok && !time.Now().Before(dl) {
			return sample{}, false
		}
		return sample{d: d}, true
	}
	return sample{d: d, status: status}, true
}
