// Package namecheck resolves the Absorb department and course names a
// configuration gives (the default department, the group rules' departments
// and courses) against what Absorb holds, so a misspelt name stops start-up
// with a line naming the key and the close matches, instead of failing every
// create later.
package namecheck

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/absorb-scim/absorb-scim/absorbapi"
)

// Kind is what a name refers to.
type Kind string

// The kinds of names checked.
const (
	Department Kind = "department"
	Course     Kind = "course"
)

// Name is one reference in the configuration.
type Name struct {
	// Key is where the configuration gives it: mapping.defaultDepartment,
	// groupRules[0].courses[1].
	Key   string
	Kind  Kind
	Value string
	// Required names stop start-up when they resolve to nothing.
	Required bool
}

// Problem is a name that resolves to no Absorb department or course, or to
// more than one.
type Problem struct {
	Name
	// Ambiguous is set when several departments carry the name.
	Ambiguous bool
	// Close are names Absorb holds that look like the one given.
	Close []string
}

// String is the problem as one line for the operator, starting with its key.
func (p Problem) String() string {
	var b strings.Builder
	if p.Ambiguous {
		fmt.Fprintf(&b, "%s: %q names more than one Absorb %s; give its id or external id instead", p.Key, p.Value, p.Kind)
	} else {
		fmt.Fprintf(&b, "%s: %q names no Absorb %s visible to the bridge's admin (by id, external id or name)", p.Key, p.Value, p.Kind)
	}
	if len(p.Close) > 0 {
		quoted := make([]string, len(p.Close))
		for i, c := range p.Close {
			quoted[i] = fmt.Sprintf("%q", c)
		}
		fmt.Fprintf(&b, "; close matches: %s", strings.Join(quoted, ", "))
	} else if !p.Ambiguous {
		b.WriteString("; no close match")
	}
	return b.String()
}

// Report is the outcome of a check.
type Report struct {
	Problems []Problem
}

// Fatal returns the problems with required names.
func (r Report) Fatal() []Problem {
	var out []Problem
	for _, p := range r.Problems {
		if p.Required {
			out = append(out, p)
		}
	}
	return out
}

// Directory is what Check reads from Absorb.
type Directory interface {
	ListDepartments(ctx context.Context, opts absorbapi.ListDepartmentsOptions) ([]absorbapi.Department, error)
	ListCourses(ctx context.Context) ([]absorbapi.Course, error)
}

var _ Directory = (*absorbapi.Client)(nil)

// Check reads Absorb's departments and courses (only the lists the names
// need) and resolves names against them. It returns the errors of the
// Absorb client when Absorb cannot be read.
func Check(ctx context.Context, dir Directory, names []Name) (Report, error) {
	var depts []absorbapi.Department
	var courses []absorbapi.Course
	var err error
	if has(names, Department) {
		if depts, err = dir.ListDepartments(ctx, absorbapi.ListDepartmentsOptions{}); err != nil {
			return Report{}, err
		}
	}
	if has(names, Course) {
		if courses, err = dir.ListCourses(ctx); err != nil {
			return Report{}, err
		}
	}
	return Resolve(names, depts, courses), nil
}

func has(names []Name, k Kind) bool {
	for _, n := range names {
		if n.Kind == k {
			return true
		}
	}
	return false
}

// Resolve resolves names against lists of departments and courses as the
// bridge does: a department by id, external id, then name (any case); a
// course by id, name or external id (any case).
func Resolve(names []Name, depts []absorbapi.Department, courses []absorbapi.Course) Report {
	var rep Report
	for _, n := range names {
		var p *Problem
		switch n.Kind {
		case Department:
			p = resolveDepartment(n, depts)
		case Course:
			p = resolveCourse(n, courses)
		}
		if p != nil {
			rep.Problems = append(rep.Problems, *p)
		}
	}
	return rep
}

func resolveDepartment(n Name, depts []absorbapi.Department) *Problem {
	v := strings.TrimSpace(n.Value)
	if _, ok := FindDepartment(depts, v); ok {
		return nil
	}
	byName := 0
	for _, d := range depts {
		if strings.EqualFold(d.Name, v) {
			byName++
		}
	}
	if byName > 1 {
		return &Problem{Name: n, Ambiguous: true}
	}
	candidates := make([]string, 0, len(depts))
	for _, d := range depts {
		candidates = append(candidates, d.Name)
	}
	return &Problem{Name: n, Close: closeMatches(v, candidates)}
}

// FindDepartment returns the one department ref names: by id or external
// id, else by name in any case (an exact-case match wins when several
// names differ only in case).
func FindDepartment(depts []absorbapi.Department, ref string) (absorbapi.Department, bool) {
	ref = strings.TrimSpace(ref)
	var byName, byExactName []absorbapi.Department
	for _, d := range depts {
		if strings.EqualFold(d.ID, ref) || (d.ExternalID != "" && d.ExternalID == ref) {
			return d, true
		}
		if strings.EqualFold(d.Name, ref) {
			byName = append(byName, d)
			if d.Name == ref {
				byExactName = append(byExactName, d)
			}
		}
	}
	switch {
	case len(byName) == 1:
		return byName[0], true
	case len(byExactName) == 1:
		return byExactName[0], true
	}
	return absorbapi.Department{}, false
}

func resolveCourse(n Name, courses []absorbapi.Course) *Problem {
	v := strings.TrimSpace(n.Value)
	if _, ok := FindCourse(courses, v); ok {
		return nil
	}
	candidates := make([]string, 0, len(courses))
	for _, c := range courses {
		candidates = append(candidates, c.Name)
	}
	return &Problem{Name: n, Close: closeMatches(v, candidates)}
}

// FindCourse returns the course ref names: by id, name or external id, in
// any case.
func FindCourse(courses []absorbapi.Course, ref string) (absorbapi.Course, bool) {
	ref = strings.TrimSpace(ref)
	for _, c := range courses {
		if strings.EqualFold(c.ID, ref) || strings.EqualFold(c.Name, ref) || (c.ExternalID != "" && strings.EqualFold(c.ExternalID, ref)) {
			return c, true
		}
	}
	return absorbapi.Course{}, false
}

// maxClose is how many close matches a problem names.
const maxClose = 3

// closeMatches returns up to maxClose candidates that look like want: a few
// letters apart (a typo), or one containing the other, nearest first.
func closeMatches(want string, candidates []string) []string {
	w := strings.ToLower(want)
	type match struct {
		name string
		dist int
	}
	var found []match
	seen := map[string]bool{}
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if c == "" || seen[lc] {
			continue
		}
		d := distance(w, lc)
		limit := max(2, len([]rune(w))/3)
		contains := len(w) >= 3 && (strings.Contains(lc, w) || strings.Contains(w, lc))
		if d <= limit || contains {
			seen[lc] = true
			found = append(found, match{c, d})
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].dist < found[j].dist })
	var out []string
	for i := 0; i < len(found) && i < maxClose; i++ {
		out = append(out, found[i].name)
	}
	return out
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
