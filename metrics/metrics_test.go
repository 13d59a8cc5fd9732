package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/metrics"
)

// samples renders every gathered sample as `name{k="v",...}` -> value
// (histograms as their _count), labels sorted by name.
func samples(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, s := range f.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(labels)
			key := f.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case s.GetCounter() != nil:
				out[key] = s.GetCounter().GetValue()
			case s.GetGauge() != nil:
				out[key] = s.GetGauge().GetValue()
			case s.GetHistogram() != nil:
				out[strings.Replace(key, "{", "_count{", 1)] = float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestMiddlewareLabels(t *testing.T) {
	m := metrics.New(metrics.Options{
		SCIMPrefix: "/scim/v2",
		Credential: func(r *http.Request) string { return r.Header.Get("X-Test-Credential") },
		NoRuntime:  true,
	})
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/missing") {
			http.NotFound(w, r)
			return
		}
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
		}
		io.WriteString(w, "{}")
	}))
	requests := []struct{ method, path, cred string }{
		{"GET", "/scim/v2/Users/2819c223-7f76-453a-919d-413861904646", "okta"},
		{"GET", "/scim/v2/Users/missing", "okta"},
		{"POST", "/scim/v2/users", "entra"},
		{"GET", "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", ""},
		{"PATCH", "/scim/v2/Groups/abc", "okta"},
		{"GET", "/scim/v2/Nonsense/x", "okta"},
		{"GET", "/healthz", ""},
	}
	for _, r := range requests {
		req := httptest.NewRequest(r.method, r.path, nil)
		req.Header.Set("X-Test-Credential", r.cred)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	got := samples(t, m)
	tests := []struct {
		name, key string
		want      float64
	}{
		{"user get, id not a label", `absorb_scim_scim_requests_total{credential="okta",method="GET",resource="Users",status="200"}`, 1},
		{"404 status", `absorb_scim_scim_requests_total{credential="okta",method="GET",resource="Users",status="404"}`, 1},
		{"resource case folded", `absorb_scim_scim_requests_total{credential="entra",method="POST",resource="Users",status="201"}`, 1},
		{"no credential", `absorb_scim_scim_requests_total{credential="none",method="GET",resource="Schemas",status="200"}`, 1},
		{"groups patch", `absorb_scim_scim_requests_total{credential="okta",method="PATCH",resource="Groups",status="200"}`, 1},
		{"unknown resource", `absorb_scim_scim_requests_total{credential="okta",method="GET",resource="other",status="200"}`, 1},
		{"latency histogram", `absorb_scim_scim_request_duration_seconds_count{method="GET",resource="Users"}`, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if v, ok := got[tc.key]; !ok || v != tc.want {
				t.Errorf("%s = %v (present %v), want %v", tc.key, v, ok, tc.want)
			}
		})
	}
	for k := range got {
		if strings.Contains(k, "2819c223") || strings.Contains(k, "healthz") {
			t.Errorf("unbounded label value in %s", k)
		}
	}
}

func TestObserverAndState(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m := metrics.New(metrics.Options{Now: func() time.Time { return now }, NoRuntime: true})
	m.ObserveRequest(context.Background(), "GET", "/users/{id}", 200, 30*time.Millisecond)
	m.ObserveRequest(context.Background(), "GET", "/users/{id}", 0, time.Second)
	m.ObserveRequest(context.Background(), "PUT", "/users/{id}", 429, time.Millisecond)
	m.ObserveLogin(false, nil)
	m.ObserveLogin(true, nil)
	m.ObserveLogin(true, errors.New("refused"))
	m.ObserveLimiterWait(5 * time.Millisecond)
	err := m.Watch(metrics.Sources{
		Sync: func() metrics.SyncState {
			return metrics.SyncState{MirrorComplete: true, LastSuccess: now.Add(-90 * time.Second), Folded: 4}
		},
		Store: func() metrics.StoreCounts {
			return metrics.StoreCounts{Users: 7, AbsorbUsers: 11, Groups: 2, Memberships: 5, Commits: 12, BatchedWrites: 30, CommitTime: 1500 * time.Millisecond}
		},
		Rules: func() metrics.RuleCounts {
			return metrics.RuleCounts{Enrollments: 3, DepartmentChanges: 410, DepartmentChangesByUpload: 400, UploadCalls: 2, Pending: 49600}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Watch(metrics.Sources{}); err == nil {
		t.Error("a second Watch was accepted")
	}
	got := samples(t, m)
	tests := []struct {
		key  string
		want float64
	}{
		{`absorb_scim_absorb_requests_total{endpoint="/users/{id}",method="GET",status="200"}`, 1},
		{`absorb_scim_absorb_requests_total{endpoint="/users/{id}",method="GET",status="error"}`, 1},
		{`absorb_scim_absorb_requests_total{endpoint="/users/{id}",method="PUT",status="429"}`, 1},
		{`absorb_scim_absorb_request_duration_seconds_count{endpoint="/users/{id}",method="GET"}`, 2},
		{`absorb_scim_absorb_logins_total{kind="login",outcome="ok"}`, 1},
		{`absorb_scim_absorb_logins_total{kind="refresh",outcome="ok"}`, 1},
		{`absorb_scim_absorb_logins_total{kind="refresh",outcome="failed"}`, 1},
		{`absorb_scim_absorb_rate_limiter_wait_seconds_count{}`, 1},
		{`absorb_scim_sync_lag_seconds{}`, 90},
		{`absorb_scim_sync_last_success_timestamp_seconds{}`, float64(now.Add(-90 * time.Second).Unix())},
		{`absorb_scim_sync_mirror_complete{}`, 1},
		{`absorb_scim_sync_failing{}`, 0},
		{`absorb_scim_sync_folded_users_total{}`, 4},
		{`absorb_scim_users{}`, 7},
		{`absorb_scim_absorb_users{}`, 11},
		{`absorb_scim_groups{}`, 2},
		{`absorb_scim_group_memberships{}`, 5},
		{`absorb_scim_pending_creates{}`, 0},
		{`absorb_scim_store_batch_commits_total{}`, 12},
		{`absorb_scim_store_batched_writes_total{}`, 30},
		{`absorb_scim_store_batch_commit_seconds_total{}`, 1.5},
		{`absorb_scim_rule_actions_total{action="enroll"}`, 3},
		{`absorb_scim_rule_actions_total{action="department"}`, 410},
		{`absorb_scim_rule_department_changes_total{method="upload"}`, 400},
		{`absorb_scim_rule_department_changes_total{method="put"}`, 10},
		{`absorb_scim_rule_upload_calls_total{}`, 2},
		{`absorb_scim_rule_queue_pending{}`, 49600},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			if v, ok := got[tc.key]; !ok || v != tc.want {
				t.Errorf("got %v (present %v), want %v", v, ok, tc.want)
			}
		})
	}
}

func TestHandlerServesExpositionFormat(t *testing.T) {
	m := metrics.New(metrics.Options{})
	m.ObserveLogin(false, nil)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{"# TYPE absorb_scim_absorb_logins_total counter", "go_goroutines", "process_"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if rec.Code != http.StatusOK {
		t.Errorf("status %d", rec.Code)
	}
}
