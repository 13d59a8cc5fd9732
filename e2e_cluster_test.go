package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/internal/pgtest"
)

// metricsOf returns the text of base's /metrics.
func metricsOf(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

// With a bbolt file the one replica runs the background work and takes the
// whole rate.
func TestOneReplicaLeadsAlone(t *testing.T) {
	fake := startFake(t)
	srv := startServe(t, baseConfig(t, fake))
	srv.waitReady(t)
	text := metricsOf(t, srv.base)
	if v := metricValue(t, text, "absorb_scim_worker_leader"); v != 1 {
		t.Errorf("absorb_scim_worker_leader %v, want 1", v)
	}
	if v := metricValue(t, text, "absorb_scim_replicas"); v != 1 {
		t.Errorf("absorb_scim_replicas %v, want 1", v)
	}
}

// replica is one `absorb-scim serve` of several sharing a database.
type replica struct {
	*e2eServer
	stop func() // stops it cleanly and waits
}

// startReplica runs `serve` with cfg, as startServe does, with a stop of
// its own.
func startReplica(t *testing.T, cfg map[string]any) *replica {
	t.Helper()
	path := writeConfig(t, cfg)
	addr, fd := listenFD(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &e2eServer{base: "http://" + addr, stderr: &lockedBuffer{}, client: &http.Client{Timeout: 20 * time.Second}, done: make(chan error, 1)}
	go func() {
		s.done <- run(ctx, []string{"serve", "-config", path, "-listen-fd", strconv.Itoa(fd)}, emptyEnv, io.Discard, s.stderr)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-s.done:
				if err != nil {
					t.Errorf("serve returned %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Errorf("serve did not stop within 15s of its context ending")
			}
		})
	}
	t.Cleanup(stop)
	return &replica{e2eServer: s, stop: stop}
}

// leaders sums absorb_scim_worker_leader over replicas.
func leaders(t *testing.T, replicas []*replica) float64 {
	t.Helper()
	sum := 0.0
	for _, r := range replicas {
		sum += metricValue(t, metricsOf(t, r.base), "absorb_scim_worker_leader")
	}
	return sum
}

// Three replicas on one PostgreSQL database and one Absorb: one login for
// all, one worker, writes of one userName serialised whichever replica
// they reach, and the work moves when its replica stops.
func TestReplicasShareOneTokenOneWorkerAndTheLocks(t *testing.T) {
	db := pgtest.URL(t)
	fake := startFake(t)
	cfg := baseConfig(t, fake)
	cfg["storage"] = map[string]any{"driver": "postgres", "postgres": map[string]any{"url": db}}
	var replicas []*replica
	for range 3 { // all at once, as a deployment starts them
		replicas = append(replicas, startReplica(t, cfg))
	}
	for _, r := range replicas {
		r.waitReady(t)
	}
	if got := fake.srv.Stats().Logins; got != 1 {
		t.Errorf("logins of three replicas = %d, want 1", got)
	}
	if got := leaders(t, replicas); got != 1 {
		t.Errorf("replicas running the background work: %v, want 1", got)
	}
	for _, r := range replicas {
		if v := metricValue(t, metricsOf(t, r.base), "absorb_scim_replicas"); v != 3 {
			t.Errorf("absorb_scim_replicas %v on %s, want 3", v, r.base)
		}
	}

	// The same new userName sent to every replica at once, three times
	// each (an IdP retrying), is created once.
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []string
	)
	for i := range 9 {
		r := replicas[i%len(replicas)]
		wg.Go(func() {
			resp, b := r.do(t, e2eRequest{method: "POST", path: "/scim/v2/Users", authz: authBearer(oktaToken), body: userJSON("racer@example.com")})
			if resp.StatusCode == http.StatusCreated {
				var u struct{ ID string }
				_ = json.Unmarshal(b, &u)
				mu.Lock()
				created = append(created, u.ID)
				mu.Unlock()
			} else if resp.StatusCode != http.StatusConflict {
				t.Errorf("POST /Users on %s: %d %s, want 201 or 409", r.base, resp.StatusCode, b)
			}
		})
	}
	wg.Wait()
	if len(created) != 1 {
		t.Fatalf("racer@example.com was created %d times, want 1", len(created))
	}
	accounts := 0
	for _, u := range fake.srv.Users() {
		if strings.EqualFold(u.Username, "racer@example.com") {
			accounts++
		}
	}
	if accounts != 1 {
		t.Errorf("Absorb holds %d accounts racer@example.com, want 1", accounts)
	}
	// Every replica answers for it.
	for _, r := range replicas {
		r.scim(t, "GET", "/Users/"+created[0], "", http.StatusOK)
	}

	// Absorb revokes the token, as another login as the bridge's admin
	// would: each replica finds it refused, and one logs in for all.
	fake.srv.StealToken(fakeabsorb.BridgeAdminUsername)
	for i, r := range replicas {
		wg.Go(func() {
			resp, b := r.do(t, e2eRequest{method: "POST", path: "/scim/v2/Users", authz: authBearer(oktaToken), body: userJSON(fmt.Sprintf("after.theft.%d@example.com", i))})
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("POST /Users on %s after the theft: %d %s", r.base, resp.StatusCode, b)
			}
		})
	}
	wg.Wait()
	if got := fake.srv.Stats().Logins; got != 2 {
		t.Errorf("logins after the shared token was refused = %d, want 2", got)
	}

	// The replica running the work stops: another takes it over. The
	// lease is polled through the metrics, which say who holds it.
	var rest []*replica
	for _, r := range replicas {
		if metricValue(t, metricsOf(t, r.base), "absorb_scim_worker_leader") == 1 {
			r.stop()
			continue
		}
		rest = append(rest, r)
	}
	if len(rest) != 2 {
		t.Fatalf("%d replicas left, want 2", len(rest))
	}
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for leaders(t, rest) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("no replica took the background work over within 15 s")
		}
		<-tick.C
	}
	if got := fake.srv.Stats().Logins; got != 2 {
		t.Errorf("logins after the worker moved = %d, want still 2", got)
	}
}

// doctor beside a replica on PostgreSQL uses the replicas' token: its own
// login would revoke theirs.
func TestDoctorSharesTheReplicasToken(t *testing.T) {
	db := pgtest.URL(t)
	fake := startFake(t)
	cfg := baseConfig(t, fake)
	cfg["storage"] = map[string]any{"driver": "postgres", "postgres": map[string]any{"url": db}}
	r := startReplica(t, cfg)
	r.waitReady(t)
	if got := fake.srv.Stats().Logins; got != 1 {
		t.Fatalf("logins of one replica = %d, want 1", got)
	}
	out, errOut, err := runCmd(t, "doctor", "-config", writeConfig(t, cfg))
	if err != nil || !strings.Contains(out, "ok   login") {
		t.Fatalf("doctor: %v\n%s%s", err, out, errOut)
	}
	if got := fake.srv.Stats().Logins; got != 1 {
		t.Errorf("logins after doctor ran beside the replica = %d, want still 1", got)
	}
}
