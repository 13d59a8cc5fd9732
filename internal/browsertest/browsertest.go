// Package browsertest starts a headless Chromium for tests that drive the
// console as a person would, and keeps screenshots of what it saw.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// RequireEnv names the environment variable that makes a missing browser a
// failure instead of a skip; CI sets it.
const RequireEnv = "ABSORB_SCIM_TEST_BROWSER"

// ScreenshotEnv names a directory screenshots are also copied to, so they
// outlive the test's temporary directory.
const ScreenshotEnv = "ABSORB_SCIM_SCREENSHOTS"

// executable finds Chromium: CHROME_PATH, else the usual names on PATH.
func executable() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser is one headless Chromium with a fresh profile.
type Browser struct {
	t   *testing.T
	dir string // screenshots
}

// New starts Chromium for t and returns a browser context that ends with
// the test. Without Chromium the test is skipped, saying why, unless
// RequireEnv is set: then it fails.
func New(t *testing.T) (context.Context, *Browser) {
	t.Helper()
	exe := executable()
	if exe == "" {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("%s is set but no Chromium was found (install the chromium package or set CHROME_PATH)", RequireEnv)
		}
		t.Skip("skipping the browser test: no Chromium found (install the chromium package or set CHROME_PATH; CI sets " + RequireEnv + " so it never skips there)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// Starts the browser now, so a broken install fails here.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start Chromium %s: %v", exe, err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx, &Browser{t: t, dir: t.TempDir()}
}

// Screenshot saves the whole page as name.png in the test's temporary
// directory (and in $ABSORB_SCIM_SCREENSHOTS when set) and returns the
// path.
func (b *Browser) Screenshot(ctx context.Context, name string) string {
	b.t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	name = strings.ReplaceAll(name, "/", "-") + ".png"
	path := filepath.Join(b.dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if dir := os.Getenv(ScreenshotEnv); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err == nil {
			_ = os.WriteFile(filepath.Join(dir, name), png, 0o644)
		}
	}
	b.t.Logf("screenshot %s", path)
	return path
}

// TextContains waits until the text of the first element matching selector
// contains want: the page re-checks it on every change of its DOM (a
// MutationObserver), for at most 20 seconds.
func TextContains(selector, want string) chromedp.Action[chromedp.Void] {
	js := `(function(){var e=document.querySelector(` + quote(selector) + `);return !!e && e.textContent.indexOf(` + quote(want) + `)>=0;})()`
	return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(20*time.Second))
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
