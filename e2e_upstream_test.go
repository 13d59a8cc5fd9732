package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// TestServeKeepsUpstreamConnections: concurrent SCIM writes share kept
// connections to Absorb instead of opening one (a TCP and TLS handshake
// against the real Absorb) per request.
func TestServeKeepsUpstreamConnections(t *testing.T) {
	srv, err := fakeabsorb.New(fakeabsorb.Options{RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	var opened atomic.Int32
	ts := httptest.NewUnstartedServer(&absorbTap{next: srv})
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	fake := &e2eFake{srv: srv, url: ts.URL}
	cfg := baseConfig(t, fake)
	cfg["log"] = map[string]any{"format": "json", "level": "info"}
	s := startServe(t, cfg)
	s.waitReady(t)

	const workers, patchesEach = 16, 25
	ids := make([]string, workers)
	for i := range ids {
		resp, body := s.do(t, e2eRequest{method: "POST", path: "/scim/v2/Users", authz: authBearer(oktaToken),
			body: e2eUser(t, fmt.Sprintf("pool%d@example.com", i), nil)})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %s %s", resp.Status, body)
		}
		var u struct{ ID string }
		if err := json.Unmarshal(body, &u); err != nil {
			t.Fatal(err)
		}
		ids[i] = u.ID
	}
	before := opened.Load()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for n := range patchesEach {
				patch := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],`+
					`"Operations":[{"op":"replace","path":"title","value":"Title %d"}]}`, n)
				resp, body := s.do(t, e2eRequest{method: "PATCH", path: "/scim/v2/Users/" + ids[w], authz: authBearer(oktaToken), body: patch})
				if resp.StatusCode != http.StatusOK {
					t.Errorf("PATCH: %s %s", resp.Status, body)
					return
				}
			}
		})
	}
	wg.Wait()
	// About one connection per client: a request that finds none idle dials,
	// and may then be served by one freed meanwhile, so allow twice that.
	if n := opened.Load() - before; n > 2*workers {
		t.Errorf("%d concurrent PATCHes from %d clients opened %d new connections to Absorb; want at most %d",
			workers*patchesEach, workers, n, 2*workers)
	}
}

// TestServeQueueWaitFromConfig: absorb.maxQueueWait bounds the writes
// waiting for upstream capacity (rate × wait); the rest are answered 429
// with Retry-After at once.
func TestServeQueueWaitFromConfig(t *testing.T) {
	fake := startFake(t)
	cfg := baseConfig(t, fake)
	cfg["log"] = map[string]any{"format": "json", "level": "info"}
	absorb := cfg["absorb"].(map[string]any)
	absorb["rateLimit"] = 10
	absorb["burst"] = 10
	absorb["maxQueueWait"] = "200ms" // 10/s × 0.2 s: two writes at a time
	s := startServe(t, cfg)
	s.waitReady(t)

	const clients = 12
	statuses := make([]int, clients)
	retryAfter := make([]string, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			resp, _ := s.do(t, e2eRequest{method: "POST", path: "/scim/v2/Users", authz: authBearer(oktaToken),
				body: e2eUser(t, fmt.Sprintf("queued%d@example.com", i), nil)})
			statuses[i], retryAfter[i] = resp.StatusCode, resp.Header.Get("Retry-After")
		})
	}
	wg.Wait()
	refused := 0
	for i, st := range statuses {
		switch st {
		case http.StatusCreated:
		case http.StatusTooManyRequests:
			refused++
			if retryAfter[i] == "" {
				t.Errorf("a 429 without Retry-After")
			}
		default:
			t.Errorf("create %d: status %d", i, st)
		}
	}
	if refused == 0 {
		t.Errorf("%d concurrent creates with room for two were all admitted", clients)
	}
}
