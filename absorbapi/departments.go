package absorbapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ListDepartmentsOptions narrow GET /departments.
type ListDepartmentsOptions struct {
	// Filter is an OData expression (_filter).
	Filter string
	// Name is sent as departmentName.
	Name string
	// ExternalID is sent as externalId.
	ExternalID string
}

// ListDepartments returns every department visible to the admin that
// matches opts, reading all pages. Errors: *ValidationError for a bad
// filter, and the errors of Do.
func (c *Client) ListDepartments(ctx context.Context, opts ListDepartmentsOptions) ([]Department, error) {
	q := pageQuery{Filter: opts.Filter, Extra: url.Values{}}
	if opts.Name != "" {
		q.Extra.Set("departmentName", opts.Name)
	}
	if opts.ExternalID != "" {
		q.Extra.Set("externalId", opts.ExternalID)
	}
	deps, err := listAll(ctx, c, "/departments", "departments", q, func(d Department) string { return d.ID })
	if err != nil {
		return nil, fmt.Errorf("list absorb departments: %w", err)
	}
	return deps, nil
}

// GetDepartment returns the department with the given id. Errors:
// ErrNotFound, and the errors of Do.
func (c *Client) GetDepartment(ctx context.Context, id string) (*Department, error) {
	req, err := c.NewRequest(ctx, http.MethodGet, "/departments/{id}", nil, nil, id)
	if err != nil {
		return nil, fmt.Errorf("get absorb department: %w", err)
	}
	var d Department
	if _, err := c.Do(req, &d); err != nil {
		return nil, fmt.Errorf("get absorb department %q: %w", id, err)
	}
	if d.ID == "" {
		return nil, fmt.Errorf("get absorb department %q: answer has no department: %w", id, ErrNotFound)
	}
	return &d, nil
}

// FindDepartmentByName returns the one visible department named name,
// compared case-insensitively (exact-case matches win). Errors: ErrNotFound,
// ErrAmbiguous when several departments carry the name (department names
// are unique only among siblings), and the errors of Do.
func (c *Client) FindDepartmentByName(ctx context.Context, name string) (*Department, error) {
	if name == "" {
		return nil, fmt.Errorf("find absorb department by empty name: %w", ErrNotFound)
	}
	deps, err := c.ListDepartments(ctx, ListDepartmentsOptions{Filter: Eq("name", name)})
	if err != nil {
		return nil, fmt.Errorf("find absorb department %q: %w", name, err)
	}
	d, err := pickOne(deps, func(d Department) string { return d.Name }, name)
	if err != nil {
		return nil, fmt.Errorf("find absorb department %q: %w", name, err)
	}
	return d, nil
}

// FindDepartmentByExternalID returns the one visible department whose
// externalId is ext. Errors: ErrNotFound, ErrAmbiguous, and the errors of Do.
func (c *Client) FindDepartmentByExternalID(ctx context.Context, ext string) (*Department, error) {
	if ext == "" {
		return nil, fmt.Errorf("find absorb department by empty external id: %w", ErrNotFound)
	}
	deps, err := c.ListDepartments(ctx, ListDepartmentsOptions{Filter: Eq("externalId", ext)})
	if err != nil {
		return nil, fmt.Errorf("find absorb department by external id %q: %w", ext, err)
	}
	var found []Department
	for _, d := range deps {
		if d.ExternalID == ext {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("find absorb department by external id %q: %w", ext, ErrNotFound)
	case 1:
		return &found[0], nil
	}
	return nil, fmt.Errorf("find absorb department by external id %q: %d departments: %w", ext, len(found), ErrAmbiguous)
}

// pickOne returns the single element whose key equals want: exact-case
// matches first, then case-insensitive ones.
func pickOne[T any](items []T, key func(T) string, want string) (*T, error) {
	var exact, folded []int
	for i, it := range items {
		switch k := key(it); {
		case k == want:
			exact = append(exact, i)
		case strings.EqualFold(k, want):
			folded = append(folded, i)
		}
	}
	for _, idx := range [][]int{exact, folded} {
		switch len(idx) {
		case 0:
			continue
		case 1:
			return &items[idx[0]], nil
		}
		return nil, fmt.Errorf("%d matches: %w", len(idx), ErrAmbiguous)
	}
	return nil, ErrNotFound
}

// CreateDepartment creates d (POST /departments) and returns it with its
// new ID. After an ambiguous failure it looks for the department (by
// external id when d has one, else by name under the same parent) before
// posting again. Errors: *ValidationError, *UnavailableError when the
// outcome stays unknown, and the errors of Do.
func (c *Client) CreateDepartment(ctx context.Context, d Department) (*Department, error) {
	if strings.TrimSpace(d.Name) == "" {
		return nil, fmt.Errorf("create absorb department: %w", &ValidationError{Message: "name is required"})
	}
	d.ID = ""
	created, err := createWithoutDuplicates(ctx, c,
		func() (*Department, error) { return c.postDepartment(ctx, d) },
		func() (*Department, error) { return c.findCreatedDepartment(ctx, d) })
	if err != nil {
		return nil, fmt.Errorf("create absorb department %q: %w", d.Name, err)
	}
	return created, nil
}

func (c *Client) postDepartment(ctx context.Context, d Department) (*Department, error) {
	req, err := c.NewRequest(ctx, http.MethodPost, "/departments", nil, d)
	if err != nil {
		return nil, err
	}
	var ans Department
	if _, err := c.Do(req, &ans); err != nil {
		return nil, err
	}
	if ans.ID != "" && ans.Name != "" {
		return &ans, nil
	}
	if ans.ID != "" {
		out := d
		out.ID = ans.ID
		return &out, nil
	}
	found, err := c.findCreatedDepartment(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("created, but reading the new id: %w", err)
	}
	return found, nil
}

// findCreatedDepartment looks for the department a create of d would have made.
func (c *Client) findCreatedDepartment(ctx context.Context, d Department) (*Department, error) {
	if d.ExternalID != "" {
		return c.FindDepartmentByExternalID(ctx, d.ExternalID)
	}
	deps, err := c.ListDepartments(ctx, ListDepartmentsOptions{Filter: Eq("name", d.Name)})
	if err != nil {
		return nil, err
	}
	var siblings []Department
	for _, x := range deps {
		if x.ParentID == d.ParentID {
			siblings = append(siblings, x)
		}
	}
	return pickOne(siblings, func(x Department) string { return x.Name }, d.Name)
}
