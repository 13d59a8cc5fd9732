package metrics

import "github.com/prometheus/client_golang/prometheus"

// WatchHolds reports held(), read at every scrape, as the gauge
// absorb_scim_held_deactivations: the deactivations the brake on mass
// deactivation keeps from Absorb. Any value above zero means an operator
// must release or discard them. It returns the registration error when
// called twice.
func (m *Metrics) WatchHolds(held func() int) error {
	return m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "held_deactivations",
		Help:      "Deactivations accepted from the IdP but held from Absorb by the brake on mass deactivation, until released or discarded.",
	}, func() float64 { return float64(held()) }))
}
