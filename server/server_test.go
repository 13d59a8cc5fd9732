package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/metrics"
	"github.com/absorb-scim/absorb-scim/storage"
)

func TestScimTarget(t *testing.T) {
	for path, want := range map[string][2]string{
		"/scim/v2/Users/abc":         {"Users", "abc"},
		"/scim/v2/Groups":            {"Groups", ""},
		"/scim/v2/Users/.search":     {"Users", ".search"},
		"/healthz":                   {"", ""},
		"/scim/v2/Schemas/urn:a:b:c": {"Schemas", "urn:a:b:c"},
	} {
		r, id := scimTarget(path)
		if r != want[0] || id != want[1] {
			t.Errorf("scimTarget(%q) = %q, %q; want %q, %q", path, r, id, want[0], want[1])
		}
	}
}

// syncedBridge is a bridge whose first sync is done and which has nothing
// to reconcile.
type syncedBridge struct{}

func (syncedBridge) SyncStatus() bridge.SyncStatus {
	return bridge.SyncStatus{MirrorComplete: true, LastSuccess: time.Now()}
}
func (syncedBridge) RuleStats() bridge.RuleStats { return bridge.RuleStats{} }
func (syncedBridge) Reconcile(context.Context, bool) (bridge.ReconcileReport, error) {
	return bridge.ReconcileReport{}, nil
}
func (syncedBridge) ReapplyRules(context.Context) (bridge.ReapplyReport, error) {
	return bridge.ReapplyReport{}, nil
}
func (syncedBridge) HeldDeactivations() int               { return 0 }
func (syncedBridge) ListHolds() []bridge.HeldDeactivation { return nil }
func (syncedBridge) ReleaseHolds(context.Context, []string) (bridge.HoldsReport, error) {
	return bridge.HoldsReport{}, nil
}
func (syncedBridge) DiscardHolds(context.Context, []string) (bridge.HoldsReport, error) {
	return bridge.HoldsReport{}, nil
}
func (syncedBridge) Trace(context.Context, string) (bridge.Trace, error) { return bridge.Trace{}, nil }
func (syncedBridge) ReadAudit(bridge.AuditQuery, func(storage.AuditRecord) error) error {
	return nil
}

// emptyStore is a store that holds nothing.
type emptyStore struct{}

func (emptyStore) Stats() storage.Counts           { return storage.Counts{} }
func (emptyStore) BatchStats() storage.BatchStats  { return storage.BatchStats{} }
func (emptyStore) Backup(io.Writer) (int64, error) { return 0, nil }

// openDoor lets every request through.
type openDoor struct{}

func (openDoor) Middleware(next http.Handler) http.Handler { return next }

// echo answers 200 with the path it was given, prefixed by name.
func echo(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, name+" "+r.URL.Path)
	})
}

// testConfig is a Config whose SCIM endpoint and console echo their paths.
func testConfig() Config {
	return Config{
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		SCIM:    echo("scim"),
		Console: echo("console"),
		Auth:    openDoor{},
		WriteError: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		},
		Metrics:      metrics.New(metrics.Options{SCIMPrefix: SCIMPrefix, NoRuntime: true}),
		Bridge:       syncedBridge{},
		Store:        emptyStore{},
		SyncInterval: time.Minute,
	}
}

// TestRouter: each path reaches its handler through the one router, and an
// unclean path is redirected to its clean form first.
func TestRouter(t *testing.T) {
	h, err := NewHandler(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path     string
		status   int
		body     string // the answer, for 200
		location string // the redirect, for 301
	}{
		{path: "/scim/v2", status: 200, body: "scim "},
		{path: "/scim/v2/", status: 200, body: "scim /"},
		{path: "/scim/v2/Users", status: 200, body: "scim /Users"},
		{path: "/scim/v2/Users/", status: 200, body: "scim /Users/"},
		{path: "/scim/v2/Users/2819c223-7f76-453a-919d-413861904646", status: 200, body: "scim /Users/2819c223-7f76-453a-919d-413861904646"},
		{path: "/scim/v2//Users", status: 301, location: "/scim/v2/Users"},
		{path: "/scim/v2/Users//", status: 301, location: "/scim/v2/Users/"},
		{path: "/scim/v2/./Users", status: 301, location: "/scim/v2/Users"},
		{path: "/scim/v2/Schemas/../Users", status: 301, location: "/scim/v2/Users"},
		{path: "/scim/v2/Users/x/.", status: 301, location: "/scim/v2/Users/x"},
		{path: "/scim/v2/Users/x/..", status: 301, location: "/scim/v2/Users"},
		{path: "/healthz", status: 200, body: "ok\n"},
		{path: "/readyz", status: 200, body: "ready\n"},
		{path: "/console/", status: 200, body: "console /console/"},
		{path: "/console/users", status: 200, body: "console /console/users"},
		{path: "/nowhere", status: 404},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %q", w.Code, tc.status, w.Body.String())
			}
			if tc.status == 200 && w.Body.String() != tc.body {
				t.Errorf("body = %q, want %q", w.Body.String(), tc.body)
			}
			if got := w.Header().Get("Location"); tc.status == 301 && got != tc.location {
				t.Errorf("Location = %q, want %q", got, tc.location)
			}
		})
	}
}
