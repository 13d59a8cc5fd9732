package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/schemas"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// The end-to-end tests run the real program, `run(ctx, "serve", ...)`, on a
// loopback port, against a fake Absorb on an httptest server.

// The bridge is configured with distinctive Absorb secrets, so a test can
// search logs and answers for them without false hits. absorbTap translates
// them into the fake's fixed demo values on the way in.
const (
	e2ePrivateKey    = "pk-e2e-Qz7Rw9Lx4VbN2c"
	e2eAdminPassword = "adm-e2e-Tq8Hn3Kd5WsJ6m"
	e2ePublicURL     = "https://scim.example.test"
	e2eRealm         = "absorb-e2e"
)

// emptyEnv is the environment of every run: nothing from the test process.
func emptyEnv(string) string { return "" }

// lockedBuffer is an io.Writer that run may write to while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// absorbTap sits in front of the fake Absorb. It turns e2ePrivateKey and
// e2eAdminPassword into the fake's demo values, and records the user
// passwords the bridge sends and the Absorb tokens the fake hands out, so
// tests can check that none of them leaks.
type absorbTap struct {
	next http.Handler

	mu        sync.Mutex
	passwords []string
	tokens    []string
}

func (a *absorbTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Api-Key") == e2ePrivateKey {
		r.Header.Set("X-Api-Key", fakeabsorb.PrivateKey)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	login := r.URL.Path == "/authenticate"
	switch {
	case login:
		body = translateLogin(body)
	case strings.HasPrefix(r.URL.Path, "/users"):
		var v any
		if json.Unmarshal(body, &v) == nil {
			a.mu.Lock()
			collectPasswords(v, &a.passwords)
			a.mu.Unlock()
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if !login {
		a.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	a.next.ServeHTTP(rec, r)
	var tok string
	if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &tok) == nil && tok != "" {
		a.mu.Lock()
		a.tokens = append(a.tokens, tok)
		a.mu.Unlock()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// translateLogin replaces the test's private key and admin password in a
// POST /authenticate body by the fake's; other values pass unchanged.
func translateLogin(body []byte) []byte {
	var in map[string]any
	if json.Unmarshal(body, &in) != nil {
		return body
	}
	if in["privateKey"] == e2ePrivateKey {
		in["privateKey"] = fakeabsorb.PrivateKey
	}
	if in["password"] == e2eAdminPassword {
		in["password"] = fakeabsorb.AdminPassword
	}
	out, err := json.Marshal(in)
	if err != nil {
		return body
	}
	return out
}

// collectPasswords appends every non-empty string held under a "password"
// key anywhere in v.
func collectPasswords(v any, out *[]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && strings.EqualFold(k, "password") && s != "" {
				*out = append(*out, s)
				continue
			}
			collectPasswords(x, out)
		}
	case []any:
		for _, x := range t {
			collectPasswords(x, out)
		}
	}
}

func (a *absorbTap) userPasswords() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.passwords)
}

func (a *absorbTap) absorbTokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.tokens)
}

// e2eFake is a fake Absorb behind an absorbTap.
type e2eFake struct {
	srv *fakeabsorb.Server
	tap *absorbTap
	url string
}

func startFake(t testing.TB) *e2eFake {
	t.Helper()
	srv, err := fakeabsorb.New(fakeabsorb.Options{RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	tap := &absorbTap{next: srv}
	ts := httptest.NewServer(tap)
	t.Cleanup(ts.Close)
	return &e2eFake{srv: srv, tap: tap, url: ts.URL}
}

// baseConfig is a valid configuration against fake, with JSON logs at debug
// level and one static token named "okta". Tests change or add keys before
// writing it; YAML is a superset of JSON, so it is written as JSON.
func baseConfig(t testing.TB, fake *e2eFake) map[string]any {
	t.Helper()
	return map[string]any{
		"listen":    "127.0.0.1:0",
		"publicURL": e2ePublicURL,
		"dataDir":   t.TempDir(),
		"log":       map[string]any{"format": "json", "level": "debug"},
		"absorb": map[string]any{
			"url": fake.url, "privateKey": e2ePrivateKey,
			"username": fakeabsorb.BridgeAdminUsername, "password": e2eAdminPassword,
			"rateLimit": -1, "timeout": "5s",
		},
		"auth": map[string]any{
			"realm":  e2eRealm,
			"tokens": []any{map[string]any{"name": "okta", "value": oktaToken}},
		},
		"mapping":       map[string]any{"defaultDepartment": "Company"},
		"sync":          map[string]any{"interval": "1m"},
		"shutdownGrace": "2s",
	}
}

// writeConfig writes cfg as a config file in a fresh temporary directory.
func writeConfig(t testing.TB, cfg map[string]any) string {
	t.Helper()
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "absorb-scim.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// e2eServer is one `absorb-scim serve` running inside the test.
type e2eServer struct {
	base   string // scheme://host:port of the listener
	stderr *lockedBuffer
	client *http.Client
	done   chan error // run's result, put back once read

	mu        sync.Mutex
	responses []string // every response's status line, headers and body
}

// startServe runs `serve -config <cfg> args...` until the test ends, on a
// socket the test bound and hands over with -listen-fd: requests sent at
// once wait in the socket's queue until serve takes them.
func startServe(t testing.TB, cfg map[string]any, args ...string) *e2eServer {
	t.Helper()
	path := writeConfig(t, cfg)
	addr, fd := listenFD(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &e2eServer{stderr: &lockedBuffer{}, client: &http.Client{Timeout: 20 * time.Second}, done: make(chan error, 1)}
	args = append([]string{"serve", "-config", path, "-listen-fd", strconv.Itoa(fd)}, args...)
	go func() { s.done <- run(ctx, args, emptyEnv, io.Discard, s.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-s.done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("serve did not stop within 15s of its context ending")
		}
	})
	scheme := "http"
	if slices.Contains(args, "-tls-cert") {
		scheme = "https"
	}
	s.base = scheme + "://" + addr
	return s
}

// listenFD binds a loopback port and returns its address and a descriptor
// of the listening socket for -listen-fd, which the program takes over (and
// closes).
func listenFD(t testing.TB) (addr string, fd int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A descriptor no *os.File owns, so nothing here closes it after the
	// program has.
	fd, err = syscall.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	return ln.Addr().String(), fd
}

// waitReady polls /readyz until the first sync with Absorb is done: a state
// of the server, not an event the test could wait on.
func (s *e2eServer) waitReady(t testing.TB) {
	t.Helper()
	waitReady(t, s.base, s.client.Transport, s.done, s.stderr)
}

// waitReady polls base's /readyz until it answers 200, failing the test
// when serve stops first (done yields its error) or after 15 s.
func waitReady(t testing.TB, base string, rt http.RoundTripper, done chan error, stderr fmt.Stringer) {
	t.Helper()
	client := &http.Client{Transport: rt, Timeout: 2 * time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(15 * time.Second)
	for {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve stopped before it was ready: %v\nstderr:\n%s", err, stderr.String())
		case <-deadline:
			t.Fatalf("serve never became ready; stderr:\n%s", stderr.String())
		case <-tick.C:
		}
	}
}

// e2eRequest is one request to an e2eServer.
type e2eRequest struct {
	method, path string
	authz        string            // Authorization header; "" sends none
	body         string            // sent as application/scim+json when not ""
	header       map[string]string // more headers; "Host" sets the Host
}

// do sends req and returns the response with its body read. Every response
// is kept for the secret checks.
func (s *e2eServer) do(t *testing.T, req e2eRequest) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	r, err := http.NewRequest(req.method, s.base+req.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if req.authz != "" {
		r.Header.Set("Authorization", req.authz)
	}
	if req.body != "" {
		r.Header.Set("Content-Type", "application/scim+json")
	}
	for k, v := range req.header {
		if strings.EqualFold(k, "Host") {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	resp, err := s.client.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", req.method, req.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.method, req.path, err)
	}
	var rec strings.Builder
	fmt.Fprintf(&rec, "%s %s -> %s\n", req.method, req.path, resp.Status)
	_ = resp.Header.Write(&rec)
	rec.Write(b)
	s.mu.Lock()
	s.responses = append(s.responses, rec.String())
	s.mu.Unlock()
	return resp, b
}

// transcript is every response received so far.
func (s *e2eServer) transcript() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.responses, "\n")
}

// scimError decodes a SCIM error body (RFC 7644 §3.12) and checks its
// schema, its status and the response's Content-Type.
func decodeSCIMError(t *testing.T, resp *http.Response, body []byte, status int) (scimType, detail string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body: %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
		t.Errorf("Content-Type = %q, want application/scim+json", ct)
	}
	var e struct {
		Schemas  []string `json:"schemas"`
		Status   string   `json:"status"`
		ScimType string   `json:"scimType"`
		Detail   string   `json:"detail"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, body)
	}
	if !slices.Equal(e.Schemas, []string{schemas.ErrorURN}) || e.Status != fmt.Sprint(status) {
		t.Errorf("error body = %s, want schemas [%s] and status %q", body, schemas.ErrorURN, fmt.Sprint(status))
	}
	return e.ScimType, e.Detail
}

// userJSON is a SCIM user for userName, with extra top-level members.
func e2eUser(t *testing.T, userName string, extra map[string]any) string {
	t.Helper()
	u := map[string]any{
		"schemas":  []string{schemas.UserURN},
		"userName": userName,
		"name":     map[string]any{"givenName": "Test", "familyName": "User"},
		"emails":   []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"active":   true,
	}
	for k, v := range extra {
		u[k] = v
	}
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// selfSignedCert writes a certificate for 127.0.0.1 and its key as PEM
// files and returns their paths and a pool trusting the certificate.
func selfSignedCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "absorb-scim e2e"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeHardening checks the protections of the HTTP server itself, on a
// server that serves TLS in-process with small request limits.
func TestServeHardening(t *testing.T) {
	t.Parallel()
	fake := startFake(t)
	certFile, keyFile, pool := selfSignedCert(t)
	cfg := baseConfig(t, fake)
	cfg["limits"] = map[string]any{"maxBodyBytes": 4096, "maxPatchOperations": 3}
	const readHeaderTimeout = time.Second
	cfg["http"] = map[string]any{"readHeaderTimeout": readHeaderTimeout.String()}
	s := startServe(t, cfg, "-tls-cert", certFile, "-tls-key", keyFile)
	s.client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	s.waitReady(t)
	authz := "Bearer " + oktaToken
	addr := strings.TrimPrefix(s.base, "https://")

	t.Run("TLS versions", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			min, max uint16
			ok       bool
		}{
			{name: "TLS 1.0", min: tls.VersionTLS10, max: tls.VersionTLS10},
			{name: "TLS 1.1", min: tls.VersionTLS10, max: tls.VersionTLS11},
			{name: "TLS 1.2", min: tls.VersionTLS12, max: tls.VersionTLS12, ok: true},
			{name: "TLS 1.3", min: tls.VersionTLS13, max: tls.VersionTLS13, ok: true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, MinVersion: tc.min, MaxVersion: tc.max})
				if !tc.ok {
					if err == nil {
						conn.Close()
						t.Fatalf("handshake with %s succeeded; want it refused", tc.name)
					}
					if !strings.Contains(err.Error(), "protocol version") {
						t.Errorf("handshake with %s failed with %v; want the server's protocol_version alert", tc.name, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("handshake with %s: %v", tc.name, err)
				}
				defer conn.Close()
				if got := conn.ConnectionState().Version; got != tc.max {
					t.Errorf("negotiated version %x, want %x", got, tc.max)
				}
			})
		}
	})

	t.Run("plain HTTP on the TLS port gets no SCIM answer", func(t *testing.T) {
		resp, err := http.Get("http://" + addr + "/scim/v2/Users")
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("plain HTTP answered %d, want 400 (client sent an HTTP request to an HTTPS server)", resp.StatusCode)
			}
		}
	})

	t.Run("locations come from publicURL, never from Host", func(t *testing.T) {
		hostile := map[string]string{"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
		resp, body := s.do(t, e2eRequest{method: http.MethodPost, path: "/scim/v2/Users", authz: authz,
			body: e2eUser(t, "host.header@example.com", nil), header: hostile})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: status %d: %s", resp.StatusCode, body)
		}
		var created struct {
			ID   string `json:"id"`
			Meta struct {
				Location string `json:"location"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(body, &created); err != nil {
			t.Fatal(err)
		}
		want := e2ePublicURL + "/scim/v2/Users/" + created.ID
		if got := resp.Header.Get("Location"); got != want {
			t.Errorf("Location = %q, want %q", got, want)
		}
		if created.Meta.Location != want {
			t.Errorf("meta.location = %q, want %q", created.Meta.Location, want)
		}
		_, body = s.do(t, e2eRequest{method: http.MethodGet, path: "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "host.header@example.com"`),
			authz: authz, header: hostile})
		if bytes.Contains(body, []byte("evil.example")) || !bytes.Contains(body, []byte(want)) {
			t.Errorf("list answer does not locate the user at %s only: %s", want, body)
		}
	})

	t.Run("body over the limit is 413", func(t *testing.T) {
		big := e2eUser(t, "big@example.com", map[string]any{"title": strings.Repeat("x", 5000)})
		resp, body := s.do(t, e2eRequest{method: http.MethodPost, path: "/scim/v2/Users", authz: authz, body: big})
		decodeSCIMError(t, resp, body, http.StatusRequestEntityTooLarge)
	})

	t.Run("huge header is 431", func(t *testing.T) {
		resp, body := s.do(t, e2eRequest{method: http.MethodGet, path: "/scim/v2/Users", authz: authz,
			header: map[string]string{"X-Padding": strings.Repeat("a", 80<<10)}})
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status = %d, want 431; body: %s", resp.StatusCode, body)
		}
	})

	t.Run("filter over the length limit is 400 invalidFilter", func(t *testing.T) {
		filter := `userName eq "` + strings.Repeat("a", scimdoc.MaxFilterLength) + `"`
		resp, body := s.do(t, e2eRequest{method: http.MethodGet, path: "/scim/v2/Users?filter=" + url.QueryEscape(filter), authz: authz})
		if typ, _ := decodeSCIMError(t, resp, body, http.StatusBadRequest); typ != scimdoc.TypeInvalidFilter {
			t.Errorf("scimType = %q, want %q", typ, scimdoc.TypeInvalidFilter)
		}
	})

	t.Run("PATCH with too many operations is 400", func(t *testing.T) {
		ops := make([]any, 4)
		for i := range ops {
			ops[i] = map[string]any{"op": "replace", "path": "title", "value": fmt.Sprint("t", i)}
		}
		patch, _ := json.Marshal(map[string]any{"schemas": []string{schemas.PatchOpURN}, "Operations": ops})
		resp, body := s.do(t, e2eRequest{method: http.MethodPatch, path: "/scim/v2/Users/00000000-0000-4000-8000-000000000000",
			authz: authz, body: string(patch)})
		_, detail := decodeSCIMError(t, resp, body, http.StatusBadRequest)
		if !strings.Contains(detail, "at most 3") {
			t.Errorf("detail = %q, want it to name the limit of 3", detail)
		}
	})

	t.Run("a client sending headers slowly is cut off", func(t *testing.T) {
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
			t.Fatal(err)
		}
		closed := make(chan time.Duration, 1)
		go func() {
			// The server says nothing until it gives up; then the read ends.
			_, _ = io.Copy(io.Discard, conn)
			closed <- time.Since(start)
		}()
		tick := time.NewTicker(readHeaderTimeout / 10)
		defer tick.Stop()
		deadline := time.After(10 * readHeaderTimeout)
		for i := 0; ; i++ {
			select {
			case d := <-closed:
				if d < readHeaderTimeout/2 {
					t.Errorf("connection closed after %s; want the server to wait for http.readHeaderTimeout (%s) first", d, readHeaderTimeout)
				}
				return
			case <-tick.C:
				// One more header byte, never the blank line that ends them.
				_, _ = fmt.Fprintf(conn, "X-%d: y\r\n", i)
			case <-deadline:
				t.Fatalf("a client trickling headers was still connected after %s: http.readHeaderTimeout is not applied", 10*readHeaderTimeout)
			}
		}
	})
}

// TestConfigProblems checks that `config check` and `serve` refuse a bad
// configuration with one line per problem, each naming its key, and that
// serve then opens no port.
func TestConfigProblems(t *testing.T) {
	t.Parallel()
	fake := &e2eFake{url: "http://127.0.0.1:9"} // never called
	set := func(path string, v any) func(map[string]any) {
		return func(cfg map[string]any) {
			keys := strings.Split(path, ".")
			m := cfg
			for _, k := range keys[:len(keys)-1] {
				next, ok := m[k].(map[string]any)
				if !ok {
					next = map[string]any{}
					m[k] = next
				}
				m = next
			}
			if v == nil {
				delete(m, keys[len(keys)-1])
				return
			}
			m[keys[len(keys)-1]] = v
		}
	}
	token := func(fields map[string]any) func(map[string]any) {
		entry := map[string]any{"name": "second"}
		for k, v := range fields {
			entry[k] = v
		}
		return set("auth.tokens", []any{map[string]any{"name": "okta", "value": oktaToken}, entry})
	}
	// want are the keys of the lines expected, in order. With exact, the
	// output must be exactly those lines; otherwise they must be among them.
	// Problems in the auth section are found twice, by config under their
	// key and by auth.New on one line keyed "auth", so those cases are not
	// exact.
	tests := []struct {
		name  string
		edits []func(map[string]any)
		env   map[string]string
		want  []string
		exact bool
	}{
		{name: "listen", edits: []func(map[string]any){set("listen", "8080")}, want: []string{"listen"}, exact: true},
		{name: "publicURL", edits: []func(map[string]any){set("publicURL", "scim.example.com")}, want: []string{"publicURL"}, exact: true},
		{name: "tls without key", edits: []func(map[string]any){set("tls.cert", "/nonexistent/cert.pem")}, want: []string{"tls", "tls.cert"}, exact: true},
		{name: "trusted proxy", edits: []func(map[string]any){set("trustedProxies", []string{"10.0.0.0/8", "proxy.internal"})}, want: []string{"trustedProxies[1]"}, exact: true},
		{name: "log format", edits: []func(map[string]any){set("log.format", "xml")}, want: []string{"log.format"}, exact: true},
		{name: "log level", edits: []func(map[string]any){set("log.level", "loud")}, want: []string{"log.level"}, exact: true},
		{name: "absorb region", edits: []func(map[string]any){set("absorb.url", nil), set("absorb.region", "mars")}, want: []string{"absorb.region"}, exact: true},
		{name: "absorb url", edits: []func(map[string]any){set("absorb.url", "ftp://absorb")}, want: []string{"absorb.url"}, exact: true},
		{name: "absorb private key", edits: []func(map[string]any){set("absorb.privateKey", nil)}, want: []string{"absorb.privateKey"}, exact: true},
		{name: "absorb password file", edits: []func(map[string]any){set("absorb.password", nil), set("absorb.passwordFile", "/nonexistent/pw")},
			want: []string{"absorb.passwordFile", "absorb.password"}, exact: true},
		{name: "absorb rate", edits: []func(map[string]any){set("absorb.rateLimit", 0)}, want: []string{"absorb.rateLimit"}, exact: true},
		{name: "no auth section", edits: []func(map[string]any){set("auth", nil)}, want: []string{"auth"}, exact: true},
		{name: "token allowCIDRs", edits: []func(map[string]any){token(map[string]any{"value": otherToken, "allowCIDRs": []string{"10.0.0.300/8"}})},
			want: []string{"auth.tokens[1].allowCIDRs"}, exact: true},
		{name: "token without secret", edits: []func(map[string]any){token(nil)}, want: []string{"auth.tokens[1].value"}},
		{name: "token rate", edits: []func(map[string]any){token(map[string]any{"value": otherToken, "ratePerSecond": -1})}, want: []string{"auth.tokens[1].ratePerSecond"}},
		{name: "basic without password", edits: []func(map[string]any){set("auth.basic", []any{map[string]any{"name": "b", "username": "u"}})}, want: []string{"auth.basic[0].password"}},
		{name: "jwt without key", edits: []func(map[string]any){set("auth.jwt", []any{map[string]any{"name": "j", "issuer": "https://i", "audiences": []string{"a"}, "algorithms": []string{"RS256"}}})},
			want: []string{"auth.jwt[0].publicKeyFile"}},
		{name: "entra without tenant", edits: []func(map[string]any){set("auth.entra", []any{map[string]any{"name": "e"}})}, want: []string{"auth.entra[0].tenantId"}},
		{name: "environment token too short", env: map[string]string{"ABSORB_SCIM_TOKEN": "short"}, want: []string{"auth.tokens[1].value"}},
		{name: "malformed token hash", edits: []func(map[string]any){token(map[string]any{"hash": "sha256:abc"})}, want: []string{"auth.tokens[1].hash"}, exact: true},
		{name: "short HMAC secret", edits: []func(map[string]any){set("auth.jwt", []any{map[string]any{"name": "j", "issuer": "https://i", "audiences": []string{"a"}, "algorithms": []string{"HS256"}, "secret": "too-short"}})},
			want: []string{"auth.jwt[0].secret"}, exact: true},
		{name: "mapping password", edits: []func(map[string]any){set("mapping.password", "plain")}, want: []string{"mapping.password"}},
		{name: "body limit", edits: []func(map[string]any){set("limits.maxBodyBytes", 10)}, want: []string{"limits.maxBodyBytes"}, exact: true},
		{name: "patch limit", edits: []func(map[string]any){set("limits.maxPatchOperations", -1)}, want: []string{"limits.maxPatchOperations"}, exact: true},
		{name: "sync interval", edits: []func(map[string]any){set("sync.interval", "10ms")}, want: []string{"sync.interval"}, exact: true},
		{name: "several at once", edits: []func(map[string]any){set("listen", "x"), set("log.format", "xml"), set("absorb.username", nil)},
			want: []string{"listen", "log.format", "absorb.username"}, exact: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := baseConfig(t, fake)
			port := unusedAddr(t)
			cfg["listen"] = port
			for _, edit := range tc.edits {
				edit(cfg)
			}
			path := writeConfig(t, cfg)
			getenv := func(k string) string { return tc.env[k] }

			var stdout, stderr lockedBuffer
			err := run(context.Background(), []string{"config", "check", "-config", path}, getenv, &stdout, &stderr)
			if !errors.Is(err, errUsage) {
				t.Fatalf("config check returned %v, want errUsage (exit 1, problems printed)", err)
			}
			if stdout.String() != "" {
				t.Errorf("config check printed on stdout: %q", stdout.String())
			}
			checkProblemLines(t, stderr.String(), tc.want, tc.exact)
			for _, secret := range []string{e2ePrivateKey, e2eAdminPassword, oktaToken, otherToken, "too-short"} {
				if strings.Contains(stderr.String(), secret) {
					t.Errorf("the problems show the secret %q:\n%s", secret, stderr.String())
				}
			}

			// serve refuses the same file with the same lines, before listening.
			serveArgs := []string{"serve", "-config", path}
			var serveErr lockedBuffer
			// A serve that wrongly starts stops when ctx ends, and fails below.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = run(ctx, serveArgs, getenv, io.Discard, &serveErr)
			if !errors.Is(err, errUsage) {
				t.Fatalf("serve returned %v, want errUsage; stderr:\n%s", err, serveErr.String())
			}
			if diff := serveErr.String(); diff != stderr.String() {
				t.Errorf("serve printed\n%s\nconfig check printed\n%s", diff, stderr.String())
			}
			if conn, err := net.DialTimeout("tcp", port, time.Second); err == nil {
				conn.Close()
				t.Errorf("something listens on %s after serve refused its configuration", port)
			}
		})
	}

	t.Run("misspelt key", func(t *testing.T) {
		t.Parallel()
		cfg := baseConfig(t, fake)
		cfg["auth"] = map[string]any{"token": []any{map[string]any{"name": "okta", "value": oktaToken}}}
		path := writeConfig(t, cfg)
		for _, cmd := range [][]string{{"config", "check"}, {"serve"}} {
			var stdout, stderr lockedBuffer
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := run(ctx, append(cmd, "-config", path), emptyEnv, &stdout, &stderr)
			cancel()
			if err == nil || !strings.Contains(stderr.String(), `auth.token: unknown key`) {
				t.Errorf("%s with auth.token instead of auth.tokens: err %v, stderr %q, want it to name the unknown key", cmd[0], err, stderr.String())
			}
			if strings.Contains(stderr.String(), "absorb-scim serving") {
				t.Errorf("%s started serving with a misspelt auth section", cmd[0])
			}
		}
	})

	t.Run("valid", func(t *testing.T) {
		t.Parallel()
		var stdout, stderr lockedBuffer
		err := run(context.Background(), []string{"config", "check", "-config", writeConfig(t, baseConfig(t, fake))}, emptyEnv, &stdout, &stderr)
		if err != nil || stdout.String() != "configuration is valid\n" || stderr.String() != "" {
			t.Errorf("config check of a valid file: err %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
		}
	})
}

// checkProblemLines checks that every line of out is "absorb-scim: config:
// <key>: <problem>" and that the wanted keys have lines, in order: exactly
// those lines when exact is set.
func checkProblemLines(t *testing.T, out string, want []string, exact bool) {
	t.Helper()
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		rest, ok := strings.CutPrefix(l, "absorb-scim: config: ")
		key, msg, ok2 := strings.Cut(rest, ": ")
		if !ok || !ok2 || msg == "" {
			t.Errorf("line %q is not \"absorb-scim: config: <key>: <problem>\"", l)
			continue
		}
		got = append(got, key)
	}
	if exact {
		if !slices.Equal(got, want) {
			t.Errorf("problem keys = %q, want exactly %q; output:\n%s", got, want, out)
		}
		return
	}
	rest := got
	for _, k := range want {
		i := slices.Index(rest, k)
		if i < 0 {
			t.Errorf("problem keys = %q, want %q among them in order; output:\n%s", got, want, out)
			return
		}
		rest = rest[i+1:]
	}
}

// unusedAddr returns a loopback address nothing listens on.
func unusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
