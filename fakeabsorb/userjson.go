package fakeabsorb

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// The answers on the user paths are written by hand rather than by
// json.Marshal of a document: building a map of 37 members, boxing each value
// and sorting the keys by reflection cost more than the rest of a GET or a
// PUT. Each writer here gives the bytes json.Marshal gives for the document
// it stands for (userjson_test.go checks it against json.Marshal(u.doc())):
// members in sorted order, strings escaped as encoding/json escapes them
// (<, >, &, U+2028 and U+2029 as \u escapes, invalid UTF-8 as \ufffd), and
// numbers in its format.

// jsonAppender is an answer body that writes its own JSON.
type jsonAppender interface {
	// appendJSON appends the JSON of the body to b. It returns an error, and
	// b unchanged, when the body has no JSON form.
	appendJSON(b []byte) ([]byte, error)
}

var (
	_ jsonAppender = (*User)(nil)
	_ jsonAppender = userPage{}
	_ jsonAppender = createdUser{}
	_ jsonAppender = keyValues(nil)
)

// appendJSON appends the user's wire form, json.Marshal(u.doc()), to b. It
// returns json.Marshal's error, and b unchanged, when a custom field's value
// has no JSON form.
func (u *User) appendJSON(b []byte) ([]byte, error) {
	start := len(b)
	b = append(b, `{"activeStatus":`...)
	b = strconv.AppendInt(b, int64(u.ActiveStatus), 10)
	b = appendJSONNullable(append(b, `,"address":`...), u.Address)
	b = appendJSONNullable(append(b, `,"address2":`...), u.Address2)
	b = appendJSONList(append(b, `,"ccEmailAddresses":`...), u.CCEmailAddresses)
	b = appendJSONNullable(append(b, `,"city":`...), u.City)
	b = appendJSONNullable(append(b, `,"countryId":`...), u.CountryID)
	b = append(b, `,"customFields":`...)
	b, err := appendJSONCustomFields(b, u.CustomFields)
	if err != nil {
		return b[:start], err
	}
	b = appendJSONTime(append(b, `,"dateAdded":`...), u.DateAdded)
	b = appendJSONTime(append(b, `,"dateEdited":`...), u.DateEdited)
	b = appendJSONTime(append(b, `,"dateHired":`...), u.DateHired)
	b = appendJSONTime(append(b, `,"dateTerminated":`...), u.DateTerminated)
	b = appendJSONNullable(append(b, `,"departmentId":`...), u.DepartmentID)
	b = appendJSONNullable(append(b, `,"emailAddress":`...), u.EmailAddress)
	b = appendJSONNullable(append(b, `,"employeeNumber":`...), u.EmployeeNumber)
	b = appendJSONNullable(append(b, `,"externalId":`...), u.ExternalID)
	b = appendJSONNullable(append(b, `,"firstName":`...), u.FirstName)
	b = appendJSONIntOrNull(append(b, `,"gender":`...), u.Gender)
	b = strconv.AppendBool(append(b, `,"hasUsername":`...), u.HasUsername)
	b = appendJSONString(append(b, `,"id":`...), u.ID)
	b = strconv.AppendBool(append(b, `,"isAdmin":`...), u.IsAdmin)
	b = strconv.AppendBool(append(b, `,"isInstructor":`...), u.IsInstructor)
	b = strconv.AppendBool(append(b, `,"isLearner":`...), u.IsLearner)
	b = strconv.AppendBool(append(b, `,"isManager":`...), u.IsManager)
	b = appendJSONNullable(append(b, `,"jobTitle":`...), u.JobTitle)
	b = appendJSONIntOrNull(append(b, `,"languageId":`...), u.LanguageID)
	b = appendJSONTime(append(b, `,"lastLoginDate":`...), u.LastLoginDate)
	b = appendJSONNullable(append(b, `,"lastName":`...), u.LastName)
	b = appendJSONNullable(append(b, `,"location":`...), u.Location)
	b = appendJSONNullable(append(b, `,"middleName":`...), u.MiddleName)
	b = appendJSONNullable(append(b, `,"notes":`...), u.Notes)
	b = appendJSONNullable(append(b, `,"phone":`...), u.Phone)
	b = appendJSONNullable(append(b, `,"postalCode":`...), u.PostalCode)
	b = appendJSONNullable(append(b, `,"provinceId":`...), u.ProvinceID)
	b = appendJSONNullable(append(b, `,"referenceNumber":`...), u.ReferenceNumber)
	b = appendJSONList(append(b, `,"roleIds":`...), u.RoleIDs)
	b = appendJSONNullable(append(b, `,"supervisorId":`...), u.SupervisorID)
	b = appendJSONNullable(append(b, `,"username":`...), u.Username)
	return append(b, '}'), nil
}

// userPage is a page of GET /users: Absorb's list envelope, as
// listQuery.envelope builds it, with the page's users under "users". It holds
// the accounts themselves (immutable strings), not pointers into the store,
// so that it may be written after the Server's lock is released.
type userPage struct {
	limit, offset, total int
	users                []packedUser
}

// appendJSON appends the page's JSON to b. It returns an error, and b
// unchanged, when a user's custom field has no JSON form; it panics on an
// account that does not unpack, as mustUnpack does.
func (p userPage) appendJSON(b []byte) ([]byte, error) {
	start := len(b)
	b = slices.Grow(b, 1024*len(p.users)) // about the size of a user
	// The members in sorted order: limit, offset, returnedItems, totalItems, users.
	b = strconv.AppendInt(append(b, `{"limit":`...), int64(p.limit), 10)
	b = strconv.AppendInt(append(b, `,"offset":`...), int64(p.offset), 10)
	b = strconv.AppendInt(append(b, `,"returnedItems":`...), int64(len(p.users)), 10)
	b = strconv.AppendInt(append(b, `,"totalItems":`...), int64(p.total), 10)
	b = append(b, `,"users":[`...)
	for i, pu := range p.users {
		if i > 0 {
			b = append(b, ',')
		}
		u, err := unpackUser(pu)
		if err != nil {
			panic(err) // the store holds only what packUser wrote
		}
		if b, err = u.appendJSON(b); err != nil {
			return b[:start], err
		}
	}
	return append(b, "]}"...), nil
}

// createdUser is the answer of POST /users: {"id","username"}.
type createdUser struct{ id, username string }

func (c createdUser) appendJSON(b []byte) ([]byte, error) {
	b = appendJSONString(append(b, `{"id":`...), c.id)
	b = appendJSONString(append(b, `,"username":`...), c.username)
	return append(b, '}'), nil
}

// keyValues is the answer of POST /users/upload, a JSON array of keyValue.
type keyValues []keyValue

func (kvs keyValues) appendJSON(b []byte) ([]byte, error) {
	b = slices.Grow(b, 100*len(kvs)) // an id, a username and the punctuation
	b = append(b, '[')
	for i, kv := range kvs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(append(b, `{"key":`...), kv.Key)
		b = appendJSONString(append(b, `,"value":`...), kv.Value)
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// appendJSONNullable appends s as a JSON string, or null when it is empty, as
// json.Marshal(nullable(s)) writes it.
func appendJSONNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

// appendJSONIntOrNull appends json.Marshal(intOrNull(p)).
func appendJSONIntOrNull(b []byte, p *int) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, int64(*p), 10)
}

// appendJSONList appends json.Marshal(list(l)): [] for nil.
func appendJSONList(b []byte, l []string) []byte {
	b = append(b, '[')
	for i, s := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONTime appends json.Marshal(timeOrNull(t)). The time format writes
// only digits, '-', ':', 'T' and 'Z', none of which JSON escapes.
func appendJSONTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, timeFormat)
	return append(b, '"')
}

// appendJSONCustomFields appends json.Marshal(customDoc(m)): the members whose
// value is not nil, in sorted order. Strings, float64s and bools are written
// here; any other value as json.Marshal writes it, with its error.
func appendJSONCustomFields(b []byte, m map[string]any) ([]byte, error) {
	var arr [8]string
	keys := arr[:0]
	for k, v := range m {
		if v != nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, k), ':')
		switch v := m[k].(type) {
		case string:
			b = appendJSONString(b, v)
		case bool:
			b = strconv.AppendBool(b, v)
		case float64:
			if math.IsInf(v, 0) || math.IsNaN(v) {
				_, err := json.Marshal(v)
				return b, err
			}
			b = appendJSONFloat(b, v)
		default:
			enc, err := json.Marshal(v)
			if err != nil {
				return b, err
			}
			b = append(b, enc...)
		}
	}
	return append(b, '}'), nil
}

// appendJSONFloat appends a finite float64 as encoding/json writes it: like
// strconv's shortest 'f' form, but in 'e' form below 1e-6 and from 1e21 on,
// with a one-digit negative exponent not padded (1e-7, not 1e-07).
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// jsonSafe marks the ASCII bytes encoding/json writes as they are inside a
// string (with its HTML escaping, which json.Marshal uses): every printable
// byte and DEL but '"', '\\', '<', '>' and '&'.
var jsonSafe = func() (safe [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		safe[c] = true
	}
	for _, c := range `"\<>&` {
		safe[c] = false
	}
	return safe
}()

// appendJSONString appends s as a JSON string, escaped as json.Marshal
// escapes it.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // other control bytes, and <, > and &
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
