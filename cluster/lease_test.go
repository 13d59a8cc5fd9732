package cluster

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Short leases, so a test sees one move within a second or two. A holder
// cut off stops its work 2×Renew before its lease may run out: the TTL
// leaves that margin room for a loaded machine's scheduling.
var testLeaseOptions = LeaseOptions{TTL: time.Second, Renew: 100 * time.Millisecond}

// leader runs Lead for one replica; started and stopped report its work.
type leader struct {
	lease   *Lease
	started chan struct{} // closed when its work starts
	stopped chan struct{} // closed when its work's context ended
	done    chan error    // Lead's result
	cancel  context.CancelFunc
}

func startLeader(t *testing.T, c *Cluster, holder string) *leader {
	t.Helper()
	opts := testLeaseOptions
	opts.Status = func() []byte { return []byte(`{"replica": "` + holder + `"}`) }
	l, err := c.Lease("worker", holder, opts)
	if err != nil {
		t.Fatal(err)
	}
	ld := &leader{lease: l, started: make(chan struct{}), stopped: make(chan struct{}), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	ld.cancel = cancel
	go func() {
		ld.done <- l.Lead(ctx, func(ctx context.Context) error {
			close(ld.started)
			<-ctx.Done()
			close(ld.stopped)
			return nil
		})
	}()
	t.Cleanup(func() { cancel(); <-ld.done })
	return ld
}

// waitClosed waits for ch, failing the test after timeout.
func waitClosed(t *testing.T, ch <-chan struct{}, timeout time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(timeout):
		t.Fatalf("after %v: %s", timeout, what)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestLeaseMovesWhenTheHolderLosesTheDatabase(t *testing.T) {
	db := testDatabase(t)
	ca, poolA := openCluster(t, db, "portal-a")
	cb, _ := openCluster(t, db, "portal-a")
	a := startLeader(t, ca, "a")
	waitClosed(t, a.started, time.Second, "a never took the free lease")
	if !a.lease.Held() {
		t.Fatal("a runs the work but does not say it holds the lease")
	}
	b := startLeader(t, cb, "b")
	// The status is stored at renewals: polled, as the database says when.
	eventually(t, 2*time.Second, "a's status never reached the lease", func() bool {
		st, err := b.lease.State(t.Context())
		return err == nil && st.Holder == "a" && string(st.Status) == `{"replica": "a"}`
	})

	// a can no longer reach the database (as if it died or was cut off):
	// it cannot renew, so it stops its work before the lease runs out, and
	// b takes the lease once it has.
	lost := time.Now()
	poolA.Close()
	waitClosed(t, b.started, testLeaseOptions.TTL+testLeaseOptions.Renew+time.Second, "b never took the lease over")
	if !isClosed(a.stopped) {
		t.Fatal("b started the work while a still ran it")
	}
	// TTL+Renew by design, plus room for a loaded machine's scheduling.
	if took := time.Since(lost); took > testLeaseOptions.TTL+testLeaseOptions.Renew+500*time.Millisecond {
		t.Errorf("b took over %v after a lost the database, want within TTL+Renew", took)
	}
	if a.lease.Held() || !b.lease.Held() {
		t.Errorf("Held: a %v, b %v; want false, true", a.lease.Held(), b.lease.Held())
	}
}

func TestLeaseReleasedOnStopMovesAtOnce(t *testing.T) {
	db := testDatabase(t)
	ca, _ := openCluster(t, db, "portal-a")
	cb, _ := openCluster(t, db, "portal-a")
	a := startLeader(t, ca, "a")
	waitClosed(t, a.started, time.Second, "a never took the free lease")
	b := startLeader(t, cb, "b")

	a.cancel()
	if err := <-a.done; err != nil {
		t.Fatalf("Lead = %v", err)
	}
	a.done <- nil // for the cleanup
	if !isClosed(a.stopped) {
		t.Fatal("Lead returned while its work still ran")
	}
	// Released, the lease is b's at its next try, well before the TTL.
	waitClosed(t, b.started, testLeaseOptions.TTL, "b never took the released lease")

	// Another tenant's lease is its own.
	cc, _ := openCluster(t, db, "portal-b")
	c := startLeader(t, cc, "a")
	waitClosed(t, c.started, time.Second, "the other tenant's replica never took its own lease")
}

func TestLeaseWorkThatFailsHandsTheLeaseOn(t *testing.T) {
	db := testDatabase(t)
	ca, _ := openCluster(t, db, "portal-a")
	cb, _ := openCluster(t, db, "portal-a")
	failed := make(chan error, 1)
	opts := testLeaseOptions
	opts.OnError = func(err error) {
		// A try that timed out on a loaded machine is reported too; only
		// the work's end matters here.
		if !strings.Contains(err.Error(), "stopped") {
			return
		}
		select {
		case failed <- err:
		default:
		}
	}
	la, err := ca.Lease("worker", "a", opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	leadDone := make(chan error, 1)
	go func() {
		leadDone <- la.Lead(ctx, func(context.Context) error { return context.DeadlineExceeded })
	}()
	t.Cleanup(func() { cancel(); <-leadDone })
	select {
	case <-failed:
	case <-time.After(2 * time.Second):
		t.Fatal("a's failed work was never reported")
	}
	// a gave the lease up: b takes it, though a goes on trying.
	b := startLeader(t, cb, "b")
	waitClosed(t, b.started, testLeaseOptions.TTL+testLeaseOptions.Renew, "b never took the lease a's failed work gave up")
}
