package console_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/console"
	"github.com/absorb-scim/absorb-scim/metrics"
	"github.com/absorb-scim/absorb-scim/storage"
)

const (
	operatorPassword = "operator-pass-7f3a9c2e41"
	viewerPassword   = "viewer-pass-0b8d6e5f12"
	// Secrets a source might carry; no page may show them.
	scimPassword   = "Scim-Password-Never-Shown-1"
	absorbPassword = "Absorb-Password-Never-Shown-2"
)

// rig is a console behind an httptest server, with in-memory sources.
type rig struct {
	t      *testing.T
	srv    *httptest.Server
	holds  *memHolds
	groups *memGroups
	recon  *memReconciler
	audit  *memAudit
}

func newRig(t *testing.T, mutate ...func(*console.Options)) *rig {
	t.Helper()
	users, err := auth.NewConsoleUsers([]auth.ConsoleUser{
		{Username: "olivia", PasswordHash: auth.HashSecret(operatorPassword), Role: auth.RoleOperator},
		{Username: "victor", PasswordHash: auth.HashSecret(viewerPassword), Role: auth.RoleViewer},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, holds: newMemHolds(
		console.Hold{ID: "u-1", UserName: "leaver@example.com", AbsorbID: "a-1", Request: "deactivate", Time: time.Now(), Credential: "okta"},
		console.Hold{ID: "u-2", UserName: "other@example.com", AbsorbID: "a-2", Request: "delete", Time: time.Now(), Credential: "okta"},
	), groups: &memGroups{}, recon: &memReconciler{}, audit: &memAudit{}}
	r.audit.add(storage.AuditRecord{Time: time.Now(), Credential: "okta", Operation: "create", UserName: "jane@example.com", Outcome: "ok",
		Changes: []storage.FieldChange{{Field: "departmentId", From: "", To: "dept-sales"}}})
	minutes := make([]metrics.UpstreamMinute, 60)
	for i := range minutes {
		minutes[i] = metrics.UpstreamMinute{Start: time.Now().Add(time.Duration(i-59) * time.Minute), Calls: i % 7, RateLimited: i % 3 / 2}
	}
	opts := console.Options{
		Users: users, Status: memStatus{queue: 3}, Traffic: memTraffic{minutes: minutes},
		Errors: memErrors{{Time: time.Now(), Message: "sync with Absorb failed; will retry", Reason: "absorb: 503 Service Unavailable"}},
		Audit:  r.audit, Groups: r.groups, Reconciler: r.recon, Holds: r.holds,
		Tracer: memTracer{people: []console.Trace{{
			SCIMID: "u-9", UserName: "jane@example.com", AbsorbID: "a-9", Department: "Sales", Groups: []string{"Sales Team"},
			Resource: map[string]any{"userName": "jane@example.com", "password": scimPassword},
			Account:  map[string]any{"username": "jane@example.com", "Password": absorbPassword, "nested": map[string]any{"password": absorbPassword}},
		}}},
	}
	for _, m := range mutate {
		m(&opts)
	}
	c, err := console.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(console.Prefix, c)
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see them.
type browser struct {
	t    *testing.T
	r    *rig
	http *http.Client
	csrf string
}

func (r *rig) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: r.t, r: r, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.r.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.r.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.r.srv.URL)
	return b.do(req)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login signs in and remembers the session's CSRF token.
func (b *browser) login(user, password string) *http.Response {
	b.t.Helper()
	_, page := b.get("/console/login")
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no csrf field in the login page:\n%s", page)
	}
	res, _ := b.post("/console/login", url.Values{"csrf": {m[1]}, "username": {user}, "password": {password}, "next": {"/console/holds"}})
	if res.StatusCode == http.StatusSeeOther {
		_, page := b.get("/console/")
		if m := csrfInput.FindStringSubmatch(page); m != nil {
			b.csrf = m[1]
		}
	}
	return res
}

func (b *browser) mustLogin(user, password string) {
	b.t.Helper()
	if res := b.login(user, password); res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login as %s: status %d, want 303", user, res.StatusCode)
	}
	if b.csrf == "" {
		b.t.Fatal("no CSRF token on the pages after login")
	}
}

var pages = []string{"/console/", "/console/activity", "/console/activity/rows?after=0", "/console/people?q=jane@example.com",
	"/console/groups", "/console/groups/preview?id=g1", "/console/holds", "/console/drift"}

var actions = []string{"/console/holds/release", "/console/holds/discard", "/console/drift/run", "/console/groups/apply", "/console/logout"}

func TestNothingWithoutASession(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	for _, p := range append(pages, "/console/no-such-page") {
		t.Run("GET "+p, func(t *testing.T) {
			res, body := b.get(p)
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/login?next=") {
				t.Errorf("status %d, Location %q; want 303 to the login page", res.StatusCode, res.Header.Get("Location"))
			}
			if strings.Contains(body, "jane@example.com") || strings.Contains(body, "leaver@example.com") {
				t.Errorf("the redirect shows data: %s", body)
			}
		})
	}
	for _, p := range actions {
		t.Run("POST "+p, func(t *testing.T) {
			res, _ := b.post(p, url.Values{"id": {"u-1"}, "csrf": {"guess"}})
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("status %d, want 403", res.StatusCode)
			}
		})
	}
	if !r.holds.has("u-1") || r.recon.runs != 0 || r.groups.applied != 0 {
		t.Error("an action ran without a session")
	}
}

func TestIdPCredentialsDoNotOpenTheConsole(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	for _, h := range []string{"Bearer okta-token-0123456789abcdef", "Basic " + "b2xpdmlhOm9wZXJhdG9yLXBhc3MtN2YzYTljMmU0MQ=="} {
		req, _ := http.NewRequest("GET", r.srv.URL+"/console/holds", nil)
		req.Header.Set("Authorization", h)
		if res, _ := b.do(req); res.StatusCode != http.StatusSeeOther {
			t.Errorf("Authorization %s…: status %d, want 303 to the login page", h[:6], res.StatusCode)
		}
	}
}

func TestLogin(t *testing.T) {
	r := newRig(t, func(o *console.Options) { o.SecureCookies = true })
	t.Run("session cookie", func(t *testing.T) {
		b := r.browser()
		res := b.login("olivia", operatorPassword)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/holds" {
			t.Fatalf("status %d to %q, want 303 to the page asked for", res.StatusCode, res.Header.Get("Location"))
		}
		var session *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == "absorb_scim_console" {
				session = c
			}
		}
		if session == nil || !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteStrictMode || session.Path != "/console/" {
			t.Errorf("session cookie %+v, want HttpOnly, Secure, SameSite=Strict, Path=/console/", session)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		b := r.browser()
		if res := b.login("olivia", viewerPassword); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", res.StatusCode)
		}
		if res, _ := b.get("/console/"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("after a refused login the console answers %d, want 303 to sign in", res.StatusCode)
		}
	})
	t.Run("form not from the login page", func(t *testing.T) {
		b := r.browser()
		res, _ := b.post("/console/login", url.Values{"csrf": {"forged"}, "username": {"olivia"}, "password": {operatorPassword}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", res.StatusCode)
		}
	})
	t.Run("open redirect refused", func(t *testing.T) {
		b := r.browser()
		_, page := b.get("/console/login")
		m := csrfInput.FindStringSubmatch(page)
		res, _ := b.post("/console/login", url.Values{"csrf": {m[1]}, "username": {"olivia"}, "password": {operatorPassword}, "next": {"https://evil.example/console/"}})
		if loc := res.Header.Get("Location"); loc != "/console/" {
			t.Errorf("redirected to %q, want /console/", loc)
		}
	})
}

func TestLoginRateLimited(t *testing.T) {
	r := newRig(t, func(o *console.Options) { o.LoginRate = 0.001; o.LoginBurst = 3 })
	b := r.browser()
	for i := range 3 {
		if res := b.login("olivia", "wrong"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i+1, res.StatusCode)
		}
	}
	res := b.login("olivia", operatorPassword)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth attempt: status %d, Retry-After %q; want 429 with Retry-After even with the right password", res.StatusCode, res.Header.Get("Retry-After"))
	}
}

func TestCSRFRefused(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustLogin("olivia", operatorPassword)
	tests := []struct {
		name   string
		csrf   string
		origin string
	}{
		{"no token", "", ""},
		{"wrong token", "not-the-token", ""},
		{"another site", "", "https://evil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := tt.csrf
			if tt.origin != "" {
				token = b.csrf // even the right token does not help another site's page
			}
			req, _ := http.NewRequest("POST", r.srv.URL+"/console/holds/release", strings.NewReader(url.Values{"id": {"u-1"}, "csrf": {token}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if res, _ := b.do(req); res.StatusCode != http.StatusForbidden {
				t.Errorf("status %d, want 403", res.StatusCode)
			}
			if !r.holds.has("u-1") {
				t.Fatal("the hold was released")
			}
		})
	}
	// Another session's token is not this session's.
	other := r.browser()
	other.mustLogin("olivia", operatorPassword)
	if res, _ := b.post("/console/holds/release", url.Values{"id": {"u-1"}, "csrf": {other.csrf}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("another session's token: status %d, want 403", res.StatusCode)
	}
}

func TestViewerAndOperator(t *testing.T) {
	r := newRig(t)
	viewer := r.browser()
	viewer.mustLogin("victor", viewerPassword)
	for _, a := range []string{"/console/holds/release", "/console/holds/discard", "/console/drift/run", "/console/groups/apply"} {
		res, body := viewer.post(a, url.Values{"id": {"u-1"}, "csrf": {viewer.csrf}})
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "operator role") {
			t.Errorf("viewer POST %s: status %d, want 403 naming the operator role", a, res.StatusCode)
		}
	}
	if !r.holds.has("u-1") || r.recon.runs != 0 || r.groups.applied != 0 {
		t.Fatal("a viewer's action ran")
	}
	_, page := viewer.get("/console/holds")
	if !strings.Contains(page, "disabled") || !strings.Contains(page, "may look but not release") {
		t.Error("the holds page offers a viewer enabled buttons")
	}

	op := r.browser()
	op.mustLogin("olivia", operatorPassword)
	// Actions answer with a redirect (a reload sends nothing again); the
	// page they lead to says what happened, once.
	res, _ := op.post("/console/holds/release", url.Values{"id": {"u-1"}, "csrf": {op.csrf}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/holds" {
		t.Fatalf("operator release: status %d to %q, want 303 to the holds", res.StatusCode, res.Header.Get("Location"))
	}
	if _, body := op.get("/console/holds"); !strings.Contains(body, "leaver@example.com was released") {
		t.Error("the holds page does not say what the release did")
	}
	if _, body := op.get("/console/holds"); strings.Contains(body, "was released") {
		t.Error("the release's result is shown again on the next visit")
	}
	if r.holds.has("u-1") {
		t.Error("the hold is still there after release")
	}
	if got := r.holds.settled; len(got) != 1 || got[0] != "release u-1 by console:olivia" {
		t.Errorf("settled %v, want the release audited as the console user", got)
	}
	if res, _ := op.post("/console/holds/discard", url.Values{"id": {"u-2"}, "csrf": {op.csrf}}); res.StatusCode != http.StatusSeeOther || r.holds.has("u-2") {
		t.Errorf("operator discard: status %d", res.StatusCode)
	}
	if res, _ := op.post("/console/drift/run", url.Values{"csrf": {op.csrf}}); res.StatusCode != http.StatusSeeOther || r.recon.runs != 1 {
		t.Errorf("operator reconcile: status %d, %d runs", res.StatusCode, r.recon.runs)
	}
	if _, body := op.get("/console/drift"); !strings.Contains(body, "2 users compared, 1 drifted") || !strings.Contains(body, "by console:olivia") {
		t.Error("the drift page does not show the last report")
	}
	if res, _ := op.post("/console/groups/apply", url.Values{"csrf": {op.csrf}}); res.StatusCode != http.StatusSeeOther || r.groups.applied != 1 {
		t.Errorf("operator apply: status %d, %d runs", res.StatusCode, r.groups.applied)
	}
	if _, body := op.get("/console/groups"); !strings.Contains(body, "Rules applied to 2 users") {
		t.Error("the groups page does not say what applying did")
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustLogin("olivia", operatorPassword)
	jar := b.http.Jar
	cookies := jar.Cookies(mustURL(t, r.srv.URL+"/console/"))
	if res, _ := b.post("/console/logout", url.Values{"csrf": {b.csrf}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: status %d", res.StatusCode)
	}
	// The old cookie, replayed, opens nothing.
	replay := r.browser()
	replay.http.Jar.SetCookies(mustURL(t, r.srv.URL+"/console/"), cookies)
	if res, _ := replay.get("/console/holds"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the ended session still opens pages: status %d", res.StatusCode)
	}
}

func TestSessionExpires(t *testing.T) {
	var skew atomic.Int64 // the clock is read by the server's goroutines
	r := newRig(t, func(o *console.Options) {
		o.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		o.SessionIdle = time.Minute
	})
	advance := func(d time.Duration) { skew.Add(int64(d)) }
	b := r.browser()
	b.mustLogin("olivia", operatorPassword)
	advance(40 * time.Second)
	if res, _ := b.get("/console/"); res.StatusCode != http.StatusOK {
		t.Fatalf("a session used 40 s ago: status %d, want 200", res.StatusCode)
	}
	// The feed's polling is not use: a tab left open does not keep it.
	advance(40 * time.Second)
	if res, _ := b.get("/console/activity/rows?after=0"); res.StatusCode != http.StatusOK {
		t.Fatalf("polling within the idle time: status %d, want 200", res.StatusCode)
	}
	advance(40 * time.Second)
	if res, _ := b.get("/console/"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("an idle session still opens pages: status %d", res.StatusCode)
	}
}

func TestPagesShowTheirDataAndNoSecret(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	b.mustLogin("olivia", operatorPassword)
	want := map[string][]string{
		"/console/":                            {"logged in", "okta", "sync with Absorb failed; will retry", "absorb: 503", "3 users waiting", "<svg"},
		"/console/activity":                    {"jane@example.com", "departmentId", "data-poll"},
		"/console/people?q=jane@example.com":   {"Sales Team", `id="rule-department">Sales<`, "u-9"},
		"/console/groups":                      {"Sales Team", "sales-team", "Preview the rules"},
		"/console/groups/preview?id=g1":        {"If applied now, 1 of 2 members would move to Sales", "Sales Fundamentals"},
		"/console/holds":                       {"leaver@example.com", "Release"},
		"/console/drift":                       {"Run a reconcile now"},
		"/console/activity/rows?after=0":       {"jane@example.com"},
		"/console/activity?operation=enroll":   {"No change matches."},
		"/console/people?q=nobody@example.com": {"No one matches"},
	}
	for path, fragments := range want {
		t.Run(path, func(t *testing.T) {
			res, body := b.get(path)
			if res.StatusCode >= 500 {
				t.Fatalf("status %d", res.StatusCode)
			}
			for _, f := range fragments {
				if !strings.Contains(body, f) {
					t.Errorf("no %q in the page", f)
				}
			}
			for _, secret := range []string{scimPassword, absorbPassword, operatorPassword, viewerPassword} {
				if strings.Contains(body, secret) {
					t.Errorf("the page shows a secret %q", secret)
				}
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
		})
	}
}

func TestActivityPaged(t *testing.T) {
	r := newRig(t)
	for i := range 60 {
		r.audit.add(storage.AuditRecord{Time: time.Now(), Credential: "okta", Operation: "update", UserName: "user" + string(rune('a'+i%26)) + "@example.com", Outcome: "ok"})
	}
	r.audit.add(storage.AuditRecord{Time: time.Now(), Credential: "entra", Operation: "update", UserName: "x+y@example.com", Outcome: "ok"})
	b := r.browser()
	b.mustLogin("victor", viewerPassword)
	_, first := b.get("/console/activity")
	if n := strings.Count(first, "<tr data-seq="); n != 50 {
		t.Errorf("first page has %d rows, want 50", n)
	}
	older := regexp.MustCompile(`rel="next" href="([^"]+)"`)
	next := older.FindStringSubmatch(first)
	if next == nil {
		t.Fatal("no link to older changes")
	}
	_, second := b.get(html.UnescapeString(next[1]))
	if n := strings.Count(second, "<tr data-seq="); n != 12 {
		t.Errorf("second page has %d rows, want the 12 older ones", n)
	}
	// The filter travels with the next page.
	_, okta := b.get("/console/activity?credential=okta&outcome=ok")
	next = older.FindStringSubmatch(okta)
	if next == nil {
		t.Fatal("no link to older okta changes")
	}
	_, second = b.get(html.UnescapeString(next[1]))
	if n := strings.Count(second, "<tr data-seq="); n != 11 || strings.Contains(second, "x+y@example.com") {
		t.Errorf("second filtered page has %d rows, want the 11 older okta ones only", n)
	}
	// A filter value with + and @ survives the round trip.
	_, xy := b.get("/console/activity?user=" + url.QueryEscape("x+y@example.com"))
	if strings.Count(xy, "<tr data-seq=") != 1 || !strings.Contains(xy, `data-poll="/console/activity/rows?user=x%2By%40example.com"`) {
		t.Errorf("the user filter x+y@example.com: %d rows", strings.Count(xy, "<tr data-seq="))
	}
	if strings.Contains(second, "data-poll") {
		t.Error("an older page polls for new rows")
	}
	// Live updates: rows newer than the newest shown.
	r.audit.add(storage.AuditRecord{Time: time.Now(), Credential: "entra", Operation: "create", UserName: "late@example.com", Outcome: "ok"})
	_, rows := b.get("/console/activity/rows?after=62")
	if strings.Count(rows, "<tr data-seq=") != 1 || !strings.Contains(rows, "late@example.com") {
		t.Errorf("rows after 62 = %s, want the one new record", rows)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestActivityFiltersByEveryOutcome(t *testing.T) {
	r := newRig(t)
	outcomes := []string{bridge.OutcomeOK, bridge.OutcomeFailed, bridge.OutcomeDryRun, bridge.OutcomeRefused,
		bridge.OutcomeWarning, bridge.OutcomeAccepted, bridge.OutcomeHeld}
	for _, o := range outcomes {
		r.audit.add(storage.AuditRecord{Time: time.Now(), Credential: "okta", Operation: "create", UserName: o + "@example.com", Outcome: o})
	}
	b := r.browser()
	b.mustLogin("victor", viewerPassword)
	for _, o := range outcomes {
		_, page := b.get("/console/activity?outcome=" + url.QueryEscape(o))
		if !strings.Contains(page, "<option selected>"+o+"</option>") {
			t.Errorf("outcome %q is not offered, selected, by the activity filter", o)
		}
		for _, other := range outcomes {
			if shown := strings.Contains(page, ">"+other+"@example.com<"); shown != (other == o) {
				t.Errorf("filtered by outcome %q, the record with outcome %q shown: %v", o, other, shown)
			}
		}
	}
}
