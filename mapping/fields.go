package mapping

import (
	"strconv"
	"strings"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// kind is how an Absorb field's value is read from and written to SCIM.
type kind int

const (
	kindString   kind = iota // a string field, or a string/datetime custom field
	kindCC                   // ccEmailAddresses: the other email values
	kindStatus               // activeStatus from a boolean
	kindLanguage             // languageId through the language table
	kindGender               // gender code 0, 1, 2
	kindDecimal              // decimal custom field
	kindBool                 // bool custom field
)

// binding ties one Absorb field to its SCIM paths, tried in order.
type binding struct {
	field  string // Absorb JSON name, e.g. "jobTitle" or "customFields.string1"
	kind   kind
	custom string // custom field key, e.g. "string1"
	alts   []path
}

// mappableFields lists, in the order they are read, the Absorb fields a
// Config may map. emailAddress precedes ccEmailAddresses, which depends on it.
func mappableFields() []string {
	fields := []string{
		"username", "firstName", "middleName", "lastName",
		"emailAddress", "ccEmailAddresses", "externalId", "jobTitle", "phone", "employeeNumber",
		"address", "address2", "city", "postalCode", "provinceId", "countryId", "location",
		"activeStatus", "languageId", "gender", "referenceNumber", "notes",
		"dateHired", "dateTerminated", "supervisorId",
	}
	return append(fields, customFieldNames()...)
}

// customFieldNames lists the portal custom fields as Absorb names them.
func customFieldNames() []string {
	var out []string
	for i := 1; i <= 30; i++ {
		out = append(out, "customFields.string"+strconv.Itoa(i))
	}
	for _, prefix := range []string{"decimal", "datetime", "bool"} {
		for i := 1; i <= 5; i++ {
			out = append(out, "customFields."+prefix+strconv.Itoa(i))
		}
	}
	return out
}

// unmappable explains why an Absorb field cannot be given a SCIM path, or
// returns "" when it can (or is unknown).
func unmappable(field string) string {
	switch strings.ToLower(field) {
	case "departmentid":
		return "the department comes from departmentAttributes and the absorb extension's departmentId"
	case "password":
		return "the password is governed by the password setting"
	case "id", "dateadded", "dateedited", "lastlogindate":
		return "it is read-only"
	case "roleids", "islearner", "isadmin", "isinstructor", "ismanager", "hasusername":
		return "it is managed in Absorb, not by the identity provider"
	}
	return ""
}

// kindOf returns the kind of a mappable field and its custom field key.
func kindOf(field string) (kind, string) {
	if key, ok := strings.CutPrefix(field, "customFields."); ok {
		switch {
		case strings.HasPrefix(key, "decimal"):
			return kindDecimal, key
		case strings.HasPrefix(key, "bool"):
			return kindBool, key
		}
		return kindString, key
	}
	switch field {
	case "ccEmailAddresses":
		return kindCC, ""
	case "activeStatus":
		return kindStatus, ""
	case "languageId":
		return kindLanguage, ""
	case "gender":
		return kindGender, ""
	}
	return kindString, ""
}

// stringField returns the address of an Absorb string field, or nil.
func stringField(u *absorbapi.User, field string) *string {
	switch field {
	case "username":
		return &u.Username
	case "firstName":
		return &u.FirstName
	case "middleName":
		return &u.MiddleName
	case "lastName":
		return &u.LastName
	case "emailAddress":
		return &u.EmailAddress
	case "externalId":
		return &u.ExternalID
	case "jobTitle":
		return &u.JobTitle
	case "phone":
		return &u.Phone
	case "employeeNumber":
		return &u.EmployeeNumber
	case "address":
		return &u.Address
	case "address2":
		return &u.Address2
	case "city":
		return &u.City
	case "postalCode":
		return &u.PostalCode
	case "provinceId":
		return &u.ProvinceID
	case "countryId":
		return &u.CountryID
	case "location":
		return &u.Location
	case "referenceNumber":
		return &u.ReferenceNumber
	case "notes":
		return &u.Notes
	case "dateHired":
		return &u.DateHired
	case "dateTerminated":
		return &u.DateTerminated
	case "supervisorId":
		return &u.SupervisorID
	}
	return nil
}

// customValue reads a custom field, matching its key case-insensitively.
func customValue(u *absorbapi.User, key string) any {
	v := scimdoc.Lookup(u.CustomFields, key)
	return v
}

// setCustom stores a custom field under key, dropping spellings of the same
// key in another case.
func setCustom(u *absorbapi.User, key string, v any) {
	if u.CustomFields == nil {
		u.CustomFields = map[string]any{}
	}
	for k := range u.CustomFields {
		if k != key && strings.EqualFold(k, key) {
			delete(u.CustomFields, k)
		}
	}
	u.CustomFields[key] = v
}

// clearCustom clears a custom field: an explicit null when it held a value,
// so that a replacing write clears it whatever Absorb does with omitted keys.
func clearCustom(u *absorbapi.User, key string) {
	held := false
	for k, v := range u.CustomFields {
		if strings.EqualFold(k, key) {
			held = held || v != nil
			delete(u.CustomFields, k)
		}
	}
	if held {
		u.CustomFields[key] = nil
	}
}

// customString renders a custom field value for comparison and display.
func customString(v any) string {
	if s, ok := toString(v); ok {
		return s
	}
	return typeName(v)
}

// cloneUser copies u so the copy shares no slice, map or pointer with it.
func cloneUser(u absorbapi.User) absorbapi.User {
	c := u
	if u.CCEmailAddresses != nil {
		c.CCEmailAddresses = append([]string(nil), u.CCEmailAddresses...)
	}
	if u.RoleIDs != nil {
		c.RoleIDs = append([]string(nil), u.RoleIDs...)
	}
	if u.CustomFields != nil {
		c.CustomFields = make(map[string]any, len(u.CustomFields))
		for k, v := range u.CustomFields {
			c.CustomFields[k] = v
		}
	}
	if u.LanguageID != nil {
		n := *u.LanguageID
		c.LanguageID = &n
	}
	if u.Gender != nil {
		n := *u.Gender
		c.Gender = &n
	}
	return c
}
