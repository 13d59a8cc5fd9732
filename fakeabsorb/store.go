package fakeabsorb

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// User is an Absorb user as the fake holds it. Its JSON form (MarshalJSON) is
// the Integration API's v2 user: every field present, unset ones null. The
// password is kept unexported and never leaves the fake.
type User struct {
	ID               string
	DepartmentID     string
	FirstName        string
	MiddleName       string
	LastName         string
	Username         string
	EmailAddress     string
	CCEmailAddresses []string
	ExternalID       string
	LanguageID       *int
	Gender           *int
	Address          string
	Address2         string
	City             string
	PostalCode       string
	ProvinceID       string
	CountryID        string
	Phone            string
	EmployeeNumber   string
	Location         string
	JobTitle         string
	ReferenceNumber  string
	Notes            string
	DateHired        time.Time // zero when unset
	DateTerminated   time.Time // zero when unset
	DateAdded        time.Time
	DateEdited       time.Time
	LastLoginDate    time.Time // zero until the user logs in
	CustomFields     map[string]any
	RoleIDs          []string
	ActiveStatus     int // 0 Active, 1 Inactive
	IsLearner        bool
	IsAdmin          bool
	IsInstructor     bool
	IsManager        bool
	SupervisorID     string
	HasUsername      bool

	password string
}

// MarshalJSON writes the user in the Integration API's v2 shape, with the
// default dates, without the password. It returns json.Marshal's error for
// a custom field value that has no JSON form.
func (u User) MarshalJSON() ([]byte, error) {
	return json.Marshal(u.doc(rfc3339Layout))
}

// doc is the user's wire form, its dates written with layout.
func (u *User) doc(layout string) map[string]any {
	m := make(map[string]any, len(userWire))
	for name, value := range userWire {
		m[name] = value(u, layout)
	}
	return m
}

// userWire gives each member of a user's wire form: every field present,
// unset ones null.
var userWire = map[string]func(u *User, layout string) any{
	"id":               func(u *User, layout string) any { return u.ID },
	"departmentId":     func(u *User, layout string) any { return nullable(u.DepartmentID) },
	"firstName":        func(u *User, layout string) any { return nullable(u.FirstName) },
	"middleName":       func(u *User, layout string) any { return nullable(u.MiddleName) },
	"lastName":         func(u *User, layout string) any { return nullable(u.LastName) },
	"username":         func(u *User, layout string) any { return nullable(u.Username) },
	"emailAddress":     func(u *User, layout string) any { return nullable(u.EmailAddress) },
	"ccEmailAddresses": func(u *User, layout string) any { return list(u.CCEmailAddresses) },
	"externalId":       func(u *User, layout string) any { return nullable(u.ExternalID) },
	"languageId":       func(u *User, layout string) any { return intOrNull(u.LanguageID) },
	"gender":           func(u *User, layout string) any { return intOrNull(u.Gender) },
	"address":          func(u *User, layout string) any { return nullable(u.Address) },
	"address2":         func(u *User, layout string) any { return nullable(u.Address2) },
	"city":             func(u *User, layout string) any { return nullable(u.City) },
	"postalCode":       func(u *User, layout string) any { return nullable(u.PostalCode) },
	"provinceId":       func(u *User, layout string) any { return nullable(u.ProvinceID) },
	"countryId":        func(u *User, layout string) any { return nullable(u.CountryID) },
	"phone":            func(u *User, layout string) any { return nullable(u.Phone) },
	"employeeNumber":   func(u *User, layout string) any { return nullable(u.EmployeeNumber) },
	"location":         func(u *User, layout string) any { return nullable(u.Location) },
	"jobTitle":         func(u *User, layout string) any { return nullable(u.JobTitle) },
	"referenceNumber":  func(u *User, layout string) any { return nullable(u.ReferenceNumber) },
	"notes":            func(u *User, layout string) any { return nullable(u.Notes) },
	"dateHired":        func(u *User, layout string) any { return timeOrNull(u.DateHired, layout) },
	"dateTerminated":   func(u *User, layout string) any { return timeOrNull(u.DateTerminated, layout) },
	"dateAdded":        func(u *User, layout string) any { return timeOrNull(u.DateAdded, layout) },
	"dateEdited":       func(u *User, layout string) any { return timeOrNull(u.DateEdited, layout) },
	"lastLoginDate":    func(u *User, layout string) any { return timeOrNull(u.LastLoginDate, layout) },
	"customFields":     func(u *User, layout string) any { return customDoc(u.CustomFields, layout) },
	"roleIds":          func(u *User, layout string) any { return list(u.RoleIDs) },
	"activeStatus":     func(u *User, layout string) any { return u.ActiveStatus },
	"isLearner":        func(u *User, layout string) any { return u.IsLearner },
	"isAdmin":          func(u *User, layout string) any { return u.IsAdmin },
	"isInstructor":     func(u *User, layout string) any { return u.IsInstructor },
	"isManager":        func(u *User, layout string) any { return u.IsManager },
	"supervisorId":     func(u *User, layout string) any { return nullable(u.SupervisorID) },
	"hasUsername":      func(u *User, layout string) any { return u.HasUsername },
}

// department is a node of the department tree.
type department struct {
	id         string
	name       string
	parentID   string // "" for the top department
	externalID string
	dateAdded  time.Time
	dateEdited time.Time
}

func (d *department) doc(layout string) map[string]any {
	return map[string]any{
		"id":         d.id,
		"name":       d.name,
		"parentId":   nullable(d.parentID),
		"externalId": nullable(d.externalID),
		"dateAdded":  timeOrNull(d.dateAdded, layout),
		"dateEdited": timeOrNull(d.dateEdited, layout),
	}
}

// group is a read-only user group.
type group struct {
	id          string
	name        string
	isAutomatic bool
	userIDs     []string
	dateAdded   time.Time
	dateEdited  time.Time
}

// course is a course users can be enrolled in.
type course struct {
	id          string
	name        string
	externalID  string
	description string
	dateAdded   time.Time
	dateEdited  time.Time
}

func (c *course) doc(layout string) map[string]any {
	return map[string]any{
		"id":           c.id,
		"name":         c.name,
		"externalId":   nullable(c.externalID),
		"description":  nullable(c.description),
		"activeStatus": 0,
		"dateAdded":    timeOrNull(c.dateAdded, layout),
		"dateEdited":   timeOrNull(c.dateEdited, layout),
	}
}

// enrollment is a user's enrollment in a course.
type enrollment struct {
	id         string
	userID     string
	courseID   string
	status     int
	progress   float64
	dateAdded  time.Time
	dateEdited time.Time
}

// admin is an administrator account: an Absorb user who may log in to the API.
type admin struct {
	userID string
	scope  string // department whose subtree the admin manages; "" for the whole portal
}

// store holds the portal's data. The Server's mutex guards it.
//
// Users are kept by id as values: user and userByUsername return copies, and
// putUser stores one, so a handler never changes the store by accident.
type store struct {
	users      map[string]*User  // by id
	byUsername map[string]string // lower-case username → id
	// byExternalID: lower-case externalId → ids (not unique), for filters.
	byExternalID map[string][]string
	departments  map[string]*department
	groups       map[string]*group
	courses      map[string]*course
	enrollments  map[string]*enrollment
	admins       map[string]*admin // by user id
}

func newStore() *store {
	return &store{
		users:        map[string]*User{},
		byUsername:   map[string]string{},
		byExternalID: map[string][]string{},
		departments:  map[string]*department{},
		groups:       map[string]*group{},
		courses:      map[string]*course{},
		enrollments:  map[string]*enrollment{},
		admins:       map[string]*admin{},
	}
}

// user returns a copy of the user with that id, or nil.
func (st *store) user(id string) *User {
	u, found := st.users[id]
	if !found {
		return nil
	}
	return u.clone()
}

// userByUsername finds a user by username, case-insensitively, over the
// whole portal (whatever the caller's scope), and returns a copy, or nil.
func (st *store) userByUsername(name string) *User {
	if id, found := st.byUsername[usernameKey(name)]; found {
		return st.user(id)
	}
	return nil
}

// putUser stores a copy of u: a new user, or the replacement of the user
// with u's id, its index entries moved when the username or externalId
// changed.
func (st *store) putUser(u *User) {
	st.indexUser(st.users[u.ID], u)
	st.users[u.ID] = u.clone()
}

// clone returns a deep copy of u.
func (u *User) clone() *User {
	c := *u
	c.CCEmailAddresses = slices.Clone(u.CCEmailAddresses)
	c.RoleIDs = slices.Clone(u.RoleIDs)
	c.CustomFields = maps.Clone(u.CustomFields)
	if u.LanguageID != nil {
		v := *u.LanguageID
		c.LanguageID = &v
	}
	if u.Gender != nil {
		v := *u.Gender
		c.Gender = &v
	}
	return &c
}

// usernameKey folds a username for the index: Absorb compares usernames
// without regard to case.
func usernameKey(name string) string { return strings.ToLower(name) }

// inScope reports whether department deptID lies in the subtree rooted at
// scope ("" is the whole portal).
func (st *store) inScope(scope, deptID string) bool {
	if scope == "" {
		return true
	}
	for steps := 0; deptID != "" && steps <= len(st.departments); steps++ {
		if deptID == scope {
			return true
		}
		d, ok := st.departments[deptID]
		if !ok {
			return false
		}
		deptID = d.parentID
	}
	return false
}

// userVisible reports whether u is in the scope of an admin.
func (st *store) userVisible(scope string, u *User) bool {
	return st.inScope(scope, u.DepartmentID)
}

// userInScope reports whether the user with that id exists and is in the
// scope of an admin.
func (st *store) userInScope(scope, id string) bool {
	u, found := st.users[id]
	return found && st.inScope(scope, u.DepartmentID)
}

// topDepartment returns the id of the department without a parent.
func (st *store) topDepartment() string {
	for _, d := range st.departments {
		if d.parentID == "" {
			return d.id
		}
	}
	return ""
}

// ordered sorts records by dateAdded then id, Absorb's default list order.
func ordered[T any](items []T, key func(T) (time.Time, string)) []T {
	// The key is unique (ids are), so the order is total and need not be stable.
	slices.SortFunc(items, func(a, b T) int { return defaultOrder(a, b, key) })
	return items
}

// defaultOrder compares two records in Absorb's default list order: by
// dateAdded, then by id.
func defaultOrder[T any](a, b T, key func(T) (time.Time, string)) int {
	ta, ida := key(a)
	tb, idb := key(b)
	if c := ta.Compare(tb); c != 0 {
		return c
	}
	return strings.Compare(ida, idb)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func intOrNull(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func list(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// The layouts of dates on the wire: RFC 3339 in UTC with whole seconds
// (dates=rfc3339), or Absorb's own form, without a zone and with a fraction
// of up to three digits, trailing zeros dropped (dates=absorb).
const (
	rfc3339Layout = "2006-01-02T15:04:05Z"
	absorbLayout  = "2006-01-02T15:04:05.999"
)

func formatTime(t time.Time, layout string) string { return t.UTC().Format(layout) }

func timeOrNull(t time.Time, layout string) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t, layout)
}

// customDoc is the wire form of custom fields: the set ones, datetimes
// written with layout.
func customDoc(m map[string]any, layout string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch t := v.(type) {
		case nil:
		case time.Time:
			out[k] = formatTime(t, layout)
		default:
			out[k] = v
		}
	}
	return out
}
