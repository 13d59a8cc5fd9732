package absorbapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewValidatesConfig(t *testing.T) {
	base := Config{BaseURL: "us", PrivateKey: "k-123456", Username: "u", Password: "pw-secret-1"}
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string // "" for success
	}{
		{name: "ok", mod: func(*Config) {}},
		{name: "missing key", mod: func(c *Config) { c.PrivateKey = "" }, wantErr: "missing private key"},
		{name: "missing all credentials", mod: func(c *Config) { c.PrivateKey, c.Username, c.Password = "", "", "" }, wantErr: "missing private key, username, password"},
		{name: "missing password", mod: func(c *Config) { c.Password = "" }, wantErr: "missing password"},
		{name: "bad region", mod: func(c *Config) { c.BaseURL = "narnia" }, wantErr: "unknown region"},
		{name: "no base url", mod: func(c *Config) { c.BaseURL = "" }, wantErr: "empty"},
		{name: "margin beyond ttl", mod: func(c *Config) { c.TokenTTL = time.Minute; c.RefreshMargin = time.Hour }, wantErr: "refresh margin"},
		{name: "backoff bounds", mod: func(c *Config) { c.MinBackoff = time.Second; c.MaxBackoff = time.Millisecond }, wantErr: "backoff"},
		{name: "page size", mod: func(c *Config) { c.ScanPageSize = 5000 }, wantErr: "page size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.mod(&cfg)
			c, err := New(cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if c.cfg.APIVersion != "2" || c.cfg.MaxAttempts != 8 || c.cfg.Burst != 100 || c.limiter == nil {
					t.Errorf("defaults not applied: %+v", c.cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want it to mention %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "pw-secret-1") || strings.Contains(err.Error(), "k-123456") {
				t.Errorf("error %q contains a secret", err)
			}
		})
	}
}

func TestRequestHeaders(t *testing.T) {
	type seen struct {
		Path, Key, Version, Accept, ContentType, Authorization string
	}
	var (
		mu    sync.Mutex
		got   []seen
		login map[string]string
	)
	record := func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, seen{
			Path: r.URL.Path, Key: r.Header.Get("x-api-key"), Version: r.Header.Get("x-api-version"),
			Accept: r.Header.Get("Accept"), ContentType: r.Header.Get("Content-Type"),
			Authorization: r.Header.Get("Authorization"),
		})
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		if r.URL.Path == "/authenticate" {
			if err := json.NewDecoder(r.Body).Decode(&login); err != nil {
				t.Errorf("decode login body: %v", err)
			}
			writeJSON(w, http.StatusOK, "tok-1")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": "u1", "username": "jdoe", "activeStatus": "Inactive"})
	})
	c := newStubClient(t, h, func(c *Config) { c.APIVersion = "1" })
	u, err := c.GetUser(context.Background(), "u1")
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if u.Username != "jdoe" || u.Active() {
		t.Errorf("GetUser = %+v, want jdoe inactive", u)
	}
	want := []seen{
		{Path: "/authenticate", Key: stubKey, Version: "1", Accept: "application/json", ContentType: "application/json"},
		{Path: "/users/u1", Key: stubKey, Version: "1", Accept: "application/json", ContentType: "application/json", Authorization: "Bearer tok-1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
	wantLogin := map[string]string{"username": stubUser, "password": stubPassword, "privateKey": stubKey}
	if diff := cmp.Diff(wantLogin, login); diff != "" {
		t.Errorf("login body mismatch (-want +got):\n%s", diff)
	}
}

func TestLoginAnswerShapes(t *testing.T) {
	tests := []struct {
		name    string
		write   func(w http.ResponseWriter, token string)
		wantErr bool
	}{
		{name: "bare json string", write: func(w http.ResponseWriter, tok string) { writeJSON(w, 200, tok) }},
		{name: "token object", write: func(w http.ResponseWriter, tok string) {
			writeJSON(w, 200, map[string]string{"token": tok, "expiresAt": "2025-02-25T08:00:00Z"})
		}},
		{name: "pascal case object", write: func(w http.ResponseWriter, tok string) { writeJSON(w, 200, map[string]string{"Token": tok}) }},
		{name: "plain text", write: func(w http.ResponseWriter, tok string) { fmt.Fprint(w, tok) }},
		{name: "object without token", write: func(w http.ResponseWriter, _ string) { writeJSON(w, 200, map[string]string{}) }, wantErr: true},
		{name: "empty", write: func(http.ResponseWriter, string) {}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &stub{loginAnswer: tt.write}
			var gotAuth atomic.Value
			s.route = func(w http.ResponseWriter, r *http.Request, tok string) {
				gotAuth.Store(r.Header.Get("Authorization"))
				writeJSON(w, 200, map[string]any{"id": "u1"})
			}
			c := newStubClient(t, s, nil)
			_, err := c.GetUser(context.Background(), "u1")
			if tt.wantErr {
				if err == nil {
					t.Fatal("GetUser succeeded, want a login error")
				}
				assertNoSecrets(t, err)
				return
			}
			if err != nil {
				t.Fatalf("GetUser: %v", err)
			}
			if got := gotAuth.Load(); got != "Bearer tok-1" {
				t.Errorf("Authorization = %v, want Bearer tok-1", got)
			}
		})
	}
}

func TestLoginRefused(t *testing.T) {
	s := &stub{route: func(w http.ResponseWriter, r *http.Request, tok string) { t.Error("request sent without a login") }}
	c := newStubClient(t, s, func(c *Config) { c.Password = "wrong-password-77" })
	err := c.Login(context.Background())
	if !IsUnauthorized(err) {
		t.Fatalf("Login error = %v, want unauthorized", err)
	}
	if strings.Contains(err.Error(), "wrong-password-77") || strings.Contains(err.Error(), stubKey) {
		t.Errorf("error %q contains a secret", err)
	}
}

// TestStatusMapping checks the error each answer becomes and how many
// attempts it costs.
func TestStatusMapping(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		body         string
		check        func(error) bool
		wantAttempts int
	}{
		{name: "404", status: 404, body: `{"error":{"message":"The specified resource could not be found"}}`, check: IsNotFound, wantAttempts: 1},
		{
			// A body Absorb could not bind: the caller's data, never an unknown id.
			name: "422 model error is a validation error", status: 422, wantAttempts: 1,
			body: `{"code":422,"message":"Submitted resource cannot be processed due to semantic errors","validations":{"0":[{"message":"Request Model Validation Error"},{"message":"The value 'x' is not valid for DateHired."}]}}`,
			check: func(err error) bool {
				var ve *ValidationError
				return errors.As(err, &ve) && ve.Unbound && errors.Is(err, ErrRequestModel) && !IsNotFound(err) &&
					cmp.Equal(ve.Messages, []string{"Request Model Validation Error", "The value 'x' is not valid for DateHired."})
			},
		},
		{
			name: "422 field errors", status: 422, wantAttempts: 1,
			body: `{"code":422,"message":"Submitted resource cannot be processed due to semantic errors","validations":{"0":[{"message":"The LastName field is required."}]}}`,
			check: func(err error) bool {
				var ve *ValidationError
				return errors.As(err, &ve) && ve.Status == 422 && !errors.Is(err, ErrRequestModel) && cmp.Equal(ve.Messages, []string{"The LastName field is required."})
			},
		},
		{name: "400", status: 400, body: `{"Message":"The request is invalid."}`, check: IsValidation, wantAttempts: 1},
		{name: "403 quoting the token", status: 403, body: `{"message":"not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer tok-1'."}`, check: IsForbidden, wantAttempts: 1},
		{name: "409 unexpected", status: 409, body: `{"message":"conflict"}`, wantAttempts: 1, check: func(err error) bool {
			var re *ResponseError
			return errors.As(err, &re) && re.Status == 409
		}},
		{name: "429 until the end", status: 429, body: `{"message":"Too Many Requests"}`, wantAttempts: 4, check: func(err error) bool {
			var re *RateLimitError
			return errors.As(err, &re) && re.Attempts == 4
		}},
		{name: "503 until the end", status: 503, body: `{"message":"Service Unavailable tok-1 ` + stubKey + `"}`, wantAttempts: 4, check: func(err error) bool {
			var ue *UnavailableError
			return errors.As(err, &ue) && ue.Attempts == 4 && ue.Status == 503
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			s := &stub{route: func(w http.ResponseWriter, r *http.Request, tok string) {
				calls.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}}
			c := newStubClient(t, s, func(c *Config) { c.MaxAttempts = 4 })
			_, err := c.GetUser(context.Background(), "u1")
			if err == nil || !tt.check(err) {
				t.Fatalf("GetUser error = %v (%T), not the expected kind", err, errors.Unwrap(err))
			}
			assertNoSecrets(t, err)
			if got := int(calls.Load()); got != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.wantAttempts)
			}
		})
	}
}

func TestRetryThenSuccess(t *testing.T) {
	var calls atomic.Int32
	s := &stub{route: func(w http.ResponseWriter, r *http.Request, tok string) {
		switch calls.Add(1) {
		case 1:
			writeJSON(w, 503, map[string]string{"message": "Service Unavailable"})
		case 2:
			writeJSON(w, 429, map[string]string{"message": "Too Many Requests"})
		default:
			writeJSON(w, 200, map[string]any{"id": "u1", "activeStatus": 0})
		}
	}}
	c := newStubClient(t, s, nil)
	u, err := c.GetUser(context.Background(), "u1")
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if u.ID != "u1" || !u.Active() {
		t.Errorf("GetUser = %+v", u)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("attempts = %d, want 3", got)
	}
}

func TestPostNotRepeatedAfterAmbiguousFailure(t *testing.T) {
	var calls atomic.Int32
	s := &stub{route: func(w http.ResponseWriter, r *http.Request, tok string) {
		calls.Add(1)
		writeJSON(w, 502, map[string]string{"message": "Bad Gateway"})
	}}
	c := newStubClient(t, s, nil)
	req, err := c.NewRequest(context.Background(), http.MethodPost, "/things", nil, map[string]int{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(req, nil)
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Attempts != 1 || ue.Status != 502 {
		t.Fatalf("Do error = %v, want UnavailableError after 1 attempt", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("POSTs = %d, want 1", got)
	}
}

func TestUnauthorizedAfterRelogin(t *testing.T) {
	var calls atomic.Int32
	s := &stub{route: func(w http.ResponseWriter, r *http.Request, tok string) {
		calls.Add(1)
		writeJSON(w, 401, map[string]string{"message": "Authorization has been denied for this request."})
	}}
	c := newStubClient(t, s, nil)
	_, err := c.GetUser(context.Background(), "u1")
	if !IsUnauthorized(err) {
		t.Fatalf("GetUser error = %v, want unauthorized", err)
	}
	if got, want := calls.Load(), int32(2); got != want {
		t.Errorf("GETs = %d, want %d (one retry after the re-login)", got, want)
	}
	if got := s.loginCount(); got != 2 {
		t.Errorf("logins = %d, want 2", got)
	}
}

func TestPathSegmentsEscaped(t *testing.T) {
	var got atomic.Value
	s := &stub{route: func(w http.ResponseWriter, r *http.Request, tok string) {
		got.Store(r.URL.EscapedPath())
		writeJSON(w, 200, map[string]any{"id": "x"})
	}}
	c := newStubClient(t, s, nil)
	if _, err := c.GetUser(context.Background(), "a/b c?d"); err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if want := "/users/a%2Fb%20c%3Fd"; got.Load() != want {
		t.Errorf("path = %v, want %s", got.Load(), want)
	}
	if _, err := c.GetUser(context.Background(), ""); err == nil {
		t.Error("GetUser with an empty id succeeded")
	}
}

func TestBackoffNeverSleepsPastDeadline(t *testing.T) {
	var calls atomic.Int32
	s := &stub{route: func(w http.ResponseWriter, r *http.Request, tok string) {
		calls.Add(1)
		writeJSON(w, 503, map[string]string{"message": "Service Unavailable"})
	}}
	tests := []struct {
		name      string
		backoff   time.Duration
		deadline  time.Duration
		wantCalls int32
		wantFast  bool
	}{
		// The first sleep would pass the deadline: give up at once rather
		// than wait for the deadline.
		{name: "sleep longer than the time left", backoff: 10 * time.Second, deadline: 2 * time.Second, wantCalls: 1, wantFast: true},
		// Sleeps that fit are taken until the next would not fit: 300ms
		// holds 7 sleeps of 40ms, so at most 8 attempts.
		{name: "sleeps that fit", backoff: 40 * time.Millisecond, deadline: 300 * time.Millisecond, wantCalls: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newStubClient(t, s, func(c *Config) {
				c.MinBackoff, c.MaxBackoff, c.MaxAttempts = tt.backoff, tt.backoff, 100
			})
			c.jitter = func(ceil time.Duration) time.Duration { return ceil }
			if err := c.Login(context.Background()); err != nil {
				t.Fatal(err)
			}
			calls.Store(0)
			ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
			defer cancel()
			start := time.Now()
			_, err := c.GetUser(ctx, "u1")
			elapsed := time.Since(start)
			var ue *UnavailableError
			if !errors.As(err, &ue) {
				t.Fatalf("GetUser error = %v, want unavailable", err)
			}
			if tt.wantFast {
				if ue.Status != 503 {
					t.Errorf("GetUser error = %v, want the 503 itself", err)
				}
				if elapsed > tt.deadline/2 {
					t.Errorf("GetUser took %v; it should not wait for a deadline it cannot beat", elapsed)
				}
			}
			if elapsed > tt.deadline+time.Second {
				t.Errorf("GetUser took %v with a %v deadline", elapsed, tt.deadline)
			}
			if got := calls.Load(); got > tt.wantCalls || (tt.wantFast && got != tt.wantCalls) {
				t.Errorf("attempts = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestLimiterWaitBoundedByDeadline(t *testing.T) {
	var calls atomic.Int32
	s := &stub{route: func(w http.ResponseWriter, r *http.Request, tok string) {
		calls.Add(1)
		writeJSON(w, 200, map[string]any{"id": "u1"})
	}}
	// One request every 10s: after the login the next must wait 10s.
	c := newStubClient(t, s, func(c *Config) { c.RateLimit, c.Burst = 0.1, 1 })
	if err := c.Login(context.Background()); err != nil { // takes the one token
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.GetUser(ctx, "u1")
	if !errors.Is(err, context.DeadlineExceeded) || !IsUnavailable(err) {
		t.Fatalf("GetUser error = %v, want unavailable wrapping the deadline", err)
	}
	if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
		t.Errorf("GetUser waited %v for a wait it could not finish", elapsed)
	}
	if calls.Load() != 0 {
		t.Errorf("request sent despite the limiter")
	}
}

type recordingObserver struct {
	mu       sync.Mutex
	requests []string
	logins   []bool
	waits    int
	callers  []any // the observerKey value of each request's context
}

// observerKey marks the context of the call under test.
type observerKey struct{}

func (o *recordingObserver) ObserveRequest(ctx context.Context, method, endpoint string, status int, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests = append(o.requests, fmt.Sprintf("%s %s %d", method, endpoint, status))
	o.callers = append(o.callers, ctx.Value(observerKey{}))
}

func (o *recordingObserver) ObserveLogin(refresh bool, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.logins = append(o.logins, refresh)
}

func (o *recordingObserver) ObserveLimiterWait(time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.waits++
}

func TestObserver(t *testing.T) {
	var calls atomic.Int32
	s := &stub{}
	s.route = func(w http.ResponseWriter, r *http.Request, tok string) {
		if calls.Add(1) == 1 {
			writeJSON(w, 401, map[string]string{"message": "denied"})
			return
		}
		writeJSON(w, 200, map[string]any{"id": "u1"})
	}
	obs := &recordingObserver{}
	c := newStubClient(t, s, func(c *Config) { c.Observer, c.RateLimit = obs, 1000 })
	ctx := context.WithValue(context.Background(), observerKey{}, "request-1")
	if _, err := c.GetUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	wantReq := []string{"POST /authenticate 200", "GET /users/{id} 401", "POST /authenticate 200", "GET /users/{id} 200"}
	if diff := cmp.Diff(wantReq, obs.requests); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
	// Every attempt, the logins included, is reported with the caller's context.
	if diff := cmp.Diff([]any{"request-1", "request-1", "request-1", "request-1"}, obs.callers); diff != "" {
		t.Errorf("contexts mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]bool{false, true}, obs.logins); diff != "" {
		t.Errorf("logins mismatch (-want +got):\n%s", diff)
	}
	if obs.waits != 4 {
		t.Errorf("limiter waits = %d, want 4", obs.waits)
	}
}
