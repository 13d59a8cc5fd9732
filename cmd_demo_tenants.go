package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"

	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/console"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/server"
)

// maxDemoTenants bounds demo -tenants: each tenant runs a fake Absorb and a
// bridge in this process.
const maxDemoTenants = 50

// demoTenants is `demo -tenants n`: base is the one-tenant demo's
// configuration (its portal the fake at base.Absorb.URL, already serving);
// n-1 more fakes start, and each of the n tenants gets a fake, a generated
// token and the demo's rules. It prints each tenant's URL and token, then
// serves until ctx ends.
func demoTenants(ctx context.Context, base config.Config, n int, consolePassword string, fakeOpts fakeabsorb.Options, ln net.Listener, log *slog.Logger, stdout, stderr io.Writer) error {
	if n > maxDemoTenants {
		ln.Close()
		return fmt.Errorf("demo: -tenants %d: at most %d", n, maxDemoTenants)
	}
	fakeURLs := []string{base.Absorb.URL}
	var wg sync.WaitGroup
	fakeCtx, stopFakes := context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		stopFakes()
		wg.Wait()
	}()
	for range n - 1 {
		fake, err := fakeabsorb.New(fakeOpts)
		if err != nil {
			ln.Close()
			return err
		}
		fakeLn, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			ln.Close()
			return fmt.Errorf("fake absorb: %w", err)
		}
		wg.Go(func() { _ = fake.Serve(fakeCtx, fakeLn, nil) })
		fakeURLs = append(fakeURLs, "http://"+fakeLn.Addr().String())
	}
	cfg := base
	cfg.Tenants = nil
	for i, u := range fakeURLs {
		t := config.Tenant{ID: "tenant-" + strconv.Itoa(i+1), Absorb: base.Absorb, Mapping: base.Mapping,
			GroupRules: base.GroupRules, Safety: base.Safety}
		t.Absorb.URL = u
		t.Auth.Tokens = []config.Token{{Name: "demo", Value: randomHex(24)}}
		cfg.Tenants = append(cfg.Tenants, t)
	}
	// The portal, the credentials and the rules are the tenants' now.
	cfg.Absorb = config.Default().Absorb
	cfg.Auth.Tokens, cfg.GroupRules = nil, nil
	if err := cfg.Validate(); err != nil {
		ln.Close()
		return configError(err, stderr)
	}
	fmt.Fprintf(stdout, "absorb-scim demo: %d tenants; each console's user is admin, password %s\n", n, consolePassword)
	for i, t := range cfg.Tenants {
		fmt.Fprintf(stdout, "  %-10s SCIM base URL: %s%s%s  bearer token: %s\n             console: %s%s%s  fake Absorb: %s\n",
			t.ID, cfg.PublicURL, server.TenantPath(t.ID), server.SCIMPrefix, t.Auth.Tokens[0].Value,
			cfg.PublicURL, server.TenantPath(t.ID), console.Prefix, fakeURLs[i])
	}
	fmt.Fprintf(stdout, "\nTry:\n  curl -H \"Authorization: Bearer %s\" %s%s%s/Users\n",
		cfg.Tenants[0].Auth.Tokens[0].Value, cfg.PublicURL, server.TenantPath(cfg.Tenants[0].ID), server.SCIMPrefix)
	err := serveTenants(ctx, serveFlags{}, func(string) string { return "" }, cfg, log, ln, stderr)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
