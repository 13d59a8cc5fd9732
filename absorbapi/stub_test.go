package absorbapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Credentials the stub servers expect.
const (
	stubKey      = "stub-private-key-0001"
	stubUser     = "stub-admin"
	stubPassword = "stub-password-0001"
)

// stub is a small Absorb stand-in for unit tests: it answers POST
// /authenticate with a new token each time ("tok-1", "tok-2", …) and hands
// every other request, with the token it carried, to route.
type stub struct {
	mu     sync.Mutex
	logins int
	token  string
	route  func(w http.ResponseWriter, r *http.Request, token string)
	// loginAnswer, if set, writes the login answer instead of a JSON string.
	loginAnswer func(w http.ResponseWriter, token string)
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/authenticate" {
		var in struct{ Username, Password, PrivateKey string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		if in.Username != stubUser || in.Password != stubPassword || in.PrivateKey != stubKey {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Invalid username or password."})
			return
		}
		s.mu.Lock()
		s.logins++
		s.token = fmt.Sprintf("tok-%d", s.logins)
		tok := s.token
		s.mu.Unlock()
		if s.loginAnswer != nil {
			s.loginAnswer(w, tok)
			return
		}
		writeJSON(w, http.StatusOK, tok)
		return
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.route(w, r, tok)
}

func (s *stub) loginCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// newStubClient serves s and returns a Client for it with fast backoff and
// no client-side rate limit; mod adjusts the config.
func newStubClient(t *testing.T, s http.Handler, mod func(*Config)) *Client {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	cfg := Config{
		BaseURL:    ts.URL,
		PrivateKey: stubKey,
		Username:   stubUser,
		Password:   stubPassword,
		RateLimit:  -1,
		MinBackoff: time.Millisecond,
		MaxBackoff: 4 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// assertNoSecrets fails when err's text holds a credential or a stub token.
func assertNoSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{stubKey, stubPassword, "tok-"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains secret %q", err, s)
		}
	}
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}
