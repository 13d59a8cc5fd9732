package fakeabsorb

import (
	"fmt"
	"strconv"
	"strings"
)

// kind is the type of a field or of a filter expression.
type kind int

const (
	kindString kind = iota
	kindGUID
	kindDateTime
	kindNumber
	kindBool
	kindNull
	kindList
	kindObject
)

func (k kind) String() string {
	switch k {
	case kindString:
		return "Edm.String"
	case kindGUID:
		return "Edm.Guid"
	case kindDateTime:
		return "Edm.DateTime"
	case kindNumber:
		return "Edm.Decimal"
	case kindBool:
		return "Edm.Boolean"
	case kindNull:
		return "null"
	case kindList:
		return "Collection"
	default:
		return "Complex"
	}
}

// fieldSet maps lower-case field names to their canonical name and kind, for
// one resource. A field of kindObject named customFields has the custom fields
// below it.
type fieldSet map[string]field

type field struct {
	name string
	kind kind
}

func newFieldSet(fields ...field) fieldSet {
	fs := make(fieldSet, len(fields))
	for _, f := range fields {
		fs[strings.ToLower(f.name)] = f
	}
	return fs
}

// fieldRef is a resolved field path, such as username or customFields/string1.
type fieldRef struct {
	path []string // canonical names
	kind kind
}

func (r fieldRef) String() string { return strings.Join(r.path, "/") }

// record is what filters and sorts read: the value a field has in the
// resource's document (nil when missing), and the document itself.
type record interface {
	get(name string) any
	doc() map[string]any
}

// docRecord is a record of an already built document.
type docRecord map[string]any

func (d docRecord) get(name string) any { return d[name] }
func (d docRecord) doc() map[string]any { return d }

// userRecord is a user as a record: a list filters and sorts every user in
// scope but writes only a page of them, so a member is read without the
// rest of the document being built.
type userRecord struct {
	u      *User
	layout string // of dates
}

func (r userRecord) get(name string) any {
	if value, ok := userWire[name]; ok {
		return value(r.u, r.layout)
	}
	return nil
}

func (r userRecord) doc() map[string]any { return r.u.doc(r.layout) }

// value reads the field from a record; missing values are nil.
func (r fieldRef) value(rec record) any {
	cur := rec.get(r.path[0])
	for _, p := range r.path[1:] {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

// resolve finds a field path case-insensitively; it returns an error naming the
// path when the resource has no such field.
func (fs fieldSet) resolve(path string) (fieldRef, error) {
	parts := strings.Split(path, "/")
	f, ok := fs[strings.ToLower(parts[0])]
	if !ok {
		return fieldRef{}, fmt.Errorf("could not find a property named '%s'", parts[0])
	}
	if len(parts) == 1 {
		return fieldRef{path: []string{f.name}, kind: f.kind}, nil
	}
	if f.kind != kindObject || len(parts) != 2 {
		return fieldRef{}, fmt.Errorf("could not find a property named '%s'", path)
	}
	name, k, ok := customField(parts[1])
	if !ok {
		return fieldRef{}, fmt.Errorf("could not find a property named '%s' on '%s'", parts[1], f.name)
	}
	return fieldRef{path: []string{f.name, name}, kind: k}, nil
}

// customField reports whether name (any case) is one of Absorb's custom user
// fields (decimal1-5, string1-30, datetime1-5, bool1-5) and returns its
// canonical name and kind.
func customField(name string) (string, kind, bool) {
	lower := strings.ToLower(name)
	for _, c := range []struct {
		prefix string
		max    int
		kind   kind
	}{
		{"decimal", 5, kindNumber},
		{"string", 30, kindString},
		{"datetime", 5, kindDateTime},
		{"bool", 5, kindBool},
	} {
		rest, ok := strings.CutPrefix(lower, c.prefix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > c.max || strconv.Itoa(n) != rest {
			return "", 0, false
		}
		return lower, c.kind, true
	}
	return "", 0, false
}

var userFields = newFieldSet(
	field{"id", kindGUID},
	field{"departmentId", kindGUID},
	field{"firstName", kindString},
	field{"middleName", kindString},
	field{"lastName", kindString},
	field{"username", kindString},
	field{"emailAddress", kindString},
	field{"ccEmailAddresses", kindList},
	field{"externalId", kindString},
	field{"languageId", kindNumber},
	field{"gender", kindNumber},
	field{"address", kindString},
	field{"address2", kindString},
	field{"city", kindString},
	field{"postalCode", kindString},
	field{"provinceId", kindGUID},
	field{"countryId", kindGUID},
	field{"phone", kindString},
	field{"employeeNumber", kindString},
	field{"location", kindString},
	field{"jobTitle", kindString},
	field{"referenceNumber", kindString},
	field{"notes", kindString},
	field{"dateHired", kindDateTime},
	field{"dateTerminated", kindDateTime},
	field{"dateAdded", kindDateTime},
	field{"dateEdited", kindDateTime},
	field{"lastLoginDate", kindDateTime},
	field{"customFields", kindObject},
	field{"roleIds", kindList},
	field{"activeStatus", kindNumber},
	field{"isLearner", kindBool},
	field{"isAdmin", kindBool},
	field{"isInstructor", kindBool},
	field{"isManager", kindBool},
	field{"supervisorId", kindGUID},
	field{"hasUsername", kindBool},
)

var departmentFields = newFieldSet(
	field{"id", kindGUID},
	field{"name", kindString},
	field{"parentId", kindGUID},
	field{"externalId", kindString},
	field{"dateAdded", kindDateTime},
	field{"dateEdited", kindDateTime},
)

var groupFields = newFieldSet(
	field{"id", kindGUID},
	field{"name", kindString},
	field{"isAutomatic", kindBool},
	field{"userIds", kindList},
	field{"dateAdded", kindDateTime},
	field{"dateEdited", kindDateTime},
)

var courseFields = newFieldSet(
	field{"id", kindGUID},
	field{"name", kindString},
	field{"externalId", kindString},
	field{"description", kindString},
	field{"activeStatus", kindNumber},
	field{"dateAdded", kindDateTime},
	field{"dateEdited", kindDateTime},
)

var enrollmentFields = newFieldSet(
	field{"id", kindGUID},
	field{"courseId", kindGUID},
	field{"courseName", kindString},
	field{"userId", kindGUID},
	field{"fullName", kindString},
	field{"status", kindNumber},
	field{"progress", kindNumber},
	field{"dateAdded", kindDateTime},
	field{"dateEdited", kindDateTime},
)
