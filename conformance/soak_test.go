package conformance

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Soak settings, from the environment.
const (
	soakLongEnv   = "ABSORB_SCIM_SOAK_LONG" // a duration, e.g. 30m: run the long soak instead of the short one
	soakSeedEnv   = "SOAK_SEED"             // the workload's random seed
	soakFaultsEnv = "SOAK_FAULTS"           // the fake's faults during the run
	soakSyncEnv   = "SOAK_SYNC_INTERVAL"    // the bridge's sync.interval; default 1m, as in production
)

const (
	soakClients   = 8
	soakUsersEach = 12
	soakFaults    = "latency=3ms,error5xx=0.02,throttle=0.02,reset=0.01"
	// soakMaxSleep caps the Retry-After sleeps, so the soak runs fast; Entra
	// would wait the whole delay.
	soakMaxSleep = 150 * time.Millisecond
	// soakShort and soakShortSeed are the run of every go test: short enough
	// for the suite, and the same random choices each time, so a failure
	// there can be replayed.
	soakShort     = 8 * time.Second
	soakShortSeed = 20260101
)

// TestFaultSoak runs a realistic mixed provisioning workload against
// `serve` and a separate `fake-absorb` with faults on: latency, 5xx,
// throttling, connections dropped after the work, the bridge's token stolen
// every few hundred milliseconds, and the bridge killed (SIGKILL) and
// stopped (SIGTERM) and restarted mid-run. Eight IdP connections, half in
// Entra's request shapes and half in Okta's, create, update, deactivate,
// reactivate, delete, re-hire and push groups concurrently, retrying 429
// and 503 after Retry-After as Entra does. At the end, with the faults off
// and the group rules caught up, Absorb and the bridge must hold exactly
// what the operations imply: one account per username, every field,
// department, active flag and enrollment as expected, and every SCIM user
// and group as the IdPs last wrote them.
//
// By default the workload runs for soakShort with a fixed seed.
// ABSORB_SCIM_SOAK_LONG runs it for the duration given with a new seed
// (see README.md), SOAK_SEED replays a run's random choices, SOAK_FAULTS
// overrides the fault spec.
func TestFaultSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault soak takes a few seconds")
	}
	t.Parallel()
	duration, seed := soakShort, uint64(soakShortSeed)
	if v := os.Getenv(soakLongEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q is not a positive duration", soakLongEnv, v)
		}
		duration, seed = d, uint64(time.Now().UnixNano())
	}
	if v := os.Getenv(soakSeedEnv); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q is not a number", soakSeedEnv, v)
		}
		seed = s
	}
	faults := soakFaults
	if v, ok := os.LookupEnv(soakFaultsEnv); ok {
		faults = v
	}
	syncInterval := time.Minute
	if v := os.Getenv(soakSyncEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			t.Fatalf("%s=%q is not a duration of at least 1s", soakSyncEnv, v)
		}
		syncInterval = d
	}
	t.Logf("soak: %s of workload, %s=%d, faults %q, sync every %s", duration, soakSeedEnv, seed, faults, syncInterval)

	fake := startFake(t, nil, "")
	var (
		srvMu sync.Mutex
		srv   = startServe(t, serveOptions{absorbURL: fake.url, groupRules: true, absorbTimeout: 10 * time.Second, syncInterval: syncInterval})
	)
	srv.waitReady(t, 20*time.Second)
	world := &soakWorld{groups: soakGroups(soakClients)}
	pushSoakGroups(t, srv.idp(), world.groups)
	counters := newSoakCounters()
	var clients []*soakClient
	for i := range soakClients {
		rnd := rand.New(rand.NewPCG(seed, uint64(i)))
		c := &soakClient{
			n: i, okta: i%2 == 1, world: world, rnd: rnd,
			idp:     &soakIdP{idp: srv.idp(), counters: counters, maxSleep: soakMaxSleep, rnd: rand.New(rand.NewPCG(seed, uint64(100+i)))},
			private: world.groups[sharedGroups+i],
		}
		for j := range soakUsersEach {
			c.users = append(c.users, &soakUser{
				userName: fmt.Sprintf("soak-c%d-u%02d@example.com", i, j),
				extID:    fmt.Sprintf("ext-soak-c%d-u%02d", i, j),
				groups:   map[*soakGroup]bool{}, courses: map[string]courseState{}, enrolled: map[string]bool{},
			})
		}
		clients = append(clients, c)
	}

	fake.resetStats(t)
	fake.setFaults(t, faults)
	start := time.Now()
	deadline := start.Add(duration)
	done := make(chan struct{})
	var background sync.WaitGroup

	// The thief: another login as the bridge's admin, every 300 ms. This
	// and the timetables below pace the faults; no test waits on them.
	var steals atomic.Int64
	background.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(300 * time.Millisecond):
			}
			if revoked, err := fake.stealToken(); err == nil && revoked {
				steals.Add(1)
			}
		}
	})
	// Storms: Absorb fails, then throttles, every request for a quarter of
	// the run, at most 8s. In a long soak that is longer than the bridge's
	// own retries last, so the IdPs meet 503 and 429 and must retry after
	// Retry-After; in the short one the bridge's retries mostly ride them
	// out.
	stormLength := min(8*time.Second, duration/4)
	var storms []string
	background.Go(func() {
		for _, st := range []struct {
			at    float64
			spec  string
			label string
		}{{0.2, "error5xx=1", "outage"}, {0.6, "throttle=1", "throttling"}} {
			select {
			case <-done:
				return
			case <-time.After(time.Until(start.Add(time.Duration(st.at * float64(duration))))):
			}
			if err := fake.control(http.MethodPost, "/_fake/faults?spec="+url.QueryEscape(st.spec), nil); err != nil {
				t.Errorf("storm: %v", err)
				return
			}
			select {
			case <-done:
			case <-time.After(stormLength):
			}
			if err := fake.control(http.MethodPost, "/_fake/faults?spec="+url.QueryEscape(faults), nil); err != nil {
				t.Errorf("storm: %v", err)
				return
			}
			storms = append(storms, st.label)
		}
	})
	// The operator: a crash early in the run, a clean stop between the
	// storms.
	var restarts []string
	background.Go(func() {
		for i, at := range []float64{0.1, 0.5} {
			select {
			case <-done:
				return
			case <-time.After(time.Until(start.Add(time.Duration(at * float64(duration))))):
			}
			srvMu.Lock()
			down := time.Now()
			how := "SIGKILL"
			var err error
			if i == 0 {
				err = srv.kill()
			} else {
				how = "SIGTERM"
				var code int
				if code, err = srv.terminate(20 * time.Second); err == nil && code != 0 {
					err = fmt.Errorf("exit code after SIGTERM: %d", code)
				}
			}
			next, rerr := srv.restart(t)
			if err = errors.Join(err, rerr); err != nil {
				t.Errorf("%s and restart: %v", how, err)
			}
			if next != nil {
				srv = next
			}
			restarts = append(restarts, fmt.Sprintf("%s (down %s)", how, time.Since(down).Round(time.Millisecond)))
			srvMu.Unlock()
			if err != nil {
				return
			}
		}
	})

	runClients(clients, deadline, counters)
	workload := time.Since(start)
	close(done)
	background.Wait()
	fakeStats := fake.stats(t)
	fake.setFaults(t, "")

	// With the faults off, the group rules catch up; then everything must
	// match what the operations imply.
	srvMu.Lock()
	final := srv
	srvMu.Unlock()
	var users []*soakUser
	for _, c := range clients {
		users = append(users, c.users...)
	}
	ab := fake.auditor(t)
	cat := readSoakCatalog(t, ab)
	var diffs []string
	settle := time.Now()
	poll(15*time.Second, 200*time.Millisecond, func() bool {
		diffs = mismatches(users, world.groups, readSoakState(t, ab, final.idp()), cat)
		return len(diffs) == 0
	})

	created, live := 0, 0
	for _, u := range users {
		if u.created {
			created++
		}
		if u.live() {
			live++
		}
	}
	var ops []string
	total := 0
	for k, n := range counters.ops {
		ops = append(ops, fmt.Sprintf("%s %d", k, n))
		total += n
	}
	sort.Strings(ops)
	var retries []string
	for k, n := range counters.retries {
		retries = append(retries, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(retries)
	t.Logf("soak summary (%s=%d):", soakSeedEnv, seed)
	t.Logf("  workload      %s, %d clients (%d Entra, %d Okta), settled in %s", workload.Round(time.Millisecond), soakClients, (soakClients+1)/2, soakClients/2, time.Since(settle).Round(time.Millisecond))
	t.Logf("  operations    %d: %s", total, strings.Join(ops, ", "))
	t.Logf("  SCIM requests %d; retries: %s; creates resolved by lookup after a lost answer: %d; most attempts for one request: %d",
		counters.requests, strings.Join(retries, ", "), counters.ambiguous, counters.maxAttempt)
	t.Logf("  faults        %d Absorb requests; injected error5xx %d, throttle %d, reset %d; 429s in all %d; logins %d; token thefts %d",
		fakeStats.Total, fakeStats.Faults.Error5xx, fakeStats.Faults.Throttle, fakeStats.Faults.Reset, fakeStats.Throttled, fakeStats.Logins, steals.Load())
	t.Logf("  restarts      %s; storms of %s: %s", strings.Join(restarts, ", "), stormLength, strings.Join(storms, ", "))
	t.Logf("  end state     %d usernames provisioned, %d live SCIM users, %d groups", created, live, len(world.groups))
	t.Logf("  failures      %d", len(counters.failures))
	t.Logf("  mismatches    %d", len(diffs))

	for _, f := range counters.failures {
		t.Errorf("failed request: %s", f)
	}
	for _, d := range diffs {
		t.Errorf("mismatch: %s", d)
	}
	if len(restarts) < 2 && duration >= 3*time.Second {
		t.Errorf("only %d restarts happened", len(restarts))
	}
	injected := fakeStats.Faults.Error5xx + fakeStats.Faults.Throttle + fakeStats.Faults.Reset
	if faults != "" && injected == 0 {
		t.Error("no fault was injected; the soak proves nothing")
	}
	if t.Failed() {
		t.Logf("bridge warnings and errors (last 40):\n%s", problems(final.logs.String(), 40))
	}
}

// problems returns the last n log lines above INFO.
func problems(logs string, n int) string {
	var lines []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `"level":"WARN"`) || strings.Contains(l, `"level":"ERROR"`) {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
