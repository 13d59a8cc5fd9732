package fakeabsorb

import (
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

// MarshalJSON writes the user in the Integration API's v2 shape, without the
// password. It returns json.Marshal's error for a custom field value that has
// no JSON form.
func (u User) MarshalJSON() ([]byte, error) {
	return u.appendJSON(nil)
}

// doc is the user's wire form, as a document: appendJSON writes the same
// bytes as json.Marshal of it, without building it.
func (u *User) doc() map[string]any {
	m := make(map[string]any, len(userWire))
	for name, value := range userWire {
		m[name] = value(u)
	}
	return m
}

// get is the value of one member of the user's wire form, for filters and
// sorts, without building the rest.
func (u *User) get(name string) any {
	if value, ok := userWire[name]; ok {
		return value(u)
	}
	return nil
}

// dateField is the time a date member of the wire form holds, and false
// for a member that is not a date.
func (u *User) dateField(name string) (time.Time, bool) {
	switch name {
	case "dateHired":
		return u.DateHired, true
	case "dateTerminated":
		return u.DateTerminated, true
	case "dateAdded":
		return u.DateAdded, true
	case "dateEdited":
		return u.DateEdited, true
	case "lastLoginDate":
		return u.LastLoginDate, true
	}
	return time.Time{}, false
}

// userWire gives each member of a user's wire form: every field present,
// unset ones null.
var userWire = map[string]func(*User) any{
	"id":               func(u *User) any { return u.ID },
	"departmentId":     func(u *User) any { return nullable(u.DepartmentID) },
	"firstName":        func(u *User) any { return nullable(u.FirstName) },
	"middleName":       func(u *User) any { return nullable(u.MiddleName) },
	"lastName":         func(u *User) any { return nullable(u.LastName) },
	"username":         func(u *User) any { return nullable(u.Username) },
	"emailAddress":     func(u *User) any { return nullable(u.EmailAddress) },
	"ccEmailAddresses": func(u *User) any { return list(u.CCEmailAddresses) },
	"externalId":       func(u *User) any { return nullable(u.ExternalID) },
	"languageId":       func(u *User) any { return intOrNull(u.LanguageID) },
	"gender":           func(u *User) any { return intOrNull(u.Gender) },
	"address":          func(u *User) any { return nullable(u.Address) },
	"address2":         func(u *User) any { return nullable(u.Address2) },
	"city":             func(u *User) any { return nullable(u.City) },
	"postalCode":       func(u *User) any { return nullable(u.PostalCode) },
	"provinceId":       func(u *User) any { return nullable(u.ProvinceID) },
	"countryId":        func(u *User) any { return nullable(u.CountryID) },
	"phone":            func(u *User) any { return nullable(u.Phone) },
	"employeeNumber":   func(u *User) any { return nullable(u.EmployeeNumber) },
	"location":         func(u *User) any { return nullable(u.Location) },
	"jobTitle":         func(u *User) any { return nullable(u.JobTitle) },
	"referenceNumber":  func(u *User) any { return nullable(u.ReferenceNumber) },
	"notes":            func(u *User) any { return nullable(u.Notes) },
	"dateHired":        func(u *User) any { return timeOrNull(u.DateHired) },
	"dateTerminated":   func(u *User) any { return timeOrNull(u.DateTerminated) },
	"dateAdded":        func(u *User) any { return timeOrNull(u.DateAdded) },
	"dateEdited":       func(u *User) any { return timeOrNull(u.DateEdited) },
	"lastLoginDate":    func(u *User) any { return timeOrNull(u.LastLoginDate) },
	"customFields":     func(u *User) any { return customDoc(u.CustomFields) },
	"roleIds":          func(u *User) any { return list(u.RoleIDs) },
	"activeStatus":     func(u *User) any { return u.ActiveStatus },
	"isLearner":        func(u *User) any { return u.IsLearner },
	"isAdmin":          func(u *User) any { return u.IsAdmin },
	"isInstructor":     func(u *User) any { return u.IsInstructor },
	"isManager":        func(u *User) any { return u.IsManager },
	"supervisorId":     func(u *User) any { return nullable(u.SupervisorID) },
	"hasUsername":      func(u *User) any { return u.HasUsername },
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

func (d *department) doc() map[string]any {
	return map[string]any{
		"id":         d.id,
		"name":       d.name,
		"parentId":   nullable(d.parentID),
		"externalId": nullable(d.externalID),
		"dateAdded":  timeOrNull(d.dateAdded),
		"dateEdited": timeOrNull(d.dateEdited),
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

func (c *course) doc() map[string]any {
	return map[string]any{
		"id":           c.id,
		"name":         c.name,
		"externalId":   nullable(c.externalID),
		"description":  nullable(c.description),
		"activeStatus": 0,
		"dateAdded":    timeOrNull(c.dateAdded),
		"dateEdited":   timeOrNull(c.dateEdited),
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
// Users are kept packed (see packedUser) in accounts, which only grows: an
// account's index never changes, and the indexes map to it. Read a user with
// user or userByUsername, which unpack a copy, and store a change with
// putUser.
type store struct {
	accounts    []packedUser
	byID        map[idKey]int32  // index in accounts, by id, for ids that are GUIDs in canonical form
	byOtherID   map[string]int32 // index in accounts, by id, for any other id
	byUsername  map[string]int32 // index in accounts, by usernameKey; keys share the accounts' bytes
	departments map[string]*department
	groups      map[string]*group
	courses     map[string]*course
	enrollments map[string]*enrollment
	admins      map[string]*admin // by user id
}

func newStore() *store {
	return &store{
		byID:        map[idKey]int32{},
		byOtherID:   map[string]int32{},
		byUsername:  map[string]int32{},
		departments: map[string]*department{},
		groups:      map[string]*group{},
		courses:     map[string]*course{},
		enrollments: map[string]*enrollment{},
		admins:      map[string]*admin{},
	}
}

// idKey is a user id as the index keys it when the id is a GUID in lower-case
// canonical form, as every id the fake makes is: its 16 bytes, which hold no
// pointer for the garbage collector to follow.
type idKey [16]byte

// idKeyOf returns the key of id, and false when id is not a GUID in
// lower-case canonical form (such an id is indexed by byOtherID).
func idKeyOf(id string) (idKey, bool) {
	var k idKey
	if len(id) != 36 {
		return k, false
	}
	for i, j := 0, 0; i < len(id); {
		switch i {
		case 8, 13, 18, 23:
			if id[i] != '-' {
				return k, false
			}
			i++
			continue
		}
		hi, ok1 := lowerHexDigit(id[i])
		lo, ok2 := lowerHexDigit(id[i+1])
		if !ok1 || !ok2 {
			return k, false
		}
		k[j] = hi<<4 | lo
		i, j = i+2, j+1
	}
	return k, true
}

func lowerHexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// index finds the account of the user with that id.
func (st *store) index(id string) (int32, bool) {
	if k, isKey := idKeyOf(id); isKey {
		i, found := st.byID[k]
		return i, found
	}
	i, found := st.byOtherID[id]
	return i, found
}

// account returns the packed account of the user with that id.
func (st *store) account(id string) (packedUser, bool) {
	i, found := st.index(id)
	if !found {
		return "", false
	}
	return st.accounts[i], true
}

// user returns a copy of the user with that id, or nil.
func (st *store) user(id string) *User {
	p, found := st.account(id)
	if !found {
		return nil
	}
	return p.mustUnpack()
}

// accountByUsername finds a user by username, case-insensitively, over the
// whole portal (whatever the caller's scope).
func (st *store) accountByUsername(name string) (packedUser, bool) {
	if i, found := st.byUsername[usernameKey(name)]; found && strings.EqualFold(st.accounts[i].username(), name) {
		return st.accounts[i], true
	}
	if isASCII(name) {
		return "", false // the index is exact for ASCII names
	}
	for _, p := range st.accounts {
		if strings.EqualFold(p.username(), name) {
			return p, true
		}
	}
	return "", false
}

// userByUsername is accountByUsername's user, unpacked, or nil.
func (st *store) userByUsername(name string) *User {
	p, found := st.accountByUsername(name)
	if !found {
		return nil
	}
	return p.mustUnpack()
}

// putUser stores u: a new account, or the replacement of the account with u's
// id, its username index moved when the username changed. It returns
// packUser's error.
func (st *store) putUser(u *User) error {
	p, err := packUser(u)
	if err != nil {
		return err
	}
	i, found := st.index(u.ID)
	if found {
		if k := usernameKey(st.accounts[i].username()); st.byUsername[k] == i {
			delete(st.byUsername, k)
		}
		st.accounts[i] = p
	} else {
		i = int32(len(st.accounts))
		st.accounts = append(st.accounts, p)
	}
	// The keys are taken from p, not u, so that they share p's bytes and keep
	// no other string alive (an assignment replaces an existing string key).
	if k, isKey := idKeyOf(p.id()); isKey {
		st.byID[k] = i
	} else {
		st.byOtherID[p.id()] = i
	}
	st.byUsername[usernameKey(p.username())] = i
	return nil
}

func usernameKey(name string) string { return strings.ToLower(name) }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

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
	p, found := st.account(id)
	return found && st.inScope(scope, p.departmentID())
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

// timeFormat is the output form of every date: RFC 3339, UTC, whole seconds.
const timeFormat = "2006-01-02T15:04:05Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

func customDoc(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = v
		}
	}
	return out
}
