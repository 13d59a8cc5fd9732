package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/storage"
	"github.com/absorb-scim/absorb-scim/storage/dump"
)

const migrateUsage = `usage: absorb-scim migrate -from STORE -to STORE [-replace] [-config FILE]

Copies everything the bridge keeps (users with their resources and links,
the Absorb mirror, groups and members, create intents, holds, the audit
log, rule state and sync cursors) from one store to another, then counts
both and prints the counts. Stop the bridge first: what it writes during
the copy is not copied.

A STORE is
  bbolt:DIR        the bbolt file in the data directory DIR
  postgres:URL     a PostgreSQL database (postgres://USER:PASSWORD@HOST:5432/DB)
  postgres:        the configuration's storage.postgres.url (-config, or
                   ABSORB_SCIM_STORAGE_POSTGRES_URL(_FILE)), which keeps the
                   password out of the process list

The destination must be empty unless -replace is given, which deletes
everything it holds first. The audit log keeps its order; the destination
numbers its records anew. A PostgreSQL store at either end is first
migrated to this build's schema, as serve would.

flags:
`

// storeRef is one end of a copy: a bbolt data directory or a PostgreSQL URL.
type storeRef struct {
	driver string // config.DriverBbolt or config.DriverPostgres
	dir    string
	url    string // a secret: print describe()
	tenant string // whose rows, on PostgreSQL ("" without tenants)
}

// describe names the store without its password.
func (r storeRef) describe() string {
	if r.driver == config.DriverPostgres {
		return "postgres " + config.RedactURL(r.url)
	}
	return "bbolt " + dbPath(r.dir)
}

// parseStoreRef reads a -from or -to value. An empty postgres URL is the
// configured one, which cfg gives when called.
func parseStoreRef(flag, v string, configured func() (string, error)) (storeRef, error) {
	switch {
	case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
		// A bare URL, without the postgres: prefix.
		return checkedPostgres(flag, v)
	case strings.HasPrefix(v, "postgres:"):
		u := strings.TrimPrefix(v, "postgres:")
		if u == "" {
			var err error
			if u, err = configured(); err != nil {
				return storeRef{}, fmt.Errorf("%s postgres: %w", flag, err)
			}
		}
		return checkedPostgres(flag, u)
	case strings.HasPrefix(v, "bbolt:"):
		dir := strings.TrimPrefix(v, "bbolt:")
		if dir == "" {
			return storeRef{}, fmt.Errorf("%s bbolt: names no data directory (bbolt:/var/lib/absorb-scim)", flag)
		}
		return storeRef{driver: config.DriverBbolt, dir: dir}, nil
	}
	// Never repeat v: it may be a URL with a password.
	return storeRef{}, fmt.Errorf("%s must be bbolt:DIR or postgres:URL", flag)
}

func checkedPostgres(flag, u string) (storeRef, error) {
	if err := config.CheckPostgresURL(u); err != nil {
		return storeRef{}, fmt.Errorf("%s: %w", flag, err)
	}
	return storeRef{driver: config.DriverPostgres, url: u}, nil
}

// open opens the store r names: the source read-only when it is a bbolt
// file, the destination writable (and created when it is a bbolt file).
func (r storeRef) open(ctx context.Context, dest bool) (storage.Store, error) {
	cfg := config.Config{DataDir: r.dir, Storage: config.Storage{Driver: r.driver, Postgres: config.Postgres{URL: r.url}}, Tenant: r.tenant}
	return openStore(ctx, cfg, storeAccess{serve: dest})
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), migrateUsage)
		fs.PrintDefaults()
	}
	from := fs.String("from", "", "the store to copy from: bbolt:DIR or postgres:URL")
	to := fs.String("to", "", "the store to copy to: bbolt:DIR or postgres:URL")
	replace := fs.Bool("replace", false, "delete everything the destination holds before copying (without it, a destination that holds data is refused)")
	cfgPath := fs.String("config", "", "configuration file (YAML), for postgres: without a URL; also "+config.EnvPrefix+"CONFIG")
	tenant := fs.String("tenant", "", "with tenants: the tenant whose rows a PostgreSQL end holds (a bbolt end is the directory given, such as DATADIR/tenants/ID)")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	configured := func() (string, error) {
		cfg, err := dataFlags{config: *cfgPath}.loadDeployment(getenv)
		if err != nil {
			return "", err
		}
		if cfg.Storage.Postgres.URL == "" {
			return "", errors.New("no URL given and the configuration has no storage.postgres.url")
		}
		return cfg.Storage.Postgres.URL, nil
	}
	src, err := parseStoreRef("-from", *from, configured)
	if err != nil {
		return err
	}
	dst, err := parseStoreRef("-to", *to, configured)
	if err != nil {
		return err
	}
	if *tenant != "" && !config.ValidTenantID(*tenant) {
		return fmt.Errorf("-tenant %q: a tenant id is lower-case letters, digits and '-'", *tenant)
	}
	src.tenant, dst.tenant = *tenant, *tenant
	if src == dst {
		return fmt.Errorf("-from and -to are the same store (%s)", src.describe())
	}
	s, err := src.open(ctx, false)
	if err != nil {
		return fmt.Errorf("open the source: %w", err)
	}
	defer s.Close()
	d, err := dst.open(ctx, true)
	if err != nil {
		return fmt.Errorf("open the destination: %w", err)
	}
	defer d.Close()
	if err := emptyDestination(ctx, d, *replace, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copying %s to %s\n", storeName(s), storeName(d))
	exported, imported, err := copyStore(ctx, s, d, progressEvery, stderr)
	if err != nil {
		return err
	}
	if exported != imported {
		return fmt.Errorf("the copy read %+v but wrote %+v", exported, imported)
	}
	got, err := dump.Count(ctx, d)
	if err != nil {
		return fmt.Errorf("count the destination: %w", err)
	}
	printCounts(stdout, storeName(s), storeName(d), exported, got)
	if got != exported {
		return fmt.Errorf("the destination %s does not hold what was copied: see the counts above", storeName(d))
	}
	fmt.Fprintln(stdout, "every count matches")
	return nil
}

// emptyDestination refuses a destination that holds data, or with replace
// deletes what it holds.
func emptyDestination(ctx context.Context, d storage.Store, replace bool, stdout io.Writer) error {
	c, err := dump.Count(ctx, d)
	if err != nil {
		return fmt.Errorf("count the destination %s: %w", storeName(d), err)
	}
	if c.Empty() {
		return nil
	}
	if !replace {
		return fmt.Errorf("the destination %s is not empty (%s): copy into an empty one, or give -replace to delete what it holds first", storeName(d), summary(c))
	}
	fmt.Fprintf(stdout, "deleting what %s holds (%s)\n", storeName(d), summary(c))
	if err := dump.Clear(ctx, d); err != nil {
		return err
	}
	return nil
}

// progressEvery is how many records migrate copies between two lines of
// progress: a large portal takes minutes, and silence looks like a hang.
const progressEvery = 10_000

// copyStore streams an export of s into an import to d, and says on
// progress how many records it has copied each time every more went by.
func copyStore(ctx context.Context, s, d storage.Store, every int, progress io.Writer) (exported, imported dump.Counts, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	epr, pw := io.Pipe()
	pr := &progressReader{r: epr, every: every, w: progress, start: time.Now()}
	done := make(chan error, 1)
	go func() {
		var err error
		exported, err = dump.Export(ctx, s, pw)
		pw.CloseWithError(err)
		done <- err
	}()
	imported, err = dump.Import(ctx, d, pr)
	// An import that stopped early leaves the export blocked on the pipe.
	epr.CloseWithError(errors.New("the import stopped"))
	// An export that failed ended the import's stream: its error is the
	// cause.
	if eerr := <-done; eerr != nil && (err == nil || errors.Is(err, dump.ErrDamaged)) {
		err = eerr
	}
	if err != nil {
		return exported, imported, fmt.Errorf("copy %s to %s: %w", storeName(s), storeName(d), err)
	}
	return exported, imported, nil
}

// progressReader counts the lines of a dump read through it and writes a
// line to w each time every more have passed.
type progressReader struct {
	r     io.Reader
	w     io.Writer
	every int
	start time.Time
	lines int
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	for _, c := range b[:n] {
		if c != '\n' {
			continue
		}
		// The first line is the dump's header, not a record.
		if p.lines++; p.lines > 1 && (p.lines-1)%p.every == 0 {
			fmt.Fprintf(p.w, "migrate: %d records copied (%s)\n", p.lines-1, time.Since(p.start).Round(time.Second))
		}
	}
	return n, err
}

// summary is a one-line account of counts.
func summary(c dump.Counts) string {
	return fmt.Sprintf("%d users, %d Absorb users, %d groups, %d memberships, %d create intents, %d holds, %d rule states, %d audit records, %d cursors",
		c.Users, c.AbsorbUsers, c.Groups, c.Members, c.Intents, c.Holds, c.RuleStates, c.Audit, c.Cursors)
}

// printCounts writes the counts of both stores side by side.
func printCounts(w io.Writer, from, to string, src, dst dump.Counts) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tsource\tdestination\t\n")
	for _, row := range []struct {
		name     string
		src, dst int
	}{
		{"users", src.Users, dst.Users},
		{"Absorb users", src.AbsorbUsers, dst.AbsorbUsers},
		{"groups", src.Groups, dst.Groups},
		{"memberships", src.Members, dst.Members},
		{"create intents", src.Intents, dst.Intents},
		{"holds", src.Holds, dst.Holds},
		{"rule states", src.RuleStates, dst.RuleStates},
		{"audit records", src.Audit, dst.Audit},
		{"cursors", src.Cursors, dst.Cursors},
	} {
		mark := ""
		if row.src != row.dst {
			mark = "MISMATCH"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", row.name, row.src, row.dst, mark)
	}
	tw.Flush()
	fmt.Fprintf(w, "source: %s\ndestination: %s\n", from, to)
}

// backupDump is `backup` of a store that has no backup file of its own
// (PostgreSQL): the dump of storage/dump, written to a temporary file and
// renamed to out once complete, readable by its owner only.
func backupDump(ctx context.Context, s storage.Store, out string, stdout io.Writer) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone once renamed
	c, err := dump.Export(ctx, s, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		return fmt.Errorf("backup %s to %s: %w", storeName(s), out, err)
	}
	fmt.Fprintf(stdout, "backed up %s to %s (an absorb-scim dump): %s\n", storeName(s), out, summary(c))
	return nil
}

// restoreDump is `restore` into PostgreSQL: it checks the whole dump first,
// keeps what the database holds as a dump in the data directory, empties
// the database, imports the dump and counts the result.
func restoreDump(ctx context.Context, cfg config.Config, in string, now time.Time, stdout io.Writer) error {
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	want, err := dump.Verify(ctx, f)
	if err != nil {
		return fmt.Errorf("restore from %s: %w", in, err)
	}
	s, err := openStore(ctx, cfg, storeAccess{write: true})
	if err != nil {
		return err
	}
	defer s.Close()
	had, err := dump.Count(ctx, s)
	if err != nil {
		return fmt.Errorf("count %s: %w", storeName(s), err)
	}
	kept := ""
	if !had.Empty() {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
		}
		kept = filepath.Join(cfg.DataDir, "absorb-scim-replaced-"+now.UTC().Format("20060102T150405Z")+".jsonl")
		fmt.Fprintf(stdout, "replacing what %s holds (%s) with %s; keeping it as %s\n", storeName(s), summary(had), in, kept)
		if err := backupDump(ctx, s, kept, io.Discard); err != nil {
			return fmt.Errorf("keep what %s holds: %w", storeName(s), err)
		}
		if err := dump.Clear(ctx, s); err != nil {
			return fmt.Errorf("%w; what it held is kept in %s", err, kept)
		}
	} else {
		fmt.Fprintf(stdout, "restoring %s from %s (it holds nothing yet)\n", storeName(s), in)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := dump.Import(ctx, s, f); err != nil {
		if kept != "" {
			return fmt.Errorf("restore %s from %s: %w; what it held before is kept in %s", storeName(s), in, err, kept)
		}
		return fmt.Errorf("restore %s from %s: %w", storeName(s), in, err)
	}
	got, err := dump.Count(ctx, s)
	if err != nil {
		return fmt.Errorf("count %s: %w", storeName(s), err)
	}
	if got != want {
		return fmt.Errorf("restored %s from %s, but it holds %s where the dump holds %s", storeName(s), in, summary(got), summary(want))
	}
	fmt.Fprintf(stdout, "restored %s from %s: %s\n", storeName(s), in, summary(got))
	if kept != "" {
		fmt.Fprintf(stdout, "what it held before is kept as %s; delete it once the restored data is right\n", kept)
	}
	return nil
}

// isDump reports whether the file at path begins as a dump of storage/dump
// does (a bbolt file begins with binary page headers).
func isDump(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, len(`{"dump":`))
	n, _ := io.ReadFull(f, head)
	return string(head[:n]) == `{"dump":`, nil
}

// bboltFromDump returns the bbolt file to restore from in: in itself when it
// is one, else a new bbolt file in dir holding the dump's records (the
// caller removes it), so restore checks and swaps it in as any backup.
func bboltFromDump(ctx context.Context, in, dir string) (string, error) {
	dumped, err := isDump(in)
	if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	if !dumped {
		return in, nil
	}
	f, err := os.Open(in)
	if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	tmp, err := os.CreateTemp(dir, ".absorb-scim.db.from-dump-*")
	if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	path := tmp.Name()
	tmp.Close()
	os.Remove(path) // bbolt makes the file itself
	s, err := storage.Open(path, storage.Options{})
	if err == nil {
		_, err = dump.Import(ctx, s, f)
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("restore from %s: %w", in, err)
	}
	return path, nil
}
