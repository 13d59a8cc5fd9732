package bridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
	"github.com/google/go-cmp/cmp"
)

// testRules are the group rules of the rule tests, in priority order.
var testRules = []bridge.Rule{
	{Name: "sales", DisplayName: "Sales Team", Department: "Sales", Courses: []string{"Sales Fundamentals"}},
	{Name: "engineering", DisplayNamePattern: "Engineering*", Department: "dept-eng"},
	{Name: "security", DisplayName: "Security Training", Courses: []string{"Security Awareness"}, UnenrollOnLeave: true},
	{Name: "champions", ExternalID: "grp-champions", Courses: []string{fakeabsorb.CourseSecurityAwarenessID}},
}

// ruleWorld is a running world with testRules.
func ruleWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t, withRules(testRules...))
	w.run()
	return w
}

// department returns the Absorb department of a SCIM user.
func (w *world) department(id string) string {
	w.t.Helper()
	return w.absorbUser(w.absorbIDOf(id)).DepartmentID
}

// courses returns the ids of the courses a SCIM user is enrolled in, sorted,
// and fails when one course has two enrollments.
func (w *world) courses(id string) []string {
	w.t.Helper()
	list, err := w.newClient("auditor").ListUserEnrollments(context.Background(), w.absorbIDOf(id))
	if err != nil {
		w.t.Fatalf("ListUserEnrollments: %v", err)
	}
	out := []string{}
	for _, e := range list {
		if slices.Contains(out, e.CourseID) {
			w.t.Errorf("user %s has two enrollments in %s", id, e.CourseID)
		}
		out = append(out, e.CourseID)
	}
	slices.Sort(out)
	return out
}

func (w *world) mustPatchGroup(id string, ops ...scimdoc.Operation) {
	w.t.Helper()
	if _, err := w.patchGroup(id, ops...); err != nil {
		w.t.Fatalf("PatchGroup: %v", err)
	}
}

func addMembers(ids ...string) scimdoc.Operation {
	return scimdoc.Operation{Op: "add", Path: "members", Value: memberList(ids...)}
}

func removeMembers(ids ...string) scimdoc.Operation {
	return scimdoc.Operation{Op: "remove", Path: "members", Value: memberList(ids...)}
}

func TestRulesDepartmentByPriority(t *testing.T) {
	w := ruleWorld(t)
	withDept := userDoc("own@example.com", "Own", "Department")
	withDept[mapping.EnterpriseURN] = map[string]any{"department": "Support"}
	own := w.create(withDept)
	plain := w.create(userDoc("plain@example.com", "Plain", "User"))
	sales := w.createGroup("Sales Team")
	eng := w.createGroup("Engineering Platform")

	// Engineering first, then Sales, which comes first in the rules.
	w.mustPatchGroup(eng.ID, addMembers(own.ID, plain.ID))
	w.waitRules()
	for _, id := range []string{own.ID, plain.ID} {
		if got := w.department(id); got != fakeabsorb.DeptEngineeringID {
			t.Errorf("in Engineering*: department %s, want Engineering", got)
		}
	}
	w.mustPatchGroup(sales.ID, addMembers(own.ID, plain.ID))
	w.waitRules()
	for _, id := range []string{own.ID, plain.ID} {
		if got := w.department(id); got != fakeabsorb.DeptSalesID {
			t.Errorf("in Sales Team and Engineering*: department %s, want Sales (first rule)", got)
		}
	}

	// Leaving Sales moves to the next matching group's department.
	w.mustPatchGroup(sales.ID, removeMembers(own.ID, plain.ID))
	w.waitRules()
	for _, id := range []string{own.ID, plain.ID} {
		if got := w.department(id); got != fakeabsorb.DeptEngineeringID {
			t.Errorf("after leaving Sales: department %s, want Engineering", got)
		}
	}

	// Leaving the last department group goes back to the user's own.
	w.mustPatchGroup(eng.ID, scimdoc.Operation{Op: "replace", Path: "members", Value: []any{}})
	w.waitRules()
	if got := w.department(own.ID); got != fakeabsorb.DeptSupportID {
		t.Errorf("after leaving every group: department %s, want the attribute's Support", got)
	}
	if got := w.department(plain.ID); got != fakeabsorb.DeptCompanyID {
		t.Errorf("after leaving every group: department %s, want the default Company", got)
	}
	if st := w.b.RuleStats(); st.Failures != 0 {
		t.Errorf("%d rule failures", st.Failures)
	}
}

func TestRulesDepartmentSurvivesUserWrites(t *testing.T) {
	w := ruleWorld(t)
	doc := userDoc("jane@example.com", "Jane", "Doe")
	doc[mapping.EnterpriseURN] = map[string]any{"department": "Support"}
	jane := w.create(doc)
	w.createGroup("Sales Team", jane.ID)
	w.waitRules()
	if got := w.department(jane.ID); got != fakeabsorb.DeptSalesID {
		t.Fatalf("department %s, want Sales", got)
	}
	// An IdP write of the user keeps the rule's department.
	if _, err := w.patch(jane.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "title", Value: "Rep"}); err != nil {
		t.Fatal(err)
	}
	if got := w.department(jane.ID); got != fakeabsorb.DeptSalesID {
		t.Errorf("after a PATCH: department %s, want Sales", got)
	}
	cur := w.get(jane.ID)
	if _, err := w.b.ReplaceUser(context.Background(), jane.ID, w.norm(scimdoc.DeepCopy(cur.Doc)), scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	if got := w.department(jane.ID); got != fakeabsorb.DeptSalesID {
		t.Errorf("after a PUT: department %s, want Sales", got)
	}
}

func TestRulesGroupRenameAndDelete(t *testing.T) {
	w := ruleWorld(t)
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	g := w.createGroup("Misc", jane.ID)
	w.waitRules()
	if got := w.department(jane.ID); got != fakeabsorb.DeptCompanyID {
		t.Fatalf("department %s, want Company", got)
	}

	w.mustPatchGroup(g.ID, scimdoc.Operation{Op: "replace", Path: "displayName", Value: "Sales Team"})
	w.waitRules()
	if got := w.department(jane.ID); got != fakeabsorb.DeptSalesID {
		t.Errorf("after renaming the group to Sales Team: department %s, want Sales", got)
	}
	if diff := cmp.Diff([]string{fakeabsorb.CourseSalesFundamentalsID}, w.courses(jane.ID)); diff != "" {
		t.Errorf("courses (-want +got):\n%s", diff)
	}

	if _, err := w.b.ReplaceGroup(context.Background(), g.ID, groupDoc("Engineering Core", jane.ID), scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	w.waitRules()
	if got := w.department(jane.ID); got != fakeabsorb.DeptEngineeringID {
		t.Errorf("after renaming the group to Engineering Core: department %s, want Engineering", got)
	}

	if err := w.b.DeleteGroup(context.Background(), g.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	w.waitRules()
	if got := w.department(jane.ID); got != fakeabsorb.DeptCompanyID {
		t.Errorf("after deleting the group: department %s, want Company", got)
	}
}

func TestRulesRenameWithRemovalInOnePatch(t *testing.T) {
	// A PATCH that removes a member and renames the group: the removed member
	// left the group under its old name, and the one who stays has left
	// Security Training too, by the rename.
	w := ruleWorld(t)
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	joe := w.create(userDoc("joe@example.com", "Joe", "Doe"))
	g := w.createGroup("Security Training", jane.ID, joe.ID)
	w.waitRules()
	if diff := cmp.Diff([]string{fakeabsorb.CourseSecurityAwarenessID}, w.courses(jane.ID)); diff != "" {
		t.Fatalf("courses (-want +got):\n%s", diff)
	}
	w.mustPatchGroup(g.ID,
		removeMembers(jane.ID),
		scimdoc.Operation{Op: "replace", Path: "displayName", Value: "Sales Team"})
	w.waitRules()
	if got := w.courses(jane.ID); len(got) != 0 {
		t.Errorf("jane left Security Training (unenrollOnLeave) but is enrolled in %v", got)
	}
	if got := w.department(jane.ID); got != fakeabsorb.DeptCompanyID {
		t.Errorf("jane's department %s, want Company", got)
	}
	if got := w.department(joe.ID); got != fakeabsorb.DeptSalesID {
		t.Errorf("joe's department %s, want Sales", got)
	}
	if diff := cmp.Diff([]string{fakeabsorb.CourseSalesFundamentalsID}, w.courses(joe.ID)); diff != "" {
		t.Errorf("joe's courses (-want +got):\n%s", diff)
	}
}

func TestRulesCoursesAreEnrolledOnce(t *testing.T) {
	w := ruleWorld(t)
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	training := w.createGroup("Security Training", jane.ID)
	champions := groupDoc("Champions", jane.ID)
	champions["externalId"] = "grp-champions"
	if _, err := w.b.CreateGroup(context.Background(), champions); err != nil {
		t.Fatal(err)
	}
	sales := w.createGroup("Sales Team", jane.ID)
	w.waitRules()
	want := sorted(fakeabsorb.CourseSecurityAwarenessID, fakeabsorb.CourseSalesFundamentalsID)
	if diff := cmp.Diff(want, w.courses(jane.ID)); diff != "" {
		t.Fatalf("courses (-want +got):\n%s", diff)
	}
	enrolled := w.b.RuleStats().Enrollments
	if enrolled != 2 {
		t.Errorf("%d enrollments made, want 2", enrolled)
	}

	// Re-applying, re-adding and leaving and re-joining a group without
	// unenrollOnLeave enrolls nothing twice.
	rep, err := w.b.ReapplyRules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Enrollments != 0 || rep.DepartmentChanges != 0 || rep.Unenrollments != 0 {
		t.Errorf("re-applying unchanged rules did %+v, want nothing", rep)
	}
	w.mustPatchGroup(sales.ID, addMembers(jane.ID))
	w.mustPatchGroup(sales.ID, removeMembers(jane.ID))
	w.mustPatchGroup(sales.ID, addMembers(jane.ID))
	w.waitRules()
	if diff := cmp.Diff(want, w.courses(jane.ID)); diff != "" {
		t.Errorf("courses (-want +got):\n%s", diff)
	}

	// Leaving Security Training (unenrollOnLeave) keeps the course while
	// Champions still gives it.
	w.mustPatchGroup(training.ID, removeMembers(jane.ID))
	w.waitRules()
	if diff := cmp.Diff(want, w.courses(jane.ID)); diff != "" {
		t.Errorf("after leaving one of two groups giving the course (-want +got):\n%s", diff)
	}
	if got := w.b.RuleStats().Unenrollments; got != 0 {
		t.Errorf("%d unenrollments, want 0", got)
	}
}

func TestRulesUnenrollOnLeave(t *testing.T) {
	w := ruleWorld(t)
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	joe := w.create(userDoc("joe@example.com", "Joe", "Doe"))
	g := w.createGroup("Security Training", jane.ID, joe.ID)
	sales := w.createGroup("Sales Team", jane.ID)
	w.waitRules()
	w.mustPatchGroup(g.ID, scimdoc.Operation{Op: "remove", Path: `members[value eq "` + jane.ID + `"]`})
	w.mustPatchGroup(sales.ID, removeMembers(jane.ID))
	w.waitRules()
	// Security Awareness is unenrolled; Sales Fundamentals, whose rule does
	// not unenroll, stays.
	if diff := cmp.Diff([]string{fakeabsorb.CourseSalesFundamentalsID}, w.courses(jane.ID)); diff != "" {
		t.Errorf("jane's courses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{fakeabsorb.CourseSecurityAwarenessID}, w.courses(joe.ID)); diff != "" {
		t.Errorf("joe's courses (-want +got):\n%s", diff)
	}
	if got := w.b.RuleStats().Unenrollments; got != 1 {
		t.Errorf("%d unenrollments, want 1", got)
	}
}

func TestReapplyRulesRepairsDrift(t *testing.T) {
	w := ruleWorld(t)
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	w.create(userDoc("joe@example.com", "Joe", "Doe"))
	w.createGroup("Sales Team", jane.ID)
	w.waitRules()

	// Someone moves jane and unenrolls her directly in Absorb.
	admin := w.newClient("auditor")
	ctx := context.Background()
	u, err := admin.GetUser(ctx, w.absorbIDOf(jane.ID))
	if err != nil {
		t.Fatal(err)
	}
	u.DepartmentID = fakeabsorb.DeptResearchID
	if _, err := admin.UpdateUser(ctx, *u); err != nil {
		t.Fatal(err)
	}
	list, err := admin.ListUserEnrollments(ctx, u.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("enrollments %v %v", list, err)
	}
	if err := admin.UnenrollUser(ctx, []string{list[0].ID}); err != nil {
		t.Fatal(err)
	}
	w.sync()

	rep, err := w.b.ReapplyRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := bridge.ReapplyReport{Users: 2, RuleStats: bridge.RuleStats{DepartmentChanges: 1, Enrollments: 1}, Problems: []string{}}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if got := w.department(jane.ID); got != fakeabsorb.DeptSalesID {
		t.Errorf("department %s, want Sales", got)
	}
	if diff := cmp.Diff([]string{fakeabsorb.CourseSalesFundamentalsID}, w.courses(jane.ID)); diff != "" {
		t.Errorf("courses (-want +got):\n%s", diff)
	}
}

func TestRulesWithoutRulesChangeNothing(t *testing.T) {
	w := newWorld(t)
	w.run()
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	w.resetCalls()
	w.createGroup("Sales Team", jane.ID)
	w.waitRules()
	rep, err := w.b.ReapplyRules(context.Background())
	if err != nil || rep.Users != 0 || rep.RuleStats != (bridge.RuleStats{}) || len(rep.Problems) != 0 {
		t.Errorf("ReapplyRules without rules: %+v %v", rep, err)
	}
	for route, n := range w.calls() {
		if route != "GET /users" { // the background sync
			t.Errorf("%d %s without rules", n, route)
		}
	}
	if got := w.department(jane.ID); got != fakeabsorb.DeptCompanyID {
		t.Errorf("department %s, want Company", got)
	}
}

func TestRulesPendingWorkSurvivesRestart(t *testing.T) {
	w := newWorld(t, withRules(testRules...))
	// No Run: the membership change is recorded but not applied.
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	w.createGroup("Sales Team", jane.ID)
	var pending int
	err := w.store.View(func(tx storage.Tx) error {
		return tx.ForEachRuleState(func(string, json.RawMessage) (bool, error) {
			pending++
			return true, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if pending != 1 {
		t.Fatalf("%d users with pending rule work, want 1", pending)
	}
	if got := w.department(jane.ID); got != fakeabsorb.DeptCompanyID {
		t.Fatalf("department %s before the rules ran, want Company", got)
	}

	w.restart()
	w.run()
	w.waitRules()

	if got := w.department(jane.ID); got != fakeabsorb.DeptSalesID {
		t.Errorf("department %s after the restart, want Sales", got)
	}
	if diff := cmp.Diff([]string{fakeabsorb.CourseSalesFundamentalsID}, w.courses(jane.ID)); diff != "" {
		t.Errorf("courses (-want +got):\n%s", diff)
	}
	pending = 0
	_ = w.store.View(func(tx storage.Tx) error {
		return tx.ForEachRuleState(func(string, json.RawMessage) (bool, error) {
			pending++
			return true, nil
		})
	})
	if pending != 0 {
		t.Errorf("%d users still pending after the rules ran", pending)
	}
}

// dyingStore is a store whose process dies right after the next write it
// commits once armed: every write after that one fails, as nothing more
// reaches the disk.
type dyingStore struct {
	storage.Store
	armed, dead *atomic.Bool
}

func (s dyingStore) Update(fn func(storage.Tx) error) error {
	if s.dead.Load() {
		return errors.New("the process is gone")
	}
	err := s.Store.Update(fn)
	if err == nil && s.armed.Load() {
		s.dead.Store(true)
	}
	return err
}

func (s dyingStore) Batch(fn func(storage.Tx) error) error { return s.Update(fn) }

// A bridge killed just after a group write commits must still do the rule
// work of that write after its restart: the IdP's retry of the write finds
// the member already there and changes nothing, so nothing else would.
func TestRulesWorkOfAGroupWriteSurvivesACrashRightAfterIt(t *testing.T) {
	var armed, dead atomic.Bool
	w := newWorld(t, withRules(testRules...), func(c *worldConfig) {
		c.wrapStore = func(s storage.Store) storage.Store { return dyingStore{Store: s, armed: &armed, dead: &dead} }
	})
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	group := w.createGroup("Security Training")

	armed.Store(true)
	w.mustPatchGroup(group.ID, addMembers(jane.ID))
	if !dead.Load() {
		t.Fatal("the store did not die after the group write")
	}
	armed.Store(false)
	dead.Store(false)
	w.restart()
	w.run()
	w.waitRules()

	if diff := cmp.Diff([]string{fakeabsorb.CourseSecurityAwarenessID}, w.courses(jane.ID)); diff != "" {
		t.Errorf("courses after the restart (-want +got):\n%s", diff)
	}
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name  string
		rules []bridge.Rule
		ok    bool
	}{
		{"the test rules", testRules, true},
		{"no matcher", []bridge.Rule{{Department: "Sales"}}, false},
		{"no effect", []bridge.Rule{{DisplayName: "x"}}, false},
		{"bad pattern", []bridge.Rule{{DisplayNamePattern: "[", Department: "Sales"}}, false},
		{"duplicate names", []bridge.Rule{{Name: "a", DisplayName: "x", Department: "d"}, {Name: "a", DisplayName: "y", Department: "d"}}, false},
		{"unenroll without courses", []bridge.Rule{{DisplayName: "x", Department: "d", UnenrollOnLeave: true}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := bridge.ValidateRules(tt.rules)
			if (err == nil) != tt.ok {
				t.Errorf("ValidateRules: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// A pattern's `*` crosses `/`: a group named like a path is still matched.
func TestRulesPatternMatchesSlashInGroupName(t *testing.T) {
	w := ruleWorld(t)
	u := w.create(userDoc("backend@example.com", "Back", "End"))
	w.createGroup("Engineering/Backend", u.ID)
	w.waitRules()
	if got := w.department(u.ID); got != fakeabsorb.DeptEngineeringID {
		t.Errorf("member of Engineering/Backend: department %s, want Engineering (rule Engineering*)", got)
	}
}
