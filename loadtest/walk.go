package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Walk describes a walk: paging through every user as Okta's import does,
// startIndex 1, 1+Count, 1+2*Count and so on, one request after the other.
type Walk struct {
	Filter     string // the filter parameter; "" for none
	SortBy     string // the sortBy parameter; "" for none
	Descending bool   // sortOrder=descending
	Count      int    // page size; default 100
}

// WalkReport is what a walk measured. Latency covers the whole exchange of
// a page, from sending the request to reading the last byte.
type WalkReport struct {
	Preload      *Preload // nil when no users were preloaded
	Walk         Walk
	Pages        int
	Users        int // resources returned
	Repeated     int // resources returned by an earlier page of the walk too
	TotalResults int // of the last page
	Elapsed      time.Duration
	P50, P99     time.Duration // page latency
	Slowest      time.Duration
	SlowestStart int // startIndex of the slowest page
}

// RunWalk preloads cfg.Users users when asked, then walks every user with
// w and reports the total time and the slowest page. It stops with an
// error at the first answer other than 200, and when cfg.Duration has
// passed.
func RunWalk(ctx context.Context, cfg Config, w Walk) (*WalkReport, error) {
	if cfg.Mix == nil {
		cfg.Mix = map[string]int{} // a walk has no mix
	}
	if err := cfg.checkCommon(); err != nil {
		return nil, err
	}
	if w.Count == 0 {
		w.Count = 100
	}
	if w.Count < 1 {
		return nil, errors.New("walk page size must be positive")
	}
	c := &runner{cfg: cfg, runID: runID()}
	rep := &WalkReport{Walk: w}
	if cfg.Users > 0 {
		pre, err := c.preload(ctx)
		if err != nil {
			return nil, err
		}
		rep.Preload = pre
		c.users = nil // the walk keeps only ids
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	seen := map[string]struct{}{}
	var latencies []time.Duration
	begin := time.Now()
	for start := 1; ; start += w.Count {
		q := url.Values{"startIndex": {fmt.Sprint(start)}, "count": {fmt.Sprint(w.Count)}}
		if w.Filter != "" {
			q.Set("filter", w.Filter)
		}
		if w.SortBy != "" {
			q.Set("sortBy", w.SortBy)
		}
		if w.Descending {
			q.Set("sortOrder", "descending")
		}
		t0 := time.Now()
		status, body, err := c.do(ctx, http.MethodGet, "/Users?"+q.Encode(), nil)
		d := time.Since(t0)
		if err != nil {
			return nil, fmt.Errorf("walk page at %d: %w", start, err)
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("walk page at %d: status %d: %s", start, status, clip(body))
		}
		var page struct {
			TotalResults int `json:"totalResults"`
			Resources    []struct {
				ID string `json:"id"`
			} `json:"Resources"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("walk page at %d: %w", start, err)
		}
		latencies = append(latencies, d)
		if d > rep.Slowest {
			rep.Slowest, rep.SlowestStart = d, start
		}
		rep.Pages++
		rep.TotalResults = page.TotalResults
		for _, r := range page.Resources {
			if _, ok := seen[r.ID]; ok {
				rep.Repeated++
			}
			seen[r.ID] = struct{}{}
		}
		rep.Users += len(page.Resources)
		if c.cfg.Progress != nil && rep.Pages%1000 == 0 {
			fmt.Fprintf(c.cfg.Progress, "walk: %d pages, %d users, %s\n", rep.Pages, rep.Users, time.Since(begin).Round(time.Millisecond))
		}
		if len(page.Resources) < w.Count {
			break
		}
	}
	rep.Elapsed = time.Since(begin)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	rep.P50, rep.P99 = percentile(latencies, 50), percentile(latencies, 99)
	return rep, nil
}

// WriteText prints the report.
func (r *WalkReport) WriteText(w io.Writer) error {
	var b strings.Builder
	if p := r.Preload; p != nil {
		fmt.Fprintf(&b, "preload: %d users through %d /Bulk requests in %s; %d failed\n",
			p.Users, p.Requests, p.Elapsed.Round(time.Millisecond), p.Failed)
	}
	var params []string
	if r.Walk.Filter != "" {
		params = append(params, "filter="+r.Walk.Filter)
	}
	if r.Walk.SortBy != "" {
		params = append(params, "sortBy="+r.Walk.SortBy)
	}
	if r.Walk.Descending {
		params = append(params, "sortOrder=descending")
	}
	params = append(params, fmt.Sprintf("count=%d", r.Walk.Count))
	fmt.Fprintf(&b, "walk: %s\n", strings.Join(params, " "))
	fmt.Fprintf(&b, "%d pages, %d users (totalResults %d, %d repeated) in %s\n",
		r.Pages, r.Users, r.TotalResults, r.Repeated, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "page p50 %s, p99 %s, slowest %s (startIndex %d)\n", ms(r.P50), ms(r.P99), ms(r.Slowest), r.SlowestStart)
	_, err := io.WriteString(w, b.String())
	return err
}
