package mapping

import (
	"sort"
	"strconv"
	"strings"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// Change is one Absorb field that differs between two users.
type Change struct {
	Field string `json:"field"` // Absorb JSON name; customFields.<name> for custom fields
	From  string `json:"from"`
	To    string `json:"to"`
}

// Diff lists the Absorb fields that differ between two users, with old and
// new values rendered as text, in the order of absorbapi.User's fields and
// then custom fields by name. The password is never compared or shown. A
// missing custom field and a null one are the same; lists are joined with
// ", ". Dates (dateHired, dateTerminated, the dates Absorb keeps and the
// datetime custom fields) are compared as instants: Absorb writes back
// "2024-03-01" as "2024-03-01T00:00:00", with or without a zone, and that
// is no change.
func Diff(before, after absorbapi.User) []Change {
	var out []Change
	add := func(field, from, to string) {
		if from != to {
			out = append(out, Change{Field: field, From: from, To: to})
		}
	}
	addDate := func(field, from, to string) {
		if !absorbapi.SameInstant(from, to) {
			out = append(out, Change{Field: field, From: from, To: to})
		}
	}
	add("id", before.ID, after.ID)
	add("departmentId", before.DepartmentID, after.DepartmentID)
	add("firstName", before.FirstName, after.FirstName)
	add("middleName", before.MiddleName, after.MiddleName)
	add("lastName", before.LastName, after.LastName)
	add("username", before.Username, after.Username)
	add("emailAddress", before.EmailAddress, after.EmailAddress)
	add("ccEmailAddresses", strings.Join(before.CCEmailAddresses, ", "), strings.Join(after.CCEmailAddresses, ", "))
	add("externalId", before.ExternalID, after.ExternalID)
	add("languageId", intText(before.LanguageID), intText(after.LanguageID))
	add("gender", intText(before.Gender), intText(after.Gender))
	add("address", before.Address, after.Address)
	add("address2", before.Address2, after.Address2)
	add("city", before.City, after.City)
	add("postalCode", before.PostalCode, after.PostalCode)
	add("provinceId", before.ProvinceID, after.ProvinceID)
	add("countryId", before.CountryID, after.CountryID)
	add("phone", before.Phone, after.Phone)
	add("employeeNumber", before.EmployeeNumber, after.EmployeeNumber)
	add("location", before.Location, after.Location)
	add("jobTitle", before.JobTitle, after.JobTitle)
	add("referenceNumber", before.ReferenceNumber, after.ReferenceNumber)
	add("notes", before.Notes, after.Notes)
	addDate("dateHired", before.DateHired, after.DateHired)
	addDate("dateTerminated", before.DateTerminated, after.DateTerminated)
	addDate("dateAdded", before.DateAdded, after.DateAdded)
	addDate("dateEdited", before.DateEdited, after.DateEdited)
	addDate("lastLoginDate", before.LastLoginDate, after.LastLoginDate)
	for _, k := range customKeys(before.CustomFields, after.CustomFields) {
		from, to := customText(before.CustomFields, k), customText(after.CustomFields, k)
		if isDateCustomField(k) {
			addDate("customFields."+k, from, to)
		} else {
			add("customFields."+k, from, to)
		}
	}
	add("roleIds", strings.Join(before.RoleIDs, ", "), strings.Join(after.RoleIDs, ", "))
	add("activeStatus", statusText(before.ActiveStatus), statusText(after.ActiveStatus))
	add("isLearner", strconv.FormatBool(before.IsLearner), strconv.FormatBool(after.IsLearner))
	add("isAdmin", strconv.FormatBool(before.IsAdmin), strconv.FormatBool(after.IsAdmin))
	add("isInstructor", strconv.FormatBool(before.IsInstructor), strconv.FormatBool(after.IsInstructor))
	add("isManager", strconv.FormatBool(before.IsManager), strconv.FormatBool(after.IsManager))
	add("supervisorId", before.SupervisorID, after.SupervisorID)
	add("hasUsername", strconv.FormatBool(before.HasUsername), strconv.FormatBool(after.HasUsername))
	return out
}

func intText(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func statusText(s absorbapi.ActiveStatus) string {
	switch s {
	case absorbapi.StatusActive:
		return "active"
	case absorbapi.StatusInactive:
		return "inactive"
	}
	return strconv.Itoa(int(s))
}

// customKeys returns the custom field keys of both maps, case-insensitively
// de-duplicated, sorted.
func customKeys(a, b map[string]any) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]any{a, b} {
		for k := range m {
			if l := strings.ToLower(k); !seen[l] {
				seen[l] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool { return strings.ToLower(keys[i]) < strings.ToLower(keys[j]) })
	return keys
}

func customText(m map[string]any, key string) string {
	v := scimdoc.Lookup(m, key)
	return customString(v)
}

// isDateCustomField reports whether a custom field key names one of
// Absorb's datetime custom fields (datetime1-5).
func isDateCustomField(key string) bool {
	return strings.HasPrefix(strings.ToLower(key), "datetime")
}

// isDateField reports whether a mappable Absorb field holds a date.
func isDateField(field string) bool {
	switch field {
	case "dateHired", "dateTerminated":
		return true
	}
	key, custom := strings.CutPrefix(field, "customFields.")
	return custom && isDateCustomField(key)
}
