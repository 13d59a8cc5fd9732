package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// brakeConfig is opsConfig with the brake at two deactivations an hour.
func brakeConfig(t *testing.T, fakeURL, dataDir string) string {
	t.Helper()
	path := opsConfig(t, fakeURL, dataDir)
	editConfig(t, path, func(cfg map[string]any) {
		cfg["safety"] = map[string]any{"deactivationLimit": map[string]any{"max": 2, "window": "1h"}}
	})
	return path
}

// absorbActive reports whether the fake Absorb holds the account active.
func absorbActive(t *testing.T, fake *fakeabsorb.Server, userName string) bool {
	t.Helper()
	for _, u := range fake.Users() {
		if strings.EqualFold(u.Username, userName) {
			return u.ActiveStatus == 0
		}
	}
	t.Fatalf("no Absorb account %s", userName)
	return false
}

// runWithToken runs the program with ABSORB_SCIM_TOKEN set to the
// read-write token.
func runWithToken(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "ABSORB_SCIM_TOKEN" {
			return opsToken
		}
		return ""
	}
	if err := run(context.Background(), args, env, &out, &errb); err != nil {
		t.Fatalf("%v: %v\nstderr:\n%s", args, err, errb.String())
	}
	return out.String()
}

func TestBrakeEndToEnd(t *testing.T) {
	fake, fakeURL := opsFake(t)
	dataDir := t.TempDir()
	cfgPath := brakeConfig(t, fakeURL, dataDir)
	srv := startOpsServe(t, "-config", cfgPath)
	// The commands find the running bridge at its configured address.
	editConfig(t, cfgPath, func(cfg map[string]any) { cfg["listen"] = strings.TrimPrefix(srv.base, "http://") })

	ids := map[string]string{}
	for _, n := range []string{"ann", "bob", "cat", "dan", "eve"} {
		status, body := srv.call(t, "POST", "/scim/v2/Users", opsToken, createBody(n+"@example.com"))
		var u struct{ ID string }
		if status != http.StatusCreated || json.Unmarshal(body, &u) != nil {
			t.Fatalf("create %s: %d %s", n, status, body)
		}
		ids[n] = u.ID
	}
	off := patchBody("active", false)
	for _, n := range []string{"ann", "bob"} {
		if status, body := srv.call(t, "PATCH", "/scim/v2/Users/"+ids[n], opsToken, off); status != http.StatusOK {
			t.Fatalf("deactivate %s: %d %s", n, status, body)
		}
		if absorbActive(t, fake, n+"@example.com") {
			t.Fatalf("%s: a deactivation within the limit did not reach Absorb", n)
		}
	}

	// Past the limit the IdP sees success, the SCIM user inactive or gone,
	// and Absorb nothing.
	status, body := srv.call(t, "PATCH", "/scim/v2/Users/"+ids["cat"], opsToken, off)
	if status != http.StatusOK || !strings.Contains(string(body), `"active":false`) {
		t.Fatalf("held PATCH: %d %s", status, body)
	}
	if status, _ := srv.call(t, "DELETE", "/scim/v2/Users/"+ids["dan"], opsToken, ""); status != http.StatusNoContent {
		t.Fatalf("held DELETE: %d", status)
	}
	if status, _ := srv.call(t, "GET", "/scim/v2/Users/"+ids["dan"], opsToken, ""); status != http.StatusNotFound {
		t.Errorf("held DELETE: the user still reads, %d", status)
	}
	for _, n := range []string{"cat", "dan"} {
		if !absorbActive(t, fake, n+"@example.com") {
			t.Errorf("%s: a held deactivation reached Absorb", n)
		}
	}
	if n := strings.Count(srv.stderr.String(), "mass deactivation brake tripped"); n != 1 {
		t.Errorf("%d trip lines in the log, want 1", n)
	}

	status, body = srv.call(t, "GET", "/admin/holds", opsToken, "")
	var list struct {
		Count int
		Holds []bridge.HeldDeactivation
	}
	if status != http.StatusOK || json.Unmarshal(body, &list) != nil || list.Count != 2 ||
		list.Holds[0].ID != ids["cat"] || list.Holds[1].ID != ids["dan"] || list.Holds[1].Request != bridge.HoldDelete {
		t.Fatalf("GET /admin/holds: %d %s", status, body)
	}
	if status, _ := srv.call(t, "GET", "/admin/holds", opsViewerToken, ""); status != http.StatusForbidden {
		t.Errorf("GET /admin/holds with a read-only token: %d, want 403", status)
	}
	_, metricsText := srv.call(t, "GET", "/metrics", "", "")
	if v := metricValue(t, string(metricsText), "absorb_scim_held_deactivations"); v != 2 {
		t.Errorf("absorb_scim_held_deactivations %v, want 2", v)
	}

	// The commands, while the bridge holds the file.
	out := runWithToken(t, "holds", "-url", srv.base)
	if !strings.Contains(out, "2 held deactivations") || !strings.Contains(out, "cat@example.com") || !strings.Contains(out, "dan@example.com") {
		t.Errorf("holds -url:\n%s", out)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(opsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := mustRunCmd(t, "holds", "-url", srv.base, "-token-file", tokenFile); !strings.Contains(out, "2 held deactivations") {
		t.Errorf("holds -token-file:\n%s", out)
	}
	if out := runWithToken(t, "holds", "-config", cfgPath); !strings.Contains(out, "2 held deactivations") {
		t.Errorf("holds -config of a running bridge:\n%s", out)
	}
	out = runWithToken(t, "audit", "-config", cfgPath, "-user", "cat@example.com")
	if !strings.Contains(out, " held hold User cat@example.com") || !strings.Contains(out, `active: "true" -> "false"`) {
		t.Errorf("audit of a running bridge:\n%s", out)
	}
	if _, _, err := runCmd(t, "audit", "-config", cfgPath); err == nil || !strings.Contains(err.Error(), "ABSORB_SCIM_TOKEN") {
		t.Errorf("audit of a running bridge without a credential: %v, want a hint at the token", err)
	}
	out = runWithToken(t, "trace", "cat@example.com", "-url", srv.base)
	for _, want := range []string{"SCIM user    " + ids["cat"], "active=false", "HELD         deactivate", "request     scim-create", "hold        hold"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	var tr bridge.Trace
	if err := json.Unmarshal([]byte(runWithToken(t, "trace", ids["cat"], "-json", "-url", srv.base)), &tr); err != nil ||
		tr.User == nil || tr.Hold == nil || len(tr.History) == 0 {
		t.Errorf("trace -json: %+v, %v", tr, err)
	}
	if status, _ := srv.call(t, "GET", "/admin/trace?user=nobody@example.com", opsToken, ""); status != http.StatusNotFound {
		t.Errorf("trace of nobody: %d, want 404", status)
	}

	// Release needs ids or all.
	if status, body := srv.call(t, "POST", "/admin/holds/release", opsToken, "{}"); status != http.StatusBadRequest {
		t.Errorf("release of nothing: %d %s, want 400", status, body)
	}
	status, body = srv.call(t, "POST", "/admin/holds/release", opsToken, `{"ids":["`+ids["cat"]+`"]}`)
	if status != http.StatusOK || !strings.Contains(string(body), `"released": 1`) {
		t.Fatalf("release cat: %d %s", status, body)
	}
	if absorbActive(t, fake, "cat@example.com") {
		t.Error("released deactivation did not reach Absorb")
	}

	// The holds outlive a restart, and so does the brake: a deactivation
	// after it is held too, and a reactivation cancels that hold.
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	srv = startOpsServe(t, "-config", cfgPath)
	out = runWithToken(t, "holds", "-url", srv.base, "-json")
	if !strings.Contains(out, `"count": 1`) || !strings.Contains(out, ids["dan"]) {
		t.Fatalf("holds after restart:\n%s", out)
	}
	srv.call(t, "PATCH", "/scim/v2/Users/"+ids["eve"], opsToken, off)
	if !absorbActive(t, fake, "eve@example.com") {
		t.Error("after restart a deactivation went through the tripped brake")
	}
	srv.call(t, "PATCH", "/scim/v2/Users/"+ids["eve"], opsToken, patchBody("active", true))
	if out := runWithToken(t, "holds", "-url", srv.base); !strings.Contains(out, "1 held deactivations") || strings.Contains(out, "eve@") {
		t.Errorf("a reactivation did not cancel its hold:\n%s", out)
	}

	// Discard brings dan back, active, under the same id.
	out = runWithToken(t, "holds", "discard", "-all", "-url", srv.base)
	if !strings.Contains(out, "1 discarded") {
		t.Fatalf("holds discard -all:\n%s", out)
	}
	status, body = srv.call(t, "GET", "/scim/v2/Users/"+ids["dan"], opsToken, "")
	if status != http.StatusOK || !strings.Contains(string(body), `"active":true`) {
		t.Errorf("dan after discard: %d %s", status, body)
	}
	if !absorbActive(t, fake, "dan@example.com") {
		t.Error("discard deactivated dan in Absorb")
	}
	_, metricsText = srv.call(t, "GET", "/metrics", "", "")
	if v := metricValue(t, string(metricsText), "absorb_scim_held_deactivations"); v != 0 {
		t.Errorf("absorb_scim_held_deactivations %v after discard, want 0", v)
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}

	// A stopped bridge's file answers the same commands.
	if out := mustRunCmd(t, "holds", "-data", dataDir); !strings.Contains(out, "0 held deactivations") {
		t.Errorf("holds of a stopped bridge:\n%s", out)
	}
	out = mustRunCmd(t, "trace", "dan@example.com", "-data", dataDir)
	for _, want := range []string{"hold        hold", "hold        discard", "request     scim-delete"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace of a stopped bridge lacks %q:\n%s", want, out)
		}
	}
	out = mustRunCmd(t, "audit", "-data", dataDir)
	for _, op := range []string{" held hold ", " ok release ", " ok discard ", " ok cancel-hold "} {
		if !strings.Contains(out, op) {
			t.Errorf("audit lacks %q", op)
		}
	}
}
