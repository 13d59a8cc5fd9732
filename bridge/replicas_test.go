package bridge_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// A replica that lost the worker lease and takes it back runs Run again:
// the group rules' queue works again.
func TestRunAgainAfterItStopped(t *testing.T) {
	w := newWorld(t, withRules(testRules...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.b.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	w.run()

	u := w.create(userDoc("again@example.com", "Again", "User"))
	g := w.createGroup("Sales Team")
	w.mustPatchGroup(g.ID, addMembers(u.ID))
	w.waitRules()
	if got := w.department(u.ID); got != fakeabsorb.DeptSalesID {
		t.Errorf("department %s, want Sales: the second Run did not apply the rules", got)
	}
}

// Replicas share a store and only one runs Run: the group rule work another
// one records there is taken up by the one running it.
func TestRunTakesUpRuleWorkOtherReplicasRecorded(t *testing.T) {
	w := newWorld(t, withRules(testRules...), func(c *worldConfig) { c.pendingRescan = 20 * time.Millisecond })
	w.run()
	other := w.newBridge() // the same store, never running Run

	u := w.create(userDoc("elsewhere@example.com", "Else", "Where"))
	g := w.createGroup("Sales Team")
	if _, err := other.PatchGroup(context.Background(), g.ID, scimdoc.Precondition{}, []scimdoc.Operation{addMembers(u.ID)}); err != nil {
		t.Fatalf("PatchGroup on the other replica: %v", err)
	}
	// The worker finds the work on its next read of the store, which no
	// event announces: poll Absorb for the rule's effect.
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for w.department(u.ID) != fakeabsorb.DeptSalesID {
		if time.Now().After(deadline) {
			t.Fatal("the worker never applied the rule work the other replica recorded")
		}
		<-tick.C
	}
}

// A pass that read an account before another replica wrote its user does
// not fold what it read over that write: the other replica's write is not
// in this one's log of its own writes, but the stored record dates it.
func TestSyncLeavesAnotherReplicasWriteDuringThePassAlone(t *testing.T) {
	var mid atomic.Pointer[func(absorbapi.User)]
	w := newWorld(t, func(c *worldConfig) {
		c.sharedStore = true
		c.wrap = func(a bridge.Absorb) bridge.Absorb {
			return scanHook{Absorb: a, each: func(u absorbapi.User) {
				if f := mid.Load(); f != nil {
					(*f)(u)
				}
			}}
		}
	})
	jane := w.create(userDoc("jane.replica@example.com", "Jane", "Doe"))
	w.sync()
	w.advance(2 * time.Second)
	janeAbsorb := w.absorbIDOf(jane.ID)
	w.editInAbsorb(janeAbsorb, func(u *absorbapi.User) { u.LastName = "Edited-In-Absorb" })
	other := w.newBridge() // another replica on the same store

	var once sync.Once
	write := func(u absorbapi.User) {
		if u.ID != janeAbsorb {
			return
		}
		once.Do(func() {
			// The pass has read Jane's account: the other replica writes
			// her now, and its PUT carries her SCIM values.
			_, err := other.PatchUser(context.Background(), jane.ID, scimdoc.Precondition{},
				[]scimdoc.Operation{{Op: "replace", Path: "title", Value: "Written by another replica"}})
			if err != nil {
				t.Errorf("PatchUser on the other replica: %v", err)
			}
		})
	}
	mid.Store(&write)
	w.sync()
	mid.Store(nil)

	if got := str(w.get(jane.ID).Doc, "title"); got != "Written by another replica" {
		t.Errorf("title %q: the pass folded what it read over the other replica's write", got)
	}
}
