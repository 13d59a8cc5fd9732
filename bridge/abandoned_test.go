package bridge_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/storage"
)

// interruptedCreate creates jane while Absorb drops every answer: Absorb
// makes the account, the bridge answers 503 and keeps the create's intent,
// and (in these tests) the IdP never retries. It returns the account's id.
func interruptedCreate(t *testing.T, w *world) string {
	t.Helper()
	// The local copy is complete, the department known and the portal
	// known to refuse a taken username (the world is strictCreates), so
	// the POST is the create's first call to Absorb.
	w.sync()
	w.create(userDoc("warm@example.com", "Warm", "Up"))
	if err := w.fake.SetFaults("reset=1"); err != nil {
		t.Fatal(err)
	}
	_, err := w.b.CreateUser(context.Background(), w.norm(userDoc("jane@example.com", "Jane", "Doe")))
	scimError(t, err, http.StatusServiceUnavailable)
	if err := w.fake.SetFaults(""); err != nil {
		t.Fatal(err)
	}
	accounts := w.absorbUsersNamed("jane@example.com")
	if len(accounts) != 1 || accounts[0].ActiveStatus != 0 {
		t.Fatalf("after the interrupted create Absorb holds %v, want one active account", accounts)
	}
	if c := w.counts(); c.Users != 1 || c.Intents != 1 {
		t.Fatalf("after the interrupted create storage holds %d users and %d intents, want 1 (warm) and 1", c.Users, c.Intents)
	}
	return accounts[0].ID
}

func TestAbandonedCreateIsDeactivated(t *testing.T) {
	w := newWorld(t, strictCreates)
	absorbID := interruptedCreate(t, w)
	ctx := context.Background()

	// Younger than the bound: left alone, the IdP may still retry.
	if got, err := w.b.ResolveAbandonedCreates(ctx, time.Hour); err != nil || len(got) != 0 {
		t.Fatalf("a young intent was resolved: %v, %v", got, err)
	}
	if w.counts().Intents != 1 {
		t.Fatalf("a young intent was cleared")
	}

	got, err := w.b.ResolveAbandonedCreates(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []bridge.AbandonedCreate{{UserName: "jane@example.com", AbsorbID: absorbID, Outcome: "deactivated"}}
	if diff := cmp.Diff(want, got, cmpIgnoreSCIMID); diff != "" {
		t.Errorf("resolved (-want +got):\n%s", diff)
	}
	if w.absorbUser(absorbID).ActiveStatus != 1 {
		t.Errorf("the abandoned account is still active")
	}
	if c := w.counts(); c.Intents != 0 || c.Users != 1 {
		t.Errorf("storage holds %d users and %d intents, want 1 (warm) and 0", c.Users, c.Intents)
	}
	var found bool
	for _, r := range allAuditRecords(t, w.store) {
		if r.Operation == bridge.OpDeactivate && r.AbsorbID == absorbID {
			found = r.Credential == bridge.ActorAbandonedCreate && r.Outcome == bridge.OutcomeOK
		}
	}
	if !found {
		t.Errorf("no audit record of the deactivation by %s", bridge.ActorAbandonedCreate)
	}
	// A second pass has nothing to do.
	if again, err := w.b.ResolveAbandonedCreates(ctx, 0); err != nil || len(again) != 0 {
		t.Errorf("second pass: %v, %v", again, err)
	}

	// The IdP that creates the user after all gets the account back, active.
	res := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	if got := w.absorbIDOf(res.ID); got != absorbID {
		t.Errorf("the late create linked %s, want %s", got, absorbID)
	}
	if w.absorbUser(absorbID).ActiveStatus != 0 || len(w.absorbUsersNamed("jane@example.com")) != 1 {
		t.Errorf("the late create did not reactivate the one account")
	}
}

func TestAbandonedCreateIsResolvedInTheBackgroundAfterARestart(t *testing.T) {
	// The bridge stops after the interrupted create (as a crash would leave
	// it: intent kept, account unlinked). The restarted bridge's background
	// work resolves the intent once it is old enough, without any request.
	resolved := newLogEvent("an abandoned create was resolved")
	w := newWorld(t, strictCreates, func(c *worldConfig) {
		c.abandonAfter = time.Nanosecond
		c.log = resolved
	})
	absorbID := interruptedCreate(t, w)
	w.restart()
	w.run()
	resolved.wait(t, 10*time.Second)
	if w.absorbUser(absorbID).ActiveStatus != 1 {
		t.Errorf("the abandoned account is still active")
	}
	if c := w.counts(); c.Intents != 0 {
		t.Errorf("%d intents left", c.Intents)
	}
}

func TestAbandonedAdoptionLeavesTheAccountAsItIs(t *testing.T) {
	// An intent of a create that was adopting Alice's account, made long
	// before: her account is not the create's to deactivate.
	w := newWorld(t)
	err := w.store.Update(func(tx storage.Tx) error {
		return tx.PutIntent(storage.Intent{Key: "alice@example.com", SCIMID: "11111111-2222-4333-8444-555555555555", Started: time.Now().Add(-time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	w.warm()
	before := w.absorbUser(fakeabsorb.UserAliceID)
	got, err := w.b.ResolveAbandonedCreates(context.Background(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Outcome != "kept" {
		t.Errorf("resolved %v, want alice kept", got)
	}
	if diff := cmp.Diff(before, w.absorbUser(fakeabsorb.UserAliceID), cmp.AllowUnexported(fakeabsorb.User{})); diff != "" {
		t.Errorf("Alice changed (-before +after):\n%s", diff)
	}
	if w.counts().Intents != 0 {
		t.Errorf("the intent is left")
	}
}

// cmpIgnoreSCIMID compares AbandonedCreates without their SCIM ids, which
// the bridge makes at random.
var cmpIgnoreSCIMID = cmp.Transformer("noSCIMID", func(a bridge.AbandonedCreate) bridge.AbandonedCreate {
	a.SCIMID = ""
	return a
})
