package absorbapi

import (
	"context"
	"fmt"
	"net/http"
)

// UnenrollUser removes enrollments by their ids (POST /enrollments/unenroll).
// Unenrolling is idempotent, so it is retried like any other call.
// Errors: *ValidationError for an empty list, and the errors of Do.
func (c *Client) UnenrollUser(ctx context.Context, enrollmentIDs []string) error {
	if len(enrollmentIDs) == 0 {
		return nil
	}
	req, err := c.NewRequest(ctx, http.MethodPost, "/enrollments/unenroll", nil, map[string]any{"enrollmentIds": enrollmentIDs})
	if err != nil {
		return err
	}
	req = withRoute(req, route{pattern: "/enrollments/unenroll", idempotent: true})
	if _, err := c.Do(req, nil); err != nil {
		return fmt.Errorf("unenroll %d enrollments: %w", len(enrollmentIDs), err)
	}
	return nil
}
