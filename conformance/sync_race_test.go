package conformance

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSyncKeepsIdPWrites writes users continuously while the bridge polls
// Absorb for changes made there (every second). Absorb dates edits to the
// second, so a poll often reads an account between two of the bridge's
// own writes in the same second; folding that read in would undo the
// newer write. Every answer must show the user as the IdP last wrote it,
// and so must Absorb at the end.
func TestSyncKeepsIdPWrites(t *testing.T) {
	t.Parallel()
	fake := startFake(t, nil, "")
	srv := startServe(t, serveOptions{absorbURL: fake.url, syncInterval: time.Second})
	srv.waitReady(t, 20*time.Second)
	idp := srv.idp()
	const writers = 8
	until := time.Now().Add(4 * time.Second)
	type last struct{ title, family string }
	finals := make([]last, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			name := fmt.Sprintf("polled-%d@example.com", w)
			r, err := idp.send(context.Background(), http.MethodPost, "/Users", userDoc(name, "Polly", "F0", map[string]any{"title": "T0"}))
			if err != nil || r.status != http.StatusCreated {
				t.Errorf("create %s: %v %s", name, err, r)
				return
			}
			id := r.doc()["id"].(string)
			cur := last{title: "T0", family: "F0"}
			for k := 1; time.Now().Before(until); k++ {
				op := map[string]any{"op": "Replace", "path": "title", "value": fmt.Sprintf("T%d", k)}
				next := cur
				if k%2 == 0 {
					op = map[string]any{"op": "Replace", "path": "name.familyName", "value": fmt.Sprintf("F%d", k)}
					next.family = fmt.Sprintf("F%d", k)
				} else {
					next.title = fmt.Sprintf("T%d", k)
				}
				r, err := idp.send(context.Background(), http.MethodPatch, "/Users/"+id, patchOp(op))
				if err != nil || r.status != http.StatusOK {
					t.Errorf("patch %s: %v %s", name, err, r)
					return
				}
				n, _ := r.doc()["name"].(map[string]any)
				if got := (last{title: fmt.Sprint(r.doc()["title"]), family: fmt.Sprint(n["familyName"])}); got != next {
					t.Errorf("%s, write %d: answered title %q family %q, want %q %q: an earlier state came back", name, k, got.title, got.family, next.title, next.family)
					return
				}
				cur = next
			}
			finals[w] = cur
		})
	}
	wg.Wait()
	// Two more polls: the first ends after the last write, the second
	// reads Absorb entirely after it.
	end := time.Now()
	var first time.Time
	waitFor(t, 10*time.Second, "a sync pass to end after the writes", func() bool {
		first = srv.lastSyncPass(t)
		return first.After(end)
	})
	waitFor(t, 10*time.Second, "one more sync pass", func() bool {
		return srv.lastSyncPass(t).After(first)
	})
	ab := fake.auditor(t)
	for w, want := range finals {
		if want.title == "" {
			continue
		}
		name := fmt.Sprintf("polled-%d@example.com", w)
		a := ab.usersNamed(t, name)
		if len(a) != 1 || a[0]["jobTitle"] != want.title || a[0]["lastName"] != want.family {
			t.Errorf("%s in Absorb: %v, want title %q family %q", name, a, want.title, want.family)
		}
	}
}

// lastSyncPass reads, from the bridge's /metrics, when its last successful
// sync pass with Absorb ended; zero before the first.
func (s *serveProc) lastSyncPass(t *testing.T) time.Time {
	t.Helper()
	const metric = "absorb_scim_sync_last_success_timestamp_seconds "
	status, body := probe(s.base + "/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", status, body)
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, metric); ok {
			secs, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("/metrics: %q: %v", line, err)
			}
			return time.Unix(0, int64(secs*1e9))
		}
	}
	return time.Time{}
}
