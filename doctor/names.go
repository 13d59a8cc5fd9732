package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/absorb-scim/absorb-scim/namecheck"
)

// names resolves every department and course the configuration names, as
// serve does at start: an unresolved required name (the default department)
// blocks provisioning, any other is a warning.
func (r *run) names(ctx context.Context) {
	if r.depts == nil {
		return // scope already failed to list them
	}
	if d, ok := namecheck.FindDepartment(r.depts, r.cfg.DefaultDepartment); ok {
		r.defID = d.ID
	}
	if len(r.cfg.Names) == 0 {
		return
	}
	for _, n := range r.cfg.Names {
		if n.Kind == namecheck.Course && r.courses == nil {
			courses, err := r.cfg.Absorb.ListCourses(ctx)
			if err != nil {
				r.fail("names", "cannot list courses: "+err.Error(), "give the admin a role that can read courses through the API")
				return
			}
			r.courses = courses
		}
	}
	rep := namecheck.Resolve(r.cfg.Names, r.depts, r.courses)
	var blocking, other []string
	for _, p := range rep.Problems {
		if p.Required {
			blocking = append(blocking, p.String())
		} else {
			other = append(other, p.String())
		}
	}
	fix := "give each an id, external id or exact name that Absorb holds"
	switch {
	case len(blocking) > 0:
		r.fail("names", strings.Join(append(blocking, other...), "; "), fix+"; without the default department no user can be created")
	case len(other) > 0:
		r.warn("names", strings.Join(other, "; "), fix+"; those group rules fail until then")
	default:
		r.pass("names", fmt.Sprintf("the %d department and course names the configuration gives resolve", len(r.cfg.Names)))
	}
}
