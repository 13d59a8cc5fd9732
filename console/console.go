// Package console is the status console people open in a browser at
// /console/: the bridge's health, the audit feed, one person's story, the
// groups and their rules, the held deactivations and the drift from
// Absorb. Pages are rendered on the server with html/template from files
// embedded in the binary, so the console works on a network without the
// internet and, apart from the live feed, without JavaScript.
//
// The console has a credential kind of its own (auth.ConsoleUsers) and
// sessions in a cookie; it declares the small interfaces it reads the bridge
// through.
package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/metrics"
)

// Prefix is where the console is served.
const Prefix = "/console/"

// Status is what the health page reads of the bridge.
type Status interface {
	SyncStatus() bridge.SyncStatus
	LastFullSync() (time.Time, error)
	RuleQueueDepth() int
}

// Traffic is what the health page reads of the recent calls.
type Traffic interface {
	UpstreamLastHour() []metrics.UpstreamMinute
	AbsorbLoginState() metrics.AbsorbLogin
	CredentialsLastDay() []metrics.CredentialActivity
}

// ErrorLog is the last warnings and errors the bridge logged.
type ErrorLog interface {
	Recent() []metrics.LoggedError
}

// RateBudget is the queue of writes waiting for Absorb's rate.
type RateBudget interface {
	Stats() bridge.GovernorStats
}

// Audit is the audit feed.
type Audit interface {
	ListAudit(ctx context.Context, q bridge.AuditFeedQuery) (bridge.AuditFeedPage, error)
}

// Groups is what the groups page reads and runs.
type Groups interface {
	GroupSummaries(ctx context.Context) ([]bridge.GroupSummary, error)
	PreviewGroupRules(ctx context.Context, id string) (bridge.RulePreview, error)
	ReapplyRules(ctx context.Context) (bridge.ReapplyReport, error)
}

// Reconciler runs a reconcile for the drift page, and tells the last one
// that finished, whoever ran it.
type Reconciler interface {
	Reconcile(ctx context.Context, fix bool) (bridge.ReconcileReport, error)
	LastReconcile() (bridge.ReconcileRun, bool)
}

// Tracer finds one person and tells their story: the SCIM resource, the
// Absorb account, the groups, what the rules gave, and the history.
type Tracer interface {
	// Trace finds the person whose userName, email, externalId, SCIM id or
	// Absorb id is query. It returns an error for which errors.Is(err,
	// ErrNoPerson) holds when no one matches, ErrSeveralPeople when several
	// do.
	Trace(ctx context.Context, query string) (Trace, error)
}

// Errors a Tracer returns: no one matches, or several people do (an
// externalId or email is not unique); the page says which.
var (
	ErrNoPerson      = errors.New("no person matches")
	ErrSeveralPeople = errors.New("several people match")
)

// Trace is one person's story across the IdP, the bridge and Absorb.
type Trace struct {
	SCIMID   string
	UserName string
	AbsorbID string
	// Resource is the SCIM resource as the bridge holds it.
	Resource map[string]any
	// Account is the Absorb account as the bridge last saw it; nil when the
	// user has none yet.
	Account map[string]any
	// Differences are the fields where Absorb holds other values than the
	// SCIM resource maps to.
	Differences []Difference
	Groups      []string
	// Held is the deactivation the brake keeps from Absorb, if any.
	Held *Hold
	// Department and Courses are what the group rules gave.
	Department string
	Courses    []string
	History    []AuditEntry
}

// Difference is one field that differs between the SCIM resource and the
// Absorb account.
type Difference struct{ Field, SCIM, Absorb string }

// AuditEntry is one audited change, as the activity page and a person's
// history show it.
type AuditEntry struct {
	Seq        uint64
	Time       time.Time
	Credential string
	RequestID  string
	Operation  string
	UserID     string
	UserName   string
	AbsorbID   string
	Outcome    string
	Changes    []Change
}

// Change is one field an audited operation changed.
type Change struct{ Field, From, To string }

// Holds are the deactivations the mass-deactivation brake keeps from Absorb.
type Holds interface {
	ListHolds(ctx context.Context) ([]Hold, error)
	// ReleaseHold sends the held deactivation to Absorb; DiscardHold drops
	// it and makes the user active again. Both return what happened, for a
	// person to read.
	ReleaseHold(ctx context.Context, id string) (string, error)
	DiscardHold(ctx context.Context, id string) (string, error)
}

// Hold is one held deactivation.
type Hold struct {
	ID         string // names the hold in release and discard
	UserName   string
	AbsorbID   string
	Request    string // what the IdP asked: deactivate or delete
	Time       time.Time
	Credential string
}

// Options configure New. Users, Status, Traffic, Audit and Groups are
// required; a nil Tracer, Holds, Reconciler, ErrorLog or RateBudget leaves
// its part of the console saying it is not available.
type Options struct {
	Users interface {
		Check(username, password string) (role string, ok bool)
	}
	Status     Status
	Traffic    Traffic
	Errors     ErrorLog
	RateBudget RateBudget
	// RateLimit is the configured requests per second to Absorb (0 or
	// negative: unlimited), shown beside the budget.
	RateLimit  float64
	Audit      Audit
	Groups     Groups
	Reconciler Reconciler
	Tracer     Tracer
	Holds      Holds
	// SecureCookies marks the session cookie Secure: set it when the
	// console is reached over https (TLS in-process or an https publicURL).
	SecureCookies bool
	// TrustedProxies are the peers whose X-Forwarded-For names the client
	// the login rate limit counts.
	TrustedProxies []netip.Prefix
	// LoginRate and LoginBurst bound sign-in attempts per client address
	// and per username; defaults 5 a minute, bursts of 5.
	LoginRate  float64
	LoginBurst int
	// SessionIdle ends a session unused this long (default 30 minutes);
	// SessionMax ends any session this old (default 12 hours).
	SessionIdle, SessionMax time.Duration
	// PathPrefix is the path a router took off before the console's paths
	// (a tenant's /tenants/{id}): its links, redirects and cookies carry
	// it. "" when the console is served at Prefix.
	PathPrefix string
	// Tenant, when set, is the tenant the console shows, named in its
	// header; OtherTenants then lists the other tenants' consoles the
	// signed-in user may see, for the header's links (nil: none).
	Tenant       string
	OtherTenants func(username string) []TenantLink
	Logger       *slog.Logger
	Now          func() time.Time
}

// TenantLink is another tenant's console.
type TenantLink struct{ ID, URL string }

// Console serves the status console. Build it with New.
type Console struct {
	opts     Options
	base     string // Prefix as the browser sees it
	log      *slog.Logger
	now      func() time.Time
	sessions *sessions
	limiter  *loginLimiter
	pages    *pages
	mux      *http.ServeMux
}

// New returns the console for opts. It fails when a required source is
// missing or a template does not parse.
func New(opts Options) (*Console, error) {
	if opts.Users == nil || opts.Status == nil || opts.Traffic == nil || opts.Audit == nil || opts.Groups == nil {
		return nil, fmt.Errorf("console: Users, Status, Traffic, Audit and Groups are required")
	}
	base := opts.PathPrefix + Prefix
	pg, err := parsePages(base)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	c := &Console{opts: opts, log: opts.Logger, now: opts.Now, pages: pg, base: base}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	idle, maxAge := opts.SessionIdle, opts.SessionMax
	if idle <= 0 {
		idle = 30 * time.Minute
	}
	if maxAge <= 0 {
		maxAge = 12 * time.Hour
	}
	c.sessions = newSessions(c.now, idle, maxAge)
	rate, burst := opts.LoginRate, opts.LoginBurst
	if rate <= 0 {
		rate = 5.0 / 60
	}
	if burst <= 0 {
		burst = 5
	}
	c.limiter = newLoginLimiter(rate, burst, c.now)
	c.routes()
	return c, nil
}

// ServeHTTP serves the console's pages under Prefix. Every answer is kept
// out of caches and frames, and may load nothing from elsewhere.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// same-origin, not no-referrer: under no-referrer browsers send
	// "Origin: null" on the console's own form posts, which the same-origin
	// check must then refuse. Other sites still learn nothing (a person's
	// page URL holds the searched email).
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}

func (c *Console) routes() {
	m := http.NewServeMux()
	m.Handle("GET /console/static/", http.StripPrefix("/console/static/", staticFiles()))
	m.HandleFunc("GET /console/login", c.loginPage)
	m.HandleFunc("POST /console/login", c.login)
	m.Handle("POST /console/logout", c.action(false, c.logout))
	m.Handle("GET /console/{$}", c.page(c.health))
	m.Handle("GET /console/activity", c.page(c.activity))
	m.Handle("GET /console/activity/rows", c.view(false, c.activityRows))
	m.Handle("GET /console/people", c.page(c.people))
	m.Handle("GET /console/groups", c.page(c.groups))
	m.Handle("GET /console/groups/preview", c.page(c.preview))
	m.Handle("POST /console/groups/apply", c.action(true, c.applyRules))
	m.Handle("GET /console/holds", c.page(c.holds))
	m.Handle("POST /console/holds/release", c.action(true, c.releaseHold))
	m.Handle("POST /console/holds/discard", c.action(true, c.discardHold))
	m.Handle("GET /console/drift", c.page(c.driftPage))
	m.Handle("POST /console/drift/run", c.action(true, c.runReconcile))
	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := c.sessions.get(r); !ok {
			c.toLogin(w, r)
			return
		}
		http.NotFound(w, r)
	})
	c.mux = m
}
