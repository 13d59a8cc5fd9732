// Package loadtest drives a SCIM server with a mix of requests from
// concurrent workers and reports throughput and latency percentiles per
// operation. It is the engine of `absorb-scim load`. It only talks to
// loopback addresses and every run is bounded in time and in requests, so it
// cannot be pointed at someone else's server or run away.
package loadtest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Operations a mix may name.
const (
	OpGet       = "get"       // GET /Users/{id}
	OpFilter    = "filter"    // GET /Users?filter=userName eq "…"
	OpExtFilter = "extfilter" // GET /Users?filter=externalId eq "…"
	OpPatch     = "patch"     // PATCH /Users/{id}, replace title
	OpCreate    = "create"    // POST /Users, a new user
)

// Bounds of a run.
const (
	MaxDuration    = 10 * time.Minute
	MaxConcurrency = 512
	MaxRequests    = 10_000_000
	MaxUsers       = 1_000_000
	MaxBulkSize    = 10_000
)

// Config describes one load run.
type Config struct {
	// BaseURL is the SCIM base URL, such as http://127.0.0.1:8080/scim/v2;
	// its host must be a loopback address or "localhost".
	BaseURL string
	// Token is sent as a bearer token; it is never printed.
	Token string
	// Mix weighs the operations, e.g. {get: 70, filter: 20, patch: 10}.
	Mix map[string]int
	// Concurrency is the number of workers, 1 to MaxConcurrency.
	Concurrency int
	// Duration bounds the measured phase, up to MaxDuration.
	Duration time.Duration
	// Requests bounds the measured phase in requests, 1 to MaxRequests.
	Requests int
	// Users, when positive, is the number of users to create through /Bulk
	// before the measured phase (at most MaxUsers). With none, the workers
	// use up to DiscoverUsers users found by listing /Users.
	Users int
	// BulkSize is the number of operations per /Bulk request; default 1000.
	BulkSize int
	// AbsorbStatsURL, if set, is a fake Absorb's /_fake/stats URL (loopback
	// only); the report then shows what the run cost upstream.
	AbsorbStatsURL string
	// Progress, if not nil, receives a line per preload request.
	Progress io.Writer
	// HTTPClient sends the requests; default a client sized for Concurrency.
	HTTPClient *http.Client
}

// DiscoverUsers is how many existing users a run without preload reads.
const DiscoverUsers = 10_000

// ParseMix reads "get=70,filter=20,patch=10". Every operation must be known
// and every weight a non-negative integer; at least one weight must be
// positive.
func ParseMix(s string) (map[string]int, error) {
	mix := map[string]int{}
	total := 0
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, w, ok := strings.Cut(item, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok {
			return nil, fmt.Errorf("mix item %q is not op=weight", item)
		}
		switch name {
		case OpGet, OpFilter, OpExtFilter, OpPatch, OpCreate:
		default:
			return nil, fmt.Errorf("mix names unknown operation %q; known: %s", name, strings.Join(knownOps(), ", "))
		}
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("weight of %s is %q, want a non-negative integer", name, w)
		}
		mix[name] += n
		total += n
	}
	if total == 0 {
		return nil, errors.New("mix has no operation with a positive weight")
	}
	return mix, nil
}

func knownOps() []string {
	return []string{OpGet, OpFilter, OpExtFilter, OpPatch, OpCreate}
}

// CheckLoopback returns an error unless rawURL is an http(s) URL whose host
// is "localhost" or a loopback IP address.
func CheckLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("parse url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("url %q is not http or https", rawURL)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("url %q is not on a loopback address; load runs only against this machine", rawURL)
	}
	return nil
}

// check validates cfg and fills defaults.
func (c *Config) check() error {
	return c.validate(true)
}

// checkCommon is check without the mix, for a walk.
func (c *Config) checkCommon() error {
	return c.validate(false)
}

func (c *Config) validate(withMix bool) error {
	var problems []string
	if err := CheckLoopback(c.BaseURL); err != nil {
		problems = append(problems, err.Error())
	}
	if c.AbsorbStatsURL != "" {
		if err := CheckLoopback(c.AbsorbStatsURL); err != nil {
			problems = append(problems, "absorb stats: "+err.Error())
		}
	}
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		problems = append(problems, fmt.Sprintf("concurrency must be 1 to %d", MaxConcurrency))
	}
	if c.Duration <= 0 || c.Duration > MaxDuration {
		problems = append(problems, fmt.Sprintf("duration must be positive and at most %s", MaxDuration))
	}
	if c.Requests < 1 || c.Requests > MaxRequests {
		problems = append(problems, fmt.Sprintf("requests must be 1 to %d", MaxRequests))
	}
	if c.Users < 0 || c.Users > MaxUsers {
		problems = append(problems, fmt.Sprintf("users must be 0 to %d", MaxUsers))
	}
	if c.BulkSize == 0 {
		c.BulkSize = 1000
	}
	if c.BulkSize < 1 || c.BulkSize > MaxBulkSize {
		problems = append(problems, fmt.Sprintf("bulk size must be 1 to %d", MaxBulkSize))
	}
	if withMix && len(c.Mix) == 0 {
		problems = append(problems, "the mix is empty")
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return errors.New(strings.Join(problems, "; "))
	}
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{
			Timeout: 60 * time.Second,
			Transport: &http.Transport{
				MaxIdleConns:        c.Concurrency + 4,
				MaxIdleConnsPerHost: c.Concurrency + 4,
				DisableCompression:  true,
			},
		}
	}
	return nil
}
