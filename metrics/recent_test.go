package metrics

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestUpstreamLastHour(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 30, 15, 0, time.UTC)
	m := New(Options{NoRuntime: true, Now: func() time.Time { return now }})
	m.ObserveRequest(context.Background(), "GET", "/users", 200, time.Millisecond)
	m.ObserveRequest(context.Background(), "GET", "/users", 429, time.Millisecond)
	now = now.Add(-70 * time.Minute) // outside the hour: not counted
	m.ObserveRequest(context.Background(), "GET", "/users", 429, time.Millisecond)
	now = now.Add(70 * time.Minute)

	got := m.UpstreamLastHour()
	if len(got) != 60 {
		t.Fatalf("%d minutes, want 60", len(got))
	}
	last := got[59]
	if last.Calls != 2 || last.RateLimited != 1 || !last.Start.Equal(now.Truncate(time.Minute)) {
		t.Errorf("this minute = %+v, want 2 calls, one 429", last)
	}
	total := 0
	for _, e := range got {
		total += e.Calls
	}
	if total != 2 {
		t.Errorf("%d calls in the hour, want 2", total)
	}
	if st := m.AbsorbLoginState(); !st.LastSuccess.Equal(now) {
		t.Errorf("last success %v, want %v", st.LastSuccess, now)
	}
}

func TestAbsorbLoginState(t *testing.T) {
	m := New(Options{NoRuntime: true})
	if st := m.AbsorbLoginState(); !st.LastLogin.IsZero() {
		t.Fatalf("before any login: %+v", st)
	}
	m.ObserveLogin(false, nil)
	if st := m.AbsorbLoginState(); st.LastLogin.IsZero() || !st.LoginOK {
		t.Errorf("after a login: %+v, want ok", st)
	}
	m.ObserveLogin(true, errors.New("401"))
	if st := m.AbsorbLoginState(); st.LoginOK {
		t.Errorf("after a failed refresh: %+v, want not ok", st)
	}
}

func TestCredentialsLastDay(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)
	cred := "okta"
	m := New(Options{NoRuntime: true, SCIMPrefix: "/scim/v2", Now: func() time.Time { return now },
		Credential: func(*http.Request) string { return cred }})
	status := http.StatusOK
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
	call := func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/scim/v2/Users", nil)) }
	call()
	status = http.StatusConflict
	call()
	cred, status = "entra", http.StatusOK
	call()
	now = now.Add(-25 * time.Hour)
	cred = "old-idp"
	call()
	now = now.Add(25 * time.Hour)
	// Requests outside the SCIM prefix are not an IdP calling.
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/console/", nil))

	got := m.CredentialsLastDay()
	if len(got) != 2 {
		t.Fatalf("got %+v, want okta and entra", got)
	}
	if got[0].Credential != "okta" || got[0].Requests != 2 || got[0].Errors != 1 {
		t.Errorf("first = %+v, want okta with 2 requests, 1 error", got[0])
	}
	if got[1].Credential != "entra" || got[1].Requests != 1 || got[1].Errors != 0 {
		t.Errorf("second = %+v, want entra with 1 request", got[1])
	}
}

func TestErrorLogKeepsWarningsNewestFirst(t *testing.T) {
	var out bytes.Buffer
	l := NewErrorLog(2)
	log := slog.New(l.Handler(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelError})))
	log.Info("request", "status", 200)
	log.Warn("sync with Absorb failed; will retry", "error", "absorb unavailable")
	log.With("user", "u1").Warn("group rules: will retry", "error", "department not found")
	log.Error("reconcile failed", "error", "timeout")
	got := l.Recent()
	if len(got) != 2 || got[0].Message != "reconcile failed" || got[1].Message != "group rules: will retry" {
		t.Fatalf("recent = %+v, want the last two, newest first", got)
	}
	if got[1].Reason != "department not found user=u1" {
		t.Errorf("reason = %q", got[1].Reason)
	}
	// The inner handler still decides what is written.
	if s := out.String(); strings.Contains(s, "will retry") || !strings.Contains(s, "reconcile failed") {
		t.Errorf("inner handler wrote %q, want only the error", s)
	}
}
