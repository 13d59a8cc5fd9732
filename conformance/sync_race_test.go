package conformance

import (
	"context"
	"fmt"
	"net/http"
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
	fake := startFake(t, "", "")
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
	time.Sleep(2500 * time.Millisecond) // two more polls
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
