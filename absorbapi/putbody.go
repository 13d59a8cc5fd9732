package absorbapi

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Whether Absorb's PUT /users/{id} clears the fields a body omits or keeps
// them is undocumented, so UpdateUser sends every writable field: a field u
// leaves empty is sent cleared, never omitted, and the write is the same
// whichever way the portal treats omissions.
var (
	// clearedAsEmpty are the text fields, cleared as "".
	clearedAsEmpty = []string{
		"middleName", "emailAddress", "externalId", "address", "address2", "city", "postalCode",
		"phone", "employeeNumber", "location", "jobTitle", "referenceNumber", "notes",
	}
	// clearedAsNull are the fields of other types (ids, dates, numbers),
	// cleared as null: "" is no date, id or number to bind.
	clearedAsNull = []string{"languageId", "gender", "provinceId", "countryId", "dateHired", "dateTerminated", "supervisorId"}
	// clearedAsList are the lists, cleared as [].
	clearedAsList = []string{"ccEmailAddresses", "roleIds"}
)

// customFieldNames are the custom fields every Absorb user has:
// decimal1..5, string1..30, datetime1..5, bool1..5.
var customFieldNames = func() []string {
	var names []string
	for _, f := range []struct {
		prefix string
		n      int
	}{{"decimal", 5}, {"string", 30}, {"datetime", 5}, {"bool", 5}} {
		for i := 1; i <= f.n; i++ {
			names = append(names, f.prefix+strconv.Itoa(i))
		}
	}
	return names
}()

// putBody is u as PUT /users/{id} and each element of POST /users/upload
// send it: its JSON with every writable
// field present, those u leaves empty cleared explicitly (custom fields u
// does not set as null). The password is sent only when set.
func putBody(u User) (map[string]any, error) {
	b, err := json.Marshal(u)
	if err != nil {
		return nil, fmt.Errorf("encode user: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("encode user: %w", err)
	}
	fill := func(names []string, cleared func() any) {
		for _, name := range names {
			if _, set := m[name]; !set {
				m[name] = cleared()
			}
		}
	}
	fill(clearedAsEmpty, func() any { return "" })
	fill(clearedAsNull, func() any { return nil })
	fill(clearedAsList, func() any { return []string{} })
	custom, _ := m["customFields"].(map[string]any)
	if custom == nil {
		custom = map[string]any{}
	}
	set := map[string]bool{}
	for k := range custom {
		set[lowerASCII(k)] = true
	}
	for _, name := range customFieldNames {
		if !set[name] {
			custom[name] = nil
		}
	}
	m["customFields"] = custom
	return m, nil
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
