package namecheck

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/absorbapi"
)

var (
	depts = []absorbapi.Department{
		{ID: "11111111-1111-1111-1111-111111111111", Name: "Company"},
		{ID: "22222222-2222-2222-2222-222222222222", Name: "Sales", ExternalID: "D-SALES"},
		{ID: "33333333-3333-3333-3333-333333333333", Name: "Compliance"},
		{ID: "44444444-4444-4444-4444-444444444444", Name: "Support", ParentID: "1"},
		{ID: "55555555-5555-5555-5555-555555555555", Name: "Support", ParentID: "2"},
	}
	courses = []absorbapi.Course{
		{ID: "c1", Name: "Sales Fundamentals"},
		{ID: "c2", Name: "Security Awareness", ExternalID: "SEC-101"},
	}
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name string
		in   Name
		want *Problem
	}{
		{"department by name, any case", Name{Key: "k", Kind: Department, Value: "company"}, nil},
		{"department by id", Name{Key: "k", Kind: Department, Value: "22222222-2222-2222-2222-222222222222"}, nil},
		{"department by external id", Name{Key: "k", Kind: Department, Value: "D-SALES"}, nil},
		{"misspelt department", Name{Key: "mapping.defaultDepartment", Kind: Department, Value: "Compnay", Required: true},
			&Problem{Name: Name{Key: "mapping.defaultDepartment", Kind: Department, Value: "Compnay", Required: true}, Close: []string{"Company"}}},
		{"department nothing like", Name{Key: "k", Kind: Department, Value: "Marketing"},
			&Problem{Name: Name{Key: "k", Kind: Department, Value: "Marketing"}}},
		{"ambiguous department", Name{Key: "k", Kind: Department, Value: "Support"},
			&Problem{Name: Name{Key: "k", Kind: Department, Value: "Support"}, Ambiguous: true}},
		{"course by name", Name{Key: "k", Kind: Course, Value: "sales fundamentals"}, nil},
		{"course by external id", Name{Key: "k", Kind: Course, Value: "sec-101"}, nil},
		{"misspelt course", Name{Key: "groupRules[0].courses[0]", Kind: Course, Value: "Sales Fundamental"},
			&Problem{Name: Name{Key: "groupRules[0].courses[0]", Kind: Course, Value: "Sales Fundamental"}, Close: []string{"Sales Fundamentals"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Resolve([]Name{tt.in}, depts, courses)
			var got *Problem
			if len(rep.Problems) > 0 {
				got = &rep.Problems[0]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resolve(%+v) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestProblemLine(t *testing.T) {
	p := Problem{Name: Name{Key: "mapping.defaultDepartment", Kind: Department, Value: "Compnay"}, Close: []string{"Company", "Compliance"}}
	want := `mapping.defaultDepartment: "Compnay" names no Absorb department visible to the bridge's admin (by id, external id or name); close matches: "Company", "Compliance"`
	if got := p.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}

func TestFatalOnlyRequired(t *testing.T) {
	rep := Resolve([]Name{
		{Key: "mapping.defaultDepartment", Kind: Department, Value: "Nope", Required: true},
		{Key: "groupRules[0].department", Kind: Department, Value: "Nope"},
	}, depts, nil)
	if len(rep.Problems) != 2 || len(rep.Fatal()) != 1 || rep.Fatal()[0].Key != "mapping.defaultDepartment" {
		t.Errorf("problems %+v, fatal %+v", rep.Problems, rep.Fatal())
	}
}

type dirFunc struct {
	depts   []absorbapi.Department
	courses []absorbapi.Course
	err     error
	calls   []string
}

func (d *dirFunc) ListDepartments(context.Context, absorbapi.ListDepartmentsOptions) ([]absorbapi.Department, error) {
	d.calls = append(d.calls, "departments")
	return d.depts, d.err
}

func (d *dirFunc) ListCourses(context.Context) ([]absorbapi.Course, error) {
	d.calls = append(d.calls, "courses")
	return d.courses, d.err
}

func TestCheckReadsOnlyWhatItNeeds(t *testing.T) {
	d := &dirFunc{depts: depts}
	rep, err := Check(context.Background(), d, []Name{{Key: "k", Kind: Department, Value: "Sales"}})
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("Check = %+v, %v", rep, err)
	}
	if diff := cmp.Diff([]string{"departments"}, d.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	down := &dirFunc{err: errors.New("connection refused")}
	if _, err := Check(context.Background(), down, []Name{{Key: "k", Kind: Course, Value: "x"}}); err == nil {
		t.Error("Check with Absorb down succeeded")
	}
}
