// Package conformance replays identity providers' real SCIM traffic against
// the whole bridge: the absorb-scim binary is built once, each scenario runs
// `absorb-scim demo` (the bridge on its built-in fake Absorb) as a child
// process, sends the scenario's requests over HTTP, and checks both the SCIM
// answers and what ended up in Absorb, read back from the fake's own API.
package conformance

import (
	"bufio"
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
	"regexp"
	"strings"
	"sync"
	"syscall"
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

// demo is one running `absorb-scim demo` process.
type demo struct {
	scimURL string // .../scim/v2
	fakeURL string
	token   string
	dataDir string
	cmd     *exec.Cmd
	stderr  *bytes.Buffer
}

const demoToken = "conformance-token-0123456789abcdef"

var (
	scimURLLine = regexp.MustCompile(`SCIM base URL:\s+(\S+)`)
	fakeURLLine = regexp.MustCompile(`fake Absorb:\s+(\S+)`)
)

// startDemo runs the demo on free loopback ports and waits until it serves.
// dataDir is kept between runs when given, so a test can restart the bridge
// on the same data.
func startDemo(t *testing.T, dataDir string, extra ...string) *demo {
	t.Helper()
	sourcesOnce.Do(func() { touchSources("..") })
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	args := append([]string{"demo", "-listen", "127.0.0.1:0", "-absorb-listen", "127.0.0.1:0",
		"-token", demoToken, "-data", dataDir, "-sync-interval", "1s", "-log-format", "json"}, extra...)
	cmd := exec.Command(binary, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d := &demo{token: demoToken, dataDir: dataDir, cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = d.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(t) })
	found := make(chan struct{})
	go func() {
		// Only this goroutine writes the URLs, and only until found is
		// closed; found itself is never reassigned, since the select below
		// reads it concurrently.
		var scimURL, fakeURL string
		announced := false
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if announced {
				continue
			}
			line := sc.Text()
			if m := scimURLLine.FindStringSubmatch(line); m != nil {
				scimURL = m[1]
			}
			if m := fakeURLLine.FindStringSubmatch(line); m != nil {
				fakeURL = m[1]
			}
			if scimURL != "" && fakeURL != "" {
				d.scimURL, d.fakeURL = scimURL, fakeURL
				announced = true
				close(found)
			}
		}
	}()
	select {
	case <-found:
	case <-time.After(30 * time.Second):
		t.Fatalf("demo did not start; stderr:\n%s", d.stderr.String())
	}
	d.waitReady(t)
	return d
}

// waitReady waits for /readyz: the first sync with the fake is done.
func (d *demo) waitReady(t *testing.T) {
	t.Helper()
	base := strings.TrimSuffix(d.scimURL, "/scim/v2")
	waitFor(t, 20*time.Second, "the demo to become ready", func() bool {
		status, _ := probe(base + "/readyz")
		return status == http.StatusOK
	})
}

// poll calls cond every interval until it holds or within has passed, and
// reports whether it held. It is only for conditions no event announces to
// a client outside the process: the bridge's first sync, the group rules
// and the sync working in the background, the fake committing a write
// whose answer it holds back.
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

func (d *demo) stop(t *testing.T) {
	if d.cmd.ProcessState != nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
		t.Errorf("demo did not stop on SIGTERM within 20s")
	}
}

// scim sends one SCIM request and returns the status, headers and body.
func (d *demo) scim(t *testing.T, method, path string, body []byte, headers map[string]string) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, d.scimURL+escapeQuery(path), r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+d.token)
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
	resp, err := http.DefaultClient.Do(req)
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

func (d *demo) absorb(t *testing.T) *absorb {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": "auditor", "password": "demo-password", "privateKey": "demo-key"})
	req, _ := http.NewRequest(http.MethodPost, d.fakeURL+"/authenticate", bytes.NewReader(body))
	req.Header.Set("x-api-key", "demo-key")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok string
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		t.Fatalf("auditor login: %v", err)
	}
	return &absorb{base: d.fakeURL, token: tok}
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
