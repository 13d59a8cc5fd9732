package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/storage"
)

func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "prune" {
		return runAuditPrune(args[1:], getenv, stdout, stderr)
	}
	fs := newFlagSet("audit", stderr)
	var d dataFlags
	d.register(fs)
	user := fs.String("user", "", "only records about this userName, SCIM id or Absorb id")
	since := fs.String("since", "", "only records at or after this time: RFC 3339, a date (2006-01-02) or a duration back from now (24h)")
	asJSON := fs.Bool("json", false, "print JSON lines, one record each")
	var remote remoteFlags // a running bridge holds the file: read through its admin API (cmd_brake.go)
	remote.register(fs)
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	from, err := parseSince(*since, time.Now())
	if err != nil {
		fmt.Fprintln(stderr, "absorb-scim audit:", err)
		return errUsage
	}
	s, remote, err := openOrRemote(d, remote, getenv)
	if err != nil {
		return err
	}
	if s == nil {
		return auditRemote(ctx, remote, getenv, *user, from, *asJSON, stdout)
	}
	defer s.Close()
	enc := json.NewEncoder(stdout)
	return s.View(func(tx storage.Tx) error {
		return tx.ForEachAudit(0, func(r storage.AuditRecord) (bool, error) {
			if r.Time.Before(from) || !auditAbout(r, *user) {
				return true, nil
			}
			if *asJSON {
				e := bridge.AuditEntryOf(r)
				e.Tenant = d.tenant
				return true, enc.Encode(e)
			}
			printAudit(stdout, r)
			return true, nil
		})
	})
}

// runAuditPrune is `audit prune -before TIME`: it deletes the records made
// before TIME, with the bridge stopped (a running bridge prunes by itself
// when audit.retention is set).
func runAuditPrune(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit prune", stderr)
	var d dataFlags
	d.register(fs)
	before := fs.String("before", "", "delete the records made before this time: RFC 3339, a date (2006-01-02) or a duration back from now (2160h)")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if *before == "" {
		fmt.Fprintln(stderr, "absorb-scim audit prune: -before is required")
		return errUsage
	}
	now := time.Now()
	cutoff, err := parseTimeFlag("-before", *before, now)
	if err != nil {
		fmt.Fprintln(stderr, "absorb-scim audit prune:", err)
		return errUsage
	}
	cfg, err := d.load(getenv)
	if err != nil {
		return err
	}
	if err := checkPruneCutoff(cutoff, now, cfg.Audit.Retention); err != nil {
		fmt.Fprintln(stderr, "absorb-scim audit prune:", err)
		return errUsage
	}
	s, err := openStore(context.Background(), cfg, storeAccess{write: true})
	if err != nil {
		return err
	}
	defer s.Close()
	var older, total int
	err = s.View(func(tx storage.Tx) error {
		return tx.ForEachAudit(0, func(r storage.AuditRecord) (bool, error) {
			total++
			if r.Time.Before(cutoff) {
				older++
			}
			return true, nil
		})
	})
	if err != nil {
		return fmt.Errorf("count audit records: %w", err)
	}
	fmt.Fprintf(stdout, "deleting the %d of %d audit records in %s made before %s\n", older, total, s.Describe(), cutoff.UTC().Format(time.RFC3339))
	n, err := bridge.PruneAudit(s, cutoff)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted %d audit records made before %s\n", n, cutoff.UTC().Format(time.RFC3339))
	return nil
}

// checkPruneCutoff refuses a cut-off that would delete records the
// configuration says to keep: one in the future (every record, including
// those being written), or one inside audit.retention.
func checkPruneCutoff(cutoff, now time.Time, retention time.Duration) error {
	if cutoff.After(now) {
		return fmt.Errorf("-before %s is in the future: it would delete every record; give a time in the past or a duration back from now (2160h)", cutoff.UTC().Format(time.RFC3339))
	}
	if retention > 0 && cutoff.After(now.Add(-retention)) {
		return fmt.Errorf("-before %s is inside audit.retention (%s): the configuration keeps those records; give a time before %s, or shorten audit.retention",
			cutoff.UTC().Format(time.RFC3339), retention, now.Add(-retention).UTC().Format(time.RFC3339))
	}
	return nil
}

// auditAbout reports whether r is about the user named by key (any of its
// ids, or its userName case-insensitively); an empty key matches all.
func auditAbout(r storage.AuditRecord, key string) bool {
	return key == "" || strings.EqualFold(r.UserName, key) || r.ResourceID == key || r.AbsorbID == key
}

// parseSince reads -since: empty (the beginning), RFC 3339, a date, or a
// duration before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return parseTimeFlag("-since", s, now)
}

// parseTimeFlag reads a time flag: RFC 3339, a date, or a duration before now.
func parseTimeFlag(flag, s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want RFC 3339 (2006-01-02T15:04:05Z), a date (2006-01-02) or a duration (24h)", flag, s)
}

// printAudit writes one record for people: a header line, then each
// changed field.
func printAudit(w io.Writer, r storage.AuditRecord) {
	who := r.Credential
	if r.RequestID != "" {
		who += " request=" + r.RequestID
	}
	fmt.Fprintf(w, "%s #%d %s %s %s %s scim=%s absorb=%s by %s\n", r.Time.UTC().Format(time.RFC3339), r.Seq,
		r.Outcome, r.Operation, r.ResourceType, dash(r.UserName), dash(r.ResourceID), dash(r.AbsorbID), who)
	for _, c := range r.Changes {
		fmt.Fprintf(w, "    %s: %q -> %q\n", c.Field, c.From, c.To)
	}
}
