package bridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// Retry-After values given to IdPs for upstream conditions. Entra honours
// them and retries only the failed requests.
const (
	retryAfterThrottled   = 5 * time.Second
	retryAfterUnavailable = 15 * time.Second
)

// upstreamError turns an error from Absorb into the SCIM error an IdP can act
// on: throttling is 429, an unreachable or failing Absorb is 503 (both with
// Retry-After, so the IdP retries rather than drops the change), and a
// refusal of the data is 400 with Absorb's own messages.
func upstreamError(op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := scimdoc.AsError(err); ok {
		return err
	}
	var (
		rl   *absorbapi.RateLimitError
		un   *absorbapi.UnavailableError
		val  *absorbapi.ValidationError
		conf *absorbapi.ConflictError
	)
	switch {
	case errors.As(err, &rl):
		return &scimdoc.Error{Status: http.StatusTooManyRequests, Detail: "Absorb is throttling the bridge; retry after the given delay", RetryAfter: retryAfterThrottled, Err: fmt.Errorf("%s: %w", op, err)}
	case errors.As(err, &un), errors.Is(err, context.DeadlineExceeded):
		return &scimdoc.Error{Status: http.StatusServiceUnavailable, Detail: "Absorb is unavailable; retry after the given delay", RetryAfter: retryAfterUnavailable, Err: fmt.Errorf("%s: %w", op, err)}
	case errors.Is(err, absorbapi.ErrUnauthorized), errors.Is(err, absorbapi.ErrForbidden):
		return &scimdoc.Error{Status: http.StatusServiceUnavailable, Detail: "the bridge cannot authenticate to Absorb; check its Absorb key and admin credentials", RetryAfter: retryAfterUnavailable, Err: fmt.Errorf("%s: %w", op, err)}
	case errors.As(err, &conf):
		if conf.Hidden {
			return &scimdoc.Error{Status: http.StatusConflict, ScimType: scimdoc.TypeUniqueness,
				Detail: fmt.Sprintf("userName %q already exists in Absorb but is outside the department scope of the bridge's Absorb admin, so it cannot be linked; widen the admin's scope or rename one of the accounts", conf.Username),
				Err:    fmt.Errorf("%s: %w", op, err)}
		}
		return &scimdoc.Error{Status: http.StatusConflict, ScimType: scimdoc.TypeUniqueness,
			Detail: fmt.Sprintf("userName %q already belongs to another Absorb account", conf.Username), Err: fmt.Errorf("%s: %w", op, err)}
	case errors.As(err, &val):
		msg := strings.Join(val.Messages, "; ")
		if msg == "" {
			msg = val.Message
		}
		return &scimdoc.Error{Status: http.StatusBadRequest, ScimType: scimdoc.TypeInvalidValue, Detail: "Absorb refused the user: " + msg, Err: fmt.Errorf("%s: %w", op, err)}
	case errors.Is(err, context.Canceled):
		return &scimdoc.Error{Status: http.StatusServiceUnavailable, Detail: "the request was cancelled before Absorb answered", RetryAfter: retryAfterUnavailable, Err: fmt.Errorf("%s: %w", op, err)}
	}
	return fmt.Errorf("%s: %w", op, err)
}
