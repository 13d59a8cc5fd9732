package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/metrics"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// opsRoutes adds GET /metrics (no authentication: it holds counts, never
// personal data) and the admin endpoints, which need a read-write SCIM
// credential, and starts reporting the bridge's state to the metrics.
func opsRoutes(r *mux.Router, cfg Config) error {
	b, store := cfg.Bridge, cfg.Store
	err := cfg.Metrics.Watch(metrics.Sources{
		Sync: func() metrics.SyncState {
			s := b.SyncStatus()
			return metrics.SyncState{MirrorComplete: s.MirrorComplete, LastSuccess: s.LastSuccess, Failing: s.LastError != "", Folded: s.Folded, Skipped: s.Skipped}
		},
		Store: func() metrics.StoreCounts {
			c, bs := store.Stats(), store.BatchStats()
			return metrics.StoreCounts{Users: c.Users, AbsorbUsers: c.AbsorbUsers, Groups: c.Groups, Memberships: c.Memberships, Intents: c.Intents,
				Commits: bs.Commits, BatchedWrites: bs.Writes, CommitTime: bs.CommitTime}
		},
		Rules: func() metrics.RuleCounts {
			s := b.RuleStats()
			return metrics.RuleCounts{DepartmentChanges: s.DepartmentChanges, DepartmentChangesByUpload: s.DepartmentChangesByUpload,
				UploadCalls: s.UploadCalls, Enrollments: s.Enrollments, Unenrollments: s.Unenrollments, Failures: s.Failures, Pending: s.Pending}
		},
	})
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	r.Handle("/metrics", cfg.Metrics.Handler()).Methods(http.MethodGet, http.MethodHead)
	a := &admin{bridge: b, store: store, log: cfg.Logger, writeError: cfg.WriteError, tenant: cfg.Tenant}
	guard := func(h http.HandlerFunc) http.Handler {
		return cfg.Auth.Middleware(noteCredential(a.requireReadWrite(h)))
	}
	r.Handle("/admin/reconcile", guard(a.reconcile)).Methods(http.MethodPost)
	r.Handle("/admin/backup", guard(a.backup)).Methods(http.MethodGet)
	r.Handle("/admin/rules/apply", guard(a.applyRules)).Methods(http.MethodPost)
	r.Handle("/admin/rules", guard(a.ruleProgress)).Methods(http.MethodGet)
	return brakeRoutes(r, guard, a, b, cfg.Metrics)
}

// admin holds what the admin endpoints need.
type admin struct {
	bridge     Bridge
	store      Store
	log        *slog.Logger
	writeError func(w http.ResponseWriter, r *http.Request, err error)
	tenant     string // named in the audit entries
}

// applyRules answers POST /admin/rules/apply: every user's groups are
// re-evaluated against the group rules, Absorb is brought in line, and the
// answer reports what changed (bridge.ReapplyReport as JSON).
func (a *admin) applyRules(w http.ResponseWriter, r *http.Request) {
	rep, err := a.bridge.ReapplyRules(r.Context())
	if err != nil {
		a.log.Error("re-applying group rules failed", "error", err)
		a.writeError(w, r, scimdoc.Errorf(http.StatusServiceUnavailable, "", "re-applying the group rules did not finish; see the bridge's log"))
		return
	}
	writeJSON(w, rep)
}

// ruleProgress answers GET /admin/rules with the group rules' running
// totals and how many users still have work queued (bridge.RuleStats as
// JSON), so the progress of a big group's assignment can be followed.
func (a *admin) ruleProgress(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, a.bridge.RuleStats())
}

// requireReadWrite refuses read-only credentials with 403.
func (a *admin) requireReadWrite(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := auth.CredentialFrom(r.Context())
		if !ok || c.ReadOnly {
			a.writeError(w, r, scimdoc.Errorf(http.StatusForbidden, "", "the admin endpoints need a read-write credential"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// reconcile answers POST /admin/reconcile[?fix=true] with the
// bridge.ReconcileReport as JSON.
func (a *admin) reconcile(w http.ResponseWriter, r *http.Request) {
	fix := false
	if v := r.URL.Query().Get("fix"); v != "" {
		var err error
		if fix, err = strconv.ParseBool(v); err != nil {
			a.writeError(w, r, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "fix must be true or false"))
			return
		}
	}
	rep, err := a.bridge.Reconcile(r.Context(), fix)
	if err != nil {
		a.log.Error("reconcile failed", "error", err)
		a.writeError(w, r, scimdoc.Errorf(http.StatusServiceUnavailable, "", "reconcile failed; see the bridge's log"))
		return
	}
	writeJSON(w, rep)
}

// backup streams a consistent copy of the bbolt file (GET
// /admin/backup), taken in one read transaction while the bridge goes on
// serving.
func (a *admin) backup(w http.ResponseWriter, r *http.Request) {
	name := "absorb-scim-" + time.Now().UTC().Format("20060102T150405Z") + ".db"
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	n, err := a.store.Backup(w)
	if err != nil {
		// The status is sent; a short body is all the client will see.
		a.log.Error("backup failed", "bytes", n, "error", err)
		return
	}
	a.log.Info("backup sent", "bytes", n)
}
