package cluster

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// Short heartbeats, so a test sees a dead replica within a second.
var testReplicaOptions = ReplicaOptions{Heartbeat: 50 * time.Millisecond, DeadAfter: 300 * time.Millisecond}

// startReplica joins replica id and heartbeats until the test ends or
// the returned stop is called (a graceful stop: the replica leaves).
func startReplica(t *testing.T, c *Cluster, id string, onLive func(int)) (*Replicas, func()) {
	t.Helper()
	opts := testReplicaOptions
	opts.OnLive = onLive
	r, err := c.Replicas(id, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Join(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return r, stop
}

func TestRateShareFollowsLiveReplicas(t *testing.T) {
	db := testDatabase(t)
	c, _ := openCluster(t, db, "portal-a")
	a, _ := startReplica(t, c, "a", nil)
	b, stopB := startReplica(t, c, "b", nil)

	// c joins with one heartbeat and never beats again: it died.
	dead, err := c.Replicas("c", testReplicaOptions)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := dead.Join(t.Context()); err != nil || n != 3 {
		t.Fatalf("Join of a third replica = %d, %v; want 3 live", n, err)
	}
	// Heartbeats are polled: the database counts them, and no event says
	// when another replica's beat has been counted.
	eventually(t, 2*time.Second, "a and b never counted three replicas", func() bool {
		return a.Live() == 3 && b.Live() == 3
	})
	eventually(t, 2*time.Second, "the dead replica's share never came back", func() bool {
		return a.Live() == 2 && b.Live() == 2
	})

	// A replica that stops leaves at once (its row is gone), so the other
	// takes its share at its next heartbeat rather than after DeadAfter.
	stopB()
	var rows int
	if err := c.pool.QueryRow(t.Context(), "SELECT count(*) FROM cluster_replicas WHERE tenant = $1 AND replica = 'b'", c.Tenant()).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("rows of b after it stopped: %d, %v; want 0", rows, err)
	}
	eventually(t, 2*time.Second, "a never saw b leave", func() bool { return a.Live() == 1 })

	// Another tenant's replicas do not count.
	other, _ := openCluster(t, db, "portal-b")
	o, _ := startReplica(t, other, "a", nil)
	if got := o.Live(); got != 1 {
		t.Errorf("live replicas of another tenant = %d, want 1", got)
	}
}

func TestShare(t *testing.T) {
	tests := []struct {
		rate      float64
		burst     int
		live      int
		wantRate  float64
		wantBurst int
	}{
		{200, 100, 1, 200, 100},
		{200, 100, 3, 200.0 / 3, 33},
		{200, 2, 3, 200.0 / 3, 1},
		{200, 100, 0, 200, 100},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/%d/%d", tt.rate, tt.burst, tt.live), func(t *testing.T) {
			r, b := Share(tt.rate, tt.burst, tt.live)
			if r != tt.wantRate || b != tt.wantBurst {
				t.Errorf("Share = %v, %d; want %v, %d", r, b, tt.wantRate, tt.wantBurst)
			}
		})
	}
}

// Three busy replicas that each take their share of absorb.rateLimit get
// no 429 from an Absorb that allows exactly that rate. The burst the
// replicas are configured with is below Absorb's, as an operator sets it,
// which leaves room for requests released together by the limiters but
// delayed unevenly on their way (a loaded machine). Replicas that each sent
// the whole rate would get about a third of their requests refused.
func TestThreeBusyReplicasStayWithinTheRate(t *testing.T) {
	const rate, burst = 100, 6
	db := testDatabase(t)
	fake, absorbURL := startFake(t, fakeabsorb.Options{RateLimit: rate, Burst: 5 * burst})
	var (
		clients []*absorbapi.Client
		members []*Replicas
		applied sync.WaitGroup
		shared  atomic.Int32
	)
	for i := range 3 {
		client, c := replicaClient(t, db, absorbURL, func(cfg *absorbapi.Config) { cfg.RateLimit, cfg.Burst = rate, burst })
		applied.Add(1)
		r, _ := startReplica(t, c, fmt.Sprintf("r%d", i), func(live int) {
			client.SetRateLimit(Share(rate, burst, live))
			if live == 3 && shared.Add(1) <= 3 {
				applied.Done()
			}
		})
		clients, members = append(clients, client), append(members, r)
	}
	// Every replica applied its share of three (OnLive is the event).
	applied.Wait()
	fake.ResetStats()

	busy(t, clients, 30)
	st := fake.Stats()
	if st.Throttled != 0 {
		t.Fatalf("Absorb answered %d requests 429 (of %d)", st.Throttled, sumRequests(st))
	}
	if got, want := sumRequests(st), 90; got < want {
		t.Fatalf("Absorb saw %d requests, want at least %d", got, want)
	}
}

func sumRequests(st fakeabsorb.Stats) int {
	n := 0
	for _, c := range st.Requests {
		n += c
	}
	return n
}
