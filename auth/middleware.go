package auth

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// maxTokenLength bounds the bearer tokens looked at; real ones are a few kilobytes at most.
const maxTokenLength = 16 << 10

// Middleware authenticates every request before next sees it. On success the request context
// carries the Credential (see CredentialFrom). Otherwise it answers, through the ErrorWriter:
//   - 401 with WWW-Authenticate challenges (RFC 6750 §3; RFC 7617 §2 when Basic users are
//     configured) when credentials are missing or wrong; the Bearer challenge has
//     error="invalid_token" and an error_description only when a bearer token was presented;
//   - 400 with error="invalid_request" when more than one Authorization header is sent
//     (RFC 6750 §3.1);
//   - 403 when the client address (ClientIP) is not in the credential's AllowCIDRs, or when a
//     read-only credential attempts a write (anything but GET, HEAD and POST …/.search);
//   - 429 with Retry-After when the credential exceeds its rate;
//   - 503 with Retry-After when an issuer's signing keys cannot be fetched.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, f := a.authenticate(r.Context(), r)
		if f != nil {
			a.fail(w, r, f)
			return
		}
		name := p.cred.Name
		if len(p.allow) > 0 {
			ip := ClientIP(r, a.trusted)
			if !ip.IsValid() {
				a.fail(w, r, &failure{status: http.StatusForbidden,
					detail: fmt.Sprintf("the client address could not be determined; credential %s is restricted to AllowCIDRs", name)})
				return
			}
			if !inPrefixes(ip, p.allow) {
				a.fail(w, r, &failure{status: http.StatusForbidden,
					detail: fmt.Sprintf("client address %s may not use credential %s", ip, name)})
				return
			}
		}
		if p.limiter != nil {
			now := a.now()
			res := p.limiter.ReserveN(now, 1)
			if delay := res.DelayFrom(now); !res.OK() || delay > 0 {
				res.CancelAt(now)
				secs := max(1, int(math.Ceil(delay.Seconds())))
				a.fail(w, r, &failure{status: http.StatusTooManyRequests, retryAfter: secs,
					detail: fmt.Sprintf("credential %s exceeded its rate limit; retry after %d s", name, secs)})
				return
			}
		}
		if p.cred.ReadOnly && isWrite(r) {
			a.fail(w, r, &failure{status: http.StatusForbidden, detail: fmt.Sprintf("credential %s is read-only", name)})
			return
		}
		next.ServeHTTP(w, r.WithContext(WithCredential(r.Context(), p.cred)))
	})
}

// isWrite reports whether r changes state: anything but GET and HEAD, except a POST to a
// path ending in "/.search", which is a query (RFC 7644 §3.4.3).
func isWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return false
	case http.MethodPost:
		return !strings.HasSuffix(r.URL.Path, "/.search")
	}
	return true
}

// authenticate finds the credential of r.
func (a *Authenticator) authenticate(ctx context.Context, r *http.Request) (*principal, *failure) {
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return nil, noCredentials("authentication required: " + a.hint())
	case 1:
	default:
		return nil, &failure{status: http.StatusBadRequest, code: "invalid_request",
			detail: "the request has more than one Authorization header"}
	}
	// RFC 7235 §2.1 separates the scheme with SP; a tab is tolerated too.
	header := strings.Trim(values[0], " \t")
	scheme, param := header, ""
	if i := strings.IndexAny(header, " \t"); i >= 0 {
		scheme, param = header[:i], strings.Trim(header[i+1:], " \t")
	}
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		if !a.bearer {
			return nil, noCredentials("bearer tokens are not accepted: " + a.hint())
		}
		return a.authenticateBearer(ctx, param)
	case strings.EqualFold(scheme, "Basic"):
		if len(a.basic) == 0 {
			return nil, noCredentials("HTTP Basic authentication is not enabled: " + a.hint())
		}
		return a.authenticateBasic(param)
	case scheme == "":
		return nil, noCredentials("the Authorization header is empty: " + a.hint())
	default:
		// The header is not echoed: a token sent without its scheme would be.
		return nil, noCredentials("the Authorization header uses neither the Bearer nor the Basic scheme: " + a.hint())
	}
}

// hint tells a person which Authorization header to send.
func (a *Authenticator) hint() string {
	switch {
	case a.bearer && len(a.basic) > 0:
		return "send Authorization: Bearer <token> or Authorization: Basic <credentials>"
	case len(a.basic) > 0:
		return "send Authorization: Basic <credentials>"
	default:
		return "send Authorization: Bearer <token>"
	}
}

// authenticateBearer checks a bearer token (RFC 6750 §2.1): first against the static tokens,
// then, when it has the JWT form, with the issuer named by its unverified iss claim.
func (a *Authenticator) authenticateBearer(ctx context.Context, tok string) (*principal, *failure) {
	switch {
	case tok == "":
		return nil, unauthorized("the Authorization header has no token after Bearer")
	case len(tok) > maxTokenLength:
		return nil, unauthorized(fmt.Sprintf("the bearer token is longer than %d bytes", maxTokenLength))
	case !visibleASCII(tok):
		return nil, unauthorized("the bearer token has spaces or characters outside printable ASCII")
	}
	if p := a.matchToken(tok); p != nil {
		return p, nil
	}
	if len(a.issuers) > 0 && jwtShaped(tok) {
		h, iss, err := peekJWT(tok)
		if err != nil {
			return nil, unauthorized("token looks like a JWT but " + err.Error())
		}
		v, ok := a.issuers[iss]
		if !ok {
			return nil, unauthorized(fmt.Sprintf("token issuer %q is not configured", clip(iss)))
		}
		return v.verify(ctx, tok, h)
	}
	if len(a.tokens) == 0 {
		return nil, unauthorized("unknown token: it is not a JWT")
	}
	return nil, unauthorized("unknown token: it matches no configured token")
}

// fail sets the challenge and Retry-After headers of f and hands the body to the ErrorWriter.
func (a *Authenticator) fail(w http.ResponseWriter, r *http.Request, f *failure) {
	if f.status == http.StatusUnauthorized || f.status == http.StatusBadRequest {
		realm := "realm=" + quoteParam(a.realm)
		if a.bearer || f.code != "" {
			c := "Bearer " + realm
			if f.code != "" {
				c += ", error=" + quoteParam(f.code) + ", error_description=" + quoteParam(f.detail)
			}
			w.Header().Add("WWW-Authenticate", c)
		}
		if len(a.basic) > 0 {
			w.Header().Add("WWW-Authenticate", "Basic "+realm)
		}
	}
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
	}
	if a.errw == nil {
		http.Error(w, f.detail, f.status)
		return
	}
	a.errw(w, r, f.status, "", f.detail)
}
