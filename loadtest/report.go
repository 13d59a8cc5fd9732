package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what a run measured.
type Report struct {
	Preload     *Preload // nil when no users were preloaded
	Users       int      // users the workers picked from
	Concurrency int
	Elapsed     time.Duration // length of the measured phase
	Ops         []OpStats     // per operation, by name
	Total       OpStats
	Absorb      *AbsorbStats // upstream cost of the whole run, when AbsorbStatsURL was set
}

// Preload reports the creation of users through /Bulk.
type Preload struct {
	Users     int // created
	Failed    int // operations that failed for good
	Throttled int // operations answered 429 or 503 and sent again
	Requests  int // /Bulk requests sent
	Elapsed   time.Duration
}

// OpStats summarises the requests of one operation. Latency covers the
// whole exchange, from sending the request to reading the last byte.
type OpStats struct {
	Op                 string
	Requests           int
	Errors             int     // transport errors and answers other than 2xx, 304 and 429
	Throttled          int     // 429 answers
	PerSecond          float64 // requests answered per second of the run
	P50, P95, P99, Max time.Duration
}

// summarize computes the statistics of samples over elapsed.
func summarize(op string, samples []sample, elapsed time.Duration) OpStats {
	s := OpStats{Op: op, Requests: len(samples)}
	if len(samples) == 0 {
		return s
	}
	ds := make([]time.Duration, len(samples))
	for i, x := range samples {
		ds[i] = x.d
		switch {
		case x.status == http.StatusTooManyRequests:
			s.Throttled++
		case x.status == http.StatusNotModified, x.status >= 200 && x.status < 300:
		default:
			s.Errors++
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	s.P50, s.P95, s.P99 = percentile(ds, 50), percentile(ds, 95), percentile(ds, 99)
	s.Max = ds[len(ds)-1]
	if elapsed > 0 {
		s.PerSecond = float64(len(samples)) / elapsed.Seconds()
	}
	return s
}

// percentile returns the p-th percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// AbsorbStats are a fake Absorb's counters (its /_fake/stats), or the
// difference of two readings.
type AbsorbStats struct {
	Requests  map[string]int `json:"requests"`
	Throttled int            `json:"throttled"`
	Total     int            `json:"total"`
}

func (a *AbsorbStats) minus(b *AbsorbStats) *AbsorbStats {
	out := &AbsorbStats{Requests: map[string]int{}, Throttled: a.Throttled - b.Throttled, Total: a.Total - b.Total}
	for k, v := range a.Requests {
		if d := v - b.Requests[k]; d != 0 {
			out.Requests[k] = d
		}
	}
	return out
}

// absorbStats reads the fake Absorb's counters; nil when no URL is set.
func (c *runner) absorbStats(ctx context.Context) (*AbsorbStats, error) {
	if c.cfg.AbsorbStatsURL == "" {
		return nil, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.AbsorbStatsURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("absorb stats: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("absorb stats: status %d", resp.StatusCode)
	}
	var st AbsorbStats
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return nil, fmt.Errorf("absorb stats: %w", err)
	}
	return &st, nil
}

// WriteText writes the report as a table a person reads.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	if p := r.Preload; p != nil {
		rate := 0.0
		if p.Elapsed > 0 {
			rate = float64(p.Users) / p.Elapsed.Seconds()
		}
		fmt.Fprintf(&b, "preload: %d users through %d /Bulk requests in %s (%.0f users/s); %d failed, %d throttled and resent\n",
			p.Users, p.Requests, p.Elapsed.Round(time.Millisecond), rate, p.Failed, p.Throttled)
	}
	fmt.Fprintf(&b, "run: %s, concurrency %d, %d users to pick from\n\n", r.Elapsed.Round(time.Millisecond), r.Concurrency, r.Users)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\trequests\treq/s\terrors\t429s\tp50\tp95\tp99\tmax\t")
	for _, s := range append(append([]OpStats(nil), r.Ops...), r.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%d\t%s\t%s\t%s\t%s\t\n", s.Op, s.Requests, s.PerSecond, s.Errors, s.Throttled,
			ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if a := r.Absorb; a != nil {
		routes := make([]string, 0, len(a.Requests))
		for k, v := range a.Requests {
			routes = append(routes, fmt.Sprintf("%s: %d", k, v))
		}
		sort.Strings(routes)
		fmt.Fprintf(&b, "\nabsorb: %d requests, %d answered 429\n", a.Total, a.Throttled)
		for _, line := range routes {
			fmt.Fprintf(&b, "  %s\n", line)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ms renders a duration in milliseconds with two decimals.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}
