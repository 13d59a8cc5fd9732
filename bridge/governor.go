package bridge

import (
	"context"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// DefaultMaxWriteWait is how long, by default, a write may expect to wait
// for upstream capacity before the Governor turns writes away.
const DefaultMaxWriteWait = 2 * time.Second

// GovernorConfig configures a Governor.
type GovernorConfig struct {
	// Rate is the upstream rate the writes share, in requests per second:
	// the Absorb client's limit. Zero or negative means unlimited, and the
	// Governor admits every write.
	Rate float64
	// MaxWait is how long an admitted write may expect to wait for its turn
	// at Rate; zero means DefaultMaxWriteWait.
	MaxWait time.Duration
	// MaxQueue, when positive, is the most writes admitted at once. Zero
	// derives it from the rate: Rate × MaxWait, at least 1.
	MaxQueue int
}

// Governor bounds the writes waiting for upstream capacity. The Absorb
// client's limiter keeps upstream traffic at its rate however many writes
// wait for it; the Governor keeps the queue in front of that limiter short,
// answering 429 with Retry-After beyond the bound instead of letting an
// IdP's storm of writes queue for minutes and time out. A nil *Governor
// admits everything. It is safe for concurrent use.
type Governor struct {
	wait       time.Duration // MaxWait
	fixedLimit bool          // MaxQueue set the limit: rate changes keep it

	mu       sync.Mutex // guards rate, limit and the counters below
	rate     float64
	limit    int
	inFlight int
	admitted uint64
	rejected uint64
}

// GovernorStats reports what a Governor did since it was made.
type GovernorStats struct {
	Limit    int    // most writes admitted at once; 0 when unlimited
	InFlight int    // writes admitted and not yet done
	Admitted uint64 // writes admitted
	Rejected uint64 // writes answered 429
}

// NewGovernor returns a Governor for cfg.
func NewGovernor(cfg GovernorConfig) *Governor {
	g := &Governor{rate: cfg.Rate}
	if cfg.Rate <= 0 {
		g.rate = 0
		return g
	}
	g.wait = cfg.MaxWait
	if g.wait <= 0 {
		g.wait = DefaultMaxWriteWait
	}
	g.limit = cfg.MaxQueue
	g.fixedLimit = g.limit > 0
	if !g.fixedLimit {
		g.limit = max(1, int(math.Floor(cfg.Rate*g.wait.Seconds())))
	}
	return g
}

// SetRate changes the upstream rate the writes share, as a replica's share
// of absorb.rateLimit changes when replicas come and go; the limit derived
// from the rate follows it (one MaxQueue set stays). A Governor made
// unlimited, and a rate that is not positive, change nothing.
func (g *Governor) SetRate(rate float64) {
	if g == nil || rate <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.rate == 0 {
		return
	}
	g.rate = rate
	if !g.fixedLimit {
		g.limit = max(1, int(math.Floor(rate*g.wait.Seconds())))
	}
}

// Admit admits one write of cost upstream calls (at least 1) and returns
// the function that marks it done, to be called exactly once. A write that
// would take the writes in flight past the limit is refused with a 429
// *scimdoc.Error whose RetryAfter is how long the writes already admitted
// need at the rate (at least a second); a cancelled ctx refuses it with
// ctx's error.
func (g *Governor) Admit(ctx context.Context, cost int) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if g == nil {
		return func() {}, nil
	}
	cost = max(1, cost)
	g.mu.Lock()
	if g.rate == 0 {
		g.mu.Unlock()
		return func() {}, nil
	}
	// A write costlier than the whole limit is admitted alone.
	if g.inFlight > 0 && g.inFlight+cost > g.limit {
		queued, rate := g.inFlight, g.rate
		g.rejected++
		g.mu.Unlock()
		wait := time.Duration(float64(queued) / rate * float64(time.Second))
		return nil, &scimdoc.Error{
			Status:     http.StatusTooManyRequests,
			Detail:     "too many writes are waiting for Absorb's rate limit; retry after the given delay",
			RetryAfter: max(wait, time.Second),
		}
	}
	g.inFlight += cost
	g.admitted++
	g.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			g.inFlight -= cost
			g.mu.Unlock()
		})
	}, nil
}

// Stats returns the Governor's counters; a nil Governor reports zeros.
func (g *Governor) Stats() GovernorStats {
	if g == nil {
		return GovernorStats{}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return GovernorStats{Limit: g.limit, InFlight: g.inFlight, Admitted: g.admitted, Rejected: g.rejected}
}

// admit is the Governor's check at the top of each user write of a SCIM
// request. Errors: the 429 of Governor.Admit, and ctx's error.
func (b *Bridge) admit(ctx context.Context) (release func(), err error) {
	return b.gov.Admit(ctx, 1)
}
