package console_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/console"
	"github.com/absorb-scim/absorb-scim/metrics"
	"github.com/absorb-scim/absorb-scim/storage"
)

// The console's sources, in memory: each keeps real state (a hold released
// is gone, a reconcile counts the users it holds) so the tests see what the
// console did, not what they told it to say.

type memStatus struct{ queue int }

func (memStatus) SyncStatus() bridge.SyncStatus {
	return bridge.SyncStatus{MirrorComplete: true, LastSuccess: time.Now().Add(-30 * time.Second)}
}
func (memStatus) LastFullSync() (time.Time, error) { return time.Now().Add(-time.Hour), nil }
func (s memStatus) RuleQueueDepth() int            { return s.queue }

type memTraffic struct{ minutes []metrics.UpstreamMinute }

func (t memTraffic) UpstreamLastHour() []metrics.UpstreamMinute { return t.minutes }
func (memTraffic) AbsorbLoginState() metrics.AbsorbLogin {
	return metrics.AbsorbLogin{LastLogin: time.Now().Add(-time.Minute), LoginOK: true, LastSuccess: time.Now()}
}
func (memTraffic) CredentialsLastDay() []metrics.CredentialActivity {
	return []metrics.CredentialActivity{{Credential: "okta", Requests: 12, Errors: 1, LastSeen: time.Now()}}
}

// memAudit filters a slice of records as the bridge's ListAudit does.
type memAudit struct {
	mu   sync.Mutex
	recs []storage.AuditRecord
}

func (a *memAudit) add(r storage.AuditRecord) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r.Seq = uint64(len(a.recs) + 1)
	a.recs = append(a.recs, r)
}

func (a *memAudit) ListAudit(_ context.Context, q bridge.AuditFeedQuery) (bridge.AuditFeedPage, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var p bridge.AuditFeedPage
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	for i := len(a.recs) - 1; i >= 0; i-- {
		r := a.recs[i]
		if (q.Before > 0 && r.Seq >= q.Before) || (q.After > 0 && r.Seq <= q.After) {
			continue
		}
		if (q.User != "" && !strings.EqualFold(r.UserName, q.User)) || (q.Operation != "" && r.Operation != q.Operation) ||
			(q.Credential != "" && r.Credential != q.Credential) || (q.Outcome != "" && r.Outcome != q.Outcome) {
			continue
		}
		if len(p.Records) == limit {
			p.More = true
			break
		}
		p.Records = append(p.Records, r)
	}
	return p, nil
}

type memGroups struct {
	mu      sync.Mutex
	applied int
}

var salesRule = bridge.Rule{Name: "sales-team", DisplayName: "Sales Team", Department: "Sales", Courses: []string{"Sales Fundamentals"}}

func (g *memGroups) GroupSummaries(context.Context) ([]bridge.GroupSummary, error) {
	return []bridge.GroupSummary{{ID: "g1", DisplayName: "Sales Team", Members: 2, Rules: []bridge.Rule{salesRule}}}, nil
}
func (g *memGroups) PreviewGroupRules(_ context.Context, id string) (bridge.RulePreview, error) {
	if id != "g1" {
		return bridge.RulePreview{}, fmt.Errorf("group %s: %w", id, storage.ErrNotFound)
	}
	return bridge.RulePreview{Group: bridge.GroupSummary{ID: "g1", DisplayName: "Sales Team", Members: 2, Rules: []bridge.Rule{salesRule}},
		Department: "Sales", Courses: []string{"Sales Fundamentals"},
		Moves: []bridge.PreviewMove{{UserID: "u1", UserName: "jane@example.com", From: "dept-company", To: "Sales"}}}, nil
}
func (g *memGroups) ReapplyRules(context.Context) (bridge.ReapplyReport, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.applied++
	return bridge.ReapplyReport{Users: 2}, nil
}
func (g *memGroups) GroupRules() []bridge.Rule { return []bridge.Rule{salesRule} }
func (g *memGroups) RuleStats() bridge.RuleStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return bridge.RuleStats{DepartmentChanges: 2 * g.applied, Enrollments: g.applied}
}

type memReconciler struct {
	mu   sync.Mutex
	runs int
	last *bridge.ReconcileRun
}

func (r *memReconciler) Reconcile(ctx context.Context, fix bool) (bridge.ReconcileReport, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs++
	rep := bridge.ReconcileReport{Users: 2, Drifted: 1, Drift: []bridge.Drift{{Kind: bridge.DriftFields, UserName: "jane@example.com"}}}
	actor, _ := bridge.ActorFrom(ctx)
	r.last = &bridge.ReconcileRun{Report: rep, At: time.Now(), By: actor.Credential, Fix: fix}
	return rep, nil
}

func (r *memReconciler) LastReconcile() (bridge.ReconcileRun, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		return bridge.ReconcileRun{}, false
	}
	return *r.last, true
}

// memHolds keeps holds until released or discarded, and records who acted.
type memHolds struct {
	mu      sync.Mutex
	held    map[string]console.Hold
	settled []string
}

func newMemHolds(holds ...console.Hold) *memHolds {
	h := &memHolds{held: map[string]console.Hold{}}
	for _, x := range holds {
		h.held[x.ID] = x
	}
	return h
}

func (h *memHolds) ListHolds(context.Context) ([]console.Hold, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]console.Hold, 0, len(h.held))
	for _, x := range h.held {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (h *memHolds) settle(ctx context.Context, id, verb string) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	x, ok := h.held[id]
	if !ok {
		return "No hold " + id + ": nothing done.", nil
	}
	delete(h.held, id)
	actor, _ := bridge.ActorFrom(ctx)
	h.settled = append(h.settled, verb+" "+id+" by "+actor.Credential)
	return "The deactivation of " + x.UserName + " was " + verb + "d.", nil
}

func (h *memHolds) ReleaseHold(ctx context.Context, id string) (string, error) {
	return h.settle(ctx, id, "release")
}
func (h *memHolds) DiscardHold(ctx context.Context, id string) (string, error) {
	return h.settle(ctx, id, "discard")
}

func (h *memHolds) has(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.held[id]
	return ok
}

// memTracer finds people in a fixed directory.
type memTracer struct{ people []console.Trace }

func (t memTracer) Trace(_ context.Context, q string) (console.Trace, error) {
	for _, p := range t.people {
		if strings.EqualFold(p.UserName, q) || p.SCIMID == q || p.AbsorbID == q {
			return p, nil
		}
	}
	return console.Trace{}, fmt.Errorf("trace %q: %w", q, console.ErrNoPerson)
}

type memErrors []metrics.LoggedError

func (e memErrors) Recent() []metrics.LoggedError { return e }
