package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/cluster"
	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/server"
	"github.com/jackc/pgx/v5/pgxpool"
)

// sharedStore is a store several replicas share (PostgreSQL): the pool that
// reaches it and the tenant whose rows it holds.
type sharedStore interface {
	Pool() *pgxpool.Pool
	Tenant() string
}

// workerLease names the lease the background work runs under.
const workerLease = "worker"

// pendingRescan is how often the replica running the background work
// reads the group rule work the other replicas recorded.
const pendingRescan = 2 * time.Second

// replicaCluster is how this replica coordinates with the others sharing
// its store: the shared Absorb token, its share of absorb.rateLimit, the
// worker lease and the write locks. Without a shared store (cl nil) it is
// the one replica of a bbolt file: a token of its own, the whole rate, the
// background work always, and in-process locks.
type replicaCluster struct {
	cl       *cluster.Cluster // nil: the store is not shared
	id       string
	tokens   *cluster.Tokens
	replicas *cluster.Replicas
	lease    *cluster.Lease
	// working is set while this process runs the background work without
	// a lease (a store that is not shared).
	working atomic.Bool
}

// openCluster opens the coordination of a.store's replicas when the store
// is shared, and reports on it in the metrics. It is called in build,
// before the Absorb client is made.
func (a *app) openCluster() error {
	s, ok := a.store.(sharedStore)
	if !ok {
		a.cluster = &replicaCluster{}
		return a.watchCluster()
	}
	rc, err := newReplicaCluster(context.Background(), s.Pool(), s.Tenant(), a)
	if err != nil {
		return err
	}
	a.cluster = rc
	return a.watchCluster()
}

// watchCluster registers the gauges of the worker lease and the replicas.
func (a *app) watchCluster() error {
	if err := a.metrics.WatchWorker(a.cluster.leading); err != nil {
		return err
	}
	return a.metrics.WatchReplicas(a.cluster.live)
}

// newReplicaCluster opens the coordination of tenant's replicas through
// pool. The rate share it keeps applies to a.absorb, once made.
func newReplicaCluster(ctx context.Context, pool *pgxpool.Pool, tenant string, a *app) (*replicaCluster, error) {
	cl, err := cluster.Open(ctx, pool, tenant, cluster.Options{})
	if err != nil {
		return nil, err
	}
	rc := &replicaCluster{cl: cl, id: replicaID()}
	abs := a.cfg.Absorb
	if rc.tokens, err = cl.Tokens(cluster.TokenSecret(abs.PrivateKey, abs.Username, abs.Password)); err != nil {
		cl.Close()
		return nil, err
	}
	rc.replicas, err = cl.Replicas(rc.id, cluster.ReplicaOptions{
		OnLive: func(live int) {
			if a.absorb == nil || abs.RateLimit <= 0 {
				return // unlimited: nothing to share
			}
			limit, burst := cluster.Share(abs.RateLimit, abs.Burst, live)
			a.absorb.SetRateLimit(limit, burst)
			a.governor.SetRate(limit)
			a.log.Info("absorb rate shared between replicas", "replicas", live, "rateLimit", limit, "burst", burst)
		},
		OnError: func(err error) { a.log.Warn("replica heartbeat failed; the rate share stays as it was", "error", err) },
	})
	if err != nil {
		cl.Close()
		return nil, err
	}
	rc.lease, err = cl.Lease(workerLease, rc.id, cluster.LeaseOptions{
		OnError: func(err error) { a.log.Warn("worker lease", "error", err) },
		// The other replicas answer /readyz from the worker's sync.
		Status: func() []byte {
			b, _ := json.Marshal(a.bridge.SyncStatus())
			return b
		},
	})
	if err != nil {
		cl.Close()
		return nil, err
	}
	return rc, nil
}

// replicaID names this process among the replicas: the host name (the pod
// name on Kubernetes) and a random suffix, so a restarted pod is another
// replica.
func replicaID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "replica"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}

// tokenStore is the Absorb client's TokenStore: nil (a token of its own)
// without a cluster.
func (rc *replicaCluster) tokenStore() absorbapi.TokenStore {
	if rc.cl == nil {
		return nil
	}
	return rc.tokens
}

// locker is the bridge's shared Locker: nil (in-process locks only)
// without a cluster.
func (rc *replicaCluster) locker() bridge.Locker {
	if rc.cl == nil {
		return nil
	}
	return rc.cl.Locks()
}

// shared says other replicas write the store too.
func (rc *replicaCluster) shared() bool { return rc.cl != nil }

// rescan is the bridge's PendingRescan: zero without a cluster, where this
// process records all the rule work itself.
func (rc *replicaCluster) rescan() time.Duration {
	if rc.cl == nil {
		return 0
	}
	return pendingRescan
}

// join sends the first heartbeat, so this replica's share of the rate is
// set before it serves, and waits for the replicas already running to
// count it, so that together they stay within the rate.
func (rc *replicaCluster) join(ctx context.Context) error {
	if rc.cl == nil {
		return nil
	}
	live, err := rc.replicas.Join(ctx)
	if err != nil {
		return fmt.Errorf("join the replicas sharing the store: %w", err)
	}
	if live > 1 {
		return rc.replicas.Settle(ctx)
	}
	return nil
}

// heartbeat keeps this replica counted until ctx ends.
func (rc *replicaCluster) heartbeat(ctx context.Context) {
	if rc.cl != nil {
		rc.replicas.Run(ctx)
	}
}

// runWorker runs the background work until ctx ends: at once without a
// cluster, else whenever this replica holds the worker lease.
func (rc *replicaCluster) runWorker(ctx context.Context, work func(context.Context) error) error {
	if rc.cl == nil {
		rc.working.Store(true)
		defer rc.working.Store(false)
		return work(ctx)
	}
	return rc.lease.Lead(ctx, work)
}

// leading reports whether this replica runs the background work now.
func (rc *replicaCluster) leading() bool {
	if rc.cl == nil {
		return rc.working.Load()
	}
	return rc.lease.Held()
}

// live is the number of live replicas (1 without a cluster).
func (rc *replicaCluster) live() int {
	if rc.cl == nil {
		return 1
	}
	return rc.replicas.Live()
}

// close closes the locks' pool; the store's pool stays open. It may be
// called on a nil cluster (build failed before it).
func (rc *replicaCluster) close() {
	if rc != nil && rc.cl != nil {
		rc.cl.Close()
	}
}

// serverBridge is the bridge as the server takes it: with replicas, one
// whose sync status, on a replica that does not run the background work, is
// the worker's.
func (rc *replicaCluster) serverBridge(b server.Bridge) server.Bridge {
	if rc.cl == nil {
		return b
	}
	return workerStatus{Bridge: b, rc: rc}
}

// workerStatus answers SyncStatus with the status the replica holding the
// worker lease stored with it, when that is not this one: only the worker
// syncs, and /readyz, the metrics and the admin status speak of its sync.
type workerStatus struct {
	server.Bridge
	rc *replicaCluster
}

// workerStatusTimeout bounds the read of the worker's status.
const workerStatusTimeout = 2 * time.Second

func (w workerStatus) SyncStatus() bridge.SyncStatus {
	if w.rc.lease.Held() {
		return w.Bridge.SyncStatus()
	}
	ctx, cancel := context.WithTimeout(context.Background(), workerStatusTimeout)
	defer cancel()
	st, err := w.rc.lease.State(ctx)
	switch {
	case err != nil:
		// The error may name the database; the status is shown to people.
		return bridge.SyncStatus{LastError: "the worker's status cannot be read from the database"}
	case st.Holder == "":
		return bridge.SyncStatus{LastError: "no replica runs the background work"}
	case st.Status == nil:
		return bridge.SyncStatus{} // the worker started: its first sync runs
	}
	var out bridge.SyncStatus
	if err := json.Unmarshal(st.Status, &out); err != nil {
		return bridge.SyncStatus{LastError: "the worker's status cannot be read: " + err.Error()}
	}
	return out
}

// sharedTokens is the Absorb token the replicas of cfg's store share, for a
// command that talks to Absorb beside them (doctor): with a token of its
// own, its login would revoke theirs. Without a shared store, or when the
// store cannot be opened (doctor reports that itself), it is nil and close
// does nothing.
func sharedTokens(ctx context.Context, cfg config.Config) (tokens absorbapi.TokenStore, done func()) {
	done = func() {}
	if cfg.Storage.Driver != config.DriverPostgres {
		return nil, done
	}
	store, err := openPostgres(ctx, cfg.Storage.Postgres.URL, cfg.Tenant)
	if err != nil {
		return nil, done
	}
	s, ok := store.(sharedStore)
	if !ok {
		store.Close()
		return nil, done
	}
	cl, err := cluster.Open(ctx, s.Pool(), s.Tenant(), cluster.Options{})
	if err != nil {
		store.Close()
		return nil, done
	}
	abs := cfg.Absorb
	t, err := cl.Tokens(cluster.TokenSecret(abs.PrivateKey, abs.Username, abs.Password))
	if err != nil {
		cl.Close()
		store.Close()
		return nil, done
	}
	return t, func() { cl.Close(); store.Close() }
}
