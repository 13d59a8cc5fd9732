package fakeabsorb

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrBadFaults is wrapped by every error of ParseFaults and SetFaults.
var ErrBadFaults = errors.New("bad fault spec")

// Faults are the misbehaviours a Server injects into API requests (never into
// /_fake control routes). The zero value injects nothing.
type Faults struct {
	// Latency is added to every request, after the work is done and just
	// before the answer is written.
	Latency time.Duration
	// Error5xx is the share of requests answered 500 without doing the work.
	Error5xx float64
	// Throttle is the share of requests answered 429 without doing the work,
	// beyond the real rate limit.
	Throttle float64
	// Reset is the share of requests whose work is done and whose connection
	// is then dropped without an answer.
	Reset float64
}

// String returns the canonical spec of f, which ParseFaults reads back; it is
// empty when f injects nothing.
func (f Faults) String() string {
	var parts []string
	if f.Latency > 0 {
		parts = append(parts, "latency="+f.Latency.String())
	}
	for _, p := range []struct {
		key string
		v   float64
	}{{"error5xx", f.Error5xx}, {"throttle", f.Throttle}, {"reset", f.Reset}} {
		if p.v > 0 {
			parts = append(parts, p.key+"="+strconv.FormatFloat(p.v, 'g', -1, 64))
		}
	}
	return strings.Join(parts, ",")
}

// ParseFaults reads a fault spec: a comma-separated list of key=value among
// latency=<Go duration>, error5xx=<share>, throttle=<share> and
// reset=<share>, where a share is a number from 0 to 1. Blank items are
// ignored, a repeated key keeps its last value, and the empty spec means no
// faults. An unknown key or a bad value returns an error wrapping ErrBadFaults.
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, val, found := strings.Cut(item, "=")
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		if !found {
			return Faults{}, fmt.Errorf("%w: %q is not key=value", ErrBadFaults, item)
		}
		switch key {
		case "latency":
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return Faults{}, fmt.Errorf("%w: latency %q is not a non-negative duration", ErrBadFaults, val)
			}
			f.Latency = d
		case "error5xx", "throttle", "reset":
			p, err := strconv.ParseFloat(val, 64)
			if err != nil || p < 0 || p > 1 || p != p {
				return Faults{}, fmt.Errorf("%w: %s %q is not a share between 0 and 1", ErrBadFaults, key, val)
			}
			switch key {
			case "error5xx":
				f.Error5xx = p
			case "throttle":
				f.Throttle = p
			default:
				f.Reset = p
			}
		default:
			return Faults{}, fmt.Errorf("%w: unknown key %q", ErrBadFaults, key)
		}
	}
	return f, nil
}

// SetFaults replaces the server's faults with those of spec (see ParseFaults);
// on error the faults in force are kept and the error wraps ErrBadFaults.
func (s *Server) SetFaults(spec string) error {
	f, err := ParseFaults(spec)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
	return nil
}

// Faults returns the faults in force.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// decision is what the dice said for one request.
type decision struct {
	latency  time.Duration
	error5xx bool
	throttle bool
	reset    bool
}

// rollLocked draws the fault decisions for one request; s.mu must be held.
func (s *Server) rollLocked() decision {
	f := s.faults
	d := decision{latency: f.Latency}
	switch {
	case f.Error5xx > 0 && s.rng.Float64() < f.Error5xx:
		d.error5xx = true
	case f.Throttle > 0 && s.rng.Float64() < f.Throttle:
		d.throttle = true
	case f.Reset > 0 && s.rng.Float64() < f.Reset:
		d.reset = true
	}
	return d
}
