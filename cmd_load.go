package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/absorb-scim/absorb-scim/loadtest"
)

// runLoad drives a SCIM server on this machine with a mix of requests and
// prints throughput and latency percentiles per operation (see loadtest).
func runLoad(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("load", stderr)
	base := fs.String("url", "http://127.0.0.1:8080/scim/v2", "SCIM base URL (loopback only)")
	token := fs.String("token", "", "SCIM bearer token (default: $ABSORB_SCIM_TOKEN)")
	mix := fs.String("mix", "get=70,filter=20,patch=10", "operations and weights: get, filter (userName eq), extfilter (externalId eq), patch, create")
	concurrency := fs.Int("concurrency", 16, fmt.Sprintf("concurrent workers (at most %d)", loadtest.MaxConcurrency))
	duration := fs.Duration("duration", 30*time.Second, fmt.Sprintf("length of the measured run (at most %s)", loadtest.MaxDuration))
	requests := fs.Int("requests", loadtest.MaxRequests, "most requests of the measured run")
	users := fs.Int("users", 0, "users to create through /Bulk first (default: use up to 10,000 existing ones)")
	bulkSize := fs.Int("bulk-size", 1000, "operations per /Bulk request of the preload")
	absorbStats := fs.String("absorb-stats", "", "a fake Absorb's /_fake/stats URL, to report the upstream cost (loopback only)")
	quiet := fs.Bool("quiet", false, "no progress lines during the preload")
	mode := fs.String("mode", "mix", "mix: the weighed operations of -mix; walk: page through every user as Okta's import does")
	walkFilter := fs.String("walk-filter", "", "walk: the filter of every page, such as 'active eq true'")
	walkSortBy := fs.String("walk-sort-by", "", "walk: the sortBy of every page, such as userName")
	walkDescending := fs.Bool("walk-descending", false, "walk: sortOrder=descending")
	walkCount := fs.Int("walk-count", 100, "walk: users per page")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	m, err := loadtest.ParseMix(*mix)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if *token == "" {
		*token = getenv("ABSORB_SCIM_TOKEN")
	}
	cfg := loadtest.Config{
		BaseURL: *base, Token: *token, Mix: m, Concurrency: *concurrency, Duration: *duration,
		Requests: *requests, Users: *users, BulkSize: *bulkSize, AbsorbStatsURL: *absorbStats,
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	switch *mode {
	case "mix":
	case "walk":
		rep, err := loadtest.RunWalk(ctx, cfg, loadtest.Walk{Filter: *walkFilter, SortBy: *walkSortBy, Descending: *walkDescending, Count: *walkCount})
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		return rep.WriteText(stdout)
	default:
		return fmt.Errorf("load: -mode %q must be mix or walk", *mode)
	}
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	return rep.WriteText(stdout)
}

// startCPUProfile writes a CPU profile to path until the returned function
// is called; `go tool pprof` reads it.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
