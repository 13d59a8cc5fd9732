package metrics

import (
	"net/http"
	"sort"
	"sync"
	"time"
)

// recent keeps the short history a person looking at the bridge asks about
// (Prometheus keeps only running totals): calls to Absorb and its 429s per
// minute over the last hour, the last login and the last successful call,
// and per credential the SCIM requests and errors per hour over the last
// day. Memory is bounded: 60 minute buckets, and 24 hour buckets for each
// credential name (names come from the configuration, never from a client).
type recent struct {
	mu          sync.Mutex
	minutes     [60]upstreamMinute
	lastLogin   time.Time
	loginOK     bool
	lastSuccess time.Time
	creds       map[string]*[24]credentialHour
}

type upstreamMinute struct {
	start              int64 // unix minute
	calls, rateLimited int
}

type credentialHour struct {
	start            int64 // unix hour
	requests, errors int
	last             time.Time
}

func newRecent() *recent { return &recent{creds: map[string]*[24]credentialHour{}} }

func (r *recent) upstream(status int, at time.Time) {
	m := at.Unix() / 60
	r.mu.Lock()
	defer r.mu.Unlock()
	b := &r.minutes[m%60]
	if b.start != m {
		*b = upstreamMinute{start: m}
	}
	b.calls++
	if status == http.StatusTooManyRequests {
		b.rateLimited++
	}
	if status >= 200 && status < 300 {
		r.lastSuccess = at
	}
}

func (r *recent) login(ok bool, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastLogin, r.loginOK = at, ok
}

func (r *recent) request(credential string, status int, at time.Time) {
	h := at.Unix() / 3600
	r.mu.Lock()
	defer r.mu.Unlock()
	hours := r.creds[credential]
	if hours == nil {
		hours = new([24]credentialHour)
		r.creds[credential] = hours
	}
	b := &hours[h%24]
	if b.start != h {
		*b = credentialHour{start: h}
	}
	b.requests++
	if status >= 400 {
		b.errors++
	}
	b.last = at
}

// UpstreamMinute is one minute of calls to Absorb.
type UpstreamMinute struct {
	Start       time.Time
	Calls       int // HTTP attempts sent, retries included
	RateLimited int // of which Absorb answered 429
}

// UpstreamLastHour returns the 60 minutes up to now, oldest first, with the
// calls sent to Absorb in each and how many were answered 429.
func (m *Metrics) UpstreamLastHour() []UpstreamMinute {
	now := m.now().Unix() / 60
	r := m.recent
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]UpstreamMinute, 0, 60)
	for i := now - 59; i <= now; i++ {
		e := UpstreamMinute{Start: time.Unix(i*60, 0).UTC()}
		if b := r.minutes[i%60]; b.start == i {
			e.Calls, e.RateLimited = b.calls, b.rateLimited
		}
		out = append(out, e)
	}
	return out
}

// AbsorbLogin is the state of the bridge's session with Absorb.
type AbsorbLogin struct {
	LastLogin   time.Time // zero before the first login
	LoginOK     bool      // whether that login succeeded
	LastSuccess time.Time // the last call Absorb answered 2xx
}

// AbsorbLoginState returns the last login to Absorb and the last successful
// call, since the process started.
func (m *Metrics) AbsorbLoginState() AbsorbLogin {
	r := m.recent
	r.mu.Lock()
	defer r.mu.Unlock()
	return AbsorbLogin{LastLogin: r.lastLogin, LoginOK: r.loginOK, LastSuccess: r.lastSuccess}
}

// CredentialActivity is what one credential did over the last day.
type CredentialActivity struct {
	Credential string
	Requests   int
	Errors     int // answered with a status of 400 or more
	LastSeen   time.Time
}

// CredentialsLastDay returns the credentials that made SCIM requests in the
// last 24 hours, the busiest first.
func (m *Metrics) CredentialsLastDay() []CredentialActivity {
	now := m.now().Unix() / 3600
	r := m.recent
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []CredentialActivity
	for name, hours := range r.creds {
		a := CredentialActivity{Credential: name}
		for _, b := range hours {
			if b.start > now-24 && b.start <= now {
				a.Requests += b.requests
				a.Errors += b.errors
				if b.last.After(a.LastSeen) {
					a.LastSeen = b.last
				}
			}
		}
		if a.Requests > 0 {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Requests != out[j].Requests {
			return out[i].Requests > out[j].Requests
		}
		return out[i].Credential < out[j].Credential
	})
	return out
}
