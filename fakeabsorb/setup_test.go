package fakeabsorb

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake is a Server behind a real HTTP listener.
type fake struct {
	t   *testing.T
	srv *Server
	url string
}

// setup starts a Server with opts. Unless opts says otherwise, the rate limit
// is off so tests are not throttled.
func setup(t *testing.T, opts Options) *fake {
	t.Helper()
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &fake{t: t, srv: s, url: ts.URL}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// send makes one request with the private key and, if token is not empty,
// "Authorization: Bearer <token>". body may be nil, a string (sent as is) or a
// value encoded as JSON.
func (f *fake) send(method, path, token string, body any) response {
	f.t.Helper()
	req := f.request(method, path, body)
	req.Header.Set("x-api-key", PrivateKey)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return f.roundTrip(req)
}

func (f *fake) request(method, path string, body any) *http.Request {
	f.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			f.t.Fatalf("encode body: %v", err)
		}
		r = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, f.url+path, r)
	if err != nil {
		f.t.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func (f *fake) roundTrip(req *http.Request) response {
	f.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		f.t.Fatalf("read body: %v", err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// login authenticates an admin and returns its token.
func (f *fake) login(username string) string {
	f.t.Helper()
	res := f.send("POST", "/authenticate", "", map[string]string{
		"username": username, "password": AdminPassword, "privateKey": PrivateKey,
	})
	if res.status != http.StatusOK {
		f.t.Fatalf("login %s: status %d: %s", username, res.status, res.body)
	}
	var tok string
	if err := json.Unmarshal(res.body, &tok); err != nil {
		f.t.Fatalf("login %s: token is not a JSON string: %s", username, res.body)
	}
	return tok
}

// want checks the status of a response.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// object decodes a JSON object body.
func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// message returns the "message" (or "Message") of an error body.
func (r response) message(t *testing.T) string {
	t.Helper()
	m := r.object(t)
	if s, ok := m["message"].(string); ok {
		return s
	}
	s, _ := m["Message"].(string)
	return s
}

// validations returns the messages of a 422 validations body.
func (r response) validations(t *testing.T) []string {
	t.Helper()
	var body struct {
		Code        int                            `json:"code"`
		Validations map[string][]map[string]string `json:"validations"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("not a validation body: %v: %s", err, r.body)
	}
	var out []string
	for _, v := range body.Validations["0"] {
		out = append(out, v["message"])
	}
	return out
}

// items returns the items under key of a list envelope.
func (r response) items(t *testing.T, key string) []map[string]any {
	t.Helper()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("not an envelope: %v: %s", err, r.body)
	}
	var items []map[string]any
	if err := json.Unmarshal(env[key], &items); err != nil {
		t.Fatalf("envelope key %q: %v: %s", key, err, r.body)
	}
	return items
}

// column returns one string field of every item.
func column(items []map[string]any, name string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it[name].(string)
	}
	return out
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newUser is a valid POST /users body.
func newUser(username, dept string) map[string]any {
	email := username + "@example.org"
	if strings.Contains(username, "@") {
		email = username
	}
	return map[string]any{
		"username":     username,
		"password":     "Str0ng!pass",
		"departmentId": dept,
		"firstName":    "New",
		"lastName":     "Person",
		"emailAddress": email,
	}
}

// seedUsernames lists the seeded users in default order.
func seedUsernames() []string {
	return []string{
		BridgeAdminUsername, AuditorUsername, ScopedAdminUsername,
		"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com",
	}
}
