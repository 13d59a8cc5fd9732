package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/console"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/metrics"
	"github.com/absorb-scim/absorb-scim/schemas"
	"github.com/absorb-scim/absorb-scim/scim"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/server"
	"github.com/absorb-scim/absorb-scim/storage"
)

// app is one running bridge: storage, the Absorb client, the use cases and
// the SCIM handler, built from a validated configuration.
type app struct {
	cfg     config.Config
	log     *slog.Logger
	store   storage.Store
	absorb  *absorbapi.Client
	bridge  *bridge.Bridge
	handler http.Handler // the SCIM endpoint, paths relative to server.SCIMPrefix
	authn   *auth.Authenticator
	metrics *metrics.Metrics
	// writeError renders every SCIM error answer.
	writeError func(w http.ResponseWriter, r *http.Request, err error)
	// health says why Absorb cannot be used although the bridge runs.
	health *absorbHealth
	// namesPending: the configured names could not be checked at start, so
	// serve checks them in the background.
	namesPending bool
	governor     *bridge.Governor
	behaviour    knownBehaviour       // what is known of the portal's open behaviours (cmd_doctor.go)
	errorLog     *metrics.ErrorLog    // the last warnings, for the console
	reconciles   *bridge.ReconcileLog // the last reconcile, whoever ran it
	console      http.Handler
	cluster      *replicaCluster // how this replica coordinates with others (app_cluster.go)
	// otherTenants, set once before a tenant serves, lists the other
	// tenants' consoles a console user may see (app_tenants.go).
	otherTenants func(username string) []console.TenantLink
}

// newApp builds the bridge from cfg. Storage is opened here, so a locked or
// broken data file, or an unreachable database, stops start-up with one
// clear line.
func newApp(cfg config.Config, log *slog.Logger) (*app, error) {
	store, err := openStore(context.Background(), cfg, storeAccess{serve: true}) // app_store.go
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: store}
	a.keepErrors()
	if err := a.build(); err != nil {
		a.cluster.close()
		store.Close()
		return nil, err
	}
	return a, nil
}

// absorbClientConfig is the Absorb client's configuration from cfg.
func absorbClientConfig(cfg config.Config) absorbapi.Config {
	baseURL := cfg.Absorb.URL
	if baseURL == "" {
		baseURL = cfg.Absorb.Region
	}
	return absorbapi.Config{
		BaseURL:    baseURL,
		PrivateKey: cfg.Absorb.PrivateKey,
		Username:   cfg.Absorb.Username,
		Password:   cfg.Absorb.Password,
		APIVersion: cfg.Absorb.APIVersion,
		RateLimit:  cfg.Absorb.RateLimit,
		Burst:      cfg.Absorb.Burst,
		HTTPClient: &http.Client{Timeout: cfg.Absorb.Timeout, Transport: absorbapi.NewTransport()},
	}
}

func (a *app) build() error {
	cfg := a.cfg
	a.metrics = newMetrics(cfg.Tenant != "")
	a.health = newAbsorbHealth(a.log)
	clientCfg := absorbClientConfig(cfg)
	clientCfg.Observer = loginObserver{Observer: server.CountUpstream(a.metrics), health: a.health}
	if err := a.openCluster(); err != nil {
		return err
	}
	clientCfg.TokenStore = a.cluster.tokenStore()
	client, err := absorbapi.New(clientCfg)
	if err != nil {
		return fmt.Errorf("absorb client: %w", err)
	}
	a.absorb = client
	mapper, err := mapping.New(cfg.MappingConfig())
	if err != nil {
		return fmt.Errorf("mapping: %w", err)
	}
	// User writes beyond what Absorb's rate can serve within
	// absorb.maxQueueWait are answered 429 instead of queueing; the console
	// shows how much of that queue is in use.
	a.governor = bridge.NewGovernor(bridge.GovernorConfig{Rate: cfg.Absorb.RateLimit, MaxWait: cfg.Absorb.MaxQueueWait})
	a.behaviour = absorbBehaviour(cfg, a.log)
	b, err := bridge.New(bridge.Config{
		Absorb:         a.wrapAbsorb(client),
		Store:          a.store,
		Mapper:         mapper,
		Logger:         a.log,
		Rules:          cfg.Rules(),
		SyncInterval:   cfg.Sync.Interval,
		AuditRetention: cfg.Audit.Retention,
		CountUsers: func(ctx context.Context) (int, error) {
			page, err := client.ListUsers(ctx, absorbapi.ListUsersOptions{Limit: 1})
			if err != nil {
				return 0, err
			}
			return page.TotalItems, nil
		},

		DeactivationLimit: cfg.BridgeDeactivationLimit(),
		Governor:          a.governor,
		// The bridge's own Absorb admin is never adopted or written.
		AdminUsername: cfg.Absorb.Username,
		MaxFilterScan: cfg.Limits.MaxFilterScan,
		// Unless the portal is known to refuse a taken username, a create
		// looks it up in Absorb before it posts.
		CreateBehaviour: a.behaviour.Create,
		Locks:           a.cluster.locker(),
		SharedStore:     a.cluster.shared(),
		PendingRescan:   a.cluster.rescan(),
		// Group rules change departments 200 users per upload only where
		// the upload is known to update existing accounts.
		UploadBehaviour: a.behaviour.Upload,
	})
	if err != nil {
		return err
	}
	a.bridge = b
	// One writer renders every SCIM error: the SCIM handlers', the
	// authentication's and the admin endpoints'.
	a.writeError = scim.NewErrorWriter(a.log)
	authCfg := cfg.AuthConfig()
	authCfg.ErrorWriter = func(w http.ResponseWriter, r *http.Request, status int, scimType, detail string) {
		a.writeError(w, r, scimdoc.Errorf(status, scimType, "%s", detail))
	}
	authn, err := auth.New(authCfg)
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	scimServer, err := scim.New(scim.Options{
		BaseURL:              scimBase(cfg),
		Users:                b,
		Groups:               b,
		Bulk:                 b,
		MaxBulkOperations:    cfg.Limits.BulkMaxOperations,
		MaxBulkBodyBytes:     cfg.Limits.MaxBulkBodyBytes,
		MaxBodyBytes:         cfg.Limits.MaxBodyBytes,
		MaxBodyBytesInFlight: cfg.Limits.MaxBodyBytesInFlight,
		MaxPatchOps:          cfg.Limits.MaxPatchOperations,
		MaxResults:           cfg.Limits.MaxResults,
		AuthSchemes:          authSchemes(authn),
		Logger:               a.log,
	})
	if err != nil {
		return err
	}
	a.handler = scimServer
	a.authn = authn
	return a.buildConsole()
}

// publicBase is the public URL of the server, never taken from a request.
func publicBase(cfg config.Config) string {
	if cfg.PublicURL != "" {
		return strings.TrimSuffix(cfg.PublicURL, "/")
	}
	scheme := "http"
	if cfg.TLS.Cert != "" {
		scheme = "https"
	}
	return scheme + "://" + cfg.Listen
}

// serve runs the HTTP server on ln and the bridge's background work until
// ctx ends, then shuts down gracefully: in-flight requests finish within the
// grace period, new ones are refused, and storage is closed last.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	if err := a.cluster.join(ctx); err != nil {
		a.cluster.close()
		a.store.Close()
		return err
	}
	srv, err := server.Open(ctx, a.serverConfig(ln))
	if err != nil {
		a.cluster.close()
		a.store.Close()
		return err
	}
	bgCtx, stopBG := context.WithCancel(ctx)
	wait := a.background(bgCtx)
	select {
	case <-ctx.Done():
	case <-srv.Done():
	}
	serveErr := srv.Close()
	stopBG()
	wait()
	a.cluster.close()
	if err := a.store.Close(); err != nil && serveErr == nil {
		serveErr = err
	}
	return serveErr
}

// serverConfig is what the HTTP server needs of the bridge, serving on ln
// (nil when the handler is served by a tenants router).
func (a *app) serverConfig(ln net.Listener) server.Config {
	return server.Config{
		Listener: ln,
		TLSCert:  a.cfg.TLS.Cert,
		TLSKey:   a.cfg.TLS.Key,
		Timeouts: server.Timeouts{
			ReadHeader:    a.cfg.HTTP.ReadHeaderTimeout,
			Read:          a.cfg.HTTP.ReadTimeout,
			Write:         a.cfg.HTTP.WriteTimeout,
			Idle:          a.cfg.HTTP.IdleTimeout,
			ShutdownGrace: a.cfg.ShutdownGrace,
		},
		Logger:               a.log,
		SCIM:                 a.handler,
		Auth:                 a.authn,
		DiscoveryWithoutAuth: a.cfg.Auth.DiscoveryWithoutAuth,
		WriteError:           a.writeError,
		Metrics:              a.metrics,
		Console:              a.console,
		Bridge:               a.cluster.serverBridge(reconcilesLogged{Bridge: a.bridge, log: a.reconciles}),
		Store:                backupStore(a.store), // app_store.go
		SyncInterval:         a.cfg.Sync.Interval,
		NotReady:             a.health.notReady,
		Tenant:               a.cfg.Tenant,
	}
}

// background starts the bridge's background work (the names check, the
// replicas' heartbeat, and the sync and rule worker, on the replica that
// holds the worker lease) until ctx ends; wait returns once it stopped.
func (a *app) background(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	if a.namesPending {
		wg.Go(func() { a.recheckNames(ctx) })
	}
	wg.Go(func() { a.cluster.heartbeat(ctx) })
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Background writes (the group rules) are audited as ActorRules.
		// With replicas, only the one holding the worker lease runs them.
		if err := a.cluster.runWorker(bridge.WithActor(ctx, bridge.Actor{Credential: bridge.ActorRules}), a.bridge.Run); err != nil {
			a.log.Error("background work stopped", "error", err)
		}
	}()
	return wg.Wait
}

// newMetrics returns the bridge's metrics, measuring SCIM requests under
// server.SCIMPrefix with the credential name the access log records. A
// tenant's leave out the runtime's, which the process reports once.
func newMetrics(tenant bool) *metrics.Metrics {
	return metrics.New(metrics.Options{SCIMPrefix: server.SCIMPrefix, Credential: server.Credential, NoRuntime: tenant})
}

// wrapAbsorb is the Absorb client the bridge writes through: in dry-run
// mode, one that sends no write.
func (a *app) wrapAbsorb(c *absorbapi.Client) bridge.Absorb {
	if a.cfg.DryRun {
		return bridge.NewDryRunAbsorb(c, a.log)
	}
	return c
}

// newLogger builds the process logger from the log configuration.
func newLogger(cfg config.Log, w interface{ Write([]byte) (int, error) }) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func authSchemes(a *auth.Authenticator) []schemas.AuthenticationScheme {
	var out []schemas.AuthenticationScheme
	for _, s := range a.Schemes() {
		out = append(out, schemas.AuthenticationScheme{Type: s.Type, Name: s.Name, Description: s.Description, SpecURI: s.SpecURI, DocumentationURI: s.DocumentationURI, Primary: s.Primary})
	}
	return out
}
