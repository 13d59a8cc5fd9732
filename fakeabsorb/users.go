package fakeabsorb

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode"
)

// userInput is the writable part of a user, as POST /users, PUT /users/{id}
// and each element of POST /users/upload send it. Unknown fields are ignored;
// read-only fields (dateAdded, dateEdited, lastLoginDate, isAdmin) are ignored
// too.
type userInput struct {
	ID               string         `json:"id"`
	DepartmentID     string         `json:"departmentId"`
	FirstName        string         `json:"firstName"`
	MiddleName       string         `json:"middleName"`
	LastName         string         `json:"lastName"`
	Username         string         `json:"username"`
	Password         string         `json:"password"`
	EmailAddress     string         `json:"emailAddress"`
	CCEmailAddresses []string       `json:"ccEmailAddresses"`
	ExternalID       string         `json:"externalId"`
	LanguageID       *int           `json:"languageId"`
	Gender           *int           `json:"gender"`
	Address          string         `json:"address"`
	Address2         string         `json:"address2"`
	City             string         `json:"city"`
	PostalCode       string         `json:"postalCode"`
	ProvinceID       string         `json:"provinceId"`
	CountryID        string         `json:"countryId"`
	Phone            string         `json:"phone"`
	EmployeeNumber   string         `json:"employeeNumber"`
	Location         string         `json:"location"`
	JobTitle         string         `json:"jobTitle"`
	ReferenceNumber  string         `json:"referenceNumber"`
	Notes            string         `json:"notes"`
	DateHired        string         `json:"dateHired"`
	DateTerminated   string         `json:"dateTerminated"`
	CustomFields     map[string]any `json:"customFields"`
	RoleIDs          []string       `json:"roleIds"`
	ActiveStatus     *int           `json:"activeStatus"`
	IsLearner        *bool          `json:"isLearner"`
	IsInstructor     *bool          `json:"isInstructor"`
	IsManager        *bool          `json:"isManager"`
	SupervisorID     string         `json:"supervisorId"`
	HasUsername      *bool          `json:"hasUsername"`
}

// msgPasswordPolicy explains the portal's "Strong" password policy.
const msgPasswordPolicy = "The Password field does not meet the password policy: at least 8 characters with an upper-case letter, a lower-case letter, a digit and a symbol."

// strongPassword reports whether p meets Absorb's "Strong" policy: at least 8
// characters with an upper-case letter, a lower-case letter, a digit and a
// symbol.
func strongPassword(p string) bool {
	var upper, lower, digit, symbol bool
	n := 0
	for _, r := range p {
		n++
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case !unicode.IsLetter(r):
			symbol = true
		}
	}
	return n >= 8 && upper && lower && digit && symbol
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// buildUser validates in and returns the user it describes: a new user when
// existing is nil, else a full replacement of existing (every writable field
// in omits is cleared to its default). unbound lists the values Absorb's
// model binding cannot read (a malformed id or date, a custom field of the
// wrong type), msgs every other validation failure.
func (s *Server) buildUser(c *call, in userInput, existing *User) (u User, unbound, msgs []string) {
	bad := func(format string, args ...any) { msgs = append(msgs, fmt.Sprintf(format, args...)) }
	unbindable := func(format string, args ...any) { unbound = append(unbound, fmt.Sprintf(format, args...)) }
	required := func(v, name string) {
		if strings.TrimSpace(v) == "" {
			bad("The %s field is required.", name)
		}
	}
	required(in.Username, "Username")
	if existing == nil {
		required(in.Password, "Password")
	}
	required(in.DepartmentID, "DepartmentId")
	required(in.FirstName, "FirstName")
	required(in.LastName, "LastName")

	if existing != nil {
		u.ID, u.DateAdded, u.LastLoginDate = existing.ID, existing.DateAdded, existing.LastLoginDate
		u.IsAdmin, u.password = existing.IsAdmin, existing.password
	}
	u.Username = strings.TrimSpace(in.Username)
	if in.Password != "" {
		if strongPassword(in.Password) {
			u.password = in.Password
		} else {
			bad(msgPasswordPolicy)
		}
	}
	if v := strings.TrimSpace(in.DepartmentID); v != "" {
		switch id, isGUID := parseGUID(v); {
		case !isGUID:
			unbindable("The value '%s' is not valid for DepartmentId.", v)
		case s.st.departments[id] == nil:
			bad("Department '%s' does not exist.", id)
		case !s.st.inScope(c.who.scope, id):
			bad("Department '%s' is outside the departments this administrator manages.", id)
		default:
			u.DepartmentID = id
		}
	}
	u.FirstName, u.MiddleName, u.LastName = in.FirstName, in.MiddleName, in.LastName
	u.EmailAddress, u.ExternalID = in.EmailAddress, in.ExternalID
	if u.EmailAddress != "" && !validEmail(u.EmailAddress) {
		bad("The EmailAddress field is not a valid e-mail address.")
	}
	if len(in.CCEmailAddresses) > 5 {
		bad("The field CcEmailAddresses must be a list with a maximum length of 5.")
	}
	for _, e := range in.CCEmailAddresses {
		if !validEmail(e) {
			bad("The value '%s' is not a valid e-mail address for CcEmailAddresses.", e)
		}
	}
	if len(in.CCEmailAddresses) > 0 {
		u.CCEmailAddresses = append([]string(nil), in.CCEmailAddresses...)
	}
	u.LanguageID = in.LanguageID
	if in.Gender != nil && (*in.Gender < 0 || *in.Gender > 2) {
		bad("The field Gender must be between 0 and 2.")
	}
	u.Gender = in.Gender
	u.Address, u.Address2, u.City, u.PostalCode = in.Address, in.Address2, in.City, in.PostalCode
	u.Phone, u.EmployeeNumber, u.Location, u.JobTitle = in.Phone, in.EmployeeNumber, in.Location, in.JobTitle
	u.ReferenceNumber, u.Notes = in.ReferenceNumber, in.Notes
	for _, g := range []struct {
		name string
		v    string
		dst  *string
	}{{"ProvinceId", in.ProvinceID, &u.ProvinceID}, {"CountryId", in.CountryID, &u.CountryID}, {"SupervisorId", in.SupervisorID, &u.SupervisorID}} {
		if strings.TrimSpace(g.v) == "" {
			continue
		}
		id, isGUID := parseGUID(g.v)
		if !isGUID {
			unbindable("The value '%s' is not valid for %s.", g.v, g.name)
			continue
		}
		*g.dst = id
	}
	if u.SupervisorID != "" {
		if _, found := s.st.users[u.SupervisorID]; !found || u.SupervisorID == u.ID {
			bad("Supervisor '%s' does not exist.", u.SupervisorID)
		}
	}
	for _, r := range in.RoleIDs {
		id, isGUID := parseGUID(r)
		if !isGUID {
			unbindable("The value '%s' is not valid for RoleIds.", r)
			continue
		}
		u.RoleIDs = append(u.RoleIDs, id)
	}
	for _, d := range []struct {
		name string
		v    string
		dst  *time.Time
	}{{"DateHired", in.DateHired, &u.DateHired}, {"DateTerminated", in.DateTerminated, &u.DateTerminated}} {
		if strings.TrimSpace(d.v) == "" {
			continue
		}
		t, isTime := parseDateTime(d.v)
		if !isTime {
			unbindable("The value '%s' is not valid for %s.", d.v, d.name)
			continue
		}
		*d.dst = t
	}
	if cf, cfMsgs := customFieldsFrom(in.CustomFields); len(cfMsgs) > 0 {
		unbound = append(unbound, cfMsgs...)
	} else {
		u.CustomFields = cf
	}
	if in.ActiveStatus != nil {
		if *in.ActiveStatus != 0 && *in.ActiveStatus != 1 {
			bad("The field ActiveStatus must be 0 (Active) or 1 (Inactive).")
		}
		u.ActiveStatus = *in.ActiveStatus
	}
	u.IsLearner = boolOr(in.IsLearner, true)
	u.HasUsername = boolOr(in.HasUsername, true)
	u.IsInstructor = boolOr(in.IsInstructor, false)
	u.IsManager = boolOr(in.IsManager, false)

	if u.Username != "" {
		if other := s.st.userByUsername(u.Username); other != nil && (existing == nil || other.ID != existing.ID) {
			bad("Username '%s' is already in use.", u.Username)
		}
	}
	return u, unbound, msgs
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

// customFieldsFrom keeps the known custom fields of in (unknown names are
// ignored, as Absorb's fixed customFields object ignores them) and checks the
// type of each value.
func customFieldsFrom(in map[string]any) (map[string]any, []string) {
	var msgs []string
	out := map[string]any{}
	for k, v := range in {
		name, k2, known := customField(k)
		if !known || v == nil {
			continue
		}
		valid := false
		switch k2 {
		case kindNumber:
			_, valid = v.(float64)
		case kindString:
			_, valid = v.(string)
		case kindBool:
			_, valid = v.(bool)
		case kindDateTime:
			if str, isString := v.(string); isString {
				if t, isTime := parseDateTime(str); isTime {
					v, valid = t, true
				}
			}
		}
		if !valid {
			msgs = append(msgs, fmt.Sprintf("The value for CustomFields.%s is not valid.", name))
			continue
		}
		out[name] = v
	}
	if len(out) == 0 {
		out = nil
	}
	return out, msgs
}

// readUserInput decodes the body of a user write. ok is false for a body
// that is not a JSON object (400); unbound names a value of a JSON type its
// field cannot take, which Absorb's model binding refuses (422).
func readUserInput(body []byte) (in userInput, unbound []string, ok bool) {
	err := json.Unmarshal(body, &in)
	var ute *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &ute) && ute.Field != "":
		unbound = append(unbound, fmt.Sprintf("The value for %s is not valid.", propertyName(ute.Field)))
	default:
		return userInput{}, nil, false
	}
	return in, unbound, true
}

// propertyName is a JSON member path as ASP.NET names the property:
// ccEmailAddresses is CcEmailAddresses.
func propertyName(path string) string {
	if path == "" {
		return path
	}
	return strings.ToUpper(path[:1]) + path[1:]
}

// refused is the 422 for a write that failed: Absorb's "Request Model
// Validation Error", then what could not be bound, when something could
// not; else the validation messages.
func refused(unbound, msgs []string) reply {
	if len(unbound) > 0 {
		return validation(append([]string{msgModelInvalid}, unbound...)...)
	}
	return validation(msgs...)
}

// createLocked stores the new user a body describes and returns it, or the
// answer that refuses it.
func (s *Server) createLocked(c *call, body []byte) (*User, *reply) {
	in, unbound, ok := readUserInput(body)
	if !ok {
		r := invalidRequest()
		return nil, &r
	}
	u, unbound2, msgs := s.buildUser(c, in, nil)
	if unbound = append(unbound, unbound2...); len(unbound) > 0 || len(msgs) > 0 {
		r := refused(unbound, msgs)
		return nil, &r
	}
	u.ID = newGUID()
	u.DateAdded, u.DateEdited = c.now, c.now
	s.st.putUser(&u)
	return &u, nil
}

// updateLocked writes what a body says over existing and returns the user
// written, or the answer that refuses it. Under put=replace the body
// replaces every writable field (what it omits is cleared); under put=merge
// what it omits is kept, and a field it sends as null or "" is cleared.
func (s *Server) updateLocked(c *call, existing *User, body []byte) (*User, *reply) {
	if s.variants.Put == putMerge {
		merged, ok := s.mergeUserBody(existing, body)
		if !ok {
			r := invalidRequest()
			return nil, &r
		}
		body = merged
	}
	in, unbound, ok := readUserInput(body)
	if !ok {
		r := invalidRequest()
		return nil, &r
	}
	u, unbound2, msgs := s.buildUser(c, in, existing)
	if unbound = append(unbound, unbound2...); len(unbound) > 0 || len(msgs) > 0 {
		r := refused(unbound, msgs)
		return nil, &r
	}
	u.DateEdited = c.now
	s.st.putUser(&u)
	return &u, nil
}

// mergeUserBody returns the body of a full replacement that keeps what body
// omits: existing's wire form with body's members laid over it (member
// names in any case; custom fields one by one). It reports false when body
// is not a JSON object.
func (s *Server) mergeUserBody(existing *User, body []byte) ([]byte, bool) {
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(body, &patch); err != nil || patch == nil {
		return nil, false
	}
	base := map[string]any{}
	for k, v := range existing.doc(s.dateLayout()) {
		base[k] = v
	}
	canonical := map[string]string{"password": "password"}
	for name := range userWire {
		canonical[strings.ToLower(name)] = name
	}
	for k, v := range patch {
		name, known := canonical[strings.ToLower(k)]
		if !known {
			base[k] = v
			continue
		}
		if name != "customFields" {
			base[name] = v
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(v, &fields); err != nil || fields == nil {
			base[name] = v // null clears them all; a wrong type is refused on binding
			continue
		}
		custom := map[string]any{}
		for ck, cv := range existing.doc(s.dateLayout())["customFields"].(map[string]any) {
			custom[ck] = cv
		}
		for ck, cv := range fields {
			if cname, _, isCustom := customField(ck); isCustom {
				ck = cname
			}
			custom[ck] = cv
		}
		base[name] = custom
	}
	merged, err := json.Marshal(base)
	return merged, err == nil
}

// listUsers is GET /users: the users in the admin's scope, with _filter,
// _sort, paging and the deprecated username, externalId, email and
// modifiedSince parameters.
func (s *Server) listUsers(c *call) reply {
	q := c.query()
	lq, bad := s.parseList(q, userFields, sortableUserFields)
	if bad != nil {
		return *bad
	}
	var preds []func(*User) bool
	for _, p := range []struct {
		param string
		field func(*User) string
	}{
		{"username", func(u *User) string { return u.Username }},
		{"externalId", func(u *User) string { return u.ExternalID }},
		{"email", func(u *User) string { return u.EmailAddress }},
	} {
		if v, found := q.get(p.param); found && v != "" {
			preds = append(preds, func(u *User) bool { return strings.EqualFold(p.field(u), v) })
		}
	}
	if v, found := q.get("modifiedSince"); found && v != "" {
		since, isTime := parseDateTime(v)
		if !isTime {
			return invalidFormat("modifiedSince")
		}
		preds = append(preds, func(u *User) bool { return !u.DateEdited.Before(since) })
	}
	var users []*User
	keep := func(u *User) {
		if !s.st.inScope(c.who.scope, u.DepartmentID) {
			return
		}
		for _, p := range preds {
			if !p(u) {
				return
			}
		}
		users = append(users, u)
	}
	if ids, narrowed := s.st.candidateUsers(lq.filter); narrowed {
		for _, id := range ids {
			keep(s.st.users[id])
		}
	} else {
		for _, u := range s.st.users {
			keep(u)
		}
	}
	return listed(lq, "users", users, func(u *User) (time.Time, string) { return u.DateAdded, u.ID }, func(u *User) record { return userRecord{u, s.dateLayout()} })
}

// visibleUser finds the user named by the path parameter id. It answers 422
// for a malformed id and 404 for an unknown id or one outside the admin's scope.
func (s *Server) visibleUser(c *call, param string) (*User, *reply) {
	id, isGUID := parseGUID(c.r.PathValue(param))
	if !isGUID {
		r := invalidFormat("userId")
		return nil, &r
	}
	u := s.st.user(id)
	if u == nil || !s.st.userVisible(c.who.scope, u) {
		r := notFound()
		return nil, &r
	}
	return u, nil
}

// getUser is GET /users/{id}.
func (s *Server) getUser(c *call) reply {
	u, bad := s.visibleUser(c, "id")
	if bad != nil {
		return *bad
	}
	return ok(http.StatusOK, u.doc(s.dateLayout()))
}

// createUser is POST /users: 201 {"id","username"} (or the bare id under
// answers=string), or 422 with validations. Under create=upsert a body
// whose username, else externalId, an existing account holds (in the
// admin's scope or not) updates that account instead, answered the same way.
func (s *Server) createUser(c *call) reply {
	var (
		u   *User
		bad *reply
	)
	if existing := s.upsertTarget(c.body); existing != nil {
		u, bad = s.updateLocked(c, existing, c.body)
	} else {
		u, bad = s.createLocked(c, c.body)
	}
	if bad != nil {
		return *bad
	}
	if s.variants.Answers == answersString {
		return ok(http.StatusCreated, u.ID)
	}
	return ok(http.StatusCreated, map[string]string{"id": u.ID, "username": u.Username})
}

// upsertTarget is the account a POST /users body updates under
// create=upsert: the holder of its username, else the first account (in
// Absorb's default order) holding its externalId; nil when there is none,
// or under create=strict.
func (s *Server) upsertTarget(body []byte) *User {
	if s.variants.Create != createUpsert {
		return nil
	}
	var in struct {
		Username   string `json:"username"`
		ExternalID string `json:"externalId"`
	}
	if json.Unmarshal(body, &in) != nil {
		return nil
	}
	if name := strings.TrimSpace(in.Username); name != "" {
		if u := s.st.userByUsername(name); u != nil {
			return u
		}
	}
	if in.ExternalID == "" {
		return nil
	}
	var found *User
	for _, u := range s.st.users {
		if strings.EqualFold(u.ExternalID, in.ExternalID) &&
			(found == nil || defaultOrder(u, found, func(u *User) (time.Time, string) { return u.DateAdded, u.ID }) < 0) {
			found = u
		}
	}
	if found == nil {
		return nil
	}
	return found.clone()
}

// replaceUser is PUT /users/{id}, answered with the whole user (or the bare
// id under answers=string). An unknown id, or one outside the admin's
// scope, is 404.
func (s *Server) replaceUser(c *call) reply {
	existing, bad := s.visibleUser(c, "id")
	if bad != nil {
		return *bad
	}
	u, bad := s.updateLocked(c, existing, c.body)
	if bad != nil {
		return *bad
	}
	if s.variants.Answers == answersString {
		return ok(http.StatusOK, u.ID)
	}
	return ok(http.StatusOK, u.doc(s.dateLayout()))
}
