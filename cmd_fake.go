package main

import (
	"context"
	"fmt"
	"io"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// runFakeAbsorb serves the fake Absorb alone, for scripts and manual tests.
func runFakeAbsorb(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("fake-absorb", stderr)
	listenAddr := fs.String("listen", "127.0.0.1:8081", "address to listen on")
	listenFD := registerListenFD(fs)
	faults := fs.String("faults", "", "fault spec, e.g. latency=20ms,error5xx=0.05,throttle=0.05,reset=0.01")
	rateLimit := fs.Float64("rate", 200, "requests per second the fake allows before answering 429 (negative: unlimited)")
	burst := fs.Int("burst", 100, "burst above the rate")
	variant := fs.String("variant", "", "how to play the behaviours Absorb leaves open, e.g. create=upsert,sort=limited (see fakeabsorb/README.md)")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	variants, err := fakeabsorb.ParseVariants(*variant)
	if err != nil {
		return fmt.Errorf("fake-absorb: -variant: %w", err)
	}
	opts := fakeabsorb.Options{Faults: *faults, RateLimit: *rateLimit, Burst: *burst, Variants: variants}
	fake, err := fakeabsorb.New(opts)
	if err != nil {
		return fmt.Errorf("fake absorb: %w", err)
	}
	ln, err := listen(ctx, *listenAddr, *listenFD)
	if err != nil {
		return fmt.Errorf("fake absorb: %w", err)
	}
	return fake.Serve(ctx, ln, func(url string) {
		fmt.Fprintf(stdout, "fake Absorb listening on %s\n  private key: %s\n  admins: bridge-admin, auditor, scoped-admin (Sales only); password: %s\n",
			url, fakeabsorb.PrivateKey, fakeabsorb.AdminPassword)
	})
}
