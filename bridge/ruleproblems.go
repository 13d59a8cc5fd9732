package bridge

import (
	"maps"
	"slices"
)

// ruleProblems counts, per reference, the times a group rule named a
// department or course that resolved to nothing in Absorb, so the failure
// shows in the rules' statistics (absorb_scim_rule_actions_total) and in
// the report of ReapplyRules, not only in a warning.
type ruleProblems map[string]int

// noteUnresolved records that a rule's reference of kind ("department",
// "course") resolved to nothing, as one rule failure.
func (e *ruleEngine) noteUnresolved(kind, ref string) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.problems == nil {
		e.problems = ruleProblems{}
	}
	e.problems[kind+" "+quote(ref)+" names nothing in Absorb"]++
	e.stats.Failures++
}

// problemCounts returns a copy of the counts.
func (e *ruleEngine) problemCounts() ruleProblems {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.problems)
}

// problemsSince lists, sorted, the problems noted since before was taken.
func (e *ruleEngine) problemsSince(before ruleProblems) []string {
	out := []string{}
	for p, n := range e.problemCounts() {
		if n > before[p] {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func quote(s string) string { return "\"" + s + "\"" }
