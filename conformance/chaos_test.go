package conformance

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/internal/pgtest"
)

// The chaos run: three replicas on one PostgreSQL database, one fake
// Absorb with faults on, replicas killed under traffic.
const (
	chaosReplicas  = 3
	chaosClients   = 8
	chaosUsersEach = 10
	chaosWorkload  = 10 * time.Second
	chaosSeed      = 20261206
	// chaosFaults are latency, 5xx and connections dropped after the
	// work; no throttling, since every 429 the fake answers must be one the
	// replicas earned by exceeding the rate together.
	chaosFaults = "latency=3ms,error5xx=0.03,reset=0.02"
	// chaosRate is absorb.rateLimit, which the replicas share, and the
	// rate the fake enforces: low enough that the workload presses on it,
	// so replicas that each took the whole rate would be throttled.
	chaosRate = 30
	// chaosBurst is absorb.burst, shared the same way; the fake's bucket
	// (chaosFakeBurst) is larger by what a quarter of a second of requests
	// bunched up on the way (a loaded machine) adds.
	chaosBurst     = 10
	chaosFakeBurst = 20
	// leaseTakeover is how soon another replica must run the background
	// work after its holder dies.
	leaseTakeover = 15 * time.Second
)

// TestReplicasSurviveChaos runs three `serve` processes on one PostgreSQL
// database against one `fake-absorb` that adds latency, fails requests and
// drops connections. Eight IdP connections (the fault soak's workload and
// model: creates, re-hires, PATCHes and PUTs, deactivations, deletes, group
// membership) send every attempt, retries included, to the next replica in
// turn, as through a load balancer. A quarter of the way in, a replica that
// does not run the background work is killed with SIGKILL and restarted, as
// its orchestrator would; half way, the replica holding the worker lease is
// killed and stays down. At the end, every username exists exactly once in
// Absorb with the fields, department and enrollments its operations imply,
// every SCIM user and group answers on every surviving replica, the fake
// saw one login in all (the shared token) and answered no 429 (the shared
// rate), and another replica took the background work over within
// leaseTakeover.
func TestReplicasSurviveChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos run of three replicas takes half a minute")
	}
	if os.Getenv(pgtest.EnvVar) == "" {
		t.Skip("three replicas on one database: " + pgtest.SkipMessage)
	}
	t.Parallel()
	dbURL := pgtest.URL(t) // fails the test when the server does not answer

	fake := startFake(t, nil, "")
	if err := fake.control(http.MethodPost, fmt.Sprintf("/_fake/rate-limit?rate=%d&burst=%d", chaosRate, chaosFakeBurst), nil); err != nil {
		t.Fatal(err)
	}
	opts := serveOptions{
		absorbURL: fake.url, groupRules: true, absorbTimeout: 10 * time.Second,
		// A sync every few seconds, so syncs run while other replicas write.
		syncInterval: 3 * time.Second,
		storageURL:   dbURL, rateLimit: chaosRate, burst: chaosBurst,
	}
	replicas := make([]*serveProc, chaosReplicas)
	for i := range replicas {
		replicas[i] = launchServe(t, opts, nil) // each a data directory of its own
	}
	for _, r := range replicas {
		if err := r.waitHealthy(); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range replicas {
		r.waitReady(t, 30*time.Second)
	}
	if _, err := leaderOf(replicas, 15*time.Second); err != nil {
		t.Fatal(err)
	}

	balancer := &roundRobin{}
	for _, r := range replicas {
		balancer.idps = append(balancer.idps, r.idp()) // a restart keeps the address
	}
	world := &soakWorld{groups: soakGroups(chaosClients)}
	pushSoakGroups(t, replicas[0].idp(), world.groups)
	counters := newSoakCounters()
	var clients []*soakClient
	for i := range chaosClients {
		c := &soakClient{
			n: i, okta: i%2 == 1, world: world, rnd: rand.New(rand.NewPCG(chaosSeed, uint64(i))),
			idp:     &soakIdP{spread: balancer, counters: counters, maxSleep: soakMaxSleep, rnd: rand.New(rand.NewPCG(chaosSeed, uint64(100+i)))},
			private: world.groups[sharedGroups+i],
		}
		for j := range chaosUsersEach {
			c.users = append(c.users, &soakUser{
				userName: fmt.Sprintf("soak-chaos-c%d-u%02d@example.com", i, j),
				extID:    fmt.Sprintf("ext-soak-chaos-c%d-u%02d", i, j),
				groups:   map[*soakGroup]bool{}, courses: map[string]courseState{}, enrolled: map[string]bool{},
			})
		}
		clients = append(clients, c)
	}

	// Faults go on once the replicas have logged in: a login whose answer
	// is dropped would be a second login the bridge never saw succeed.
	fake.setFaults(t, chaosFaults)
	start := time.Now()
	deadline := start.Add(chaosWorkload)
	done := make(chan struct{})
	var (
		mu       sync.Mutex // guards replicas, events, takeover
		events   []string
		takeover time.Duration
		killed   *serveProc // the lease holder, down for good
	)
	event := func(format string, args ...any) {
		mu.Lock()
		events = append(events, fmt.Sprintf("%5s ", time.Since(start).Round(100*time.Millisecond))+fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	// waitUntil waits for a moment of the run's timetable; false when the
	// workload ended first. The timetable paces the kills, as the soak's
	// paces its faults; no check waits on it for an event.
	waitUntil := func(at float64) bool {
		select {
		case <-done:
			return false
		case <-time.After(time.Until(start.Add(time.Duration(at * float64(chaosWorkload))))):
			return true
		}
	}
	var operator sync.WaitGroup
	operator.Go(func() {
		if !waitUntil(0.25) {
			return
		}
		mu.Lock()
		current := append([]*serveProc(nil), replicas...)
		mu.Unlock()
		lead, err := leaderOf(current, 5*time.Second)
		if err != nil {
			t.Errorf("before the first kill: %v", err)
			return
		}
		victim := (lead + 1) % len(current)
		if err := current[victim].kill(); err != nil {
			t.Errorf("kill replica %d: %v", victim, err)
			return
		}
		event("SIGKILL replica %d (not the worker)", victim)
		next, err := current[victim].restart(t)
		if err != nil {
			t.Errorf("restart replica %d: %v", victim, err)
			return
		}
		mu.Lock()
		replicas[victim] = next
		mu.Unlock()
		event("replica %d restarted and serving", victim)

		if !waitUntil(0.5) {
			return
		}
		mu.Lock()
		current = append([]*serveProc(nil), replicas...)
		mu.Unlock()
		if lead, err = leaderOf(current, 5*time.Second); err != nil {
			t.Errorf("before the second kill: %v", err)
			return
		}
		if err := current[lead].kill(); err != nil {
			t.Errorf("kill the worker, replica %d: %v", lead, err)
			return
		}
		down := time.Now()
		event("SIGKILL replica %d (the worker)", lead)
		mu.Lock()
		killed = current[lead]
		mu.Unlock()
		survivors := append(append([]*serveProc(nil), current[:lead]...), current[lead+1:]...)
		// Nothing announces a lease taken to a client outside the
		// replicas: their /metrics say who holds it.
		if _, err := leaderOf(survivors, 2*leaseTakeover); err != nil {
			t.Errorf("after the worker's death: %v", err)
			return
		}
		mu.Lock()
		takeover = time.Since(down)
		mu.Unlock()
		event("a survivor took the worker lease after %s", time.Since(down).Round(100*time.Millisecond))
	})

	runClients(clients, deadline, counters)
	workload := time.Since(start)
	close(done)
	operator.Wait()
	runStats := fake.stats(t)
	fake.setFaults(t, "")
	// The end state is read through the fake's API, which its rate limit
	// covers too: the checker's reads must not be what throttles the
	// replicas finishing their group rule work.
	if err := fake.control(http.MethodPost, "/_fake/rate-limit?rate=5000&burst=1000", nil); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	var survivors []*serveProc
	for _, r := range replicas {
		if r != killed {
			survivors = append(survivors, r)
		}
	}
	mu.Unlock()
	var users []*soakUser
	for _, c := range clients {
		users = append(users, c.users...)
	}
	ab := fake.auditor(t)
	cat := readSoakCatalog(t, ab)
	var diffs []string
	settle := time.Now()
	// The group rules' work left by the dead worker runs on the new one in
	// the background, and nothing tells a client when it is done: poll
	// until the end state holds.
	poll(20*time.Second, 200*time.Millisecond, func() bool {
		diffs = mismatches(users, world.groups, readSoakState(t, ab, survivors[0].idp()), cat)
		return len(diffs) == 0
	})
	settled := time.Since(settle)

	// Every SCIM id answers on every surviving replica, with the same user.
	unanswered := 0
	for i, r := range survivors {
		idp := r.idp()
		for _, u := range users {
			if !u.live() {
				continue
			}
			got := idp.must(t, http.StatusOK, http.MethodGet, "/Users/"+u.id, nil)
			if name := got.doc()["userName"]; name != u.userName {
				t.Errorf("survivor %d: GET /Users/%s is %v, want %s", i, u.id, name, u.userName)
				unanswered++
			}
		}
		for _, g := range world.groups {
			got := idp.must(t, http.StatusOK, http.MethodGet, "/Groups/"+g.id, nil)
			if name := got.doc()["displayName"]; name != g.name {
				t.Errorf("survivor %d: GET /Groups/%s is %v, want %s", i, g.id, name, g.name)
			}
		}
	}
	// The dead worker is counted out (its share of the rate given back)
	// at the survivors' next heartbeats, which no client can wait on.
	var gauges string
	if !poll(10*time.Second, 100*time.Millisecond, func() bool {
		gauges = ""
		leaders := 0
		ok := true
		for i, r := range survivors {
			live, lok := gauge(r, "absorb_scim_replicas")
			lead, dok := gauge(r, "absorb_scim_worker_leader")
			gauges += fmt.Sprintf(" survivor %d: replicas %v, worker %v;", i, live, lead)
			ok = ok && lok && dok && live == float64(len(survivors))
			leaders += int(lead)
		}
		return ok && leaders == 1
	}) {
		t.Errorf("after the kills, want every survivor to count %d replicas and one of them the worker:%s", len(survivors), gauges)
	}
	endStats := fake.stats(t)

	created, live := 0, 0
	for _, u := range users {
		if u.created {
			created++
		}
		if u.live() {
			live++
		}
	}
	var ops, retries []string
	total := 0
	for k, n := range counters.ops {
		ops = append(ops, fmt.Sprintf("%s %d", k, n))
		total += n
	}
	for k, n := range counters.retries {
		retries = append(retries, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(ops)
	sort.Strings(retries)
	t.Logf("chaos summary (%d replicas on PostgreSQL, faults %q, absorb.rateLimit %d):", chaosReplicas, chaosFaults, chaosRate)
	t.Logf("  workload      %s, %d clients round-robin over the replicas, settled in %s", workload.Round(time.Millisecond), chaosClients, settled.Round(time.Millisecond))
	t.Logf("  operations    %d: %s", total, strings.Join(ops, ", "))
	t.Logf("  SCIM requests %d; retries: %s; creates resolved by lookup after a lost answer: %d", counters.requests, strings.Join(retries, ", "), counters.ambiguous)
	t.Logf("  Absorb        %d requests during the workload (%.0f/s); injected error5xx %d, reset %d; 429s %d; logins %d",
		runStats.Total, float64(runStats.Total)/workload.Seconds(), runStats.Faults.Error5xx, runStats.Faults.Reset, runStats.Throttled, runStats.Logins)
	t.Logf("  timeline      %s", strings.Join(events, "; "))
	t.Logf("  end state     %d usernames provisioned, %d live SCIM users, %d groups, %d mismatches", created, live, len(world.groups), len(diffs))

	for _, f := range counters.failures {
		t.Errorf("failed request: %s", f)
	}
	for _, d := range diffs {
		t.Errorf("mismatch: %s", d)
	}
	if len(events) < 4 {
		t.Errorf("the run ended before both kills and the takeover: %v", events)
	}
	if takeover > leaseTakeover {
		t.Errorf("the worker lease moved %s after its holder died, want within %s", takeover.Round(100*time.Millisecond), leaseTakeover)
	}
	if runStats.Faults.Error5xx+runStats.Faults.Reset == 0 {
		t.Error("no fault was injected; the run proves nothing")
	}
	// The replicas share one token: one login for all of them, and the
	// checker's own (the auditor) at the end. A token lasts four hours.
	if runStats.Logins != 1 || endStats.Logins != 2 {
		t.Errorf("the fake counted %d logins of the replicas during the run and %d in all, want 1 and 2 (one shared token, the checker's)", runStats.Logins, endStats.Logins)
	}
	if runStats.Throttled != 0 || endStats.Throttled != 0 {
		t.Errorf("the fake answered 429 %d times during the run, %d in all: the replicas together exceeded the rate", runStats.Throttled, endStats.Throttled)
	}
	if t.Failed() {
		mu.Lock()
		all := append([]*serveProc(nil), replicas...)
		if killed != nil && !containsProc(all, killed) {
			all = append(all, killed)
		}
		mu.Unlock()
		for i, r := range all {
			t.Logf("replica %d warnings and errors (last 30):\n%s", i, problems(r.logs.String(), 30))
		}
	}
}

// leaderOf returns the index of the one replica of rs whose /metrics say
// it runs the background work, polling until exactly one does or within
// has passed: the lease moves in the replicas' own time and nothing
// announces it outside them.
func leaderOf(rs []*serveProc, within time.Duration) (int, error) {
	lead := -1
	var seen []string
	ok := poll(within, 50*time.Millisecond, func() bool {
		lead, seen = -1, seen[:0]
		n := 0
		for i, r := range rs {
			v, ok := gauge(r, "absorb_scim_worker_leader")
			seen = append(seen, fmt.Sprintf("%d: %v/%v", i, v, ok))
			if ok && v == 1 {
				lead = i
				n++
			}
		}
		return n == 1
	})
	if !ok {
		return -1, fmt.Errorf("no single replica holds the worker lease after %s (absorb_scim_worker_leader by replica %s)", within, strings.Join(seen, ", "))
	}
	return lead, nil
}

// gauge reads one unlabelled metric from a replica's /metrics; ok is false
// when the replica does not answer or lacks it.
func gauge(s *serveProc, name string) (float64, bool) {
	status, body := probe(s.base + "/metrics")
	if status != http.StatusOK {
		return 0, false
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

func containsProc(ps []*serveProc, p *serveProc) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}
