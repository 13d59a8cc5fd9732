package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/server"
	"github.com/absorb-scim/absorb-scim/storage"
	"github.com/absorb-scim/absorb-scim/storage/postgres"
)

// tenantFlagUsage is the usage of every command's -tenant flag.
const tenantFlagUsage = "the tenant (its id in tenants:) whose data, portal or admin API the command works on; required when the configuration has tenants"

// forTenant is the configuration a command given -tenant id works on: the
// tenant's (its portal, credentials, data directory), or cfg itself
// without tenants. A configuration with tenants needs -tenant. Unless
// configured is set, an id no longer configured still names its data
// directory, so a removed tenant's data can be read before it is purged.
func forTenant(cfg config.Config, id string, configured bool) (config.Config, error) {
	ids := cfg.TenantIDs()
	switch {
	case id == "" && len(ids) == 0:
		return cfg, nil
	case id == "":
		return cfg, fmt.Errorf("the configuration has tenants (%s): name one with -tenant ID", strings.Join(ids, ", "))
	case !config.ValidTenantID(id):
		return cfg, fmt.Errorf("-tenant %q: a tenant id is lower-case letters, digits and '-'", id)
	}
	if tc, ok := cfg.ForTenant(id); ok {
		return tc, nil
	}
	if configured {
		if len(ids) == 0 {
			return cfg, fmt.Errorf("-tenant %s: the configuration has no tenants", id)
		}
		return cfg, fmt.Errorf("-tenant %s: no such tenant in the configuration (%s)", id, strings.Join(ids, ", "))
	}
	cfg.DataDir = config.TenantDir(cfg.DataDir, id)
	cfg.Tenant, cfg.Tenants = id, nil
	return cfg, nil
}

const tenantsUsage = `usage: absorb-scim tenants list [-config FILE] [-data DIR]
       absorb-scim tenants purge ID [-config FILE] [-data DIR]

list   the tenants configured and the tenants' data found under dataDir/tenants/,
       each with its SCIM URL; data of a tenant no longer configured is kept
       until purged
purge  delete the data of tenant ID, which must no longer be configured (remove
       it from tenants: and send the bridge SIGHUP first); this cannot be undone:
       take a backup first (absorb-scim backup -tenant ID -out FILE)
`

// runTenants is `absorb-scim tenants list|purge`.
func runTenants(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprint(stdout, tenantsUsage)
		return nil
	}
	if len(args) == 0 || (args[0] != "list" && args[0] != "purge") {
		fmt.Fprint(stderr, tenantsUsage)
		return errUsage
	}
	verb := args[0]
	fs := newFlagSet("tenants "+verb, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, tenantsUsage+"\nflags:\n"); fs.PrintDefaults() }
	var d dataFlags
	fs.StringVar(&d.data, "data", "", "data directory (default: the configuration's dataDir)")
	fs.StringVar(&d.config, "config", "", "configuration file (YAML); also "+config.EnvPrefix+"CONFIG")
	pos, err := parseWithArgs(fs, args[1:])
	if err != nil {
		return flagError(err)
	}
	cfg, err := d.loadDeployment(getenv)
	if err != nil {
		return err
	}
	if verb == "list" {
		if len(pos) > 0 {
			fs.Usage()
			return errUsage
		}
		return listTenants(ctx, cfg, stdout)
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	return purgeTenant(ctx, cfg, pos[0], stdout)
}

// postgresTenants are the tenants with rows in cfg's PostgreSQL database.
func postgresTenants(ctx context.Context, cfg config.Config) ([]string, error) {
	s, err := openPostgres(ctx, cfg.Storage.Postgres.URL, "")
	if err != nil {
		return nil, fmt.Errorf("tenants list: %w", err)
	}
	defer s.Close()
	ps, ok := s.(*postgres.Store)
	if !ok {
		return nil, fmt.Errorf("tenants list: %s is not a PostgreSQL store", storeName(s))
	}
	return ps.Tenants(ctx)
}

// listTenants prints the configured tenants and those whose data remains.
func listTenants(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	ids := cfg.TenantIDs()
	entries, err := os.ReadDir(filepath.Join(cfg.DataDir, "tenants"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	all := slices.Clone(ids)
	for _, e := range entries {
		if e.IsDir() && config.ValidTenantID(e.Name()) && !slices.Contains(all, e.Name()) {
			all = append(all, e.Name())
		}
	}
	if cfg.Storage.Driver == config.DriverPostgres {
		withRows, err := postgresTenants(ctx, cfg)
		if err != nil {
			return err
		}
		for _, id := range withRows {
			if config.ValidTenantID(id) && !slices.Contains(all, id) {
				all = append(all, id)
			}
		}
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tCONFIGURED\tSCIM URL\tDATA")
	for _, id := range all {
		tc, configured := cfg.ForTenant(id)
		if !configured {
			tc = cfg
			tc.Tenant, tc.DataDir = id, config.TenantDir(cfg.DataDir, id)
		}
		data := tc.DataDir
		if _, err := os.Stat(data); err != nil {
			data = "- (none yet)"
		}
		if cfg.Storage.Driver == config.DriverPostgres {
			data = describeStorage(tc) + ", rows of tenant " + id
		}
		fmt.Fprintf(tw, "%s\t%t\t%s\t%s\n", id, configured, publicBase(tc)+server.TenantPath(id)+server.SCIMPrefix, data)
	}
	return tw.Flush()
}

// purgeTenant deletes the data of a tenant no longer configured: its rows
// in PostgreSQL, its data directory. The bridge closes a removed tenant's
// bbolt file at the reload; a file still open means it was not reloaded,
// and nothing is deleted.
func purgeTenant(ctx context.Context, cfg config.Config, id string, stdout io.Writer) error {
	if !config.ValidTenantID(id) {
		return fmt.Errorf("tenants purge: %q is not a tenant id (lower-case letters, digits and '-')", id)
	}
	if len(cfg.Tenants) == 0 {
		// Without the configuration, what still serves is unknown; on
		// PostgreSQL a configuration without tenants keeps its rows as a
		// tenant of its own.
		return errors.New("tenants purge: the configuration has no tenants: give the one the bridge serves (-config or " + config.EnvPrefix + "CONFIG)")
	}
	if slices.Contains(cfg.TenantIDs(), id) {
		return fmt.Errorf("tenants purge: tenant %s is still configured: remove it from tenants:, send the bridge SIGHUP, then purge", id)
	}
	dir := config.TenantDir(cfg.DataDir, id)
	if cfg.Storage.Driver == config.DriverPostgres {
		return purgePostgresTenant(ctx, cfg, id, dir, stdout)
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("tenants purge: no data of tenant %s at %s", id, dir)
	}
	if _, err := os.Stat(dbPath(dir)); err == nil {
		s, err := storage.Open(dbPath(dir), storage.Options{Timeout: adminLockTimeout})
		if errors.Is(err, storage.ErrLocked) {
			return fmt.Errorf("tenants purge: %s is in use, most likely by a bridge that still serves tenant %s: send it SIGHUP so it reads the configuration without the tenant, then purge", dbPath(dir), id)
		}
		if err == nil {
			s.Close()
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("tenants purge: %w", err)
	}
	fmt.Fprintf(stdout, "purged tenant %s: deleted %s\n", id, dir)
	return nil
}

// purgePostgresTenant deletes tenant id's rows from the PostgreSQL
// database, then its directory under dataDir (doctor's record), if any.
// Replicas share the database and hold no lock on a tenant: every replica
// must have been sent SIGHUP before.
func purgePostgresTenant(ctx context.Context, cfg config.Config, id, dir string, stdout io.Writer) error {
	s, err := openPostgres(ctx, cfg.Storage.Postgres.URL, id)
	if err != nil {
		return fmt.Errorf("tenants purge: %w", err)
	}
	defer s.Close()
	ps, ok := s.(*postgres.Store)
	if !ok {
		return fmt.Errorf("tenants purge: %s is not a PostgreSQL store", storeName(s))
	}
	n, err := ps.Purge(ctx)
	if err != nil {
		return fmt.Errorf("tenants purge: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("tenants purge: %w", err)
	}
	fmt.Fprintf(stdout, "purged tenant %s: deleted its %d rows from %s and %s\n", id, n, storeName(s), dir)
	return nil
}
