package bridge_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/internal/pgtest"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
	"github.com/absorb-scim/absorb-scim/storage/postgres"
)

// Replicas sharing a store share one brake: together they let Max
// deactivations through per window, and a hold made through one is listed,
// released and discarded through another.
func TestBrakeIsSharedByReplicas(t *testing.T) {
	t.Run("bbolt", func(t *testing.T) { testSharedBrake(t, nil) })
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		testSharedBrake(t, func(t *testing.T) storage.Store {
			s, err := postgres.Open(context.Background(), url, postgres.Options{})
			if err != nil {
				t.Fatalf("postgres.Open: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		})
	})
}

func testSharedBrake(t *testing.T, open func(*testing.T) storage.Store) {
	const max, users = 3, 8
	w := newWorld(t, withLimit(max, time.Hour), func(c *worldConfig) { c.sharedStore = true })
	if open != nil {
		w.store = open(t)
		w.b = w.newBridge()
	}
	replicas := []*bridge.Bridge{w.b, w.newBridge()}
	var ids []string
	for i := range users {
		ids = append(ids, w.create(userDoc("shared"+string(rune('a'+i))+"@example.com", "Shared", "User")).ID)
	}

	// The IdP spreads its deactivations over the replicas, all at once.
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta"})
	madeBy := map[string]int{}
	var wg sync.WaitGroup
	for i, id := range ids {
		madeBy[id] = i % len(replicas)
		wg.Add(1)
		go func(b *bridge.Bridge, id string) {
			defer wg.Done()
			_, err := b.PatchUser(ctx, id, scimdoc.Precondition{}, []scimdoc.Operation{{Op: "replace", Path: "active", Value: false}})
			if err != nil {
				t.Errorf("deactivate %s: %v", id, err)
			}
		}(replicas[madeBy[id]], id)
	}
	wg.Wait()

	sent := 0
	for _, id := range ids {
		if w.absorbUser(w.absorbIDOf(id)).ActiveStatus == 1 {
			sent++
		}
	}
	if sent != max {
		t.Errorf("%d deactivations reached Absorb through two replicas, want %d", sent, max)
	}
	var held []string
	for i, b := range replicas {
		var got []string
		for _, h := range b.ListHolds() {
			got = append(got, h.ID)
		}
		if n := b.HeldDeactivations(); n != users-max || len(got) != users-max {
			t.Fatalf("replica %d: %d held, lists %d, want %d", i, n, len(got), users-max)
		}
		if i == 0 {
			held = got
		} else if !slices.Equal(got, held) {
			t.Errorf("replica 1 lists holds %v, replica 0 %v", got, held)
		}
	}

	// Each hold is settled through the replica that did not make it.
	admin := bridge.WithActor(context.Background(), bridge.Actor{Credential: "ops"})
	rel, disc := held[0], held[1]
	rep, err := replicas[1-madeBy[rel]].ReleaseHolds(admin, []string{rel})
	if err != nil || rep.Released != 1 {
		t.Fatalf("release through the other replica: %+v, %v", rep, err)
	}
	if got := w.absorbUser(w.absorbIDOf(rel)).ActiveStatus; got != 1 {
		t.Errorf("released hold: Absorb activeStatus %d, want 1", got)
	}
	rep, err = replicas[1-madeBy[disc]].DiscardHolds(admin, []string{disc})
	if err != nil || rep.Discarded != 1 {
		t.Fatalf("discard through the other replica: %+v, %v", rep, err)
	}
	res, err := replicas[madeBy[disc]].GetUser(context.Background(), disc)
	if err != nil {
		t.Fatal(err)
	}
	if active, _ := res.Doc["active"].(bool); !active {
		t.Errorf("discarded hold reads active %v through the replica that made it, want true", res.Doc["active"])
	}
	for i, b := range replicas {
		if n := b.HeldDeactivations(); n != users-max-2 {
			t.Errorf("replica %d: %d held after one release and one discard, want %d", i, n, users-max-2)
		}
	}
}
