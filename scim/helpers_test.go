package scim

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// testBase is the public URL the test servers claim; requests go to the
// httptest address, so any location built from Host would not match it.
const testBase = "https://scim.example.com/scim/v2"

// env is a Server mounted under /scim/v2 as main mounts it, over real HTTP,
// with the in-memory backend and a captured log.
type env struct {
	srv  *httptest.Server
	mem  *memory
	logs *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newEnv(t testing.TB, change ...func(*Options)) *env {
	t.Helper()
	e := &env{mem: newMemory(), logs: &syncBuffer{}}
	opts := Options{
		BaseURL: testBase,
		Users:   e.mem,
		Groups:  e.mem,
		Logger:  slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range change {
		f(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", s))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// reply is a response read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// object decodes the body as a JSON object.
func (r reply) object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// escapeQuery percent-encodes the query of a path written the way a person
// reads it (spaces and quotes unescaped), keeping what is already encoded.
func escapeQuery(path string) string {
	p, q, ok := strings.Cut(path, "?")
	if !ok {
		return path
	}
	var parts []string
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil && !strings.Contains(v, "+") {
			v = uv
		}
		if v == "" && !strings.Contains(kv, "=") {
			parts = append(parts, url.QueryEscape(k))
			continue
		}
		parts = append(parts, url.QueryEscape(k)+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
	}
	return p + "?" + strings.Join(parts, "&")
}

// do sends one request under /scim/v2. headers are name, value pairs; a
// body gets Content-Type application/scim+json unless headers set one (an
// empty value sends none).
func (e *env) do(t testing.TB, method, path, body string, headers ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/scim/v2"+escapeQuery(path), rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("User-Agent", "")
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], "Host") {
			req.Host = headers[i+1]
			continue
		}
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// expect checks the status and, for answers with a body, the SCIM content
// type, and returns the body as an object (nil for 204 and 304).
func expect(t testing.TB, r reply, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if status == http.StatusNoContent || status == http.StatusNotModified {
		if len(r.body) != 0 {
			t.Fatalf("%d answer has a body: %s", status, r.body)
		}
		return nil
	}
	if got := r.header.Get("Content-Type"); got != contentType {
		t.Fatalf("Content-Type = %q, want %q", got, contentType)
	}
	return r.object(t)
}

// anyType makes expectError accept any scimType.
const anyType = "*"

// expectError checks a SCIM error answer (RFC 7644 §3.12) and returns its
// detail. scimType "" requires none; anyType accepts any.
func expectError(t testing.TB, r reply, status int, scimType string) string {
	t.Helper()
	m := expect(t, r, status)
	if got, want := m["schemas"], []any{"urn:ietf:params:scim:api:messages:2.0:Error"}; !equalJSON(got, want) {
		t.Errorf("schemas = %v, want %v", got, want)
	}
	if got, want := m["status"], itoa(status); got != want {
		t.Errorf("status field = %#v, want %q", got, want)
	}
	got, present := m["scimType"]
	switch {
	case scimType == "" && present:
		t.Errorf("scimType = %v, want it omitted", got)
	case scimType != "" && scimType != anyType && got != scimType:
		t.Errorf("scimType = %v, want %q", got, scimType)
	}
	detail, _ := m["detail"].(string)
	if detail == "" {
		t.Errorf("detail is empty: %s", r.body)
	}
	return detail
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// createUser posts a user and returns its id.
func (e *env) createUser(t testing.TB, body string) string {
	t.Helper()
	m := expect(t, e.do(t, http.MethodPost, "/Users", body), http.StatusCreated)
	id, _ := m["id"].(string)
	if id == "" {
		t.Fatalf("created user has no id: %v", m)
	}
	return id
}

// createGroup posts a group and returns its id.
func (e *env) createGroup(t testing.TB, body string) string {
	t.Helper()
	m := expect(t, e.do(t, http.MethodPost, "/Groups", body), http.StatusCreated)
	id, _ := m["id"].(string)
	if id == "" {
		t.Fatalf("created group has no id: %v", m)
	}
	return id
}

// userJSON is a minimal user document.
func userJSON(userName string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":` + quote(userName) + `,"active":true}`
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
