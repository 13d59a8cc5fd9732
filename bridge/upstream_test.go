package bridge_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
	"github.com/google/go-cmp/cmp"
)

// upstreamCase is one use case run while Absorb misbehaves.
type upstreamCase struct {
	name string
	// mirrored runs a full sync first, so lookups of unknown names are local.
	mirrored bool
	run      func(w *world, jane scimdoc.Resource) error
}

var upstreamCases = []upstreamCase{
	{"create", false, func(w *world, _ scimdoc.Resource) error {
		_, err := w.b.CreateUser(context.Background(), w.norm(userDoc("new@example.com", "New", "User")))
		return err
	}},
	{"create with a complete local copy", true, func(w *world, _ scimdoc.Resource) error {
		_, err := w.b.CreateUser(context.Background(), w.norm(userDoc("new@example.com", "New", "User")))
		return err
	}},
	{"create adopting", false, func(w *world, _ scimdoc.Resource) error {
		_, err := w.b.CreateUser(context.Background(), w.norm(userDoc("bob@example.com", "Bob", "Brown")))
		return err
	}},
	{"patch", false, func(w *world, jane scimdoc.Resource) error {
		_, err := w.patch(jane.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "title", Value: "Changed"})
		return err
	}},
	{"replace", false, func(w *world, jane scimdoc.Resource) error {
		doc := scimdoc.DeepCopy(jane.Doc)
		doc["title"] = "Replaced"
		_, err := w.b.ReplaceUser(context.Background(), jane.ID, w.norm(doc), scimdoc.Precondition{})
		return err
	}},
	{"delete", false, func(w *world, jane scimdoc.Resource) error {
		return w.b.DeleteUser(context.Background(), jane.ID, scimdoc.Precondition{})
	}},
}

func TestUpstreamFailuresBecomeRetryableSCIMErrors(t *testing.T) {
	faults := []struct {
		spec   string
		status int
	}{
		{"throttle=1", http.StatusTooManyRequests},
		{"error5xx=1", http.StatusServiceUnavailable},
		{"reset=1", http.StatusServiceUnavailable},
	}
	for _, f := range faults {
		for _, c := range upstreamCases {
			t.Run(f.spec+"/"+c.name, func(t *testing.T) {
				w := newWorld(t)
				jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
				if c.mirrored {
					w.sync()
				}
				before := w.get(jane.ID)
				users := w.counts().Users
				if err := w.fake.SetFaults(f.spec); err != nil {
					t.Fatal(err)
				}

				err := c.run(w, jane)

				se := scimError(t, err, f.status)
				if se.RetryAfter <= 0 {
					t.Errorf("Retry-After %v, want > 0", se.RetryAfter)
				}
				if err := w.fake.SetFaults(""); err != nil {
					t.Fatal(err)
				}
				after := w.get(jane.ID)
				if after.Version != before.Version {
					t.Errorf("version moved from %d to %d though Absorb failed", before.Version, after.Version)
				}
				if got := w.counts().Users; got != users {
					t.Errorf("%d users stored, want %d", got, users)
				}
			})
		}
	}
}

func TestUpstreamFailureBeforeLogin(t *testing.T) {
	// The very first call logs in; a throttled or failing login is the same
	// retryable answer, not an internal error.
	for _, f := range []struct {
		spec   string
		status int
	}{{"throttle=1", http.StatusTooManyRequests}, {"error5xx=1", http.StatusServiceUnavailable}} {
		t.Run(f.spec, func(t *testing.T) {
			w := newWorld(t)
			if err := w.fake.SetFaults(f.spec); err != nil {
				t.Fatal(err)
			}
			_, err := w.b.CreateUser(context.Background(), w.norm(userDoc("new@example.com", "New", "User")))
			scimError(t, err, f.status)
		})
	}
}

func TestWrongAdminCredentialsAreUnavailable(t *testing.T) {
	w := newWorld(t)
	c := w.newClientWithPassword("bridge-admin", "wrong-password")
	b, err := bridge.New(bridge.Config{Absorb: c, Store: w.store, Mapper: w.mapper()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.CreateUser(context.Background(), w.norm(userDoc("new@example.com", "New", "User")))
	se := scimError(t, err, http.StatusServiceUnavailable)
	if se.RetryAfter <= 0 {
		t.Errorf("no Retry-After")
	}
}

func TestStolenTokenIsRecovered(t *testing.T) {
	w := newWorld(t)
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	w.resetCalls()
	w.fake.StealToken("bridge-admin")
	if _, err := w.patch(jane.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "title", Value: "After theft"}); err != nil {
		t.Fatal(err)
	}
	if got := w.absorbUser(w.absorbIDOf(jane.ID)).JobTitle; got != "After theft" {
		t.Errorf("jobTitle %q", got)
	}
	if st := w.fake.Stats(); st.Logins != 1 {
		t.Errorf("%d logins after a stolen token, want 1", st.Logins)
	}
}

func TestCommittedCreateIsResolvedOnRetry(t *testing.T) {
	// Absorb carries out the create but the answer is lost: the connection is
	// reset, or the answer comes after the caller gave up. The create fails
	// with 503 and keeps its intent; the retry finds the account and links
	// it: one account, one mapping, the same SCIM id.
	tests := []struct {
		name    string
		faults  string
		timeout time.Duration
	}{
		{"connection reset", "reset=1", 0},
		{"answer after the deadline", "latency=400ms", 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testCommittedCreate(t, tt.faults, tt.timeout)
		})
	}
}

func testCommittedCreate(t *testing.T, faults string, timeout time.Duration) {
	// Lookups of the new name are local after the sync on a portal known to
	// refuse a taken username, so only the POST meets the fault.
	w := newWorld(t, strictCreates)
	w.sync()
	w.create(userDoc("first@example.com", "First", "User")) // resolves the default department

	if err := w.fake.SetFaults(faults); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	_, err := w.b.CreateUser(ctx, w.norm(userDoc("lost@example.com", "Lost", "Answer")))
	scimError(t, err, http.StatusServiceUnavailable)
	if err := w.fake.SetFaults(""); err != nil {
		t.Fatal(err)
	}
	if got := len(w.absorbUsersNamed("lost@example.com")); got != 1 {
		t.Fatalf("%d Absorb accounts after the reset create, want 1 (the fake committed it)", got)
	}
	var intent storage.Intent
	err = w.store.View(func(tx storage.Tx) error {
		var err error
		intent, err = tx.Intent("lost@example.com")
		return err
	})
	if err != nil {
		t.Fatalf("no intent kept after an unknown outcome: %v", err)
	}
	if c := w.counts(); c.Users != 1 {
		t.Errorf("%d users stored after a failed create, want 1 (the first)", c.Users)
	}

	res := w.create(userDoc("lost@example.com", "Lost", "Answer"))

	if res.ID != intent.SCIMID {
		t.Errorf("SCIM id %s, want the intent's %s", res.ID, intent.SCIMID)
	}
	accounts := w.absorbUsersNamed("lost@example.com")
	if len(accounts) != 1 {
		t.Fatalf("%d Absorb accounts, want 1", len(accounts))
	}
	if got := w.absorbIDOf(res.ID); got != accounts[0].ID {
		t.Errorf("mapped to %s, want %s", got, accounts[0].ID)
	}
	if c := w.counts(); c.Users != 2 || c.Intents != 0 {
		t.Errorf("storage holds %d users and %d intents, want 2 and 0", c.Users, c.Intents)
	}
	if _, err := w.b.CreateUser(context.Background(), w.norm(userDoc("lost@example.com", "Lost", "Answer"))); err == nil {
		t.Errorf("a third create succeeded")
	}
}

func TestScopedAdmin(t *testing.T) {
	w := newWorld(t, asAdmin("scoped-admin"))
	doc := userDoc("rep@example.com", "Sales", "Rep")
	doc[mapping.EnterpriseURN] = map[string]any{"department": "Sales"}
	rep := w.create(doc)
	absorbID := w.absorbIDOf(rep.ID)
	if got := w.absorbUser(absorbID).DepartmentID; got != fakeabsorb.DeptSalesID {
		t.Fatalf("department %s, want Sales", got)
	}
	// Bob is in Sales: the scoped admin sees him and his create adopts him.
	bob := w.create(userDoc("bob@example.com", "Bob", "Brown"))
	if got := w.absorbIDOf(bob.ID); got != fakeabsorb.UserBobID {
		t.Errorf("bob's create linked %s, want his account %s", got, fakeabsorb.UserBobID)
	}
	// Carol is in Support: invisible, so her create is a conflict that says so.
	carol := userDoc("carol@example.com", "Carol", "Chen")
	carol[mapping.EnterpriseURN] = map[string]any{"department": "Sales"}
	_, err := w.b.CreateUser(context.Background(), w.norm(carol))
	want := "outside the department scope"
	if w.upserts() {
		want = "did not create a new account" // the portal updated her account; the bridge says so
	}
	if se := scimError(t, err, http.StatusConflict); !strings.Contains(se.Detail, want) {
		t.Errorf("create of a hidden account: %v", se)
	}

	// Renaming the rep to a userName held outside the scope is a conflict
	// that says so.
	_, err = w.patch(rep.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "userName", Value: "alice@example.com"})
	if se := scimError(t, err, http.StatusConflict); se.ScimType != scimdoc.TypeUniqueness || !strings.Contains(se.Detail, "outside the department scope") {
		t.Errorf("rename onto a hidden account: %v", se)
	}

	// Another admin moves the rep out of Sales: writes are refused with a
	// conflict that says why, and nothing is stored.
	w.editInAbsorb(absorbID, func(u *absorbapi.User) { u.DepartmentID = fakeabsorb.DeptEngineeringID })
	before := w.get(rep.ID)
	_, err = w.patch(rep.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "title", Value: "Lost"})
	se := scimError(t, err, http.StatusConflict)
	if !strings.Contains(se.Detail, "no longer visible") {
		t.Errorf("detail %q", se.Detail)
	}
	se = scimError(t, w.b.DeleteUser(context.Background(), rep.ID, scimdoc.Precondition{}), http.StatusConflict)
	if !strings.Contains(se.Detail, "no longer visible") {
		t.Errorf("detail %q", se.Detail)
	}
	if got := w.get(rep.ID); got.Version != before.Version {
		t.Errorf("version %d, want %d", got.Version, before.Version)
	}
}

func TestRulesRetryFailedWork(t *testing.T) {
	// Absorb fails while the rules apply a membership: the work is retried
	// and WaitRules waits for the retry.
	failed := newLogEvent("group rules: will retry")
	w := newWorld(t, withRules(testRules...), func(c *worldConfig) { c.log = failed })
	w.run()
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	if err := w.fake.SetFaults("error5xx=1"); err != nil {
		t.Fatal(err)
	}
	w.createGroup("Sales Team", jane.ID)
	failed.wait(t, 5*time.Second)
	if err := w.fake.SetFaults(""); err != nil {
		t.Fatal(err)
	}
	w.waitRules()
	if w.b.RuleStats().Failures == 0 {
		t.Fatalf("no failure was met")
	}
	if got := w.department(jane.ID); got != fakeabsorb.DeptSalesID {
		t.Errorf("department %s after the retry, want Sales", got)
	}
	if diff := cmp.Diff([]string{fakeabsorb.CourseSalesFundamentalsID}, w.courses(jane.ID)); diff != "" {
		t.Errorf("courses (-want +got):\n%s", diff)
	}
}
