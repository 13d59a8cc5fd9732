package mapping

import (
	"testing"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/google/go-cmp/cmp"
)

// fullUser is an Absorb user with every mapped field set.
func fullUser() absorbapi.User {
	return absorbapi.User{
		ID: "a-1", DepartmentID: "d-1", Username: "ada@example.com", Password: "must-not-leak",
		FirstName: "Ada", MiddleName: "King", LastName: "Lovelace",
		EmailAddress: "ada@example.com", CCEmailAddresses: []string{"ada@home.example", "countess@example.org"},
		ExternalID: "ext-1", JobTitle: "Analyst", Phone: "+44 20 0000", EmployeeNumber: "E-1",
		Address: "12 St James's Sq", City: "London", PostalCode: "SW1Y", Location: "Marylebone",
		LanguageID: intp(2), Gender: intp(2), ReferenceNumber: "R-1", Notes: "first programmer",
		DateHired: "1842-01-01T00:00:00", DateTerminated: "1852-11-27T00:00:00",
		CustomFields: map[string]any{"string1": "s1", "decimal2": 2.5, "bool3": true, "datetime4": "2024-01-01T00:00:00"},
		RoleIDs:      []string{"r-1"}, IsLearner: true, IsAdmin: true, HasUsername: true, SupervisorID: "s-1",
		ActiveStatus: absorbapi.StatusInactive,
	}
}

func TestFromAbsorb(t *testing.T) {
	m := mustNew(t, Config{})
	want := map[string]any{
		"schemas":     []any{UserURN, EnterpriseURN, AbsorbURN},
		"userName":    "ada@example.com",
		"displayName": "Ada Lovelace",
		"name":        map[string]any{"givenName": "Ada", "middleName": "King", "familyName": "Lovelace"},
		"emails": []any{
			map[string]any{"value": "ada@example.com", "type": "work", "primary": true},
			map[string]any{"value": "ada@home.example", "type": "other"},
			map[string]any{"value": "countess@example.org", "type": "other"},
		},
		"externalId":        "ext-1",
		"title":             "Analyst",
		"phoneNumbers":      []any{map[string]any{"value": "+44 20 0000", "type": "work", "primary": true}},
		"addresses":         []any{map[string]any{"streetAddress": "12 St James's Sq", "locality": "London", "postalCode": "SW1Y", "type": "work", "primary": true}},
		"active":            false,
		"preferredLanguage": "fr",
		EnterpriseURN:       map[string]any{"employeeNumber": "E-1"},
		AbsorbURN: map[string]any{
			"departmentId": "d-1", "location": "Marylebone", "gender": 2.0, "referenceNumber": "R-1", "notes": "first programmer",
			"dateHired": "1842-01-01T00:00:00", "dateTerminated": "1852-11-27T00:00:00",
			"customFields": map[string]any{"string1": "s1", "decimal2": 2.5, "bool3": true, "datetime4": "2024-01-01T00:00:00"},
		},
	}
	got := m.FromAbsorb(fullUser())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromAbsorb (-want +got):\n%s", diff)
	}
}

func TestFromAbsorbMinimal(t *testing.T) {
	m := mustNew(t, Config{})
	got := m.FromAbsorb(absorbapi.User{Username: "jdoe", FirstName: "J", LastName: "Doe", Gender: intp(0), LanguageID: intp(999)})
	want := map[string]any{
		"schemas": []any{UserURN}, "userName": "jdoe", "displayName": "J Doe",
		"name": map[string]any{"givenName": "J", "familyName": "Doe"}, "active": true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromAbsorb (-want +got):\n%s", diff)
	}
}

func TestFromAbsorbConfigured(t *testing.T) {
	m := mustNew(t, Config{Fields: map[string]string{
		"customFields.string1": EnterpriseURN + ":costCenter",
		"emailAddress":         `emails[type eq "work"].value`,
		"ccEmailAddresses":     `emails[type eq "home"].value`,
		"supervisorId":         EnterpriseURN + ":manager",
		"languageId":           "locale|preferredLanguage",
	}})
	u := absorbapi.User{
		Username: "u", FirstName: "U", LastName: "V", EmailAddress: "w@x", CCEmailAddresses: []string{"h@x"},
		SupervisorID: "m-1", LanguageID: intp(1), CustomFields: map[string]any{"string1": "CC-1"},
	}
	want := map[string]any{
		"schemas": []any{UserURN, EnterpriseURN}, "userName": "u", "displayName": "U V",
		"name":   map[string]any{"givenName": "U", "familyName": "V"},
		"emails": []any{map[string]any{"type": "work", "value": "w@x"}, map[string]any{"type": "home", "value": "h@x"}},
		"active": true, "locale": "en",
		EnterpriseURN: map[string]any{"costCenter": "CC-1", "manager": map[string]any{"value": "m-1"}},
	}
	if diff := cmp.Diff(want, m.FromAbsorb(u)); diff != "" {
		t.Errorf("FromAbsorb (-want +got):\n%s", diff)
	}
}

// TestRoundTrip checks that the mapping run backwards and forwards again
// gives the same Absorb user.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		body string // a SCIM user; empty: start from fullUser()
	}{
		{name: "okta O-3", body: oktaCreate},
		{name: "entra E-6", body: entraCreate},
		{name: "entra E-7", body: entraCreateNulls},
		{name: "full absorb user"},
		{name: "full absorb user, configured", cfg: Config{Fields: map[string]string{
			"customFields.string1": EnterpriseURN + ":costCenter",
			"phone":                `phoneNumbers[type eq "mobile"].value`,
			"city":                 `addresses[type eq "work"].locality`,
			"ccEmailAddresses":     `emails[type eq "other"].value`,
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustNew(t, tt.cfg)
			u := fullUser()
			if tt.body != "" {
				var err error
				if u, err = m.ToAbsorb(decode(t, tt.body), nil); err != nil {
					t.Fatalf("ToAbsorb: %v", err)
				}
			}
			doc := m.FromAbsorb(u)
			if _, ok := doc["password"]; ok {
				t.Errorf("FromAbsorb wrote a password")
			}
			got, err := m.ToAbsorb(doc, &u)
			if err != nil {
				t.Fatalf("ToAbsorb(FromAbsorb): %v", err)
			}
			want := cloneUser(u)
			want.Password = ""
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if _, changed := m.Merge(doc, u); changed {
				t.Errorf("Merge of a user into its own FromAbsorb document reports a change")
			}
		})
	}
}

func TestMerge(t *testing.T) {
	// Unmapped attributes: groups, nickName, meta, a foreign extension, the
	// enterprise costCenter, Okta's locale (mapped, but no language change).
	stored := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:example:ext"],
		"userName":"test.user@okta.local","name":{"givenName":"Test","familyName":"User"},"displayName":"Test User","nickName":"T",
		"emails":[{"primary":true,"value":"test.user@okta.local","type":"work","display":"TU"},{"value":"alt@okta.local","type":"home"}],
		"title":"Engineer","locale":"en-US","externalId":"00u1","groups":[],"active":true,
		"addresses":[{"type":"work","locality":"Paris","formatted":"HQ"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"E-1","costCenter":"CC","department":"Sales"},
		"urn:example:ext":{"shoeSize":42}}`
	base := absorbapi.User{
		ID: "a-1", DepartmentID: "d-sales", Username: "test.user@okta.local", FirstName: "Test", LastName: "User",
		EmailAddress: "test.user@okta.local", CCEmailAddresses: []string{"alt@okta.local"}, ExternalID: "00u1",
		JobTitle: "Engineer", City: "Paris", Location: "HQ", EmployeeNumber: "E-1", LanguageID: intp(1),
		IsLearner: true, HasUsername: true, DateEdited: "2025-01-01",
	}
	tests := []struct {
		name    string
		stored  string
		edit    func(u *absorbapi.User)
		edit2   func(doc map[string]any) // the expected document, from the stored one
		changed bool
	}{
		{name: "nothing changed", stored: stored, edit: func(*absorbapi.User) {}, edit2: func(map[string]any) {}},
		{
			name:   "only unmapped absorb fields changed",
			stored: stored,
			edit: func(u *absorbapi.User) {
				u.RoleIDs, u.IsAdmin, u.DateEdited, u.Gender = []string{"r"}, true, "2025-02-02", intp(0)
			},
			edit2: func(map[string]any) {},
		},
		{
			name:   "title, last name and city edited in absorb",
			stored: stored,
			edit:   func(u *absorbapi.User) { u.JobTitle, u.LastName, u.City = "Manager", "Usher", "Lyon" },
			edit2: func(d map[string]any) {
				d["title"] = "Manager"
				d["name"].(map[string]any)["familyName"] = "Usher"
				d["addresses"].([]any)[0].(map[string]any)["locality"] = "Lyon"
			},
			changed: true,
		},
		{
			name:   "email edited keeps the element's other attributes",
			stored: stored,
			edit:   func(u *absorbapi.User) { u.EmailAddress = "new@okta.local" },
			edit2: func(d map[string]any) {
				d["emails"].([]any)[0].(map[string]any)["value"] = "new@okta.local"
			},
			changed: true,
		},
		{
			name:   "cc edited",
			stored: stored,
			edit:   func(u *absorbapi.User) { u.CCEmailAddresses = []string{"x@y", "z@y"} },
			edit2: func(d map[string]any) {
				d["emails"] = []any{
					d["emails"].([]any)[0],
					map[string]any{"value": "x@y", "type": "other"},
					map[string]any{"value": "z@y", "type": "other"},
				}
			},
			changed: true,
		},
		{
			name:   "fields cleared in absorb",
			stored: stored,
			edit: func(u *absorbapi.User) {
				u.JobTitle, u.EmployeeNumber, u.CCEmailAddresses, u.Location = "", "", nil, ""
			},
			edit2: func(d map[string]any) {
				delete(d, "title")
				delete(d[EnterpriseURN].(map[string]any), "employeeNumber")
				d["emails"] = d["emails"].([]any)[:1]
				delete(d["addresses"].([]any)[0].(map[string]any), "formatted")
			},
			changed: true,
		},
		{
			name:   "fields set in absorb that the document lacks",
			stored: stored,
			edit: func(u *absorbapi.User) {
				u.Phone, u.Notes, u.Gender, u.LanguageID = "555", "hello", intp(1), intp(2)
				u.CustomFields = map[string]any{"bool1": false, "string9": nil}
			},
			edit2: func(d map[string]any) {
				d["phoneNumbers"] = []any{map[string]any{"value": "555", "type": "work", "primary": true}}
				d["preferredLanguage"] = "fr"
				d["schemas"] = append(d["schemas"].([]any), AbsorbURN)
				d[AbsorbURN] = map[string]any{"notes": "hello", "gender": 1.0, "customFields": map[string]any{"bool1": false}}
			},
			changed: true,
		},
		{
			name:   "no language in absorb keeps the IdP's locale",
			stored: stored,
			edit:   func(u *absorbapi.User) { u.LanguageID = nil },
			edit2:  func(map[string]any) {},
		},
		{
			name:   "a language id with no tag is left alone",
			stored: stored,
			edit:   func(u *absorbapi.User) { u.LanguageID = intp(999) },
			edit2:  func(map[string]any) {},
		},
		{
			name:    "deactivated in absorb",
			stored:  stored,
			edit:    func(u *absorbapi.User) { u.ActiveStatus = absorbapi.StatusInactive },
			edit2:   func(d map[string]any) { d["active"] = false },
			changed: true,
		},
		{
			name:   "department named by enterprise department is left to the bridge",
			stored: stored,
			edit:   func(u *absorbapi.User) { u.DepartmentID = "d-other" },
			edit2:  func(map[string]any) {},
		},
		{
			name:   "absorb departmentId is updated",
			stored: `{"userName":"u","name":{"givenName":"A","familyName":"B"},"urn:absorb-scim:params:scim:schemas:extension:absorb:2.0:User":{"departmentId":"d-1"}}`,
			edit: func(u *absorbapi.User) {
				*u = absorbapi.User{Username: "u", FirstName: "A", LastName: "B", DepartmentID: "d-2"}
			},
			edit2: func(d map[string]any) {
				d[AbsorbURN].(map[string]any)["departmentId"] = "d-2"
			},
			changed: true,
		},
		{
			name:   "names derived from displayName are not written back",
			stored: `{"userName":"u@x","displayName":"Test User"}`,
			edit: func(u *absorbapi.User) {
				*u = absorbapi.User{Username: "u@x", FirstName: "Test", LastName: "User"}
			},
			edit2: func(map[string]any) {},
		},
		{
			name:   "a derived name edited in absorb is written",
			stored: `{"userName":"u@x","displayName":"Test User"}`,
			edit: func(u *absorbapi.User) {
				*u = absorbapi.User{Username: "u@x", FirstName: "Tess", LastName: "User"}
			},
			edit2:   func(d map[string]any) { d["name"] = map[string]any{"givenName": "Tess"} },
			changed: true,
		},
		{
			name:   "an invalid stored value is replaced",
			stored: `{"userName":"u","name":{"givenName":"A","familyName":"B"},"title":{"bad":true}}`,
			edit: func(u *absorbapi.User) {
				*u = absorbapi.User{Username: "u", FirstName: "A", LastName: "B", JobTitle: "T"}
			},
			edit2:   func(d map[string]any) { d["title"] = "T" },
			changed: true,
		},
	}
	m := mustNew(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decode(t, tt.stored)
			want := decode(t, tt.stored)
			tt.edit2(want)
			u := cloneUser(base)
			tt.edit(&u)
			got, changed := m.Merge(doc, u)
			if changed != tt.changed {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Merge (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(decode(t, tt.stored), doc); diff != "" {
				t.Errorf("Merge modified its input (-before +after):\n%s", diff)
			}
			if tt.changed {
				again, changed := m.Merge(got, u)
				if changed {
					t.Errorf("a second Merge still changes the document:\n%s", cmp.Diff(got, again))
				}
			}
		})
	}
}

// Absorb writes a date back in its own form (no zone, a time of day): the
// same instant is no change to fold into the SCIM user.
func TestMergeKeepsADateAbsorbWroteInItsOwnForm(t *testing.T) {
	m := mustNew(t, Default())
	doc := map[string]any{
		"schemas":  []any{UserURN, AbsorbURN},
		"userName": "d@example.com",
		"name":     map[string]any{"givenName": "D", "familyName": "E"},
		AbsorbURN: map[string]any{
			"dateHired":      "2024-03-01",
			"dateTerminated": "2025-06-30T17:00:00Z",
			"customFields":   map[string]any{"datetime1": "2024-03-01T10:00:00+02:00"},
		},
	}
	u, err := m.ToAbsorb(doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	u.DateHired, u.DateTerminated = "2024-03-01T00:00:00", "2025-06-30T17:00:00.000"
	u.CustomFields = map[string]any{"datetime1": "2024-03-01T08:00:00"}
	if got, changed := m.Merge(doc, u); changed {
		t.Errorf("Merge changed the document: %v", got[AbsorbURN])
	}
	u.DateHired = "2024-03-02T00:00:00"
	got, changed := m.Merge(doc, u)
	if ext, _ := got[AbsorbURN].(map[string]any); !changed || ext["dateHired"] != "2024-03-02T00:00:00" {
		t.Errorf("Merge of a moved date: changed %v, extension %v", changed, got[AbsorbURN])
	}
}
