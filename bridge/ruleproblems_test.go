package bridge_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/bridge"
)

// TestRuleNamingNothingIsAFailure: a rule whose department and course
// resolve to nothing in Absorb counts failures and lists them in the report
// of ReapplyRules, and the member keeps a department of its own.
func TestRuleNamingNothingIsAFailure(t *testing.T) {
	w := newWorld(t, withRules(bridge.Rule{Name: "typo", DisplayName: "Sales Team", Department: "Salse", Courses: []string{"Sales Fundamental"}}))
	w.run()
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	w.createGroup("Sales Team", jane.ID)
	w.waitRules()
	if got := w.b.RuleStats().Failures; got < 2 {
		t.Errorf("rule failures after the group push = %d, want at least 2 (department and course)", got)
	}
	rep, err := w.b.ReapplyRules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`course "Sales Fundamental" names nothing in Absorb`, `department "Salse" names nothing in Absorb`}
	if diff := cmp.Diff(want, rep.Problems); diff != "" {
		t.Errorf("report problems (-want +got):\n%s", diff)
	}
	if rep.Failures < 2 {
		t.Errorf("report failures = %d, want at least 2", rep.Failures)
	}
	if w.department(jane.ID) == "" {
		t.Error("the member was left without a department")
	}
}
