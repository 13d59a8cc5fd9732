package scim

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/scimdoc"
)

func TestNewRejectsBadOptions(t *testing.T) {
	mem := newMemory()
	tests := []struct {
		name string
		opts Options
	}{
		{"no base url", Options{Users: mem, Groups: mem}},
		{"relative base url", Options{BaseURL: "/scim/v2", Users: mem, Groups: mem}},
		{"ftp base url", Options{BaseURL: "ftp://x/scim/v2", Users: mem, Groups: mem}},
		{"no users", Options{BaseURL: testBase, Groups: mem}},
		{"no groups", Options{BaseURL: testBase, Users: mem}},
		{"negative body limit", Options{BaseURL: testBase, Users: mem, Groups: mem, MaxBodyBytes: -1}},
		{"negative results", Options{BaseURL: testBase, Users: mem, Groups: mem, MaxResults: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opts); err == nil {
				t.Fatal("New accepted the options")
			}
		})
	}
}

func TestRouting(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, method, path string
		status             int
		allow              string
	}{
		{"unknown path", http.MethodGet, "/Widgets", http.StatusNotFound, ""},
		{"unknown nested path", http.MethodGet, "/Users/x/y", http.StatusNotFound, ""},
		{"wrong method on collection", http.MethodDelete, "/Users", http.StatusMethodNotAllowed, "GET, POST"},
		{"wrong method on resource", http.MethodPost, "/Groups/abc", http.StatusMethodNotAllowed, "DELETE, GET, PATCH, PUT"},
		{"GET on search", http.MethodGet, "/Users/.search", http.StatusMethodNotAllowed, "POST"},
		{"GET on bulk", http.MethodGet, "/Bulk", http.StatusMethodNotAllowed, "POST"},
		{"POST on discovery", http.MethodPost, "/Schemas", http.StatusMethodNotAllowed, "GET"},
		{"PUT on service provider config", http.MethodPut, "/ServiceProviderConfig", http.StatusMethodNotAllowed, "GET"},
		{"bulk", http.MethodPost, "/Bulk", http.StatusNotImplemented, ""},
		{"me", http.MethodGet, "/Me", http.StatusNotImplemented, ""},
		{"root search", http.MethodPost, "/.search", http.StatusNotImplemented, ""},
		{"root query", http.MethodGet, "/?filter=userName%20eq%20%22x%22", http.StatusNotImplemented, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.method == http.MethodPost || tt.method == http.MethodPut {
				body = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[]}`
			}
			r := e.do(t, tt.method, tt.path, body)
			expectError(t, r, tt.status, "")
			if got := r.header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

func TestUncleanPathsAreNotRedirected(t *testing.T) {
	mem := newMemory()
	s, err := New(Options{BaseURL: testBase, Users: mem, Groups: mem})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/Users/../Groups", "//Users", "/Users/./x"} {
		t.Run(path, func(t *testing.T) {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://scim.example.com"+path, nil))
			if w.Code != http.StatusNotFound || w.Header().Get("Location") != "" {
				t.Errorf("status %d, Location %q, want a 404 without a redirect", w.Code, w.Header().Get("Location"))
			}
			if got := w.Header().Get("Content-Type"); got != contentType {
				t.Errorf("Content-Type = %q", got)
			}
		})
	}
}

func TestRequestContentTypes(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, contentType string
		status            int
	}{
		{"scim json", "application/scim+json", http.StatusCreated},
		{"scim json with charset", "application/scim+json; charset=utf-8", http.StatusCreated},
		{"plain json", "application/json", http.StatusCreated},
		{"none", "", http.StatusCreated},
		{"form", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"text", "text/plain", http.StatusUnsupportedMediaType},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, http.MethodPost, "/Users", userJSON(fmt.Sprintf("ct%d@example.com", i)), "Content-Type", tt.contentType)
			if tt.status != http.StatusCreated {
				expectError(t, r, tt.status, "")
				return
			}
			expect(t, r, tt.status)
		})
	}
}

func TestNoUserAgentNeeded(t *testing.T) {
	e := newEnv(t)
	// do sends no User-Agent at all, as Entra does.
	expect(t, e.do(t, http.MethodGet, "/Users?filter=userName eq \"x\"", ""), http.StatusOK)
}

func TestBackendErrors(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		scimType   string
		detail     string
		retryAfter string
	}{
		{"not found", scimdoc.NotFound("User", "u1"), 404, "", `User "u1" not found`, ""},
		{"uniqueness", scimdoc.Errorf(409, scimdoc.TypeUniqueness, "User already exists in the database."), 409, "uniqueness", "User already exists in the database.", ""},
		{"throttled, fractional seconds round up", &scimdoc.Error{Status: 429, Detail: "slow down", RetryAfter: 1500 * time.Millisecond}, 429, "", "slow down", "2"},
		{"throttled, under a second is one", &scimdoc.Error{Status: 429, Detail: "slow down", RetryAfter: 10 * time.Millisecond}, 429, "", "slow down", "1"},
		{"unavailable, wrapped", fmt.Errorf("create: %w", &scimdoc.Error{Status: 503, Detail: "absorb is down", RetryAfter: 30 * time.Second}), 503, "", "absorb is down", "30"},
		{"unavailable without delay", &scimdoc.Error{Status: 503, Detail: "absorb is down"}, 503, "", "absorb is down", ""},
		{"empty detail gets the status text", &scimdoc.Error{Status: 412}, 412, "", "Precondition Failed", ""},
		{"plain error", errors.New(`absorb said 500: {"secret":"upstream body"}`), 500, "", "internal error", ""},
		{"status outside the error range", &scimdoc.Error{Status: 200, Detail: "odd"}, 500, "", "internal error", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.mem.setFault(func(string) error { return tt.err })
			r := e.do(t, http.MethodGet, "/Users/u1", "")
			if got := expectError(t, r, tt.status, tt.scimType); got != tt.detail {
				t.Errorf("detail = %q, want %q", got, tt.detail)
			}
			if got := r.header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			if strings.Contains(string(r.body), "upstream body") {
				t.Errorf("upstream text reached the client: %s", r.body)
			}
			if tt.status == 500 && !strings.Contains(e.logs.String(), tt.err.Error()[:10]) {
				t.Errorf("the cause was not logged: %s", e.logs.String())
			}
		})
	}
}

func TestWriteErrorExported(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		want   string
	}{
		{"scim error", scimdoc.Errorf(401, "", "a bearer token is required"), 401,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"a bearer token is required"}`},
		{"scim type", scimdoc.BadRequest(scimdoc.TypeInvalidFilter, "bad"), 400,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter","detail":"bad"}`},
		{"other", errors.New("boom"), 500,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"internal error"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteError(w, httptest.NewRequest(http.MethodGet, "/Users", nil), tt.err)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if got := w.Header().Get("Content-Type"); got != contentType {
				t.Errorf("Content-Type = %q", got)
			}
			if got := strings.TrimSpace(w.Body.String()); got != tt.want {
				t.Errorf("body = %s\nwant   %s", got, tt.want)
			}
		})
	}
}

func TestPanicBecomesSCIM500(t *testing.T) {
	e := newEnv(t)
	e.mem.setFault(func(op string) error {
		if op == "ListUsers" {
			panic("nil map in backend")
		}
		return nil
	})
	r := e.do(t, http.MethodGet, "/Users", "")
	if got := expectError(t, r, http.StatusInternalServerError, ""); got != "internal error" {
		t.Errorf("detail = %q", got)
	}
	if !strings.Contains(e.logs.String(), "nil map in backend") {
		t.Errorf("panic not logged: %s", e.logs.String())
	}
	// The server keeps serving.
	e.mem.setFault(nil)
	expect(t, e.do(t, http.MethodGet, "/Users", ""), http.StatusOK)
}

func TestNilLoggerDiscards(t *testing.T) {
	mem := newMemory()
	mem.fault = func(string) error { return errors.New("boom") }
	s, err := New(Options{BaseURL: testBase, Users: mem, Groups: mem, Logger: nil})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/Users/x", nil))
	if w.Code != 500 {
		t.Fatalf("status = %d", w.Code)
	}
}
