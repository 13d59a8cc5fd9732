// Package scim is the SCIM 2.0 HTTP layer (RFC 7644): routing, request
// decoding, limits, SCIM error responses, ETags, projection of the returned
// attributes and the discovery endpoints. The use cases behind it are the
// UserBackend and GroupBackend it is given.
package scim

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/gorilla/mux"

	"github.com/absorb-scim/absorb-scim/schemas"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultMaxPatchOps  = 1000
	DefaultMaxResults   = 1000
)

// Options configures a Server.
type Options struct {
	// BaseURL is the public URL of /scim/v2, e.g.
	// https://scim.example.com/scim/v2. meta.location and the Location
	// header come from it, never from the request's Host.
	BaseURL string
	Users   UserBackend
	Groups  GroupBackend
	// MaxBodyBytes caps a request body; larger bodies get 413. Zero means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxPatchOps caps the operations of one PATCH request. Zero means
	// DefaultMaxPatchOps.
	MaxPatchOps int
	// MaxResults is filter.maxResults: the most resources one list answer
	// holds, and the page size when the client gives no count. Zero means
	// DefaultMaxResults.
	MaxResults int
	// Bulk carries out /Bulk requests (RFC 7644 §3.7); nil means bulk is
	// not supported: /Bulk answers 501 and /ServiceProviderConfig says so.
	Bulk BulkBackend
	// MaxBulkOperations caps the operations of one bulk request
	// (bulk.maxOperations). Zero means DefaultMaxBulkOperations.
	MaxBulkOperations int
	// MaxBulkBodyBytes caps a /Bulk body (bulk.maxPayloadSize). Zero means
	// DefaultMaxBulkBodyBytes.
	MaxBulkBodyBytes int64
	// MaxBodyBytesInFlight bounds the body bytes of the large requests
	// (over 64 KiB) read and processed at once; past it a request waits
	// for earlier ones to finish. Zero means DefaultMaxBodyBytesInFlight.
	MaxBodyBytesInFlight int64
	// AuthSchemes is reported in /ServiceProviderConfig.
	AuthSchemes []schemas.AuthenticationScheme
	// Logger receives failures; nil discards them.
	Logger *slog.Logger
}

// Server serves the SCIM 2.0 protocol (RFC 7644) for Users and Groups. Mount
// it under the base path with http.StripPrefix: it routes paths relative to
// BaseURL ("/Users", "/Groups/{id}", "/Schemas", …).
type Server struct {
	baseURL      string
	users        UserBackend
	groups       GroupBackend
	maxBodyBytes int64
	maxPatchOps  int
	maxResults   int
	log          *slog.Logger
	router       *mux.Router

	bulkBackend      BulkBackend
	maxBulkOps       int
	maxBulkBodyBytes int64
	budget           *bodyBudget

	user  *resourceKind
	group *resourceKind

	// The discovery documents never change, so they are encoded once.
	spcJSON     []byte
	schemasJSON []byte
	schemaJSON  map[string][]byte // by lower-case schema URN
	typesJSON   []byte
	typeJSON    map[string][]byte // by lower-case resource type id
}

// New returns a Server for opts. It returns an error when BaseURL is not an
// absolute http(s) URL, when Users or Groups is nil, or when a limit is
// negative.
func New(opts Options) (*Server, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse base url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base url %q is not an absolute http or https url", opts.BaseURL)
	}
	if opts.Users == nil || opts.Groups == nil {
		return nil, errors.New("both a user and a group backend are required")
	}
	if opts.MaxBodyBytes < 0 || opts.MaxPatchOps < 0 || opts.MaxResults < 0 ||
		opts.MaxBulkOperations < 0 || opts.MaxBulkBodyBytes < 0 || opts.MaxBodyBytesInFlight < 0 {
		return nil, errors.New("limits must not be negative")
	}
	s := &Server{
		baseURL:      strings.TrimSuffix(opts.BaseURL, "/"),
		users:        opts.Users,
		groups:       opts.Groups,
		maxBodyBytes: opts.MaxBodyBytes,
		maxPatchOps:  opts.MaxPatchOps,
		maxResults:   opts.MaxResults,
		log:          opts.Logger,

		bulkBackend:      opts.Bulk,
		maxBulkOps:       opts.MaxBulkOperations,
		maxBulkBodyBytes: opts.MaxBulkBodyBytes,
	}
	if s.maxBulkOps == 0 {
		s.maxBulkOps = DefaultMaxBulkOperations
	}
	if s.maxBulkBodyBytes == 0 {
		s.maxBulkBodyBytes = DefaultMaxBulkBodyBytes
	}
	if s.maxBodyBytes == 0 {
		s.maxBodyBytes = DefaultMaxBodyBytes
	}
	if s.maxPatchOps == 0 {
		s.maxPatchOps = DefaultMaxPatchOps
	}
	if s.maxResults == 0 {
		s.maxResults = DefaultMaxResults
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	inFlight := opts.MaxBodyBytesInFlight
	if inFlight == 0 {
		inFlight = DefaultMaxBodyBytesInFlight
	}
	s.budget = newBodyBudget(inFlight)
	s.user, s.group = newResourceKinds(opts.Users.UserSchema(), opts.Groups.GroupSchema())
	if err := s.buildDiscovery(opts.AuthSchemes); err != nil {
		return nil, err
	}
	s.router = s.routes()
	return s, nil
}

// ServeHTTP answers one SCIM request. Every answer other than 204 and 304 is
// application/scim+json; every failure is a SCIM error (RFC 7644 §3.12),
// including unknown paths (404), wrong methods (405 with Allow) and panics
// (500).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := &trackingWriter{ResponseWriter: w}
	defer s.recoverPanic(rw, r)
	if p := canonicalPath(r.URL.Path); p != r.URL.Path {
		r2 := *r
		u := *r.URL
		u.Path, u.RawPath = p, ""
		r2.URL = &u
		r = &r2
	}
	s.router.ServeHTTP(rw, r)
}

// endpointNames are the endpoint names of RFC 7644 §3.2 in their canonical
// case. Some clients write them in lower case (/users) or end a collection
// path with a slash (/Users/?filter=...); both are served rather than
// failing an IdP's connection test on a spelling.
var endpointNames = map[string]string{
	"users": "Users", "groups": "Groups", "me": "Me", "bulk": "Bulk",
	"serviceproviderconfig": "ServiceProviderConfig", "serviceconfiguration": "serviceConfiguration",
	"schemas": "Schemas", "resourcetypes": "ResourceTypes",
}

// canonicalNames are the values of endpointNames.
var canonicalNames = func() map[string]bool {
	m := make(map[string]bool, len(endpointNames))
	for _, name := range endpointNames {
		m[name] = true
	}
	return m
}()

// canonicalPath rewrites the first segment of path to its canonical case and
// drops one trailing slash after a collection.
func canonicalPath(path string) string {
	rest := strings.TrimPrefix(path, "/")
	first, tail, hasTail := strings.Cut(rest, "/")
	if canonicalNames[first] && len(rest) == len(path)-1 && (!hasTail || tail != "") {
		return path // nearly every request: nothing to rewrite, nothing to allocate
	}
	if name, ok := endpointNames[strings.ToLower(first)]; ok {
		first = name
	}
	if hasTail && tail == "" {
		hasTail = false
	}
	if !hasTail {
		return "/" + first
	}
	return "/" + first + "/" + tail
}

// handler is one SCIM endpoint. It writes its answer, or writes nothing and
// returns an error, which dispatch renders with fail: every failure of every
// endpoint reaches the client through the one SCIM error writer.
type handler func(w http.ResponseWriter, r *http.Request) error

// methods maps HTTP methods to the handlers of one path.
type methods map[string]handler

// routes builds the router. Methods are dispatched by the path's own table so
// that a wrong method is a 405 naming the allowed ones (RFC 9110 §15.5.6).
func (s *Server) routes() *mux.Router {
	// No path cleaning: mux would answer an unclean path with a redirect
	// built without the base path. Such paths are simply not found.
	r := mux.NewRouter().SkipClean(true)
	handle := func(path string, m methods) {
		r.Handle(path, s.dispatch(m))
	}
	// Routes are tried in order: the ones of nearly every request first.
	// ".search" must come before "{id}", which would match it.
	for _, k := range []*resourceKind{s.user, s.group} {
		handle("/"+k.endpoint+"/.search", methods{http.MethodPost: s.search(k)})
		handle("/"+k.endpoint+"/{id}", methods{
			http.MethodGet:    s.get(k),
			http.MethodPut:    s.replace(k),
			http.MethodPatch:  s.patch(k),
			http.MethodDelete: s.delete(k),
		})
		handle("/"+k.endpoint, methods{http.MethodGet: s.list(k), http.MethodPost: s.create(k)})
	}
	handle("/", methods{http.MethodGet: s.rootQuery})
	handle("/.search", methods{http.MethodPost: s.rootQuery})
	handle("/Me", methods{
		http.MethodGet: s.me, http.MethodPost: s.me, http.MethodPut: s.me,
		http.MethodPatch: s.me, http.MethodDelete: s.me,
	})
	handle("/Bulk", methods{http.MethodPost: s.bulk})

	handle("/ServiceProviderConfig", methods{http.MethodGet: s.serviceProviderConfig})
	handle("/serviceConfiguration", methods{http.MethodGet: s.serviceProviderConfig})
	handle("/Schemas", methods{http.MethodGet: s.schemaList})
	handle("/Schemas/{id}", methods{http.MethodGet: s.schema})
	handle("/ResourceTypes", methods{http.MethodGet: s.resourceTypeList})
	handle("/ResourceTypes/{id}", methods{http.MethodGet: s.resourceType})

	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, scimdoc.Errorf(http.StatusNotFound, "", "no SCIM endpoint at %s", r.URL.Path))
	})
	return r
}

// dispatch picks the handler for r's method, or answers 405 with Allow.
func (s *Server) dispatch(m methods) http.Handler {
	allowed := make([]string, 0, len(m))
	for method := range m {
		allowed = append(allowed, method)
	}
	sort.Strings(allowed)
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := m[r.Method]
		var err error
		if ok {
			err = s.withinBudget(w, r, h)
		} else {
			w.Header().Set("Allow", allow)
			err = scimdoc.Errorf(http.StatusMethodNotAllowed, "",
				"method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow)
		}
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

// withinBudget runs h once r's body fits in the body budget, and holds
// that share until h is done: the memory a request takes lasts as long as
// its processing, not only its reading.
func (s *Server) withinBudget(w http.ResponseWriter, r *http.Request, h handler) error {
	limit := s.maxBodyBytes
	if r.URL.Path == "/Bulk" {
		limit = s.maxBulkBodyBytes
	}
	release, err := s.budget.acquire(r.Context(), r, limit)
	if err != nil {
		return err
	}
	defer release()
	return h(w, r)
}

// fail writes err as a SCIM error, logging it with the Server's logger.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, s.log, err)
}

// location is the absolute URL of a resource under BaseURL.
func (s *Server) location(k *resourceKind, id string) string {
	return s.baseURL + "/" + k.endpoint + "/" + url.PathEscape(id)
}

// rootQuery answers queries against the server root (RFC 7644 §3.4.2.1,
// §3.4.3), which this server does not offer.
func (s *Server) rootQuery(w http.ResponseWriter, r *http.Request) error {
	return notImplemented("querying the server root; query /Users or /Groups")
}

// me answers /Me (RFC 7644 §3.11), which this server does not offer: its
// clients are provisioning systems, not users.
func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	return notImplemented("/Me")
}
