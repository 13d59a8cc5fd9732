package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/buildinfo"
	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/server"
)

// demoRules are the group rules the demo ships, so a newcomer can see a
// group push change a department and enroll a course.
var demoRules = []config.GroupRule{
	{Name: "sales-team", DisplayName: "Sales Team", Department: "Sales", Courses: []string{"Sales Fundamentals"}},
	{Name: "engineering", DisplayNamePattern: "Engineering*", Department: "Engineering", Courses: []string{"Engineering Onboarding"}},
	{Name: "security-training", DisplayName: "Security Training", Courses: []string{"Security Awareness"}, UnenrollOnLeave: true},
}

// runDemo starts the fake Absorb in-process and the bridge against it.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	listenAddr := fs.String("listen", "127.0.0.1:8080", "address the SCIM server listens on")
	listenFD := registerListenFD(fs)
	token := fs.String("token", "", "SCIM bearer token (default: generated and printed)")
	consolePassword := fs.String("console-password", "", "password of the console user admin (default: generated and printed)")
	absorbListen := fs.String("absorb-listen", "127.0.0.1:0", "address of the fake Absorb (port 0: a free loopback port)")
	dataDir := fs.String("data", "", "bbolt data directory (default: a temporary directory, removed at exit)")
	faults := fs.String("absorb-faults", "", "fault spec for the fake Absorb, e.g. latency=20ms,error5xx=0.05")
	absorbVariant := fs.String("absorb-variant", "", "how the fake Absorb plays the behaviours Absorb leaves open, e.g. create=upsert,sort=limited")
	absorbRate := fs.Float64("absorb-rate", 200, "requests per second for both the fake's limit and the bridge's (negative: unlimited)")
	syncInterval := fs.Duration("sync-interval", 30*time.Second, "how often changes made in the fake Absorb are folded in")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error (warn drops the per-request lines)")
	bulkMaxOps := fs.Int("bulk-max-operations", 1000, "most operations of one /Bulk request")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (bridge and fake) to this file")
	tenants := fs.Int("tenants", 0, "serve this many tenants, each with a fake Absorb of its own and its own token (0: one bridge at /scim/v2)")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if *token == "" {
		var b [24]byte
		_, _ = rand.Read(b[:])
		*token = hex.EncodeToString(b[:])
	}
	if *consolePassword == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		*consolePassword = hex.EncodeToString(b[:])
	}
	if *dataDir == "" {
		dir, err := os.MkdirTemp("", "absorb-scim-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*dataDir = dir
	}

	variants, err := fakeabsorb.ParseVariants(*absorbVariant)
	if err != nil {
		return fmt.Errorf("demo: -absorb-variant: %w", err)
	}
	fake, err := fakeabsorb.New(fakeabsorb.Options{Faults: *faults, RateLimit: *absorbRate, Variants: variants})
	if err != nil {
		return err
	}
	fakeLn, err := net.Listen("tcp", *absorbListen)
	if err != nil {
		return fmt.Errorf("fake absorb: listen on %s: %w", *absorbListen, err)
	}
	fakeURL := "http://" + fakeLn.Addr().String()
	fakeCtx, stopFake := context.WithCancel(context.WithoutCancel(ctx))
	fakeDone := make(chan error, 1)
	go func() { fakeDone <- fake.Serve(fakeCtx, fakeLn, nil) }()
	defer func() {
		stopFake()
		<-fakeDone
	}()

	ln, err := listen(ctx, *listenAddr, *listenFD)
	if err != nil {
		return err
	}
	cfg := config.Default()
	cfg.Listen = ln.Addr().String()
	cfg.PublicURL = "http://" + ln.Addr().String()
	cfg.DataDir = *dataDir
	cfg.Log.Format = *logFormat
	cfg.Log.Level = *logLevel
	cfg.Limits.BulkMaxOperations = *bulkMaxOps
	if need := int64(*bulkMaxOps) * 1024; cfg.Limits.MaxBulkBodyBytes < need {
		cfg.Limits.MaxBulkBodyBytes = need // about 1 KiB per operation
	}
	cfg.Absorb.URL = fakeURL
	cfg.Absorb.PrivateKey = fakeabsorb.PrivateKey
	cfg.Absorb.Username = "bridge-admin"
	cfg.Absorb.Password = fakeabsorb.AdminPassword
	cfg.Absorb.RateLimit = *absorbRate
	// Half the fake's burst: requests that leave the bridge evenly spaced can
	// arrive bunched, and the slack keeps the fake from answering 429.
	cfg.Absorb.Burst = fakeabsorb.DefaultBurst / 2
	// The demo knows how its fake Absorb plays what Absorb leaves open, as
	// doctor would find out on a real portal.
	cfg.Absorb.Behaviour = config.AbsorbBehaviour{Create: variants.Create, Sort: variants.Sort, Put: variants.Put,
		Dates: variants.Dates, FilterPaging: variants.FilterPaging, Answers: variants.Answers, Upload: variants.Upload}
	cfg.Auth.Tokens = []config.Token{{Name: "demo", Value: *token}}
	cfg.Auth.Console = []config.ConsoleUser{{Username: "admin", PasswordHash: auth.HashSecret(*consolePassword), Role: auth.RoleOperator}}
	cfg.Mapping.DefaultDepartment = "Company"
	cfg.GroupRules = demoRules
	cfg.Sync.Interval = *syncInterval
	if err := cfg.Validate(); err != nil {
		ln.Close()
		return configError(err, stderr)
	}
	log := newLogger(cfg.Log, stderr)
	if *tenants > 0 {
		return demoTenants(ctx, cfg, *tenants, *consolePassword, fakeabsorb.Options{Faults: *faults, RateLimit: *absorbRate, Variants: variants}, ln, log, stdout, stderr)
	}
	a, err := newApp(cfg, log)
	if err != nil {
		ln.Close()
		return err
	}
	build := buildinfo.Read()
	log.Info("absorb-scim demo starting", "version", build.Version, "commit", build.Commit, "goVersion", build.GoVersion)
	fmt.Fprintf(stdout, `absorb-scim demo
  SCIM base URL:  %s%s
  bearer token:   %s
  console:        %s  (user admin, password %s)
  fake Absorb:    %s  (x-api-key: %s; admins bridge-admin, auditor, scoped-admin; password: %s)
  fake controls:  %s/_fake/stats  %s/_fake/faults  %s/_fake/steal-token?username=bridge-admin
  data:           %s

Try:
  curl -H "Authorization: Bearer %s" %s%s/Users
`, cfg.PublicURL, server.SCIMPrefix, *token, consoleURL(cfg), *consolePassword, fakeURL, fakeabsorb.PrivateKey, fakeabsorb.AdminPassword,
		fakeURL, fakeURL, fakeURL, *dataDir, *token, cfg.PublicURL, server.SCIMPrefix)
	err = a.serve(ctx, ln)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}
