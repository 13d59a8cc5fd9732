package bridge_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// withLimit sets the brake on mass deactivation.
func withLimit(max int, window time.Duration) func(*worldConfig) {
	return func(c *worldConfig) { c.limit = bridge.DeactivationLimit{Max: max, Window: window} }
}

// withLog sends the bridge's log to w.
func withLog(l *strings.Builder) func(*worldConfig) {
	return func(c *worldConfig) { c.log = l }
}

// deactivate PATCHes active false as ctx's actor.
func (w *world) deactivate(ctx context.Context, id string) scimdoc.Resource {
	w.t.Helper()
	res, err := w.b.PatchUser(ctx, id, scimdoc.Precondition{}, []scimdoc.Operation{{Op: "replace", Path: "active", Value: false}})
	if err != nil {
		w.t.Fatalf("deactivate %s: %v", id, err)
	}
	return res
}

// localActive reads whether the bridge's local copy holds the account active.
func (w *world) localActive(absorbID string) bool {
	w.t.Helper()
	var active bool
	err := w.store.View(func(tx storage.Tx) error {
		c, err := tx.AbsorbUser(absorbID)
		if err != nil {
			return err
		}
		active = !strings.Contains(string(c.Raw), `"activeStatus":1`)
		return nil
	})
	if err != nil {
		w.t.Fatalf("local copy of %s: %v", absorbID, err)
	}
	return active
}

// brakeWorld is a world whose brake lets two deactivations through in an
// hour, with four users; the first two are deactivated.
func brakeWorld(t *testing.T, log *strings.Builder) (*world, []scimdoc.Resource) {
	t.Helper()
	w := newWorld(t, withLimit(2, time.Hour), withLog(log))
	var users []scimdoc.Resource
	for _, n := range []string{"ann", "bob", "cat", "dan", "eve"} {
		users = append(users, w.create(userDoc(n+"@example.com", n, "Doe")))
	}
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta", RequestID: "r-off"})
	for _, u := range users[:2] {
		w.deactivate(ctx, u.ID)
		if got := w.absorbUser(w.absorbIDOf(u.ID)).ActiveStatus; got != 1 {
			t.Fatalf("deactivation %s within the limit: Absorb activeStatus %d, want 1", u.ID, got)
		}
	}
	if n := w.b.HeldDeactivations(); n != 0 {
		t.Fatalf("%d held within the limit, want 0", n)
	}
	return w, users
}

func TestBrakeHoldsDeactivationsBeyondTheLimit(t *testing.T) {
	var log strings.Builder
	w, users := brakeWorld(t, &log)
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta", RequestID: "r-held"})
	cat, dan := users[2], users[3]
	catAbsorb, danAbsorb := w.absorbIDOf(cat.ID), w.absorbIDOf(dan.ID)

	res := w.deactivate(ctx, cat.ID)
	if active, _ := res.Doc["active"].(bool); active {
		t.Errorf("held PATCH answered active %v, want false", res.Doc["active"])
	}
	if got := w.get(cat.ID).Doc["active"]; got != false {
		t.Errorf("held user reads active %v, want false", got)
	}
	if got := w.absorbUser(catAbsorb).ActiveStatus; got != 0 {
		t.Errorf("held deactivation reached Absorb: activeStatus %d", got)
	}
	if !w.localActive(catAbsorb) {
		t.Error("the local copy says inactive; Absorb holds the account active")
	}
	if err := w.b.DeleteUser(ctx, dan.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	_, err := w.b.GetUser(ctx, dan.ID)
	scimError(t, err, http.StatusNotFound)
	if got := w.absorbUser(danAbsorb).ActiveStatus; got != 0 {
		t.Errorf("held DELETE reached Absorb: activeStatus %d", got)
	}
	holds := w.b.ListHolds()
	if len(holds) != 2 || holds[0].ID != cat.ID || holds[0].Request != bridge.HoldDeactivate ||
		holds[1].ID != dan.ID || holds[1].Request != bridge.HoldDelete || holds[0].Credential != "okta" {
		t.Fatalf("ListHolds = %+v, want cat's deactivation then dan's delete, by okta", holds)
	}
	if n := strings.Count(log.String(), "level=ERROR"); n != 1 {
		t.Errorf("%d ERROR lines for one trip, want 1:\n%s", n, log.String())
	}

	// An edit made in Absorb is folded in, but not the account's status.
	w.advance(2 * time.Second)
	w.editInAbsorb(catAbsorb, func(u *absorbapi.User) { u.JobTitle = "Edited in Absorb" })
	w.sync()
	got := w.get(cat.ID)
	if got.Doc["active"] != false || str(got.Doc, "title") != "Edited in Absorb" {
		t.Errorf("after sync: active %v title %q, want false and the Absorb edit", got.Doc["active"], str(got.Doc, "title"))
	}
	// Reconcile does not count a hold as drift, nor push it past the brake.
	rep, err := w.b.Reconcile(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range rep.Drift {
		if d.UserID == cat.ID {
			t.Errorf("reconcile reports the held user: %+v", d)
		}
	}
	if got := w.absorbUser(catAbsorb).ActiveStatus; got != 0 {
		t.Errorf("reconcile -fix sent the held deactivation")
	}

	// The brake stays on while holds remain, whatever the window says.
	w.deactivate(ctx, users[4].ID)
	if n := w.b.HeldDeactivations(); n != 3 {
		t.Errorf("%d held, want 3", n)
	}

	var ops []string
	for _, r := range opsAuditRecords(t, w.store) {
		if r.Operation == bridge.OpHold {
			ops = append(ops, r.ResourceID+"/"+r.Credential+"/"+r.Outcome)
		}
	}
	if len(ops) != 3 || ops[0] != cat.ID+"/okta/held" {
		t.Errorf("hold audit records %v, want three, the first cat's by okta", ops)
	}
}

func TestReleaseSendsHeldDeactivations(t *testing.T) {
	var log strings.Builder
	w, users := brakeWorld(t, &log)
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta"})
	cat, dan := users[2], users[3]
	catAbsorb, danAbsorb := w.absorbIDOf(cat.ID), w.absorbIDOf(dan.ID)
	w.deactivate(ctx, cat.ID)
	if err := w.b.DeleteUser(ctx, dan.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}

	admin := bridge.WithActor(context.Background(), bridge.Actor{Credential: "ops"})
	rep, err := w.b.ReleaseHolds(admin, []string{cat.ID, "no-such-hold"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Released != 1 || rep.Failed != 1 || rep.Remaining != 1 {
		t.Errorf("release report %+v, want 1 released, 1 not found, 1 remaining", rep)
	}
	if got := w.absorbUser(catAbsorb).ActiveStatus; got != 1 {
		t.Errorf("released deactivation: Absorb activeStatus %d, want 1", got)
	}
	if w.localActive(catAbsorb) {
		t.Error("the local copy still says active after the release")
	}
	if got := w.absorbUser(danAbsorb).ActiveStatus; got != 0 {
		t.Errorf("a hold not named was released")
	}
	if rep, err = w.b.ReleaseHolds(admin, nil); err != nil || rep.Released != 1 || rep.Remaining != 0 {
		t.Fatalf("release all: %+v, %v", rep, err)
	}
	if got := w.absorbUser(danAbsorb).ActiveStatus; got != 1 {
		t.Errorf("released DELETE: Absorb activeStatus %d, want 1", got)
	}
	released := 0
	for _, r := range opsAuditRecords(t, w.store) {
		if r.Operation == bridge.OpRelease && r.Credential == "ops" {
			released++
		}
	}
	if released != 2 {
		t.Errorf("%d release audit records by ops, want 2", released)
	}
	// With no hold left the brake counts afresh: the window still holds
	// two deactivations, so the next one is held again, with a new ERROR.
	w.deactivate(ctx, users[4].ID)
	if n := strings.Count(log.String(), "level=ERROR"); n != 2 {
		t.Errorf("%d ERROR lines for two trips, want 2", n)
	}
}

func TestDiscardRestoresHeldUsers(t *testing.T) {
	var log strings.Builder
	w, users := brakeWorld(t, &log)
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta"})
	cat, dan := users[2], users[3]
	w.deactivate(ctx, cat.ID)
	if err := w.b.DeleteUser(ctx, dan.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	w.resetCalls()
	rep, err := w.b.DiscardHolds(bridge.WithActor(context.Background(), bridge.Actor{Credential: "ops"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Discarded != 2 || rep.Remaining != 0 {
		t.Fatalf("discard report %+v, want 2 discarded", rep)
	}
	if got := w.get(cat.ID).Doc["active"]; got != true {
		t.Errorf("discarded deactivation: active %v, want true", got)
	}
	back := w.get(dan.ID)
	if back.Doc["active"] != true || back.Doc["userName"] != "dan@example.com" {
		t.Errorf("discarded DELETE: %v %v, want dan active again", back.Doc["userName"], back.Doc["active"])
	}
	if w.absorbIDOf(dan.ID) == "" {
		t.Error("the re-created user is not linked to its account")
	}
	if n := len(w.calls()); n != 0 {
		t.Errorf("discard called Absorb: %v", w.calls())
	}
	// The restored user is whole: a later write reaches its account.
	if _, err := w.patch(dan.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "title", Value: "Back"}); err != nil {
		t.Fatal(err)
	}
	if got := w.absorbUser(w.absorbIDOf(dan.ID)).JobTitle; got != "Back" {
		t.Errorf("after discard, a PATCH reached Absorb as job title %q", got)
	}
}

func TestReactivationCancelsItsHold(t *testing.T) {
	var log strings.Builder
	w, users := brakeWorld(t, &log)
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta"})
	cat := users[2]
	w.deactivate(ctx, cat.ID)
	// A PATCH that leaves the user inactive keeps the hold and the account.
	if _, err := w.patch(cat.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "title", Value: "Chef"}); err != nil {
		t.Fatal(err)
	}
	a := w.absorbUser(w.absorbIDOf(cat.ID))
	if a.ActiveStatus != 0 || a.JobTitle != "Chef" {
		t.Errorf("PATCH of a held user: activeStatus %d title %q, want 0 and Chef", a.ActiveStatus, a.JobTitle)
	}
	if _, err := w.patch(cat.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "active", Value: true}); err != nil {
		t.Fatal(err)
	}
	if n := w.b.HeldDeactivations(); n != 0 {
		t.Errorf("%d held after the reactivation, want 0", n)
	}
	if got := w.get(cat.ID).Doc["active"]; got != true {
		t.Errorf("reactivated user reads active %v", got)
	}
	if rep, _ := w.b.ReleaseHolds(context.Background(), nil); rep.Released != 0 {
		t.Errorf("a cancelled hold was released: %+v", rep)
	}
	if got := w.absorbUser(w.absorbIDOf(cat.ID)).ActiveStatus; got != 0 {
		t.Errorf("reactivated user's account: activeStatus %d, want 0", got)
	}
}

func TestHoldsSurviveARestart(t *testing.T) {
	var log strings.Builder
	w, users := brakeWorld(t, &log)
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta"})
	w.deactivate(ctx, users[2].ID)
	w.restart()
	holds := w.b.ListHolds()
	if len(holds) != 1 || holds[0].ID != users[2].ID {
		t.Fatalf("after restart ListHolds = %+v, want cat's", holds)
	}
	// Still tripped: the next deactivation is held, not sent.
	w.deactivate(ctx, users[3].ID)
	if got := w.absorbUser(w.absorbIDOf(users[3].ID)).ActiveStatus; got != 0 {
		t.Errorf("after restart a deactivation went through the tripped brake")
	}
	if rep, err := w.b.ReleaseHolds(ctx, nil); err != nil || rep.Released != 2 {
		t.Fatalf("release after restart: %+v, %v", rep, err)
	}
	if got := w.absorbUser(w.absorbIDOf(users[2].ID)).ActiveStatus; got != 1 {
		t.Errorf("released after restart: activeStatus %d, want 1", got)
	}
}

func TestBrakeOffWithMaxZero(t *testing.T) {
	w := newWorld(t, withLimit(0, time.Hour))
	ctx := context.Background()
	for _, n := range []string{"a", "b", "c"} {
		u := w.create(userDoc(n+"@example.com", n, "Doe"))
		w.deactivate(ctx, u.ID)
		if got := w.absorbUser(w.absorbIDOf(u.ID)).ActiveStatus; got != 1 {
			t.Errorf("with max 0, %s was not deactivated in Absorb", n)
		}
	}
	if n := w.b.HeldDeactivations(); n != 0 {
		t.Errorf("%d held with the brake off", n)
	}
}

func TestRecreatingAHeldDeleteCancelsItsHold(t *testing.T) {
	var log strings.Builder
	w, users := brakeWorld(t, &log)
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta"})
	dan := users[3]
	absorbID := w.absorbIDOf(dan.ID)
	if err := w.b.DeleteUser(ctx, dan.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if n := w.b.HeldDeactivations(); n != 1 {
		t.Fatalf("%d held after the DELETE, want 1", n)
	}
	again := w.create(userDoc("dan@example.com", "Dan", "Again"))
	if got := w.absorbIDOf(again.ID); got != absorbID {
		t.Fatalf("re-created user holds %s, want the same account %s", got, absorbID)
	}
	if n := w.b.HeldDeactivations(); n != 0 {
		t.Errorf("%d held after the IdP provisioned the account again, want 0", n)
	}
	if got := w.absorbUser(absorbID).ActiveStatus; got != 0 {
		t.Errorf("re-created account: activeStatus %d, want 0", got)
	}
	cancelled := false
	for _, r := range opsAuditRecords(t, w.store) {
		cancelled = cancelled || (r.Operation == bridge.OpCancelHold && r.ResourceID == dan.ID)
	}
	if !cancelled {
		t.Error("no cancel-hold audit record")
	}
}

// A held user the IdP then deletes stays held, once, as a DELETE that keeps
// its place in the queue; discarding it brings the user back active.
func TestDeleteOfAHeldUserStaysHeld(t *testing.T) {
	var log strings.Builder
	w, users := brakeWorld(t, &log)
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta"})
	cat := users[2]
	w.deactivate(ctx, cat.ID)
	first := w.b.ListHolds()
	if err := w.b.DeleteUser(ctx, cat.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	holds := w.b.ListHolds()
	if len(holds) != 1 || holds[0].Request != bridge.HoldDelete || !holds[0].Time.Equal(first[0].Time) {
		t.Fatalf("holds after the DELETE %+v, want cat's one hold, now a delete, at its first time", holds)
	}
	if got := w.absorbUser(w.absorbIDOf(users[0].ID)).ActiveStatus; got != 1 {
		t.Fatalf("setup: ann not deactivated")
	}
	if rep, err := w.b.DiscardHolds(ctx, []string{cat.ID}); err != nil || rep.Discarded != 1 {
		t.Fatalf("discard: %+v, %v", rep, err)
	}
	if got := w.get(cat.ID).Doc["active"]; got != true {
		t.Errorf("discarded: active %v, want true", got)
	}
}
