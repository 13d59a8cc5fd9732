package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// startFake starts a fake Absorb over HTTP with opts.
func startFake(t *testing.T, opts fakeabsorb.Options) (*fakeabsorb.Server, string) {
	t.Helper()
	if opts.RandSeed == 0 {
		opts.RandSeed = 7
	}
	srv, err := fakeabsorb.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

// replicaClient is the Absorb client of one replica: its own pool on the
// database, the shared token, and mod for the rest.
func replicaClient(t *testing.T, dbURL, absorbURL string, mod func(*absorbapi.Config)) (*absorbapi.Client, *Cluster) {
	t.Helper()
	c, _ := openCluster(t, dbURL, "portal-a")
	tokens, err := c.Tokens(TokenSecret(fakeabsorb.PrivateKey, fakeabsorb.BridgeAdminUsername, fakeabsorb.AdminPassword))
	if err != nil {
		t.Fatal(err)
	}
	cfg := absorbapi.Config{
		BaseURL:    absorbURL,
		PrivateKey: fakeabsorb.PrivateKey,
		Username:   fakeabsorb.BridgeAdminUsername,
		Password:   fakeabsorb.AdminPassword,
		MinBackoff: time.Millisecond,
		MaxBackoff: 20 * time.Millisecond,
		RateLimit:  -1,
		TokenStore: tokens,
	}
	if mod != nil {
		mod(&cfg)
	}
	client, err := absorbapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client, c
}

// busy makes every client look a user up n times at once and fails the
// test on any error.
func busy(t *testing.T, clients []*absorbapi.Client, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(clients)*n)
	for _, c := range clients {
		for range n {
			wg.Go(func() {
				if _, err := c.FindUserByUsername(t.Context(), fakeabsorb.BridgeAdminUsername); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("request: %v", err)
	}
}

func TestThreeReplicasShareOneToken(t *testing.T) {
	db := testDatabase(t)
	fake, absorbURL := startFake(t, fakeabsorb.Options{RateLimit: -1})
	var clients []*absorbapi.Client
	for range 3 {
		c, _ := replicaClient(t, db, absorbURL, nil)
		clients = append(clients, c)
	}

	busy(t, clients, 8)
	if got, want := fake.Stats().Logins, 1; got != want {
		t.Fatalf("logins of three busy replicas = %d, want %d", got, want)
	}

	// Absorb revokes the token, as a login elsewhere would: each replica
	// is refused with it, and exactly one logs in again for all.
	fake.StealToken(fakeabsorb.BridgeAdminUsername)
	busy(t, clients, 8)
	if got, want := fake.Stats().Logins, 2; got != want {
		t.Fatalf("logins after the shared token was refused = %d, want %d", got, want)
	}
}

func TestSharedTokenIsSealed(t *testing.T) {
	db := testDatabase(t)
	_, absorbURL := startFake(t, fakeabsorb.Options{RateLimit: -1})
	client, c := replicaClient(t, db, absorbURL, nil)
	busy(t, []*absorbapi.Client{client}, 1)

	tokens, err := c.Tokens(TokenSecret(fakeabsorb.PrivateKey, fakeabsorb.BridgeAdminUsername, fakeabsorb.AdminPassword))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokens.LoadToken(t.Context())
	if err != nil || tok.Value == "" {
		t.Fatalf("LoadToken = %v, %v; want the token the client logged in for", tok, err)
	}
	var sealed []byte
	if err := c.pool.QueryRow(t.Context(), "SELECT sealed FROM cluster_absorb_token WHERE tenant = $1", c.Tenant()).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(tok.Value)) {
		t.Fatal("the database holds the token in clear")
	}

	// Other credentials, or another tenant, do not open it.
	other, err := c.Tokens(TokenSecret(fakeabsorb.PrivateKey, fakeabsorb.BridgeAdminUsername, "another password"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := other.LoadToken(t.Context()); err != nil || got.Value != "" {
		t.Errorf("LoadToken with other credentials = %v, %v; want no token", got, err)
	}
	c2, _ := openCluster(t, db, "portal-b")
	if _, err := c.pool.Exec(t.Context(), "INSERT INTO cluster_absorb_token (tenant, sealed, issued_at) SELECT 'portal-b', sealed, issued_at FROM cluster_absorb_token WHERE tenant = 'portal-a'"); err != nil {
		t.Fatal(err)
	}
	tokensB, err := c2.Tokens(TokenSecret(fakeabsorb.PrivateKey, fakeabsorb.BridgeAdminUsername, fakeabsorb.AdminPassword))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tokensB.LoadToken(t.Context()); err != nil || got.Value != "" {
		t.Errorf("LoadToken of a row copied to another tenant = %v, %v; want no token", got, err)
	}
}

// Writers hold every lock connection while they wait for a login (their
// requests were refused with a stolen token): the login must not need one.
func TestLoginWhileEveryLockConnectionIsHeld(t *testing.T) {
	db := testDatabase(t)
	c, _ := openCluster(t, db, "portal-a")
	for i := range c.lockConns {
		unlock, err := c.Locks().Lock(t.Context(), fmt.Sprintf("user:%d", i))
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
	}
	tokens, err := c.Tokens([]byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	got, err := tokens.ReplaceToken(ctx, func(context.Context, absorbapi.SharedToken) (absorbapi.SharedToken, error) {
		return absorbapi.SharedToken{Value: "new-token", Issued: time.Now()}, nil
	})
	if err != nil || got.Value != "new-token" {
		t.Fatalf("ReplaceToken with every lock connection held = %v, %v", got, err)
	}
}
