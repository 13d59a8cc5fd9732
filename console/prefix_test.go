package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/console"
)

// TestServedUnderATenantPath: a tenant's console, behind a router that
// takes /tenants/eu off, links, redirects and sets its cookies under
// /tenants/eu/console/, and lists only the other tenants its user may see.
func TestServedUnderATenantPath(t *testing.T) {
	users, err := auth.NewConsoleUsers([]auth.ConsoleUser{
		{Username: "olivia", PasswordHash: auth.HashSecret(operatorPassword), Role: auth.RoleOperator},
		{Username: "victor", PasswordHash: auth.HashSecret(viewerPassword), Role: auth.RoleViewer},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := console.New(console.Options{
		Users: users, Status: memStatus{}, Traffic: memTraffic{}, Audit: &memAudit{}, Groups: &memGroups{},
		PathPrefix: "/tenants/eu", Tenant: "eu",
		OtherTenants: func(username string) []console.TenantLink {
			if username == "olivia" {
				return []console.TenantLink{{ID: "us", URL: "/tenants/us/console/"}}
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/tenants/eu", c))
	t.Cleanup(srv.Close)
	signIn := func(user, password string) (*browser, string) {
		b := (&rig{t: t, srv: srv}).browser()
		res, _ := b.get("/tenants/eu/console/holds")
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/tenants/eu/console/login?next="+url.QueryEscape("/tenants/eu/console/holds") {
			t.Fatalf("without a session: %d to %q", res.StatusCode, loc)
		}
		res, page := b.get("/tenants/eu/console/login")
		for _, ck := range res.Cookies() {
			if ck.Path != "/tenants/eu/console/" {
				t.Errorf("cookie %s has path %q", ck.Name, ck.Path)
			}
		}
		if !strings.Contains(page, `action="/tenants/eu/console/login"`) || !strings.Contains(page, `href="/tenants/eu/console/static/console.css"`) {
			t.Errorf("login page links outside the tenant's console:\n%s", page)
		}
		m := csrfInput.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no csrf field:\n%s", page)
		}
		res, _ = b.post("/tenants/eu/console/login", url.Values{"csrf": {m[1]}, "username": {user}, "password": {password}, "next": {"/tenants/eu/console/holds"}})
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/tenants/eu/console/holds" {
			t.Fatalf("sign-in: %d to %q", res.StatusCode, loc)
		}
		_, page = b.get("/tenants/eu/console/")
		return b, page
	}
	_, page := signIn("olivia", operatorPassword)
	for _, want := range []string{`tenant eu`, `href="/tenants/eu/console/activity"`, `action="/tenants/eu/console/logout"`, `href="/tenants/us/console/"`} {
		if !strings.Contains(page, want) {
			t.Errorf("olivia's health page lacks %s", want)
		}
	}
	if strings.Contains(page, `"/console/`) {
		t.Errorf("a link leaves the tenant's path:\n%s", page)
	}
	_, page = signIn("victor", viewerPassword)
	if strings.Contains(page, "/tenants/us/") {
		t.Error("victor sees tenant us, which he may not")
	}
}
