package absorbapi

import (
	"context"
	"errors"
	"fmt"
)

// createWithoutDuplicates runs post, a create that Do does not repeat after
// an ambiguous failure. After such a failure (*UnavailableError: 5xx,
// connection reset, timeout) the create may have been carried out, so find
// looks for its result first: a record found is returned as the created
// one; only ErrNotFound lets post run again, at most MaxAttempts times in
// all with backoff. Other errors of post are returned unchanged; when find
// fails otherwise, the outcome is unknown and find's error is returned,
// with post's error in its text.
func createWithoutDuplicates[T any](ctx context.Context, c *Client, post, find func() (T, error)) (T, error) {
	var zero T
	for attempt := 1; ; attempt++ {
		v, err := post()
		var ue *UnavailableError
		if err == nil || !errors.As(err, &ue) {
			return v, err
		}
		ue.Attempts = attempt
		found, lerr := find()
		if lerr == nil {
			return found, nil
		}
		if !IsNotFound(lerr) {
			return zero, fmt.Errorf("outcome unknown (%v); looking for the result: %w", err, lerr)
		}
		if attempt >= c.cfg.MaxAttempts || !c.sleepBackoff(ctx, attempt) {
			return zero, err
		}
	}
}
