package absorbapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// EnrollUser enrolls the user in the course (POST
// /users/{userId}/enrollments/{courseId}) and returns the enrollment (only
// its id, user and course when Absorb answers with the bare id). After
// an ambiguous failure it looks for the enrollment before posting again.
// Errors: ErrNotFound for an unknown user or course, *ValidationError,
// *UnavailableError when the outcome stays unknown, and the errors of Do.
func (c *Client) EnrollUser(ctx context.Context, userID, courseID string) (*Enrollment, error) {
	e, err := createWithoutDuplicates(ctx, c,
		func() (*Enrollment, error) { return c.postEnrollment(ctx, userID, courseID) },
		func() (*Enrollment, error) { return c.findEnrollment(ctx, userID, courseID) })
	if err != nil {
		return nil, fmt.Errorf("enroll absorb user %q in course %q: %w", userID, courseID, err)
	}
	return e, nil
}

func (c *Client) postEnrollment(ctx context.Context, userID, courseID string) (*Enrollment, error) {
	req, err := c.NewRequest(ctx, http.MethodPost, "/users/{id}/enrollments/{courseId}", nil, nil, userID, courseID)
	if err != nil {
		return nil, err
	}
	var body []byte
	if _, err := c.Do(req, &body); err != nil {
		return nil, err
	}
	ans, err := readWriteAnswer(body)
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	if ans.bareID != "" {
		// Absorb answered with the enrollment's id alone.
		return &Enrollment{ID: ans.bareID, CourseID: courseID, UserID: userID}, nil
	}
	var e Enrollment
	if ans.object != nil {
		if err := json.Unmarshal(ans.object, &e); err != nil {
			return nil, fmt.Errorf("enroll: decode answer: %w", err)
		}
	}
	if e.ID != "" && e.CourseID != "" {
		if e.UserID == "" {
			e.UserID = userID
		}
		return &e, nil
	}
	found, err := c.findEnrollment(ctx, userID, courseID)
	if err != nil {
		return nil, fmt.Errorf("enrolled, but reading the enrollment: %w", err)
	}
	return found, nil
}

// findEnrollment returns the user's enrollment in the course, or ErrNotFound.
func (c *Client) findEnrollment(ctx context.Context, userID, courseID string) (*Enrollment, error) {
	es, err := c.ListUserEnrollments(ctx, userID)
	if err != nil {
		return nil, err
	}
	for i := range es {
		if es[i].CourseID == courseID {
			return &es[i], nil
		}
	}
	return nil, ErrNotFound
}

// ListUserEnrollments returns every course enrollment of the user, reading
// all pages. Errors: ErrNotFound for an unknown user, and the errors of Do.
func (c *Client) ListUserEnrollments(ctx context.Context, userID string) ([]Enrollment, error) {
	es, err := listAll(ctx, c, "/users/{id}/enrollments", "enrollments", pageQuery{}, func(e Enrollment) string { return e.ID }, userID)
	if err != nil {
		return nil, fmt.Errorf("list enrollments of absorb user %q: %w", userID, err)
	}
	for i := range es {
		if es[i].UserID == "" {
			es[i].UserID = userID
		}
	}
	return es, nil
}
