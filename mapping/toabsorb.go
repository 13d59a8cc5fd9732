package mapping

import (
	"errors"
	"fmt"
	"strings"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// DepartmentRef is what a SCIM user says about its department, before the
// bridge resolves it against Absorb.
type DepartmentRef struct {
	ID     string // from the Absorb extension's departmentId; wins when set
	Value  string // name or external id from the first DepartmentAttributes path that has one
	Source string // the SCIM path Value came from, or the departmentId path when only ID is set
}

// Department reports the department a SCIM user names: the Absorb
// extension's departmentId and the first non-empty DepartmentAttributes
// value. It returns false when the user names none; the caller then applies
// Config.DefaultDepartment.
func (m *Mapper) Department(doc map[string]any) (DepartmentRef, bool) {
	var ref DepartmentRef
	if s, ok := toString(m.deptID.get(doc)); ok && s != "" {
		ref.ID, ref.Source = s, m.deptID.raw
	}
	for i := range m.deptAttrs {
		p := &m.deptAttrs[i]
		if s, ok := toString(p.get(doc)); ok && s != "" {
			ref.Value, ref.Source = s, p.raw
			break
		}
	}
	return ref, ref.ID != "" || ref.Value != ""
}

// ToAbsorb builds the full Absorb user to send for a SCIM user. current is
// the Absorb user as last known (nil on create): fields no mapping touches
// (roleIds, isAdmin, supervisorId, provinceId, departmentId, ...) are carried
// over from it, so a full PUT never clears what the IdP does not own; mapped
// fields come from doc, and a mapped field absent from doc is cleared.
// Exceptions: an absent "active" means active, and a language that is absent
// or not in the table keeps current's languageId. First and last name, which
// Absorb requires, fall back to displayName split in two, then name.formatted,
// then the local part of the username. On create, isLearner and hasUsername
// are set. DepartmentID is never set from doc: the caller resolves it.
//
// Password: on create with PasswordGenerate, a new strong password; with
// PasswordPassthrough, doc's password when present, else a generated one; on
// update, empty unless PasswordPassthrough and doc carries one.
//
// The errors wrap ErrInvalidValue (a value of the wrong type, or no
// username); they name the SCIM path, never the value.
func (m *Mapper) ToAbsorb(doc map[string]any, current *absorbapi.User) (absorbapi.User, error) {
	var u absorbapi.User
	if current != nil {
		u = cloneUser(*current)
	} else {
		u.IsLearner = true
		u.HasUsername = true
	}
	u.Password = ""
	var errs []error
	for i := range m.bindings {
		if err := m.read(&m.bindings[i], doc, &u); err != nil {
			errs = append(errs, err)
		}
	}
	fillNames(&u, doc)
	if u.Username == "" {
		errs = append(errs, fmt.Errorf("username: %w: no value", ErrInvalidValue))
	}
	if len(u.CustomFields) == 0 {
		u.CustomFields = nil
	}
	pw, err := m.passwordFor(doc, current == nil)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return absorbapi.User{}, errors.Join(errs...)
	}
	u.Password = pw
	return u, nil
}

// passwordFor chooses the password to send.
func (m *Mapper) passwordFor(doc map[string]any, create bool) (string, error) {
	if m.password == PasswordPassthrough {
		v := scimdoc.Lookup(doc, "password")
		switch s := v.(type) {
		case nil:
		case string:
			if s != "" {
				return s, nil
			}
		default:
			return "", invalid("password", "a string", v)
		}
	}
	if !create {
		return "", nil
	}
	pw, err := GeneratePassword()
	if err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return pw, nil
}

// read sets one mapped field of u from doc.
func (m *Mapper) read(b *binding, doc map[string]any, u *absorbapi.User) error {
	switch b.kind {
	case kindString:
		s, err := readString(b, doc)
		if err != nil {
			return err
		}
		switch {
		case b.custom == "":
			*stringField(u, b.field) = s
		case s == "":
			clearCustom(u, b.custom)
		default:
			setCustom(u, b.custom, s)
		}
	case kindCC:
		cc, err := readCC(b, doc, u.EmailAddress)
		if err != nil {
			return err
		}
		u.CCEmailAddresses = cc
	case kindStatus:
		v, at := firstValue(b, doc)
		u.ActiveStatus = absorbapi.StatusActive
		if v != nil {
			active, err := toBool(v)
			if err != nil {
				return invalid(at, "a boolean", v)
			}
			if !active {
				u.ActiveStatus = absorbapi.StatusInactive
			}
		}
	case kindLanguage:
		for i := range b.alts {
			v := b.alts[i].get(doc)
			s, ok := v.(string)
			if v != nil && !ok {
				return invalid(b.alts[i].raw, "a language tag", v)
			}
			if id, ok := m.language(s); ok {
				u.LanguageID = &id
				return nil
			}
		}
	case kindGender:
		v, at := firstValue(b, doc)
		if v == nil {
			u.Gender = nil
			return nil
		}
		n, err := toGender(v)
		if err != nil {
			return invalid(at, "0, 1, 2, \"male\" or \"female\"", v)
		}
		u.Gender = &n
	case kindDecimal:
		v, at := firstValue(b, doc)
		if v == nil {
			clearCustom(u, b.custom)
			return nil
		}
		f, err := toDecimal(v)
		if err != nil {
			return invalid(at, "a number", v)
		}
		setCustom(u, b.custom, f)
	case kindBool:
		v, at := firstValue(b, doc)
		if v == nil {
			clearCustom(u, b.custom)
			return nil
		}
		x, err := toBool(v)
		if err != nil {
			return invalid(at, "a boolean", v)
		}
		setCustom(u, b.custom, x)
	}
	return nil
}

// firstValue returns the first non-null value the binding's paths select,
// and the path it came from.
func firstValue(b *binding, doc map[string]any) (any, string) {
	for i := range b.alts {
		if v := b.alts[i].get(doc); v != nil {
			return v, b.alts[i].raw
		}
	}
	return nil, ""
}

// readString returns the first non-empty string the binding's paths select.
func readString(b *binding, doc map[string]any) (string, error) {
	for i := range b.alts {
		v := b.alts[i].get(doc)
		s, ok := toString(v)
		if !ok {
			return "", invalid(b.alts[i].raw, "a string", v)
		}
		if s != "" {
			return s, nil
		}
	}
	return "", nil
}

// maxCC is the most ccEmailAddresses Absorb keeps.
const maxCC = 5

// readCC returns the email values other than main from the first of the
// binding's paths that has any: de-duplicated case-insensitively, at most 5.
func readCC(b *binding, doc map[string]any, main string) ([]string, error) {
	for i := range b.alts {
		vals := b.alts[i].getAll(doc)
		if len(vals) == 0 {
			continue
		}
		var out []string
	values:
		for _, v := range vals {
			s, ok := toString(v)
			if !ok {
				return nil, invalid(b.alts[i].raw, "a string", v)
			}
			if s == "" || strings.EqualFold(s, main) {
				continue
			}
			for _, o := range out {
				if strings.EqualFold(o, s) {
					continue values
				}
			}
			if out = append(out, s); len(out) == maxCC {
				break
			}
		}
		return out, nil
	}
	return nil, nil
}

// fillNames gives Absorb's required first and last names a value when the
// mapping left them empty: displayName split into first word and the rest,
// then name.formatted likewise, then the username's local part (before "@").
func fillNames(u *absorbapi.User, doc map[string]any) {
	if u.FirstName != "" && u.LastName != "" {
		return
	}
	first, last := splitName(doc, "displayName")
	if first == "" {
		first, last = splitName(doc, "name.formatted")
	}
	if first == "" {
		local, _, _ := strings.Cut(u.Username, "@")
		first, last = local, local
	}
	if u.FirstName == "" {
		u.FirstName = first
	}
	if u.LastName == "" {
		u.LastName = last
	}
}

// splitName splits the string at a core attribute path into first word and
// the rest; a single word is both.
func splitName(doc map[string]any, at string) (string, string) {
	attr, sub, _ := strings.Cut(at, ".")
	v := scimdoc.Lookup(doc, attr)
	if sub != "" {
		m, _ := v.(map[string]any)
		v = scimdoc.Lookup(m, sub)
	}
	s, _ := v.(string)
	words := strings.Fields(s)
	switch len(words) {
	case 0:
		return "", ""
	case 1:
		return words[0], words[0]
	}
	return words[0], strings.Join(words[1:], " ")
}
