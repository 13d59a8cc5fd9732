package absorbapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// tokenHolder is the Client's one token. A login is shared by every call
// that needs one while it runs (single flight).
type tokenHolder struct {
	mu     sync.Mutex
	token  string
	issued time.Time // clock reading taken just before the login was sent
	flight *loginFlight
	// refused is the last token a request was refused with (401), when it
	// was the current one.
	refused string
	// own is the last token this Client logged in for itself, rather than
	// took from the TokenStore.
	own string
	// accepted: Absorb has carried out a request made with one of the
	// Client's tokens (2xx), so the credentials give working tokens.
	accepted atomic.Bool
}

// loginFlight is one login in progress; done is closed when token and err
// are set.
type loginFlight struct {
	done  chan struct{}
	token string
	err   error
	// abandoned: the login failed because the context of the call running
	// it ended; the calls waiting on it start another.
	abandoned bool
}

// Login logs in now, replacing the Client's token, and returns the login's
// error. Calls log in by themselves when needed, so Login is only useful to
// check credentials early (readiness). A login already running is joined
// rather than repeated. With a TokenStore, a fresh shared token that is not
// known to be refused is taken instead of logging in, since another login
// would revoke it for every process using it. It returns ErrUnauthorized or ErrForbidden wrapped
// when Absorb refuses the credentials or key, and *UnavailableError or
// *RateLimitError when Absorb cannot be reached or ctx ends first.
func (c *Client) Login(ctx context.Context) error {
	_, err := c.sharedLogin(ctx, func() bool { return false }, "")
	return err
}

// currentToken returns a token that is not due for refresh, logging in (or
// joining a login) when there is none or it is older than TokenTTL-RefreshMargin.
func (c *Client) currentToken(ctx context.Context) (string, error) {
	return c.sharedLogin(ctx, func() bool { return c.auth.token != "" && c.fresh() }, "")
}

// reauthenticate is called when a request sent with token failed with 401.
// If the Client already holds a different token (someone logged in since),
// that token is returned without a login; otherwise exactly one login runs
// for all the calls that failed with the same token.
func (c *Client) reauthenticate(ctx context.Context, failed string) (string, error) {
	return c.sharedLogin(ctx, func() bool { return c.auth.token != "" && c.auth.token != failed && c.fresh() }, failed)
}

// sendableToken returns the token to send a request with, given the one
// the call holds: the Client's current token, which replaces held when a
// login happened since (in Absorb a login revokes the admin's previous
// token). When the current token is known to be refused, or a login runs,
// it waits for that login (starting one if needed) rather than send a
// request bound to fail. Its errors are those of Login.
func (c *Client) sendableToken(ctx context.Context, held string) (string, error) {
	c.auth.mu.Lock()
	cur, refused, flying := c.auth.token, c.auth.refused, c.auth.flight != nil
	c.auth.mu.Unlock()
	if cur == "" {
		return held, nil
	}
	if !flying && cur != refused {
		return cur, nil
	}
	return c.reauthenticate(ctx, cur)
}

// markRefused records that Absorb refused tok, so calls about to send it
// wait for the next login instead.
func (c *Client) markRefused(tok string) {
	c.auth.mu.Lock()
	if c.auth.token == tok {
		c.auth.refused = tok
	}
	c.auth.mu.Unlock()
}

// fresh reports whether the held token is younger than TokenTTL-RefreshMargin.
// The caller holds c.auth.mu.
func (c *Client) fresh() bool { return c.freshAt(c.auth.issued) }

// ownToken reports whether tok is a token this Client logged in for itself.
func (c *Client) ownToken(tok string) bool {
	c.auth.mu.Lock()
	defer c.auth.mu.Unlock()
	return tok != "" && tok == c.auth.own
}

// sharedLogin returns the held token when usable (called with c.auth.mu
// held) says it will do. Otherwise it joins the login in progress or, when
// there is none, runs one itself on ctx while later callers wait for it.
// A waiter whose runner gave up because of the runner's own context tries
// again, so one caller's deadline does not fail the others. failed is the
// token the caller was refused with, if any: a TokenStore's copy of it is
// not taken.
func (c *Client) sharedLogin(ctx context.Context, usable func() bool, failed string) (string, error) {
	for {
		c.auth.mu.Lock()
		if c.auth.flight == nil && usable() {
			t := c.auth.token
			c.auth.mu.Unlock()
			return t, nil
		}
		if f := c.auth.flight; f != nil {
			c.auth.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return "", fmt.Errorf("absorb login: %w", &UnavailableError{Err: ctx.Err()})
			}
			if f.abandoned && ctx.Err() == nil {
				continue
			}
			return f.token, f.err
		}
		f := &loginFlight{done: make(chan struct{})}
		c.auth.flight = f
		refresh := c.auth.token != ""
		refused := c.auth.refused
		c.auth.mu.Unlock()

		got, loggedIn, err := c.obtainToken(ctx, failed, refused)
		c.auth.mu.Lock()
		if err == nil {
			c.auth.token, c.auth.issued = got.Value, got.Issued
			if loggedIn {
				c.auth.own = got.Value
			}
		}
		c.auth.flight = nil
		f.token, f.err, f.abandoned = got.Value, err, err != nil && ctx.Err() != nil
		c.auth.mu.Unlock()
		if loggedIn || err != nil {
			c.cfg.Observer.ObserveLogin(refresh, err)
		}
		close(f.done)
		return got.Value, err
	}
}

// login sends POST /authenticate through the limiter and the retry loop and
// returns the token. The answer is a bare JSON string; {"token": "…"} and a
// plain-text token are accepted too.
func (c *Client) login(ctx context.Context) (string, error) {
	body := map[string]string{
		"username":   c.cfg.Username,
		"password":   c.cfg.Password,
		"privateKey": c.cfg.PrivateKey,
	}
	req, err := c.NewRequest(ctx, http.MethodPost, "/authenticate", nil, body)
	if err != nil {
		return "", fmt.Errorf("absorb login: %w", err)
	}
	req = withRoute(req, route{pattern: "/authenticate", noAuth: true, idempotent: true})
	var raw []byte
	if _, err := c.Do(req, &raw); err != nil {
		return "", fmt.Errorf("absorb login as %q: %w", c.cfg.Username, err)
	}
	tok, err := parseToken(raw)
	if err != nil {
		return "", fmt.Errorf("absorb login as %q: %w", c.cfg.Username, err)
	}
	return tok, nil
}

// parseToken reads a login answer.
func parseToken(raw []byte) (string, error) {
	raw = bytes.TrimSpace(raw)
	var tok string
	switch {
	case len(raw) == 0:
		return "", errors.New("empty login answer")
	case raw[0] == '"':
		if err := json.Unmarshal(raw, &tok); err != nil {
			return "", errors.New("login answer is not a valid JSON string")
		}
	case raw[0] == '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return "", errors.New("login answer is not valid JSON")
		}
		for k, v := range obj {
			if strings.EqualFold(k, "token") || strings.EqualFold(k, "access_token") {
				if err := json.Unmarshal(v, &tok); err != nil {
					return "", errors.New("login answer's token is not a string")
				}
			}
		}
	default:
		tok = string(raw)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", errors.New("login answer has no token")
	}
	return tok, nil
}
