package bridge_test

import (
	"context"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/google/go-cmp/cmp"
)

func TestPreviewGroupRulesAndQueueDepth(t *testing.T) {
	w := newWorld(t, withRules(testRules...))
	ctx := context.Background()
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	ada := w.create(userDoc("ada@example.com", "Ada", "Lovelace"))
	sales := w.createGroup("Sales Team", jane.ID, ada.ID)
	w.createGroup("Book Club", jane.ID)

	// The rules have not run: both members are queued, and both would move.
	if got := w.b.RuleQueueDepth(); got != 2 {
		t.Errorf("RuleQueueDepth = %d before the rules ran, want 2", got)
	}
	p, err := w.b.PreviewGroupRules(ctx, sales.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Department != "Sales" || len(p.Moves) != 2 || p.Group.Members != 2 {
		t.Errorf("preview = department %q, %d moves, %d members; want Sales, 2, 2", p.Department, len(p.Moves), p.Group.Members)
	}
	if diff := cmp.Diff([]string{"Sales Fundamentals"}, p.Courses); diff != "" {
		t.Errorf("courses (-want +got):\n%s", diff)
	}

	w.run()
	w.waitRules()
	if got := w.b.RuleQueueDepth(); got != 0 {
		t.Errorf("RuleQueueDepth = %d after the rules ran, want 0", got)
	}
	if got := w.department(jane.ID); got != fakeabsorb.DeptSalesID {
		t.Fatalf("department %s, want Sales", got)
	}
	p, err = w.b.PreviewGroupRules(ctx, sales.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Moves) != 0 {
		t.Errorf("after the rules ran, preview still moves %+v", p.Moves)
	}

	groups, err := w.b.GroupSummaries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range groups {
		rules := ""
		for _, r := range g.Rules {
			rules += r.Name
		}
		got = append(got, g.DisplayName+"/"+rules)
	}
	if diff := cmp.Diff([]string{"Book Club/", "Sales Team/sales"}, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if _, err := w.b.PreviewGroupRules(ctx, "no-such-group"); err == nil {
		t.Error("PreviewGroupRules of a missing group succeeded")
	}
}

func TestLastFullSync(t *testing.T) {
	w := newWorld(t)
	if got, err := w.b.LastFullSync(); err != nil || !got.IsZero() {
		t.Fatalf("LastFullSync before any sync = %v, %v; want zero", got, err)
	}
	w.sync()
	got, err := w.b.LastFullSync()
	if err != nil || time.Since(got) > time.Minute {
		t.Errorf("LastFullSync after a sync = %v, %v; want about now", got, err)
	}
}

func TestListAuditNewestFirstFiltered(t *testing.T) {
	w := newWorld(t, withRules(testRules...))
	w.run()
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta"})
	jane, err := w.b.CreateUser(ctx, userDoc("jane@example.com", "Jane", "Doe"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.b.CreateUser(ctx, userDoc("ada@example.com", "Ada", "Lovelace")); err != nil {
		t.Fatal(err)
	}
	w.createGroup("Sales Team", jane.ID)
	w.waitRules()

	all, err := w.b.ListAudit(ctx, bridge.AuditFeedQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Records) < 3 {
		t.Fatalf("%d records, want the two creates and the rule's changes", len(all.Records))
	}
	for i := 1; i < len(all.Records); i++ {
		if all.Records[i].Seq >= all.Records[i-1].Seq {
			t.Fatalf("records not newest first: %d then %d", all.Records[i-1].Seq, all.Records[i].Seq)
		}
	}
	tests := []struct {
		name string
		q    bridge.AuditFeedQuery
		want func(r recordView) bool
	}{
		{"by user", bridge.AuditFeedQuery{User: "ADA@example.com"}, func(r recordView) bool { return r.user == "ada@example.com" }},
		{"by group", bridge.AuditFeedQuery{Group: "sales team"}, func(r recordView) bool { return r.user == "jane@example.com" }},
		{"by operation", bridge.AuditFeedQuery{Operation: bridge.OpCreate}, func(r recordView) bool { return r.op == bridge.OpCreate }},
		{"by credential", bridge.AuditFeedQuery{Credential: "OKTA"}, func(r recordView) bool { return r.cred == "okta" }},
		{"by outcome", bridge.AuditFeedQuery{Outcome: bridge.OutcomeOK}, func(r recordView) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := w.b.ListAudit(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Records) == 0 {
				t.Fatal("no records")
			}
			for _, r := range page.Records {
				if !tt.want(recordView{user: r.UserName, op: r.Operation, cred: r.Credential}) {
					t.Errorf("record %+v does not match %+v", r, tt.q)
				}
			}
		})
	}
	first, err := w.b.ListAudit(ctx, bridge.AuditFeedQuery{Limit: 1})
	if err != nil || len(first.Records) != 1 || !first.More {
		t.Fatalf("a page of one = %+v, %v; want one record and more", first, err)
	}
	next, err := w.b.ListAudit(ctx, bridge.AuditFeedQuery{Limit: 1, Before: first.Records[0].Seq})
	if err != nil || len(next.Records) != 1 || next.Records[0].Seq >= first.Records[0].Seq {
		t.Errorf("the next page = %+v, %v; want one older record", next, err)
	}
	newer, err := w.b.ListAudit(ctx, bridge.AuditFeedQuery{After: next.Records[0].Seq})
	if err != nil || len(newer.Records) != 1 || newer.Records[0].Seq != first.Records[0].Seq {
		t.Errorf("records after the second = %+v, %v; want the newest alone", newer, err)
	}
}

type recordView struct{ user, op, cred string }

func TestRulesGivenAndDifferences(t *testing.T) {
	w := newWorld(t, withRules(testRules...))
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	w.createGroup("Sales Team", jane.ID)
	w.createGroup("Security Training", jane.ID)
	dept, courses, err := w.b.RulesGiven(jane.ID)
	if err != nil || dept != "Sales" {
		t.Errorf("RulesGiven = %q, %v; want Sales", dept, err)
	}
	if diff := cmp.Diff([]string{"Sales Fundamentals", "Security Awareness"}, courses); diff != "" {
		t.Errorf("courses (-want +got):\n%s", diff)
	}
	ctx := context.Background()
	// The rules have not run: the account's department is not the rule's yet.
	got, err := w.b.Differences(ctx, jane.ID)
	if err != nil || len(got) != 1 || got[0].Field != "departmentId" || got[0].To != fakeabsorb.DeptSalesID {
		t.Errorf("Differences before the rules ran = %+v, %v; want the department to Sales", got, err)
	}
	w.run()
	w.waitRules()
	if got, err := w.b.Differences(ctx, jane.ID); err != nil || len(got) != 0 {
		t.Errorf("Differences after the rules ran = %+v, %v; want none", got, err)
	}
}

func TestReconcileLogKeepsTheLastRun(t *testing.T) {
	w := newWorld(t)
	w.create(userDoc("jane@example.com", "Jane", "Doe"))
	l := bridge.NewReconcileLog(w.b)
	if _, ok := l.LastReconcile(); ok {
		t.Fatal("a run before any reconcile")
	}
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "console:ana"})
	rep, err := l.Reconcile(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	run, ok := l.LastReconcile()
	if !ok || run.By != "console:ana" || run.Fix || run.Report.Users != rep.Users || rep.Users != 1 || time.Since(run.At) > time.Minute {
		t.Errorf("last run = %+v, %v; want ana's run of 1 user, just now", run, ok)
	}
}
