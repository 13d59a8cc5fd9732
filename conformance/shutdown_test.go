package conformance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestGracefulShutdown sends SIGTERM while requests wait on a slow Absorb:
// they must all be answered (no connection reset), new connections must be
// refused at once, the process must exit 0, and a restart on the same data
// must serve every user and group exactly as before, including what the
// interrupted requests wrote.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	fake := startFake(t, nil, "")
	srv := startServe(t, serveOptions{absorbURL: fake.url, shutdownGrace: 10 * time.Second})
	srv.waitReady(t, 20*time.Second)
	idp := srv.idp()
	var ids []string
	for i := range 6 {
		r := idp.must(t, http.StatusCreated, http.MethodPost, "/Users", userDoc(fmt.Sprintf("steady-%d@example.com", i), "Steady", fmt.Sprint(i), nil))
		ids = append(ids, r.doc()["id"].(string))
	}
	for i := range 2 {
		idp.must(t, http.StatusCreated, http.MethodPost, "/Groups", map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": fmt.Sprintf("Steady Group %d", i),
			"members":     []any{map[string]any{"value": ids[i]}, map[string]any{"value": ids[i+2]}},
		})
	}

	want := map[string]map[string]any{}
	for _, kind := range []string{"/Users", "/Groups"} {
		for _, res := range listAll(t, idp, kind) {
			want[res["id"].(string)] = res
		}
	}

	fake.resetStats(t)
	fake.setFaults(t, "latency=1500ms")
	type inflight struct {
		label, method, path string
		body                any
		want                int
	}
	requests := []inflight{
		{"create a", http.MethodPost, "/Users", userDoc("late-a@example.com", "Late", "A", nil), http.StatusCreated},
		{"create b", http.MethodPost, "/Users", userDoc("late-b@example.com", "Late", "B", nil), http.StatusCreated},
		{"create c", http.MethodPost, "/Users", userDoc("late-c@example.com", "Late", "C", nil), http.StatusCreated},
		{"patch", http.MethodPatch, "/Users/" + ids[4], patchOp(map[string]any{"op": "replace", "path": "title", "value": "Night Shift"}), http.StatusOK},
		{"put", http.MethodPut, "/Users/" + ids[5], userDoc("steady-5@example.com", "Steady", "Five", map[string]any{"title": "Day Shift"}), http.StatusOK},
	}
	answers := make([]reply, len(requests))
	var wg sync.WaitGroup
	for i, rq := range requests {
		wg.Go(func() {
			r, err := idp.send(context.Background(), rq.method, rq.path, rq.body)
			if err != nil {
				t.Errorf("%s, in flight during shutdown: no answer: %v", rq.label, err)
				return
			}
			if r.status != rq.want {
				t.Errorf("%s, in flight during shutdown: %s, want %d", rq.label, r, rq.want)
			}
			answers[i] = r
		})
	}
	waitFor(t, 10*time.Second, "the requests to reach Absorb", func() bool {
		var s fakeStats
		return fake.control(http.MethodGet, "/_fake/stats", &s) == nil &&
			s.Requests["POST /users"] >= 3 && s.Requests["PUT /users/{id}"] >= 2
	})
	start := time.Now()
	type exit struct {
		code int
		err  error
	}
	exited := make(chan exit, 1)
	go func() {
		code, err := srv.terminate(20 * time.Second)
		exited <- exit{code, err}
	}()
	// The listener closes when the bridge begins to stop; no client can be
	// told of that except by knocking. A connection made before it closed
	// is closed at once, so the bridge need not wait for it to send a
	// request.
	waitFor(t, 5*time.Second, "the bridge to refuse new connections", func() bool {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(srv.base, "http://"), time.Second)
		if err == nil {
			c.Close()
		}
		return errors.Is(err, syscall.ECONNREFUSED)
	})
	if status, body := probe(srv.base + "/healthz"); status != 0 {
		t.Errorf("a new connection during shutdown was answered: %d %s", status, body)
	}
	_, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}).Get(srv.base + "/healthz")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("a new connection during shutdown: %v, want connection refused", err)
	}
	wg.Wait()
	if e := <-exited; e.err != nil || e.code != 0 {
		t.Errorf("exit after SIGTERM: code %d, %v; want 0:\n%s", e.code, e.err, srv.logs)
	}
	t.Logf("stopped %s after SIGTERM", time.Since(start).Round(10*time.Millisecond))
	if t.Failed() {
		t.FailNow()
	}

	// What the IdP was told before the restart is what it reads after.
	for _, a := range answers {
		doc := a.doc()
		want[doc["id"].(string)] = doc
	}
	fake.setFaults(t, "")
	srv = srv.mustRestart(t)
	got := map[string]map[string]any{}
	for _, kind := range []string{"/Users", "/Groups"} {
		for _, res := range listAll(t, srv.idp(), kind) {
			got[res["id"].(string)] = res
		}
	}
	if len(want) != 6+3+2 {
		t.Errorf("%d resources known before the restart, want 11", len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("%s %v is gone after the restart", id, w["userName"])
			continue
		}
		if diff := cmp.Diff(w, g, cmp.FilterPath(func(p cmp.Path) bool {
			return p.String() == "members" || p.String() == "groups" // compared below, order aside
		}, cmp.Ignore())); diff != "" {
			t.Errorf("%s changed across the restart (-before +after):\n%s", id, diff)
		}
		if len(asList(w["members"])) != len(asList(g["members"])) || len(asList(w["groups"])) != len(asList(g["groups"])) {
			t.Errorf("%s: members or groups changed across the restart: %v %v -> %v %v", id, w["members"], w["groups"], g["members"], g["groups"])
		}
	}
	if len(got) != len(want) {
		t.Errorf("after the restart %d resources, before %d", len(got), len(want))
	}
}

// listAll lists every resource of a kind, one page of up to 1000.
func listAll(t *testing.T, idp *idpClient, kind string) []map[string]any {
	t.Helper()
	r, err := idp.send(context.Background(), http.MethodGet, kind+"?count=1000", nil)
	if err != nil || r.status != http.StatusOK {
		t.Fatalf("list %s: %v %s", kind, err, r)
	}
	var out []map[string]any
	for _, res := range asList(r.doc()["Resources"]) {
		out = append(out, res.(map[string]any))
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
