package mapping

import (
	"errors"
	"strings"
	"testing"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/google/go-cmp/cmp"
)

func TestToAbsorbIdPBodies(t *testing.T) {
	tests := []struct {
		name string
		body string
		want absorbapi.User
	}{
		{
			name: "okta O-3 create",
			body: oktaCreate,
			want: absorbapi.User{
				Username: "test.user@okta.local", FirstName: "Test", LastName: "User",
				EmailAddress: "test.user@okta.local", ExternalID: "00ujl29u0le5T6Aj10h7",
				LanguageID: intp(1), IsLearner: true, HasUsername: true,
			},
		},
		{
			name: "entra E-6 create",
			body: entraCreate,
			want: absorbapi.User{
				Username: "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee", FirstName: "givenName", LastName: "familyName",
				EmailAddress: "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
				ExternalID:   "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", IsLearner: true, HasUsername: true,
			},
		},
		{
			name: "entra E-7 create with nulls and a misspelt URN",
			body: entraCreateNulls,
			want: absorbapi.User{
				Username: "Test_User_feed3ace-693c-4e5a-82e2-694be1b39934", FirstName: "givenName", LastName: "familyName",
				EmailAddress: "Test_User_22cc22cc@testuser.com", ExternalID: "58342554-38d6-4ec8-948c-50044d0a33fd",
				IsLearner: true, HasUsername: true,
			},
		},
	}
	m := mustNew(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decode(t, tt.body)
			got, err := m.ToAbsorb(doc, nil)
			if err != nil {
				t.Fatalf("ToAbsorb: %v", err)
			}
			checkStrong(t, got.Password)
			if got.Password == doc["password"] {
				t.Errorf("password is the IdP's placeholder, want a generated one")
			}
			got.Password = ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ToAbsorb (-want +got):\n%s", diff)
			}
		})
	}
}

func TestToAbsorbNameFallbacks(t *testing.T) {
	tests := []struct {
		name            string
		body            string
		first, last     string
		current         *absorbapi.User
		wantFromCurrent bool
	}{
		{name: "name given", body: `{"userName":"u@x","name":{"givenName":"Ada","familyName":"Lovelace"},"displayName":"Countess"}`, first: "Ada", last: "Lovelace"},
		{name: "displayName split at first word", body: `{"userName":"u@x","displayName":"Mary Ann  van Dyke"}`, first: "Mary", last: "Ann van Dyke"},
		{name: "displayName of one word", body: `{"userName":"u@x","displayName":"Cher"}`, first: "Cher", last: "Cher"},
		{name: "only givenName", body: `{"userName":"u@x","name":{"givenName":"Test"},"displayName":"Test User"}`, first: "Test", last: "User"},
		{name: "only familyName", body: `{"userName":"u@x","name":{"familyName":"User"}}`, first: "u", last: "User"},
		{name: "name.formatted", body: `{"userName":"u@x","name":{"formatted":"Grace Hopper"}}`, first: "Grace", last: "Hopper"},
		{name: "userName local part", body: `{"userName":"jdoe@example.com"}`, first: "jdoe", last: "jdoe"},
		{name: "userName without @", body: `{"userName":"jdoe"}`, first: "jdoe", last: "jdoe"},
		{name: "entra nulls", body: `{"userName":"e.doe@contoso.com","name":null,"displayName":null}`, first: "e.doe", last: "e.doe"},
		{name: "empty strings", body: `{"userName":"z@x","name":{"givenName":"","familyName":""},"displayName":"  "}`, first: "z", last: "z"},
	}
	m := mustNew(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.ToAbsorb(decode(t, tt.body), tt.current)
			if err != nil {
				t.Fatalf("ToAbsorb: %v", err)
			}
			if got.FirstName != tt.first || got.LastName != tt.last {
				t.Errorf("names = %q %q, want %q %q", got.FirstName, got.LastName, tt.first, tt.last)
			}
		})
	}
}

func TestToAbsorbEmails(t *testing.T) {
	tests := []struct {
		name   string
		emails string
		email  string
		cc     []string
	}{
		{name: "primary wins over order", emails: `[{"value":"a@x","type":"home"},{"value":"b@x","type":"work","primary":true}]`, email: "b@x", cc: []string{"a@x"}},
		{name: "primary wins over work", emails: `[{"value":"w@x","type":"work"},{"value":"p@x","type":"home","primary":true}]`, email: "p@x", cc: []string{"w@x"}},
		{name: "work when no primary", emails: `[{"value":"a@x","type":"home"},{"value":"b@x","type":"Work"}]`, email: "b@x", cc: []string{"a@x"}},
		{name: "first when neither", emails: `[{"value":"a@x"},{"value":"b@x","type":"other"}]`, email: "a@x", cc: []string{"b@x"}},
		{name: "entra string primary", emails: `[{"value":"a@x"},{"value":"b@x","primary":"True"}]`, email: "b@x", cc: []string{"a@x"}},
		{name: "primary false is not primary", emails: `[{"value":"a@x","primary":false},{"value":"b@x","type":"work"}]`, email: "b@x", cc: []string{"a@x"}},
		{
			name: "cc de-duplicated, main excluded, at most 5",
			emails: `[{"value":"main@x","primary":true},{"value":"MAIN@x"},{"value":"c1@x"},{"value":"C1@X"},{"value":""},
				{"value":"c2@x"},{"value":"c3@x"},{"value":"c4@x"},{"value":"c5@x"},{"value":"c6@x"}]`,
			email: "main@x", cc: []string{"c1@x", "c2@x", "c3@x", "c4@x", "c5@x"},
		},
		{name: "no emails", emails: `[]`},
		{name: "null emails", emails: `null`},
	}
	m := mustNew(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.ToAbsorb(decode(t, `{"userName":"u","emails":`+tt.emails+`}`), nil)
			if err != nil {
				t.Fatalf("ToAbsorb: %v", err)
			}
			if got.EmailAddress != tt.email {
				t.Errorf("emailAddress = %q, want %q", got.EmailAddress, tt.email)
			}
			if diff := cmp.Diff(tt.cc, got.CCEmailAddresses); diff != "" {
				t.Errorf("ccEmailAddresses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestToAbsorbAddressesAndPhones(t *testing.T) {
	m := mustNew(t, Config{})
	tests := []struct {
		name string
		body string
		want absorbapi.User
	}{
		{
			name: "work address over primary, formatted as location",
			body: `{"userName":"u","addresses":[{"type":"home","primary":true,"streetAddress":"1 Home St","locality":"Hometown"},
				{"type":"work","streetAddress":"2 Work Rd","locality":"Worktown","postalCode":"W1","formatted":"HQ, floor 2"}]}`,
			want: absorbapi.User{Address: "2 Work Rd", City: "Worktown", PostalCode: "W1", Location: "HQ, floor 2"},
		},
		{
			name: "extension location wins over formatted",
			body: `{"userName":"u","addresses":[{"streetAddress":"1 Main","formatted":"x"}],
				"urn:absorb-scim:params:scim:schemas:extension:absorb:2.0:User":{"location":"Building 7"}}`,
			want: absorbapi.User{Address: "1 Main", Location: "Building 7"},
		},
		{
			name: "primary phone over first",
			body: `{"userName":"u","phoneNumbers":[{"value":"111","type":"mobile"},{"value":"222","type":"home","primary":true}]}`,
			want: absorbapi.User{Phone: "222"},
		},
		{
			name: "first phone, not work, when no primary",
			body: `{"userName":"u","phoneNumbers":[{"value":"111","type":"mobile"},{"value":"222","type":"work"}]}`,
			want: absorbapi.User{Phone: "111"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.ToAbsorb(decode(t, tt.body), nil)
			if err != nil {
				t.Fatalf("ToAbsorb: %v", err)
			}
			sub := absorbapi.User{Address: got.Address, City: got.City, PostalCode: got.PostalCode, Location: got.Location, Phone: got.Phone}
			if diff := cmp.Diff(tt.want, sub); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestToAbsorbExtensions(t *testing.T) {
	body := `{"userName":"u","name":{"givenName":"A","familyName":"B","middleName":"M"},"title":"Engineer",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"E-42","department":"Sales","costCenter":"CC9"},
		"urn:absorb-scim:params:scim:schemas:extension:absorb:2.0:User":{"departmentId":"d-1","dateHired":"2024-01-15T00:00:00Z",
			"dateTerminated":"2025-02-01","gender":2,"referenceNumber":"R1","notes":"note",
			"customFields":{"string1":"s1","string30":"s30","decimal2":12.5,"datetime5":"2024-03-01","bool1":false}}}`
	want := absorbapi.User{
		Username: "u", FirstName: "A", MiddleName: "M", LastName: "B", JobTitle: "Engineer", EmployeeNumber: "E-42",
		DateHired: "2024-01-15T00:00:00Z", DateTerminated: "2025-02-01", Gender: intp(2), ReferenceNumber: "R1", Notes: "note",
		CustomFields: map[string]any{"string1": "s1", "string30": "s30", "decimal2": 12.5, "datetime5": "2024-03-01", "bool1": false},
		IsLearner:    true, HasUsername: true,
	}
	got, err := mustNew(t, Config{Password: PasswordPassthrough}).ToAbsorb(decode(t, body), &absorbapi.User{IsLearner: true, HasUsername: true})
	if err != nil {
		t.Fatalf("ToAbsorb: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ToAbsorb (-want +got):\n%s", diff)
	}
}

func TestToAbsorbConfiguredFields(t *testing.T) {
	m := mustNew(t, Config{Fields: map[string]string{
		"customFields.string1":  EnterpriseURN + ":costCenter",
		"customFields.decimal1": EnterpriseURN + ":organization",
		"customFields.bool2":    EnterpriseURN + ":division",
		"customFields.string2":  `phoneNumbers[type eq "fax"].value`,
		"emailAddress":          `emails[type eq "work"].value`,
		"ccEmailAddresses":      `emails[type eq "other"].value`,
		"phone":                 `phoneNumbers[type eq "mobile"].value`,
		"address2":              `addresses[type eq "work"].region`,
		"supervisorId":          EnterpriseURN + ":manager",
		"jobTitle":              "",
		"customFields.string3":  "",
	}})
	body := `{"userName":"u","title":"ignored",
		"emails":[{"value":"home@x","type":"home","primary":true},{"value":"work@x","type":"work"},{"value":"o1@x","type":"other"},{"value":"o2@x","type":"OTHER"}],
		"phoneNumbers":[{"value":"1","type":"work","primary":true},{"value":"2","type":"mobile"},{"value":"3","type":"fax"}],
		"addresses":[{"type":"work","region":"ON"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"CC-7","organization":"3.25","division":"True","manager":{"value":"mgr-1"}}}`
	current := &absorbapi.User{JobTitle: "Kept", CustomFields: map[string]any{"string3": "untouched"}}
	got, err := m.ToAbsorb(decode(t, body), current)
	if err != nil {
		t.Fatalf("ToAbsorb: %v", err)
	}
	want := absorbapi.User{
		Username: "u", FirstName: "u", LastName: "u", EmailAddress: "work@x", CCEmailAddresses: []string{"o1@x", "o2@x"},
		Phone: "2", Address2: "ON", SupervisorID: "mgr-1", JobTitle: "Kept",
		CustomFields: map[string]any{"string1": "CC-7", "decimal1": 3.25, "bool2": true, "string2": "3", "string3": "untouched"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ToAbsorb (-want +got):\n%s", diff)
	}
}

func TestToAbsorbCarriesUnmappedFields(t *testing.T) {
	current := absorbapi.User{
		ID: "u-1", DepartmentID: "d-1", Username: "old", FirstName: "Old", LastName: "Name", Password: "never-resent",
		JobTitle: "Old title", Phone: "555", ProvinceID: "p-1", CountryID: "c-1", SupervisorID: "s-1",
		RoleIDs: []string{"r-1", "r-2"}, IsAdmin: true, IsInstructor: true, IsLearner: true, HasUsername: true,
		DateAdded: "2020-01-01", DateEdited: "2024-01-01", LastLoginDate: "2024-06-01", LanguageID: intp(4),
		CustomFields: map[string]any{"String4": "was set", "decimal1": 2.0},
		ActiveStatus: absorbapi.StatusInactive,
	}
	before := cloneUser(current)
	m := mustNew(t, Config{Fields: map[string]string{"customFields.decimal1": ""}})
	got, err := m.ToAbsorb(decode(t, `{"userName":"new","name":{"givenName":"New","familyName":"Name"},"active":true}`), &current)
	if err != nil {
		t.Fatalf("ToAbsorb: %v", err)
	}
	want := absorbapi.User{
		ID: "u-1", DepartmentID: "d-1", Username: "new", FirstName: "New", LastName: "Name",
		ProvinceID: "p-1", CountryID: "c-1", SupervisorID: "s-1",
		RoleIDs: []string{"r-1", "r-2"}, IsAdmin: true, IsInstructor: true, IsLearner: true, HasUsername: true,
		DateAdded: "2020-01-01", DateEdited: "2024-01-01", LastLoginDate: "2024-06-01", LanguageID: intp(4),
		// string4 is mapped and absent: an explicit null clears it; decimal1 is unmapped: kept.
		CustomFields: map[string]any{"string4": nil, "decimal1": 2.0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ToAbsorb (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, current); diff != "" {
		t.Errorf("ToAbsorb modified current (-before +after):\n%s", diff)
	}
}

func TestToAbsorbActive(t *testing.T) {
	tests := []struct {
		name    string
		active  string // JSON, "" for absent
		want    absorbapi.ActiveStatus
		wantErr bool
	}{
		{name: "absent is active", want: absorbapi.StatusActive},
		{name: "null is active", active: `null`, want: absorbapi.StatusActive},
		{name: "true", active: `true`, want: absorbapi.StatusActive},
		{name: "false", active: `false`, want: absorbapi.StatusInactive},
		{name: "entra string False", active: `"False"`, want: absorbapi.StatusInactive},
		{name: "entra string True", active: `"True"`, want: absorbapi.StatusActive},
		{name: "number", active: `0`, wantErr: true},
		{name: "other string", active: `"no"`, wantErr: true},
	}
	m := mustNew(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"userName":"u"}`
			if tt.active != "" {
				body = `{"userName":"u","active":` + tt.active + `}`
			}
			current := &absorbapi.User{ActiveStatus: absorbapi.StatusInactive}
			if tt.want == absorbapi.StatusInactive {
				current.ActiveStatus = absorbapi.StatusActive
			}
			got, err := m.ToAbsorb(decode(t, body), current)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), "active") {
					t.Errorf("err = %v, want an invalid value at active", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ToAbsorb: %v", err)
			}
			if got.ActiveStatus != tt.want {
				t.Errorf("activeStatus = %d, want %d", got.ActiveStatus, tt.want)
			}
		})
	}
}

func TestToAbsorbLanguage(t *testing.T) {
	tests := []struct {
		name    string
		langs   map[string]int
		attrs   string
		current *int
		want    *int
	}{
		{name: "preferredLanguage", attrs: `"preferredLanguage":"fr"`, want: intp(2)},
		{name: "locale with region falls back to language", attrs: `"locale":"en-US"`, want: intp(1)},
		{name: "case and underscore", attrs: `"locale":"PT_br"`, want: intp(5)},
		{name: "region listed on its own", attrs: `"preferredLanguage":"fr-CA"`, want: intp(9)},
		{name: "a language the portal lists only with a region", attrs: `"preferredLanguage":"pt"`, want: intp(5)},
		{name: "another region of a language the portal lists with one", attrs: `"locale":"zh-TW"`, want: intp(15)},
		{name: "preferredLanguage before locale", attrs: `"preferredLanguage":"de","locale":"fr-FR"`, want: intp(4)},
		{name: "unknown preferredLanguage, known locale", attrs: `"preferredLanguage":"xx","locale":"es-MX"`, want: intp(3)},
		{name: "unknown keeps current", attrs: `"preferredLanguage":"tlh"`, current: intp(6), want: intp(6)},
		{name: "unknown on create is unset", attrs: `"preferredLanguage":"tlh"`},
		{name: "absent keeps current", current: intp(5), want: intp(5)},
		{name: "configured table", langs: map[string]int{"EN-gb": 40, "en": 41}, attrs: `"locale":"en_GB"`, want: intp(40)},
		{name: "configured table over the portal's", langs: map[string]int{"en": 41}, attrs: `"locale":"en-US"`, want: intp(41)},
		{name: "the portal's beside a configured table", langs: map[string]int{"en": 41}, attrs: `"locale":"fr"`, want: intp(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustNew(t, Config{Languages: tt.langs})
			body := `{"userName":"u"}`
			if tt.attrs != "" {
				body = `{"userName":"u",` + tt.attrs + `}`
			}
			var current *absorbapi.User
			if tt.current != nil {
				current = &absorbapi.User{LanguageID: tt.current}
			}
			got, err := m.ToAbsorb(decode(t, body), current)
			if err != nil {
				t.Fatalf("ToAbsorb: %v", err)
			}
			if diff := cmp.Diff(tt.want, got.LanguageID); diff != "" {
				t.Errorf("languageId (-want +got):\n%s", diff)
			}
		})
	}
}

func TestToAbsorbPassword(t *testing.T) {
	const idpPassword = "Idp-Pa55word!"
	tests := []struct {
		name      string
		mode      string
		create    bool
		sent      bool
		want      string // "generated" for a fresh strong password
		wantEmpty bool
	}{
		{name: "generate, create, IdP placeholder ignored", mode: PasswordGenerate, create: true, sent: true, want: "generated"},
		{name: "generate, create", mode: PasswordGenerate, create: true, want: "generated"},
		{name: "generate, update, IdP password ignored", mode: PasswordGenerate, sent: true},
		{name: "generate, update", mode: PasswordGenerate},
		{name: "passthrough, create", mode: PasswordPassthrough, create: true, sent: true, want: idpPassword},
		{name: "passthrough, create without one", mode: PasswordPassthrough, create: true, want: "generated"},
		{name: "passthrough, update", mode: PasswordPassthrough, sent: true, want: idpPassword},
		{name: "passthrough, update without one", mode: PasswordPassthrough},
		{name: "default mode is generate", create: true, sent: true, want: "generated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustNew(t, Config{Password: tt.mode})
			body := `{"userName":"u"}`
			if tt.sent {
				body = `{"userName":"u","password":"` + idpPassword + `"}`
			}
			var current *absorbapi.User
			if !tt.create {
				current = &absorbapi.User{Username: "u", Password: "stale"}
			}
			got, err := m.ToAbsorb(decode(t, body), current)
			if err != nil {
				t.Fatalf("ToAbsorb: %v", err)
			}
			switch tt.want {
			case "generated":
				checkStrong(t, got.Password)
				if got.Password == idpPassword {
					t.Errorf("password is the IdP's, want a generated one")
				}
			default:
				if got.Password != tt.want {
					t.Errorf("password = %q, want %q", got.Password, tt.want)
				}
			}
		})
	}

	t.Run("each create gets a new password", func(t *testing.T) {
		m := mustNew(t, Config{})
		doc := decode(t, oktaCreate)
		a, errA := m.ToAbsorb(doc, nil)
		b, errB := m.ToAbsorb(doc, nil)
		if errA != nil || errB != nil {
			t.Fatalf("ToAbsorb: %v, %v", errA, errB)
		}
		if a.Password == b.Password {
			t.Errorf("two creates got the same password")
		}
	})

	t.Run("a password of the wrong type is reported without its value", func(t *testing.T) {
		m := mustNew(t, Config{Password: PasswordPassthrough})
		_, err := m.ToAbsorb(decode(t, `{"userName":"u","password":["s3cret-value"]}`), nil)
		if !errors.Is(err, ErrInvalidValue) {
			t.Fatalf("err = %v, want ErrInvalidValue", err)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error %q shows the password", err)
		}
	})
}

func TestToAbsorbInvalidValues(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		paths []string // every one must be named in the error
	}{
		{name: "object for a string", body: `{"userName":"u","title":{"x":1}}`, paths: []string{"title"}},
		{name: "array for a string", body: `{"userName":["u"]}`, paths: []string{"userName", "username"}},
		{name: "no username", body: `{"name":{"givenName":"A","familyName":"B"}}`, paths: []string{"username"}},
		{name: "bad gender", body: `{"userName":"u","urn:absorb-scim:params:scim:schemas:extension:absorb:2.0:User":{"gender":7}}`, paths: []string{AbsorbURN + ":gender"}},
		{name: "bad decimal", body: `{"userName":"u","urn:absorb-scim:params:scim:schemas:extension:absorb:2.0:User":{"customFields":{"decimal1":"lots"}}}`, paths: []string{"customFields.decimal1"}},
		{name: "bad bool", body: `{"userName":"u","urn:absorb-scim:params:scim:schemas:extension:absorb:2.0:User":{"customFields":{"bool1":"yes"}}}`, paths: []string{"customFields.bool1"}},
		{name: "language not a string", body: `{"userName":"u","preferredLanguage":1}`, paths: []string{"preferredLanguage"}},
		{name: "every problem at once", body: `{"userName":"u","title":[],"active":"maybe","externalId":{}}`, paths: []string{"title", "active", "externalId"}},
	}
	m := mustNew(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.ToAbsorb(decode(t, tt.body), nil)
			if !errors.Is(err, ErrInvalidValue) {
				t.Fatalf("err = %v, want ErrInvalidValue", err)
			}
			for _, p := range tt.paths {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not name %s", err, p)
				}
			}
			if diff := cmp.Diff(absorbapi.User{}, got); diff != "" {
				t.Errorf("user on error is not zero:\n%s", diff)
			}
		})
	}
}

func TestDepartment(t *testing.T) {
	const division = EnterpriseURN + ":division"
	tests := []struct {
		name   string
		attrs  []string
		body   string
		want   DepartmentRef
		wantOK bool
	}{
		{
			name: "enterprise department",
			body: `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}}`,
			want: DepartmentRef{Value: "Sales", Source: EnterpriseURN + ":department"}, wantOK: true,
		},
		{
			name: "absorb departmentId",
			body: `{"urn:absorb-scim:params:scim:schemas:extension:absorb:2.0:User":{"departmentId":"d-9"}}`,
			want: DepartmentRef{ID: "d-9", Source: AbsorbURN + ":departmentId"}, wantOK: true,
		},
		{
			name: "both",
			body: `{"urn:absorb-scim:params:scim:schemas:extension:absorb:2.0:User":{"departmentId":"d-9"},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}}`,
			want: DepartmentRef{ID: "d-9", Value: "Sales", Source: EnterpriseURN + ":department"}, wantOK: true,
		},
		{name: "none", body: `{"userName":"u"}`},
		{name: "entra null department", body: `{"department":null,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":null}}`},
		{
			name:  "configured paths tried in order",
			attrs: []string{division, EnterpriseURN + ":department"},
			body:  `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales","division":""}}`,
			want:  DepartmentRef{Value: "Sales", Source: EnterpriseURN + ":department"}, wantOK: true,
		},
		{
			name:  "first configured path wins",
			attrs: []string{division, EnterpriseURN + ":department"},
			body:  `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales","division":"EMEA"}}`,
			want:  DepartmentRef{Value: "EMEA", Source: division}, wantOK: true,
		},
		{
			name:  "no department attributes",
			attrs: []string{},
			body:  `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustNew(t, Config{DepartmentAttributes: tt.attrs})
			got, ok := m.Department(decode(t, tt.body))
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Department (-want +got):\n%s", diff)
			}
		})
	}
}
