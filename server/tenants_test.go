package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/absorb-scim/absorb-scim/metrics"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// lockedLog is a log the router writes while a test reads.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// tokenDoor lets through the requests bearing its token, and answers 401
// to the others.
type tokenDoor string

func (d tokenDoor) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+string(d) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (d tokenDoor) recognizes(r *http.Request) (string, bool) {
	return "idp", r.Header.Get("Authorization") == "Bearer "+string(d)
}

// tenantFor is a tenant whose SCIM endpoint echoes its path, behind its token.
func tenantFor(t *testing.T, id string, log *slog.Logger) *Tenant {
	t.Helper()
	cfg := testConfig()
	cfg.Logger = log.With("tenant", id)
	cfg.SCIM = echo(id)
	cfg.Auth = tokenDoor(id + "-token")
	m := metrics.New(metrics.Options{SCIMPrefix: SCIMPrefix, NoRuntime: true})
	cfg.Metrics = m
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &Tenant{ID: id, Handler: h, Metrics: m.ForTenant(id), Recognizes: tokenDoor(id + "-token").recognizes}
}

func TestTenantsRouter(t *testing.T) {
	var logs lockedLog
	writeError := func(w http.ResponseWriter, _ *http.Request, err error) {
		se, _ := scimdoc.AsError(err)
		http.Error(w, se.Detail, se.Status)
	}
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	ts := NewTenants(log, metrics.Runtime(), writeError)
	eu, us := tenantFor(t, "eu", log), tenantFor(t, "us", log)
	ts.Set([]*Tenant{eu, us})
	get := func(path, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		ts.ServeHTTP(w, r)
		return w
	}
	tests := []struct {
		path, token string
		status      int
		body        string
	}{
		{"/tenants/eu/scim/v2/Users", "eu-token", 200, "eu /Users"},
		{"/tenants/us/scim/v2/Users/abc", "us-token", 200, "us /Users/abc"},
		{"/tenants/us/scim/v2/Users", "eu-token", 401, ""},
		{"/tenants/asia/scim/v2/Users", "eu-token", 404, `no tenant "asia"`},
		{"/scim/v2/Users", "eu-token", 404, "each tenant is served under /tenants/{id}/scim/v2"},
		{"/tenants/eu/healthz", "", 200, "ok"},
		{"/healthz", "", 200, "ok"},
		{"/console/", "", 404, "/tenants/{id}/console/"},
	}
	for _, tc := range tests {
		w := get(tc.path, tc.token)
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("GET %s: %d %q, want %d with %q", tc.path, w.Code, w.Body.String(), tc.status, tc.body)
		}
	}
	if w := get("/tenants/eu/scim/v2//Users", "eu-token"); w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/tenants/eu/scim/v2/Users" {
		t.Errorf("unclean path: %d to %q", w.Code, w.Header().Get("Location"))
	}
	if !strings.Contains(logs.String(), `"msg":"request","tenant":"us","requestId":`) || !strings.Contains(logs.String(), `"path":"/tenants/us/scim/v2/Users","resource":"Users"`) {
		t.Errorf("the access log does not name the path the client sent:\n%s", logs.String())
	}
	line := `"tenant":"us","credentialTenant":"eu","credential":"idp"`
	if got := logs.String(); !strings.Contains(got, line) || strings.Contains(got, "eu-token") {
		t.Errorf("log of the cross-tenant attempt lacks %s or shows the token:\n%s", line, got)
	}
	m := get("/metrics", "").Body.String()
	for _, want := range []string{`absorb_scim_scim_requests_total{credential="none",method="GET",resource="Users",status="401",tenant="us"} 1`, `tenant="eu"`, "go_goroutines"} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(m, `go_goroutines{tenant=`) {
		t.Error("the runtime's metrics carry a tenant")
	}

	// A tenant left out is no longer served; once drained, not even by a
	// request that found it before.
	ts.Set([]*Tenant{eu})
	us.Drain()
	if w := get("/tenants/us/scim/v2/Users", "us-token"); w.Code != http.StatusNotFound {
		t.Errorf("removed tenant: %d, want 404", w.Code)
	}
	w := httptest.NewRecorder()
	if ts.serve(us, w, httptest.NewRequest(http.MethodGet, "/tenants/us/scim/v2/Users", nil), "/scim/v2/Users") {
		t.Error("a drained tenant served a request")
	}
	if w := get("/tenants/eu/scim/v2/Users", "eu-token"); w.Code != http.StatusOK {
		t.Errorf("the tenant kept: %d, want 200", w.Code)
	}
}
