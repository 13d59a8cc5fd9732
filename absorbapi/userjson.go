package absorbapi

import (
	"encoding/json"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// DecodeUser decodes the JSON object data into u exactly as
// json.Unmarshal(data, u) does, about three times as fast for the users
// Absorb answers and the bridge stores. Every write the bridge makes reads
// one back (Absorb's answer, and its local copy of the account), and
// encoding/json spends most of that time on reflection.
//
// The fast path takes what those documents hold: a flat object whose names
// are the User's own, with strings without escapes, integers, booleans,
// nulls, string arrays, and customFields of scalars. Anything else (another
// name or spelling, an escape, a nested customField, a u that is not the zero
// User, invalid JSON) is handed to encoding/json whole, so the result and any
// error are always its.
func DecodeUser(data []byte, u *User) error {
	if isZeroUser(u) {
		// One copy of the document: the fields are slices of it.
		d := userDecoder{data: string(data)}
		if d.object(u) && d.atEnd() {
			return nil
		}
		*u = User{}
	}
	return json.Unmarshal(data, u)
}

// isZeroUser reports whether u holds nothing, so decoding into it cannot
// merge with what it held.
func isZeroUser(u *User) bool { return reflect.ValueOf(u).Elem().IsZero() }

// userFields are the JSON names of User's fields and how the fast path reads
// each; a decoder's seen mask has one bit for each.
var userFields = []struct {
	name string
	read func(*userDecoder, *User) bool
}{
	{"id", str(func(u *User) *string { return &u.ID })},
	{"departmentId", str(func(u *User) *string { return &u.DepartmentID })},
	{"firstName", str(func(u *User) *string { return &u.FirstName })},
	{"middleName", str(func(u *User) *string { return &u.MiddleName })},
	{"lastName", str(func(u *User) *string { return &u.LastName })},
	{"username", str(func(u *User) *string { return &u.Username })},
	{"password", str(func(u *User) *string { return &u.Password })},
	{"emailAddress", str(func(u *User) *string { return &u.EmailAddress })},
	{"ccEmailAddresses", func(d *userDecoder, u *User) bool { return d.strings(&u.CCEmailAddresses) }},
	{"externalId", str(func(u *User) *string { return &u.ExternalID })},
	{"languageId", func(d *userDecoder, u *User) bool { return d.intPointer(&u.LanguageID) }},
	{"gender", func(d *userDecoder, u *User) bool { return d.intPointer(&u.Gender) }},
	{"address", str(func(u *User) *string { return &u.Address })},
	{"address2", str(func(u *User) *string { return &u.Address2 })},
	{"city", str(func(u *User) *string { return &u.City })},
	{"postalCode", str(func(u *User) *string { return &u.PostalCode })},
	{"provinceId", str(func(u *User) *string { return &u.ProvinceID })},
	{"countryId", str(func(u *User) *string { return &u.CountryID })},
	{"phone", str(func(u *User) *string { return &u.Phone })},
	{"employeeNumber", str(func(u *User) *string { return &u.EmployeeNumber })},
	{"location", str(func(u *User) *string { return &u.Location })},
	{"jobTitle", str(func(u *User) *string { return &u.JobTitle })},
	{"referenceNumber", str(func(u *User) *string { return &u.ReferenceNumber })},
	{"notes", str(func(u *User) *string { return &u.Notes })},
	{"dateHired", str(func(u *User) *string { return &u.DateHired })},
	{"dateTerminated", str(func(u *User) *string { return &u.DateTerminated })},
	{"dateAdded", str(func(u *User) *string { return &u.DateAdded })},
	{"dateEdited", str(func(u *User) *string { return &u.DateEdited })},
	{"lastLoginDate", str(func(u *User) *string { return &u.LastLoginDate })},
	{"customFields", func(d *userDecoder, u *User) bool { return d.scalars(&u.CustomFields) }},
	{"roleIds", func(d *userDecoder, u *User) bool { return d.strings(&u.RoleIDs) }},
	{"activeStatus", func(d *userDecoder, u *User) bool {
		n, ok := d.integer()
		u.ActiveStatus = ActiveStatus(n)
		return ok
	}},
	{"isLearner", boolean(func(u *User) *bool { return &u.IsLearner })},
	{"isAdmin", boolean(func(u *User) *bool { return &u.IsAdmin })},
	{"isInstructor", boolean(func(u *User) *bool { return &u.IsInstructor })},
	{"isManager", boolean(func(u *User) *bool { return &u.IsManager })},
	{"supervisorId", str(func(u *User) *string { return &u.SupervisorID })},
	{"hasUsername", boolean(func(u *User) *bool { return &u.HasUsername })},
}

func str(field func(*User) *string) func(*userDecoder, *User) bool {
	return func(d *userDecoder, u *User) bool {
		s, ok := d.str()
		*field(u) = s
		return ok
	}
}

func boolean(field func(*User) *bool) func(*userDecoder, *User) bool {
	return func(d *userDecoder, u *User) bool { return d.boolean(field(u)) }
}

var userFieldIndex = func() map[string]int {
	m := make(map[string]int, len(userFields))
	for i, f := range userFields {
		m[f.name] = i
	}
	return m
}()

// userDecoder is the fast path of DecodeUser. Its methods return false when
// the document is anything but what the fast path takes.
type userDecoder struct {
	data string
	off  int
}

func (d *userDecoder) space() {
	for d.off < len(d.data) {
		switch d.data[d.off] {
		case ' ', '\t', '\n', '\r':
			d.off++
		default:
			return
		}
	}
}

func (d *userDecoder) atEnd() bool {
	d.space()
	return d.off == len(d.data)
}

// next skips white space and consumes c.
func (d *userDecoder) next(c byte) bool {
	d.space()
	if d.off < len(d.data) && d.data[d.off] == c {
		d.off++
		return true
	}
	return false
}

func (d *userDecoder) peek() byte {
	d.space()
	if d.off < len(d.data) {
		return d.data[d.off]
	}
	return 0
}

// literal consumes word (null, true or false).
func (d *userDecoder) literal(word string) bool {
	d.space()
	if len(d.data)-d.off >= len(word) && d.data[d.off:d.off+len(word)] == word {
		d.off += len(word)
		return true
	}
	return false
}

// str reads a string with no escapes, no control characters and valid UTF-8.
func (d *userDecoder) str() (string, bool) {
	if !d.next('"') {
		return "", false
	}
	start := d.off
	ascii := true
	for ; d.off < len(d.data); d.off++ {
		c := d.data[d.off]
		switch {
		case c == '"':
			s := d.data[start:d.off]
			d.off++
			if !ascii && !utf8.ValidString(s) {
				return "", false // encoding/json replaces invalid bytes
			}
			return s, true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", false
}

// number reads a JSON number and returns its text.
func (d *userDecoder) number() (string, bool) {
	d.space()
	start := d.off
	if d.off < len(d.data) && d.data[d.off] == '-' {
		d.off++
	}
	digits := d.off
	for d.off < len(d.data) && d.data[d.off] >= '0' && d.data[d.off] <= '9' {
		d.off++
	}
	n := d.off - digits
	if n == 0 || (n > 1 && d.data[digits] == '0') {
		return "", false
	}
	if d.off < len(d.data) && d.data[d.off] == '.' {
		d.off++
		if !d.digits() {
			return "", false
		}
	}
	if d.off < len(d.data) && (d.data[d.off] == 'e' || d.data[d.off] == 'E') {
		d.off++
		if d.off < len(d.data) && (d.data[d.off] == '+' || d.data[d.off] == '-') {
			d.off++
		}
		if !d.digits() {
			return "", false
		}
	}
	return d.data[start:d.off], true
}

func (d *userDecoder) digits() bool {
	start := d.off
	for d.off < len(d.data) && d.data[d.off] >= '0' && d.data[d.off] <= '9' {
		d.off++
	}
	return d.off > start
}

// integer reads a number that encoding/json would store in an int.
func (d *userDecoder) integer() (int, bool) {
	s, ok := d.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, strconv.IntSize)
	return int(n), err == nil
}

// object reads the user object into u.
func (d *userDecoder) object(u *User) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	var seen uint64
	for {
		name, ok := d.str()
		if !ok || !d.next(':') {
			return false
		}
		i, known := userFieldIndex[name]
		if !known || seen&(1<<i) != 0 {
			return false // another spelling, an unknown name, or a repeat
		}
		seen |= 1 << i
		if !d.field(u, i) {
			return false
		}
		if d.next(',') {
			continue
		}
		return d.next('}')
	}
}

// field reads the value of the field with JSON name index i.
func (d *userDecoder) field(u *User, i int) bool {
	if d.peek() == 'n' {
		// null leaves a field as it is, and a nil pointer, slice or map
		// nil; activeStatus's own decoding reads it as 0, which it is.
		return d.literal("null")
	}
	return userFields[i].read(d, u)
}

// intPointer reads an integer into a new int.
func (d *userDecoder) intPointer(p **int) bool {
	n, ok := d.integer()
	*p = &n
	return ok
}

func (d *userDecoder) boolean(p *bool) bool {
	switch d.peek() {
	case 't':
		*p = true
		return d.literal("true")
	case 'f':
		*p = false
		return d.literal("false")
	}
	return false
}

// strings reads an array of strings; [] is an empty, non-nil slice.
func (d *userDecoder) strings(p *[]string) bool {
	if !d.next('[') {
		return false
	}
	list := []string{}
	if !d.next(']') {
		for {
			s, ok := d.str()
			if !ok {
				return false
			}
			list = append(list, s)
			if d.next(',') {
				continue
			}
			if !d.next(']') {
				return false
			}
			break
		}
	}
	*p = list
	return true
}

// scalars reads an object of strings, numbers (as float64), booleans and
// nulls, as encoding/json reads it into a map[string]any.
func (d *userDecoder) scalars(p *map[string]any) bool {
	if !d.next('{') {
		return false
	}
	m := map[string]any{}
	if !d.next('}') {
		for {
			key, ok := d.str()
			if !ok || !d.next(':') {
				return false
			}
			if _, repeated := m[key]; repeated {
				return false
			}
			switch c := d.peek(); {
			case c == '"':
				s, ok := d.str()
				if !ok {
					return false
				}
				m[key] = s
			case c == 'n':
				if !d.literal("null") {
					return false
				}
				m[key] = nil
			case c == 't' || c == 'f':
				var b bool
				if !d.boolean(&b) {
					return false
				}
				m[key] = b
			case c == '-' || c >= '0' && c <= '9':
				s, ok := d.number()
				if !ok {
					return false
				}
				f, err := strconv.ParseFloat(s, 64)
				if err != nil {
					return false
				}
				m[key] = f
			default:
				return false
			}
			if d.next(',') {
				continue
			}
			if !d.next('}') {
				return false
			}
			break
		}
	}
	*p = m
	return true
}
