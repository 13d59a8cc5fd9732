package absorbapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// SharedToken is an Absorb token as a TokenStore keeps it. Its String and
// GoString never show the token, so printing one by mistake leaks nothing.
type SharedToken struct {
	Value  string    // the token; "" when none is stored
	Issued time.Time // when the login that made it was sent, by the Client's clock
}

// String describes t without its value.
func (t SharedToken) String() string {
	if t.Value == "" {
		return "no token"
	}
	return "token issued " + t.Issued.UTC().Format(time.RFC3339)
}

// GoString is String, so %#v does not print the value either.
func (t SharedToken) GoString() string { return t.String() }

// TokenStore shares one token between Clients in several processes that log
// in as the same admin. Absorb keeps one token per admin and revokes it at
// each login, so processes that each log in for themselves revoke one
// another's tokens in turn; with a TokenStore they use the token one of them
// logged in for, and only one at a time logs in.
type TokenStore interface {
	// LoadToken returns the stored token, or a SharedToken with an empty
	// Value when there is none.
	LoadToken(ctx context.Context) (SharedToken, error)
	// ReplaceToken calls replace with the stored token while holding a
	// lock that one process at a time holds, stores what replace returns
	// when it differs, and returns it. An error from replace is returned
	// as is (wrapped with %w) and stores nothing.
	ReplaceToken(ctx context.Context, replace func(ctx context.Context, current SharedToken) (SharedToken, error)) (SharedToken, error)
}

// obtainToken gets a new token for the Client: by logging in when there is
// no TokenStore; otherwise the shared token when it is fresh and neither
// rejected (the token a request was just refused with) nor refused (the one
// this Client last saw refused), else a login made under the store's lock
// after reading the token again there, since another process may have
// logged in meanwhile. loggedIn reports whether this call logged in.
func (c *Client) obtainToken(ctx context.Context, rejected, refused string) (tok SharedToken, loggedIn bool, err error) {
	store := c.cfg.TokenStore
	if store == nil {
		issued := c.cfg.Now()
		v, err := c.login(ctx)
		return SharedToken{Value: v, Issued: issued}, true, err
	}
	usable := func(t SharedToken) bool {
		return t.Value != "" && t.Value != rejected && t.Value != refused && c.freshAt(t.Issued)
	}
	cur, err := store.LoadToken(ctx)
	if err != nil {
		return SharedToken{}, false, sharedTokenError(err)
	}
	if usable(cur) {
		return cur, false, nil
	}
	var (
		loginErr error
		mine     SharedToken // the token this call logged in for
	)
	got, err := store.ReplaceToken(ctx, func(ctx context.Context, cur SharedToken) (SharedToken, error) {
		if usable(cur) {
			return cur, nil
		}
		issued := c.cfg.Now()
		v, err := c.login(ctx)
		if err != nil {
			loginErr = err
			return SharedToken{}, err
		}
		mine = SharedToken{Value: v, Issued: issued}
		return mine, nil
	})
	switch {
	case loginErr != nil:
		return SharedToken{}, false, loginErr
	case err != nil && mine.Value != "":
		// The login revoked the stored token, so this one is the only
		// good one even though it could not be stored: the other
		// processes find theirs refused, read the store again and log
		// in under its lock.
		return mine, true, nil
	case err != nil:
		return SharedToken{}, false, sharedTokenError(err)
	}
	return got, mine.Value != "" && got.Value == mine.Value, nil
}

// sharedTokenError reports a TokenStore that failed as Absorb being
// unavailable: without the shared token the Client cannot call Absorb
// without revoking the token of every other process.
func sharedTokenError(err error) error {
	var ue *UnavailableError
	if errors.As(err, &ue) {
		return fmt.Errorf("absorb login: shared token: %w", err)
	}
	return fmt.Errorf("absorb login: shared token: %w", &UnavailableError{Err: err})
}

// freshAt reports whether a token issued at issued is younger than
// TokenTTL-RefreshMargin.
func (c *Client) freshAt(issued time.Time) bool {
	return c.cfg.Now().Before(issued.Add(c.cfg.TokenTTL - c.cfg.RefreshMargin))
}

// SetRateLimit changes, at run time, the requests per second and the burst
// the Client's limiter allows: a process that shares absorb.rateLimit with
// others sets its own share. perSecond must be positive and burst at least
// 1 (smaller values are raised to those). It does nothing to a Client made
// without a limit (negative Config.RateLimit).
func (c *Client) SetRateLimit(perSecond float64, burst int) {
	if c.limiter == nil {
		return
	}
	if perSecond <= 0 {
		perSecond = minSharedRate
	}
	if burst < 1 {
		burst = 1
	}
	now := time.Now()
	c.limiter.SetLimitAt(now, rate.Limit(perSecond))
	c.limiter.SetBurstAt(now, burst)
	// A smaller burst does not take back the tokens already in the
	// bucket; spend those above it, or this process would send its old
	// burst at once although the others count on its new one.
	for over := int(c.limiter.TokensAt(now)) - burst; over > 0; {
		n := min(over, burst)
		if !c.limiter.AllowN(now, n) {
			break
		}
		over -= n
	}
}

// minSharedRate is the smallest rate SetRateLimit sets: a limit of zero
// would stop every request for good.
const minSharedRate = 0.1
