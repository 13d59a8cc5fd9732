package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/console"
	"github.com/absorb-scim/absorb-scim/metrics"
	"github.com/absorb-scim/absorb-scim/scim"
	"github.com/absorb-scim/absorb-scim/server"
)

// A configuration with tenants runs one app per tenant, each with its own
// store, Absorb client (token and rate limiter), bridge (sync, rule worker,
// holds, audit), credentials and metrics, all behind one listener: tenant
// id is served under /tenants/{id}/. Nothing is shared between tenants but
// the process, so a tenant whose Absorb throttles or fails waits alone.

// scimBase is the public URL of cfg's SCIM endpoint, the base of the
// resources' meta.location.
func scimBase(cfg config.Config) string {
	if cfg.Tenant == "" {
		return publicBase(cfg) + server.SCIMPrefix
	}
	return publicBase(cfg) + server.TenantPath(cfg.Tenant) + server.SCIMPrefix
}

// tenantPathOf is the path cfg's tenant is served under, "" without tenants.
func tenantPathOf(cfg config.Config) string {
	if cfg.Tenant == "" {
		return ""
	}
	return server.TenantPath(cfg.Tenant)
}

// otherTenantConsoles lists the consoles of the other tenants served that
// username may see.
func (a *app) otherTenantConsoles(username string) []console.TenantLink {
	if a.otherTenants == nil {
		return nil
	}
	return a.otherTenants(username)
}

// tenantApp is one tenant's running bridge.
type tenantApp struct {
	cfg    config.Config // the tenant's, as it started
	app    *app
	served *server.Tenant
	stop   context.CancelFunc // ends the background work
	wait   func()             // returns once the background work ended
}

// startTenant opens tenant cfg.Tenant's store, builds its bridge and starts
// its background work. Its department and course names are checked as
// serve checks them: a name Absorb does not hold stops this tenant.
func startTenant(ctx context.Context, cfg config.Config, log *slog.Logger, stderr io.Writer) (*tenantApp, error) {
	tlog := log.With("tenant", cfg.Tenant)
	a, err := newApp(cfg, tlog)
	if err != nil {
		return nil, fmt.Errorf("tenant %s: %w", cfg.Tenant, err)
	}
	logAbsorbBehaviour(a.log, a.behaviour)
	fail := func(err error) (*tenantApp, error) {
		a.cluster.close()
		a.store.Close()
		return nil, fmt.Errorf("tenant %s: %w", cfg.Tenant, err)
	}
	if a.namesPending, err = a.checkNamesAtStart(ctx, prefixLines(stderr, "tenant "+cfg.Tenant+": ")); err != nil {
		return fail(err)
	}
	// With replicas on PostgreSQL, each tenant's replicas coordinate on
	// their own: this one is counted before it serves the tenant.
	if err := a.cluster.join(ctx); err != nil {
		return fail(err)
	}
	h, err := server.NewHandler(a.serverConfig(nil))
	if err != nil {
		return fail(err)
	}
	bgCtx, stop := context.WithCancel(ctx)
	t := &tenantApp{cfg: cfg, app: a, stop: stop, wait: a.background(bgCtx),
		served: &server.Tenant{ID: cfg.Tenant, Handler: h, Metrics: a.metrics.ForTenant(cfg.Tenant), Recognizes: a.authn.Recognizes}}
	a.log.Info("tenant serving", "scim", scimBase(cfg), "store", storeName(a.store))
	return t, nil
}

// close stops the tenant once it is no longer routed to: the requests it
// is answering finish, its background work stops (another replica takes
// its lease), its store is closed.
func (t *tenantApp) close() error {
	t.served.Drain()
	t.stop()
	t.wait()
	t.app.cluster.close()
	return t.app.store.Close()
}

// tenantSet is the tenants a process serves, changed by a reload.
type tenantSet struct {
	log    *slog.Logger
	stderr io.Writer
	router *server.Tenants
	mu     sync.Mutex // one reload at a time
	apps   map[string]*tenantApp
	// closing are the removed tenants finishing their requests: a long
	// one holds neither the next reload nor a stop.
	closing sync.WaitGroup
	// console are the console users of the configuration last read, with
	// the tenants each may see.
	console atomic.Pointer[[]config.ConsoleUser]
}

// consolesFor is, for tenant id's console, the other tenants' consoles a
// console user may see.
func (s *tenantSet) consolesFor(id string) func(username string) []console.TenantLink {
	return func(username string) []console.TenantLink {
		users := s.console.Load()
		if users == nil {
			return nil
		}
		i := slices.IndexFunc(*users, func(u config.ConsoleUser) bool { return u.Username == username })
		if i < 0 {
			return nil
		}
		var out []console.TenantLink
		for _, other := range s.router.IDs() {
			if other != id && (*users)[i].MaySee(other) {
				out = append(out, console.TenantLink{ID: other, URL: server.TenantPath(other) + console.Prefix})
			}
		}
		return out
	}
}

// startTenants starts every tenant of cfg at once, so a slow portal does
// not hold the others' start; if one fails, those started are closed.
func startTenants(ctx context.Context, cfgs []config.Config, log *slog.Logger, stderr io.Writer) ([]*tenantApp, error) {
	started := make([]*tenantApp, len(cfgs))
	errs := make([]error, len(cfgs))
	var wg sync.WaitGroup
	for i, c := range cfgs {
		wg.Go(func() { started[i], errs[i] = startTenant(ctx, c, log, stderr) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, t := range started {
			if t != nil {
				t.close()
			}
		}
		return nil, err
	}
	return started, nil
}

// tenantConfigs are the configurations of cfg's tenants, in the file's order.
func tenantConfigs(cfg config.Config, ids []string) []config.Config {
	out := make([]config.Config, 0, len(ids))
	for _, id := range ids {
		if tc, ok := cfg.ForTenant(id); ok {
			out = append(out, tc)
		}
	}
	return out
}

// reload serves the tenants of cfg: those added start and are routed to,
// those removed stop being routed to, finish their requests and close
// (their data stays until `tenants purge`). A tenant kept serves on
// without a pause, with the configuration it started with.
func (s *tenantSet) reload(ctx context.Context, cfg config.Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var added, removed []string
	for _, id := range cfg.TenantIDs() {
		if t, ok := s.apps[id]; !ok {
			added = append(added, id)
		} else if tc, _ := cfg.ForTenant(id); !reflect.DeepEqual(withoutListen(tc), withoutListen(t.cfg)) {
			s.log.Warn("configuration of a tenant changed: a reload adds and removes tenants, other changes take effect at restart", "tenant", id)
		}
	}
	for id := range s.apps {
		if !slices.Contains(cfg.TenantIDs(), id) {
			removed = append(removed, id)
		}
	}
	slices.Sort(removed)
	started, err := startTenants(ctx, tenantConfigs(cfg, added), s.log, s.stderr)
	if err != nil {
		s.log.Error("reload: tenants not added; the tenants served are unchanged", "added", added, "error", err)
		return
	}
	s.console.Store(&cfg.Auth.Console)
	for _, t := range started {
		t.app.otherTenants = s.consolesFor(t.cfg.Tenant)
		s.apps[t.cfg.Tenant] = t
	}
	gone := make([]*tenantApp, 0, len(removed))
	for _, id := range removed {
		gone = append(gone, s.apps[id])
		delete(s.apps, id)
	}
	s.route()
	for _, t := range gone {
		s.closing.Go(func() {
			if err := t.close(); err != nil {
				s.log.Error("closing a removed tenant's store failed", "tenant", t.cfg.Tenant, "error", err)
			}
			s.log.Info("tenant removed: no longer served; its data stays until `absorb-scim tenants purge`", "tenant", t.cfg.Tenant, "data", t.cfg.DataDir)
		})
	}
	s.log.Info("configuration reloaded", "tenants", s.router.IDs(), "added", added, "removed", removed)
}

// withoutListen is cfg without what serve sets after reading it.
func withoutListen(cfg config.Config) config.Config {
	cfg.Listen = ""
	return cfg
}

// route makes the router serve the running tenants.
func (s *tenantSet) route() {
	served := make([]*server.Tenant, 0, len(s.apps))
	for _, t := range s.apps {
		served = append(served, t.served)
	}
	s.router.Set(served)
}

// closeAll stops every tenant.
func (s *tenantSet) closeAll() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for id, t := range s.apps {
		errs = append(errs, t.close())
		delete(s.apps, id)
	}
	s.closing.Wait()
	return errors.Join(errs...)
}

// serveTenants is serve for a configuration with tenants: every tenant
// behind ln until ctx ends, re-reading the configuration on SIGHUP.
func serveTenants(ctx context.Context, f serveFlags, getenv func(string) string, cfg config.Config, log *slog.Logger, ln net.Listener, stderr io.Writer) error {
	started, err := startTenants(ctx, tenantConfigs(cfg, cfg.TenantIDs()), log, stderr)
	if err != nil {
		ln.Close()
		return err
	}
	set := &tenantSet{log: log, stderr: stderr, apps: map[string]*tenantApp{},
		router: server.NewTenants(log, metrics.Runtime(), scim.NewErrorWriter(log))}
	set.console.Store(&cfg.Auth.Console)
	for _, t := range started {
		t.app.otherTenants = set.consolesFor(t.cfg.Tenant)
		set.apps[t.cfg.Tenant] = t
	}
	set.route()
	// Asked for before serving, so a SIGHUP sent once the port answers is
	// never the default action, which would end the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	srv, err := server.Open(ctx, server.Config{
		Listener: ln,
		TLSCert:  cfg.TLS.Cert,
		TLSKey:   cfg.TLS.Key,
		Timeouts: server.Timeouts{
			ReadHeader: cfg.HTTP.ReadHeaderTimeout, Read: cfg.HTTP.ReadTimeout, Write: cfg.HTTP.WriteTimeout,
			Idle: cfg.HTTP.IdleTimeout, ShutdownGrace: cfg.ShutdownGrace,
		},
		Logger:  log,
		Handler: set.router,
	})
	if err != nil {
		set.closeAll()
		return err
	}
	log.Info("absorb-scim serving tenants", "tenants", set.router.IDs(), "scim", publicBase(cfg)+server.TenantsPrefix+"{id}"+server.SCIMPrefix,
		"listen", ln.Addr().String(), "dryRun", cfg.DryRun)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-srv.Done():
			done = true
		case <-hup:
			set.reloadFrom(ctx, f, getenv, cfg.Listen)
		}
	}
	serveErr := srv.Close()
	if err := set.closeAll(); err != nil && serveErr == nil {
		serveErr = err
	}
	return serveErr
}

// reloadFrom re-reads the configuration serve read; one that does not
// validate changes nothing.
func (s *tenantSet) reloadFrom(ctx context.Context, f serveFlags, getenv func(string) string, listen string) {
	s.log.Info("SIGHUP: reading the configuration again")
	cfg, err := loadConfig(f, getenv)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			for _, p := range ce.Problems {
				s.log.Error("reload refused: the configuration does not validate; the tenants served are unchanged", "problem", p)
			}
			return
		}
		s.log.Error("reload refused: the configuration cannot be read; the tenants served are unchanged", "error", err)
		return
	}
	if len(cfg.Tenants) == 0 {
		s.log.Error("reload refused: the configuration has no tenants any more; restart to serve it")
		return
	}
	cfg.Listen = listen
	s.reload(ctx, cfg)
}

// prefixLines is w with prefix written before each line.
func prefixLines(w io.Writer, prefix string) io.Writer {
	return lineWriter{w: w, prefix: prefix}
}

type lineWriter struct {
	w      io.Writer
	prefix string
}

func (l lineWriter) Write(p []byte) (int, error) {
	lines := strings.SplitAfter(string(p), "\n")
	var b strings.Builder
	for _, line := range lines {
		if line != "" {
			b.WriteString(l.prefix + line)
		}
	}
	if _, err := io.WriteString(l.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
