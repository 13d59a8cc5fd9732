package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Two tenants of one bridge, each provisioning its own Absorb portal (a
// fake-absorb process of its own) from its own IdP: everything one does
// lands in its portal alone, a credential opens only its own tenant, a
// portal that throttles holds back only its tenant, and tenants come and go
// on SIGHUP.

// tenantSpec is one tenant of writeTenantsConfig.
type tenantSpec struct {
	id, absorbURL, token string
	rules                string // groupRules entries, YAML indented by 6
}

// The tenants' group rules: the demo's three (the scenarios expect them),
// and one rule each for "Field Team" that sends its members to a different
// department and course in each portal.
const (
	entraRules = `      - {name: sales-team, displayName: Sales Team, department: Sales, courses: [Sales Fundamentals]}
      - {name: engineering, displayNamePattern: "Engineering*", department: Engineering, courses: [Engineering Onboarding]}
      - {name: security-training, displayName: Security Training, courses: [Security Awareness], unenrollOnLeave: true}
      - {name: field, displayName: Field Team, department: Support, courses: [Security Awareness]}
`
	oktaRules = `      - {name: sales-team, displayName: Sales Team, department: Sales, courses: [Sales Fundamentals]}
      - {name: engineering, displayNamePattern: "Engineering*", department: Engineering, courses: [Engineering Onboarding]}
      - {name: security-training, displayName: Security Training, courses: [Security Awareness], unenrollOnLeave: true}
      - {name: field, displayName: Field Team, department: Research, courses: [New Hire Onboarding]}
`
)

// writeTenantsConfig writes a configuration serving tenants to path.
func writeTenantsConfig(t *testing.T, path, listen, dataDir string, tenants []tenantSpec) {
	t.Helper()
	// On PostgreSQL, every tenant in one database, each row keyed by its
	// tenant.
	writeTenantsConfigOn(t, path, listen, dataDir, storageConfig(t, dataDir), tenants)
}

// writeTenantsConfigOn is writeTenantsConfig with the storage section
// given ("" for bbolt in dataDir).
func writeTenantsConfigOn(t *testing.T, path, listen, dataDir, storage string, tenants []tenantSpec) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %s\ndataDir: %s\nshutdownGrace: 15s\n", listen, dataDir)
	b.WriteString(storage)
	b.WriteString("log:\n  format: json\n  level: info\nsync:\n  interval: 1s\n")
	// Every tenant leaves these out and takes them from here.
	b.WriteString("absorb:\n  timeout: 10s\nmapping:\n  defaultDepartment: Company\nsafety:\n  deactivationLimit:\n    max: 0\n")
	b.WriteString("tenants:\n")
	for _, tn := range tenants {
		fmt.Fprintf(&b, "  - id: %s\n    absorb:\n      url: %s\n      privateKey: demo-key\n      username: bridge-admin\n      password: demo-password\n", tn.id, tn.absorbURL)
		fmt.Fprintf(&b, "    auth:\n      tokens:\n        - name: idp\n          value: %s\n", tn.token)
		if tn.rules != "" {
			b.WriteString("    groupRules:\n" + tn.rules)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tenantIdP is an IdP client of one tenant.
func (s *serveProc) tenantIdP(id, token string) *idpClient {
	c := s.idp()
	c.base = s.base + "/tenants/" + id + scimPath
	c.token = token
	return c
}

// createdUserNames are the userNames a scenario creates (its POST /Users
// answered 201).
func createdUserNames(sc scenario) []string {
	var out []string
	for _, st := range sc.Steps {
		if st.Method != http.MethodPost || st.Status != http.StatusCreated || !strings.HasPrefix(st.Path, "/Users") {
			continue
		}
		var u struct {
			UserName string `json:"userName"`
		}
		if json.Unmarshal(st.Body, &u) == nil && u.UserName != "" {
			out = append(out, strings.ToLower(u.UserName))
		}
	}
	return out
}

// allUserNames are the usernames of every account in the portal.
func (a *absorb) allUserNames(t *testing.T) []string {
	t.Helper()
	var page struct {
		Users []map[string]any `json:"users"`
	}
	a.get(t, "/users", map[string][]string{"_limit": {"1000"}}, &page)
	var out []string
	for _, u := range page.Users {
		out = append(out, strings.ToLower(fmt.Sprint(u["username"])))
	}
	sort.Strings(out)
	return out
}

func TestTenantsIsolated(t *testing.T) {
	t.Parallel()
	const (
		entra, okta           = "entra-eu", "okta-us"
		entraToken, oktaToken = "entra-eu-token-0123456789abcdef", "okta-us-token-0123456789abcdef"
	)
	fakeE, fakeO := startFake(t, nil, ""), startFake(t, nil, "")
	dir := shareableTempDir(t)
	dataDir := filepath.Join(dir, "data")
	cfgPath := filepath.Join(dir, "absorb-scim.yaml")
	sock := mustBindSocket(t, "")
	specs := []tenantSpec{
		{id: entra, absorbURL: fakeE.url, token: entraToken, rules: entraRules},
		{id: okta, absorbURL: fakeO.url, token: oktaToken, rules: oktaRules},
	}
	writeTenantsConfig(t, cfgPath, sock.addr, dataDir, specs)
	p, err := startProc(t, "serve", append([]string{"serve", "-config", cfgPath}, listenFDArgs...), nil, sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &serveProc{proc: p, cfgPath: cfgPath, addr: sock.addr, base: "http://" + sock.addr}
	if err := srv.waitHealthy(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !srv.exited() {
			if code, err := srv.terminate(20 * time.Second); err != nil || code != 0 {
				t.Errorf("serve on SIGTERM: exit %d, %v", code, err)
			}
		}
	})
	tenantReady := func(id string) func() bool {
		return func() bool {
			status, _ := probe(srv.base + "/tenants/" + id + "/readyz")
			return status == http.StatusOK
		}
	}
	waitFor(t, 20*time.Second, "tenant "+entra+" ready", tenantReady(entra))
	waitFor(t, 20*time.Second, "tenant "+okta+" ready", tenantReady(okta))
	idpE, idpO := srv.tenantIdP(entra, entraToken), srv.tenantIdP(okta, oktaToken)
	abE, abO := fakeE.auditor(t), fakeO.auditor(t)
	seedE, seedO := abE.allUserNames(t), abO.allUserNames(t)

	// Entra-shaped traffic on one tenant, Okta-shaped on the other, each
	// checked against its own portal.
	entraScenario := loadScenario(t, filepath.Join("testdata", "entra-E24-add-member.json"))
	oktaScenarios := []scenario{
		loadScenario(t, filepath.Join("testdata", "okta-O03-create.json")),
		loadScenario(t, filepath.Join("testdata", "okta-O13-full-membership-push.json")),
	}
	playScenario(t, entraScenario, idpE, abE)
	for _, sc := range oktaScenarios {
		playScenario(t, sc, idpO, abO)
	}

	// The same person and the same group in both tenants: each tenant's
	// rules, each tenant's portal.
	field := func(c *idpClient, userName string, extra map[string]any) (userID string) {
		u := c.must(t, http.StatusCreated, http.MethodPost, "/Users", userDoc(userName, "Pat", "Field", extra)).doc()
		if loc := fmt.Sprint(u["meta"].(map[string]any)["location"]); !strings.HasPrefix(loc, c.base+"/Users/") {
			t.Errorf("meta.location %q is not under the tenant's base %s", loc, c.base)
		}
		c.must(t, http.StatusCreated, http.MethodPost, "/Groups", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Field Team",
			"members": []any{map[string]any{"value": u["id"]}},
		})
		return fmt.Sprint(u["id"])
	}
	patE := field(idpE, "pat@example.com", map[string]any{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"employeeNumber": "E-1"}})
	patO := field(idpO, "pat@example.com", nil)
	// Each tenant's ids are its own: one tenant's id names nothing in the
	// other.
	idpO.must(t, http.StatusNotFound, http.MethodGet, "/Users/"+patE, nil)
	idpE.must(t, http.StatusNotFound, http.MethodGet, "/Users/"+patO, nil)

	expectE := append(slices.Clone(seedE), append(createdUserNames(entraScenario), "pat@example.com")...)
	expectO := append(slices.Clone(seedO), "pat@example.com")
	for _, sc := range oktaScenarios {
		expectO = append(expectO, createdUserNames(sc)...)
	}
	sort.Strings(expectE)
	sort.Strings(expectO)
	expectE, expectO = slices.Compact(expectE), slices.Compact(expectO)
	if got := abE.allUserNames(t); !slices.Equal(got, expectE) {
		t.Errorf("%s's portal holds users %v, want %v", entra, got, expectE)
	}
	if got := abO.allUserNames(t); !slices.Equal(got, expectO) {
		t.Errorf("%s's portal holds users %v, want %v", okta, got, expectO)
	}
	checkField := func(ab *absorb, dept, course, notCourse string) error {
		users := ab.usersNamed(t, "pat@example.com")
		if len(users) != 1 {
			return fmt.Errorf("%d accounts pat@example.com", len(users))
		}
		if got, want := fmt.Sprint(users[0]["departmentId"]), ab.departmentID(t, dept); got != want {
			return fmt.Errorf("pat in department %s, want %s (%s)", got, want, dept)
		}
		courses := ab.courseNames(t, fmt.Sprint(users[0]["id"]))
		if !slices.Contains(courses, course) || slices.Contains(courses, notCourse) {
			return fmt.Errorf("pat enrolled in %v, want %s and not %s", courses, course, notCourse)
		}
		return nil
	}
	for _, c := range []struct {
		ab                      *absorb
		tenant, dept, in, notIn string
	}{
		{abE, entra, "Support", "Security Awareness", "New Hire Onboarding"},
		{abO, okta, "Research", "New Hire Onboarding", "Security Awareness"},
	} {
		var err error
		if !poll(10*time.Second, 50*time.Millisecond, func() bool { err = checkField(c.ab, c.dept, c.in, c.notIn); return err == nil }) {
			t.Errorf("%s's portal: %v", c.tenant, err)
		}
	}
	for _, u := range createdUserNames(entraScenario) {
		if n := len(abO.usersNamed(t, u)); n != 0 {
			t.Errorf("%s's user %s is in %s's portal", entra, u, okta)
		}
	}

	t.Run("a credential opens only its own tenant", func(t *testing.T) {
		for _, c := range []struct{ url, token, owner, used string }{
			{idpO.base + "/Users", entraToken, entra, okta},
			{idpE.base + "/Users", oktaToken, okta, entra},
			{srv.base + "/tenants/" + okta + "/admin/audit", entraToken, entra, okta},
		} {
			req, _ := http.NewRequest(http.MethodGet, c.url, nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s with %s's token: %d, want 401", c.url, c.owner, resp.StatusCode)
			}
			want := fmt.Sprintf(`"tenant":%q,"credentialTenant":%q,"credential":"idp"`, c.used, c.owner)
			waitFor(t, 5*time.Second, "the log line "+want, func() bool {
				return strings.Contains(srv.logs.String(), want)
			})
		}
		if logs := srv.logs.String(); strings.Contains(logs, entraToken) || strings.Contains(logs, oktaToken) {
			t.Error("the log holds a SCIM token")
		}
	})

	t.Run("audit and metrics name the tenant", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, srv.base+"/tenants/"+entra+"/admin/audit", nil)
		req.Header.Set("Authorization", "Bearer "+entraToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		dec := json.NewDecoder(resp.Body)
		n := 0
		for {
			var e struct{ Tenant, UserName string }
			if err := dec.Decode(&e); err != nil {
				break
			}
			n++
			if e.Tenant != entra || strings.HasSuffix(e.UserName, "@okta.local") {
				t.Errorf("audit entry of %s: tenant %q, user %q", entra, e.Tenant, e.UserName)
			}
		}
		if n == 0 {
			t.Errorf("no audit entry for %s", entra)
		}
		_, metrics := probe(srv.base + "/metrics")
		for _, want := range []string{`tenant="` + entra + `"`, `tenant="` + okta + `"`, "go_goroutines "} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})

	t.Run("a throttling portal holds back only its tenant", func(t *testing.T) {
		fakeO.resetStats(t)
		fakeO.setFaults(t, "throttle=1")
		var wg sync.WaitGroup
		ctx, cancel := context.WithCancel(context.Background())
		defer func() {
			cancel()
			wg.Wait()
		}()
		for i := range 3 {
			wg.Go(func() {
				_, _ = idpO.send(ctx, http.MethodPost, "/Users", userDoc(fmt.Sprintf("slow%d@okta.local", i), "Slow", "Okta", nil))
			})
		}
		waitFor(t, 10*time.Second, "the throttled portal to refuse the other tenant's writes", func() bool {
			var s fakeStats
			return fakeO.control(http.MethodGet, "/_fake/stats", &s) == nil && s.Faults.Throttle > 0
		})
		for i := range 5 {
			name := fmt.Sprintf("steady%d@contoso.com", i)
			idpE.must(t, http.StatusCreated, http.MethodPost, "/Users", userDoc(name, "Steady", "Entra", nil))
			if n := len(abE.usersNamed(t, name)); n != 1 {
				t.Errorf("%d accounts %s in %s's portal, want 1", n, name, entra)
			}
		}
		idpE.must(t, http.StatusOK, http.MethodGet, "/Users?filter="+`userName eq "steady0@contoso.com"`, nil)
		if s := fakeO.stats(t); s.Faults.Throttle == 0 {
			t.Errorf("%s's portal throttled nothing: %+v", okta, s)
		}
		fakeO.setFaults(t, "")
	})

	t.Run("SIGHUP adds and removes tenants; purge deletes the data", func(t *testing.T) {
		const added, addedToken = "added", "added-token-0123456789abcdef"
		fakeA := startFake(t, nil, "")
		// Requests of a tenant that stays are answered all through the
		// reloads.
		stop := make(chan struct{})
		failures := make(chan string, 100)
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := idpE.send(context.Background(), http.MethodGet, "/Users?count=1", nil)
				if err != nil || r.status != http.StatusOK {
					select {
					case failures <- fmt.Sprintf("%v %v", r, err):
					default:
					}
				}
			}
		})
		hup := func() {
			if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
		}
		// A configuration that does not validate changes nothing.
		writeTenantsConfig(t, cfgPath, sock.addr, dataDir, append(slices.Clone(specs), tenantSpec{id: added, absorbURL: fakeA.url, token: oktaToken}))
		hup()
		waitFor(t, 10*time.Second, "the reload to be refused", func() bool {
			return strings.Contains(srv.logs.String(), `"problem":"tenants[2].auth.tokens[0].value: the same bearer token is also tenant \"okta-us\"'s`)
		})
		if status, _ := probe(srv.base + "/tenants/" + added + "/readyz"); status != http.StatusNotFound {
			t.Errorf("a tenant of a refused configuration answers %d", status)
		}
		idpO.must(t, http.StatusOK, http.MethodGet, "/Users?count=1", nil)

		writeTenantsConfig(t, cfgPath, sock.addr, dataDir, append(slices.Clone(specs), tenantSpec{id: added, absorbURL: fakeA.url, token: addedToken}))
		hup()
		waitFor(t, 20*time.Second, "the added tenant ready", tenantReady(added))
		srv.tenantIdP(added, addedToken).must(t, http.StatusCreated, http.MethodPost, "/Users", userDoc("new@added.example", "New", "Tenant", nil))
		if n := len(fakeA.auditor(t).usersNamed(t, "new@added.example")); n != 1 {
			t.Errorf("%d accounts new@added.example in the added tenant's portal", n)
		}

		writeTenantsConfig(t, cfgPath, sock.addr, dataDir, []tenantSpec{specs[0], {id: added, absorbURL: fakeA.url, token: addedToken}})
		hup()
		waitFor(t, 20*time.Second, "the removed tenant's URL to answer 404", func() bool {
			r, err := idpO.send(context.Background(), http.MethodGet, "/Users", nil)
			return err == nil && r.status == http.StatusNotFound
		})
		close(stop)
		wg.Wait()
		close(failures)
		for f := range failures {
			t.Errorf("a request of tenant %s failed during a reload: %s", entra, f)
		}
		// The removed tenant's requests finish, then its store closes.
		waitFor(t, 10*time.Second, "the removed tenant's store to close", func() bool {
			return strings.Contains(srv.logs.String(), `"msg":"tenant removed: no longer served; its data stays until `+"`absorb-scim tenants purge`"+`","tenant":"`+okta+`"`)
		})
		oktaData := filepath.Join(dataDir, "tenants", okta, "absorb-scim.db")
		// rowsOf counts a tenant's users in the shared database, -1 on bbolt.
		rowsOf := func(tenant string) int {
			if !onPostgres(t) {
				return -1
			}
			conn, err := pgx.Connect(context.Background(), postgresURLFor(t, dataDir))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			var n int
			if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM users WHERE tenant = $1", tenant).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if onPostgres(t) {
			if n := rowsOf(okta); n == 0 {
				t.Fatal("the removed tenant's rows are gone before purge")
			}
		} else if _, err := os.Stat(oktaData); err != nil {
			t.Fatalf("the removed tenant's data is gone before purge: %v", err)
		}

		tenantsCmd := func(args ...string) (int, string) {
			out, err := exec.Command(binary, append([]string{"tenants"}, append(args, "-config", cfgPath)...)...).CombinedOutput()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return ee.ExitCode(), string(out)
			}
			if err != nil {
				t.Fatal(err)
			}
			return 0, string(out)
		}
		if code, out := tenantsCmd("purge", entra); code == 0 || !strings.Contains(out, "still configured") {
			t.Errorf("purge of a configured tenant: exit %d: %s", code, out)
		}
		if code, out := tenantsCmd("list"); code != 0 || !strings.Contains(out, okta) || !strings.Contains(out, "false") {
			t.Errorf("tenants list: exit %d: %s", code, out)
		}
		if code, out := tenantsCmd("purge", okta); code != 0 {
			t.Fatalf("purge %s: exit %d: %s", okta, code, out)
		}
		if onPostgres(t) {
			if n := rowsOf(okta); n != 0 {
				t.Errorf("the purged tenant has %d users left", n)
			}
			if n := rowsOf(entra); n == 0 {
				t.Error("another tenant's rows went with the purge")
			}
		} else {
			if _, err := os.Stat(filepath.Dir(oktaData)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the purged tenant's data remains: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dataDir, "tenants", entra, "absorb-scim.db")); err != nil {
				t.Errorf("another tenant's data went with the purge: %v", err)
			}
		}
		idpE.must(t, http.StatusOK, http.MethodGet, "/Users?count=1", nil)
	})
}
