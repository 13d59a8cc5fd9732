// Package conformance replays identity providers' real SCIM traffic against
// the whole bridge: the absorb-scim binary is built once, each scenario runs
// `absorb-scim serve` against `absorb-scim fake-absorb`, each a child
// process on a socket the test bound, sends the scenario's requests over
// HTTP, and checks both the SCIM answers and what ended up in Absorb, read
// back from the fake's own API.
package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binary is the absorb-scim executable built for this test run.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if !flagSet("test.parallel") {
		// These tests spend their time waiting on child processes, on the
		// fake's latency and on the bridge's retry backoff, not on the CPU,
		// so go test's default (GOMAXPROCS tests at once) would leave the
		// machine idle. A -parallel given on the command line wins.
		_ = flag.Set("test.parallel", "16")
	}
	dir, err := os.MkdirTemp("", "absorb-scim-conformance-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "absorb-scim")
	build := exec.Command("go", "build", "-o", binary, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build absorb-scim:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// flagSet reports whether the flag was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

var sourcesOnce sync.Once

// touchSources opens every Go source and module file of the repository.
// The binary is built by a child process, which go test's result cache does
// not see; files the test process itself opens are part of the cache key, so
// a change anywhere in the code re-runs these tests.
func touchSources(root string) {
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || d.Name() == "go.mod" || d.Name() == "go.sum") {
			if f, err := os.Open(path); err == nil {
				f.Close()
			}
		}
		return nil
	})
}

// poll calls cond every interval until it holds or within has passed, and
// reports whether it held. It is only for conditions no event announces to
// a client outside the process: the bridge's first sync, the group rules
// and the sync working in the background, the bridge closing its listener
// when it begins to stop, the fake committing a write whose answer it
// holds back.
func poll(within, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !poll(within, 20*time.Millisecond, cond) {
		t.Fatalf("timed out after %s waiting for %s", within, what)
	}
}

// exchange sends one SCIM request as a scenario gives it and returns the
// status, headers and body. A header given as "" is left out.
func (c *idpClient) exchange(t *testing.T, method, path string, body []byte, headers map[string]string) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.base+escapeQuery(path), r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.bearer())
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
			if http.CanonicalHeaderKey(k) == "User-Agent" {
				// net/http sends its own User-Agent when the header is
				// missing, and none when it is present but empty.
				req.Header.Set(k, "")
			}
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// escapeQuery percent-encodes a path's query the way IdPs do, so scenario
// files can be written readably (filter=userName eq "x").
func escapeQuery(path string) string {
	p, q, ok := strings.Cut(path, "?")
	if !ok {
		return path
	}
	var parts []string
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if v == "" && !strings.Contains(kv, "=") {
			parts = append(parts, url.QueryEscape(k))
			continue
		}
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
	}
	return p + "?" + strings.Join(parts, "&")
}

// absorb reads the fake Absorb's state through its API, as the auditor
// admin (who sees the whole portal).
type absorb struct {
	base, token string
}

func (a *absorb) get(t *testing.T, path string, q url.Values, v any) {
	t.Helper()
	u := a.base + path
	if q != nil {
		u += "?" + q.Encode()
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("x-api-key", "demo-key")
	req.Header.Set("Authorization", "Bearer "+a.token)
	for attempt := 0; ; attempt++ {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 20 {
			// Throttled: back off, as any Absorb client must, then retry.
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("fake GET %s: %d %s", path, resp.StatusCode, b)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("fake GET %s: %v", path, err)
		}
		return
	}
}

// usersNamed lists the Absorb users with this username, any case.
func (a *absorb) usersNamed(t *testing.T, username string) []map[string]any {
	t.Helper()
	var page struct {
		Users []map[string]any `json:"users"`
	}
	a.get(t, "/users", url.Values{"_filter": {"tolower(username) eq '" + strings.ReplaceAll(strings.ToLower(username), "'", "''") + "'"}, "_limit": {"1000"}}, &page)
	return page.Users
}

// departmentID finds a department's id by name.
func (a *absorb) departmentID(t *testing.T, name string) string {
	t.Helper()
	var page struct {
		Departments []map[string]any `json:"departments"`
	}
	a.get(t, "/departments", url.Values{"_limit": {"1000"}}, &page)
	for _, d := range page.Departments {
		if strings.EqualFold(fmt.Sprint(d["name"]), name) {
			return fmt.Sprint(d["id"])
		}
	}
	t.Fatalf("no department %q in the fake", name)
	return ""
}

// courseNames lists the names of the courses a user is enrolled in.
func (a *absorb) courseNames(t *testing.T, userID string) []string {
	t.Helper()
	var page struct {
		Enrollments []map[string]any `json:"enrollments"`
	}
	a.get(t, "/users/"+userID+"/enrollments", url.Values{"_limit": {"1000"}}, &page)
	var courses struct {
		Courses []map[string]any `json:"courses"`
	}
	a.get(t, "/courses", url.Values{"_limit": {"1000"}}, &courses)
	names := map[string]string{}
	for _, c := range courses.Courses {
		names[fmt.Sprint(c["id"])] = fmt.Sprint(c["name"])
	}
	var out []string
	for _, e := range page.Enrollments {
		out = append(out, names[fmt.Sprint(e["courseId"])])
	}
	return out
}
