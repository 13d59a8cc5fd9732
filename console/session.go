package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/bridge"
)

// Cookie names. The session cookie is the only way in; the login cookie
// pairs the sign-in form with the browser that fetched it.
const (
	sessionCookie = "absorb_scim_console"
	loginCookie   = "absorb_scim_console_login"
	csrfField     = "csrf"
)

// session is one signed-in person.
type session struct {
	id       string
	user     string
	role     string
	csrf     string // the token every action must carry
	created  time.Time
	lastSeen time.Time
	flash    string // what the last action did, shown once by the page it redirected to
}

func (s *session) operator() bool { return s.role == auth.RoleOperator }

// sessions are kept in memory: a restart signs everyone out, which is the
// safe side for a console.
type sessions struct {
	mu        sync.Mutex
	byID      map[string]*session
	now       func() time.Time
	idle, max time.Duration
}

func newSessions(now func() time.Time, idle, maxAge time.Duration) *sessions {
	return &sessions{byID: map[string]*session{}, now: now, idle: idle, max: maxAge}
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// start makes a session for user and returns it.
func (s *sessions) start(user, role string) *session {
	now := s.now()
	ss := &session{id: randomToken(), user: user, role: role, csrf: randomToken(), created: now, lastSeen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, old := range s.byID { // drop the expired ones while here
		if s.expired(old, now) {
			delete(s.byID, id)
		}
	}
	s.byID[ss.id] = ss
	return ss
}

func (s *sessions) expired(ss *session, now time.Time) bool {
	return now.Sub(ss.lastSeen) > s.idle || now.Sub(ss.created) > s.max
}

// get returns the live session of r's cookie and counts r as use of it.
func (s *sessions) get(r *http.Request) (*session, bool) { return s.lookup(r, true) }

// lookup returns the live session of r's cookie; touch counts r as use of
// it (the activity feed's polling does not: an abandoned tab must not stay
// signed in).
func (s *sessions) lookup(r *http.Request, touch bool) (*session, bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, false
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byID[ck.Value]
	if !ok {
		return nil, false
	}
	if s.expired(ss, now) {
		delete(s.byID, ss.id)
		return nil, false
	}
	if touch {
		ss.lastSeen = now
	}
	c := *ss
	return &c, true
}

// setFlash keeps msg for the session's next page.
func (s *sessions) setFlash(id, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.byID[id]; ok {
		ss.flash = msg
	}
}

// takeFlash returns the session's message and forgets it.
func (s *sessions) takeFlash(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byID[id]
	if !ok {
		return ""
	}
	msg := ss.flash
	ss.flash = ""
	return msg
}

func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
}

// cookie is the session cookie: HttpOnly (no script reads it),
// SameSite=Strict (no other site's page sends it), Secure over https.
func (c *Console) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: c.base, MaxAge: maxAge, HttpOnly: true,
		Secure: c.opts.SecureCookies, SameSite: http.SameSiteStrictMode}
}

// page wraps a page: without a session the browser is sent to sign in.
func (c *Console) page(h func(http.ResponseWriter, *http.Request, *session)) http.Handler {
	return c.view(true, h)
}

// view wraps a page; touch counts the request as use of the session.
func (c *Console) view(touch bool, h func(http.ResponseWriter, *http.Request, *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss, ok := c.sessions.lookup(r, touch)
		if !ok {
			c.toLogin(w, r)
			return
		}
		h(w, r, ss)
	})
}

// action wraps a POST that changes something: it needs a session, the
// session's CSRF token, a same-origin request and, when operatorOnly, the
// operator role. What it changes in Absorb is audited as the console user.
func (c *Console) action(operatorOnly bool, h func(http.ResponseWriter, *http.Request, *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		ss, ok := c.sessions.get(r)
		if !ok {
			c.refuse(w, r, nil, http.StatusForbidden, "You are not signed in, or your session has ended. Sign in again.")
			return
		}
		if !sameOrigin(r) || !validCSRF(r.PostFormValue(csrfField), ss.csrf) {
			c.refuse(w, r, ss, http.StatusForbidden, "This form is out of date or did not come from this console. Go back, reload the page and try again.")
			return
		}
		if operatorOnly && !ss.operator() {
			c.refuse(w, r, ss, http.StatusForbidden, "Your role ("+ss.role+") may look but not act: this needs the operator role.")
			return
		}
		ctx := bridge.WithActor(r.Context(), bridge.Actor{Credential: "console:" + ss.user})
		h(w, r.WithContext(ctx), ss)
	})
}

func validCSRF(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// sameOrigin refuses a POST another site's page sent: browsers name the
// page's origin in Origin (and Sec-Fetch-Site) on every POST.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser, or an old one: the CSRF token decides
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

func (c *Console) toLogin(w http.ResponseWriter, r *http.Request) {
	next := c.opts.PathPrefix + r.URL.Path
	if r.URL.RawQuery != "" {
		next += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, c.base+"login?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// safeNext keeps a redirect after sign-in inside the console.
func (c *Console) safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, c.base) || u.Path == c.base+"login" {
		return c.base
	}
	return u.RequestURI()
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.renderLogin(w, r, http.StatusOK, "")
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, problem string) {
	// A browser that fetched the form before keeps its token, so a second
	// fetch (another tab, a prefetch) does not outdate the first form.
	token := randomToken()
	if ck, err := r.Cookie(loginCookie); err == nil && len(ck.Value) == len(token) {
		token = ck.Value
	}
	http.SetCookie(w, c.cookie(loginCookie, token, 600))
	c.render(w, r, status, "login", nil, map[string]any{
		"Token": token, "Next": c.safeNext(r.FormValue("next")), "Problem": problem,
	})
}

// login checks a sign-in form. Attempts are limited per client address and
// per username, whatever their outcome, so guessing is slow from one place
// and against one account.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		c.renderLogin(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	ip := auth.ClientIP(r, c.opts.TrustedProxies)
	if wait, ok := c.limiter.allow(ip.String(), username); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		c.renderLogin(w, r, http.StatusTooManyRequests, "Too many sign-in attempts. Wait a minute and try again.")
		return
	}
	ck, err := r.Cookie(loginCookie)
	if err != nil || !sameOrigin(r) || !validCSRF(r.PostFormValue(csrfField), ck.Value) {
		c.renderLogin(w, r, http.StatusForbidden, "The sign-in form was out of date. Try again.")
		return
	}
	role, ok := c.opts.Users.Check(username, password)
	if !ok {
		// Not the username: people type their password there by mistake.
		c.log.Warn("console sign-in refused", "client", ip.String())
		c.renderLogin(w, r, http.StatusUnauthorized, "Unknown username or wrong password.")
		return
	}
	ss := c.sessions.start(username, role)
	c.log.Info("console sign-in", "username", username, "role", role, "client", ip.String())
	http.SetCookie(w, c.cookie(loginCookie, "", -1))
	http.SetCookie(w, c.cookie(sessionCookie, ss.id, 0))
	http.Redirect(w, r, c.safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, ss *session) {
	c.sessions.end(ss.id)
	http.SetCookie(w, c.cookie(sessionCookie, "", -1))
	http.Redirect(w, r, c.base+"login", http.StatusSeeOther)
}

// loginLimiter is a token bucket per client address and per username.
// Buckets full again are dropped, so memory stays bounded by the attempts
// of the last minutes.
type loginLimiter struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	rate    rate.Limit
	burst   int
	now     func() time.Time
}

func newLoginLimiter(perSecond float64, burst int, now func() time.Time) *loginLimiter {
	return &loginLimiter{buckets: map[string]*rate.Limiter{}, rate: rate.Limit(perSecond), burst: burst, now: now}
}

// allow takes one attempt from the client's and the username's buckets; when
// either is empty it takes nothing and says how long to wait.
func (l *loginLimiter) allow(client, username string) (time.Duration, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buckets) > 10000 {
		for k, b := range l.buckets {
			if b.TokensAt(now) >= float64(l.burst) {
				delete(l.buckets, k)
			}
		}
	}
	keys := []string{"ip:" + client, "user:" + username}
	var rs []*rate.Reservation
	for _, k := range keys {
		b := l.buckets[k]
		if b == nil {
			b = rate.NewLimiter(l.rate, l.burst)
			l.buckets[k] = b
		}
		rs = append(rs, b.ReserveN(now, 1))
	}
	var wait time.Duration
	for _, r := range rs {
		wait = max(wait, r.DelayFrom(now))
	}
	if wait > 0 {
		for _, r := range rs {
			r.CancelAt(now)
		}
		return wait, false
	}
	return 0, true
}
