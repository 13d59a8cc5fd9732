package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/console"
	"github.com/absorb-scim/absorb-scim/metrics"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// keepErrors makes the logger keep its last warnings and errors for the
// console's health page.
func (a *app) keepErrors() {
	a.errorLog = metrics.NewErrorLog(50)
	a.log = slog.New(a.errorLog.Handler(a.log.Handler()))
}

// buildConsole builds the status console served at /console/.
func (a *app) buildConsole() error {
	a.reconciles = bridge.NewReconcileLog(a.bridge)
	users, err := auth.NewConsoleUsers(a.cfg.ConsoleUsers())
	if err != nil {
		return fmt.Errorf("console users: %w", err)
	}
	c, err := console.New(console.Options{
		Users:          users,
		Status:         a.bridge,
		Traffic:        a.metrics,
		Errors:         a.errorLog,
		RateBudget:     a.governor,
		RateLimit:      a.cfg.Absorb.RateLimit,
		Audit:          a.bridge,
		Groups:         a.bridge,
		Reconciler:     a.reconciles,
		Tracer:         consoleTracer{a.bridge},
		Holds:          consoleHolds{a.bridge},
		SecureCookies:  a.cfg.TLS.Cert != "" || strings.HasPrefix(publicBase(a.cfg), "https://"),
		TrustedProxies: a.cfg.AuthConfig().TrustedProxies,
		Logger:         a.log,
		PathPrefix:     tenantPathOf(a.cfg),
		Tenant:         a.cfg.Tenant,
		OtherTenants:   a.otherTenantConsoles,
	})
	if err != nil {
		return err
	}
	a.console = c
	return nil
}

// reconcilesLogged is the bridge as the server takes it, with the admin
// endpoint's reconciles remembered for the console's drift page.
type reconcilesLogged struct {
	*bridge.Bridge
	log *bridge.ReconcileLog
}

func (r reconcilesLogged) Reconcile(ctx context.Context, fix bool) (bridge.ReconcileReport, error) {
	return r.log.Reconcile(ctx, fix)
}

// consoleURL is where the console is served.
func consoleURL(cfg config.Config) string { return publicBase(cfg) + console.Prefix }

// consoleTracer tells one person's story for the console: the bridge's
// trace (the same as GET /admin/trace), with what the rules give and the
// differences between the SCIM resource and the local copy of the account.
type consoleTracer struct{ b *bridge.Bridge }

var _ console.Tracer = consoleTracer{}

func (t consoleTracer) Trace(ctx context.Context, query string) (console.Trace, error) {
	tr, err := t.b.Trace(ctx, query)
	if errors.Is(err, bridge.ErrAmbiguous) {
		return console.Trace{}, fmt.Errorf("trace %q: %w", query, console.ErrSeveralPeople)
	}
	if se, ok := scimdoc.AsError(err); ok && (se.Status == http.StatusNotFound || se.Status == http.StatusBadRequest) {
		return console.Trace{}, fmt.Errorf("trace %q: %w", query, console.ErrNoPerson)
	}
	if err != nil {
		return console.Trace{}, fmt.Errorf("trace %q: %w", query, err)
	}
	out := console.Trace{SCIMID: tr.Link.SCIMID, AbsorbID: tr.Link.AbsorbID}
	if len(tr.Absorb) > 0 {
		if err := json.Unmarshal(tr.Absorb, &out.Account); err != nil {
			return out, fmt.Errorf("trace %q: absorb account: %w", query, err)
		}
	}
	for _, g := range tr.Groups {
		out.Groups = append(out.Groups, g.DisplayName)
	}
	if h := tr.Hold; h != nil {
		out.Held = &console.Hold{ID: h.ID, UserName: h.UserName, AbsorbID: h.AbsorbID, Request: h.Request, Time: h.Time, Credential: h.Credential}
	}
	// The trace is oldest first; the console shows the newest first.
	for i := len(tr.History) - 1; i >= 0; i-- {
		e := tr.History[i]
		entry := console.AuditEntry{Seq: e.Seq, Time: e.Time, Credential: e.Credential, RequestID: e.RequestID, Operation: e.Operation,
			UserID: e.SCIMID, UserName: e.UserName, AbsorbID: e.AbsorbID, Outcome: e.Outcome}
		for _, c := range e.Changes {
			entry.Changes = append(entry.Changes, console.Change{Field: c.Field, From: c.From, To: c.To})
		}
		out.History = append(out.History, entry)
	}
	if tr.User == nil {
		out.UserName = query
		return out, nil // deleted or never provisioned: the account and history tell the rest
	}
	out.UserName = tr.User.UserName
	if err := json.Unmarshal(tr.User.Resource, &out.Resource); err != nil {
		return out, fmt.Errorf("trace %q: scim resource: %w", query, err)
	}
	if out.Department, out.Courses, err = t.b.RulesGiven(tr.User.ID); err != nil {
		return out, fmt.Errorf("trace %q: rules: %w", query, err)
	}
	diffs, err := t.b.Differences(ctx, tr.User.ID)
	if err != nil {
		return out, fmt.Errorf("trace %q: differences: %w", query, err)
	}
	for _, d := range diffs {
		out.Differences = append(out.Differences, console.Difference{Field: d.Field, SCIM: d.To, Absorb: d.From})
	}
	return out, nil
}

// consoleHolds lets the console list, release and discard the deactivations
// the brake holds, one at a time, as GET /admin/holds and POST
// /admin/holds/release and /discard do.
type consoleHolds struct{ b *bridge.Bridge }

var _ console.Holds = consoleHolds{}

func (h consoleHolds) ListHolds(context.Context) ([]console.Hold, error) {
	var out []console.Hold
	for _, x := range h.b.ListHolds() {
		out = append(out, console.Hold{ID: x.ID, UserName: x.UserName, AbsorbID: x.AbsorbID, Request: x.Request, Time: x.Time, Credential: x.Credential})
	}
	return out, nil
}

func (h consoleHolds) ReleaseHold(ctx context.Context, id string) (string, error) {
	rep, err := h.b.ReleaseHolds(ctx, []string{id})
	return holdOutcome(rep), err
}

func (h consoleHolds) DiscardHold(ctx context.Context, id string) (string, error) {
	rep, err := h.b.DiscardHolds(ctx, []string{id})
	return holdOutcome(rep), err
}

// holdOutcome says in words what release or discard did with one hold.
func holdOutcome(rep bridge.HoldsReport) string {
	if len(rep.Holds) == 0 {
		return "Nothing was done."
	}
	r := rep.Holds[0]
	who := r.UserName
	if who == "" {
		who = r.ID
	}
	var s string
	switch r.Result {
	case bridge.HoldReleased:
		s = "The deactivation of " + who + " was released to Absorb."
	case bridge.HoldDiscarded:
		s = "The deactivation of " + who + " was discarded: the user is active again."
	case bridge.HoldDropped:
		s = "The hold of " + who + " was dropped: the user changed since it was held."
	case bridge.HoldNotFound:
		s = "No hold is kept for " + who + " (released or discarded already?)."
	default:
		s = "The hold of " + who + " stays: it could not be settled."
	}
	if r.Detail != "" {
		s += " " + r.Detail
	}
	return s
}
