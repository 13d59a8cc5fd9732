package fakeabsorb

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// controlRoutes registers the /_fake/ routes. They need no key or token, are
// not rate limited, get no faults and are not counted in Stats.
func (s *Server) controlRoutes() {
	s.control.HandleFunc("GET /_fake/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.writeFaults(w)
	})
	s.control.HandleFunc("POST /_fake/faults", s.postFaults)
	s.control.HandleFunc("POST /_fake/steal-token", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSpace(r.URL.Query().Get("username"))
		if name == "" {
			controlJSON(w, http.StatusBadRequest, map[string]string{"message": "the username query parameter is required"})
			return
		}
		controlJSON(w, http.StatusOK, map[string]any{"username": name, "revoked": s.stealToken(name)})
	})
	s.control.HandleFunc("GET /_fake/stats", func(w http.ResponseWriter, _ *http.Request) {
		controlJSON(w, http.StatusOK, s.Stats())
	})
	s.control.HandleFunc("POST /_fake/stats/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	})
	s.control.HandleFunc("POST /_fake/rate-limit", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		perSecond, err1 := strconv.ParseFloat(q.Get("rate"), 64)
		burst, err2 := strconv.Atoi(q.Get("burst"))
		if err1 != nil || err2 != nil {
			controlJSON(w, http.StatusBadRequest, map[string]string{"message": "want ?rate=<requests per second>&burst=<n>"})
			return
		}
		s.SetRateLimit(perSecond, burst)
		w.WriteHeader(http.StatusNoContent)
	})
	s.control.HandleFunc("/_fake/", func(w http.ResponseWriter, _ *http.Request) {
		controlJSON(w, http.StatusNotFound, map[string]string{"message": "unknown control route"})
	})
}

// postFaults sets the faults from ?spec=, else from the body: raw text, a JSON
// string or {"spec": "..."}. An empty spec clears the faults.
func (s *Server) postFaults(w http.ResponseWriter, r *http.Request) {
	spec, fromQuery := r.URL.Query()["spec"]
	var text string
	if fromQuery {
		text = spec[0]
	} else {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil {
			controlJSON(w, http.StatusBadRequest, map[string]string{"message": "cannot read the body"})
			return
		}
		text = strings.TrimSpace(string(body))
		switch {
		case strings.HasPrefix(text, "{"):
			var in struct {
				Spec string `json:"spec"`
			}
			if err := json.Unmarshal([]byte(text), &in); err != nil {
				controlJSON(w, http.StatusBadRequest, map[string]string{"message": "want {\"spec\": \"...\"}"})
				return
			}
			text = in.Spec
		case strings.HasPrefix(text, `"`):
			if err := json.Unmarshal([]byte(text), &text); err != nil {
				controlJSON(w, http.StatusBadRequest, map[string]string{"message": "bad JSON string"})
				return
			}
		}
	}
	if err := s.SetFaults(text); err != nil {
		controlJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	s.writeFaults(w)
}

func (s *Server) writeFaults(w http.ResponseWriter) {
	f := s.Faults()
	controlJSON(w, http.StatusOK, map[string]any{
		"spec":     f.String(),
		"latency":  f.Latency.String(),
		"error5xx": f.Error5xx,
		"throttle": f.Throttle,
		"reset":    f.Reset,
	})
}

func controlJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"cannot encode"}`)
	}
	write(w, status, b)
}
