package fakeabsorb

import "maps"

// Stats counts the API requests a Server received since it started or since
// ResetStats. Control routes under /_fake/ are not counted.
type Stats struct {
	// Requests counts requests by "METHOD pattern", such as "GET /users/{id}";
	// a path the API does not route counts as "METHOD (unmatched)".
	Requests map[string]int `json:"requests"`
	// Logins counts successful POST /authenticate calls.
	Logins int `json:"logins"`
	// Throttled counts 429 answers, from the rate limiter or from a fault.
	Throttled int `json:"throttled"`
	// Faults counts injected faults by kind.
	Faults FaultStats `json:"faults"`
	// Total counts every request.
	Total int `json:"total"`
}

// FaultStats counts injected faults by kind.
type FaultStats struct {
	Error5xx int `json:"error5xx"`
	Throttle int `json:"throttle"`
	Reset    int `json:"reset"`
}

// Stats returns a copy of the counters, the same data as GET /_fake/stats.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stats
	c.Requests = maps.Clone(s.stats.Requests)
	return c
}

// ResetStats sets every counter to zero.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{Requests: map[string]int{}}
}
