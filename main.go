// Command absorb-scim is a SCIM 2.0 server that provisions users and groups
// from identity providers into Absorb LMS through its Integration API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "absorb-scim:", err)
		}
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

// exitError asks main to exit with a status other than 1, for commands whose
// status says more than failure (reconcile -exit-code).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// errUsage means the usage was already printed.
var errUsage = errors.New("usage")

const usage = `usage: absorb-scim <command> [flags]

commands:
  serve         run the bridge against a real Absorb portal
  demo          run the bridge against a built-in fake Absorb
  fake-absorb   run the fake Absorb alone
  config check  validate a configuration file
  hash-secret   print the sha256 hash of a secret (16 characters or more) read from standard input
  users         list or show SCIM users held (list | show ID-or-userName)
  groups        list or show SCIM groups held (list | show ID-or-displayName)
  audit         list the audit log of changes made in Absorb (audit prune -before TIME: delete old records)
  holds         list the deactivations the brake keeps from Absorb; release or discard them
  trace         what happened to one person: SCIM user, Absorb account, groups, holds and history
  doctor        check the Absorb portal before pointing an IdP at the bridge
  reconcile     compare SCIM users with Absorb and report (or -fix) drift
  backup        copy the data file of a stopped bridge
  restore       replace the data file from a backup
  migrate       copy everything the bridge keeps between bbolt and PostgreSQL (-from STORE -to STORE)
  rules apply   re-apply the group rules to every user and report what changed
  tenants       list the tenants and their data; purge a removed tenant's data
  rules status  how many users the group rules still have work for, and what they did
  healthcheck   exit 0 when the bridge answers its health URL
  load          measure a SCIM server on this machine under a mix of requests
  version       print the version, commit and Go version of this build

Run 'absorb-scim <command> -h' for a command's flags.
`

// run is the whole program behind main, so tests can call it with their own
// arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h printed the command's usage, as asked
	}
	return err
}

// dispatch runs the command args name.
func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, getenv, stdout, stderr)
	case "fake-absorb":
		return runFakeAbsorb(ctx, rest, stdout, stderr)
	case "config":
		return runConfig(ctx, rest, getenv, stdout, stderr)
	case "hash-secret":
		return runHashSecret(rest, os.Stdin, stdout, stderr)
	case "users":
		return runUsers(rest, getenv, stdout, stderr)
	case "groups":
		return runGroups(rest, getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, getenv, stdout, stderr)
	case "holds":
		return runHolds(ctx, rest, getenv, stdout, stderr)
	case "trace":
		return runTrace(ctx, rest, getenv, stdout, stderr)
	case "doctor":
		return runDoctor(ctx, rest, getenv, stdout, stderr)
	case "reconcile":
		return runReconcile(ctx, rest, getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, rest, getenv, stdout, stderr)
	case "restore":
		return runRestore(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "tenants":
		return runTenants(ctx, rest, getenv, stdout, stderr)
	case "rules":
		return runRules(ctx, rest, getenv, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, rest, stdout, stderr)
	case "load":
		return runLoad(ctx, rest, getenv, stdout, stderr)
	case "version", "-version", "--version":
		return runVersion(rest, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return errUsage
	}
}
