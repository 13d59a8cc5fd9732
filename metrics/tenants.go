package metrics

import (
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
)

// TenantLabel is the label that names the tenant of every series a
// deployment with tenants exposes; its values are the configured tenant ids,
// so the number of series stays bounded.
const TenantLabel = "tenant"

// Runtime returns a registry of the Go runtime and process collectors
// alone: with tenants, each tenant's Metrics leaves them out (NoRuntime) and
// the process reports them once, without a tenant.
func Runtime() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// ForTenant is m's metrics with the label tenant=id added to every series,
// to be gathered with the other tenants' (prometheus.Gatherers merges the
// families they share).
func (m *Metrics) ForTenant(id string) prometheus.Gatherer {
	return labelled{g: m.reg, name: TenantLabel, value: id}
}

// labelled adds one label to every metric g gathers.
type labelled struct {
	g           prometheus.Gatherer
	name, value string
}

func (l labelled) Gather() ([]*dto.MetricFamily, error) {
	families, err := l.g.Gather()
	for _, f := range families {
		for _, m := range f.Metric {
			name, value := l.name, l.value
			m.Label = append(m.Label, &dto.LabelPair{Name: &name, Value: &value})
			slices.SortFunc(m.Label, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
		}
	}
	return families, err
}
