package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// TestAdminApplyRules changes a rule-managed department behind the bridge's
// back and checks that POST /admin/rules/apply puts it back and says so.
func TestAdminApplyRules(t *testing.T) {
	fake, err := fakeabsorb.New(fakeabsorb.Options{RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	// written receives a signal after each write Absorb has applied, so the
	// test can wait for the group rule's change instead of sleeping.
	written := make(chan struct{}, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fake.ServeHTTP(w, r)
		if r.Method != http.MethodGet && r.URL.Path != "/authenticate" {
			select {
			case written <- struct{}{}:
			default: // one pending signal already makes the test look again
			}
		}
	}))
	t.Cleanup(ts.Close)
	fakeURL := ts.URL
	path := opsConfig(t, fakeURL, t.TempDir())
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["groupRules"] = []any{map[string]any{"name": "sales", "displayName": "Sales Team", "department": "Sales"}}
	raw, _ = json.Marshal(cfg)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startOpsServe(t, "-config", path)

	srv.createMember(t,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"rita@example.com","name":{"givenName":"Rita","familyName":"Rule"}}`, "Sales Team")

	auditor, err := absorbapi.New(absorbapi.Config{BaseURL: fakeURL, PrivateKey: fakeabsorb.PrivateKey,
		Username: fakeabsorb.AuditorUsername, Password: fakeabsorb.AdminPassword, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	department := func() string {
		t.Helper()
		u, err := auditor.FindUserByUsername(ctx, "rita@example.com")
		if err != nil {
			t.Fatal(err)
		}
		return u.DepartmentID
	}
	deadline := time.After(10 * time.Second)
	for department() != fakeabsorb.DeptSalesID {
		select {
		case <-written:
		case <-deadline:
			t.Fatalf("the rule never moved the member to Sales (department %s)", department())
		}
	}

	// Someone moves her in Absorb's admin UI.
	u, err := auditor.FindUserByUsername(ctx, "rita@example.com")
	if err != nil {
		t.Fatal(err)
	}
	u.DepartmentID = fakeabsorb.DeptEngineeringID
	if _, err := auditor.UpdateUser(ctx, *u); err != nil {
		t.Fatal(err)
	}
	// The bridge's copy has not seen the move (the sync runs every minute):
	// re-applying on demand must read Absorb itself.
	if status, _ := srv.call(t, "POST", "/admin/rules/apply", opsViewerToken, ""); status != http.StatusForbidden {
		t.Errorf("read-only credential: %d, want 403", status)
	}
	status, body := srv.call(t, "POST", "/admin/rules/apply", opsToken, "")
	if status != http.StatusOK {
		t.Fatalf("rules apply: %d %s", status, body)
	}
	var rep bridge.ReapplyReport
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("report: %v: %s", err, body)
	}
	// The join's own change may finish inside the window too: at least one.
	if rep.Users != 1 || rep.DepartmentChanges < 1 {
		t.Errorf("report = %+v, want 1 user and a department change", rep)
	}
	if got := department(); got != fakeabsorb.DeptSalesID {
		t.Errorf("department after rules apply = %s, want Sales; report %+v", got, rep)
	}
	for _, key := range []string{`"users"`, `"departmentChanges"`, `"enrollments"`, `"unenrollments"`, `"failures"`, `"problems"`} {
		if !strings.Contains(string(body), key) {
			t.Errorf("report %s lacks the camelCase key %s", body, key)
		}
	}

	// The command does the same through the endpoint.
	u.DepartmentID = fakeabsorb.DeptEngineeringID
	if _, err := auditor.UpdateUser(ctx, *u); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(opsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRunCmd(t, "rules", "apply", "-url", srv.base, "-token-file", tokenFile)
	if !strings.HasPrefix(out, "1 users: ") || strings.Contains(out, " 0 department changes") {
		t.Errorf("rules apply printed %q, want 1 user and a department change", out)
	}
	if got := department(); got != fakeabsorb.DeptSalesID {
		t.Errorf("department after the rules apply command = %s, want Sales", got)
	}
	if _, _, err := runCmd(t, "rules", "apply", "-url", srv.base); err == nil {
		t.Error("rules apply without a token succeeded")
	}

	// The progress: nothing pending once the rules caught up, and the
	// department changes made since start.
	if status, _ := srv.call(t, "GET", "/admin/rules", opsViewerToken, ""); status != http.StatusForbidden {
		t.Errorf("GET /admin/rules with a read-only credential: %d, want 403", status)
	}
	status, body = srv.call(t, "GET", "/admin/rules", opsToken, "")
	var progress bridge.RuleStats
	if err := json.Unmarshal(body, &progress); status != http.StatusOK || err != nil {
		t.Fatalf("GET /admin/rules: %d %s", status, body)
	}
	if progress.Pending != 0 || progress.DepartmentChanges < 3 || !strings.Contains(string(body), `"pending"`) {
		t.Errorf("GET /admin/rules = %s, want nothing pending and the three department changes", body)
	}
	out = mustRunCmd(t, "rules", "status", "-url", srv.base, "-token-file", tokenFile)
	if !strings.HasPrefix(out, "0 users pending; since start: ") || strings.Contains(out, " 0 department changes") {
		t.Errorf("rules status printed %q, want nothing pending and the department changes", out)
	}
}

// With absorb.behaviour.upload pinned to update, serve's group rules move
// a group's members in one upload, and say so in /metrics and
// GET /admin/rules.
func TestServeRulesMoveDepartmentsByUploadWhenPinned(t *testing.T) {
	fake, err := fakeabsorb.New(fakeabsorb.Options{RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	path := opsConfig(t, ts.URL, t.TempDir())
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["groupRules"] = []any{map[string]any{"name": "sales", "displayName": "Sales Team", "department": "Sales"}}
	cfg["absorb"].(map[string]any)["behaviour"] = map[string]any{"upload": "update"}
	raw, _ = json.Marshal(cfg)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startOpsServe(t, "-config", path)

	var members []string
	for _, name := range []string{"ann", "ben", "cat"} {
		status, body := srv.call(t, "POST", "/scim/v2/Users", opsToken,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`@example.com","name":{"givenName":"A","familyName":"B"}}`)
		if status != http.StatusCreated {
			t.Fatalf("create user: %d %s", status, body)
		}
		var u struct{ ID string }
		_ = json.Unmarshal(body, &u)
		members = append(members, `{"value":"`+u.ID+`"}`)
	}
	fake.ResetStats()
	status, body := srv.call(t, "POST", "/scim/v2/Groups", opsToken,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales Team","members":[`+strings.Join(members, ",")+`]}`)
	if status != http.StatusCreated {
		t.Fatalf("create group: %d %s", status, body)
	}
	// The rules work in the background and the endpoint is the only sign
	// of their progress: it is read until they caught up.
	var progress bridge.RuleStats
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, body := srv.call(t, "GET", "/admin/rules", opsToken, "")
		if err := json.Unmarshal(body, &progress); err != nil {
			t.Fatalf("GET /admin/rules: %s", body)
		}
		if progress.Pending == 0 && progress.DepartmentChanges == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rules did not catch up: %+v", progress)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if progress.DepartmentChangesByUpload != 3 || progress.UploadCalls != 1 {
		t.Errorf("progress %+v, want the 3 moves in one upload", progress)
	}
	if st := fake.Stats(); st.Requests["POST /users/upload"] != 1 || st.Requests["PUT /users/{id}"] != 0 {
		t.Errorf("upstream calls %v, want one upload and no PUT", st.Requests)
	}
	moved := 0
	for _, u := range fake.Users() {
		switch u.Username {
		case "ann@example.com", "ben@example.com", "cat@example.com":
			if u.DepartmentID == fakeabsorb.DeptSalesID {
				moved++
			}
		}
	}
	if moved != 3 {
		t.Errorf("%d of the 3 members in Sales", moved)
	}
	_, metrics := srv.call(t, "GET", "/metrics", "", "")
	for key, want := range map[string]float64{
		`absorb_scim_rule_department_changes_total{method="upload"}`: 3,
		`absorb_scim_rule_upload_calls_total`:                        1,
		`absorb_scim_rule_queue_pending`:                             0,
	} {
		if got := metricValue(t, string(metrics), key); got != want {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
}
