package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Defaults of LeaseOptions.
const (
	DefaultLeaseTTL   = 10 * time.Second
	DefaultLeaseRenew = 3 * time.Second
)

// LeaseOptions configure a Lease.
type LeaseOptions struct {
	// TTL is how long a lease lasts after each renewal; a replica that dies
	// holding it is replaced within TTL+Renew. Default DefaultLeaseTTL.
	TTL time.Duration
	// Renew is how often the holder renews it and the others try to take
	// it; default DefaultLeaseRenew. It must be shorter than half of TTL.
	Renew time.Duration
	// OnError is called when taking or renewing the lease fails.
	OnError func(err error)
	// Status, if not nil, is called while holding the lease at each
	// renewal; what it returns (JSON) is stored with the lease for the other
	// replicas to read (LeaseState).
	Status func() []byte
}

// Lease is a named lease of a tenant that one replica at a time holds, the
// row (tenant, name) of cluster_leases. The holder renews it every Renew;
// a lease not renewed for TTL may be taken by another replica.
type Lease struct {
	c      *Cluster
	name   string
	holder string
	opts   LeaseOptions
	held   atomic.Bool
}

// Lease returns the lease name as replica holder would hold it.
func (c *Cluster) Lease(name, holder string, opts LeaseOptions) (*Lease, error) {
	if name == "" || holder == "" {
		return nil, errors.New("cluster: a lease needs a name and a holder")
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultLeaseTTL
	}
	if opts.Renew <= 0 {
		opts.Renew = DefaultLeaseRenew
	}
	if 2*opts.Renew >= opts.TTL {
		// A holder stops its work once two tries in a row could not
		// renew the lease, so the TTL must leave room for them.
		return nil, fmt.Errorf("cluster: lease renewal %v must be shorter than half its TTL %v", opts.Renew, opts.TTL)
	}
	return &Lease{c: c, name: name, holder: holder, opts: opts}, nil
}

// Held reports whether this replica holds the lease now.
func (l *Lease) Held() bool { return l.held.Load() }

// Lead runs work whenever this replica holds the lease, until ctx ends. It
// tries to take the lease at once and then every Renew; holding it, it runs
// work with a context that ends when the lease is lost: taken by another
// replica after this one failed to renew it, or not renewed in time (so
// work stops before another replica may start it), or ctx ending. Work
// that returns by itself is taken for failed: the lease is released, its
// error goes to OnError, and Lead tries again at its next turn. On ctx's
// end the lease is released, so another replica takes over at its next try
// rather than after TTL; Lead then returns nil.
func (l *Lease) Lead(ctx context.Context, work func(ctx context.Context) error) error {
	var (
		stopWork context.CancelFunc
		workDone chan error
		deadline time.Time // local clock: when the lease may have expired
	)
	stop := func() error {
		if stopWork == nil {
			return nil
		}
		stopWork()
		err := <-workDone
		stopWork, workDone = nil, nil
		l.held.Store(false)
		return err
	}
	defer l.release()
	defer stop()
	t := time.NewTicker(l.opts.Renew)
	defer t.Stop()
	for {
		// The local deadline is taken before the statement: the database
		// dates the lease from a moment after it, so work stops no later
		// than the lease really ends.
		start := time.Now()
		held, err := l.take(ctx, l.opts.Renew, stopWork != nil)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			if l.opts.OnError != nil {
				l.opts.OnError(err)
			}
		case held:
			deadline = start.Add(l.opts.TTL)
			if stopWork == nil {
				workCtx, cancel := context.WithCancel(ctx)
				stopWork, workDone = cancel, make(chan error, 1)
				l.held.Store(true)
				go func() { workDone <- work(workCtx) }()
			}
		default:
			_ = stop() // another replica holds it
		}
		// The next try starts after Renew and may take Renew more: when
		// the lease could run out before it ends, stop now, before another
		// replica may start the work.
		if stopWork != nil && !time.Now().Add(2*l.opts.Renew).Before(deadline) {
			_ = stop()
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-workDone:
			// Work that ends by itself failed (it runs until its context
			// ends): give the lease up for another replica, and try again
			// later, as the others do.
			stopWork()
			stopWork, workDone = nil, nil
			l.held.Store(false)
			l.release()
			if l.opts.OnError != nil {
				l.opts.OnError(fmt.Errorf("the work under the %s lease stopped: %v", l.name, err))
			}
		case <-t.C:
		}
	}
}

// take takes the lease, or renews it when this replica holds it, and
// reports whether it holds it now. It gives up after timeout, so a database
// that does not answer cannot keep the work running past the lease.
// working says whether this replica's work runs: only then is its status
// stored.
func (l *Lease) take(ctx context.Context, timeout time.Duration, working bool) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var status []byte
	if working && l.opts.Status != nil {
		status = l.opts.Status()
	}
	var holder string
	err := l.c.pool.QueryRow(ctx, `INSERT INTO cluster_leases (tenant, name, holder, expires_at, status)
		VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)
		ON CONFLICT (tenant, name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
			status = EXCLUDED.status
		WHERE cluster_leases.holder = EXCLUDED.holder OR cluster_leases.expires_at < now()
		RETURNING holder`, l.c.tenant, l.name, l.holder, l.opts.TTL.Seconds(), status).Scan(&holder)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take the %s lease: %w", l.name, err)
	}
	return holder == l.holder, nil
}

// release gives the lease up if this replica holds it. It runs after ctx
// ended, so it has a short context of its own.
func (l *Lease) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = l.c.pool.Exec(ctx, "DELETE FROM cluster_leases WHERE tenant = $1 AND name = $2 AND holder = $3", l.c.tenant, l.name, l.holder)
}

// LeaseState is a lease as the database holds it now.
type LeaseState struct {
	Holder string // the replica holding it; "" when none does
	// Status is what the holder's Status said at its last renewal (JSON);
	// nil when none was stored.
	Status []byte
}

// State returns who holds the lease now and the status it stored.
func (l *Lease) State(ctx context.Context) (LeaseState, error) {
	var st LeaseState
	err := l.c.pool.QueryRow(ctx, "SELECT holder, status FROM cluster_leases WHERE tenant = $1 AND name = $2 AND expires_at > now()",
		l.c.tenant, l.name).Scan(&st.Holder, &st.Status)
	if errors.Is(err, pgx.ErrNoRows) {
		return LeaseState{}, nil
	}
	if err != nil {
		return LeaseState{}, fmt.Errorf("read the %s lease: %w", l.name, err)
	}
	return st, nil
}
