package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// The operations tests run `serve` in-process on 127.0.0.1:0 against a fake
// Absorb, drive it over HTTP, stop it, and then run the admin commands on
// the data it left.

const (
	opsToken       = "ops-rw-token-5Jd8Kq2Lm7Np"
	opsViewerToken = "ops-ro-token-3Hs6Wz9Xc1Vb"
	opsPassword    = "Idp-Sent-Pw-8Rt2Yu6Io!"
)

// opsFake is a fake Absorb on an httptest server.
func opsFake(t *testing.T) (*fakeabsorb.Server, string) {
	t.Helper()
	f, err := fakeabsorb.New(fakeabsorb.Options{RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return f, ts.URL
}

// opsConfig writes a configuration for the fake at fakeURL with data in
// dataDir: a read-write token "okta" and a read-only one "viewer".
func opsConfig(t *testing.T, fakeURL, dataDir string) string {
	t.Helper()
	cfg := map[string]any{
		"listen":  "127.0.0.1:0",
		"dataDir": dataDir,
		"log":     map[string]any{"format": "json", "level": "info"},
		"absorb": map[string]any{
			"url": fakeURL, "privateKey": fakeabsorb.PrivateKey,
			"username": fakeabsorb.BridgeAdminUsername, "password": fakeabsorb.AdminPassword,
			"rateLimit": -1, "timeout": "5s",
		},
		"auth": map[string]any{"tokens": []any{
			map[string]any{"name": "okta", "value": opsToken},
			map[string]any{"name": "viewer", "value": opsViewerToken, "readOnly": true},
		}},
		"mapping":       map[string]any{"defaultDepartment": "Company", "password": "passthrough"},
		"sync":          map[string]any{"interval": "1m"},
		"shutdownGrace": "2s",
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "absorb-scim.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// opsServer is one `serve` running in the test.
type opsServer struct {
	base   string
	stderr *lockedBuffer
	stop   func() error
}

// startOpsServe runs serve with args on a socket handed over with
// -listen-fd, waits for /readyz, and returns it; stop ends it and returns
// run's error.
func startOpsServe(t *testing.T, args ...string) *opsServer {
	t.Helper()
	s, done := launchOps(t, args...)
	waitReady(t, s.base, nil, done, s.stderr)
	return s
}

// launchOps runs serve with args on a socket handed over with -listen-fd
// and returns at once, with the channel run's error arrives on.
func launchOps(t *testing.T, args ...string) (*opsServer, chan error) {
	t.Helper()
	addr, fd := listenFD(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &opsServer{base: "http://" + addr, stderr: &lockedBuffer{}}
	done := make(chan error, 1)
	args = append([]string{"serve", "-listen-fd", strconv.Itoa(fd)}, args...)
	go func() { done <- run(ctx, args, noEnvOps, io.Discard, s.stderr) }()
	stopped := false
	var runErr error
	s.stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(15 * time.Second):
				runErr = errors.New("serve did not stop within 15s")
			}
		}
		return runErr
	}
	t.Cleanup(func() { _ = s.stop() })
	return s, done
}

func noEnvOps(string) string { return "" }

// createMember creates a user from userBody and a group named group with it
// as the one member, and returns the user's id.
func (s *opsServer) createMember(t *testing.T, userBody, group string) string {
	t.Helper()
	status, body := s.call(t, "POST", "/scim/v2/Users", opsToken, userBody)
	if status != http.StatusCreated {
		t.Fatalf("create user: %d %s", status, body)
	}
	var user struct{ ID string }
	_ = json.Unmarshal(body, &user)
	status, body = s.call(t, "POST", "/scim/v2/Groups", opsToken,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"`+group+`","members":[{"value":"`+user.ID+`"}]}`)
	if status != http.StatusCreated {
		t.Fatalf("create group: %d %s", status, body)
	}
	return user.ID
}

// call sends one request and returns the status and body.
func (s *opsServer) call(t *testing.T, method, path, token, body string, header ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// runCmd runs the program with args and returns its output and error.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, noEnvOps, &out, &errb)
	return out.String(), errb.String(), err
}

func mustRunCmd(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := runCmd(t, args...)
	if err != nil {
		t.Fatalf("%v: %v\nstderr:\n%s", args, err, errOut)
	}
	return out
}

// patchBody is a SCIM PATCH with one replace operation (RFC 7644 §3.5.2.3).
func patchBody(path string, value any) string {
	b, _ := json.Marshal(map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "path": path, "value": value}},
	})
	return string(b)
}

func createBody(userName string) string {
	b, _ := json.Marshal(map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": userName,
		"name":     map[string]any{"givenName": "Olive", "familyName": "Oyl"},
		"emails":   []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"active":   true,
		"password": opsPassword,
	})
	return string(b)
}

func TestOperationsEndToEnd(t *testing.T) {
	fake, fakeURL := opsFake(t)
	dataDir := t.TempDir()
	cfgPath := opsConfig(t, fakeURL, dataDir)
	srv := startOpsServe(t, "-config", cfgPath)

	// A create, a patch and a deactivate, each with its own request id.
	status, body := srv.call(t, "POST", "/scim/v2/Users", opsToken, createBody("olive@example.com"), "X-Request-Id", "req-create")
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(body, &created); err != nil || created.ID == "" {
		t.Fatalf("create answer %s: %v", body, err)
	}
	userPath := "/scim/v2/Users/" + created.ID
	if status, body := srv.call(t, "PATCH", userPath, opsToken, patchBody("name.givenName", "Olivia"), "X-Request-Id", "req-patch"); status != http.StatusOK {
		t.Fatalf("patch: %d %s", status, body)
	}
	if status, body := srv.call(t, "PATCH", userPath, opsToken, patchBody("active", false), "X-Request-Id", "req-off"); status != http.StatusOK {
		t.Fatalf("deactivate: %d %s", status, body)
	}
	if status, _ := srv.call(t, "GET", userPath, opsViewerToken, "", "X-Request-Id", "req-read"); status != http.StatusOK {
		t.Fatalf("viewer read: %d", status)
	}
	group := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sailors","members":[{"value":"` + created.ID + `"}]}`
	status, body = srv.call(t, "POST", "/scim/v2/Groups", opsToken, group)
	if status != http.StatusCreated {
		t.Fatalf("create group: %d %s", status, body)
	}
	var createdGroup struct{ ID string }
	if err := json.Unmarshal(body, &createdGroup); err != nil || createdGroup.ID == "" {
		t.Fatalf("create group answer %s: %v", body, err)
	}

	t.Run("healthcheck", func(t *testing.T) {
		if out := mustRunCmd(t, "healthcheck", "-url", srv.base+"/healthz"); out != "ok\n" {
			t.Errorf("healthcheck printed %q", out)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		status, body := srv.call(t, "GET", "/metrics", "", "")
		if status != http.StatusOK {
			t.Fatalf("GET /metrics: %d", status)
		}
		text := string(body)
		for _, want := range []string{
			`absorb_scim_scim_requests_total{credential="okta",method="POST",resource="Users",status="201"} 1`,
			`absorb_scim_scim_requests_total{credential="okta",method="PATCH",resource="Users",status="200"} 2`,
			`absorb_scim_scim_requests_total{credential="viewer",method="GET",resource="Users",status="200"} 1`,
			`absorb_scim_scim_request_duration_seconds_bucket{method="PATCH",resource="Users",le="+Inf"} 2`,
			`absorb_scim_absorb_requests_total{endpoint="/users/{id}",method="PUT",status="200"}`,
			`absorb_scim_absorb_request_duration_seconds_count{endpoint="/users",method="GET"}`,
			`absorb_scim_absorb_logins_total{kind="login",outcome="ok"} 1`,
			`absorb_scim_absorb_rate_limiter_wait_seconds_count`,
			`absorb_scim_sync_last_success_timestamp_seconds `,
			`absorb_scim_sync_lag_seconds `,
			`absorb_scim_sync_mirror_complete 1`,
			`absorb_scim_users 1`,
			`absorb_scim_groups 1`,
			`absorb_scim_group_memberships 1`,
			`absorb_scim_scim_requests_total{credential="okta",method="POST",resource="Groups",status="201"} 1`,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if strings.Contains(text, created.ID) {
			t.Error("/metrics holds a user id")
		}
		// The create (its intent, then the user) and the two PATCHes went
		// through the group commit: at least four writes, in no more
		// commits than writes, and the commits took time.
		commits, writes, seconds := metricValue(t, text, "absorb_scim_store_batch_commits_total"),
			metricValue(t, text, "absorb_scim_store_batched_writes_total"),
			metricValue(t, text, "absorb_scim_store_batch_commit_seconds_total")
		if writes < 4 || commits < 1 || commits > writes || seconds <= 0 {
			t.Errorf("group commit totals: %v commits, %v writes, %v s; want >= 4 writes in 1..writes commits taking time", commits, writes, seconds)
		}
	})

	t.Run("access log counts the calls to Absorb", func(t *testing.T) {
		calls := map[string]int{}
		sc := bufio.NewScanner(strings.NewReader(srv.stderr.String()))
		for sc.Scan() {
			var line struct {
				Msg, RequestID, Credential string
				UpstreamCalls              int
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "request" && strings.HasPrefix(line.RequestID, "req-") {
				calls[line.RequestID] = line.UpstreamCalls
				if line.Credential == "" {
					t.Errorf("request %s logged without its credential", line.RequestID)
				}
			}
		}
		// A create and a patch each send Absorb at least their write; a read
		// is answered from storage.
		for id, atLeast := range map[string]int{"req-create": 1, "req-patch": 1} {
			if got, ok := calls[id]; !ok || got < atLeast {
				t.Errorf("upstreamCalls of %s = %d (logged %v), want at least %d", id, got, ok, atLeast)
			}
		}
		if got, ok := calls["req-read"]; !ok || got != 0 {
			t.Errorf("upstreamCalls of req-read = %d (logged %v), want 0", got, ok)
		}
	})

	t.Run("unclean SCIM path", func(t *testing.T) {
		// An unclean SCIM path gets the router's redirect to the clean path.
		req, err := http.NewRequest("GET", srv.base+"/scim/v2//Users", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+opsToken)
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/scim/v2/Users" {
			t.Errorf("GET /scim/v2//Users: %d, Location %q; want 301 to /scim/v2/Users", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("data file locked while serving", func(t *testing.T) {
		_, _, err := runCmd(t, "audit", "-data", dataDir)
		if err == nil || !strings.Contains(err.Error(), "stop the bridge or use its admin endpoints") {
			t.Errorf("audit on a running bridge's data: %v", err)
		}
	})

	// Someone changes the account in Absorb behind the bridge's back.
	auditor, err := absorbapi.New(absorbapi.Config{BaseURL: fakeURL, PrivateKey: fakeabsorb.PrivateKey,
		Username: fakeabsorb.AuditorUsername, Password: fakeabsorb.AdminPassword, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	editFirstName := func(name string) string {
		t.Helper()
		acct, err := auditor.FindUserByUsername(context.Background(), "olive@example.com")
		if err != nil {
			t.Fatal(err)
		}
		acct.FirstName = name
		if _, err := auditor.UpdateUser(context.Background(), *acct); err != nil {
			t.Fatal(err)
		}
		return acct.ID
	}
	absorbID := editFirstName("Popeye")

	t.Run("admin reconcile", func(t *testing.T) {
		if status, _ := srv.call(t, "POST", "/admin/reconcile?fix=true", opsViewerToken, ""); status != http.StatusForbidden {
			t.Errorf("read-only credential: %d, want 403", status)
		}
		if status, _ := srv.call(t, "POST", "/admin/reconcile", "", ""); status != http.StatusUnauthorized {
			t.Errorf("no credential: %d, want 401", status)
		}
		status, body := srv.call(t, "POST", "/admin/reconcile?fix=true", opsToken, "", "X-Request-Id", "req-reconcile")
		if status != http.StatusOK {
			t.Fatalf("reconcile: %d %s", status, body)
		}
		var rep bridge.ReconcileReport
		if err := json.Unmarshal(body, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Users != 1 || rep.Fixed != 1 || len(rep.Drift) != 1 || rep.Drift[0].Kind != bridge.DriftFields {
			t.Fatalf("report %+v", rep)
		}
		if c := rep.Drift[0].Changes; len(c) != 1 || c[0].Field != "firstName" || c[0].From != "Popeye" || c[0].To != "Olivia" {
			t.Errorf("changes %+v", c)
		}
		for _, u := range fake.Users() {
			if u.ID == absorbID && u.FirstName != "Olivia" {
				t.Errorf("Absorb first name %q after the fix, want Olivia", u.FirstName)
			}
		}
	})

	backupFile := filepath.Join(t.TempDir(), "backup.db")
	t.Run("admin backup", func(t *testing.T) {
		if status, _ := srv.call(t, "GET", "/admin/backup", opsViewerToken, ""); status != http.StatusForbidden {
			t.Errorf("read-only credential: %d, want 403", status)
		}
		status, body := srv.call(t, "GET", "/admin/backup", opsToken, "")
		if status != http.StatusOK || len(body) == 0 {
			t.Fatalf("backup: %d, %d bytes", status, len(body))
		}
		if err := os.WriteFile(backupFile, body, 0o600); err != nil {
			t.Fatal(err)
		}
	})

	if err := srv.stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, srv.stderr.String())
	}

	t.Run("audit", func(t *testing.T) {
		out := mustRunCmd(t, "audit", "-data", dataDir, "-user", "OLIVE@example.com", "-json")
		var lines []bridge.AuditEntry
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			var l bridge.AuditEntry
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			if strings.HasPrefix(l.Operation, "scim-") {
				continue // the IdP's requests; these rows are the writes to Absorb
			}
			lines = append(lines, l)
		}
		type row struct{ cred, req, op, outcome, field, from, to string }
		want := []row{
			{"okta", "req-create", bridge.OpCreate, bridge.OutcomeOK, "firstName", "", "Olive"},
			{"okta", "req-patch", bridge.OpUpdate, bridge.OutcomeOK, "firstName", "Olive", "Olivia"},
			{"okta", "req-off", bridge.OpDeactivate, bridge.OutcomeOK, "activeStatus", "active", "inactive"},
			{"okta", "req-reconcile", bridge.OpUpdate, bridge.OutcomeOK, "firstName", "Popeye", "Olivia"},
		}
		if len(lines) != len(want) {
			t.Fatalf("got %d records, want %d:\n%s", len(lines), len(want), out)
		}
		for i, w := range want {
			l := lines[i]
			var c *bridge.TraceChange
			for j := range l.Changes {
				if l.Changes[j].Field == w.field {
					c = &l.Changes[j]
				}
			}
			if l.Credential != w.cred || l.RequestID != w.req || l.Operation != w.op || l.Outcome != w.outcome ||
				c == nil || c.From != w.from || c.To != w.to || l.ResourceID != created.ID {
				t.Errorf("record %d = %+v, want %+v", i, l, w)
			}
		}
		if strings.Contains(out, opsPassword) || strings.Contains(strings.ToLower(out), "password") {
			t.Error("audit output mentions the password")
		}
		text := mustRunCmd(t, "audit", "-data", dataDir, "-since", "1h")
		if !strings.Contains(text, `activeStatus: "active" -> "inactive"`) || !strings.Contains(text, "request=req-off") {
			t.Errorf("text audit:\n%s", text)
		}
		if none := mustRunCmd(t, "audit", "-data", dataDir, "-user", "nobody@example.com"); none != "" {
			t.Errorf("audit for another user printed:\n%s", none)
		}
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		if none := mustRunCmd(t, "audit", "-data", dataDir, "-since", future); none != "" {
			t.Errorf("audit since the future printed:\n%s", none)
		}
	})

	t.Run("users and groups", func(t *testing.T) {
		list := mustRunCmd(t, "users", "list", "-config", cfgPath)
		if !strings.Contains(list, created.ID) || !strings.Contains(list, "olive@example.com") || !strings.Contains(list, absorbID) {
			t.Errorf("users list:\n%s", list)
		}
		var detail userDetail
		if err := json.Unmarshal([]byte(mustRunCmd(t, "users", "show", "olive@example.com", "-data", dataDir)), &detail); err != nil {
			t.Fatal(err)
		}
		var acct struct{ FirstName string }
		if err := json.Unmarshal(detail.Absorb, &acct); err != nil {
			t.Fatal(err)
		}
		if detail.ID != created.ID || detail.AbsorbID != absorbID || acct.FirstName != "Olivia" {
			t.Errorf("users show: %+v, absorb copy %s", detail, detail.Absorb)
		}
		if len(detail.Groups) != 1 || !strings.Contains(detail.Groups[0], "Sailors") {
			t.Errorf("users show groups %v, want Sailors", detail.Groups)
		}
		groups := mustRunCmd(t, "groups", "list", "-data", dataDir)
		if !strings.HasPrefix(groups, "ID") || !strings.Contains(groups, createdGroup.ID) || !strings.Contains(groups, "Sailors") {
			t.Errorf("groups list:\n%s", groups)
		}
		var g groupDetail
		if err := json.Unmarshal([]byte(mustRunCmd(t, "groups", "show", createdGroup.ID, "-data", dataDir)), &g); err != nil {
			t.Fatal(err)
		}
		if g.DisplayName != "Sailors" || len(g.Members) != 1 || g.Members[0].Value != created.ID {
			t.Errorf("groups show: %+v", g)
		}
		var byName groupDetail
		if err := json.Unmarshal([]byte(mustRunCmd(t, "groups", "show", "sailors", "-data", dataDir)), &byName); err != nil {
			t.Fatal(err)
		}
		if byName.ID != createdGroup.ID {
			t.Errorf("groups show sailors gave group %q, want %q (by displayName, any case)", byName.ID, createdGroup.ID)
		}
		if _, _, err := runCmd(t, "users", "show", "nobody", "-data", dataDir); err == nil || !strings.Contains(err.Error(), "no user") {
			t.Errorf("show of an unknown user: %v", err)
		}
	})

	t.Run("reconcile command", func(t *testing.T) {
		editFirstName("Bluto")
		out := mustRunCmd(t, "reconcile", "-config", cfgPath)
		if !strings.Contains(out, "1 users compared, 1 drifted, 0 fixed") || !strings.Contains(out, `firstName: absorb "Bluto", scim "Olivia"`) {
			t.Errorf("reconcile report:\n%s", out)
		}
		_, progress, err := runCmd(t, "reconcile", "-config", cfgPath, "-exit-code")
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitDrift {
			t.Errorf("reconcile -exit-code with drift = %v, want exit status %d", err, exitDrift)
		}
		if !strings.Contains(progress, "reconcile: compared users 1 of 1") {
			t.Errorf("no progress on stderr:\n%s", progress)
		}
		out = mustRunCmd(t, "reconcile", "-config", cfgPath, "-fix")
		if !strings.Contains(out, "fields [fixed]") {
			t.Errorf("reconcile -fix:\n%s", out)
		}
		if _, _, err := runCmd(t, "reconcile", "-config", cfgPath, "-exit-code", "-quiet"); err != nil {
			t.Errorf("reconcile -exit-code without drift = %v, want success", err)
		}
		audit := mustRunCmd(t, "audit", "-data", dataDir, "-json")
		if !strings.Contains(audit, `"credential":"`+bridge.ActorReconcile+`"`) {
			t.Errorf("the command's fix is not audited as %s:\n%s", bridge.ActorReconcile, audit)
		}
	})

	t.Run("restore serves the same mappings", func(t *testing.T) {
		restored := t.TempDir()
		out := mustRunCmd(t, "restore", "-data", restored, "-in", backupFile)
		if !strings.Contains(out, "1 users") {
			t.Errorf("restore: %s", out)
		}
		var line userLine
		if err := json.Unmarshal([]byte(mustRunCmd(t, "users", "list", "-data", restored, "-json")), &line); err != nil {
			t.Fatal(err)
		}
		if line.ID != created.ID || line.AbsorbID != absorbID {
			t.Errorf("restored mapping %s -> %s, want %s -> %s", line.ID, line.AbsorbID, created.ID, absorbID)
		}
		// A second restore replaces a data file: the file it replaces is kept.
		out = mustRunCmd(t, "restore", "-data", restored, "-in", backupFile)
		if !strings.Contains(out, "replacing "+dbPath(restored)+" (1 users") {
			t.Errorf("restore over a data file does not say what it replaces:\n%s", out)
		}
		kept, _ := filepath.Glob(dbPath(restored) + ".replaced-*")
		if len(kept) != 1 {
			t.Fatalf("copies kept of the replaced file: %q, want one", kept)
		}
		if keptUsers := mustRunCmd(t, "users", "list", "-data", restoredCopyDir(t, kept[0]), "-json"); !strings.Contains(keptUsers, created.ID) {
			t.Errorf("the kept copy does not hold the replaced data: %s", keptUsers)
		}
		again := startOpsServe(t, "-config", opsConfig(t, fakeURL, restored))
		status, body := again.call(t, "GET", userPath, opsToken, "")
		if status != http.StatusOK || !strings.Contains(string(body), `"userName":"olive@example.com"`) {
			t.Errorf("restored user: %d %s", status, body)
		}
		if err := again.stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDryRunServeSendsNoWrite(t *testing.T) {
	fake, fakeURL := opsFake(t)
	dataDir := t.TempDir()
	srv := startOpsServe(t, "-config", opsConfig(t, fakeURL, dataDir), "-dry-run")
	fake.ResetStats()
	status, body := srv.call(t, "POST", "/scim/v2/Users", opsToken, createBody("dora@example.com"))
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	var created struct{ ID string }
	_ = json.Unmarshal(body, &created)
	if status, body := srv.call(t, "PATCH", "/scim/v2/Users/"+created.ID, opsToken, patchBody("active", false)); status != http.StatusOK {
		t.Fatalf("patch: %d %s", status, body)
	}
	for k, n := range fake.Stats().Requests {
		if strings.HasPrefix(k, "PUT ") || (strings.HasPrefix(k, "POST ") && k != "POST /authenticate") {
			t.Errorf("dry run sent %s %d times", k, n)
		}
	}
	if !strings.Contains(srv.stderr.String(), "dry run: not sent to Absorb") {
		t.Error("no dry-run log line")
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	out := mustRunCmd(t, "audit", "-data", dataDir)
	if strings.Count(out, " dry-run ") != 2 || strings.Contains(out, " ok ") {
		t.Errorf("audit of a dry run:\n%s", out)
	}
}

func TestAdminCommandMistakes(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name  string
		args  []string
		usage bool   // errUsage
		text  string // in the error otherwise
	}{
		{"users without verb", []string{"users"}, true, ""},
		{"users show without key", []string{"users", "show", "-data", empty}, true, ""},
		{"groups bad verb", []string{"groups", "delete"}, true, ""},
		{"backup without -out", []string{"backup", "-data", empty}, true, ""},
		{"restore without -in", []string{"restore", "-data", empty}, true, ""},
		{"audit bad -since", []string{"audit", "-data", empty, "-since", "yesterday"}, true, ""},
		{"no data file", []string{"users", "list", "-data", empty}, false, "no data file"},
		{"restore of a file that is no store", []string{"restore", "-data", empty, "-in", filepath.Join(empty, "nothing.db")}, false, "restore"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCmd(t, tc.args...)
			switch {
			case tc.usage && !errors.Is(err, errUsage):
				t.Errorf("err = %v, want usage", err)
			case !tc.usage && (err == nil || !strings.Contains(err.Error(), tc.text)):
				t.Errorf("err = %v, want one containing %q", err, tc.text)
			}
		})
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"2026-01-02T03:04:05Z", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2026-01-02", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"90m", now.Add(-90 * time.Minute)},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSince(tc.in, now)
			if err != nil || !got.Equal(tc.want) {
				t.Errorf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if _, err := parseSince("-5m", now); err == nil {
		t.Error("a negative duration was accepted")
	}
}

// metricValue is the value of the unlabelled metric name in a /metrics text.
func metricValue(t *testing.T, text, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics lacks %s", name)
	return 0
}

// restoredCopyDir puts a kept data file in a directory of its own, as
// absorb-scim.db, so the admin commands can read it.
func restoredCopyDir(t *testing.T, file string) string {
	t.Helper()
	dir := t.TempDir()
	if err := copyFile(file, dbPath(dir)); err != nil {
		t.Fatal(err)
	}
	return dir
}
