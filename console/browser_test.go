package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/absorb-scim/absorb-scim/internal/browsertest"
)

// signIn fills in the login form the console sends the browser to.
func signIn(ctx context.Context, t *testing.T, base, path, user, password, waitFor string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+path),
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

// TestBrowserHolds drives the holds page in Chromium: an operator releases
// a hold; a viewer sees the buttons disabled and, forcing the form, is
// refused.
func TestBrowserHolds(t *testing.T) {
	t.Parallel() // most of its time is the browser's
	r := newRig(t)
	ctx, shots := browsertest.New(t)
	base := r.srv.URL

	signIn(ctx, t, base, "/console/holds", "olivia", operatorPassword, `#holds`)
	shots.Screenshot(ctx, "holds-operator")
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`tr[data-hold="u-1"] form[action="/console/holds/release"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#hold-result`)),
		browsertest.TextContains(`#hold-result`, "leaver@example.com was released"),
	)
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	shots.Screenshot(ctx, "holds-released")
	if r.holds.has("u-1") {
		t.Fatal("the hold is still held after the operator released it")
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#holds tbody tr").length`))
	if err != nil || rows != 1 {
		t.Errorf("%d holds listed after the release (%v), want 1", rows, err)
	}

	// Sign out, then in as a viewer.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form.who button`)), chromedp.WaitVisible(chromedp.CSS(`#username`))); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	signIn(ctx, t, base, "/console/holds", "victor", viewerPassword, `#holds`)
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('tr[data-hold="u-2"] form[action="/console/holds/release"] button').disabled`))
	if err != nil || !disabled {
		t.Errorf("the viewer's release button: disabled=%v (%v), want disabled", disabled, err)
	}
	shots.Screenshot(ctx, "holds-viewer")
	// Forcing the form past the disabled button is refused by the server.
	err = chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`(function(){var f=document.querySelector('tr[data-hold="u-2"] form[action="/console/holds/release"]');f.querySelector('button').disabled=false;f.submit();})()`),
		chromedp.WaitVisible(chromedp.CSS(`p.problem[role="alert"]`)),
		browsertest.TextContains(`p.problem[role="alert"]`, "needs the operator role"),
	)
	if err != nil {
		t.Fatalf("viewer's forced release: %v", err)
	}
	shots.Screenshot(ctx, "holds-viewer-refused")
	if !r.holds.has("u-2") {
		t.Error("a viewer released a hold")
	}
	title, _ := chromedp.Run(ctx, chromedp.Title())
	if !strings.Contains(title, "absorb-scim") {
		t.Errorf("refusal page title %q", title)
	}
}

// TestBrowserKeyboardAndPhone signs in with the keyboard alone (the
// username field has the focus, Tab reaches the password, Enter sends),
// then checks that no page is wider than a phone's screen.
func TestBrowserKeyboardAndPhone(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx, shots := browsertest.New(t)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(r.srv.URL+"/console/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.KeyEvent("olivia"),
		chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent(operatorPassword),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#calls-summary`)),
	)
	if err != nil {
		t.Fatalf("sign in with the keyboard: %v", err)
	}
	for _, p := range []string{"/console/", "/console/activity", "/console/people?q=jane@example.com", "/console/groups",
		"/console/groups/preview?id=g1", "/console/holds", "/console/drift"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+p), chromedp.WaitVisible(chromedp.CSS(`main h1`))); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		// Wide tables scroll inside their own box; the page itself must not.
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil || wide {
			t.Errorf("%s is wider than a 390 px screen (%v)", p, err)
		}
		if p == "/console/" {
			shots.Screenshot(ctx, "phone-health")
		}
	}
}
