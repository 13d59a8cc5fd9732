package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/buildinfo"
	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/server"
)

// serveFlags are the flags of serve; they override the file and environment.
type serveFlags struct {
	config, listen, data, tlsCert, tlsKey, publicURL string
	dryRun                                           bool
	listenFD                                         int
}

func parseServeFlags(name string, args []string, stderr io.Writer) (serveFlags, error) {
	var f serveFlags
	fs := newFlagSet(name, stderr)
	fs.StringVar(&f.config, "config", "", "configuration file (YAML); also "+config.EnvPrefix+"CONFIG")
	fs.StringVar(&f.listen, "listen", "", "address to listen on (default 127.0.0.1:8080)")
	fs.IntVar(&f.listenFD, "listen-fd", -1, listenFDUsage)
	fs.StringVar(&f.data, "data", "", "data directory holding the bbolt file")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate (PEM) to serve HTTPS in-process")
	fs.StringVar(&f.tlsKey, "tls-key", "", "TLS private key (PEM)")
	fs.StringVar(&f.publicURL, "public-url", "", "public URL of the server, for meta.location")
	fs.BoolVar(&f.dryRun, "dry-run", false, "answer the IdP as if written, but send no write to Absorb")
	if err := fs.Parse(args); err != nil {
		return f, flagError(err)
	}
	return f, nil
}

// loadConfig reads the file named by the flag or environment, then lets
// flags override it, and validates the whole.
func loadConfig(f serveFlags, getenv func(string) string) (config.Config, error) {
	path := f.config
	if path == "" {
		path = getenv(config.EnvPrefix + "CONFIG")
	}
	over := func(k, v string) func(string) string {
		return func(name string) string {
			if name == config.EnvPrefix+k && v != "" {
				return v
			}
			return ""
		}
	}
	env := chainEnv(getenv,
		over("LISTEN", f.listen), over("DATA_DIR", f.data), over("TLS_CERT", f.tlsCert),
		over("TLS_KEY", f.tlsKey), over("PUBLIC_URL", f.publicURL))
	cfg, err := config.Load(path, env)
	if f.dryRun {
		cfg.DryRun = true
	}
	return cfg, err
}

// chainEnv looks a name up in the overrides first, then in base.
func chainEnv(base func(string) string, overrides ...func(string) string) func(string) string {
	return func(name string) string {
		for _, o := range overrides {
			if v := o(name); v != "" {
				return v
			}
		}
		return base(name)
	}
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, err := parseServeFlags("serve", args, stderr)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(f, getenv)
	if err != nil {
		return configError(err, stderr)
	}
	log := newLogger(cfg.Log, stderr)
	ln, err := listen(ctx, cfg.Listen, f.listenFD)
	if err != nil {
		return err
	}
	// Without a public URL, locations name the address actually bound (not
	// ":0").
	cfg.Listen = ln.Addr().String()
	if len(cfg.Tenants) > 0 {
		build := buildinfo.Read()
		log.Info("absorb-scim starting", "version", build.Version, "commit", build.Commit, "goVersion", build.GoVersion)
		err = serveTenants(ctx, f, getenv, cfg, log, ln, stderr)
		logStopped(ctx, log, err)
		return err
	}
	a, err := newApp(cfg, log)
	if err != nil {
		ln.Close()
		return err
	}
	// The first line of the log says which build runs; a start that fails
	// before this point prints its one line of error alone.
	build := buildinfo.Read()
	log.Info("absorb-scim starting", "version", build.Version, "commit", build.Commit, "goVersion", build.GoVersion)
	logAbsorbBehaviour(log, a.behaviour)
	if a.namesPending, err = a.checkNamesAtStart(ctx, stderr); err != nil {
		a.store.Close()
		ln.Close()
		return err
	}
	log.Info("absorb-scim serving", "scim", publicBase(cfg)+server.SCIMPrefix, "listen", ln.Addr().String(), "dryRun", cfg.DryRun,
		"store", storeName(a.store))
	err = a.serve(ctx, ln)
	logStopped(ctx, log, err)
	return err
}

// logStopped writes the last line of a run: why serve stopped.
func logStopped(ctx context.Context, log *slog.Logger, err error) {
	switch {
	case err != nil:
		log.Error("absorb-scim stopped", "error", err)
	case ctx.Err() != nil:
		log.Info("absorb-scim stopped", "reason", "asked to stop (SIGTERM or interrupt)")
	default:
		log.Info("absorb-scim stopped", "reason", "the listener closed")
	}
}

// configError prints each configuration problem on its own line.
func configError(err error, stderr io.Writer) error {
	var ce *config.Error
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			fmt.Fprintln(stderr, "absorb-scim: config:", p)
		}
		return errUsage
	}
	return err
}

func runConfig(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const use = "usage: absorb-scim config check [-config FILE] [-connect]"
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprintf(stdout, "%s\n\n  check  validate the configuration file with the environment applied; one line per problem\n\nSee 'absorb-scim config check -h' for the flags.\n", use)
		return nil
	}
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, use)
		return errUsage
	}
	fs := newFlagSet("config check", stderr)
	path := fs.String("config", "", "configuration file (YAML) to check, with the environment applied; also "+config.EnvPrefix+"CONFIG")
	connect := fs.Bool("connect", false, "also open the store storage.driver names (without changing it) and report whether it answers and its schema version")
	if err := fs.Parse(args[1:]); err != nil {
		return flagError(err)
	}
	cfg, err := loadConfig(serveFlags{config: *path}, getenv)
	if err != nil {
		return configError(err, stderr)
	}
	fmt.Fprintln(stdout, "configuration is valid")
	return checkStorage(ctx, cfg, *connect, stdout) // app_store.go
}

// isHelpFlag reports whether arg asks for a command's usage.
func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// runHashSecret is `hash-secret`: it reads a secret from stdin (so it stays
// out of the shell history and the process list) and prints the hash that
// auth.tokens[].hash and auth.basic[].passwordHash take. A short secret is
// refused: an unsalted SHA-256 protects only a secret too long to guess.
func runHashSecret(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSetArgs("hash-secret", "< FILE", stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: absorb-scim hash-secret < FILE

Reads a secret from standard input (one line; the line ending is dropped)
and prints its hash, "sha256:<hex>", for auth.tokens[].hash or
auth.basic[].passwordHash. The secret must have at least %d characters:
make one with `+"`openssl rand -hex 32`"+`.

It takes no flags.
`, auth.MinTokenLength)
	}
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	b, err := io.ReadAll(io.LimitReader(stdin, 1<<16))
	if err != nil {
		return err
	}
	secret := strings.TrimRight(string(b), "\r\n")
	switch {
	case secret == "":
		return errors.New("hash-secret: give the secret on standard input")
	case len(secret) < auth.MinTokenLength:
		return fmt.Errorf("hash-secret: the secret has %d characters, fewer than the %d required; make a random one with `openssl rand -hex 32`", len(secret), auth.MinTokenLength)
	}
	fmt.Fprintln(stdout, auth.HashSecret(secret))
	return nil
}
