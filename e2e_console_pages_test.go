package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// consoleSession signs in to srv's console over HTTP as user and returns a
// function that GETs a console page and answers its status and body.
func consoleSession(t *testing.T, srv *e2eServer, user, password string) func(path string) (int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := c.Get(srv.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, login := get("/console/login")
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(login)
	if token == nil {
		t.Fatal("no csrf field on the login page")
	}
	resp, err := c.PostForm(srv.base+"/console/login", url.Values{"csrf": {token[1]}, "username": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, home := get("/console/"); !strings.Contains(home, "Sign out") {
		t.Fatalf("signing in as %s failed", user)
	}
	return get
}

// TestConsolePages reads the console pages of people an IdP sent with
// markup in their names, and of a deleted person: the markup is shown as
// text, and a deleted person's page says there is no SCIM user rather than
// showing an empty resource and claiming it matches Absorb.
func TestConsolePages(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	srv := startServe(t, consoleConfig(t, fake))
	srv.waitReady(t)

	const script = `<script>alert(1)</script>`
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x` + script + `@example.com",
		"displayName":"<img src=x onerror=alert(2)>","title":"\"><svg onload=alert(3)>",
		"emails":[{"value":"markup@example.com","type":"work","primary":true}]}`
	marked := srv.scim(t, "POST", "/Users", body, http.StatusCreated)
	srv.scim(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"`+
		`<script>alert(4)</script>","members":[{"value":"`+marked["id"].(string)+`"}]}`, http.StatusCreated)
	jane := srv.scim(t, "POST", "/Users", userJSON("jane@example.com"), http.StatusCreated)
	srv.scim(t, "DELETE", "/Users/"+jane["id"].(string), "", http.StatusNoContent)

	get := consoleSession(t, srv, "helpdesk", consoleViewerPassword)
	for _, p := range []string{"/console/people?q=markup@example.com", "/console/people?q=" + url.QueryEscape(marked["id"].(string)),
		"/console/activity", "/console/activity/rows?after=0", "/console/groups"} {
		status, page := get(p)
		if status != http.StatusOK {
			t.Errorf("%s: status %d", p, status)
		}
		for _, raw := range []string{"<script>alert", "<img src=x", "<svg onload"} {
			if strings.Contains(page, raw) {
				t.Errorf("%s renders %q as markup", p, raw)
			}
		}
	}
	if _, page := get("/console/people?q=markup@example.com"); !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the person page does not show the userName as text")
	}

	status, page := get("/console/people?q=jane@example.com")
	if status != http.StatusOK {
		t.Fatalf("deleted person: status %d", status)
	}
	for _, wrong := range []string{"<pre>null</pre>", "Absorb holds what the SCIM resource maps to"} {
		if strings.Contains(page, wrong) {
			t.Errorf("the deleted person's page shows %q", wrong)
		}
	}
	if !strings.Contains(page, "No SCIM user") || !strings.Contains(page, "scim-delete") {
		t.Error("the deleted person's page does not say there is no SCIM user, or lacks the delete in the history")
	}
}

// TestNotImplementedIsNoError asks for what the bridge does not offer (/Me,
// a query of the root): the answer is 501, logged below error level, so a
// client cannot fill the console's list of the last errors with it.
func TestNotImplementedIsNoError(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	srv := startServe(t, baseConfig(t, fake))
	srv.waitReady(t)
	for _, path := range []string{"/scim/v2/Me", "/scim/v2/?filter=userName%20eq%20%22x%22"} {
		resp, body := srv.do(t, e2eRequest{method: "GET", path: path, authz: authBearer(oktaToken)})
		if resp.StatusCode != http.StatusNotImplemented {
			t.Errorf("GET %s: %d %s, want 501", path, resp.StatusCode, body)
		}
	}
	for _, l := range strings.Split(srv.stderr.String(), "\n") {
		if strings.Contains(l, `"level":"ERROR"`) {
			t.Errorf("logged as an error: %s", l)
		}
	}
}

// TestGroupMemberPathError removes members through paths that are not
// members[filter]: the 400 says what is wrong in words, without the error
// type's own text.
func TestGroupMemberPathError(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	srv := startServe(t, baseConfig(t, fake))
	srv.waitReady(t)
	g := srv.scim(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Paths"}`, http.StatusCreated)
	for _, path := range []string{`members[value eq \"x\"].value`, `members.value`} {
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"` + path + `"}]}`
		e := srv.scim(t, "PATCH", "/Groups/"+g["id"].(string), body, http.StatusBadRequest)
		detail, _ := e["detail"].(string)
		if e["scimType"] != "invalidPath" || strings.Contains(detail, "scim 400") || !strings.Contains(detail, "members[filter]") {
			t.Errorf("remove %s: scimType %v, detail %q", path, e["scimType"], detail)
		}
	}
}

// TestMethodNotAllowedOutsideSCIM sends methods the operations routes do not
// take: the 405 names the methods they do take, in Allow and in a SCIM error.
func TestMethodNotAllowedOutsideSCIM(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	srv := startServe(t, baseConfig(t, fake))
	srv.waitReady(t)
	for _, c := range []struct{ method, path, allow string }{
		{"GET", "/admin/reconcile", "POST"},
		{"DELETE", "/metrics", "GET, HEAD"},
		{"PUT", "/admin/holds/release", "POST"},
	} {
		resp, body := srv.do(t, e2eRequest{method: c.method, path: c.path, authz: authBearer(oktaToken)})
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != c.allow ||
			!strings.Contains(string(body), `"status":"405"`) {
			t.Errorf("%s %s: %d, Allow %q, body %s; want 405, Allow %q and a SCIM error", c.method, c.path,
				resp.StatusCode, resp.Header.Get("Allow"), body, c.allow)
		}
	}
}

// TestUnknownMembersLoggedOnce pushes a group naming 50 users the bridge
// does not hold: they are skipped, and logged in one warning, not one each.
func TestUnknownMembersLoggedOnce(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	srv := startServe(t, baseConfig(t, fake))
	srv.waitReady(t)
	var members []string
	for i := range 50 {
		members = append(members, `{"value":"0199a0b2-0000-7000-8000-`+fmt.Sprintf("%012d", i)+`"}`)
	}
	srv.scim(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Ghosts","members":[`+
		strings.Join(members, ",")+`]}`, http.StatusCreated)
	if n := strings.Count(srv.stderr.String(), "skipped: no such user"); n != 1 {
		t.Errorf("%d log lines about the skipped members, want 1", n)
	}
	if !strings.Contains(srv.stderr.String(), `"count":50`) {
		t.Error("the warning does not say how many members were skipped")
	}
}
