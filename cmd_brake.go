package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/server"
	"github.com/absorb-scim/absorb-scim/storage"
)

// The commands over the brake on mass deactivation (holds), the trace of one
// person (trace), and the remote reading of the audit log: each reads a
// stopped bridge's data file, or asks a running bridge's admin API.

// remoteFlags locate a running bridge's admin API. The credential is read
// from a file or the environment, never from the command line, where other
// users of the machine could see it.
type remoteFlags struct {
	url, tokenFile string
	tenant         string // -tenant of the dataFlags: the admin API is the tenant's
}

func (f *remoteFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "url", "", "base URL of a running bridge, such as http://127.0.0.1:8080: ask its admin API rather than read the data file")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding a read-write SCIM bearer token for the admin API (default: $"+config.EnvPrefix+"TOKEN)")
}

// tokenOr is the credential in -token-file, else the environment's; "" when
// there is none (or the file cannot be read, which call then reports).
func (f remoteFlags) tokenOr(getenv func(string) string) string {
	if f.tokenFile != "" {
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	return getenv(config.EnvPrefix + "TOKEN")
}

// adminTimeout bounds one call to the admin API.
const adminTimeout = 5 * time.Minute

// call sends one request to the admin API and returns the answer's body
// when it is a 2xx; any other status is an error with the bridge's detail.
func (f remoteFlags) call(ctx context.Context, getenv func(string) string, method, path string, query url.Values, body any) (io.ReadCloser, error) {
	if f.tokenFile != "" {
		if _, err := os.Stat(f.tokenFile); err != nil {
			return nil, fmt.Errorf("-token-file: %w", err)
		}
	}
	token := f.tokenOr(getenv)
	if token == "" {
		return nil, fmt.Errorf("the admin API needs a read-write SCIM token: give -token-file or set %sTOKEN", config.EnvPrefix)
	}
	if f.tenant != "" {
		path = server.TenantPath(f.tenant) + path
	}
	u, err := url.Parse(strings.TrimSuffix(f.url, "/") + path)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-url %q must be the bridge's base URL, such as http://127.0.0.1:8080", f.url)
	}
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		defer cancel()
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var se struct{ Detail string }
		if json.Unmarshal(raw, &se) == nil && se.Detail != "" {
			return nil, fmt.Errorf("%s %s: the bridge answered %s: %s", method, path, resp.Status, se.Detail)
		}
		return nil, fmt.Errorf("%s %s: the bridge answered %s", method, path, resp.Status)
	}
	return cancelOnClose{ReadCloser: resp.Body, cancel: cancel}, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// getJSON decodes the JSON answer of a GET into v.
func (f remoteFlags) getJSON(ctx context.Context, getenv func(string) string, path string, query url.Values, v any) error {
	body, err := f.call(ctx, getenv, http.MethodGet, path, query, nil)
	if err != nil {
		return err
	}
	defer body.Close()
	if err := json.NewDecoder(body).Decode(v); err != nil {
		return fmt.Errorf("read the answer of GET %s: %w", path, err)
	}
	return nil
}

// runningURL is the URL of the bridge that holds the data file the flags
// name, from its configuration: publicURL, else the listen address (the
// loopback address when it listens on all of them).
func runningURL(d dataFlags, getenv func(string) string) (string, error) {
	path := d.config
	if path == "" {
		path = getenv(config.EnvPrefix + "CONFIG")
	}
	cfg, err := config.Load(path, getenv)
	var ce *config.Error
	if err != nil && !errors.As(err, &ce) {
		return "", err
	}
	if cfg.PublicURL != "" {
		return cfg.PublicURL, nil
	}
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return "", fmt.Errorf("listen %q: %w", cfg.Listen, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http"
	if cfg.TLS.Cert != "" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port), nil
}

// openOrRemote opens the data file the flags name, read-only. When a
// running bridge holds it and a credential is at hand, it returns no store
// and r pointing at that bridge, so the command asks its admin API instead.
func openOrRemote(d dataFlags, r remoteFlags, getenv func(string) string) (storage.Store, remoteFlags, error) {
	r.tenant = d.tenant
	if r.url != "" {
		return nil, r, nil
	}
	s, err := d.open(getenv)
	if !errors.Is(err, storage.ErrLocked) {
		return s, r, err
	}
	if r.tokenOr(getenv) == "" {
		return nil, r, fmt.Errorf("%w\nto ask the running bridge instead, give a read-write SCIM token: -token-file or %sTOKEN (and -url when it is not at its configured address)", err, config.EnvPrefix)
	}
	u, uerr := runningURL(d, getenv)
	if uerr != nil {
		return nil, r, fmt.Errorf("%w\nand the running bridge's address is unknown (%v): pass -url", err, uerr)
	}
	r.url = u
	return nil, r, nil
}

// parseWithArgs parses flags that may come before, between or after the
// positional arguments, and returns those arguments.
func parseWithArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			pos = append(pos, args[0])
			args = args[1:]
		}
		if len(args) == 0 {
			return pos, nil
		}
	}
}

const holdsUsage = `usage: absorb-scim holds [list] [-data DIR | -config FILE | -url URL] [-tenant ID] [-json]
       absorb-scim holds release|discard (-all | ID...) [-url URL] [-token-file FILE] [-tenant ID]

list     the deactivations the brake keeps from Absorb, oldest first
release  send them to Absorb (the named ones, or -all)
discard  drop them and make their SCIM users active again (the named ones, or -all)
`

// runHolds is `absorb-scim holds`.
func runHolds(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	verb := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	fs := newFlagSet("holds "+verb, stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, holdsUsage+"\nflags:\n")
		fs.PrintDefaults()
	}
	var (
		d dataFlags
		r remoteFlags
	)
	r.register(fs)
	switch verb {
	case "list":
		d.register(fs)
		asJSON := fs.Bool("json", false, "print the list as JSON")
		pos, err := parseWithArgs(fs, args)
		if err != nil {
			return flagError(err)
		}
		if len(pos) > 0 {
			fs.Usage()
			return errUsage
		}
		return listHolds(ctx, d, r, getenv, *asJSON, stdout)
	case "release", "discard":
		d.register(fs)
		all := fs.Bool("all", false, "settle every held deactivation")
		ids, err := parseWithArgs(fs, args)
		if err != nil {
			return flagError(err)
		}
		if *all == (len(ids) > 0) {
			fmt.Fprintln(stderr, "absorb-scim holds "+verb+": name the holds (ids from 'absorb-scim holds') or give -all")
			return errUsage
		}
		r.tenant = d.tenant
		if r.url == "" {
			u, err := runningURL(d, getenv)
			if err != nil {
				return fmt.Errorf("holds %s needs the running bridge: pass -url (%w)", verb, err)
			}
			r.url = u
		}
		what := fmt.Sprintf("%d named held deactivations", len(ids))
		if *all {
			what = "every held deactivation"
		}
		action := map[string]string{"release": "sending %s to Absorb", "discard": "discarding %s and making those SCIM users active again"}[verb]
		fmt.Fprintf(stdout, action+" through %s\n", what, r.url)
		body, err := r.call(ctx, getenv, http.MethodPost, "/admin/holds/"+verb, nil, holdsRequest{IDs: ids, All: *all})
		if err != nil {
			return err
		}
		defer body.Close()
		var rep bridge.HoldsReport
		if err := json.NewDecoder(body).Decode(&rep); err != nil {
			return fmt.Errorf("read the answer: %w", err)
		}
		printHoldsReport(stdout, rep)
		if rep.Failed > 0 {
			return fmt.Errorf("%d held deactivations not settled", rep.Failed)
		}
		return nil
	case "help":
		fmt.Fprint(stdout, holdsUsage)
		return nil
	}
	fmt.Fprint(stderr, holdsUsage)
	return errUsage
}

// holdsRequest is the body of a release or discard (server.HoldsRequest).
type holdsRequest struct {
	IDs []string `json:"ids,omitempty"`
	All bool     `json:"all,omitempty"`
}

func listHolds(ctx context.Context, d dataFlags, r remoteFlags, getenv func(string) string, asJSON bool, stdout io.Writer) error {
	s, r, err := openOrRemote(d, r, getenv)
	if err != nil {
		return err
	}
	var holds []bridge.HeldDeactivation
	if s != nil {
		holds, err = bridge.ReadHolds(s)
		s.Close()
	} else {
		var list struct{ Holds []bridge.HeldDeactivation }
		err = r.getJSON(ctx, getenv, "/admin/holds", nil, &list)
		holds = list.Holds
	}
	if err != nil {
		return err
	}
	if holds == nil {
		holds = []bridge.HeldDeactivation{}
	}
	if asJSON {
		return writeJSONIndent(stdout, struct {
			Count int                       `json:"count"`
			Holds []bridge.HeldDeactivation `json:"holds"`
		}{len(holds), holds})
	}
	fmt.Fprintf(stdout, "%d held deactivations\n", len(holds))
	if len(holds) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSERNAME\tREQUEST\tHELD AT\tBY\tABSORB ID")
	for _, h := range holds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.UserName, h.Request, h.Time.UTC().Format(time.RFC3339), h.Credential, dash(h.AbsorbID))
	}
	return tw.Flush()
}

func printHoldsReport(w io.Writer, rep bridge.HoldsReport) {
	fmt.Fprintf(w, "%d released, %d discarded, %d dropped (nothing left to do), %d failed; %d still held\n",
		rep.Released, rep.Discarded, rep.Dropped, rep.Failed, rep.Remaining)
	for _, h := range rep.Holds {
		fmt.Fprintf(w, "  %s %s %s", h.Result, h.ID, dash(h.UserName))
		if h.Detail != "" {
			fmt.Fprintf(w, ": %s", h.Detail)
		}
		fmt.Fprintln(w)
	}
}

// runTrace is `absorb-scim trace USER`.
func runTrace(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("trace", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: absorb-scim trace USER [-data DIR | -config FILE | -url URL [-token-file FILE]] [-tenant ID] [-json]")
		fmt.Fprintln(stderr, "\nUSER is a userName, email, externalId, SCIM id or Absorb id.\n\nflags:")
		fs.PrintDefaults()
	}
	var (
		d dataFlags
		r remoteFlags
	)
	d.register(fs)
	r.register(fs)
	asJSON := fs.Bool("json", false, "print the trace as JSON (as GET /admin/trace answers)")
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return flagError(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	s, r, err := openOrRemote(d, r, getenv)
	if err != nil {
		return err
	}
	var tr bridge.Trace
	if s != nil {
		tr, err = bridge.TraceStore(s, pos[0])
		s.Close()
		if se, ok := scimdoc.AsError(err); ok {
			return errors.New(se.Detail)
		}
	} else {
		err = r.getJSON(ctx, getenv, "/admin/trace", url.Values{"user": {pos[0]}}, &tr)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSONIndent(stdout, tr)
	}
	printTrace(stdout, tr)
	return nil
}

// printTrace writes a trace for people: who the person is now, then what
// happened, oldest first.
func printTrace(w io.Writer, tr bridge.Trace) {
	if u := tr.User; u != nil {
		fmt.Fprintf(w, "SCIM user    %s  %s  active=%t  version %d  created %s  modified %s\n", u.ID, u.UserName, u.Active, u.Version,
			u.Created.UTC().Format(time.RFC3339), u.LastModified.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintln(w, "SCIM user    none (deleted, or never provisioned)")
	}
	link := "not linked"
	if tr.Link.Linked {
		link = "linked"
	}
	fmt.Fprintf(w, "link         scim=%s absorb=%s (%s)\n", dash(tr.Link.SCIMID), dash(tr.Link.AbsorbID), link)
	if len(tr.Absorb) > 0 {
		var a struct {
			Username     string `json:"username"`
			ActiveStatus any    `json:"activeStatus"`
			DepartmentID string `json:"departmentId"`
			DateEdited   string `json:"dateEdited"`
		}
		_ = json.Unmarshal(tr.Absorb, &a)
		status := fmt.Sprint(a.ActiveStatus)
		switch status { // Absorb's 0 and 1, or its older "Active" and "Inactive"
		case "0", "Active":
			status = "active"
		case "1", "Inactive":
			status = "inactive"
		}
		fmt.Fprintf(w, "Absorb       %s  %s  department=%s  edited %s (as last seen)\n", a.Username, status, dash(a.DepartmentID), dash(a.DateEdited))
	} else {
		fmt.Fprintln(w, "Absorb       account not known")
	}
	var groups []string
	for _, g := range tr.Groups {
		groups = append(groups, g.DisplayName)
	}
	fmt.Fprintf(w, "groups       %s\n", dash(strings.Join(groups, ", ")))
	if h := tr.Hold; h != nil {
		fmt.Fprintf(w, "HELD         %s since %s by %s: not sent to Absorb (absorb-scim holds release|discard %s)\n",
			h.Request, h.Time.UTC().Format(time.RFC3339), h.Credential, h.ID)
	}
	fmt.Fprintf(w, "\nhistory (%d)\n", len(tr.History))
	for _, e := range tr.History {
		by := e.Credential
		if e.RequestID != "" {
			by += " request=" + e.RequestID
		}
		fmt.Fprintf(w, "%s  %-11s %-12s %-7s by %s\n", e.Time.UTC().Format(time.RFC3339), e.Kind, e.Operation, e.Outcome, by)
		for _, c := range e.Changes {
			fmt.Fprintf(w, "    %s: %q -> %q\n", c.Field, c.From, c.To)
		}
	}
}

// auditRemote prints the audit log of a running bridge, read through its
// admin API (GET /admin/audit), as runAudit prints a file's.
func auditRemote(ctx context.Context, r remoteFlags, getenv func(string) string, user string, since time.Time, asJSON bool, stdout io.Writer) error {
	q := url.Values{}
	if user != "" {
		q.Set("user", user)
	}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339Nano))
	}
	body, err := r.call(ctx, getenv, http.MethodGet, "/admin/audit", q, nil)
	if err != nil {
		return err
	}
	defer body.Close()
	dec := json.NewDecoder(body)
	enc := json.NewEncoder(stdout)
	for {
		var e bridge.AuditEntry
		if err := dec.Decode(&e); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("read the audit log from %s: %w", r.url, err)
		}
		if asJSON {
			out := bridge.AuditEntryOf(e.Record())
			out.Tenant = e.Tenant
			if err := enc.Encode(out); err != nil {
				return err
			}
			continue
		}
		printAudit(stdout, e.Record())
	}
}
