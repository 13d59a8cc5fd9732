package cluster

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// Defaults of ReplicaOptions.
const (
	DefaultHeartbeat = time.Second
	// DefaultDeadAfter is how long a replica that stopped heartbeating
	// still counts as live: a few heartbeats, so one slow beat does not
	// hand its share out.
	DefaultDeadAfter = 4 * time.Second
)

// ReplicaOptions configure Replicas.
type ReplicaOptions struct {
	// Heartbeat is how often the replica says it is alive and counts the
	// live ones; default DefaultHeartbeat.
	Heartbeat time.Duration
	// DeadAfter is how long after its last heartbeat a replica stops
	// counting; default DefaultDeadAfter. It must exceed Heartbeat.
	DeadAfter time.Duration
	// OnLive is called with the number of live replicas (this one
	// included) after the first heartbeat and whenever it changes.
	OnLive func(live int)
	// OnError is called when a heartbeat fails; the last count stands.
	OnError func(err error)
}

// Replicas is one replica's membership in its tenant's set of live
// replicas: a row in cluster_replicas whose seen_at it updates every
// heartbeat. The count of live replicas is what each divides
// absorb.rateLimit by, so their combined rate stays within it.
type Replicas struct {
	c    *Cluster
	id   string
	opts ReplicaOptions
	live atomic.Int64
}

// Replicas returns the membership of the replica named id (unique among
// the tenant's replicas; a host name and a random suffix).
func (c *Cluster) Replicas(id string, opts ReplicaOptions) (*Replicas, error) {
	if id == "" {
		return nil, fmt.Errorf("cluster: a replica needs an id")
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	if opts.DeadAfter <= 0 {
		opts.DeadAfter = DefaultDeadAfter
	}
	if opts.DeadAfter <= opts.Heartbeat {
		return nil, fmt.Errorf("cluster: a replica's dead-after %v must exceed its heartbeat %v", opts.DeadAfter, opts.Heartbeat)
	}
	return &Replicas{c: c, id: id, opts: opts}, nil
}

// ID is the replica's id.
func (r *Replicas) ID() string { return r.id }

// Live is the number of live replicas at the last heartbeat, this one
// included; 0 before the first.
func (r *Replicas) Live() int { return int(r.live.Load()) }

// Join sends the first heartbeat, so the replica's share is known before
// it sends anything to Absorb, and returns the live count.
func (r *Replicas) Join(ctx context.Context) (int, error) {
	if err := r.beat(ctx); err != nil {
		return 0, err
	}
	return r.Live(), nil
}

// Settle waits until the replicas already running have had a heartbeat
// since this one joined, and so lowered their shares to count it, or until
// ctx ends. A replica that sends before that adds its share to theirs.
func (r *Replicas) Settle(ctx context.Context) error {
	t := time.NewTimer(r.opts.Heartbeat + r.opts.Heartbeat/2)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run heartbeats until ctx ends, then removes the replica's row, so the
// others take its share back at their next heartbeat rather than after
// DeadAfter.
func (r *Replicas) Run(ctx context.Context) {
	t := time.NewTicker(r.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.leave()
			return
		case <-t.C:
		}
		if err := r.beat(ctx); err != nil && ctx.Err() == nil && r.opts.OnError != nil {
			r.opts.OnError(err)
		}
	}
}

// beat updates the replica's row, forgets rows dead for long, and counts
// the others live, in one statement: the count sees the table as it was
// before the statement, so this replica is added to it.
func (r *Replicas) beat(ctx context.Context) error {
	var others int64
	err := r.c.pool.QueryRow(ctx, `WITH beat AS (
			INSERT INTO cluster_replicas (tenant, replica, seen_at) VALUES ($1, $2, now())
			ON CONFLICT (tenant, replica) DO UPDATE SET seen_at = now()
		), forgotten AS (
			DELETE FROM cluster_replicas WHERE tenant = $1 AND seen_at < now() - make_interval(secs => $4)
		)
		SELECT count(*) FROM cluster_replicas
		WHERE tenant = $1 AND replica <> $2 AND seen_at > now() - make_interval(secs => $3)`,
		r.c.tenant, r.id, r.opts.DeadAfter.Seconds(), forgetAfter.Seconds()).Scan(&others)
	if err != nil {
		return fmt.Errorf("replica heartbeat: %w", err)
	}
	live := others + 1
	if old := r.live.Swap(live); old != live && r.opts.OnLive != nil {
		r.opts.OnLive(int(live))
	}
	return nil
}

// forgetAfter is how long the row of a replica that stopped without
// leaving (killed) stays in cluster_replicas, for an operator to see.
const forgetAfter = time.Hour

// leave removes the replica's row. It runs after ctx ended, so it has a
// short context of its own.
func (r *Replicas) leave() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = r.c.pool.Exec(ctx, "DELETE FROM cluster_replicas WHERE tenant = $1 AND replica = $2", r.c.tenant, r.id)
}

// Share is a replica's part of a rate budget split between live replicas:
// rate/live requests per second and burst/live (at least 1) in a burst.
func Share(rate float64, burst, live int) (float64, int) {
	if live < 1 {
		live = 1
	}
	return rate / float64(live), max(1, burst/live)
}
