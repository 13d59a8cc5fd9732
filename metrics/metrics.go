// Package metrics exposes the bridge's Prometheus metrics: SCIM requests
// served, calls made to Absorb, the client-side rate limiter, logins, the
// sync with Absorb and what storage holds. Everything is registered on a
// Registry of its own, never on the global default one, so several bridges
// (or tests) in one process do not collide.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric name.
const namespace = "absorb_scim"

// Options configure New.
type Options struct {
	// SCIMPrefix is the path the SCIM endpoint is served under, such as
	// "/scim/v2"; requests outside it are not counted as SCIM requests.
	SCIMPrefix string
	// Credential names the credential that authenticated a request, read
	// after the request was served; nil or "" means "none".
	Credential func(*http.Request) string
	// Now is the clock used for the sync lag; nil means time.Now.
	Now func() time.Time
	// NoRuntime leaves out the Go runtime and process collectors.
	NoRuntime bool
}

// Metrics holds the collectors of one bridge. Its methods are safe for
// concurrent use.
type Metrics struct {
	reg        *prometheus.Registry
	prefix     string
	credential func(*http.Request) string
	now        func() time.Time

	scimRequests     *prometheus.CounterVec
	scimDuration     *prometheus.HistogramVec
	upstreamRequests *prometheus.CounterVec
	upstreamDuration *prometheus.HistogramVec
	limiterWait      prometheus.Histogram
	logins           *prometheus.CounterVec

	recent *recent // the last hour and day, for the status console
}

// New returns Metrics with every collector registered on a new Registry.
func New(opts Options) *Metrics {
	m := &Metrics{
		reg:        prometheus.NewRegistry(),
		prefix:     opts.SCIMPrefix,
		credential: opts.Credential,
		now:        opts.Now,
		recent:     newRecent(),
		scimRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "scim_requests_total",
			Help: "SCIM requests served, by resource endpoint, method, status code and credential name.",
		}, []string{"resource", "method", "status", "credential"}),
		scimDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "scim_request_duration_seconds",
			Help:    "Time to answer a SCIM request, by resource endpoint and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"resource", "method"}),
		upstreamRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "absorb_requests_total",
			Help: "HTTP attempts sent to Absorb, by method, endpoint pattern and status code (\"error\" for a transport error).",
		}, []string{"method", "endpoint", "status"}),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "absorb_request_duration_seconds",
			Help:    "Duration of one HTTP attempt sent to Absorb, by method and endpoint pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "endpoint"}),
		limiterWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "absorb_rate_limiter_wait_seconds",
			Help:    "Time requests to Absorb waited for the bridge's own rate limiter.",
			Buckets: []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "absorb_logins_total",
			Help: "Logins to Absorb, by kind (login for the first token, refresh for a replacement) and outcome (ok or failed).",
		}, []string{"kind", "outcome"}),
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.reg.MustRegister(m.scimRequests, m.scimDuration, m.upstreamRequests, m.upstreamDuration, m.limiterWait, m.logins)
	if !opts.NoRuntime {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Registry returns the registry the collectors are registered on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format, for
// GET /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
