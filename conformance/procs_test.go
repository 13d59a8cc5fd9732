package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// This file runs the bridge the way production does: `absorb-scim serve`
// with a YAML configuration, against `absorb-scim fake-absorb` running as a
// process of its own, so Absorb's state outlives the bridge (a crash of the
// bridge loses nothing Absorb already did) and each can be stopped, killed
// or restarted alone.

// serveToken is the bearer token the IdP clients of these tests present.
const serveToken = "reliability-token-0123456789abcdef"

// socket is a loopback TCP socket bound to a port of the test's own. Until
// it listens, a connection to it is refused, as to a program that is down.
// Listening, it is handed to a child with -listen-fd: the test knows the
// address before the child starts, and requests sent at once wait in the
// socket's queue until the child serves them, so no test waits for a child
// to begin listening or reads its logs to learn where.
type socket struct {
	addr string
	fd   int // -1 once listen has handed it on
}

// bindSocket binds addr, or a free port of 127.0.0.1 when addr is "",
// without listening. It may be called from any goroutine: it fails the
// test only through its error.
func bindSocket(t *testing.T, addr string) (*socket, error) {
	port := 0
	if addr != "" {
		ta, err := net.ResolveTCPAddr("tcp4", addr)
		if err != nil {
			return nil, err
		}
		port = ta.Port
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	// As net.Listen does, so that a program restarted can have its
	// predecessor's address while the connections that one closed linger
	// in TIME_WAIT (they keep the flag of the socket that accepted them).
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("SO_REUSEADDR: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("bind 127.0.0.1:%d: %w", port, err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("getsockname: %w", err)
	}
	s := &socket{addr: fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port), fd: fd}
	t.Cleanup(func() {
		if s.fd >= 0 {
			syscall.Close(s.fd)
		}
	})
	return s, nil
}

// mustBindSocket is bindSocket for the test goroutine.
func mustBindSocket(t *testing.T, addr string) *socket {
	t.Helper()
	s, err := bindSocket(t, addr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// downURL is the URL of a program that is down: nothing listens there, and
// nothing will while the test runs.
func downURL(t *testing.T) string {
	t.Helper()
	return "http://" + mustBindSocket(t, "").addr
}

// listen makes the socket listen and returns it as a file for
// exec.Cmd.ExtraFiles, which owns it from then on.
func (s *socket) listen() (*os.File, error) {
	if err := syscall.Listen(s.fd, syscall.SOMAXCONN); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", s.addr, err)
	}
	f := os.NewFile(uintptr(s.fd), "listener "+s.addr)
	s.fd = -1
	return f, nil
}

// listenFDArgs are the arguments that hand a child its socket: the first
// of exec.Cmd.ExtraFiles is the child's descriptor 3.
var listenFDArgs = []string{"-listen-fd", "3"}

// childEnv is the environment of child processes: this one's, without any
// ABSORB_SCIM_ override that would change the configuration under test.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ABSORB_SCIM_") {
			env = append(env, kv)
		}
	}
	return env
}

// tailBuffer keeps the last max bytes written to it; child processes write
// their logs here, for failure messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// proc is one child process and its exit.
type proc struct {
	name   string
	cmd    *exec.Cmd
	logs   *tailBuffer // stdout and stderr, interleaved
	stderr *tailBuffer
	done   chan struct{} // closed once the process has exited
	err    error         // the exit, valid once done is closed
}

// runAs runs a child from another copy of the binary as another user;
// nil runs the built binary as this process's user.
type runAs struct {
	exe  string
	attr *syscall.SysProcAttr
}

// startProc starts the binary with args, handing it sock (listening) as
// descriptor 3 when sock is not nil; cleanup kills it if still running. Only
// the child keeps the socket: when it exits, new connections are refused.
// It may be called from any goroutine: it fails the test only through its
// error.
func startProc(t *testing.T, name string, args []string, as *runAs, sock *socket) (*proc, error) {
	sourcesOnce.Do(func() { touchSources("..") })
	var files []*os.File
	if sock != nil {
		f, err := sock.listen()
		if err != nil {
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
		defer f.Close() // the child has its own copy
		files = append(files, f)
	}
	exe := binary
	var attr *syscall.SysProcAttr
	if as != nil {
		exe, attr = as.exe, as.attr
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = childEnv()
	cmd.SysProcAttr = attr
	cmd.ExtraFiles = files
	p := &proc{name: name, cmd: cmd, logs: newTailBuffer(256 << 10), stderr: newTailBuffer(64 << 10), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, io.MultiWriter(p.logs, p.stderr)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to d for the process to exit and returns its exit code
// (-1 when a signal ended it); ok is false when it is still running.
func (p *proc) wait(d time.Duration) (code int, ok bool) {
	select {
	case <-p.done:
	case <-time.After(d):
		return 0, false
	}
	if p.err == nil {
		return 0, true
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode(), true
	}
	return -1, true
}

// kill sends SIGKILL, as a crash or an OOM kill would, and waits for the
// exit. It may be called from any goroutine.
func (p *proc) kill() error {
	if p.exited() {
		return fmt.Errorf("%s exited before it could be killed:\n%s", p.name, p.logs)
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	return nil
}

// terminate sends SIGTERM and returns the exit code; the process gets
// within to stop, else it is killed and terminate fails. It may be called
// from any goroutine.
func (p *proc) terminate(within time.Duration) (int, error) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	code, ok := p.wait(within)
	if !ok {
		_ = p.cmd.Process.Kill()
		<-p.done
		return -1, fmt.Errorf("%s did not stop within %s of SIGTERM:\n%s", p.name, within, p.logs)
	}
	return code, nil
}

// mustKill is kill for the test goroutine.
func (p *proc) mustKill(t *testing.T) {
	t.Helper()
	if err := p.kill(); err != nil {
		t.Fatal(err)
	}
}

// mustTerminate is terminate for the test goroutine.
func (p *proc) mustTerminate(t *testing.T, within time.Duration) int {
	t.Helper()
	code, err := p.terminate(within)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// variantEnv names the environment variable that sets the behaviours every
// fake Absorb of these tests plays: a list `fake-absorb -variant` reads
// ("create=upsert,dates=absorb"), or "all" for every non-default behaviour
// at once. Unset, the fake plays its defaults.
const variantEnv = "ABSORB_SCIM_TEST_VARIANT"

// testVariants returns the -variant list variantEnv asks for ("" for the
// defaults), failing the test when the fake would not take it.
func testVariants(t *testing.T) string {
	t.Helper()
	spec := strings.TrimSpace(os.Getenv(variantEnv))
	if strings.EqualFold(spec, "all") {
		return fakeabsorb.NonDefaultVariants().String()
	}
	if _, err := fakeabsorb.ParseVariants(spec); err != nil {
		t.Fatalf("%s: %v", variantEnv, err)
	}
	return spec
}

// fakeProc is `absorb-scim fake-absorb` as a process of its own.
type fakeProc struct {
	*proc
	url string
}

// startFake runs the fake Absorb on sock (a new one when nil) with the
// given fault spec. It serves as soon as it runs; requests sent before wait
// in the socket's queue.
func startFake(t *testing.T, sock *socket, faults string) *fakeProc {
	t.Helper()
	return startFakeVariant(t, sock, faults, testVariants(t))
}

// startFakeVariant is startFake with the fake playing the behaviours of
// variants (a `fake-absorb -variant` list; "" for the defaults).
func startFakeVariant(t *testing.T, sock *socket, faults, variants string) *fakeProc {
	t.Helper()
	if sock == nil {
		sock = mustBindSocket(t, "")
	}
	args := append([]string{"fake-absorb"}, listenFDArgs...)
	if faults != "" {
		args = append(args, "-faults", faults)
	}
	if variants != "" {
		args = append(args, "-variant", variants)
	}
	p, err := startProc(t, "fake-absorb", args, nil, sock)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeProc{proc: p, url: "http://" + sock.addr}
}

// control calls one of the fake's /_fake/ routes and decodes its answer
// into v (nil: ignore). It returns an error rather than failing the test,
// so goroutines may call it.
func (f *fakeProc) control(method, path string, v any) error {
	req, err := http.NewRequest(method, f.url+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fake control %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("fake control %s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if v != nil {
		return json.Unmarshal(b, v)
	}
	return nil
}

// setFaults replaces the fake's faults with spec ("" clears them).
func (f *fakeProc) setFaults(t *testing.T, spec string) {
	t.Helper()
	if err := f.control(http.MethodPost, "/_fake/faults?spec="+url.QueryEscape(spec), nil); err != nil {
		t.Fatal(err)
	}
}

// stealToken logs the bridge's admin in elsewhere, which revokes the
// bridge's token; revoked is false when it held none.
func (f *fakeProc) stealToken() (revoked bool, err error) {
	var out struct {
		Revoked bool `json:"revoked"`
	}
	err = f.control(http.MethodPost, "/_fake/steal-token?username=bridge-admin", &out)
	return out.Revoked, err
}

// fakeStats is the answer of GET /_fake/stats.
type fakeStats struct {
	Requests  map[string]int `json:"requests"`
	Logins    int            `json:"logins"`
	Throttled int            `json:"throttled"`
	Faults    struct {
		Error5xx int `json:"error5xx"`
		Throttle int `json:"throttle"`
		Reset    int `json:"reset"`
	} `json:"faults"`
	Total int `json:"total"`
}

func (f *fakeProc) stats(t *testing.T) fakeStats {
	t.Helper()
	var s fakeStats
	if err := f.control(http.MethodGet, "/_fake/stats", &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fakeProc) resetStats(t *testing.T) {
	t.Helper()
	if err := f.control(http.MethodPost, "/_fake/stats/reset", nil); err != nil {
		t.Fatal(err)
	}
}

// auditor reads the fake's state through its API as the auditor admin,
// who sees the whole portal and whose logins do not disturb the bridge's.
func (f *fakeProc) auditor(t *testing.T) *absorb {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": "auditor", "password": "demo-password", "privateKey": "demo-key"})
	for attempt := 0; ; attempt++ {
		req, _ := http.NewRequest(http.MethodPost, f.url+"/authenticate", bytes.NewReader(body))
		req.Header.Set("x-api-key", "demo-key")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			var tok string
			if err := json.Unmarshal(b, &tok); err != nil {
				t.Fatalf("auditor login: %v", err)
			}
			return &absorb{base: f.url, token: tok}
		}
		if attempt > 50 {
			t.Fatalf("auditor login: %d %s", resp.StatusCode, b)
		}
		// Throttled or faulted: back off, as any Absorb client must, then
		// retry.
		time.Sleep(100 * time.Millisecond)
	}
}

// shareableTempDir is a new directory that other users may enter, so a
// bridge started as another user can reach the files in it; it is removed,
// whatever its permissions, at the end of the test.
func shareableTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "absorb-scim-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = filepath.WalkDir(dir, func(p string, _ os.DirEntry, _ error) error {
			_ = os.Chmod(p, 0o700)
			return nil
		})
		os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serveOptions are what a test varies in the bridge's configuration.
type serveOptions struct {
	absorbURL     string        // the fake Absorb
	dataDir       string        // a new temporary directory when empty
	groupRules    bool          // the demo's three group rules
	shutdownGrace time.Duration // default 15s
	absorbTimeout time.Duration // default 30s
	syncInterval  time.Duration // default 1s
	// createBehaviour pins absorb.behaviour.create when set.
	createBehaviour string
	// rateLimit and burst set absorb.rateLimit and absorb.burst when not
	// zero.
	rateLimit float64
	burst     int
	// storageURL puts the bridge on this PostgreSQL database; when empty,
	// the store ABSORB_SCIM_TEST_STORE chooses (stores_test.go).
	storageURL string
}

// serveProc is one `absorb-scim serve` process.
type serveProc struct {
	*proc
	opts    serveOptions
	cfgPath string
	addr    string // host:port, the same across restarts
	base    string // http://host:port
}

// writeServeConfig writes the YAML configuration of opts and returns its
// path; opts gets its defaults filled in.
func writeServeConfig(t *testing.T, listen string, opts *serveOptions) string {
	t.Helper()
	if opts.dataDir == "" {
		opts.dataDir = t.TempDir()
	}
	if opts.shutdownGrace == 0 {
		opts.shutdownGrace = 15 * time.Second
	}
	if opts.absorbTimeout == 0 {
		opts.absorbTimeout = 30 * time.Second
	}
	if opts.syncInterval == 0 {
		opts.syncInterval = time.Second
	}
	var b strings.Builder
	// serve takes its socket from -listen-fd; listen names it all the same.
	fmt.Fprintf(&b, "listen: %s\ndataDir: %s\nshutdownGrace: %s\n", listen, opts.dataDir, opts.shutdownGrace)
	if opts.storageURL != "" {
		fmt.Fprintf(&b, "storage:\n  driver: postgres\n  postgres:\n    url: %s\n", opts.storageURL)
	} else {
		b.WriteString(storageConfig(t, opts.dataDir))
	}
	fmt.Fprintf(&b, "log:\n  format: json\n  level: info\n")
	fmt.Fprintf(&b, "absorb:\n  url: %s\n  privateKey: demo-key\n  username: bridge-admin\n  password: demo-password\n  timeout: %s\n", opts.absorbURL, opts.absorbTimeout)
	if opts.rateLimit != 0 {
		fmt.Fprintf(&b, "  rateLimit: %g\n  burst: %d\n", opts.rateLimit, opts.burst)
	}
	if opts.createBehaviour != "" {
		fmt.Fprintf(&b, "  behaviour:\n    create: %s\n", opts.createBehaviour)
	}
	fmt.Fprintf(&b, "auth:\n  tokens:\n    - name: idp\n      value: %s\n", serveToken)
	fmt.Fprintf(&b, "mapping:\n  defaultDepartment: Company\n")
	fmt.Fprintf(&b, "sync:\n  interval: %s\n", opts.syncInterval)
	// A long soak deactivates more users within ten minutes than the brake on
	// mass deactivation lets through, and its model expects every change in
	// Absorb: the brake is off here (it has end-to-end tests of its own).
	b.WriteString("safety:\n  deactivationLimit:\n    max: 0\n")
	if opts.groupRules {
		b.WriteString(`groupRules:
  - name: sales-team
    displayName: Sales Team
    department: Sales
    courses: [Sales Fundamentals]
  - name: engineering
    displayNamePattern: "Engineering*"
    department: Engineering
    courses: [Engineering Onboarding]
  - name: security-training
    displayName: Security Training
    courses: [Security Awareness]
    unenrollOnLeave: true
`)
	}
	path := filepath.Join(shareableTempDir(t), "absorb-scim.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// launchServe starts `serve` and returns without waiting for it.
func launchServe(t *testing.T, opts serveOptions, as *runAs) *serveProc {
	t.Helper()
	sock := mustBindSocket(t, "")
	cfg := writeServeConfig(t, sock.addr, &opts)
	s := &serveProc{opts: opts, cfgPath: cfg, addr: sock.addr, base: "http://" + sock.addr}
	p, err := startProc(t, "serve", append([]string{"serve", "-config", cfg}, listenFDArgs...), as, sock)
	if err != nil {
		t.Fatal(err)
	}
	s.proc = p
	return s
}

// startServe starts `serve` and waits until it answers /healthz.
func startServe(t *testing.T, opts serveOptions) *serveProc {
	t.Helper()
	s := launchServe(t, opts, nil)
	if err := s.waitHealthy(); err != nil {
		t.Fatal(err)
	}
	return s
}

// restart starts a new `serve` with the same configuration, address and
// data directory, once this one has exited, and waits until it answers
// /healthz. It may be called from any goroutine.
func (s *serveProc) restart(t *testing.T) (*serveProc, error) {
	if !s.exited() {
		return nil, errors.New("restart of a bridge that is still running")
	}
	sock, err := bindSocket(t, s.addr)
	if err != nil {
		return nil, fmt.Errorf("restart on the same address: %w", err)
	}
	p, err := startProc(t, "serve", append([]string{"serve", "-config", s.cfgPath}, listenFDArgs...), nil, sock)
	if err != nil {
		return nil, err
	}
	n := &serveProc{proc: p, opts: s.opts, cfgPath: s.cfgPath, addr: s.addr, base: s.base}
	return n, n.waitHealthy()
}

// mustRestart is restart for the test goroutine.
func (s *serveProc) mustRestart(t *testing.T) *serveProc {
	t.Helper()
	n, err := s.restart(t)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitHealthy sends one GET /healthz: it waits in the socket's queue until
// serve takes it, and fails at once if serve exits without serving (its
// exit closes the socket).
func (s *serveProc) waitHealthy() error {
	status, body := probeWithin(s.base+"/healthz", 20*time.Second)
	if status == http.StatusOK {
		return nil
	}
	select {
	case <-s.done:
		return fmt.Errorf("serve exited at start:\n%s", s.logs)
	case <-time.After(5 * time.Second):
		return fmt.Errorf("serve did not answer /healthz: %d %s\n%s", status, body, s.logs)
	}
}

// waitReady waits until /readyz says 200: Absorb reached and synced.
func (s *serveProc) waitReady(t *testing.T, within time.Duration) {
	t.Helper()
	if !poll(within, 20*time.Millisecond, func() bool {
		status, _ := probe(s.base + "/readyz")
		return status == http.StatusOK
	}) {
		status, body := probe(s.base + "/readyz")
		t.Fatalf("serve not ready after %s: /readyz %d %s\n%s", within, status, body, s.logs)
	}
}

// probe GETs an unauthenticated URL on a fresh connection; status 0 means
// no answer within 5 s.
func probe(u string) (int, string) { return probeWithin(u, 5*time.Second) }

// probeWithin is probe with a timeout of d.
func probeWithin(u string, d time.Duration) (int, string) {
	c := &http.Client{Timeout: d, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// idp is a SCIM client with its own connection pool.
func (s *serveProc) idp() *idpClient {
	return &idpClient{
		base:   s.base + scimPath,
		client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
}

const scimPath = "/scim/v2"

// idpClient sends SCIM requests as an identity provider does.
type idpClient struct {
	base   string
	client *http.Client
	token  string // serveToken when empty
}

// bearer is the token the client presents.
func (c *idpClient) bearer() string {
	if c.token == "" {
		return serveToken
	}
	return c.token
}

// reply is one SCIM answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// doc decodes the answer's JSON body; nil when it has none.
func (r reply) doc() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.body, &m)
	return m
}

func (r reply) String() string {
	return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.body))
}

// send sends one request. body is sent as it is when []byte, else as JSON;
// headers come in name, value pairs. An error means no answer arrived.
func (c *idpClient) send(ctx context.Context, method, path string, body any, headers ...string) (reply, error) {
	var rd io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(body); err != nil {
				return reply{}, err
			}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+escapeQuery(path), rd)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.bearer())
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("read answer of %s %s: %w", method, path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// must sends a request from the test goroutine and fails the test when no
// answer arrives or the status is not want.
func (c *idpClient) must(t *testing.T, want int, method, path string, body any, headers ...string) reply {
	t.Helper()
	r, err := c.send(context.Background(), method, path, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if r.status != want {
		t.Fatalf("%s %s: got %s, want status %d", method, path, r, want)
	}
	return r
}

// userDoc is a SCIM user as Entra and Okta create one.
func userDoc(userName, given, family string, extra map[string]any) map[string]any {
	d := map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":   userName,
		"externalId": "ext-" + userName,
		"name":       map[string]any{"givenName": given, "familyName": family},
		"emails":     []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"active":     true,
	}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

// patchOp is a PatchOp message of the given operations.
func patchOp(ops ...map[string]any) map[string]any {
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": ops,
	}
}

// retryAfterSeconds reads a Retry-After given in seconds; ok is false when
// it is missing or not a positive number of seconds.
func retryAfterSeconds(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	var n int
	if _, err := fmt.Sscanf(v, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != v {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// stderrLines returns the lines a person reads on stderr: every non-empty
// line but the structured log record that says which build is starting.
func stderrLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) == "" || strings.Contains(l, `"msg":"absorb-scim starting"`) {
			continue
		}
		out = append(out, l)
	}
	return out
}
