package bridge_test

import (
	"context"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// withAbsorbDates makes the fake write dates as Absorb does: no zone, a
// fraction of a second (the other behaviours as the environment says).
func withAbsorbDates(c *worldConfig) {
	c.fake = func(o *fakeabsorb.Options) { o.Variants.Dates = "absorb" }
}

func datedUserDoc(userName string, hired, terminated string) scimdoc.Document {
	doc := userDoc(userName, "Dated", "User")
	doc["schemas"] = []any{mapping.UserURN, mapping.AbsorbURN}
	doc[mapping.AbsorbURN] = map[string]any{
		"dateHired":      hired,
		"dateTerminated": terminated,
		"customFields":   map[string]any{"datetime1": "2024-03-01T10:00:00+02:00"},
	}
	return doc
}

// Absorb holds dateHired and dateTerminated in its own form; the IdP sends
// them in another. Neither reconcile nor the IdP's next write sends them
// again.
func TestAnUnchangedDateIsNoWriteUnderAbsorbDates(t *testing.T) {
	w := newWorld(t, withAbsorbDates)
	ctx := context.Background()
	u := w.create(datedUserDoc("dated@example.com", "2024-03-01", "2025-06-30T17:00:00Z"))
	if got := w.absorbUser(w.absorbIDOf(u.ID)).DateHired; !got.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("the fake holds dateHired %v", got)
	}
	w.sync()

	w.resetCalls()
	rep, err := w.b.Reconcile(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range rep.Drift {
		if d.UserID == u.ID {
			t.Errorf("reconcile found drift %+v", d)
		}
	}
	if got := upstreamWrites(w.fake.Stats()); len(got) != 0 {
		t.Errorf("reconcile wrote %v", got)
	}

	// The IdP sends the same instants in other forms.
	again := datedUserDoc("dated@example.com", "2024-03-01T00:00:00Z", "2025-06-30T19:00:00+02:00")
	if _, err := w.b.ReplaceUser(ctx, u.ID, w.norm(again), scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if got := upstreamWrites(w.fake.Stats()); len(got) != 0 {
		t.Errorf("an unchanged dateHired and dateTerminated were sent: %v", got)
	}

	// A date that moved is sent.
	moved := datedUserDoc("dated@example.com", "2024-03-02", "2025-06-30T17:00:00Z")
	if _, err := w.b.ReplaceUser(ctx, u.ID, w.norm(moved), scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if got := w.absorbUser(w.absorbIDOf(u.ID)).DateHired; !got.Equal(time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("the fake holds dateHired %v after the IdP moved it", got)
	}
}

// A portal that answers a PUT with the bare id tells the bridge nothing of
// the account's new dateEdited: reconcile must not report the copy the fix
// left as stale.
func TestReconcileAfterAFixWhenWritesAnswerTheBareID(t *testing.T) {
	w := newWorld(t, func(c *worldConfig) {
		c.fake = func(o *fakeabsorb.Options) { o.Variants.Answers = "string" }
	})
	ctx := context.Background()
	u := w.create(userDoc("walt@example.com", "Walt", "Whitman"))
	w.sync()
	w.advance(2 * time.Second)
	w.editInAbsorb(w.absorbIDOf(u.ID), func(a *absorbapi.User) { a.FirstName = "Walter" })
	w.advance(2 * time.Second)

	rep, err := w.b.Reconcile(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Fixed != 1 {
		t.Fatalf("reconcile fixed %d drifts, want 1: %+v", rep.Fixed, rep.Drift)
	}
	if got := w.absorbUser(w.absorbIDOf(u.ID)).FirstName; got != "Walt" {
		t.Fatalf("Absorb holds %q after the fix", got)
	}
	rep, err = w.b.Reconcile(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Drift) != 0 {
		t.Errorf("drift left after the fix: %+v", rep.Drift)
	}
}
