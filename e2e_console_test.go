package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/internal/browsertest"
)

const (
	consoleOperatorPassword = "console-op-Hq4Wm8Zt2Rb"
	consoleViewerPassword   = "console-view-Jp6Xn3Ck9Ls"
)

// consoleConfig is baseConfig served over plain http on its own address,
// with a Sales rule, a brake at one deactivation an hour, and two console
// users.
func consoleConfig(t *testing.T, fake *e2eFake) map[string]any {
	t.Helper()
	cfg := baseConfig(t, fake)
	delete(cfg, "publicURL")
	cfg["groupRules"] = []any{map[string]any{"name": "sales-team", "displayName": "Sales Team", "department": "Sales", "courses": []any{"Sales Fundamentals"}}}
	cfg["safety"] = map[string]any{"deactivationLimit": map[string]any{"max": 1, "window": "1h"}}
	a := cfg["auth"].(map[string]any)
	a["console"] = []any{
		map[string]any{"username": "ops", "passwordHash": auth.HashSecret(consoleOperatorPassword), "role": "operator"},
		map[string]any{"username": "helpdesk", "passwordHash": auth.HashSecret(consoleViewerPassword), "role": "viewer"},
	}
	return cfg
}

// scim sends one SCIM request as the okta token and returns the body.
func (s *e2eServer) scim(t *testing.T, method, path, body string, want int) map[string]any {
	t.Helper()
	resp, b := s.do(t, e2eRequest{method: method, path: "/scim/v2" + path, authz: authBearer(oktaToken), body: body})
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func userJSON(userName string) string {
	b, _ := json.Marshal(map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName,
		"name":   map[string]any{"givenName": "Jane", "familyName": "Doe"},
		"emails": []any{map[string]any{"value": userName, "type": "work", "primary": true}}, "active": true,
	})
	return string(b)
}

func browserSignIn(ctx context.Context, t *testing.T, base, user, password, waitFor string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/console/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), user),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`form.login button`)),
		chromedp.WaitVisible(chromedp.CSS(waitFor)),
	)
	if err != nil {
		t.Fatalf("sign in as %s: %v", user, err)
	}
}

// TestConsoleInBrowser runs the real server against the fake Absorb, sends
// SCIM traffic, and drives the console in headless Chromium: sign in, the
// health page after the traffic, a person created over SCIM with the
// department a group rule gave, the live activity feed, the rule preview, a
// reconcile, an operator releasing a held deactivation and a viewer refused
// the same.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel() // most of its time is the browser's: let the package's other tests run meanwhile
	fake := startFake(t)
	srv := startServe(t, consoleConfig(t, fake))
	srv.waitReady(t)

	jane := srv.scim(t, "POST", "/Users", userJSON("jane@example.com"), http.StatusCreated)
	srv.scim(t, "POST", "/Users", userJSON("jane@example.com"), http.StatusConflict) // an IdP error to count
	srv.scim(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales Team","members":[{"value":"`+jane["id"].(string)+`"}]}`, http.StatusCreated)
	ids := map[string]string{}
	for _, n := range []string{"ann", "bob", "cat"} {
		ids[n] = srv.scim(t, "POST", "/Users", userJSON(n+"@example.com"), http.StatusCreated)["id"].(string)
	}
	// The brake lets one deactivation an hour through: ann's goes, bob's
	// and cat's are held.
	for _, n := range []string{"ann", "bob", "cat"} {
		srv.scim(t, "PATCH", "/Users/"+ids[n], patchBody("active", false), http.StatusOK)
	}
	if absorbActive(t, fake.srv, "ann@example.com") || !absorbActive(t, fake.srv, "bob@example.com") {
		t.Fatal("the brake did not hold the second deactivation")
	}

	ctx, shots := browsertest.New(t)
	base := srv.base
	browserSignIn(ctx, t, base, "ops", consoleOperatorPassword, `#calls-summary`)
	err := chromedp.Do(ctx,
		browsertest.TextContains(`#idps`, "okta"),
		browsertest.TextContains(`#login-state`, "logged in"),
	)
	if err != nil {
		t.Fatalf("health page: %v", err)
	}
	summary, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#calls-summary`)))
	if strings.HasPrefix(summary, "0 calls") {
		t.Errorf("calls summary %q after traffic", summary)
	}
	idps, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#idps tbody`)))
	if !regexp.MustCompile(`okta\s+\d+\s+[1-9]`).MatchString(idps) {
		t.Errorf("IdP table %q, want okta with its error counted", idps)
	}
	shots.Screenshot(ctx, "console-health")

	// A person created over SCIM, and the department the rule gave.
	err = chromedp.Do(ctx,
		// Navigate rather than click the link: a click returns before the
		// new document replaces the old, and a node found in between is gone.
		chromedp.Navigate(base+"/console/people"),
		chromedp.WaitVisible(chromedp.CSS(`#q`)),
		chromedp.SendKeys(chromedp.CSS(`#q`), "jane@example.com"),
		chromedp.Click(chromedp.CSS(`form.search button`)),
		chromedp.WaitVisible(chromedp.CSS(`#person`)),
		browsertest.TextContains(`#rule-department`, "Sales"),
		browsertest.TextContains(`#person-groups`, "Sales Team"),
	)
	if err != nil {
		t.Fatalf("person page: %v", err)
	}
	shots.Screenshot(ctx, "console-person")

	// The activity feed, and a change arriving while it is open.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/console/activity"), chromedp.WaitVisible(chromedp.CSS(`#activity`))); err != nil {
		t.Fatalf("activity page: %v", err)
	}
	shots.Screenshot(ctx, "console-activity")
	srv.scim(t, "POST", "/Users", userJSON("late@example.com"), http.StatusCreated)
	if err := chromedp.Do(ctx, browsertest.TextContains(`#activity tbody`, "late@example.com")); err != nil {
		t.Fatalf("the feed did not show a new change: %v", err)
	}

	// Groups, and the rule preview.
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/console/groups"),
		chromedp.WaitVisible(chromedp.CSS(`#groups`)),
		chromedp.Click(chromedp.CSS(`#groups a[href^="/console/groups/preview"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#preview-summary`)),
		browsertest.TextContains(`#preview-summary`, "Sales Fundamentals"),
	)
	if err != nil {
		t.Fatalf("groups and preview: %v", err)
	}
	shots.Screenshot(ctx, "console-preview")

	// A reconcile from the drift page.
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/console/drift"),
		chromedp.Click(chromedp.CSS(`form[action="/console/drift/run"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#drift-summary`)),
		browsertest.TextContains(`#drift-summary`, "users compared"),
	)
	if err != nil {
		t.Fatalf("drift: %v", err)
	}
	shots.Screenshot(ctx, "console-drift")
	// A reconcile through the admin endpoint is the drift page's last report too.
	if r, b := srv.do(t, e2eRequest{method: "POST", path: "/admin/reconcile", authz: authBearer(oktaToken)}); r.StatusCode != http.StatusOK {
		t.Fatalf("POST /admin/reconcile: %d %s", r.StatusCode, b)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/console/drift"),
		chromedp.WaitVisible(chromedp.CSS(`#drift-summary`)),
		browsertest.TextContains(`#drift-summary`, "by okta"),
	)
	if err != nil {
		t.Fatalf("drift after the admin endpoint's reconcile: %v", err)
	}

	// An operator releases bob's held deactivation.
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/console/holds"),
		chromedp.WaitVisible(chromedp.CSS(`#holds`)),
		chromedp.Click(chromedp.CSS(`tr[data-hold="`+ids["bob"]+`"] form[action="/console/holds/release"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#hold-result`)),
		browsertest.TextContains(`#hold-result`, "bob@example.com was released"),
	)
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	shots.Screenshot(ctx, "console-holds")
	if absorbActive(t, fake.srv, "bob@example.com") {
		t.Error("bob is still active in Absorb after the release")
	}

	// A viewer is refused the same.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form.who button`)), chromedp.WaitVisible(chromedp.CSS(`#username`))); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	browserSignIn(ctx, t, base, "helpdesk", consoleViewerPassword, `#calls-summary`)
	release := `tr[data-hold="` + ids["cat"] + `"] form[action="/console/holds/release"]`
	err = chromedp.Do(ctx, chromedp.Navigate(base+"/console/holds"), chromedp.WaitVisible(chromedp.CSS(release)))
	if err != nil {
		t.Fatalf("viewer's holds page: %v", err)
	}
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('`+release+` button').disabled`))
	if err != nil || !disabled {
		t.Errorf("the viewer's release button: disabled=%v (%v), want disabled", disabled, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`(function(){var f=document.querySelector('`+release+`');f.querySelector('button').disabled=false;f.submit();})()`),
		chromedp.WaitVisible(chromedp.CSS(`p.problem[role="alert"]`)),
		browsertest.TextContains(`p.problem[role="alert"]`, "needs the operator role"),
	)
	if err != nil {
		t.Fatalf("viewer's forced release: %v", err)
	}
	shots.Screenshot(ctx, "console-viewer-refused")
	if !absorbActive(t, fake.srv, "cat@example.com") {
		t.Error("a viewer's release reached Absorb")
	}

	checkConsoleShowsNoSecret(t, srv)
}

// checkConsoleShowsNoSecret signs in over HTTP and reads every page: none
// holds the Absorb key or password, the SCIM token, a console password or a
// password member.
func checkConsoleShowsNoSecret(t *testing.T, srv *e2eServer) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) string {
		resp, err := c.Get(srv.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	login := get("/console/login")
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(login)
	if token == nil {
		t.Fatal("no csrf field on the login page")
	}
	req, _ := http.NewRequest("POST", srv.base+"/console/login", strings.NewReader(url.Values{
		"csrf": {token[1]}, "username": {"ops"}, "password": {consoleOperatorPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var all strings.Builder
	for _, p := range []string{"/console/", "/console/activity", "/console/activity/rows?after=0", "/console/people?q=jane@example.com",
		"/console/people?q=bob@example.com", "/console/groups", "/console/holds", "/console/drift"} {
		page := get(p)
		if !strings.Contains(page, "Sign out") && !strings.HasPrefix(p, "/console/activity/rows") {
			t.Errorf("%s: not signed in", p)
		}
		all.WriteString(page)
	}
	text := all.String()
	for name, secret := range map[string]string{
		"Absorb private key": e2ePrivateKey, "Absorb password": e2eAdminPassword, "SCIM token": oktaToken,
		"operator password": consoleOperatorPassword, "viewer password": consoleViewerPassword,
	} {
		if strings.Contains(text, secret) {
			t.Errorf("a console page shows the %s", name)
		}
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if l := strings.ToLower(sc.Text()); strings.Contains(l, `"password"`) {
			t.Errorf("a console page shows a password member: %s", sc.Text())
		}
	}
	// The console's users do not open SCIM, and the SCIM token does not
	// open the console.
	if r, _ := srv.do(t, e2eRequest{method: "GET", path: "/scim/v2/Users", authz: authBasic("ops", consoleOperatorPassword)}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("a console login on SCIM: status %d, want 401", r.StatusCode)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ = http.NewRequest("GET", srv.base+"/console/holds", nil)
	req.Header.Set("Authorization", authBearer(oktaToken))
	if r, err := noRedirect.Do(req); err != nil || r.StatusCode != http.StatusSeeOther {
		t.Errorf("the SCIM token on the console: %v %v, want 303 to sign in", r.StatusCode, err)
	} else {
		r.Body.Close()
	}
}

// TestDemoPrintsTheConsole runs demo with -console-password: it prints the
// console's URL and login, and admin signs in with that password as an
// operator.
func TestDemoPrintsTheConsole(t *testing.T) {
	const password = "demo-console-Xy7Qp2Lk"
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-listen", "127.0.0.1:0", "-console-password", password, "-log-level", "error"}, emptyEnv, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo returned %v", err)
		}
	})
	var consoleLine string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "console:") {
			consoleLine = l
		}
		if strings.HasPrefix(sc.Text(), "Try:") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	m := regexp.MustCompile(`^console:\s+(http://\S+/console/)\s+\(user admin, password (\S+)\)$`).FindStringSubmatch(consoleLine)
	if m == nil || m[2] != password {
		t.Fatalf("demo's console line %q, want the URL and the password given", consoleLine)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(m[1] + "login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if token == nil {
		t.Fatal("no csrf field on the login page")
	}
	resp, err = c.PostForm(m[1]+"login", url.Values{"csrf": {string(token[1])}, "username": {"admin"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "admin (operator)") {
		t.Errorf("after signing in as admin: status %d, page without \"admin (operator)\"", resp.StatusCode)
	}
}
