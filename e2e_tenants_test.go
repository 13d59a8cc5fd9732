package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// tenantsConfig is a configuration serving one tenant per fake, tenant
// "t0", "t1" … with token "tenant-token-<id>-0123456789".
func tenantsConfig(t *testing.T, dataDir string, fakes ...*e2eFake) map[string]any {
	t.Helper()
	var tenants []any
	for i, f := range fakes {
		id := "t" + strconv.Itoa(i)
		tenants = append(tenants, map[string]any{
			"id": id,
			"absorb": map[string]any{"url": f.url, "privateKey": e2ePrivateKey,
				"username": fakeabsorb.BridgeAdminUsername, "password": e2eAdminPassword},
			"auth": map[string]any{"tokens": []any{map[string]any{"name": "idp", "value": "tenant-token-" + id + "-0123456789"}}},
		})
	}
	return map[string]any{
		"listen": "127.0.0.1:0", "publicURL": e2ePublicURL, "dataDir": dataDir,
		"log":           map[string]any{"format": "json", "level": "info"},
		"absorb":        map[string]any{"rateLimit": -1, "timeout": "5s"},
		"mapping":       map[string]any{"defaultDepartment": "Company"},
		"sync":          map[string]any{"interval": "1m"},
		"shutdownGrace": "2s",
		"tenants":       tenants,
	}
}

// TestServeTenantsInProcess runs serve with tenants inside the test, so the
// race detector sees the tenants' start, routing, reload and stop.
func TestServeTenantsInProcess(t *testing.T) {
	dataDir := t.TempDir()
	fakes := []*e2eFake{startFake(t), startFake(t), startFake(t)}
	path := writeConfig(t, tenantsConfig(t, dataDir, fakes[:2]...))
	addr, fd := listenFD(t)
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-config", path, "-listen-fd", strconv.Itoa(fd)}, emptyEnv, io.Discard, stderr)
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v\n%s", err, stderr)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("serve did not stop within 15s of its context ending")
		}
	}
	t.Cleanup(stop)
	base := "http://" + addr
	client := &http.Client{Timeout: 10 * time.Second}
	waitReady(t, base+"/tenants/t0", client.Transport, done, stderr)
	waitReady(t, base+"/tenants/t1", client.Transport, done, stderr)
	send := func(method, url, token, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/scim+json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jo@example.com","name":{"givenName":"Jo","familyName":"Tenant"},"emails":[{"value":"jo@example.com","primary":true}],"active":true}`
	status, body := send(http.MethodPost, base+"/tenants/t0/scim/v2/Users", "tenant-token-t0-0123456789", user)
	if status != http.StatusCreated {
		t.Fatalf("create on t0: %d %s", status, body)
	}
	var created struct{ Meta struct{ Location string } }
	_ = json.Unmarshal(body, &created)
	if !strings.HasPrefix(created.Meta.Location, e2ePublicURL+"/tenants/t0/scim/v2/Users/") {
		t.Errorf("meta.location %q is not under t0's base", created.Meta.Location)
	}
	if status, _ := send(http.MethodGet, base+"/tenants/t1/scim/v2/Users", "tenant-token-t0-0123456789", ""); status != http.StatusUnauthorized {
		t.Errorf("t0's token on t1: %d, want 401", status)
	}
	status, body = send(http.MethodGet, base+"/tenants/t1/scim/v2/Users?filter="+`userName%20eq%20%22jo@example.com%22`, "tenant-token-t1-0123456789", "")
	if status != http.StatusOK || !bytes.Contains(body, []byte(`"totalResults":0`)) {
		t.Errorf("t1 sees t0's user: %d %s", status, body)
	}
	if status, body := send(http.MethodGet, base+"/tenants/t0/console/login", "", ""); status != http.StatusOK || !bytes.Contains(body, []byte(`action="/tenants/t0/console/login"`)) {
		t.Errorf("t0's console: %d %s", status, body)
	}

	// Add t2, remove t1.
	b, _ := json.Marshal(tenantsConfig(t, dataDir, fakes...))
	cfg := map[string]any{}
	_ = json.Unmarshal(b, &cfg)
	tenants := cfg["tenants"].([]any)
	cfg["tenants"] = []any{tenants[0], tenants[2]}
	b, _ = json.Marshal(cfg)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitReady(t, base+"/tenants/t2", client.Transport, done, stderr)
	waitFor(t, 10*time.Second, "t1 to stop being served", func() bool {
		status, _ := send(http.MethodGet, base+"/tenants/t1/scim/v2/Users", "tenant-token-t1-0123456789", "")
		return status == http.StatusNotFound
	})
	if status, _ := send(http.MethodGet, base+"/tenants/t0/scim/v2/Users", "tenant-token-t0-0123456789", ""); status != http.StatusOK {
		t.Errorf("t0 after the reload: %d", status)
	}
	stop()

	var out bytes.Buffer
	if err := run(context.Background(), []string{"users", "list", "-config", path, "-tenant", "t0"}, emptyEnv, &out, io.Discard); err != nil || !strings.Contains(out.String(), "jo@example.com") {
		t.Errorf("users list -tenant t0: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"users", "list", "-config", path}, emptyEnv, &out, &out); err == nil || !strings.Contains(err.Error(), "name one with -tenant ID") {
		t.Errorf("users list without -tenant: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "tenants", "t1", "absorb-scim.db")); err != nil {
		t.Errorf("the removed tenant's data: %v", err)
	}
}

// waitFor polls cond, a state no event announces, until it holds; the test
// fails after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		<-tick.C
	}
}
