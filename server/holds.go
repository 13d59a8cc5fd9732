package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/metrics"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// Brake is what the endpoints of the brake on mass deactivation, the trace
// and the audit log need of the bridge.
type Brake interface {
	HeldDeactivations() int
	ListHolds() []bridge.HeldDeactivation
	ReleaseHolds(ctx context.Context, ids []string) (bridge.HoldsReport, error)
	DiscardHolds(ctx context.Context, ids []string) (bridge.HoldsReport, error)
	Trace(ctx context.Context, key string) (bridge.Trace, error)
	ReadAudit(q bridge.AuditQuery, fn func(storage.AuditRecord) error) error
}

var _ Brake = (*bridge.Bridge)(nil)

// brakeRoutes adds GET /admin/holds, POST /admin/holds/release,
// POST /admin/holds/discard, GET /admin/trace and GET /admin/audit, each
// behind guard, and reports the held deactivations to m.
func brakeRoutes(r *mux.Router, guard func(http.HandlerFunc) http.Handler, a *admin, b Brake, m *metrics.Metrics) error {
	if err := m.WatchHolds(b.HeldDeactivations); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	h := brakeAdmin{admin: a, b: b}
	r.Handle("/admin/holds", guard(h.list)).Methods(http.MethodGet)
	r.Handle("/admin/holds/release", guard(h.settle(b.ReleaseHolds))).Methods(http.MethodPost)
	r.Handle("/admin/holds/discard", guard(h.settle(b.DiscardHolds))).Methods(http.MethodPost)
	r.Handle("/admin/trace", guard(h.trace)).Methods(http.MethodGet)
	r.Handle("/admin/audit", guard(h.audit)).Methods(http.MethodGet)
	return nil
}

type brakeAdmin struct {
	*admin
	b Brake
}

// HoldsList is the answer of GET /admin/holds.
type HoldsList struct {
	Count int                       `json:"count"`
	Holds []bridge.HeldDeactivation `json:"holds"`
}

// list answers GET /admin/holds with the held deactivations, oldest first.
func (h brakeAdmin) list(w http.ResponseWriter, _ *http.Request) {
	holds := h.b.ListHolds()
	writeJSON(w, HoldsList{Count: len(holds), Holds: holds})
}

// HoldsRequest is the body of POST /admin/holds/release and
// /admin/holds/discard: the ids of the holds to settle, or all of them.
type HoldsRequest struct {
	IDs []string `json:"ids"`
	All bool     `json:"all"`
}

// maxHoldsBody bounds the body of a release or discard.
const maxHoldsBody = 8 << 20

// settle answers a release or discard: the body names the holds, or asks
// for all of them in so many words, so an empty request settles nothing.
func (h brakeAdmin) settle(do func(context.Context, []string) (bridge.HoldsReport, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req HoldsRequest
		dec := json.NewDecoder(io.LimitReader(r.Body, maxHoldsBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
			h.writeError(w, r, scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "the body must be JSON: {\"ids\": [\"…\"]} or {\"all\": true}: %v", err))
			return
		}
		switch {
		case req.All && len(req.IDs) > 0:
			h.writeError(w, r, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "give either \"ids\" or \"all\": true, not both"))
			return
		case !req.All && len(req.IDs) == 0:
			h.writeError(w, r, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "name the holds: {\"ids\": [\"…\"]} (ids from GET /admin/holds), or {\"all\": true}"))
			return
		}
		rep, err := do(r.Context(), req.IDs)
		if err != nil {
			h.log.Error("settling held deactivations stopped", "error", err)
			h.writeError(w, r, scimdoc.Errorf(http.StatusServiceUnavailable, "", "settling the held deactivations stopped before the end; see the bridge's log, then list them again"))
			return
		}
		writeJSON(w, rep)
	}
}

// trace answers GET /admin/trace?user=X with the bridge.Trace of X.
func (h brakeAdmin) trace(w http.ResponseWriter, r *http.Request) {
	tr, err := h.b.Trace(r.Context(), r.URL.Query().Get("user"))
	if err != nil {
		if _, ok := scimdoc.AsError(err); !ok {
			h.log.Error("trace failed", "error", err)
		}
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, tr)
}

// audit answers GET /admin/audit[?user=X][&since=RFC3339] with the audit
// records, oldest first, as JSON lines (bridge.AuditEntry): the way to read
// the log while the bridge holds its file.
func (h brakeAdmin) audit(w http.ResponseWriter, r *http.Request) {
	q := bridge.AuditQuery{User: r.URL.Query().Get("user")}
	if s := r.URL.Query().Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			h.writeError(w, r, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "since %q must be an RFC 3339 time such as 2006-01-02T15:04:05Z", s))
			return
		}
		q.Since = t
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	err := h.b.ReadAudit(q, func(rec storage.AuditRecord) error {
		e := bridge.AuditEntryOf(rec)
		e.Tenant = h.tenant
		return enc.Encode(e)
	})
	if err != nil {
		// The status is sent; a short answer is all the client will see.
		h.log.Error("reading the audit log failed", "error", err)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
