package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
)

var _ absorbapi.Observer = (*Metrics)(nil)

// ObserveRequest counts and times one HTTP attempt sent to Absorb. endpoint
// is the client's route pattern (such as "/users/{id}"), so ids never become
// label values; status 0 (a transport error) is labelled "error".
func (m *Metrics) ObserveRequest(_ context.Context, method, endpoint string, status int, d time.Duration) {
	code := "error"
	if status > 0 {
		code = strconv.Itoa(status)
	}
	method = methodLabel(method)
	m.upstreamRequests.WithLabelValues(method, endpoint, code).Inc()
	m.upstreamDuration.WithLabelValues(method, endpoint).Observe(d.Seconds())
	m.recent.upstream(status, m.now())
}

// ObserveLogin counts a login to Absorb: kind "refresh" when it replaced a
// token, else "login"; outcome "ok" or "failed".
func (m *Metrics) ObserveLogin(refresh bool, err error) {
	kind, outcome := "login", "ok"
	if refresh {
		kind = "refresh"
	}
	if err != nil {
		outcome = "failed"
	}
	m.logins.WithLabelValues(kind, outcome).Inc()
	m.recent.login(err == nil, m.now())
}

// ObserveLimiterWait records how long a request waited for the client-side
// rate limiter.
func (m *Metrics) ObserveLimiterWait(d time.Duration) {
	m.limiterWait.Observe(d.Seconds())
}
