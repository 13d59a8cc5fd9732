package absorbapi

import (
	"context"
	"fmt"
	"net/http"
)

// ListGroups returns every group visible to the admin, reading all pages.
// Absorb's Integration API exposes groups read-only. Errors: those of Do.
func (c *Client) ListGroups(ctx context.Context) ([]Group, error) {
	gs, err := listAll(ctx, c, "/groups", "groups", pageQuery{}, func(g Group) string { return g.ID })
	if err != nil {
		return nil, fmt.Errorf("list absorb groups: %w", err)
	}
	return gs, nil
}

// GetGroup returns the group with the given id, with its userIds (Absorb
// lists at most 50,000 and appends the zero GUID when there are more).
// Errors: ErrNotFound, and the errors of Do.
func (c *Client) GetGroup(ctx context.Context, id string) (*Group, error) {
	req, err := c.NewRequest(ctx, http.MethodGet, "/groups/{id}", nil, nil, id)
	if err != nil {
		return nil, fmt.Errorf("get absorb group: %w", err)
	}
	var g Group
	if _, err := c.Do(req, &g); err != nil {
		return nil, fmt.Errorf("get absorb group %q: %w", id, err)
	}
	if g.ID == "" {
		return nil, fmt.Errorf("get absorb group %q: answer has no group: %w", id, ErrNotFound)
	}
	return &g, nil
}

// ListCourses returns every course visible to the admin, reading all pages.
// Errors: those of Do.
func (c *Client) ListCourses(ctx context.Context) ([]Course, error) {
	cs, err := listAll(ctx, c, "/courses", "courses", pageQuery{}, func(x Course) string { return x.ID })
	if err != nil {
		return nil, fmt.Errorf("list absorb courses: %w", err)
	}
	return cs, nil
}

// GetCourse returns the course with the given id. Errors: ErrNotFound, and
// the errors of Do.
func (c *Client) GetCourse(ctx context.Context, id string) (*Course, error) {
	req, err := c.NewRequest(ctx, http.MethodGet, "/courses/{id}", nil, nil, id)
	if err != nil {
		return nil, fmt.Errorf("get absorb course: %w", err)
	}
	var x Course
	if _, err := c.Do(req, &x); err != nil {
		return nil, fmt.Errorf("get absorb course %q: %w", id, err)
	}
	if x.ID == "" {
		return nil, fmt.Errorf("get absorb course %q: answer has no course: %w", id, ErrNotFound)
	}
	return &x, nil
}
