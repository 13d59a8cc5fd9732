package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// countingObserver counts the requests passed on to it.
type countingObserver struct{ requests atomic.Int64 }

func (o *countingObserver) ObserveRequest(context.Context, string, string, int, time.Duration) {
	o.requests.Add(1)
}
func (o *countingObserver) ObserveLogin(bool, error)         {}
func (o *countingObserver) ObserveLimiterWait(time.Duration) {}

// TestAccessLogCountsUpstreamCalls: the calls to Absorb reported with a
// request's context are counted in that request's log line, and passed on
// to the next observer like the calls made outside any request.
func TestAccessLogCountsUpstreamCalls(t *testing.T) {
	next := &countingObserver{}
	obs := CountUpstream(next)
	var logs bytes.Buffer
	h := requestLog(slog.New(slog.NewJSONHandler(&logs, nil)), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		obs.ObserveRequest(r.Context(), "GET", "/users", 200, time.Millisecond)
		obs.ObserveRequest(r.Context(), "PUT", "/users/{id}", 200, time.Millisecond)
		w.WriteHeader(http.StatusNoContent)
	}))
	obs.ObserveRequest(context.Background(), "GET", "/users", 200, time.Millisecond) // the sync's

	r := httptest.NewRequest(http.MethodPatch, SCIMPrefix+"/Users/u1", nil)
	r.Header.Set("X-Request-Id", "req-1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)

	var line struct {
		Msg, RequestID, Method, Path, Resource, ResourceID string
		Status, UpstreamCalls                              int
	}
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log line %q: %v", logs.String(), err)
	}
	want := struct {
		Msg, RequestID, Method, Path, Resource, ResourceID string
		Status, UpstreamCalls                              int
	}{"request", "req-1", "PATCH", "/scim/v2/Users/u1", "Users", "u1", http.StatusNoContent, 2}
	if line != want {
		t.Errorf("log line = %+v, want %+v", line, want)
	}
	if got := w.Header().Get("X-Request-Id"); got != "req-1" {
		t.Errorf("X-Request-Id = %q, want req-1", got)
	}
	if got := next.requests.Load(); got != 3 {
		t.Errorf("next observer saw %d requests, want 3", got)
	}
}
