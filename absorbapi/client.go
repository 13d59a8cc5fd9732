package absorbapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Size limits for answer bodies.
const (
	maxErrorBody   = 64 << 10
	maxSuccessBody = 64 << 20
)

// route is what the retry loop needs to know about a request beyond the
// request itself. It travels in the request's context.
type route struct {
	pattern string // route pattern, such as "/users/{id}", reported to the Observer
	noAuth  bool   // send without a token (the login itself)
	// idempotent: after an ambiguous failure (5xx, connection error, timeout)
	// the request may be sent again. Creates set it false and resolve the
	// ambiguity themselves.
	idempotent bool
}

type routeKey struct{}

func withRoute(req *http.Request, r route) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), routeKey{}, r))
}

func routeOf(req *http.Request) route {
	if r, ok := req.Context().Value(routeKey{}).(route); ok {
		return r
	}
	return route{pattern: req.URL.Path, idempotent: isIdempotent(req.Method)}
}

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// NewRequest builds a request to the Integration API. pattern is a route
// such as "/users/{id}/enrollments/{courseId}"; args fill its {…}
// placeholders in order, each escaped with url.PathEscape. query, if not
// nil, becomes the query string; body, if not nil, is sent as JSON. The
// request remembers its pattern for the Observer. GET, PUT and DELETE are
// retried after ambiguous failures; POST is not. It returns an error when the
// arguments do not match the placeholders or body cannot be encoded.
func (c *Client) NewRequest(ctx context.Context, method, pattern string, query url.Values, body any, args ...string) (*http.Request, error) {
	path, err := expandPattern(pattern, args)
	if err != nil {
		return nil, err
	}
	u := strings.TrimRight(c.baseURL.String(), "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode %s %s body: %w", method, pattern, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", method, pattern, err)
	}
	return withRoute(req, route{pattern: pattern, idempotent: isIdempotent(method)}), nil
}

// expandPattern replaces the {…} placeholders of pattern with escaped args.
func expandPattern(pattern string, args []string) (string, error) {
	var b strings.Builder
	rest := pattern
	n := 0
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("route %q: unclosed placeholder", pattern)
		}
		if n >= len(args) {
			return "", fmt.Errorf("route %q: want more than %d path arguments", pattern, len(args))
		}
		if args[n] == "" {
			return "", fmt.Errorf("route %q: path argument %d is empty", pattern, n+1)
		}
		b.WriteString(rest[:i])
		b.WriteString(url.PathEscape(args[n]))
		n++
		rest = rest[i+j+1:]
	}
	if n != len(args) {
		return "", fmt.Errorf("route %q: %d path arguments for %d placeholders", pattern, len(args), n)
	}
	return b.String(), nil
}

// Do sends req and decodes a 2xx JSON answer into v (nil: ignore the body;
// *[]byte: the raw body). It is the one place where the Client's transport
// concerns meet: every attempt waits for the shared limiter and carries the
// current token; a 401 leads to one shared re-login and one retry (more, at
// most MaxAttempts, when the new token is refused too although tokens have
// worked before: someone keeps logging in as the same admin); 429 is
// retried, and 5xx and connection errors too when the request is idempotent,
// with exponential backoff and full jitter, at most MaxAttempts times and
// never sleeping past ctx's deadline.
//
// The returned response, if any, has its body already read and closed. Errors:
// *RateLimitError, *UnavailableError, ErrUnauthorized, ErrForbidden,
// ErrNotFound, *ValidationError, *ResponseError, each wrapped with the route.
func (c *Client) Do(req *http.Request, v any) (*http.Response, error) {
	ctx := req.Context()
	rt := routeOf(req)
	var (
		attempts int
		reauths  int // logins this call asked for after a 401
		// ownRefusals counts the 401s for tokens this Client logged in
		// for itself.
		ownRefusals int
		token       string
	)
	for {
		if !rt.noAuth && token == "" {
			t, err := c.currentToken(ctx)
			if err != nil {
				return nil, err
			}
			token = t
		}
		if err := c.waitLimiter(ctx); err != nil {
			return nil, &UnavailableError{Attempts: attempts, Err: err}
		}
		if !rt.noAuth {
			// While this call waited for the limiter, a login may have
			// replaced its token, or another call seen it refused.
			t, err := c.sendableToken(ctx, token)
			if err != nil {
				return nil, err
			}
			token = t
		}
		attempts++
		resp, body, err := c.send(req, token)
		var fail error
		retry := false
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, &UnavailableError{Attempts: attempts, Err: ctx.Err()}
			}
			fail = &UnavailableError{Attempts: attempts, Err: err}
			retry = rt.idempotent
		case resp.StatusCode == http.StatusUnauthorized && !rt.noAuth:
			// A token refused right after a fresh login was either stolen
			// again (another login as the same admin) or is never accepted.
			// Only once a token has been accepted are the credentials known
			// to work, so only then is the refusal taken for a theft and
			// another login tried, up to MaxAttempts times. No backoff: a
			// token held longer is only more likely to be stolen again.
			// A token taken from the TokenStore and refused says nothing
			// of the credentials: another process may have just logged in.
			reauths++
			if c.ownToken(token) {
				ownRefusals++
			}
			c.markRefused(token)
			if reauths > c.cfg.MaxAttempts || (reauths > 1 && ownRefusals > 0 && !c.auth.accepted.Load()) {
				return resp, fmt.Errorf("%s %s: refused right after a fresh login: %w", req.Method, rt.pattern, ErrUnauthorized)
			}
			attempts-- // a refused token is not a failed attempt
			t, err := c.reauthenticate(ctx, token)
			if err != nil {
				return resp, err
			}
			token = t
			continue
		case resp.StatusCode == http.StatusTooManyRequests:
			fail = &RateLimitError{Attempts: attempts}
			retry = true
		case resp.StatusCode >= 500:
			fail = &UnavailableError{Attempts: attempts, Status: resp.StatusCode, Err: c.statusCause(resp.StatusCode, body)}
			retry = rt.idempotent
		default:
			if !rt.noAuth && resp.StatusCode < 300 {
				c.auth.accepted.Store(true)
			}
			if err := c.checkResponse(req.Method, rt, resp.StatusCode, body); err != nil {
				return resp, err
			}
			if err := decodeBody(body, v); err != nil {
				return resp, fmt.Errorf("%s %s: decode answer: %w", req.Method, rt.pattern, err)
			}
			return resp, nil
		}
		if !retry || attempts >= c.cfg.MaxAttempts {
			return resp, fail
		}
		if !c.sleepBackoff(ctx, attempts) {
			return resp, fail
		}
		token = "" // pick up a token refreshed meanwhile
	}
}

// send makes one HTTP attempt and reads the body. A body that cannot be read
// in full (connection reset) is a transport error.
func (c *Client) send(req *http.Request, token string) (*http.Response, []byte, error) {
	rt := routeOf(req)
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			return nil, nil, err
		}
		r.Body = b
	}
	r.Header.Set("x-api-key", c.cfg.PrivateKey)
	r.Header.Set("x-api-version", c.cfg.APIVersion)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", c.cfg.UserAgent)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := c.httpClient.Do(r)
	if err != nil {
		c.cfg.Observer.ObserveRequest(req.Context(), req.Method, rt.pattern, 0, time.Since(start))
		return nil, nil, err
	}
	limit := int64(maxSuccessBody)
	if resp.StatusCode >= 300 {
		limit = maxErrorBody
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err == nil && resp.StatusCode >= 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	}
	resp.Body.Close()
	if err != nil {
		c.cfg.Observer.ObserveRequest(req.Context(), req.Method, rt.pattern, 0, time.Since(start))
		return nil, nil, fmt.Errorf("read answer: %w", err)
	}
	c.cfg.Observer.ObserveRequest(req.Context(), req.Method, rt.pattern, resp.StatusCode, time.Since(start))
	if int64(len(body)) > limit {
		if resp.StatusCode < 300 {
			return nil, nil, fmt.Errorf("answer larger than %d bytes", limit)
		}
		body = body[:limit]
	}
	resp.Body = http.NoBody
	return resp, body, nil
}

// waitLimiter waits for the shared limiter. It fails at once when the wait
// would outlast ctx's deadline.
func (c *Client) waitLimiter(ctx context.Context) error {
	if c.limiter == nil {
		return ctx.Err()
	}
	start := time.Now()
	err := c.limiter.Wait(ctx)
	c.cfg.Observer.ObserveLimiterWait(time.Since(start))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("waiting for the client rate limiter: %w", ctx.Err())
		}
		// The limiter refuses a wait that would pass the deadline.
		return fmt.Errorf("waiting for the client rate limiter: %w", context.DeadlineExceeded)
	}
	return nil
}

// backoff returns the sleep before attempt+1: uniform in
// [0, min(MaxBackoff, MinBackoff·2^(attempt-1))] ("full jitter").
func (c *Client) backoff(attempt int) time.Duration {
	ceil := c.cfg.MaxBackoff
	if attempt-1 < 32 {
		if d := c.cfg.MinBackoff << (attempt - 1); d > 0 && d < ceil {
			ceil = d
		}
	}
	if ceil <= 0 {
		return 0
	}
	if c.jitter != nil {
		return c.jitter(ceil)
	}
	return rand.N(ceil + 1)
}

// sleepBackoff sleeps before the next attempt. It returns false without
// sleeping when the sleep would reach ctx's deadline, and false when ctx
// ends during the sleep.
func (c *Client) sleepBackoff(ctx context.Context, attempt int) bool {
	d := c.backoff(attempt)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// checkResponse maps a non-2xx status (other than 429, 5xx, and 401 on an
// authenticated route, which the retry loop handles) to an error.
func (c *Client) checkResponse(method string, rt route, status int, body []byte) error {
	if status >= 200 && status < 300 {
		return nil
	}
	where := method + " " + rt.pattern
	eb := parseErrorBody(body)
	eb.Message = c.redact(eb.Message)
	for i, m := range eb.Messages {
		eb.Messages[i] = c.redact(m)
	}
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		// A 422 "Request Model Validation Error" is a body Absorb could not
		// bind, never an unknown id (that is 404): the caller's data is
		// wrong, and Absorb's messages say how.
		return fmt.Errorf("%s: %w", where, &ValidationError{Status: status, Message: eb.Message, Messages: eb.Messages,
			Unbound: status == http.StatusUnprocessableEntity && isModelValidationError(eb)})
	case http.StatusUnauthorized:
		return fmt.Errorf("%s: %w", where, ErrUnauthorized)
	case http.StatusForbidden:
		// The gateway's 403 for an unknown path quotes the Authorization
		// header; its text is never repeated.
		return fmt.Errorf("%s: %w", where, ErrForbidden)
	case http.StatusNotFound:
		return fmt.Errorf("%s: %w", where, ErrNotFound)
	}
	return &ResponseError{Method: method, Endpoint: rt.pattern, Status: status, Message: eb.Message}
}

// isModelValidationError reports whether a 422 says Absorb's "Request Model
// Validation Error": its model binding could not read the body.
func isModelValidationError(eb errorBody) bool {
	for _, m := range append([]string{eb.Message}, eb.Messages...) {
		if strings.EqualFold(strings.TrimSpace(m), "Request Model Validation Error") {
			return true
		}
	}
	return false
}

// statusCause describes a 5xx answer for UnavailableError.Err.
func (c *Client) statusCause(status int, body []byte) error {
	eb := parseErrorBody(body)
	if eb.Message == "" {
		return fmt.Errorf("status %d", status)
	}
	return fmt.Errorf("status %d: %s", status, c.redact(eb.Message))
}

// redact removes the Client's secrets from text Absorb sent back.
func (c *Client) redact(s string) string {
	if s == "" {
		return s
	}
	c.auth.mu.Lock()
	tok := c.auth.token
	c.auth.mu.Unlock()
	return redact(s, c.cfg.PrivateKey, c.cfg.Password, tok)
}

// decodeBody decodes a JSON answer into v.
func decodeBody(body []byte, v any) error {
	switch t := v.(type) {
	case nil:
		return nil
	case *[]byte:
		*t = append((*t)[:0], body...)
		return nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("invalid JSON at byte %d", se.Offset)
		}
		return err
	}
	return nil
}
