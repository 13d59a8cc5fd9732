package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// waitingForLock reports whether a session of the database waits for an
// advisory lock: the only sign that a Lock call is blocked in the database
// (a blocked call sends no event a test could wait on).
func waitingForLock(t *testing.T, c *Cluster) bool {
	t.Helper()
	var n int
	if err := c.pool.QueryRow(t.Context(),
		"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// lockAsync takes key through l in the background and reports on the
// returned channel when it holds it (nil error) or gave up.
func lockAsync(ctx context.Context, l *Locks, keys ...string) (<-chan error, <-chan func()) {
	errc, unlocks := make(chan error, 1), make(chan func(), 1)
	go func() {
		unlock, err := l.LockAll(ctx, keys)
		errc <- err
		if err == nil {
			unlocks <- unlock
		}
	}()
	return errc, unlocks
}

func TestLocksExcludeAcrossPools(t *testing.T) {
	db := testDatabase(t)
	a, _ := openCluster(t, db, "portal-a")
	b, _ := openCluster(t, db, "portal-a")

	unlockA, err := a.Locks().Lock(t.Context(), "user:1")
	if err != nil {
		t.Fatal(err)
	}
	errc, unlocks := lockAsync(t.Context(), b.Locks(), "user:0", "user:1")
	eventually(t, 2*time.Second, "b never waited for the lock a holds", func() bool { return waitingForLock(t, a) })
	select {
	case err := <-errc:
		t.Fatalf("b took user:1 while a held it (err %v)", err)
	default:
	}

	// Another key, and the same key of another tenant, are free.
	unlockOther, err := b.Locks().Lock(t.Context(), "user:2")
	if err != nil {
		t.Fatal(err)
	}
	unlockOther()
	c, _ := openCluster(t, db, "portal-b")
	unlockTenant, err := c.Locks().Lock(t.Context(), "user:1")
	if err != nil {
		t.Fatalf("another tenant's user:1: %v", err)
	}
	unlockTenant()

	unlockA()
	if err := <-errc; err != nil {
		t.Fatalf("b's lock once a let go: %v", err)
	}
	unlockB := <-unlocks
	// b holds user:0 as well, on the same connection.
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := a.Locks().Lock(ctx, "user:0"); err == nil {
		t.Fatal("a took user:0 while b held it")
	}
	unlockB()
	unlockA2, err := a.Locks().Lock(t.Context(), "user:0")
	if err != nil {
		t.Fatalf("a's lock once b let go: %v", err)
	}
	unlockA2()
}

func TestLockWaitEndsWithItsContext(t *testing.T) {
	db := testDatabase(t)
	a, _ := openCluster(t, db, "portal-a")
	b, _ := openCluster(t, db, "portal-a")
	unlockA, err := a.Locks().Lock(t.Context(), "group:g")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc, _ := lockAsync(ctx, b.Locks(), "group:g")
	eventually(t, 2*time.Second, "b never waited for the lock", func() bool { return waitingForLock(t, a) })
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("Lock took the lock after its context ended")
	}
	unlockA()
	// The cancelled wait left nothing behind: not the lock (its session
	// was closed, in case the lock was granted as the wait was cancelled),
	// nor a connection of b's lock pool.
	for range b.lockConns + 1 {
		unlock, err := b.Locks().Lock(t.Context(), "group:g")
		if err != nil {
			t.Fatalf("Lock after a cancelled wait: %v", err)
		}
		unlock()
	}
	// The closed session's connection leaves the pool in the background,
	// and the pool announces it to nobody: poll its count.
	eventually(t, 5*time.Second, "lock connections still held after every unlock", func() bool {
		return b.lockPool.Stat().AcquiredConns() == 0
	})
}

// Holders of every lock connection each take a second lock: the second
// locks come from a supply of their own, so none waits for another's
// connection.
func TestNestedLocksWhileEveryLockConnectionIsHeld(t *testing.T) {
	db := testDatabase(t)
	c, _ := openCluster(t, db, "portal-a")
	var unlocks []func()
	for i := range c.lockConns {
		unlock, err := c.Locks().Lock(t.Context(), fmt.Sprintf("user:%d", i))
		if err != nil {
			t.Fatal(err)
		}
		unlocks = append(unlocks, unlock)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	for i := range c.lockConns {
		unlock, err := c.Locks().LockNested(ctx, fmt.Sprintf("username:%d", i))
		if err != nil {
			t.Fatalf("second lock of holder %d: %v", i, err)
		}
		unlocks = append(unlocks, unlock)
	}
	for _, u := range unlocks {
		u()
	}
}
