package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// TenantsPrefix starts the path of every tenant's endpoints:
// /tenants/{id}/scim/v2, /tenants/{id}/admin/…, /tenants/{id}/readyz.
const TenantsPrefix = "/tenants/"

// TenantPath is the path every endpoint of tenant id is served under.
func TenantPath(id string) string { return TenantsPrefix + id }

// Tenant is one tenant as Tenants serves it.
type Tenant struct {
	ID string
	// Handler is the tenant's own NewHandler: it sees the paths under
	// TenantPath(ID) with that prefix taken off.
	Handler http.Handler
	// Metrics are the tenant's metrics, labelled with its id.
	Metrics prometheus.Gatherer
	// Recognizes says whether a request presents one of the tenant's
	// credentials (auth.Authenticator.Recognizes), to log a credential used
	// on another tenant's URL.
	Recognizes func(*http.Request) (credential string, ok bool)

	// gate lets requests in (read-locked while one is served) until
	// Drain, which waits for those in flight.
	gate    sync.RWMutex
	drained bool
}

// Drain stops t from serving: it returns once the requests t is serving
// have been answered; later ones get 404, as for a tenant never configured.
func (t *Tenant) Drain() {
	t.gate.Lock()
	t.drained = true
	t.gate.Unlock()
}

// Tenants serves several tenants from one listener: each under its own
// path, with its own credentials and data, and /healthz, /readyz and
// /metrics for the whole process. The set of tenants may change while it
// serves (Set), without a request of a tenant that stays being dropped.
type Tenants struct {
	log        *slog.Logger
	runtime    prometheus.Gatherer
	writeError func(w http.ResponseWriter, r *http.Request, err error)
	set        atomic.Pointer[map[string]*Tenant]
}

// NewTenants returns a router serving no tenant yet. runtime are the
// process's metrics, exposed once without a tenant label.
func NewTenants(log *slog.Logger, runtime prometheus.Gatherer, writeError func(w http.ResponseWriter, r *http.Request, err error)) *Tenants {
	t := &Tenants{log: log, runtime: runtime, writeError: writeError}
	t.set.Store(&map[string]*Tenant{})
	return t
}

// Set makes tenants the ones served, from the next request on. A tenant
// left out is no longer found; Drain it before closing what it serves.
func (ts *Tenants) Set(tenants []*Tenant) {
	m := make(map[string]*Tenant, len(tenants))
	for _, t := range tenants {
		m[t.ID] = t
	}
	ts.set.Store(&m)
}

// IDs are the ids of the tenants served, sorted.
func (ts *Tenants) IDs() []string {
	m := *ts.set.Load()
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (ts *Tenants) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Each tenant's router would redirect an unclean path to its clean form
	// without the tenant's prefix: clean it here, as gorilla/mux does.
	if p := cleanPath(r.URL.Path); p != r.URL.Path {
		u := *r.URL
		u.Path, u.RawPath = p, ""
		http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
		return
	}
	switch r.URL.Path {
	case "/healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
		return
	case "/readyz":
		// One tenant's Absorb being down must not take the others out of
		// a load balancer: each tenant's readiness is its own
		// /tenants/{id}/readyz.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "ready: serving %d tenants\n", len(*ts.set.Load()))
		return
	case "/metrics":
		ts.metrics(w, r)
		return
	}
	if r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, ConsolePrefix) {
		// No page lists the tenants to whoever asks: each console lists the
		// others its signed-in user may see.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "each tenant has its own console, at %s{id}%s\n", TenantsPrefix, ConsolePrefix)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, TenantsPrefix)
	if !ok {
		ts.writeError(w, r, scimdoc.Errorf(http.StatusNotFound, "", "%s is not served here: each tenant is served under %s{id}/scim/v2", r.URL.Path, TenantsPrefix))
		return
	}
	id, sub, _ := strings.Cut(rest, "/")
	t := (*ts.set.Load())[id]
	if t == nil || !ts.serve(t, w, r, "/"+sub) {
		ts.writeError(w, r, scimdoc.Errorf(http.StatusNotFound, "", "no tenant %q is served here", id))
	}
}

// serve hands r to t with the tenant's prefix taken off; false when t was
// drained meanwhile.
func (ts *Tenants) serve(t *Tenant, w http.ResponseWriter, r *http.Request, sub string) bool {
	t.gate.RLock()
	defer t.gate.RUnlock()
	if t.drained {
		return false
	}
	r2 := r.Clone(context.WithValue(r.Context(), publicPathKey{}, r.URL.Path))
	r2.URL.Path, r2.URL.RawPath = sub, ""
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	t.Handler.ServeHTTP(rec, r2)
	if rec.status == http.StatusUnauthorized {
		ts.noteForeignCredential(t, r)
	}
	return true
}

type publicPathKey struct{}

// publicPath is the path r was sent to, before a Tenants router took the
// tenant's prefix off: what the access log names.
func publicPath(r *http.Request) string {
	if p, ok := r.Context().Value(publicPathKey{}).(string); ok {
		return p
	}
	return r.URL.Path
}

// noteForeignCredential logs a request refused on tenant t's URL that
// presented another tenant's credential: its name and both tenants, never
// the secret.
func (ts *Tenants) noteForeignCredential(t *Tenant, r *http.Request) {
	for id, other := range *ts.set.Load() {
		if id == t.ID || other.Recognizes == nil {
			continue
		}
		if name, ok := other.Recognizes(r); ok {
			ts.log.Warn("credential of another tenant refused: a credential opens only its own tenant's URL",
				"tenant", t.ID, "credentialTenant", id, "credential", name,
				"remote", auth.ClientIP(r, nil).String(), "path", r.URL.Path)
			return
		}
	}
}

// metrics answers GET /metrics: the process's metrics, then every
// tenant's, each series labelled with its tenant.
func (ts *Tenants) metrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		ts.writeError(w, r, scimdoc.Errorf(http.StatusMethodNotAllowed, "", "method %s is not allowed on /metrics; allowed: GET, HEAD", r.Method))
		return
	}
	m := *ts.set.Load()
	g := prometheus.Gatherers{ts.runtime}
	for _, id := range ts.IDs() {
		if t := m[id]; t != nil && t.Metrics != nil {
			g = append(g, t.Metrics)
		}
	}
	promhttp.HandlerFor(g, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// cleanPath is p without empty, "." and ".." segments, keeping a trailing
// slash (gorilla/mux's cleaning).
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}
