package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/storage"
)

// dbFileName is the name of the bbolt file in the data directory.
const dbFileName = "absorb-scim.db"

// dbPath is the bbolt file of a data directory.
func dbPath(dataDir string) string { return filepath.Join(dataDir, dbFileName) }

// adminLockTimeout is how long admin commands wait for the data file's lock.
const adminLockTimeout = 500 * time.Millisecond

// dataFlags are the flags that locate the data directory.
type dataFlags struct {
	data, config, tenant string
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.data, "data", "", "data directory holding the bbolt file (default: the configuration's dataDir, or its storage.driver: postgres)")
	fs.StringVar(&d.config, "config", "", "configuration file (YAML), for its storage (dataDir, storage.driver); also "+config.EnvPrefix+"CONFIG")
	fs.StringVar(&d.tenant, "tenant", "", tenantFlagUsage)
}

// load reads the configuration of -tenant's data (see forTenant).
func (d dataFlags) load(getenv func(string) string) (config.Config, error) {
	cfg, err := d.loadDeployment(getenv)
	if err != nil {
		return cfg, err
	}
	return forTenant(cfg, d.tenant, false)
}

// loadDeployment reads the configuration (file and environment) with -data
// applied. Only settings of the data (its location, audit.retention)
// matter here, so a configuration that would not validate for serving is
// still read.
func (d dataFlags) loadDeployment(getenv func(string) string) (config.Config, error) {
	path := d.config
	if path == "" {
		path = getenv(config.EnvPrefix + "CONFIG")
	}
	cfg, err := config.Load(path, getenv)
	var ce *config.Error
	if err != nil && !errors.As(err, &ce) && d.data == "" {
		return cfg, err
	}
	if d.data != "" {
		// -data names a bbolt file, whatever the configuration's driver.
		cfg.DataDir = d.data
		cfg.Storage.Driver = config.DriverBbolt
	}
	return cfg, nil
}

// open opens the store the flags name: the bbolt file read-only, or the
// configuration's PostgreSQL database.
func (d dataFlags) open(getenv func(string) string) (storage.Store, error) {
	cfg, err := d.load(getenv)
	if err != nil {
		return nil, err
	}
	return openStore(context.Background(), cfg, storeAccess{})
}

// openData opens the store of a data directory, read-only unless write. A
// running bridge holds the file's lock; that is said plainly.
func openData(dir string, write bool) (*storage.Bolt, error) {
	path := dbPath(dir)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no data file at %s: check -data or the configuration's dataDir", path)
	}
	s, err := storage.Open(path, storage.Options{ReadOnly: !write, Timeout: adminLockTimeout})
	if errors.Is(err, storage.ErrLocked) {
		return nil, fmt.Errorf("%s is in use, most likely by a running bridge: stop the bridge or use its admin endpoints (GET /admin/backup, POST /admin/reconcile): %w", path, err)
	}
	return s, err
}

// newFlagSet returns a flag set that prints its usage, headed by the
// command's own name and arguments, to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	return newFlagSetArgs(name, "[flags]", stderr)
}

// newFlagSetArgs is newFlagSet for a command whose usage line shows args.
func newFlagSetArgs(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: absorb-scim %s %s\n\nflags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// flagError is what a command returns when its flags do not parse: -h
// printed the usage as asked (flag.ErrHelp, which run treats as success),
// anything else printed the usage of a mistake.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return flag.ErrHelp
	}
	return errUsage
}

// userLine is one user in `users list -json`.
type userLine struct {
	ID           string    `json:"id"`
	UserName     string    `json:"userName"`
	ExternalID   string    `json:"externalId,omitempty"`
	Active       bool      `json:"active"`
	AbsorbID     string    `json:"absorbId"`
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"lastModified"`
}

func runUsers(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runBrowse("users", "ID-or-userName", args, getenv, stdout, stderr,
		func(s storage.Store, key string) error { return showUser(s, key, stdout) },
		func(s storage.Store, asJSON bool) error { return listUsers(s, asJSON, stdout) })
}

// runBrowse runs a "list|show KEY" command over a stopped bridge's data.
func runBrowse(name, keyName string, args []string, getenv func(string) string, stdout, stderr io.Writer,
	show func(s storage.Store, key string) error, list func(s storage.Store, asJSON bool) error) error {
	use := "usage: absorb-scim " + name + " list|show " + keyName + " [-data DIR | -config FILE] [-tenant ID] [-json]"
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprintf(stdout, "%s\n\n  list  every one of the %s the bridge keeps\n  show  one of them, by %s\n\nSee 'absorb-scim %s list -h' for the flags.\n", use, name, keyName, name)
		return nil
	}
	if len(args) == 0 || (args[0] != "list" && args[0] != "show") {
		fmt.Fprintln(stderr, use)
		return errUsage
	}
	verb, rest := args[0], args[1:]
	var key string
	synopsis := "[flags]"
	if verb == "show" {
		synopsis = keyName + " [flags]"
		if len(rest) == 0 || (strings.HasPrefix(rest[0], "-") && !isHelpFlag(rest[0])) {
			fmt.Fprintln(stderr, use)
			return errUsage
		}
		if !isHelpFlag(rest[0]) {
			key, rest = rest[0], rest[1:]
		}
	}
	fs := newFlagSetArgs(name+" "+verb, synopsis, stderr)
	var d dataFlags
	d.register(fs)
	asJSON := fs.Bool("json", false, "print JSON lines")
	if err := fs.Parse(rest); err != nil {
		return flagError(err)
	}
	s, err := d.open(getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	if verb == "show" {
		return show(s, key)
	}
	return list(s, *asJSON)
}

func listUsers(s storage.Store, asJSON bool, stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	enc := json.NewEncoder(stdout)
	if !asJSON {
		fmt.Fprintln(tw, "ID\tUSERNAME\tEXTERNAL ID\tACTIVE\tABSORB ID")
	}
	err := s.View(func(tx storage.Tx) error {
		return tx.ForEachUser("", func(u storage.User) (bool, error) {
			if asJSON {
				return true, enc.Encode(userLine{ID: u.ID, UserName: u.UserName, ExternalID: u.ExternalID, Active: u.Active,
					AbsorbID: u.AbsorbID, Created: u.Created, LastModified: u.LastModified})
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\n", u.ID, u.UserName, dash(u.ExternalID), u.Active, dash(u.AbsorbID))
			return true, nil
		})
	})
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	if asJSON {
		return nil
	}
	return tw.Flush()
}

// userDetail is `users show`: the SCIM resource, its mapping, its groups
// and the bridge's copy of the Absorb account.
type userDetail struct {
	ID           string          `json:"id"`
	AbsorbID     string          `json:"absorbId"`
	Created      time.Time       `json:"created"`
	LastModified time.Time       `json:"lastModified"`
	Version      uint64          `json:"version"`
	Resource     json.RawMessage `json:"resource"`
	Groups       []string        `json:"groups"`
	Absorb       json.RawMessage `json:"absorb,omitempty"`
}

func showUser(s storage.Store, key string, stdout io.Writer) error {
	var out userDetail
	err := s.View(func(tx storage.Tx) error {
		u, err := tx.User(key)
		if errors.Is(err, storage.ErrNotFound) {
			u, err = tx.UserByUserName(key)
		}
		if err != nil {
			return err
		}
		out = userDetail{ID: u.ID, AbsorbID: u.AbsorbID, Created: u.Created, LastModified: u.LastModified,
			Version: u.Version, Resource: u.Resource, Groups: []string{}}
		ids, err := tx.GroupsOfUser(u.ID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		for _, gid := range ids {
			if g, err := tx.Group(gid); err == nil {
				out.Groups = append(out.Groups, g.ID+" "+g.DisplayName)
			}
		}
		if a, err := tx.AbsorbUser(u.AbsorbID); err == nil {
			out.Absorb = a.Raw
		}
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("no user with id or userName %q", key)
	}
	if err != nil {
		return fmt.Errorf("show user %q: %w", key, err)
	}
	return writeJSONIndent(stdout, out)
}

// groupLine is one group in `groups list -json`.
type groupLine struct {
	ID           string    `json:"id"`
	DisplayName  string    `json:"displayName"`
	ExternalID   string    `json:"externalId,omitempty"`
	Members      int       `json:"members"`
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"lastModified"`
}

// groupDetail is `groups show`: the group and its members.
type groupDetail struct {
	ID           string          `json:"id"`
	DisplayName  string          `json:"displayName"`
	ExternalID   string          `json:"externalId,omitempty"`
	Created      time.Time       `json:"created"`
	LastModified time.Time       `json:"lastModified"`
	Resource     json.RawMessage `json:"resource"`
	Members      []memberLine    `json:"members"`
}

type memberLine struct {
	Value   string `json:"value"`
	Display string `json:"display,omitempty"`
}

func runGroups(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runBrowse("groups", "ID-or-displayName", args, getenv, stdout, stderr,
		func(s storage.Store, key string) error { return showGroup(s, key, stdout) },
		func(s storage.Store, asJSON bool) error { return listGroups(s, asJSON, stdout) })
}

func listGroups(s storage.Store, asJSON bool, stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	enc := json.NewEncoder(stdout)
	if !asJSON {
		fmt.Fprintln(tw, "ID\tDISPLAY NAME\tEXTERNAL ID\tMEMBERS")
	}
	err := s.View(func(tx storage.Tx) error {
		return tx.ForEachGroup("", func(g storage.Group) (bool, error) {
			if asJSON {
				return true, enc.Encode(groupLineOf(g))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", g.ID, g.DisplayName, dash(g.ExternalID), g.MemberCount)
			return true, nil
		})
	})
	if err != nil {
		return fmt.Errorf("list groups: %w", err)
	}
	if asJSON {
		return nil
	}
	return tw.Flush()
}

func groupLineOf(g storage.Group) groupLine {
	return groupLine{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Members: g.MemberCount,
		Created: g.Created, LastModified: g.LastModified}
}

func showGroup(s storage.Store, id string, stdout io.Writer) error {
	var out groupDetail
	err := s.View(func(tx storage.Tx) error {
		g, err := tx.Group(id)
		if errors.Is(err, storage.ErrNotFound) {
			g, err = groupByDisplayName(tx, id)
		}
		if err != nil {
			return err
		}
		id = g.ID
		out = groupDetail{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Created: g.Created,
			LastModified: g.LastModified, Resource: g.Resource, Members: []memberLine{}}
		return tx.ForEachMember(id, func(m storage.Member) (bool, error) {
			out.Members = append(out.Members, memberLine{Value: m.UserID, Display: m.Display})
			return true, nil
		})
	})
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("no group with id or displayName %q", id)
	}
	if err != nil {
		return fmt.Errorf("show group %q: %w", id, err)
	}
	return writeJSONIndent(stdout, out)
}

// groupByDisplayName finds the one group whose displayName is name, compared
// without regard to case as SCIM compares displayName (RFC 7643 §4.2).
func groupByDisplayName(tx storage.Tx, name string) (storage.Group, error) {
	groups, err := tx.GroupsByDisplayName(name)
	switch {
	case err != nil:
		return storage.Group{}, err
	case len(groups) == 0:
		return storage.Group{}, storage.ErrNotFound
	case len(groups) > 1:
		ids := make([]string, len(groups))
		for i, g := range groups {
			ids[i] = g.ID
		}
		return storage.Group{}, fmt.Errorf("%d groups are named %q (ids %s): show one by its id", len(groups), name, strings.Join(ids, ", "))
	}
	return groups[0], nil
}

func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backup", stderr)
	var d dataFlags
	d.register(fs)
	out := fs.String("out", "", "file to write the copy to (required)")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if *out == "" {
		fmt.Fprintln(stderr, "usage: absorb-scim backup [-data DIR | -config FILE] [-tenant ID] -out FILE")
		return errUsage
	}
	s, err := d.open(getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	b, ok := s.(*storage.Bolt)
	if !ok {
		return backupDump(ctx, s, *out, stdout)
	}
	if err := b.BackupToFile(*out); err != nil {
		return err
	}
	c := s.Stats()
	fmt.Fprintf(stdout, "backed up %s to %s: %d users, %d groups, %d memberships\n", b.Path(), *out, c.Users, c.Groups, c.Memberships)
	return nil
}

func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("restore", stderr)
	var d dataFlags
	d.register(fs)
	in := fs.String("in", "", "backup file to restore (required)")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if *in == "" {
		fmt.Fprintln(stderr, "usage: absorb-scim restore [-data DIR | -config FILE] [-tenant ID] -in FILE")
		return errUsage
	}
	cfg, err := d.load(getenv)
	if err != nil {
		return err
	}
	if cfg.Storage.Driver == config.DriverPostgres {
		return restoreDump(ctx, cfg, *in, time.Now(), stdout)
	}
	dir := cfg.DataDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory %s: %w", dir, err)
	}
	from, err := bboltFromDump(ctx, *in, dir) // cmd_migrate.go: a PostgreSQL export restores too
	if err != nil {
		return err
	}
	if from != *in {
		defer os.Remove(from)
	}
	kept, err := keepCurrentData(dir, *in, time.Now(), stdout)
	if err != nil {
		return err
	}
	err = storage.Restore(from, dbPath(dir))
	if err != nil && kept != "" {
		os.Remove(kept) // nothing was replaced
	}
	if errors.Is(err, storage.ErrLocked) {
		return fmt.Errorf("%w; stop the bridge before restoring", err)
	}
	if err != nil {
		return err
	}
	s, err := openData(dir, false)
	if err != nil {
		return err
	}
	defer s.Close()
	c := s.Stats()
	fmt.Fprintf(stdout, "restored %s from %s: %d users, %d groups, %d memberships\n", s.Describe(), *in, c.Users, c.Groups, c.Memberships)
	if kept != "" {
		fmt.Fprintf(stdout, "the replaced file is kept as %s; delete it once the restored data is right\n", kept)
	}
	return nil
}

// keepCurrentData says what restore is about to do and copies the data file
// it will replace beside it (absorb-scim.db.replaced-<time>), so a restore
// of the wrong backup can be undone. It returns the copy's path, "" when
// there is no data file yet. A running bridge holds the file's lock, and
// that stops the restore here.
func keepCurrentData(dir, backup string, now time.Time, stdout io.Writer) (string, error) {
	path := dbPath(dir)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stdout, "restoring %s from %s (there is no data file yet)\n", path, backup)
		return "", nil
	}
	kept := path + ".replaced-" + now.UTC().Format("20060102T150405Z")
	s, err := openData(dir, false)
	switch {
	case errors.Is(err, storage.ErrLocked):
		return "", fmt.Errorf("%w; stop the bridge before restoring", err)
	case err != nil:
		// A damaged file is a reason to restore: keep its bytes as they are.
		fmt.Fprintf(stdout, "replacing %s (unreadable: %v) with %s; keeping the current file as %s\n", path, err, backup, kept)
		if err := copyFile(path, kept); err != nil {
			return "", fmt.Errorf("keep a copy of %s: %w", path, err)
		}
		return kept, nil
	}
	defer s.Close()
	c := s.Stats()
	fmt.Fprintf(stdout, "replacing %s (%d users, %d groups, %d memberships) with %s; keeping the current file as %s\n",
		path, c.Users, c.Groups, c.Memberships, backup, kept)
	if err := s.BackupToFile(kept); err != nil {
		return "", fmt.Errorf("keep a copy of %s: %w", path, err)
	}
	return kept, nil
}

// copyFile copies src to a new file dst, readable by its owner only.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if serr := out.Sync(); err == nil {
		err = serr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// exitDrift is reconcile's exit status with -exit-code when it finds drift,
// so a cron job can tell drift (3) from failure (1) and from clean (0).
const exitDrift = 3

func runReconcile(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("reconcile", stderr)
	cfgPath := fs.String("config", "", "configuration file (YAML); also "+config.EnvPrefix+"CONFIG")
	data := fs.String("data", "", "data directory (default: the configuration's dataDir)")
	fix := fs.Bool("fix", false, "push the SCIM truth to Absorb (one PUT per drifted user) and drop copies of missing accounts")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	exitCode := fs.Bool("exit-code", false, fmt.Sprintf("exit with status %d when drift is found (1 is a failure, 0 no drift)", exitDrift))
	quiet := fs.Bool("quiet", false, "no progress lines on standard error")
	tenant := fs.String("tenant", "", tenantFlagUsage)
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	cfg, err := loadConfig(serveFlags{config: *cfgPath, data: *data}, getenv)
	if err != nil {
		return configError(err, stderr)
	}
	if cfg, err = forTenant(cfg, *tenant, true); err != nil {
		return err
	}
	s, err := openStore(ctx, cfg, storeAccess{write: *fix})
	if err != nil {
		return err
	}
	a := &app{cfg: cfg, log: newLogger(cfg.Log, stderr), store: s}
	if err := a.build(); err != nil {
		s.Close()
		return err
	}
	if *fix {
		fmt.Fprintf(stderr, "reconcile -fix: every SCIM user of %s is compared with its Absorb account; each drifted account is overwritten in Absorb with what its SCIM user maps to (audited), and the local copy of each missing account is dropped\n", s.Describe())
	}
	if !*quiet {
		ctx = bridge.WithProgress(ctx, progressPrinter(stderr, time.Now, 2*time.Second))
	}
	rep, err := a.bridge.Reconcile(ctx, *fix)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if *asJSON {
		err = writeJSONIndent(stdout, rep)
	} else {
		printReconcile(stdout, rep, *fix)
	}
	if err == nil && *exitCode && len(rep.Drift) > 0 {
		return &exitError{code: exitDrift, err: fmt.Errorf("reconcile: %d users drifted", rep.Drifted)}
	}
	return err
}

// progressPrinter writes a line about a long operation's progress at most
// once per every, and whenever its phase changes or a known total is
// reached.
func progressPrinter(w io.Writer, now func() time.Time, every time.Duration) bridge.Progress {
	var (
		phase string
		last  time.Time
		start = now()
	)
	return func(p string, done, total int) {
		t := now()
		if p == phase && t.Sub(last) < every && (total == 0 || done < total) {
			return
		}
		phase, last = p, t
		elapsed := t.Sub(start).Round(time.Second)
		if total > 0 {
			fmt.Fprintf(w, "reconcile: %s %d of %d (%s)\n", p, done, total, elapsed)
			return
		}
		fmt.Fprintf(w, "reconcile: %s %d (%s)\n", p, done, elapsed)
	}
}

// printReconcile writes a report for people: a summary line, then one line
// per drift with its changed fields indented below it.
func printReconcile(w io.Writer, rep bridge.ReconcileReport, fix bool) {
	fmt.Fprintf(w, "%d users compared, %d drifted, %d fixed\n", rep.Users, rep.Drifted, rep.Fixed)
	for _, d := range rep.Drift {
		state := ""
		switch {
		case d.Fixed:
			state = " [fixed]"
		case fix:
			state = " [not fixed]"
		}
		fmt.Fprintf(w, "%s%s user=%s userName=%s absorbId=%s\n", d.Kind, state, dash(d.UserID), dash(d.UserName), dash(d.AbsorbID))
		for _, c := range d.Changes {
			fmt.Fprintf(w, "    %s: absorb %q, scim %q\n", c.Field, c.From, c.To)
		}
		if d.Detail != "" {
			fmt.Fprintf(w, "    %s\n", d.Detail)
		}
	}
}

func writeJSONIndent(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
