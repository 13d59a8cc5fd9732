package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// scimResources are the endpoints of RFC 7644 §3.2 (and the Absorb bridge's
// own), the only values of the "resource" label besides "other". Ids and
// anything else from the path never become label values, so the number of
// series stays bounded.
var scimResources = []string{
	"Users", "Groups", "Me", "Bulk", ".search",
	"ServiceProviderConfig", "Schemas", "ResourceTypes",
}

// Middleware counts and times the SCIM requests next serves: requests whose
// path is under Options.SCIMPrefix. Other requests pass through unmeasured.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resource, ok := m.resourceOf(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		method := methodLabel(r.Method)
		cred := ""
		if m.credential != nil {
			cred = m.credential(r)
		}
		if cred == "" {
			cred = "none"
		}
		m.scimRequests.WithLabelValues(resource, method, strconv.Itoa(rec.status), cred).Inc()
		m.scimDuration.WithLabelValues(resource, method).Observe(time.Since(start).Seconds())
		m.recent.request(cred, rec.status, m.now())
	})
}

// resourceOf returns the resource label of a path, and false when the path
// is not under the SCIM prefix.
func (m *Metrics) resourceOf(path string) (string, bool) {
	if m.prefix == "" {
		return "", false
	}
	if path != m.prefix && !strings.HasPrefix(path, m.prefix+"/") {
		return "", false
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(path, m.prefix), "/")
	if rest == "" {
		return "root", true
	}
	first, _, _ := strings.Cut(rest, "/")
	for _, r := range scimResources {
		if strings.EqualFold(first, r) {
			return r, true
		}
	}
	if strings.EqualFold(first, "serviceConfiguration") {
		return "ServiceProviderConfig", true
	}
	return "other", true
}

// methodLabel keeps the method label to the methods SCIM uses.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return method
	}
	return "other"
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status = code
		s.wroteHeader = true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wroteHeader = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
