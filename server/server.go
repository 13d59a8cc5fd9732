// Package server is absorb-scim's HTTP server: the router, the access log,
// the metrics middleware, the health, readiness, metrics and admin endpoints,
// and the lifecycle of the listener (Open, then Close).
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/metrics"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// SCIMPrefix is where the SCIM endpoint is served.
const SCIMPrefix = "/scim/v2"

// ConsolePrefix is where Config.Console is served.
const ConsolePrefix = "/console/"

// Bridge is what the readiness check, the metrics and the admin endpoints
// need of the bridge.
type Bridge interface {
	SyncStatus() bridge.SyncStatus
	RuleStats() bridge.RuleStats
	Reconcile(ctx context.Context, fix bool) (bridge.ReconcileReport, error)
	ReapplyRules(ctx context.Context) (bridge.ReapplyReport, error)
	Brake // holds.go
}

// Store is what the metrics and GET /admin/backup need of storage.
type Store interface {
	Stats() storage.Counts
	BatchStats() storage.BatchStats
	Backup(w io.Writer) (int64, error)
}

// Authenticator wraps the handlers that need a credential.
type Authenticator interface {
	Middleware(next http.Handler) http.Handler
}

var (
	_ Bridge = (*bridge.Bridge)(nil)
	_ Store  = (storage.Store)(nil)
)

// Timeouts bound the server's connections. Zero values mean no limit, as in
// net/http, except ShutdownGrace, where zero closes at once.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers (http.Server.ReadHeaderTimeout).
	ReadHeader time.Duration
	// Read bounds reading a whole request (http.Server.ReadTimeout).
	Read time.Duration
	// Write bounds writing a response (http.Server.WriteTimeout).
	Write time.Duration
	// Idle bounds how long a kept-alive connection waits for its next request.
	Idle time.Duration
	// ShutdownGrace is how long Close waits for requests in flight before it
	// closes the connections still open.
	ShutdownGrace time.Duration
}

// Config is what Open needs.
type Config struct {
	// Listener, when set, is served as is: a socket handed over by a
	// supervisor, or one a test bound. Otherwise Open listens on Addr.
	Listener net.Listener
	Addr     string
	// TLSCert and TLSKey, when set, are PEM files: Open serves HTTPS
	// (TLS 1.2 at least) on the listener.
	TLSCert, TLSKey string
	Timeouts        Timeouts
	Logger          *slog.Logger

	// SCIM serves the SCIM endpoint, with paths relative to SCIMPrefix.
	SCIM http.Handler
	// Auth guards the SCIM endpoint and the admin endpoints.
	Auth Authenticator
	// DiscoveryWithoutAuth serves the discovery endpoints without credentials.
	DiscoveryWithoutAuth bool
	// WriteError writes the SCIM error answers of the admin endpoints.
	WriteError func(w http.ResponseWriter, r *http.Request, err error)
	// Console, when set, serves every path under ConsolePrefix (the paths
	// keep the prefix) and guards itself.
	Console http.Handler

	Metrics *metrics.Metrics
	Bridge  Bridge
	Store   Store
	// SyncInterval is how often the bridge polls Absorb; readiness allows
	// three intervals and a minute without a successful call.
	SyncInterval time.Duration
	// NotReady, when set, gives further reasons /readyz answers 503 (Absorb
	// refusing the login, configured names not resolved); none means ready
	// as far as it knows.
	NotReady func() []string
	// Tenant is the tenant these endpoints serve ("" without tenants): the
	// audit entries the admin API answers name it.
	Tenant string
	// Handler, when set, is served as it is instead of the handler the
	// fields above build (a Tenants router serving several NewHandler).
	Handler http.Handler
}

// Server is the running HTTP server.
type Server struct {
	srv   *http.Server
	ln    net.Listener
	log   *slog.Logger
	grace time.Duration
	errc  chan error    // Serve's result
	done  chan struct{} // closed when Serve returns
}

// Open builds the handler, starts reporting the bridge's state to the
// metrics and serves on the listener until Close. A busy address, unreadable
// TLS files or a second Watch of the same metrics fail Open, which then
// closes the listener it was given.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	ln := cfg.Listener
	h, err := cfg.Handler, error(nil)
	if h == nil {
		h, err = NewHandler(cfg)
	}
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return nil, err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.Timeouts.ReadHeader,
		ReadTimeout:       cfg.Timeouts.Read,
		WriteTimeout:      cfg.Timeouts.Write,
		IdleTimeout:       cfg.Timeouts.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			if ln != nil {
				ln.Close()
			}
			return nil, fmt.Errorf("tls: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	if ln == nil {
		var lc net.ListenConfig
		if ln, err = lc.Listen(ctx, "tcp", cfg.Addr); err != nil {
			return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
		}
	}
	s := &Server{srv: srv, ln: ln, log: cfg.Logger, grace: cfg.Timeouts.ShutdownGrace,
		errc: make(chan error, 1), done: make(chan struct{})}
	if srv.TLSConfig != nil {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	go func() {
		s.errc <- srv.Serve(ln)
		close(s.done)
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Done is closed when the server stops serving: after Close, or when
// accepting connections failed.
func (s *Server) Done() <-chan struct{} { return s.done }

// Close stops the server gracefully: new connections are refused and the
// requests in flight finish within the shutdown grace; connections still open
// after it are closed. It returns the error that stopped serving, if any
// other than the close itself.
func (s *Server) Close() error {
	sctx, cancel := context.WithTimeout(context.Background(), s.grace)
	err := s.srv.Shutdown(sctx)
	cancel()
	if errors.Is(err, context.DeadlineExceeded) {
		// A request still running, or a connection a client opened and
		// never used (net/http waits five seconds for those): the stop goes
		// on, as it would have to anyway.
		s.log.Warn("shutdown grace over: closing the connections still open", "shutdownGrace", s.grace.String())
		err = s.srv.Close()
	}
	if serveErr := <-s.errc; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	// Give the result back to a second Close.
	s.errc <- err
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// NewHandler is the whole HTTP handler of one bridge: the access log, then
// the metrics, then the router. It fails when the metrics are watched twice.
func NewHandler(cfg Config) (http.Handler, error) {
	r := mux.NewRouter()
	r.MethodNotAllowedHandler = methodNotAllowed(r, cfg.WriteError)
	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	r.HandleFunc("/readyz", readiness(cfg.Bridge, cfg.SyncInterval, cfg.NotReady))
	if err := opsRoutes(r, cfg); err != nil {
		return nil, err
	}
	scimServer := cfg.SCIM
	protected := cfg.Auth.Middleware(noteCredential(scimServer))
	scimHandler := http.StripPrefix(SCIMPrefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cfg.DiscoveryWithoutAuth && isDiscovery(r.URL.Path) {
			scimServer.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	}))
	r.PathPrefix(SCIMPrefix + "/").Handler(scimHandler)
	r.Handle(SCIMPrefix, scimHandler)
	if cfg.Console != nil {
		r.PathPrefix(ConsolePrefix).Handler(cfg.Console)
		r.Handle(strings.TrimSuffix(ConsolePrefix, "/"), http.RedirectHandler(ConsolePrefix, http.StatusMovedPermanently))
	}
	return requestLog(cfg.Logger, cfg.Metrics.Middleware(r)), nil
}

func isDiscovery(path string) bool {
	for _, p := range []string{"/ServiceProviderConfig", "/serviceConfiguration", "/Schemas", "/ResourceTypes"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// readiness answers /readyz: storage open, Absorb reachable with a valid
// login recently, and the first full sync done.
func readiness(b Bridge, syncInterval time.Duration, notReady func() []string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		st := b.SyncStatus()
		var problems []string
		if notReady != nil {
			problems = append(problems, notReady()...)
		}
		if !st.MirrorComplete {
			problems = append(problems, "first sync with Absorb not done")
		}
		window := 3*syncInterval + time.Minute
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
}

// methodNotAllowed answers a method a route of r does not take (DELETE
// /metrics, GET /admin/reconcile) as every other refusal is answered, with
// the methods the route takes in Allow (RFC 9110 §15.5.6), rather than
// gorilla/mux's empty 405.
func methodNotAllowed(r *mux.Router, writeError func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := req.Clone(req.Context())
			probe.Method = m
			var match mux.RouteMatch
			if r.Match(probe, &match) && match.MatchErr == nil {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, req, scimdoc.Errorf(http.StatusMethodNotAllowed, "", "method %s is not allowed on %s; allowed: %s",
			req.Method, req.URL.Path, strings.Join(allow, ", ")))
	})
}
