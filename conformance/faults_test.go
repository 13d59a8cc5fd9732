package conformance

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestUpstreamConditionsAreHonest checks what an IdP is told when Absorb
// throttles, fails or is down: 429 or 503 with Retry-After, which Entra
// honours by pausing and retrying only the failed requests, and never a
// 500, which counts towards Entra's quarantine. Reads are answered from
// the bridge's own copy whatever Absorb does. Once the condition ends, the
// IdP's retries succeed.
func TestUpstreamConditionsAreHonest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		faults string // "" stops the fake instead
		want   int
	}{
		{name: "throttled", faults: "throttle=1", want: http.StatusTooManyRequests},
		{name: "failing", faults: "error5xx=1", want: http.StatusServiceUnavailable},
		{name: "dropping connections", faults: "reset=1", want: http.StatusServiceUnavailable},
		{name: "down", want: http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := startFake(t, nil, "")
			srv := startServe(t, serveOptions{absorbURL: fake.url, groupRules: true})
			srv.waitReady(t, 20*time.Second)
			idp := srv.idp()
			ids := map[string]string{}
			for _, name := range []string{"put", "patch", "deactivate", "delete"} {
				r := idp.must(t, http.StatusCreated, http.MethodPost, "/Users", userDoc(name+"@example.com", "Pat", name, nil))
				ids[name] = r.doc()["id"].(string)
			}
			r := idp.must(t, http.StatusCreated, http.MethodPost, "/Groups", map[string]any{
				"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Sales Team",
			})
			groupID := r.doc()["id"].(string)
			writes := []struct {
				name, method, path string
				body               any
			}{
				{"create", http.MethodPost, "/Users", userDoc("new@example.com", "New", "Hire", nil)},
				{"replace", http.MethodPut, "/Users/" + ids["put"], userDoc("put@example.com", "Pat", "put", map[string]any{"title": "Changed"})},
				{"patch", http.MethodPatch, "/Users/" + ids["patch"], patchOp(map[string]any{"op": "replace", "path": "title", "value": "Changed"})},
				{"deactivate", http.MethodPatch, "/Users/" + ids["deactivate"], patchOp(map[string]any{"op": "Replace", "path": "active", "value": "False"})},
				{"delete", http.MethodDelete, "/Users/" + ids["delete"], nil},
			}
			fake.resetStats(t)
			if tc.faults == "" {
				fake.mustKill(t)
			} else {
				fake.setFaults(t, tc.faults)
			}

			// A group push is stored at once; the rule's work in Absorb waits
			// for Absorb, so the IdP (Okta does not retry a 400) sees success.
			idp.must(t, http.StatusNoContent, http.MethodPatch, "/Groups/"+groupID, patchOp(map[string]any{
				"op": "add", "path": "members", "value": []any{map[string]any{"value": ids["put"]}},
			}))

			replies := make([]reply, len(writes))
			var wg sync.WaitGroup
			for i, w := range writes {
				wg.Go(func() {
					r, err := idp.send(context.Background(), w.method, w.path, w.body)
					if err != nil {
						t.Errorf("%s: no answer: %v", w.name, err)
					}
					replies[i] = r
				})
			}
			// Reads need nothing from Absorb.
			idp.must(t, http.StatusOK, http.MethodGet, "/Users/"+ids["put"], nil)
			idp.must(t, http.StatusOK, http.MethodGet, `/Users?filter=userName eq "put@example.com"`, nil)
			wg.Wait()
			for i, w := range writes {
				r := replies[i]
				if r.status != tc.want {
					t.Errorf("%s: got %s, want %d", w.name, r, tc.want)
					continue
				}
				if _, ok := retryAfterSeconds(r.header); !ok {
					t.Errorf("%s: %d without a Retry-After in seconds (got %q)", w.name, r.status, r.header.Get("Retry-After"))
				}
				if d := r.doc(); d["status"] != fmt.Sprint(tc.want) || d["schemas"] == nil {
					t.Errorf("%s: body is not a SCIM error: %s", w.name, r)
				}
			}
			if tc.faults == "" {
				return
			}
			st := fake.stats(t)
			injected := st.Faults.Throttle + st.Faults.Error5xx + st.Faults.Reset
			if injected == 0 {
				t.Fatalf("no fault was injected: %+v", st)
			}
			t.Logf("faults injected: %+v", st.Faults)

			// The condition ends; the IdP retries what failed, in order.
			fake.setFaults(t, "")
			for _, w := range writes {
				r, err := idp.send(context.Background(), w.method, w.path, w.body)
				if err != nil || r.status >= 300 {
					t.Errorf("%s retried after recovery: %v %s", w.name, err, r)
				}
			}
			ab := fake.auditor(t)
			sales := ab.departmentID(t, "Sales")
			waitFor(t, 15*time.Second, "the group rule to move put@example.com to Sales", func() bool {
				a := ab.usersNamed(t, "put@example.com")
				return len(a) == 1 && a[0]["departmentId"] == sales
			})
			for name, want := range map[string]map[string]any{
				"new@example.com":        {"activeStatus": 0.0},
				"put@example.com":        {"jobTitle": "Changed", "activeStatus": 0.0},
				"patch@example.com":      {"jobTitle": "Changed", "activeStatus": 0.0},
				"deactivate@example.com": {"activeStatus": 1.0},
				"delete@example.com":     {"activeStatus": 1.0},
			} {
				accounts := ab.usersNamed(t, name)
				if len(accounts) != 1 {
					t.Errorf("Absorb accounts named %s: %d, want 1", name, len(accounts))
					continue
				}
				for field, v := range want {
					if accounts[0][field] != v {
						t.Errorf("Absorb %s %s = %v, want %v", name, field, accounts[0][field], v)
					}
				}
			}
		})
	}
}

// TestTokenTheft revokes the bridge's Absorb token again and again (another
// login as the same admin does that) while 32 IdP connections write. No
// write may fail, and the bridge must log in again once per theft at most:
// concurrent calls that meet the same revoked token share one login.
func TestTokenTheft(t *testing.T) {
	t.Parallel()
	fake := startFake(t, nil, "latency=20ms")
	srv := startServe(t, serveOptions{absorbURL: fake.url})
	srv.waitReady(t, 20*time.Second)
	idp := srv.idp()
	idp.must(t, http.StatusCreated, http.MethodPost, "/Users", userDoc("warm-up@example.com", "Warm", "Up", nil))
	fake.resetStats(t)

	var (
		steals  atomic.Int64
		stop    = make(chan struct{})
		stolen  = make(chan struct{})
		writers sync.WaitGroup
	)
	go func() {
		defer close(stolen)
		for {
			// Each token is stolen 100 ms after the login that made it: the
			// pace of the attack under test. A thief on a clock of its own
			// could strike a moment after a login, and on a machine slow
			// enough do it to one write more often than any client retries.
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			var before fakeStats
			if err := fake.control(http.MethodGet, "/_fake/stats", &before); err != nil {
				t.Errorf("fake stats: %v", err)
				return
			}
			revoked, err := fake.stealToken()
			if err != nil {
				t.Errorf("steal token: %v", err)
				return
			}
			if !revoked {
				continue
			}
			steals.Add(1)
			for { // until the bridge has logged in again
				var now fakeStats
				if err := fake.control(http.MethodGet, "/_fake/stats", &now); err != nil {
					t.Errorf("fake stats: %v", err)
					return
				}
				if now.Logins > before.Logins {
					break
				}
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}
	}()
	const writersN = 32
	var failed atomic.Int64
	titles := make([]string, writersN) // the last title each writer set
	// The writers go on until the thief has struck wantSteals times, however
	// long a busy machine makes that; giveUp only bounds a broken run.
	const wantSteals = 10
	giveUp := time.Now().Add(30 * time.Second)
	for i := range writersN {
		writers.Go(func() {
			name := fmt.Sprintf("theft-%02d@example.com", i)
			r, err := idp.send(context.Background(), http.MethodPost, "/Users", userDoc(name, "Theo", fmt.Sprint(i), nil))
			if err != nil || r.status != http.StatusCreated {
				failed.Add(1)
				t.Errorf("create %s: %v %s", name, err, r)
				return
			}
			id := r.doc()["id"].(string)
			// Entra and Okta shapes in turn, until the thief has struck
			// many times.
			for j := 0; steals.Load() < wantSteals && time.Now().Before(giveUp); j++ {
				op := map[string]any{"op": "replace", "path": "title", "value": fmt.Sprintf("Title %d.%d", i, j)}
				if j%2 == 1 {
					op = map[string]any{"op": "Replace", "value": map[string]any{"title": fmt.Sprintf("Title %d.%d", i, j)}}
				}
				r, err := idp.send(context.Background(), http.MethodPatch, "/Users/"+id, patchOp(op))
				if err != nil || r.status != http.StatusOK {
					failed.Add(1)
					t.Errorf("patch %d of %s: %v %s", j, name, err, r)
					continue
				}
				titles[i] = fmt.Sprintf("Title %d.%d", i, j)
			}
		})
	}
	writers.Wait()
	close(stop)
	<-stolen
	if failed.Load() > 0 {
		logged := 0
		for _, l := range strings.Split(srv.logs.String(), "\n") {
			if strings.Contains(l, "\"err\"") && logged < 5 {
				t.Log("bridge log: " + l)
				logged++
			}
		}
	}
	st := fake.stats(t)
	t.Logf("steals %d, logins %d, failed writes %d, requests %d", steals.Load(), st.Logins, failed.Load(), st.Total)
	if steals.Load() < wantSteals {
		t.Errorf("only %d thefts happened during the writes; the test proves nothing", steals.Load())
	}
	if int64(st.Logins) > steals.Load()+1 {
		t.Errorf("logins %d > thefts %d + 1: concurrent calls did not share a login", st.Logins, steals.Load())
	}
	ab := fake.auditor(t)
	for i := range writersN {
		name := fmt.Sprintf("theft-%02d@example.com", i)
		accounts := ab.usersNamed(t, name)
		if len(accounts) != 1 {
			t.Errorf("Absorb accounts named %s: %d, want 1", name, len(accounts))
			continue
		}
		// A writer the thief outran never set a title: absent and "" are the
		// same empty title.
		got, _ := accounts[0]["jobTitle"].(string)
		if want := titles[i]; got != want && failed.Load() == 0 {
			t.Errorf("%s: jobTitle %v, want %v", name, got, want)
		}
	}
}

// TestAbsorbDownAtStart starts the bridge while Absorb cannot be reached:
// it must start anyway (a bridge that crash-loops helps nobody), say it is
// not ready, answer writes with 503 and Retry-After, and recover by itself
// once Absorb is back.
func TestAbsorbDownAtStart(t *testing.T) {
	t.Parallel()
	// Absorb's port is the test's from the start, refusing connections
	// until the fake is started on it.
	absorbSock := mustBindSocket(t, "")
	srv := startServe(t, serveOptions{absorbURL: "http://" + absorbSock.addr})
	if status, body := probe(srv.base + "/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Absorb down: %d %s, want 503", status, body)
	}
	idp := srv.idp()
	body := userDoc("early@example.com", "Early", "Bird", nil)
	r, err := idp.send(context.Background(), http.MethodPost, "/Users", body)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusServiceUnavailable {
		t.Errorf("create with Absorb down: %s, want 503", r)
	}
	if _, ok := retryAfterSeconds(r.header); !ok {
		t.Errorf("create with Absorb down: no Retry-After in seconds (got %q)", r.header.Get("Retry-After"))
	}
	idp.must(t, http.StatusOK, http.MethodGet, "/Users", nil)

	fake := startFake(t, absorbSock, "")
	start := time.Now()
	srv.waitReady(t, 40*time.Second)
	t.Logf("ready %s after Absorb came up", time.Since(start).Round(100*time.Millisecond))
	idp.must(t, http.StatusCreated, http.MethodPost, "/Users", body)
	if n := len(fake.auditor(t).usersNamed(t, "early@example.com")); n != 1 {
		t.Errorf("Absorb accounts named early@example.com: %d, want 1", n)
	}
}
