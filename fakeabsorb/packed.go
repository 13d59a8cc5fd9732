package fakeabsorb

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"time"
)

// The store keeps each account packed, as one string, rather than as a *User.
// A User is a dozen or more heap objects (the struct, its strings, slices, map
// and *ints), all pointers the garbage collector follows; a portal of 100,000
// users held that way is about a million objects, and marking them on every
// cycle took a quarter to a third of the CPU of the demo, which holds the fake.
// A packed account is a single object with no pointers in it. Handlers work on
// a User unpacked from it, whose strings share the packed bytes (so an unpack
// is about one allocation), and pack it again to store a change; scans of
// every account read the few fields they need straight from the packed form.

// packedUser is a User in a compact binary form: its fields one after the
// other, in slot order.
//
//   - The five times come first, so that a scan finds dateAdded and
//     dateEdited without reading anything else: a byte whose bit k is set
//     when time slot k is not the zero time, then those times, 12 bytes
//     each: the seconds since the zero time (January 1, year 1, UTC) as a
//     little-endian uint64 and the nanoseconds as a little-endian uint32.
//     Times come back in UTC.
//   - An int is a varint; a bool a uvarint 0 or 1; a *int a uvarint 0 for nil,
//     or 1 followed by a varint.
//   - A string is a uvarint of its length, then its bytes.
//   - A []string is a uvarint 0 for nil, or 1 + its length followed by its
//     strings (so nil and empty both survive).
//   - The custom fields are a string holding their JSON, empty for a nil map:
//     their values are JSON values already, and few users have any.
//
// After the times, the fields a list or a lookup reads come first (id,
// departmentId, username, emailAddress, externalId), so reading them skips
// little.
//
// get and dateField take a pointer, so that a pointer into the store's slice
// of accounts is a record (for filters and sorts) without an allocation.
type packedUser string

// slot is a field of a packed account; the constants are in packed order.
type slot uint8

const (
	slotDateAdded slot = iota
	slotDateEdited
	slotLastLoginDate
	slotDateHired
	slotDateTerminated
	slotID
	slotDepartmentID
	slotUsername
	slotEmailAddress
	slotExternalID
	slotFirstName
	slotMiddleName
	slotLastName
	slotCCEmailAddresses
	slotLanguageID
	slotGender
	slotAddress
	slotAddress2
	slotCity
	slotPostalCode
	slotProvinceID
	slotCountryID
	slotPhone
	slotEmployeeNumber
	slotLocation
	slotJobTitle
	slotReferenceNumber
	slotNotes
	slotCustomFields
	slotRoleIDs
	slotActiveStatus
	slotIsLearner
	slotIsAdmin
	slotIsInstructor
	slotIsManager
	slotSupervisorID
	slotHasUsername
	slotPassword
	numSlots
)

// encoding is how a slot is written.
type encoding uint8

const (
	encString encoding = iota
	encTime
	encInt
	encBool
	encOptionalInt
	encList
	encJSON
)

// slots gives each slot its member of the wire form ("" for the password,
// which has none) and its encoding.
var slots = [numSlots]struct {
	name string
	enc  encoding
}{
	slotDateAdded:        {"dateAdded", encTime},
	slotDateEdited:       {"dateEdited", encTime},
	slotLastLoginDate:    {"lastLoginDate", encTime},
	slotDateHired:        {"dateHired", encTime},
	slotDateTerminated:   {"dateTerminated", encTime},
	slotID:               {"id", encString},
	slotDepartmentID:     {"departmentId", encString},
	slotUsername:         {"username", encString},
	slotEmailAddress:     {"emailAddress", encString},
	slotExternalID:       {"externalId", encString},
	slotFirstName:        {"firstName", encString},
	slotMiddleName:       {"middleName", encString},
	slotLastName:         {"lastName", encString},
	slotCCEmailAddresses: {"ccEmailAddresses", encList},
	slotLanguageID:       {"languageId", encOptionalInt},
	slotGender:           {"gender", encOptionalInt},
	slotAddress:          {"address", encString},
	slotAddress2:         {"address2", encString},
	slotCity:             {"city", encString},
	slotPostalCode:       {"postalCode", encString},
	slotProvinceID:       {"provinceId", encString},
	slotCountryID:        {"countryId", encString},
	slotPhone:            {"phone", encString},
	slotEmployeeNumber:   {"employeeNumber", encString},
	slotLocation:         {"location", encString},
	slotJobTitle:         {"jobTitle", encString},
	slotReferenceNumber:  {"referenceNumber", encString},
	slotNotes:            {"notes", encString},
	slotCustomFields:     {"customFields", encJSON},
	slotRoleIDs:          {"roleIds", encList},
	slotActiveStatus:     {"activeStatus", encInt},
	slotIsLearner:        {"isLearner", encBool},
	slotIsAdmin:          {"isAdmin", encBool},
	slotIsInstructor:     {"isInstructor", encBool},
	slotIsManager:        {"isManager", encBool},
	slotSupervisorID:     {"supervisorId", encString},
	slotHasUsername:      {"hasUsername", encBool},
	slotPassword:         {"", encString},
}

// slotOf finds the slot of a member of the wire form.
var slotOf = func() map[string]slot {
	m := make(map[string]slot, numSlots)
	for k, s := range slots {
		if s.name != "" {
			m[s.name] = slot(k)
		}
	}
	return m
}()

// timeSize is the size of a time that is set; the times are the slots before
// slotID.
const timeSize = 12

// zeroUnix is the Unix time of the zero time.Time.
var zeroUnix = time.Time{}.Unix()

// packUser packs u. It returns an error, wrapping encoding/json's, when a
// custom field's value has no JSON form.
func packUser(u *User) (packedUser, error) {
	var custom []byte
	if u.CustomFields != nil {
		var err error
		if custom, err = json.Marshal(u.CustomFields); err != nil {
			return "", fmt.Errorf("pack user %s: custom fields: %w", u.ID, err)
		}
	}
	times := [slotID]time.Time{
		slotDateAdded:      u.DateAdded,
		slotDateEdited:     u.DateEdited,
		slotLastLoginDate:  u.LastLoginDate,
		slotDateHired:      u.DateHired,
		slotDateTerminated: u.DateTerminated,
	}
	var set byte
	for k, t := range times {
		if !t.IsZero() {
			set |= 1 << k
		}
	}
	b := make([]byte, 0, 1+len(times)*timeSize+128+len(u.Notes)+len(custom))
	b = append(b, set)
	for _, t := range times {
		if !t.IsZero() {
			b = binary.LittleEndian.AppendUint64(b, uint64(t.Unix()-zeroUnix))
			b = binary.LittleEndian.AppendUint32(b, uint32(t.Nanosecond()))
		}
	}
	b = appendString(b, u.ID)
	b = appendString(b, u.DepartmentID)
	b = appendString(b, u.Username)
	b = appendString(b, u.EmailAddress)
	b = appendString(b, u.ExternalID)
	b = appendString(b, u.FirstName)
	b = appendString(b, u.MiddleName)
	b = appendString(b, u.LastName)
	b = appendList(b, u.CCEmailAddresses)
	b = appendOptionalInt(b, u.LanguageID)
	b = appendOptionalInt(b, u.Gender)
	b = appendString(b, u.Address)
	b = appendString(b, u.Address2)
	b = appendString(b, u.City)
	b = appendString(b, u.PostalCode)
	b = appendString(b, u.ProvinceID)
	b = appendString(b, u.CountryID)
	b = appendString(b, u.Phone)
	b = appendString(b, u.EmployeeNumber)
	b = appendString(b, u.Location)
	b = appendString(b, u.JobTitle)
	b = appendString(b, u.ReferenceNumber)
	b = appendString(b, u.Notes)
	b = appendString(b, string(custom))
	b = appendList(b, u.RoleIDs)
	b = binary.AppendVarint(b, int64(u.ActiveStatus))
	b = appendBool(b, u.IsLearner)
	b = appendBool(b, u.IsAdmin)
	b = appendBool(b, u.IsInstructor)
	b = appendBool(b, u.IsManager)
	b = appendString(b, u.SupervisorID)
	b = appendBool(b, u.HasUsername)
	b = appendString(b, u.password)
	return packedUser(b), nil // a copy the size of the account: b's spare capacity is left behind
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendOptionalInt(b []byte, p *int) []byte {
	if p == nil {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), int64(*p))
}

func appendList(b []byte, l []string) []byte {
	if l == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(l))+1)
	for _, s := range l {
		b = appendString(b, s)
	}
	return b
}

// unpackUser is the User p holds; its strings share p's bytes. It returns an
// error wrapping errPacked when p is not a packed account, or encoding/json's
// when its custom fields do not decode.
func unpackUser(p packedUser) (User, error) {
	r := p.seek(slotID)
	var u User
	u.DateAdded = p.time(slotDateAdded)
	u.DateEdited = p.time(slotDateEdited)
	u.LastLoginDate = p.time(slotLastLoginDate)
	u.DateHired = p.time(slotDateHired)
	u.DateTerminated = p.time(slotDateTerminated)
	u.ID = r.string()
	u.DepartmentID = r.string()
	u.Username = r.string()
	u.EmailAddress = r.string()
	u.ExternalID = r.string()
	u.FirstName = r.string()
	u.MiddleName = r.string()
	u.LastName = r.string()
	u.CCEmailAddresses = r.list()
	u.LanguageID = r.optionalInt()
	u.Gender = r.optionalInt()
	u.Address = r.string()
	u.Address2 = r.string()
	u.City = r.string()
	u.PostalCode = r.string()
	u.ProvinceID = r.string()
	u.CountryID = r.string()
	u.Phone = r.string()
	u.EmployeeNumber = r.string()
	u.Location = r.string()
	u.JobTitle = r.string()
	u.ReferenceNumber = r.string()
	u.Notes = r.string()
	custom := r.string()
	u.RoleIDs = r.list()
	u.ActiveStatus = int(r.varint())
	u.IsLearner = r.bool()
	u.IsAdmin = r.bool()
	u.IsInstructor = r.bool()
	u.IsManager = r.bool()
	u.SupervisorID = r.string()
	u.HasUsername = r.bool()
	u.password = r.string()
	if r.err == nil && r.i != len(r.s) {
		r.err = fmt.Errorf("%w: %d bytes left over", errPacked, len(r.s)-r.i)
	}
	if r.err != nil {
		return User{}, fmt.Errorf("unpack user: %w", r.err)
	}
	if custom != "" {
		var m map[string]any // not &u.CustomFields, which would move u to the heap
		if err := json.Unmarshal([]byte(custom), &m); err != nil {
			return User{}, fmt.Errorf("unpack user %s: custom fields: %w", u.ID, err)
		}
		u.CustomFields = m
	}
	return u, nil
}

// mustUnpack is unpackUser for accounts the store holds, which packUser wrote:
// one that does not unpack is a bug in this file, so it panics rather than
// answer with a made-up user.
func (p packedUser) mustUnpack() *User {
	u, err := unpackUser(p)
	if err != nil {
		panic(err)
	}
	return &u
}

// str reads string slot k without unpacking the rest.
func (p packedUser) str(k slot) string { r := p.seek(k); return r.string() }

// time reads time slot k: the zero time when it is unset, or when p is too
// short to hold it.
func (p packedUser) time(k slot) time.Time {
	sec, nsec, set := p.unixTime(k)
	if !set {
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// unixTime reads time slot k as p.time does, in parts: the Unix seconds and
// the nanoseconds, and false for the zero time.
func (p packedUser) unixTime(k slot) (sec int64, nsec uint32, set bool) {
	if k >= slotID || len(p) == 0 || p[0]&(1<<k) == 0 {
		return 0, 0, false
	}
	at := 1 + timeSize*bits.OnesCount8(p[0]&(1<<k-1)) // after the set times before it
	if len(p) < at+timeSize {
		return 0, 0, false
	}
	return int64(le64(string(p[at:]))) + zeroUnix, le32(string(p[at+8:])), true
}

func (p packedUser) id() string           { return p.str(slotID) }
func (p packedUser) departmentID() string { return p.str(slotDepartmentID) }
func (p packedUser) username() string     { return p.str(slotUsername) }

// get is the value of one member of the wire form, as (*User).get gives it,
// read from the packed bytes: filters and sorts over every account call it.
func (p *packedUser) get(name string) any {
	k, found := slotOf[name]
	if !found {
		return nil
	}
	if slots[k].enc == encTime {
		return timeOrNull(p.time(k))
	}
	r := p.seek(k)
	switch slots[k].enc {
	case encString:
		if k == slotID {
			return r.string()
		}
		return nullable(r.string())
	case encInt:
		return int(r.varint())
	case encBool:
		return r.bool()
	case encOptionalInt:
		return intOrNull(r.optionalInt())
	case encList:
		return list(r.list())
	default: // the custom fields
		var m map[string]any
		if s := r.string(); s != "" {
			_ = json.Unmarshal([]byte(s), &m) // packUser wrote it; on a failure the member is {}
		}
		return customDoc(m)
	}
}

// dateField is the time a date member of the wire form holds, and false for a
// member that is not a date.
func (p *packedUser) dateField(name string) (time.Time, bool) {
	var k slot
	switch name { // not slotOf: a filter on a date calls this for every account
	case "dateAdded":
		k = slotDateAdded
	case "dateEdited":
		k = slotDateEdited
	case "lastLoginDate":
		k = slotLastLoginDate
	case "dateHired":
		k = slotDateHired
	case "dateTerminated":
		k = slotDateTerminated
	default:
		return time.Time{}, false
	}
	return p.time(k), true
}

// seek returns a reader at slot k of p, which follows the times.
func (p packedUser) seek(k slot) reader {
	r := reader{s: string(p)}
	if len(p) == 0 || len(p) < 1+timeSize*bits.OnesCount8(p[0]) {
		r.err = fmt.Errorf("%w: %d bytes is too short", errPacked, len(p))
		return r
	}
	r.i = 1 + timeSize*bits.OnesCount8(p[0])
	for s := slotID; s < k; s++ {
		r.skip(slots[s].enc)
	}
	return r
}

// errPacked marks every error of reading a packed account.
var errPacked = errors.New("malformed packed user")

// reader reads a packed account from the front. Its first error sticks: every
// later read returns a zero value.
type reader struct {
	s   string
	i   int
	err error
}

func (r *reader) uvarint() uint64 {
	var v uint64
	for shift := 0; r.err == nil; shift += 7 {
		if r.i >= len(r.s) || shift > 63 {
			r.err = fmt.Errorf("%w: bad varint at byte %d", errPacked, r.i)
			break
		}
		c := r.s[r.i]
		r.i++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	return 0
}

// varint reads a zig-zag varint, as binary.AppendVarint writes it.
func (r *reader) varint() int64 {
	u := r.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.s)-r.i) {
		r.err = fmt.Errorf("%w: string of %d bytes at byte %d runs past the end", errPacked, n, r.i)
		return ""
	}
	s := r.s[r.i : r.i+int(n)]
	r.i += int(n)
	return s
}

func (r *reader) bool() bool { return r.uvarint() != 0 }

func (r *reader) optionalInt() *int {
	if r.uvarint() == 0 {
		return nil
	}
	v := int(r.varint())
	if r.err != nil {
		return nil
	}
	return &v
}

func (r *reader) list() []string {
	n := r.uvarint()
	if n == 0 || r.err != nil {
		return nil
	}
	if n-1 > uint64(len(r.s)-r.i) { // each string takes a byte at least
		r.err = fmt.Errorf("%w: list of %d strings at byte %d runs past the end", errPacked, n-1, r.i)
		return nil
	}
	l := make([]string, n-1)
	for i := range l {
		l[i] = r.string()
	}
	return l
}

// skip passes over one slot written with enc.
func (r *reader) skip(enc encoding) {
	switch enc {
	case encInt, encBool:
		r.uvarint()
	case encOptionalInt:
		if r.uvarint() != 0 {
			r.uvarint()
		}
	case encList:
		for n := r.uvarint(); n > 1 && r.err == nil; n-- {
			r.string()
		}
	default: // encString, encJSON
		r.string()
	}
}

// le64 and le32 read the little-endian numbers at the start of s.
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func le32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}
