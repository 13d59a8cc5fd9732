package metrics

import "github.com/prometheus/client_golang/prometheus"

// WatchWorker reports leading(), read at every scrape, as the gauge
// absorb_scim_worker_leader: 1 on the replica that runs the background work
// (sync, group rules, create resolution, reconcile, audit pruning), 0 on the
// others. Summed over the replicas it must be 1. It returns the
// registration error when called twice.
func (m *Metrics) WatchWorker(leading func() bool) error {
	return m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "worker_leader",
		Help:      "1 when this replica runs the background work (it holds the worker lease), else 0.",
	}, func() float64 {
		if leading() {
			return 1
		}
		return 0
	}))
}

// WatchReplicas reports live(), read at every scrape, as the gauge
// absorb_scim_replicas: the replicas sharing the store that this one counted
// live at its last heartbeat, itself included; each sends at most
// absorb.rateLimit divided by it. It returns the registration error when
// called twice.
func (m *Metrics) WatchReplicas(live func() int) error {
	return m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "replicas",
		Help:      "Live replicas sharing the store, this one included, by its last heartbeat; absorb.rateLimit is divided between them.",
	}, func() float64 { return float64(live()) }))
}
