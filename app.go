package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/metrics"
	"github.com/absorb-scim/absorb-scim/schemas"
	"github.com/absorb-scim/absorb-scim/scim"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// scimPrefix is where the SCIM endpoint is served.
const scimPrefix = "/scim/v2"

// app is one running bridge: storage, the Absorb client, the use cases and
// the HTTP handler, built from a validated configuration.
type app struct {
	cfg     config.Config
	log     *slog.Logger
	store   *storage.Store
	absorb  *absorbapi.Client
	bridge  *bridge.Bridge
	handler http.Handler
	metrics *metrics.Metrics
}

// newApp builds the bridge from cfg. Storage is opened here, so a locked or
// broken data file stops start-up with one clear line.
func newApp(cfg config.Config, log *slog.Logger) (*app, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	store, err := storage.Open(filepath.Join(cfg.DataDir, "absorb-scim.db"), storage.Options{})
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: store}
	if err := a.build(); err != nil {
		store.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) build() error {
	cfg := a.cfg
	baseURL := cfg.Absorb.URL
	if baseURL == "" {
		baseURL = cfg.Absorb.Region
	}
	a.metrics = newMetrics()
	client, err := absorbapi.New(absorbapi.Config{
		BaseURL:    baseURL,
		PrivateKey: cfg.Absorb.PrivateKey,
		Username:   cfg.Absorb.Username,
		Password:   cfg.Absorb.Password,
		APIVersion: cfg.Absorb.APIVersion,
		RateLimit:  cfg.Absorb.RateLimit,
		Burst:      cfg.Absorb.Burst,
		HTTPClient: &http.Client{Timeout: cfg.Absorb.Timeout, Transport: countUpstream{next: absorbapi.NewTransport()}},
		Observer:   a.metrics,
	})
	if err != nil {
		return fmt.Errorf("absorb client: %w", err)
	}
	a.absorb = client
	mapper, err := mapping.New(cfg.MappingConfig())
	if err != nil {
		return fmt.Errorf("mapping: %w", err)
	}
	b, err := bridge.New(bridge.Config{
		Absorb:         a.wrapAbsorb(client),
		Store:          a.store,
		Mapper:         mapper,
		Logger:         a.log,
		Rules:          cfg.Rules(),
		SyncInterval:   cfg.Sync.Interval,
		AuditRetention: cfg.Audit.Retention,
	})
	if err != nil {
		return err
	}
	a.bridge = b
	authn, err := auth.New(cfg.AuthConfig())
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	// User writes beyond what Absorb's rate can serve within
	// absorb.maxQueueWait are answered 429 instead of queueing.
	governed := b.Governed(bridge.NewGovernor(bridge.GovernorConfig{Rate: cfg.Absorb.RateLimit, MaxWait: cfg.Absorb.MaxQueueWait}))
	scimServer, err := scim.New(scim.Options{
		BaseURL:           publicBase(cfg) + scimPrefix,
		Users:             governed,
		Groups:            governed,
		Bulk:              governed,
		MaxBulkOperations: cfg.Limits.BulkMaxOperations,
		MaxBulkBodyBytes:  cfg.Limits.MaxBulkBodyBytes,
		MaxBodyBytes:      cfg.Limits.MaxBodyBytes,
		MaxPatchOps:       cfg.Limits.MaxPatchOperations,
		MaxResults:        cfg.Limits.MaxResults,
		AuthSchemes:       authSchemes(authn),
		Logger:            a.log,
	})
	if err != nil {
		return err
	}
	authn.SetErrorWriter(func(w http.ResponseWriter, r *http.Request, status int, scimType, detail string) {
		scimServer.WriteError(w, r, scimdoc.Errorf(status, scimType, "%s", detail))
	})
	r := mux.NewRouter()
	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	r.HandleFunc("/readyz", a.ready)
	if err := a.opsRoutes(r, authn); err != nil {
		return err
	}
	protected := authn.Middleware(noteCredential(scimServer))
	scimHandler := http.StripPrefix(scimPrefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cfg.Auth.DiscoveryWithoutAuth && isDiscovery(r.URL.Path) {
			scimServer.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	}))
	r.PathPrefix(scimPrefix + "/").Handler(scimHandler)
	r.Handle(scimPrefix, scimHandler)
	a.handler = requestLog(a.log, a.metrics.Middleware(scimFirst{scim: scimHandler, rest: r}))
	return nil
}

// scimFirst sends requests for clean paths under the SCIM prefix straight to
// the SCIM handler, which routes them itself, and everything else to rest.
// gorilla/mux tries each route's regular expression in turn, which nearly
// every request would pay for only to reach the SCIM prefix; unclean paths
// still go through rest, which answers them with its redirect to the clean
// path.
type scimFirst struct{ scim, rest http.Handler }

func (h scimFirst) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if strings.HasPrefix(p, scimPrefix) && (len(p) == len(scimPrefix) || p[len(scimPrefix)] == '/') && isCleanPath(p) {
		h.scim.ServeHTTP(w, r)
		return
	}
	h.rest.ServeHTTP(w, r)
}

// isCleanPath reports whether p is as gorilla/mux's path cleaning leaves it:
// path.Clean's form, with a trailing slash kept.
func isCleanPath(p string) bool {
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		return len(p) == len(clean)+1 && p[:len(clean)] == clean
	}
	return clean == p
}

func isDiscovery(path string) bool {
	for _, p := range []string{"/ServiceProviderConfig", "/serviceConfiguration", "/Schemas", "/ResourceTypes"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
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

// ready answers /readyz: storage open, Absorb reachable with a valid login
// recently, and the first full sync done.
func (a *app) ready(w http.ResponseWriter, _ *http.Request) {
	st := a.bridge.SyncStatus()
	var problems []string
	if !st.MirrorComplete {
		problems = append(problems, "first sync with Absorb not done")
	}
	window := 3*a.cfg.Sync.Interval + time.Minute
	if st.LastSuccess.IsZero() || time.Since(st.LastSuccess) > window {
		problems = append(problems, "no successful call to Absorb in the last "+window.String())
	}
	if st.LastError != "" {
		problems = append(problems, "last sync failed")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: "+strings.Join(problems, "; "))
		return
	}
	fmt.Fprintln(w, "ready")
}

// serve runs the HTTP server on ln and the bridge's background work until
// ctx ends, then shuts down gracefully: in-flight requests finish within the
// grace period, new ones are refused, and storage is closed last.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	if a.cfg.TLS.Cert != "" {
		cert, err := tls.LoadX509KeyPair(a.cfg.TLS.Cert, a.cfg.TLS.Key)
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	bgCtx, stopBG := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Background writes (the group rules) are audited as ActorRules.
		if err := a.bridge.Run(bridge.WithActor(bgCtx, bridge.Actor{Credential: bridge.ActorRules})); err != nil {
			a.log.Error("background work stopped", "error", err)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		grace := a.cfg.ShutdownGrace
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
		serveErr = srv.Shutdown(sctx)
		cancel()
		if errors.Is(serveErr, context.DeadlineExceeded) {
			// A request still running, or a connection a client opened
			// and never used (net/http waits five seconds for those): the
			// stop goes on, as it would have to anyway.
			a.log.Warn("shutdown grace over: closing the connections still open", "shutdownGrace", grace.String())
			serveErr = srv.Close()
		}
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) && serveErr == nil {
			serveErr = err
		}
	}
	stopBG()
	wg.Wait()
	if err := a.store.Close(); err != nil && serveErr == nil {
		serveErr = err
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
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
