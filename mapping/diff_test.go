package mapping

import (
	"testing"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/google/go-cmp/cmp"
)

func TestDiff(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(u *absorbapi.User)
		want  []Change
		start func() absorbapi.User
	}{
		{name: "identical", edit: func(*absorbapi.User) {}},
		{name: "password only", edit: func(u *absorbapi.User) { u.Password = "N3w-secret!" }},
		{
			name: "several fields, password left out",
			edit: func(u *absorbapi.User) {
				u.Password, u.JobTitle, u.LanguageID, u.ActiveStatus = "N3w-secret!", "Boss", intp(1), absorbapi.StatusActive
				u.CCEmailAddresses = []string{"ada@home.example"}
			},
			want: []Change{
				{Field: "ccEmailAddresses", From: "ada@home.example, countess@example.org", To: "ada@home.example"},
				{Field: "languageId", From: "2", To: "1"},
				{Field: "jobTitle", From: "Analyst", To: "Boss"},
				{Field: "activeStatus", From: "inactive", To: "active"},
			},
		},
		{
			name: "custom fields, null equals missing, case-insensitive keys",
			edit: func(u *absorbapi.User) {
				u.CustomFields = map[string]any{"String1": "s1", "decimal2": 3.0, "bool3": true, "datetime4": "2024-01-01T00:00:00", "string9": nil, "bool5": false}
			},
			want: []Change{
				{Field: "customFields.bool5", From: "", To: "false"},
				{Field: "customFields.decimal2", From: "2.5", To: "3"},
			},
		},
		{
			name: "dates in Absorb's own form are the same instants",
			start: func() absorbapi.User {
				u := fullUser()
				u.DateHired, u.DateTerminated, u.DateEdited = "2024-03-01", "2025-06-30T17:00:00Z", "2025-07-01T08:00:00.720Z"
				u.CustomFields = map[string]any{"datetime1": "2024-03-01T10:00:00+02:00"}
				return u
			},
			edit: func(u *absorbapi.User) {
				u.DateHired, u.DateTerminated, u.DateEdited = "2024-03-01T00:00:00", "2025-06-30T17:00:00.000", "2025-07-01T08:00:00.72"
				u.CustomFields = map[string]any{"datetime1": "2024-03-01T08:00:00"}
			},
		},
		{
			name: "dates that moved",
			start: func() absorbapi.User {
				u := fullUser()
				u.DateHired, u.DateEdited = "2024-03-01", "2025-07-01T08:00:00.72"
				return u
			},
			edit: func(u *absorbapi.User) { u.DateHired, u.DateEdited = "2024-03-02T00:00:00", "2025-07-01T08:00:00.721" },
			want: []Change{
				{Field: "dateHired", From: "2024-03-01", To: "2024-03-02T00:00:00"},
				{Field: "dateEdited", From: "2025-07-01T08:00:00.72", To: "2025-07-01T08:00:00.721"},
			},
		},
		{
			name: "pointers set and cleared",
			edit: func(u *absorbapi.User) { u.LanguageID, u.Gender = nil, intp(1) },
			want: []Change{{Field: "languageId", From: "2", To: ""}, {Field: "gender", From: "2", To: "1"}},
		},
		{
			name: "flags and roles",
			edit: func(u *absorbapi.User) { u.IsAdmin, u.RoleIDs, u.DepartmentID = false, nil, "d-2" },
			want: []Change{
				{Field: "departmentId", From: "d-1", To: "d-2"},
				{Field: "roleIds", From: "r-1", To: ""},
				{Field: "isAdmin", From: "true", To: "false"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fullUser()
			if tt.start != nil {
				before = tt.start()
			}
			after := cloneUser(before)
			tt.edit(&after)
			got := Diff(before, after)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
			for _, c := range got {
				if c.Field == "password" {
					t.Errorf("Diff lists the password")
				}
			}
		})
	}
}
