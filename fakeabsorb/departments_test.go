package fakeabsorb

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDepartments(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)

	t.Run("list", func(t *testing.T) {
		res := f.send("GET", "/departments", tok, nil).want(t, 200)
		items := res.items(t, "departments")
		if diff := cmp.Diff([]string{"Company", "Engineering", "Sales", "Support", "Research"}, column(items, "name")); diff != "" {
			t.Errorf("names (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"dept-company", "dept-eng", "dept-sales", "dept-support", "dept-research"}, column(items, "externalId")); diff != "" {
			t.Errorf("externalIds (-want +got):\n%s", diff)
		}
		if items[0]["parentId"] != nil || items[1]["parentId"] != DeptCompanyID {
			t.Errorf("parents = %v, %v", items[0]["parentId"], items[1]["parentId"])
		}
	})
	t.Run("by name and external id", func(t *testing.T) {
		for q, want := range map[string][]string{
			"departmentName=sales":             {DeptSalesID},
			"externalId=dept-eng":              {DeptEngineeringID},
			"departmentName=Sal":               {},
			"departmentName=Sales&externalId=": {DeptSalesID},
		} {
			res := f.send("GET", "/departments?"+q, tok, nil).want(t, 200)
			if diff := cmp.Diff(want, column(res.items(t, "departments"), "id")); diff != "" {
				t.Errorf("%s (-want +got):\n%s", q, diff)
			}
		}
	})
	t.Run("get", func(t *testing.T) {
		got := f.send("GET", "/departments/"+DeptResearchID, tok, nil).want(t, 200).object(t)
		if got["name"] != "Research" {
			t.Errorf("name = %v", got["name"])
		}
		f.send("GET", "/departments/x", tok, nil).want(t, 422)
		f.send("GET", "/departments/d0000000-0000-4000-8000-0000000000ff", tok, nil).want(t, 404)
	})

	var created string
	t.Run("create", func(t *testing.T) {
		got := f.send("POST", "/departments", tok, map[string]any{"name": "Platform", "parentId": DeptEngineeringID, "externalId": "dept-platform"}).want(t, 201).object(t)
		created, _ = got["id"].(string)
		if got["parentId"] != DeptEngineeringID || got["externalId"] != "dept-platform" || got["dateAdded"] == nil {
			t.Errorf("created = %v", got)
		}
		top := f.send("POST", "/departments", tok, map[string]any{"name": "Orphan"}).want(t, 201).object(t)
		if top["parentId"] != DeptCompanyID {
			t.Errorf("default parent = %v, want Company", top["parentId"])
		}
	})
	t.Run("update", func(t *testing.T) {
		got := f.send("POST", "/departments", tok, map[string]any{"id": created, "name": "Platform Eng"}).want(t, 201).object(t)
		if got["id"] != created || got["name"] != "Platform Eng" || got["parentId"] != DeptEngineeringID || got["externalId"] != nil {
			t.Errorf("updated = %v", got)
		}
		res := f.send("GET", "/departments?departmentName=Platform%20Eng", tok, nil).want(t, 200)
		if n := len(res.items(t, "departments")); n != 1 {
			t.Errorf("departments named Platform Eng = %d, want 1", n)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		tests := []struct {
			name string
			body map[string]any
			want []string
		}{
			{"no name", map[string]any{"parentId": DeptSalesID}, []string{"The Name field is required."}},
			{"unknown parent", map[string]any{"name": "x", "parentId": "d0000000-0000-4000-8000-0000000000ff"}, []string{"Parent department 'd0000000-0000-4000-8000-0000000000ff' does not exist."}},
			{"cycle", map[string]any{"id": DeptEngineeringID, "name": "Engineering", "parentId": created}, []string{"A department cannot be moved under itself or one of its descendants."}},
			{"top gets a parent", map[string]any{"id": DeptCompanyID, "name": "Company", "parentId": DeptSalesID}, []string{"The top department cannot have a parent."}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := f.send("POST", "/departments", tok, tt.body).want(t, 422)
				if diff := cmp.Diff(tt.want, res.validations(t)); diff != "" {
					t.Errorf("validations (-want +got):\n%s", diff)
				}
			})
		}
		f.send("POST", "/departments", tok, map[string]any{"id": "d0000000-0000-4000-8000-0000000000ff", "name": "x"}).want(t, 404)
	})
	t.Run("scoped admin", func(t *testing.T) {
		scoped := f.login(ScopedAdminUsername)
		got := f.send("POST", "/departments", scoped, map[string]any{"name": "Sales APAC"}).want(t, 201).object(t)
		if got["parentId"] != DeptSalesID {
			t.Errorf("default parent for scoped admin = %v, want Sales", got["parentId"])
		}
		f.send("POST", "/departments", scoped, map[string]any{"name": "x", "parentId": DeptEngineeringID}).want(t, 422)
		f.send("POST", "/departments", scoped, map[string]any{"id": DeptEngineeringID, "name": "x"}).want(t, 404)
	})
}

func TestCoursesAndGroups(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(AuditorUsername)
	res := f.send("GET", "/courses", tok, nil).want(t, 200)
	want := []string{"Security Awareness", "New Hire Onboarding", "Sales Fundamentals", "Engineering Onboarding"}
	if diff := cmp.Diff(want, column(res.items(t, "courses"), "name")); diff != "" {
		t.Errorf("courses (-want +got):\n%s", diff)
	}
	got := f.send("GET", "/courses/"+CourseSalesFundamentalsID, tok, nil).want(t, 200).object(t)
	if got["externalId"] != "course-sales" {
		t.Errorf("externalId = %v", got["externalId"])
	}
	if got := f.send("GET", "/courses/x", tok, nil).want(t, 422).message(t); got != "Invalid format provided for courseId" {
		t.Errorf("message = %q", got)
	}
	f.send("GET", "/courses/c0000000-0000-4000-8000-0000000000ff", tok, nil).want(t, 404)

	res = f.send("GET", "/groups", tok, nil).want(t, 200)
	if diff := cmp.Diff([]string{"Engineering Team", "Onboarding Cohort"}, column(res.items(t, "groups"), "name")); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	g := f.send("GET", "/groups/"+GroupEngineeringTeamID, tok, nil).want(t, 200).object(t)
	if !cmp.Equal(g["userIds"], []any{UserAliceID, UserDaveID}) || g["isAutomatic"] != true {
		t.Errorf("group = %v", g)
	}
	f.send("GET", "/groups/x", tok, nil).want(t, 422)
	f.send("GET", "/groups/e0000000-0000-4000-8000-0000000000ff", tok, nil).want(t, 404)
	f.send("PUT", "/groups/"+GroupEngineeringTeamID, tok, g).want(t, 403)
}
