package fakeabsorb

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// The bodies of user writes (POST /users, PUT /users/{id}, each element of
// POST /users/upload) are decoded by a hand-written parser for the shape
// clients send, and by encoding/json for anything else. The parser does not
// fail: when it meets something it does not handle it gives up, and the body
// is decoded by json.Unmarshal from the start, so answers and their failures
// are encoding/json's whatever the body. What it handles it decodes as
// json.Unmarshal does (userinput_test.go checks it against json.Unmarshal):
//
//   - one JSON object, with whitespace around its tokens;
//   - keys that are ASCII without escapes, each field named once, matched
//     exactly or, failing that, without regard to ASCII case (a non-ASCII
//     key can match a field under encoding/json's Unicode folding, and a
//     field named twice is merged in ways it gives up on);
//   - strings without escapes, in valid UTF-8 (encoding/json replaces invalid
//     bytes) and without control bytes (which are invalid);
//   - for the *int fields, integers in int's range; for the *bool fields,
//     true and false; null for any field (which leaves a string as it is and
//     sets the others to nil);
//   - lists of such strings, and custom fields whose keys are such strings
//     and whose values are such strings, numbers, true, false or null;
//   - unknown fields with any valid JSON value nested at most maxSkipDepth
//     deep.

// decodeUserInput is json.Unmarshal(data, in) for in pointing to the zero
// userInput: the same result, and an error exactly when json.Unmarshal
// returns one (it is json.Unmarshal's).
func decodeUserInput(data []byte, in *userInput) error {
	if decodeUserInputFast(data, in) {
		return nil
	}
	*in = userInput{} // the parser may have set some fields before it gave up
	return json.Unmarshal(data, in)
}

// userInput's fields, as the parser numbers them.
const (
	inID = iota
	inDepartmentID
	inFirstName
	inMiddleName
	inLastName
	inUsername
	inPassword
	inEmailAddress
	inCCEmailAddresses
	inExternalID
	inLanguageID
	inGender
	inAddress
	inAddress2
	inCity
	inPostalCode
	inProvinceID
	inCountryID
	inPhone
	inEmployeeNumber
	inLocation
	inJobTitle
	inReferenceNumber
	inNotes
	inDateHired
	inDateTerminated
	inCustomFields
	inRoleIDs
	inActiveStatus
	inIsLearner
	inIsInstructor
	inIsManager
	inSupervisorID
	inHasUsername
	numInputFields
)

// inputFieldNames are the JSON names of userInput's fields, by number.
var inputFieldNames = [numInputFields]string{
	inID: "id", inDepartmentID: "departmentId", inFirstName: "firstName", inMiddleName: "middleName",
	inLastName: "lastName", inUsername: "username", inPassword: "password", inEmailAddress: "emailAddress",
	inCCEmailAddresses: "ccEmailAddresses", inExternalID: "externalId", inLanguageID: "languageId",
	inGender: "gender", inAddress: "address", inAddress2: "address2", inCity: "city", inPostalCode: "postalCode",
	inProvinceID: "provinceId", inCountryID: "countryId", inPhone: "phone", inEmployeeNumber: "employeeNumber",
	inLocation: "location", inJobTitle: "jobTitle", inReferenceNumber: "referenceNumber", inNotes: "notes",
	inDateHired: "dateHired", inDateTerminated: "dateTerminated", inCustomFields: "customFields",
	inRoleIDs: "roleIds", inActiveStatus: "activeStatus", inIsLearner: "isLearner", inIsInstructor: "isInstructor",
	inIsManager: "isManager", inSupervisorID: "supervisorId", inHasUsername: "hasUsername",
}

// inputFieldsByName finds a field by its exact name, and inputFieldsByLower
// by its name in lower case.
var inputFieldsByName, inputFieldsByLower = func() (map[string]int, map[string]int) {
	exact, lower := make(map[string]int, numInputFields), make(map[string]int, numInputFields)
	for k, name := range inputFieldNames {
		exact[name] = k
		var b []byte
		for i := 0; i < len(name); i++ {
			b = append(b, asciiLower(name[i]))
		}
		lower[string(b)] = k
	}
	return exact, lower
}()

func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// inputField finds the field an ASCII key names as encoding/json does: by
// exact name, else by name without regard to case (for ASCII, its folding
// is ASCII's). It returns -1 for an unknown key.
func inputField(key string) int {
	if k, found := inputFieldsByName[key]; found {
		return k
	}
	var buf [32]byte
	if len(key) > len(buf) {
		return -1 // longer than any field's name
	}
	for i := 0; i < len(key); i++ {
		buf[i] = asciiLower(key[i])
	}
	if k, found := inputFieldsByLower[string(buf[:len(key)])]; found {
		return k
	}
	return -1
}

// maxSkipDepth is how deeply the value of an unknown field may nest for the
// parser to skip it (encoding/json allows 10,000 levels; deeper ones are
// left to it).
const maxSkipDepth = 32

// inputParser reads a body from the front; its methods report false for
// what it does not handle.
type inputParser struct {
	b string // the body: the strings decoded are parts of it, one allocation
	i int
}

// decodeUserInputFast decodes data into in, the zero userInput, when data is
// a body the parser handles, and reports whether it did; in may be partly
// set when it did not.
func decodeUserInputFast(data []byte, in *userInput) bool {
	p := inputParser{b: string(data)}
	p.space()
	if !p.byte('{') {
		return false
	}
	p.space()
	if !p.byte('}') {
		var seen uint64
		for {
			key, ascii, ok := p.plainString()
			if !ok || !ascii {
				return false
			}
			p.space()
			if !p.byte(':') {
				return false
			}
			p.space()
			if k := inputField(key); k < 0 {
				if !p.skipValue(1) {
					return false
				}
			} else {
				if seen&(1<<k) != 0 {
					return false
				}
				seen |= 1 << k
				if !p.field(in, k) {
					return false
				}
			}
			p.space()
			if p.byte('}') {
				break
			}
			if !p.byte(',') {
				return false
			}
			p.space()
		}
	}
	p.space()
	return p.i == len(p.b)
}

// field decodes the value of field k into in.
//
// As with encoding/json, null sets the pointers, slices and maps to nil
// (their readers take it) and leaves a string as it was.
func (p *inputParser) field(in *userInput, k int) bool {
	switch k {
	case inCCEmailAddresses:
		return p.stringList(&in.CCEmailAddresses)
	case inRoleIDs:
		return p.stringList(&in.RoleIDs)
	case inCustomFields:
		return p.customFields(&in.CustomFields)
	case inLanguageID:
		return p.int(&in.LanguageID)
	case inGender:
		return p.int(&in.Gender)
	case inActiveStatus:
		return p.int(&in.ActiveStatus)
	case inIsLearner:
		return p.bool(&in.IsLearner)
	case inIsInstructor:
		return p.bool(&in.IsInstructor)
	case inIsManager:
		return p.bool(&in.IsManager)
	case inHasUsername:
		return p.bool(&in.HasUsername)
	}
	if p.literal("null") {
		return true
	}
	s, ok := p.stringValue()
	if !ok {
		return false
	}
	*in.stringField(k) = s
	return true
}

// stringField is the string field k of in.
func (in *userInput) stringField(k int) *string {
	switch k {
	case inID:
		return &in.ID
	case inDepartmentID:
		return &in.DepartmentID
	case inFirstName:
		return &in.FirstName
	case inMiddleName:
		return &in.MiddleName
	case inLastName:
		return &in.LastName
	case inUsername:
		return &in.Username
	case inPassword:
		return &in.Password
	case inEmailAddress:
		return &in.EmailAddress
	case inExternalID:
		return &in.ExternalID
	case inAddress:
		return &in.Address
	case inAddress2:
		return &in.Address2
	case inCity:
		return &in.City
	case inPostalCode:
		return &in.PostalCode
	case inProvinceID:
		return &in.ProvinceID
	case inCountryID:
		return &in.CountryID
	case inPhone:
		return &in.Phone
	case inEmployeeNumber:
		return &in.EmployeeNumber
	case inLocation:
		return &in.Location
	case inJobTitle:
		return &in.JobTitle
	case inReferenceNumber:
		return &in.ReferenceNumber
	case inNotes:
		return &in.Notes
	case inDateHired:
		return &in.DateHired
	case inDateTerminated:
		return &in.DateTerminated
	case inSupervisorID:
		return &in.SupervisorID
	}
	panic("fakeabsorb: userInput field " + strconv.Itoa(k) + " is not a string")
}

// space skips JSON whitespace.
func (p *inputParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// byte consumes c if it comes next.
func (p *inputParser) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// literal consumes the literal s (true, false or null) if it comes next.
func (p *inputParser) literal(s string) bool {
	if len(p.b)-p.i >= len(s) && p.b[p.i:p.i+len(s)] == s {
		p.i += len(s)
		return true
	}
	return false
}

// plainString reads a string without escapes or control bytes, in valid
// UTF-8, and returns its content (what encoding/json decodes it to) and
// whether it is all ASCII.
func (p *inputParser) plainString() (s string, ascii, ok bool) {
	if !p.byte('"') {
		return "", false, false
	}
	start := p.i
	ascii = true
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			s = p.b[start:p.i]
			p.i++
			return s, ascii, ascii || utf8.ValidString(s)
		case c == '\\' || c < ' ':
			return "", false, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false, false
}

func (p *inputParser) stringValue() (string, bool) {
	s, _, ok := p.plainString()
	return s, ok
}

// int reads an integer in int's range, as encoding/json decodes into *int.
func (p *inputParser) int(dst **int) bool {
	if p.literal("null") {
		*dst = nil
		return true
	}
	start := p.i
	p.byte('-')
	switch {
	case p.byte('0'):
	case p.i < len(p.b) && '1' <= p.b[p.i] && p.b[p.i] <= '9':
		for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
			p.i++
		}
	default:
		return false
	}
	if p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return false // a number, but not one *int takes
	}
	n, err := strconv.ParseInt(p.b[start:p.i], 10, strconv.IntSize)
	if err != nil {
		return false
	}
	v := int(n)
	*dst = &v
	return true
}

func (p *inputParser) bool(dst **bool) bool {
	if p.literal("null") {
		*dst = nil
		return true
	}
	var v bool
	switch {
	case p.literal("true"):
		v = true
	case p.literal("false"):
	default:
		return false
	}
	*dst = &v
	return true
}

// stringList reads an array of strings: [] is an empty list, not nil.
func (p *inputParser) stringList(dst *[]string) bool {
	if p.literal("null") {
		*dst = nil
		return true
	}
	if !p.byte('[') {
		return false
	}
	l := []string{}
	p.space()
	if !p.byte(']') {
		for {
			s, ok := p.stringValue()
			if !ok {
				return false
			}
			l = append(l, s)
			p.space()
			if p.byte(']') {
				break
			}
			if !p.byte(',') {
				return false
			}
			p.space()
		}
	}
	*dst = l
	return true
}

// customFields reads an object of strings, numbers (as float64), booleans and
// nulls (kept as nil values), a later duplicate key replacing an earlier one.
func (p *inputParser) customFields(dst *map[string]any) bool {
	if p.literal("null") {
		*dst = nil
		return true
	}
	if !p.byte('{') {
		return false
	}
	m := map[string]any{}
	p.space()
	if !p.byte('}') {
		for {
			key, _, ok := p.plainString()
			if !ok {
				return false
			}
			p.space()
			if !p.byte(':') {
				return false
			}
			p.space()
			var v any
			switch c := p.peek(); {
			case c == '"':
				s, ok := p.stringValue()
				if !ok {
					return false
				}
				v = s
			case c == '-' || '0' <= c && c <= '9':
				start := p.i
				if !p.number() {
					return false
				}
				f, err := strconv.ParseFloat(p.b[start:p.i], 64)
				if err != nil {
					return false // out of range: encoding/json fails
				}
				v = f
			case p.literal("true"):
				v = true
			case p.literal("false"):
				v = false
			case p.literal("null"):
			default:
				return false
			}
			m[key] = v
			p.space()
			if p.byte('}') {
				break
			}
			if !p.byte(',') {
				return false
			}
			p.space()
		}
	}
	*dst = m
	return true
}

// peek returns the next byte, or 0 at the end.
func (p *inputParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *inputParser) number() bool {
	p.byte('-')
	switch {
	case p.byte('0'):
	case p.digits() == 0:
		return false
	}
	if p.byte('.') && p.digits() == 0 {
		return false
	}
	if p.byte('e') || p.byte('E') {
		if !p.byte('+') {
			p.byte('-')
		}
		if p.digits() == 0 {
			return false
		}
	}
	return true
}

// digits reads decimal digits and returns how many.
func (p *inputParser) digits() int {
	start := p.i
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}

// skipValue passes over any valid JSON value at nesting depth (the object
// or array it is in counts as 1), nested at most maxSkipDepth deep.
func (p *inputParser) skipValue(depth int) bool {
	switch c := p.peek(); {
	case c == '"':
		return p.skipString()
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	case c == '{' || c == '[':
		if depth >= maxSkipDepth {
			return false
		}
		p.i++
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		p.space()
		if p.byte(closing) {
			return true
		}
		for {
			if c == '{' {
				if !p.skipString() {
					return false
				}
				p.space()
				if !p.byte(':') {
					return false
				}
				p.space()
			}
			if !p.skipValue(depth + 1) {
				return false
			}
			p.space()
			if p.byte(closing) {
				return true
			}
			if !p.byte(',') {
				return false
			}
			p.space()
		}
	default:
		return p.literal("true") || p.literal("false") || p.literal("null")
	}
}

// skipString passes over a valid JSON string: escapes are checked, control
// bytes refused, and other bytes, valid UTF-8 or not, taken as they are.
func (p *inputParser) skipString() bool {
	if !p.byte('"') {
		return false
	}
	for p.i < len(p.b) {
		c := p.b[p.i]
		p.i++
		switch {
		case c == '"':
			return true
		case c < ' ':
			return false
		case c == '\\':
			switch p.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				p.i++
				for range 4 {
					if !isHex(p.peek()) {
						return false
					}
					p.i++
				}
			default:
				return false
			}
		}
	}
	return false
}

// splitUpload returns the elements of a JSON array, as json.Unmarshal into
// []json.RawMessage gives them, for the arrays inputParser handles, and false
// for anything else.
func splitUpload(data []byte) ([]json.RawMessage, bool) {
	p := inputParser{b: string(data)}
	p.space()
	if !p.byte('[') {
		return nil, false
	}
	elems := []json.RawMessage{}
	p.space()
	if !p.byte(']') {
		for {
			start := p.i
			if !p.skipValue(1) {
				return nil, false
			}
			elems = append(elems, data[start:p.i:p.i])
			p.space()
			if p.byte(']') {
				break
			}
			if !p.byte(',') {
				return nil, false
			}
			p.space()
		}
	}
	p.space()
	return elems, p.i == len(p.b)
}
