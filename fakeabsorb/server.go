package fakeabsorb

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of Options.
const (
	DefaultTokenTTL  = 4 * time.Hour
	DefaultRateLimit = 200.0
	DefaultBurst     = 100
)

// maxBodyBytes bounds a request body.
const maxBodyBytes = 8 << 20

// Options configure a Server. The zero value gives Absorb's documented
// defaults and no faults.
type Options struct {
	Now       func() time.Time // clock for token expiry and record dates; nil means time.Now
	TokenTTL  time.Duration    // lifetime of a token; 0 means DefaultTokenTTL (4h)
	RateLimit float64          // requests per second over all callers; 0 means DefaultRateLimit (200); negative means unlimited
	Burst     int              // token bucket size; 0 or less means DefaultBurst (100)
	Faults    string           // fault spec (see ParseFaults); "" means none
	RandSeed  int64            // seed for fault decisions; 0 means time-based
	Variants  Variants         // how open behaviours are played; the zero value is every default
}

// Server is the fake Absorb Integration API, an http.Handler. It is safe for
// concurrent use.
type Server struct {
	now      func() time.Time
	tokenTTL time.Duration
	variants Variants // normalized: no field empty
	api      *http.ServeMux
	control  *http.ServeMux

	mu      sync.Mutex
	limiter *rate.Limiter
	st      *store
	tokens  map[string]session // token → session
	current map[string]string  // admin user id → its one valid token
	faults  Faults
	rng     *rand.Rand
	stats   Stats
}

// New returns a Server holding the seed data (see README.md). It returns an
// error wrapping ErrBadFaults when opts.Faults is not a valid spec, and one
// wrapping ErrBadVariants when opts.Variants names an unknown value.
func New(opts Options) (*Server, error) {
	f, err := ParseFaults(opts.Faults)
	if err != nil {
		return nil, err
	}
	variants, err := opts.Variants.normalized()
	if err != nil {
		return nil, err
	}
	s := &Server{
		now:      opts.Now,
		tokenTTL: opts.TokenTTL,
		variants: variants,
		api:      http.NewServeMux(),
		control:  http.NewServeMux(),
		st:       newStore(),
		tokens:   map[string]session{},
		current:  map[string]string{},
		faults:   f,
		stats:    Stats{Requests: map[string]int{}},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.tokenTTL <= 0 {
		s.tokenTTL = DefaultTokenTTL
	}
	seed := opts.RandSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	s.rng = rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
	s.limiter = newLimiter(opts.RateLimit, opts.Burst)
	seedStore(s.st)
	s.routes()
	s.controlRoutes()
	return s, nil
}

func newLimiter(perSecond float64, burst int) *rate.Limiter {
	if perSecond == 0 {
		perSecond = DefaultRateLimit
	}
	if burst <= 0 {
		burst = DefaultBurst
	}
	if perSecond < 0 {
		return rate.NewLimiter(rate.Inf, burst)
	}
	return rate.NewLimiter(rate.Limit(perSecond), burst)
}

// SetRateLimit replaces the rate limiter with a full bucket of burst tokens
// refilled at perSecond, with the same zero and negative meanings as
// Options.RateLimit and Options.Burst.
func (s *Server) SetRateLimit(perSecond float64, burst int) {
	l := newLimiter(perSecond, burst)
	s.mu.Lock()
	s.limiter = l
	s.mu.Unlock()
}

// Variants returns the behaviours the server plays, every field set.
func (s *Server) Variants() Variants { return s.variants }

// Users returns a copy of every user of the portal, whatever any admin's
// scope, in Absorb's default order (dateAdded, then id).
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.st.users))
	for _, u := range s.st.users {
		out = append(out, *u.clone())
	}
	return ordered(out, func(u User) (time.Time, string) { return u.DateAdded, u.ID })
}

// ServeHTTP answers the Integration API and, under /_fake/, the control routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_fake" || strings.HasPrefix(r.URL.Path, "/_fake/") {
		s.control.ServeHTTP(w, r)
		return
	}
	s.api.ServeHTTP(w, r)
}

// access says what a route requires before its handler runs.
type access int

const (
	accessNone  access = iota // the gateway's own answers: nothing required
	accessKey                 // x-api-key only (POST /authenticate)
	accessToken               // x-api-key and a valid token
)

// call is one API request as a handler sees it; handlers run with s.mu held.
type call struct {
	r    *http.Request
	body []byte
	who  caller
	now  time.Time // the clock, truncated to what the wire's dates show, for record dates
}

func (c *call) query() query { return query(c.r.URL.Query()) }

type handlerFunc func(c *call) reply

// handle registers an API route; key names it in Stats.
func (s *Server) handle(pattern, key string, a access, h handlerFunc) {
	s.api.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, key, a, h)
	})
}

func (s *Server) routes() {
	s.handle("POST /authenticate", "POST /authenticate", accessKey, s.authenticate)

	s.handle("GET /users", "GET /users", accessToken, s.listUsers)
	s.handle("POST /users", "POST /users", accessToken, s.createUser)
	s.handle("GET /users/{id}", "GET /users/{id}", accessToken, s.getUser)
	s.handle("PUT /users/{id}", "PUT /users/{id}", accessToken, s.replaceUser)
	s.handle("POST /users/upload", "POST /users/upload", accessToken, s.uploadUsers)
	s.handle("POST /users/upload/{$}", "POST /users/upload", accessToken, s.uploadUsers)

	s.handle("GET /users/{id}/enrollments", "GET /users/{id}/enrollments", accessToken, s.listEnrollments)
	s.handle("GET /users/{id}/enrollments/{courseId}", "GET /users/{id}/enrollments/{courseId}", accessToken, s.getEnrollment)
	s.handle("POST /users/{id}/enrollments/{courseId}", "POST /users/{id}/enrollments/{courseId}", accessToken, s.enroll)
	s.handle("POST /enrollments/unenroll", "POST /enrollments/unenroll", accessToken, s.unenroll)

	s.handle("GET /departments", "GET /departments", accessToken, s.listDepartments)
	s.handle("POST /departments", "POST /departments", accessToken, s.saveDepartment)
	s.handle("GET /departments/{id}", "GET /departments/{id}", accessToken, s.getDepartment)

	s.handle("GET /groups", "GET /groups", accessToken, s.listGroups)
	s.handle("GET /groups/{id}", "GET /groups/{id}", accessToken, s.getGroup)

	s.handle("GET /courses", "GET /courses", accessToken, s.listCourses)
	s.handle("GET /courses/{id}", "GET /courses/{id}", accessToken, s.getCourse)

	s.handle("GET /languages", "GET /languages", accessToken, s.listLanguages)

	// Any other path or method: the gateway's misleading 403.
	s.handle("/", "", accessNone, func(*call) reply { return message(http.StatusForbidden, msgUnknownPath) })
}

// serve runs one API request through the rate limiter, the faults, the
// gateway checks and the handler, then applies latency and writes the answer
// (or drops the connection).
func (s *Server) serve(w http.ResponseWriter, r *http.Request, key string, a access, h handlerFunc) {
	if key == "" {
		key = r.Method + " (unmatched)"
	}
	s.mu.Lock()
	s.stats.Requests[key]++
	s.stats.Total++
	limiter := s.limiter
	d := s.rollLocked()
	s.mu.Unlock()

	var rep reply
	worked := false
	switch {
	case !limiter.Allow():
		s.count(func(st *Stats) { st.Throttled++ })
		rep = message(http.StatusTooManyRequests, msgTooMany)
	case d.error5xx:
		s.count(func(st *Stats) { st.Faults.Error5xx++ })
		rep = message(http.StatusInternalServerError, msgInternal)
	case d.throttle:
		s.count(func(st *Stats) { st.Throttled++; st.Faults.Throttle++ })
		rep = message(http.StatusTooManyRequests, msgTooMany)
	default:
		rep = s.work(r, a, h)
		worked = true
	}
	body := rep.encode()

	if d.latency > 0 {
		t := time.NewTimer(d.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return // the caller is gone; the work, if any, stays committed
		}
	}
	if worked && d.reset {
		s.count(func(st *Stats) { st.Faults.Reset++ })
		drop(w)
		return
	}
	write(w, rep.status, body)
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// drop closes the client's connection without an answer.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// HTTP/2 or a writer that cannot be hijacked: abort the response.
	panic(http.ErrAbortHandler)
}

// work checks the key and the token, then runs the handler under the lock.
func (s *Server) work(r *http.Request, a access, h handlerFunc) reply {
	if a != accessNone && r.Header.Get("X-Api-Key") != PrivateKey {
		return message(http.StatusForbidden, msgForbidden)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil || len(body) > maxBodyBytes {
		return invalidRequest()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	c := &call{r: r, body: bytes.TrimSpace(body), now: now.UTC().Truncate(s.datePrecision())}
	if a == accessToken {
		who, ok := s.authorizeLocked(r.Header.Get("Authorization"), now)
		if !ok {
			return message(http.StatusUnauthorized, msgDenied)
		}
		c.who = who
	}
	return h(c)
}

// userByID returns a copy of the user with that id, whatever any admin's
// scope, or nil.
func (s *Server) userByID(id string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.user(id)
}
