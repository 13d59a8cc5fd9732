package mapping

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewListsEveryProblem(t *testing.T) {
	cfg := Config{
		Fields: map[string]string{
			"foo":                   "title",
			"roleIds":               "roles.value",
			"departmentId":          "urn:x:department",
			"password":              "password",
			"jobTitle":              "title[",
			"phone":                 `phoneNumbers[type ne "work"].value`,
			"city":                  `addresses[type eq "work"].town`,
			"notes":                 "a.b.c",
			"location":              "title||nickName",
			"username":              "",
			"customFields.string31": "title",
			"JOBTITLE":              "title",
		},
		DepartmentAttributes: []string{"", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
		UnknownDepartment:    "ignore",
		Password:             "plain",
		Languages:            map[string]int{"": 1, "fr": 0, "en": 1, "EN": 2},
	}
	_, err := New(cfg)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("New error = %v, want a *ConfigError", err)
	}
	want := []string{
		`departmentAttributes[0]: path is empty`,
		`fields: "JOBTITLE" and "jobTitle" name the same absorb field`,
		`fields: "departmentId" cannot be mapped: the department comes from departmentAttributes and the absorb extension's departmentId`,
		`fields: "password" cannot be mapped: the password is governed by the password setting`,
		`fields: "roleIds" cannot be mapped: it is managed in Absorb, not by the identity provider`,
		`fields: city: unknown attribute "addresses.town"`,
		`fields: location: path is empty`,
		`fields: notes: unknown attribute "a.b.c"`,
		`fields: phone: path "phoneNumbers[type ne \"work\"].value": the filter must be "eq" comparisons of sub-attributes joined by "and" (such as [type eq "work"])`,
		`fields: unknown absorb field "foo"`,
		`fields: unknown custom field "customFields.string31" (want string1-30, decimal1-5, datetime1-5 or bool1-5)`,
		`fields: username must be mapped`,
		`languages: "en" given twice with different ids`,
		`languages: "fr": language id must be positive`,
		`languages: empty language tag`,
		`password: "plain": want "generate" or "passthrough"`,
		`unknownDepartment: "ignore": want "default" or "reject"`,
	}
	if diff := cmp.Diff(want, ce.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestNewAcceptsDefaults(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"zero config", Config{}},
		{"Default()", Default()},
		{"enums in any case", Config{UnknownDepartment: "Reject", Password: "PassThrough"}},
		{"field names in any case", Config{Fields: map[string]string{"JobTitle": "title", "customfields.STRING1": "nickName"}}},
		{"core URN path", Config{Fields: map[string]string{"jobTitle": "urn:ietf:params:scim:schemas:core:2.0:User:title"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err != nil {
				t.Errorf("New: %v", err)
			}
		})
	}
}

func TestConfigIsEffectiveAndCopied(t *testing.T) {
	m := mustNew(t, Config{
		Fields:            map[string]string{"customFields.string1": EnterpriseURN + ":costCenter", "JobTitle": ""},
		Password:          "PASSTHROUGH",
		DefaultDepartment: "Learners",
		Languages:         map[string]int{"en": 1},
	})
	got := m.Config()
	want := Default()
	want.Languages = map[string]int{"en": 1}
	want.Fields["customFields.string1"] = EnterpriseURN + ":costCenter"
	want.Fields["jobTitle"] = ""
	want.Password = PasswordPassthrough
	want.DefaultDepartment = "Learners"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Config() (-want +got):\n%s", diff)
	}
	got.Fields["username"] = "nickName"
	got.Languages["en"] = 99
	if again := m.Config(); again.Fields["username"] != "userName" || again.Languages["en"] != 1 {
		t.Errorf("Config() shares its maps with the Mapper")
	}
}

func TestDefaultListsEveryMappableField(t *testing.T) {
	fields := Default().Fields
	for _, name := range mappableFields() {
		if _, ok := fields[name]; !ok {
			t.Errorf("Default().Fields lacks %q", name)
		}
	}
	if len(fields) != len(mappableFields()) {
		t.Errorf("Default().Fields has %d entries, want %d", len(fields), len(mappableFields()))
	}
}
