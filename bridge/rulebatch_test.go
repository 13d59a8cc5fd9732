package bridge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// moverRule gives the members of "Movers" the Research department.
var moverRule = bridge.Rule{Name: "movers", DisplayName: "Movers", Department: "Research"}

// uploadBehaviour gives the bridge this UploadBehaviour.
func uploadBehaviour(b string) func(*worldConfig) {
	return func(c *worldConfig) { c.uploadBehaviour = b }
}

// fakeUpload makes the fake Absorb play this upload variant, whatever
// ABSORB_SCIM_TEST_VARIANT says.
func fakeUpload(v string) func(*worldConfig) {
	return func(c *worldConfig) {
		c.fake = func(o *fakeabsorb.Options) { o.Variants.Upload = v }
	}
}

// provision makes n learners in the fake Absorb's Company department and
// stores each as a SCIM user linked to its account, with the local copy of
// the account, as a create leaves them. It returns their SCIM ids; user i
// is mover<i>@example.com.
func (w *world) provision(n int) []string {
	w.t.Helper()
	seed := make([]fakeabsorb.User, n)
	for i := range seed {
		name := fmt.Sprintf("mover%d@example.com", i)
		seed[i] = fakeabsorb.User{Username: name, FirstName: "Mover", LastName: fmt.Sprint("Number", i),
			EmailAddress: name, DepartmentID: fakeabsorb.DeptCompanyID, JobTitle: "Tester", IsLearner: true, HasUsername: true}
	}
	added := w.fake.AddUsers(seed...)
	ids := make([]string, n)
	now := time.Now()
	err := w.store.Update(func(tx storage.Tx) error {
		for i, f := range added {
			a := absorbapi.User{ID: f.ID, Username: f.Username, FirstName: f.FirstName, LastName: f.LastName,
				EmailAddress: f.EmailAddress, DepartmentID: f.DepartmentID, JobTitle: f.JobTitle, IsLearner: true, HasUsername: true}
			doc := userDoc(a.Username, a.FirstName, a.LastName)
			doc["title"] = a.JobTitle
			raw, err := json.Marshal(doc)
			if err != nil {
				return err
			}
			ids[i] = fmt.Sprintf("30000000-0000-4000-8000-%012d", i)
			if err := tx.PutUser(storage.User{ID: ids[i], AbsorbID: a.ID, UserName: a.Username, Emails: []string{a.Username},
				Active: true, Resource: raw, Created: now, LastModified: now, Version: 1}); err != nil {
				return err
			}
			copyRaw, err := json.Marshal(a)
			if err != nil {
				return err
			}
			if err := tx.PutAbsorbUser(storage.AbsorbUser{ID: a.ID, Username: a.Username, Raw: copyRaw}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		w.t.Fatalf("provision: %v", err)
	}
	return ids
}

// departments returns the department of every account in the fake Absorb,
// by Absorb id.
func (w *world) departments() map[string]string {
	out := map[string]string{}
	for _, u := range w.fake.Users() {
		out[u.ID] = u.DepartmentID
	}
	return out
}

// pendingRuleStates counts the users with rule work stored.
func (w *world) pendingRuleStates() int {
	w.t.Helper()
	n := 0
	err := w.store.View(func(tx storage.Tx) error {
		return tx.ForEachRuleState(func(string, json.RawMessage) (bool, error) {
			n++
			return true, nil
		})
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// uploadTap records, per Absorb id, how often an upload took the account,
// how often one carried it and how often a PUT did; drop, when set, leaves
// users out of the upload they are sent in and answers them as Absorb
// answers a user it did not take; after, when set, runs after each upload.
type uploadTap struct {
	bridge.Absorb
	mu    sync.Mutex
	calls int
	sent  map[string]int
	taken map[string]int
	put   map[string]int
	drop  func(absorbapi.User) bool
	after func(calls int)
}

func tapUploads(t *uploadTap) func(*worldConfig) {
	t.sent, t.taken, t.put = map[string]int{}, map[string]int{}, map[string]int{}
	return func(c *worldConfig) {
		c.wrap = func(a bridge.Absorb) bridge.Absorb { t.Absorb = a; return t }
	}
}

func (t *uploadTap) UpdateUser(ctx context.Context, u absorbapi.User) (*absorbapi.User, error) {
	t.mu.Lock()
	t.put[u.ID]++
	t.mu.Unlock()
	return t.Absorb.UpdateUser(ctx, u)
}

func (t *uploadTap) UploadUsers(ctx context.Context, users []absorbapi.User) ([]absorbapi.UploadResult, error) {
	var send []absorbapi.User
	var at []int
	for i, u := range users {
		if t.drop == nil || !t.drop(u) {
			send = append(send, u)
			at = append(at, i)
		}
	}
	results := make([]absorbapi.UploadResult, len(users))
	for i, u := range users {
		results[i] = absorbapi.UploadResult{Username: u.Username, Err: absorbapi.ErrUploadRejected}
	}
	got, err := t.Absorb.UploadUsers(ctx, send)
	for j, r := range got {
		results[at[j]] = r
	}
	t.mu.Lock()
	t.calls++
	calls := t.calls
	for i, u := range users {
		t.sent[u.ID]++
		if results[i].OK {
			t.taken[u.ID]++
		}
	}
	t.mu.Unlock()
	if t.after != nil {
		t.after(calls)
	}
	return results, err
}

// A big group assigned moves its 1,001 members (201 under the race
// detector) in uploads of 200: one upload per 200 and one read of an
// answered account, no PUT; every account moves, keeps its other fields,
// and each move is audited.
func TestRulesMoveDepartmentsByUpload(t *testing.T) {
	n := 1001
	if raceEnabled {
		n = 201
	}
	uploads := (n + 199) / 200
	w := newWorld(t, withRules(moverRule), uploadBehaviour(bridge.UploadUpdates), fakeUpload("update"))
	ids := w.provision(n)
	w.run()
	w.warm()
	w.resetCalls()
	w.createGroup("Movers", ids...)
	w.waitRules()

	calls := w.calls()
	if calls["POST /users/upload"] != uploads || calls["PUT /users/{id}"] != 0 {
		t.Errorf("upstream calls %v: want %d uploads of up to 200 users and no PUT", calls, uploads)
	}
	if got := calls["GET /users/{id}"]; got != 1 {
		t.Errorf("%d reads of single accounts, want 1 (the first upload's answer checked once)", got)
	}
	moved := 0
	for _, u := range w.fake.Users() {
		if strings.HasPrefix(u.Username, "mover") {
			if u.DepartmentID == fakeabsorb.DeptResearchID && u.FirstName == "Mover" && u.JobTitle == "Tester" {
				moved++
			}
		} else if u.DepartmentID == fakeabsorb.DeptResearchID {
			t.Errorf("account %s, which no member holds, moved to Research", u.Username)
		}
	}
	if moved != n {
		t.Errorf("%d of %d accounts in Research with their other fields kept", moved, n)
	}
	st := w.b.RuleStats()
	if st.DepartmentChanges != n || st.DepartmentChangesByUpload != n || st.UploadCalls != uploads || st.Failures != 0 || st.Pending != 0 {
		t.Errorf("rule stats %+v, want %d changes, all by upload, %d uploads, none pending or failed", st, n, uploads)
	}
	if left := w.pendingRuleStates(); left != 0 {
		t.Errorf("%d users still have rule work stored", left)
	}
	audited := map[string]bool{}
	err := w.store.View(func(tx storage.Tx) error {
		return tx.ForEachAudit(0, func(r storage.AuditRecord) (bool, error) {
			for _, c := range r.Changes {
				if r.Operation == bridge.OpUpload && r.Outcome == bridge.OutcomeOK && c.Field == "departmentId" && c.To == fakeabsorb.DeptResearchID {
					audited[r.ResourceID] = true
				}
			}
			return true, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if !audited[id] {
			t.Fatalf("user %s's move is not audited (%d of %d are)", id, len(audited), n)
		}
	}
}

// Where the upload is not known to update existing accounts, or is known
// not to, each move is one PUT; where it was pinned wrongly, the first
// upload's answer is read back, found false, and every user is sent again
// alone.
func TestRulesMoveDepartmentsOnePutPerUserUnlessUploadUpdates(t *testing.T) {
	const n = 20
	for _, tt := range []struct {
		name, known, fake string
		uploads           int
	}{
		{"unknown", "", "update", 0},
		{"keep", "keep", "keep", 0},
		{"pinned update, plays keep", bridge.UploadUpdates, "keep", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, withRules(moverRule), uploadBehaviour(tt.known), fakeUpload(tt.fake))
			ids := w.provision(n)
			w.run()
			w.warm()
			w.resetCalls()
			w.createGroup("Movers", ids...)
			w.waitRules()
			calls := w.calls()
			if calls["POST /users/upload"] != tt.uploads || calls["PUT /users/{id}"] != n {
				t.Errorf("upstream calls %v: want %d uploads and %d PUTs", calls, tt.uploads, n)
			}
			depts := w.departments()
			for _, id := range ids {
				if got := depts[w.absorbIDOf(id)]; got != fakeabsorb.DeptResearchID {
					t.Fatalf("user %s in department %s, want Research", id, got)
				}
			}
			if st := w.b.RuleStats(); st.DepartmentChanges != n || st.DepartmentChangesByUpload != 0 || st.Pending != 0 {
				t.Errorf("rule stats %+v, want %d changes, none by upload", st, n)
			}
			// A Bulk request's update is not trusted to an upload either.
			results := w.b.Bulk(context.Background(), []bridge.BulkOperation{{Method: http.MethodPatch, Resource: "User", ID: ids[0],
				Patch: []scimdoc.Operation{{Op: "replace", Path: "title", Value: "Mover in Chief"}}}}, 0)
			if len(results) != 1 || results[0].Err != nil {
				t.Fatalf("Bulk: %+v", results)
			}
			for _, u := range w.fake.Users() {
				if u.ID == w.absorbIDOf(ids[0]) && u.JobTitle != "Mover in Chief" {
					t.Errorf("the Bulk update did not reach Absorb: jobTitle %q", u.JobTitle)
				}
			}
		})
	}
}

// Users an upload does not take are sent again alone; the others are not.
func TestRulesUsersAnUploadLeavesOutGoAlone(t *testing.T) {
	const n = 202
	tap := &uploadTap{}
	w := newWorld(t, withRules(moverRule), uploadBehaviour(bridge.UploadUpdates), fakeUpload("update"), tapUploads(tap))
	ids := w.provision(n)
	left := map[string]bool{w.absorbIDOf(ids[3]): true, w.absorbIDOf(ids[200]): true}
	tap.drop = func(u absorbapi.User) bool { return left[u.ID] }
	w.run()
	w.warm()
	w.resetCalls()
	w.createGroup("Movers", ids...)
	w.waitRules()
	calls := w.calls()
	if calls["POST /users/upload"] != 2 || calls["PUT /users/{id}"] != len(left) {
		t.Errorf("upstream calls %v: want 2 uploads and a PUT for each of the %d users left out", calls, len(left))
	}
	depts := w.departments()
	for _, id := range ids {
		if got := depts[w.absorbIDOf(id)]; got != fakeabsorb.DeptResearchID {
			t.Fatalf("user %s in department %s, want Research", id, got)
		}
	}
	if st := w.b.RuleStats(); st.DepartmentChanges != n || st.DepartmentChangesByUpload != n-len(left) {
		t.Errorf("rule stats %+v, want %d changes, %d by upload", st, n, n-len(left))
	}
}

// A restart in the middle of the queue resumes with the users after the
// last finished upload: no user an upload took is sent again.
func TestRulesBatchesResumeAfterARestart(t *testing.T) {
	n := 650
	if raceEnabled {
		n = 210
	}
	tap := &uploadTap{}
	w := newWorld(t, withRules(moverRule), uploadBehaviour(bridge.UploadUpdates), fakeUpload("update"), tapUploads(tap))
	ids := w.provision(n)
	ctx, cancel := context.WithCancel(context.Background())
	tap.after = func(calls int) {
		if calls == 1 {
			cancel() // the bridge stops as the first upload is answered
		}
	}
	done := make(chan error, 1)
	b := w.b
	go func() { done <- b.Run(ctx) }()
	w.createGroup("Movers", ids...)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not stop")
	}
	pending := w.pendingRuleStates()
	if pending == 0 || pending > n-200 {
		t.Fatalf("%d users pending after the stop, want some, and none of the 200 the first upload took", pending)
	}

	tap.after = nil
	w.restart()
	w.run()
	w.waitRules()
	for id, times := range tap.taken {
		if times != 1 {
			t.Errorf("account %s taken by %d uploads, want 1", id, times)
		}
	}
	if len(tap.taken) != n {
		t.Errorf("%d accounts taken by uploads, want %d", len(tap.taken), n)
	}
	depts := w.departments()
	for _, id := range ids {
		if got := depts[w.absorbIDOf(id)]; got != fakeabsorb.DeptResearchID {
			t.Fatalf("user %s in department %s, want Research", id, got)
		}
	}
	if left := w.pendingRuleStates(); left != 0 {
		t.Errorf("%d users still pending after the restart", left)
	}
}

// An administrator's account among a group's members is never written,
// in an upload or alone, and its work does not stay pending; accounts no
// member holds are not touched either.
func TestRulesNeverWriteAnAdministrator(t *testing.T) {
	for _, known := range []string{bridge.UploadUpdates, ""} {
		t.Run("upload="+known, func(t *testing.T) { testRulesNeverWriteAnAdministrator(t, known) })
	}
}

func testRulesNeverWriteAnAdministrator(t *testing.T, known string) {
	tap := &uploadTap{}
	w := newWorld(t, withRules(moverRule), uploadBehaviour(known), fakeUpload("update"), tapUploads(tap))
	ids := w.provision(30)
	// A member whose account became an administrator's since it was
	// linked, and one linked to the bridge's own admin account, whose
	// local copy shows no admin role: its username alone protects it.
	const adminSCIM, ownSCIM = "30000000-0000-4000-8000-999999999999", "30000000-0000-4000-8000-999999999998"
	var auditor, own fakeabsorb.User
	for _, u := range w.fake.Users() {
		switch u.ID {
		case fakeabsorb.UserAuditorID:
			auditor = u
		case fakeabsorb.UserBridgeAdminID:
			own = u
		}
	}
	link := func(scimID string, u fakeabsorb.User, isAdmin bool) {
		t.Helper()
		err := w.store.Update(func(tx storage.Tx) error {
			raw, _ := json.Marshal(userDoc(u.Username, u.FirstName, u.LastName))
			now := time.Now()
			if err := tx.PutUser(storage.User{ID: scimID, AbsorbID: u.ID, UserName: u.Username,
				Active: true, Resource: raw, Created: now, LastModified: now, Version: 1}); err != nil {
				return err
			}
			copyRaw, _ := json.Marshal(absorbapi.User{ID: u.ID, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName,
				DepartmentID: u.DepartmentID, IsAdmin: isAdmin, IsLearner: !isAdmin})
			return tx.PutAbsorbUser(storage.AbsorbUser{ID: u.ID, Username: u.Username, Raw: copyRaw})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	link(adminSCIM, auditor, true)
	link(ownSCIM, own, false)
	before := w.fake.Users()
	w.run()
	w.resetCalls()
	w.createGroup("Movers", append(ids[:15:15], append([]string{adminSCIM, ownSCIM}, ids[15:]...)...)...)
	w.waitRules()
	if tap.sent[auditor.ID]+tap.put[auditor.ID] != 0 || tap.sent[own.ID]+tap.put[own.ID] != 0 {
		t.Errorf("administrators' accounts sent: auditor in %d uploads and %d PUTs, the bridge's own in %d uploads and %d PUTs",
			tap.sent[auditor.ID], tap.put[auditor.ID], tap.sent[own.ID], tap.put[own.ID])
	}
	movers := map[string]bool{}
	for _, id := range ids {
		movers[w.absorbIDOf(id)] = true
	}
	after := map[string]fakeabsorb.User{}
	for _, u := range w.fake.Users() {
		after[u.ID] = u
	}
	for _, u := range before {
		got := after[u.ID]
		switch {
		case movers[u.ID] && got.DepartmentID != fakeabsorb.DeptResearchID:
			t.Errorf("member %s in %s, want Research", u.Username, got.DepartmentID)
		case !movers[u.ID] && (got.DepartmentID != u.DepartmentID || got.DateEdited != u.DateEdited):
			t.Errorf("account %s, which the rules must not write, changed", u.Username)
		}
	}
	if left := w.pendingRuleStates(); left != 0 {
		t.Errorf("%d users still pending: the administrator's work must end, not be retried", left)
	}

	// Re-applied on demand, every account is read from Absorb first: one
	// whose local copy is stale (a learner's) is still found out before it
	// enters an upload.
	link(adminSCIM, auditor, false)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := w.b.ReapplyRules(ctx); err != nil {
		t.Fatalf("ReapplyRules: %v (an administrator's account must not be retried for ever)", err)
	}
	if tap.sent[auditor.ID]+tap.put[auditor.ID] != 0 {
		t.Errorf("re-applied: the administrator's account was sent in %d uploads and %d PUTs", tap.sent[auditor.ID], tap.put[auditor.ID])
	}
	for _, u := range w.fake.Users() {
		if u.ID == auditor.ID && (u.DepartmentID != auditor.DepartmentID || u.DateEdited != auditor.DateEdited) {
			t.Error("re-applied: the administrator's account changed")
		}
	}
}

// Re-applied on demand, the rules read every member's account from Absorb
// (50 to a GET /users) and put back, by upload, the departments someone
// changed in Absorb behind the bridge's back.
func TestRulesReapplyByUploadReadsAbsorb(t *testing.T) {
	const n = 60
	w := newWorld(t, withRules(moverRule), uploadBehaviour(bridge.UploadUpdates), fakeUpload("update"))
	ids := w.provision(n)
	w.run()
	w.createGroup("Movers", ids...)
	w.waitRules()
	auditor := w.newClient("auditor")
	ctx := context.Background()
	for _, id := range ids[:5] {
		u, err := auditor.GetUser(ctx, w.absorbIDOf(id))
		if err != nil {
			t.Fatal(err)
		}
		u.DepartmentID = fakeabsorb.DeptSupportID
		if _, err := auditor.UpdateUser(ctx, *u); err != nil {
			t.Fatal(err)
		}
	}
	w.resetCalls()
	rep, err := w.b.ReapplyRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.DepartmentChanges != 5 || rep.DepartmentChangesByUpload != 5 || rep.UploadCalls != 1 || rep.Failures != 0 || rep.Pending != 0 {
		t.Errorf("report %+v, want the 5 moved back in one upload", rep)
	}
	calls := w.calls()
	if calls["POST /users/upload"] != 1 || calls["GET /users/{id}"] != 0 || calls["PUT /users/{id}"] != 0 {
		t.Errorf("upstream calls %v: want one upload, and the accounts read by GET /users only", calls)
	}
	depts := w.departments()
	for _, id := range ids {
		if got := depts[w.absorbIDOf(id)]; got != fakeabsorb.DeptResearchID {
			t.Fatalf("user %s in department %s after re-applying, want Research", id, got)
		}
	}
}
