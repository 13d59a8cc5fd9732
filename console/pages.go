package console

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/metrics"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFS embed.FS

func staticFiles() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	return http.FileServerFS(sub)
}

// pages are the parsed templates, one set per page, each with the layout.
type pages struct{ byName map[string]*template.Template }

var pageNames = []string{"login", "health", "activity", "rows", "people", "groups", "preview", "holds", "drift", "message"}

func parsePages(base string) (*pages, error) {
	funcs := template.FuncMap{
		// console is where the console's pages are in the browser's URL:
		// Prefix, under the path of a tenant when it serves one.
		"console": func() string { return base },
		"ago":     ago,
		"when":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"json":    prettyJSON,
		"chart":   chart,
		"keys":    sortedKeys,
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		files := []string{"templates/layout.html", "templates/rows.html"}
		if name != "rows" {
			files = append(files, "templates/"+name+".html")
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, files...)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// view is what every page's layout needs.
type view struct {
	Title   string
	Nav     string
	Session *sessionView
	Data    any
	// Tenant is the tenant shown; Tenants the other tenants' consoles the
	// signed-in user may see.
	Tenant  string
	Tenants []TenantLink
}

// sessionView is what pages may show of a session.
type sessionView struct {
	User, Role, CSRF string
	Operator         bool
}

// render writes page name with data. The page is rendered into a buffer
// first, so a template error becomes a clean 500 and never half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, ss *session, data any) {
	t := c.pages.byName[name]
	var buf bytes.Buffer
	if name == "rows" {
		if err := t.ExecuteTemplate(&buf, "rows", data); err != nil {
			c.log.Error("console: render rows", "error", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(buf.Bytes())
		return
	}
	v := view{Title: titles[name], Nav: name, Data: data, Tenant: c.opts.Tenant}
	if ss != nil {
		v.Session = &sessionView{User: ss.user, Role: ss.role, CSRF: ss.csrf, Operator: ss.operator()}
		if c.opts.OtherTenants != nil {
			v.Tenants = c.opts.OtherTenants(ss.user)
		}
	}
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.log.Error("console: render page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var titles = map[string]string{
	"login": "Sign in", "health": "Health", "activity": "Activity", "people": "People", "groups": "Groups and rules",
	"preview": "Rule preview", "holds": "Held deactivations", "drift": "Drift", "message": "absorb-scim",
}

// refuse answers with a page that says why, in the status given.
func (c *Console) refuse(w http.ResponseWriter, r *http.Request, ss *session, status int, msg string) {
	c.render(w, r, status, "message", ss, map[string]any{"Heading": http.StatusText(status), "Message": msg, "Problem": true})
}

// failed logs err for the operator and tells the person something went
// wrong, without the details (they may name internal state).
func (c *Console) failed(w http.ResponseWriter, r *http.Request, ss *session, what string, err error) {
	c.log.Error("console: "+what, "error", err)
	c.refuse(w, r, ss, http.StatusInternalServerError, what+" failed; the bridge's log says why.")
}

// healthView is the health page.
type healthView struct {
	Login        metrics.AbsorbLogin
	Sync         bridge.SyncStatus
	LastFullSync time.Time
	QueueDepth   int
	Minutes      []metrics.UpstreamMinute
	Calls        int
	Limited      int
	Budget       *bridge.GovernorStats
	RateLimit    float64
	Errors       []metrics.LoggedError
	HasErrors    bool
	IdPs         []metrics.CredentialActivity
}

func (c *Console) health(w http.ResponseWriter, r *http.Request, ss *session) {
	v := healthView{
		Login:      c.opts.Traffic.AbsorbLoginState(),
		Sync:       c.opts.Status.SyncStatus(),
		QueueDepth: c.opts.Status.RuleQueueDepth(),
		Minutes:    c.opts.Traffic.UpstreamLastHour(),
		RateLimit:  c.opts.RateLimit,
		IdPs:       c.opts.Traffic.CredentialsLastDay(),
		HasErrors:  c.opts.Errors != nil,
	}
	var err error
	if v.LastFullSync, err = c.opts.Status.LastFullSync(); err != nil {
		c.log.Warn("console: read last full sync", "error", err)
	}
	for _, m := range v.Minutes {
		v.Calls += m.Calls
		v.Limited += m.RateLimited
	}
	if c.opts.RateBudget != nil {
		st := c.opts.RateBudget.Stats()
		v.Budget = &st
	}
	if c.opts.Errors != nil {
		v.Errors = c.opts.Errors.Recent()
		if len(v.Errors) > 20 {
			v.Errors = v.Errors[:20]
		}
	}
	c.render(w, r, http.StatusOK, "health", ss, v)
}

// activityFilter is the activity page's query.
type activityFilter struct {
	User, Group, Operation, Credential, Outcome string
}

// url is path with the filter, and more, as its query.
func (f activityFilter) url(path string, more ...string) string {
	q := url.Values{}
	for _, kv := range [][2]string{{"user", f.User}, {"group", f.Group}, {"operation", f.Operation}, {"credential", f.Credential}, {"outcome", f.Outcome}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	for i := 0; i+1 < len(more); i += 2 {
		q.Set(more[i], more[i+1])
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func filterOf(r *http.Request) activityFilter {
	g := func(k string) string { return strings.TrimSpace(r.URL.Query().Get(k)) }
	return activityFilter{User: g("user"), Group: g("group"), Operation: g("operation"), Credential: g("credential"), Outcome: g("outcome")}
}

func (f activityFilter) auditQuery() bridge.AuditFeedQuery {
	return bridge.AuditFeedQuery{User: f.User, Group: f.Group, Operation: f.Operation, Credential: f.Credential, Outcome: f.Outcome}
}

type activityView struct {
	Filter     activityFilter
	Entries    []AuditEntry
	OlderURL   string // the next page, "" when there is none
	PollURL    string // where the page's script asks for newer rows
	Live       bool   // the first page: new records are added as they come
	Newest     uint64 // the newest record shown, where live updates start
	Operations []string
	Outcomes   []string
}

const activityPageSize = 50

func (c *Console) activity(w http.ResponseWriter, r *http.Request, ss *session) {
	f := filterOf(r)
	q := f.auditQuery()
	q.Limit = activityPageSize
	before, _ := strconv.ParseUint(r.URL.Query().Get("before"), 10, 64)
	q.Before = before
	page, err := c.opts.Audit.ListAudit(r.Context(), q)
	if err != nil {
		c.failed(w, r, ss, "Reading the audit log", err)
		return
	}
	v := activityView{Filter: f, Entries: entriesOf(page.Records), Live: before == 0, PollURL: f.url(c.base + "activity/rows"),
		Operations: []string{bridge.OpSCIMCreate, bridge.OpSCIMUpdate, bridge.OpSCIMDelete, bridge.OpCreate, bridge.OpUpdate, bridge.OpDeactivate,
			bridge.OpReactivate, bridge.OpUpload, bridge.OpEnroll, bridge.OpUnenroll, bridge.OpSync, bridge.OpHold, bridge.OpRelease,
			bridge.OpDiscard, bridge.OpCancelHold},
		Outcomes: []string{bridge.OutcomeOK, bridge.OutcomeFailed, bridge.OutcomeDryRun, bridge.OutcomeRefused, bridge.OutcomeWarning,
			bridge.OutcomeAccepted, bridge.OutcomeHeld}}
	if n := len(v.Entries); n > 0 {
		if page.More {
			v.OlderURL = f.url(c.base+"activity", "before", strconv.FormatUint(v.Entries[n-1].Seq, 10))
		}
		v.Newest = v.Entries[0].Seq
	} else if before == 0 {
		// Nothing matches yet: ask for everything newer than the newest record.
		if all, err := c.opts.Audit.ListAudit(r.Context(), bridge.AuditFeedQuery{Limit: 1}); err == nil && len(all.Records) > 0 {
			v.Newest = all.Records[0].Seq
		}
	}
	c.render(w, r, http.StatusOK, "activity", ss, v)
}

// activityRows answers the feed's polling: the rows newer than after, as
// HTML table rows the page's script puts on top.
func (c *Console) activityRows(w http.ResponseWriter, r *http.Request, ss *session) {
	q := filterOf(r).auditQuery()
	q.After, _ = strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	q.Limit = activityPageSize
	page, err := c.opts.Audit.ListAudit(r.Context(), q)
	if err != nil {
		c.log.Error("console: read the audit log", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	c.render(w, r, http.StatusOK, "rows", ss, entriesOf(page.Records))
}

func entriesOf(recs []storage.AuditRecord) []AuditEntry {
	out := make([]AuditEntry, 0, len(recs))
	for _, r := range recs {
		out = append(out, EntryOf(r))
	}
	return out
}

// EntryOf is an audit record as the console shows it.
func EntryOf(r storage.AuditRecord) AuditEntry {
	e := AuditEntry{Seq: r.Seq, Time: r.Time, Credential: r.Credential, RequestID: r.RequestID, Operation: r.Operation,
		UserID: r.ResourceID, UserName: r.UserName, AbsorbID: r.AbsorbID, Outcome: r.Outcome}
	for _, ch := range r.Changes {
		e.Changes = append(e.Changes, Change{Field: ch.Field, From: ch.From, To: ch.To})
	}
	return e
}

type peopleView struct {
	Query     string
	Available bool
	Found     bool
	Trace     Trace
	NotFound  bool
	Several   bool
}

func (c *Console) people(w http.ResponseWriter, r *http.Request, ss *session) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v := peopleView{Query: q, Available: c.opts.Tracer != nil}
	status := http.StatusOK
	if q != "" && v.Available {
		t, err := c.opts.Tracer.Trace(r.Context(), q)
		switch {
		case errors.Is(err, ErrNoPerson):
			v.NotFound = true
			status = http.StatusNotFound
		case errors.Is(err, ErrSeveralPeople):
			v.Several = true
			status = http.StatusConflict
		case err != nil:
			c.failed(w, r, ss, "Looking the person up", err)
			return
		default:
			t.Resource = withoutSecrets(t.Resource)
			t.Account = withoutSecrets(t.Account)
			v.Trace, v.Found = t, true
		}
	}
	c.render(w, r, status, "people", ss, v)
}

// withoutSecrets drops password-like members at any depth: the console
// never shows them, whatever a source hands it.
func withoutSecrets(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "password") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") || lk == "privatekey" {
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			v = withoutSecrets(sub)
		}
		out[k] = v
	}
	return out
}

type groupsView struct {
	Groups []bridge.GroupSummary
	Rules  []ruleLine
	Result string            // what applying the rules just did
	Stats  *bridge.RuleStats // what the rules did since start, when known
	// RulesFeed is the activity feed of the rules' own changes.
	RulesFeed string
}

// RuleCounter tells what the rules did since start; Groups sources may
// implement it.
type RuleCounter interface{ RuleStats() bridge.RuleStats }

type ruleLine struct {
	Name, Matches, Department string
	Courses                   []string
	UnenrollOnLeave           bool
}

// RuleLister lists the configured rules; Groups sources may implement it.
type RuleLister interface{ GroupRules() []bridge.Rule }

func describeRule(r bridge.Rule) ruleLine {
	var m []string
	for _, kv := range [][2]string{{"displayName", r.DisplayName}, {"displayName like", r.DisplayNamePattern}, {"externalId", r.ExternalID}, {"externalId like", r.ExternalIDPattern}} {
		if kv[1] != "" {
			m = append(m, kv[0]+" "+strconv.Quote(kv[1]))
		}
	}
	return ruleLine{Name: r.Name, Matches: strings.Join(m, " and "), Department: r.Department, Courses: r.Courses, UnenrollOnLeave: r.UnenrollOnLeave}
}

func (c *Console) groups(w http.ResponseWriter, r *http.Request, ss *session) {
	gs, err := c.opts.Groups.GroupSummaries(r.Context())
	if err != nil {
		c.failed(w, r, ss, "Listing the groups", err)
		return
	}
	v := groupsView{Groups: gs, Result: c.sessions.takeFlash(ss.id), RulesFeed: activityFilter{Credential: bridge.ActorRules}.url(c.base + "activity")}
	if rc, ok := c.opts.Groups.(RuleCounter); ok {
		st := rc.RuleStats()
		v.Stats = &st
	}
	if rl, ok := c.opts.Groups.(RuleLister); ok {
		for _, rule := range rl.GroupRules() {
			v.Rules = append(v.Rules, describeRule(rule))
		}
	}
	c.render(w, r, http.StatusOK, "groups", ss, v)
}

type previewView struct {
	Preview bridge.RulePreview
	Rules   []ruleLine
}

func (c *Console) preview(w http.ResponseWriter, r *http.Request, ss *session) {
	p, err := c.opts.Groups.PreviewGroupRules(r.Context(), r.URL.Query().Get("id"))
	if err != nil {
		if isNotFound(err) {
			c.refuse(w, r, ss, http.StatusNotFound, "There is no such group. It may have been deleted by the IdP.")
			return
		}
		c.failed(w, r, ss, "Working out the preview", err)
		return
	}
	v := previewView{Preview: p}
	for _, rule := range p.Group.Rules {
		v.Rules = append(v.Rules, describeRule(rule))
	}
	c.render(w, r, http.StatusOK, "preview", ss, v)
}

// isNotFound recognises the bridge's "no such resource" answers, which
// carry an HTTP status.
func isNotFound(err error) bool {
	if se, ok := scimdoc.AsError(err); ok {
		return se.Status == http.StatusNotFound
	}
	return errors.Is(err, storage.ErrNotFound)
}

func (c *Console) applyRules(w http.ResponseWriter, r *http.Request, ss *session) {
	rep, err := c.opts.Groups.ReapplyRules(r.Context())
	if err != nil {
		c.failed(w, r, ss, "Applying the group rules", err)
		return
	}
	c.log.Info("console: group rules applied", "username", ss.user, "users", rep.Users)
	c.sessions.setFlash(ss.id, fmt.Sprintf("Rules applied to %d users: %d department changes, %d enrollments, %d unenrollments, %d failures.",
		rep.Users, rep.DepartmentChanges, rep.Enrollments, rep.Unenrollments, rep.Failures))
	// Answered with a redirect, so reloading the page does not apply again.
	http.Redirect(w, r, c.base+"groups", http.StatusSeeOther)
}

type holdsView struct {
	Available bool
	Holds     []Hold
	Result    string
}

func (c *Console) holds(w http.ResponseWriter, r *http.Request, ss *session) {
	v := holdsView{Available: c.opts.Holds != nil, Result: c.sessions.takeFlash(ss.id)}
	if v.Available {
		hs, err := c.opts.Holds.ListHolds(r.Context())
		if err != nil {
			c.failed(w, r, ss, "Listing the held deactivations", err)
			return
		}
		v.Holds = hs
	}
	c.render(w, r, http.StatusOK, "holds", ss, v)
}

func (c *Console) releaseHold(w http.ResponseWriter, r *http.Request, ss *session) {
	c.settleHold(w, r, ss, "release", func(ctx context.Context, id string) (string, error) { return c.opts.Holds.ReleaseHold(ctx, id) })
}

func (c *Console) discardHold(w http.ResponseWriter, r *http.Request, ss *session) {
	c.settleHold(w, r, ss, "discard", func(ctx context.Context, id string) (string, error) { return c.opts.Holds.DiscardHold(ctx, id) })
}

func (c *Console) settleHold(w http.ResponseWriter, r *http.Request, ss *session, verb string, do func(context.Context, string) (string, error)) {
	if c.opts.Holds == nil {
		c.refuse(w, r, ss, http.StatusNotFound, "Held deactivations are not available in this bridge.")
		return
	}
	id := r.PostFormValue("id")
	if id == "" {
		c.refuse(w, r, ss, http.StatusBadRequest, "Name the hold to "+verb+".")
		return
	}
	result, err := do(r.Context(), id)
	if err != nil {
		c.failed(w, r, ss, "The "+verb+" of a held deactivation", err)
		return
	}
	c.log.Info("console: hold "+verb, "username", ss.user, "hold", id, "result", result)
	c.sessions.setFlash(ss.id, result)
	// Answered with a redirect, so reloading the page sends nothing again.
	http.Redirect(w, r, c.base+"holds", http.StatusSeeOther)
}

type driftView struct {
	Available bool
	Run       *bridge.ReconcileRun
}

func (c *Console) driftPage(w http.ResponseWriter, r *http.Request, ss *session) {
	v := driftView{Available: c.opts.Reconciler != nil}
	if v.Available {
		if run, ok := c.opts.Reconciler.LastReconcile(); ok {
			v.Run = &run
		}
	}
	c.render(w, r, http.StatusOK, "drift", ss, v)
}

// runReconcile compares every user with Absorb and reports; it fixes
// nothing (the admin API's reconcile with fix=true does, for those who
// decide to).
func (c *Console) runReconcile(w http.ResponseWriter, r *http.Request, ss *session) {
	if c.opts.Reconciler == nil {
		c.refuse(w, r, ss, http.StatusNotFound, "Reconcile is not available in this bridge.")
		return
	}
	rep, err := c.opts.Reconciler.Reconcile(r.Context(), false)
	if err != nil {
		c.failed(w, r, ss, "The reconcile", err)
		return
	}
	c.log.Info("console: reconcile run", "username", ss.user, "users", rep.Users, "drifted", rep.Drifted)
	http.Redirect(w, r, c.base+"drift", http.StatusSeeOther)
}

// ago says how long ago t was, for a person.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + " s ago"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h ago"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " days ago"
}

func prettyJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// bar is one minute of the chart.
type bar struct {
	X, CallsY, CallsH, LimitedY, LimitedH int
	Label                                 string
}

// chartView is the upstream chart as SVG coordinates: one bar per minute,
// the 429s drawn over the calls.
type chartView struct {
	Bars          []bar
	Width, Height int
	Max           int
}

func chart(minutes []metrics.UpstreamMinute) chartView {
	const h, w = 100, 6
	v := chartView{Width: len(minutes) * w, Height: h}
	for _, m := range minutes {
		v.Max = max(v.Max, m.Calls)
	}
	scale := func(n int) int {
		if v.Max == 0 || n == 0 {
			return 0
		}
		return max(1, n*h/v.Max)
	}
	for i, m := range minutes {
		ch, lh := scale(m.Calls), scale(m.RateLimited)
		v.Bars = append(v.Bars, bar{X: i * w, CallsY: h - ch, CallsH: ch, LimitedY: h - lh, LimitedH: lh,
			Label: fmt.Sprintf("%s: %d calls, %d answered 429", m.Start.UTC().Format("15:04"), m.Calls, m.RateLimited)})
	}
	return v
}

// sortedKeys is used by templates that list a map in a stable order.
func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
