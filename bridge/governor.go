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
	rate  float64
	limit int

	mu       sync.Mutex
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
	g.limit = cfg.MaxQueue
	if g.limit <= 0 {
		wait := cfg.MaxWait
		if wait <= 0 {
			wait = DefaultMaxWriteWait
		}
		g.limit = max(1, int(math.Floor(cfg.Rate*wait.Seconds())))
	}
	return g
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
	if g == nil || g.rate == 0 {
		return func() {}, nil
	}
	cost = max(1, cost)
	g.mu.Lock()
	// A write costlier than the whole limit is admitted alone.
	if g.inFlight > 0 && g.inFlight+cost > g.limit {
		queued := g.inFlight
		g.rejected++
		g.mu.Unlock()
		wait := time.Duration(float64(queued) / g.rate * float64(time.Second))
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

// Governed is a Bridge whose user writes (create, replace, patch, delete
// and bulk uploads) pass a Governor first; everything else is the Bridge's.
// It implements the same backends as the Bridge.
type Governed struct {
	*Bridge
	gov *Governor
}

// Governed returns b behind g.
func (b *Bridge) Governed(g *Governor) *Governed { return &Governed{Bridge: b, gov: g} }

// Governor returns the Governor in front of the bridge.
func (g *Governed) Governor() *Governor { return g.gov }

// CreateUser is Bridge.CreateUser once admitted. Errors: the 429 of
// Governor.Admit, and those of Bridge.CreateUser.
func (g *Governed) CreateUser(ctx context.Context, doc scimdoc.Document) (scimdoc.Resource, error) {
	release, err := g.gov.Admit(ctx, 1)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	defer release()
	return g.Bridge.CreateUser(ctx, doc)
}

// ReplaceUser is Bridge.ReplaceUser once admitted. Errors: the 429 of
// Governor.Admit, and those of Bridge.ReplaceUser.
func (g *Governed) ReplaceUser(ctx context.Context, id string, doc scimdoc.Document, pre scimdoc.Precondition) (scimdoc.Resource, error) {
	release, err := g.gov.Admit(ctx, 1)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	defer release()
	return g.Bridge.ReplaceUser(ctx, id, doc, pre)
}

// PatchUser is Bridge.PatchUser once admitted. Errors: the 429 of
// Governor.Admit, and those of Bridge.PatchUser.
func (g *Governed) PatchUser(ctx context.Context, id string, pre scimdoc.Precondition, ops []scimdoc.Operation) (scimdoc.Resource, error) {
	release, err := g.gov.Admit(ctx, 1)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	defer release()
	return g.Bridge.PatchUser(ctx, id, pre, ops)
}

// DeleteUser is Bridge.DeleteUser once admitted. Errors: the 429 of
// Governor.Admit, and those of Bridge.DeleteUser.
func (g *Governed) DeleteUser(ctx context.Context, id string, pre scimdoc.Precondition) error {
	release, err := g.gov.Admit(ctx, 1)
	if err != nil {
		return err
	}
	defer release()
	return g.Bridge.DeleteUser(ctx, id, pre)
}

// Bulk is Bridge.Bulk with each upload and each single user write admitted
// by the Governor; an operation refused admission fails with its 429.
func (g *Governed) Bulk(ctx context.Context, ops []BulkOperation, maxErrors int) []BulkResult {
	return g.Bridge.bulk(ctx, ops, maxErrors, g.gov, g)
}
