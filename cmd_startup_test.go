package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// editConfig rewrites the JSON configuration at path with edit.
func editConfig(t *testing.T, path string, edit func(cfg map[string]any)) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	edit(cfg)
	if raw, err = json.Marshal(cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// startServeUnready runs serve with args on a socket handed over with
// -listen-fd and returns at once, without waiting for /readyz: requests
// wait in the socket's queue until serve takes them.
func startServeUnready(t *testing.T, args ...string) *opsServer {
	t.Helper()
	s, _ := launchOps(t, args...)
	return s
}

// logLines decodes JSON log lines.
func logLines(text string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// readyz returns the status and body of GET /readyz.
func (s *opsServer) readyz(t *testing.T) (int, string) {
	t.Helper()
	status, body := s.call(t, "GET", "/readyz", "", "")
	return status, string(body)
}

// waitReadyz polls /readyz (there is no event to wait on) until it answers
// status with a body containing want.
func (s *opsServer) waitReadyz(t *testing.T, status int, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, body := s.readyz(t)
		if got == status && strings.Contains(body, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz answered %d %q, want %d with %q\n%s", got, body, status, want, s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestServeRefusesUnresolvedDefaultDepartment(t *testing.T) {
	_, fakeURL := opsFake(t)
	path := opsConfig(t, fakeURL, t.TempDir())
	editConfig(t, path, func(cfg map[string]any) {
		cfg["mapping"].(map[string]any)["defaultDepartment"] = "Compnay"
	})
	var stdout, stderr lockedBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve", "-config", path}, noEnvOps, &stdout, &stderr)
	if err == nil {
		t.Fatal("serve started with a default department Absorb does not hold")
	}
	want := `absorb-scim: config: mapping.defaultDepartment: "Compnay" names no Absorb department visible to the bridge's admin (by id, external id or name); close matches: "Company"`
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr:\n%s\nwant the line\n%s", stderr.String(), want)
	}
	if strings.Contains(stderr.String(), "absorb-scim serving") {
		t.Error("serve said it was serving")
	}
}

func TestServeReportsUnresolvedRuleNames(t *testing.T) {
	_, fakeURL := opsFake(t)
	path := opsConfig(t, fakeURL, t.TempDir())
	editConfig(t, path, func(cfg map[string]any) {
		cfg["groupRules"] = []any{map[string]any{"name": "sales", "displayName": "Sales Team", "department": "Salse", "courses": []string{"Sales Fundamental"}}}
	})
	s := startServeUnready(t, "-config", path)
	s.waitReadyz(t, http.StatusOK, "ready")
	var warned []string
	for _, l := range logLines(s.stderr.String()) {
		if p, ok := l["problem"].(string); ok && l["level"] == "WARN" {
			warned = append(warned, p)
		}
	}
	for _, want := range []string{`groupRules[0].department: "Salse"`, `groupRules[0].courses[0]: "Sales Fundamental"`} {
		if !strings.Contains(strings.Join(warned, "\n"), want) {
			t.Errorf("no warning at start about %s; warnings: %q", want, warned)
		}
	}
	if !strings.Contains(strings.Join(warned, "\n"), `close matches: "Sales"`) {
		t.Errorf("the department warning names no close match: %q", warned)
	}

	// The rule then fails for its members, in the metrics and in rules apply.
	s.createMember(t, createBody("rule-typo@example.com"), "Sales Team")
	status, body := s.call(t, "POST", "/admin/rules/apply", opsToken, "")
	if status != http.StatusOK {
		t.Fatalf("rules apply: %d %s", status, body)
	}
	var rep struct {
		Failures int
		Problems []string
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Failures < 1 || !strings.Contains(strings.Join(rep.Problems, "\n"), `department "Salse" names nothing in Absorb`) {
		t.Errorf("rules apply report %s; want the unresolved department listed as a failure", body)
	}
	_, metrics := s.call(t, "GET", "/metrics", "", "")
	if got := metricValue(t, string(metrics), `absorb_scim_rule_actions_total{action="failure"}`); got < 2 {
		t.Errorf(`absorb_scim_rule_actions_total{action="failure"} = %v, want the department and course failures counted`, got)
	}
}

// gatedAbsorb is the fake Absorb behind a switch: while down, every
// connection is dropped, as when Absorb cannot be reached.
func gatedAbsorb(t *testing.T) (url string, up func()) {
	t.Helper()
	f, err := fakeabsorb.New(fakeabsorb.Options{RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	var open atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !open.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		f.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL, func() { open.Store(true) }
}

func TestNamesCheckedOnceAbsorbAnswers(t *testing.T) {
	url, up := gatedAbsorb(t)
	path := opsConfig(t, url, t.TempDir())
	editConfig(t, path, func(cfg map[string]any) {
		cfg["absorb"].(map[string]any)["timeout"] = "1s"
	})
	s := startServeUnready(t, "-config", path)
	s.waitReadyz(t, http.StatusServiceUnavailable, "configured department and course names not checked yet (Absorb did not answer)")
	up()
	s.waitReadyz(t, http.StatusOK, "ready")
	if !strings.Contains(s.stderr.String(), "configured department and course names checked against Absorb") {
		t.Errorf("no log line once the names were checked:\n%s", s.stderr.String())
	}
}

func TestWrongAbsorbCredentialsSaySo(t *testing.T) {
	_, fakeURL := opsFake(t)
	path := opsConfig(t, fakeURL, t.TempDir())
	editConfig(t, path, func(cfg map[string]any) {
		cfg["absorb"].(map[string]any)["password"] = "not-the-password"
	})
	s := startServeUnready(t, "-config", path)
	s.waitReadyz(t, http.StatusServiceUnavailable, "Absorb refused the bridge's login")

	status, body := s.call(t, "POST", "/scim/v2/Users", opsToken, createBody("wrong-creds@example.com"))
	if status != http.StatusServiceUnavailable || !strings.Contains(string(body), "the bridge cannot authenticate to Absorb") {
		t.Errorf("create with Absorb refusing the login: %d %s; want 503 saying the bridge cannot authenticate", status, body)
	}
	var errors []string
	for _, l := range logLines(s.stderr.String()) {
		if l["level"] == "ERROR" {
			errors = append(errors, l["msg"].(string))
		}
	}
	text := strings.Join(errors, "\n")
	if !strings.Contains(text, "Absorb refused the bridge's login: check absorb.username and absorb.password") {
		t.Errorf("ERROR lines %q; want one saying the login was refused and what to check", errors)
	}
	if strings.Contains(s.stderr.String(), "not-the-password") {
		t.Error("the log holds the Absorb password")
	}
}

func TestServeLogsVersionFirstAndStop(t *testing.T) {
	_, fakeURL := opsFake(t)
	s := startServeUnready(t, "-config", opsConfig(t, fakeURL, t.TempDir()))
	// An answer says serve got as far as serving.
	if status, body := s.call(t, "GET", "/healthz", "", ""); status != http.StatusOK {
		t.Fatalf("GET /healthz: %d %s", status, body)
	}
	if err := s.stop(); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("serve: %v", err)
	}
	lines := logLines(s.stderr.String())
	if len(lines) == 0 {
		t.Fatal("no log lines")
	}
	first := lines[0]
	if first["msg"] != "absorb-scim starting" || first["version"] == nil || first["commit"] == nil || first["goVersion"] == nil {
		t.Errorf("first log line %v; want absorb-scim starting with version, commit and goVersion", first)
	}
	last := lines[len(lines)-1]
	if last["msg"] != "absorb-scim stopped" {
		t.Errorf("last log line %v; want absorb-scim stopped", last)
	}
}
