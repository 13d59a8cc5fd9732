package mapping

import (
	"slices"
	"strings"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// FromAbsorb builds a SCIM user document from an Absorb user (to adopt an
// account made by hand, or to read changes made in Absorb), running the
// mapping backwards: every mapped field with a value is written at its first
// SCIM path. With the default mapping that is userName, name, emails (the
// address as primary work, the cc addresses as other), externalId, title,
// phoneNumbers, a work address, active, preferredLanguage, the enterprise
// employeeNumber and the Absorb extension. displayName is "First Last" and
// the Absorb extension's departmentId is the user's department. The
// document has no id, no meta and never a password.
func (m *Mapper) FromAbsorb(u absorbapi.User) map[string]any {
	doc := map[string]any{"schemas": []any{UserURN}}
	if name := strings.TrimSpace(u.FirstName + " " + u.LastName); name != "" {
		doc["displayName"] = name
	}
	for i := range m.bindings {
		m.write(&m.bindings[i], doc, &u)
	}
	if u.DepartmentID != "" {
		m.deptID.set(doc, u.DepartmentID)
	}
	return doc
}

// Merge folds the Absorb values of the mapped fields into a stored SCIM
// document, for when Absorb was edited behind the bridge's back. A mapped
// field is written only where the value doc gives it (as ToAbsorb would read
// it) differs from u's, so doc keeps its shape: at the element the mapping
// selects, or at the mapping's first path when doc has none. A field empty in
// Absorb is removed at every path of its mapping, except the language, which
// is only ever set. Attributes the mapping does not cover are kept exactly as
// the IdP sent them. The Absorb extension's
// departmentId is updated only when doc carries one: a department named by
// DepartmentAttributes is the bridge's to resolve. Merge returns a new
// document (doc is not modified) and whether anything changed.
func (m *Mapper) Merge(doc map[string]any, u absorbapi.User) (map[string]any, bool) {
	out := scimdoc.DeepCopy(doc)
	if out == nil {
		out = map[string]any{}
	}
	derived := cloneUser(u)
	failed := make([]bool, len(m.bindings))
	for i := range m.bindings {
		failed[i] = m.read(&m.bindings[i], doc, &derived) != nil
	}
	fillNames(&derived, doc)
	changed := false
	for i := range m.bindings {
		b := &m.bindings[i]
		if !failed[i] && m.equal(b, &derived, &u) {
			continue
		}
		if m.write(b, out, &u) {
			changed = true
		}
	}
	if id, ok := toString(m.deptID.get(doc)); ok && id != "" && u.DepartmentID != "" && id != u.DepartmentID {
		m.deptID.set(out, u.DepartmentID)
		changed = true
	}
	return out, changed
}

// write stores u's value of a mapped field in doc at the binding's first
// path, or clears it at every path when u has none. It reports false when
// the value cannot be expressed in SCIM (a languageId with no tag, a custom
// field of the wrong type) and doc was left alone.
func (m *Mapper) write(b *binding, doc map[string]any, u *absorbapi.User) bool {
	if b.kind == kindCC {
		writeCC(b, doc, u)
		return true
	}
	v, ok := m.docValue(b, u)
	if !ok {
		return false
	}
	if v == nil {
		for i := range b.alts {
			b.alts[i].set(doc, nil)
		}
		return true
	}
	b.alts[0].set(doc, v)
	return true
}

// docValue is u's value of a mapped field as a SCIM document holds it: nil
// when empty, and false when it cannot be expressed.
func (m *Mapper) docValue(b *binding, u *absorbapi.User) (any, bool) {
	switch b.kind {
	case kindString:
		var s string
		if b.custom == "" {
			s = *stringField(u, b.field)
		} else if v := customValue(u, b.custom); v != nil {
			var ok bool
			if s, ok = toString(v); !ok {
				return nil, false
			}
		}
		if s == "" {
			return nil, true
		}
		return s, true
	case kindStatus:
		return u.Active(), true
	case kindLanguage:
		if u.LanguageID == nil {
			return nil, false // Absorb says nothing: as on the way in, keep what doc has
		}
		tag, ok := m.languageTag(*u.LanguageID)
		if !ok {
			return nil, false
		}
		return tag, true
	case kindGender:
		if u.Gender == nil || *u.Gender == 0 {
			return nil, true
		}
		return float64(*u.Gender), true
	case kindDecimal:
		v := customValue(u, b.custom)
		if v == nil {
			return nil, true
		}
		f, err := toDecimal(v)
		return f, err == nil
	case kindBool:
		v := customValue(u, b.custom)
		if v == nil {
			return nil, true
		}
		x, err := toBool(v)
		return x, err == nil
	}
	return nil, false
}

// writeCC replaces the email values other than u's emailAddress (and any
// second copy of it), at every path of the binding, by u's ccEmailAddresses at the first path (typed
// "other" where the attribute carries types).
func writeCC(b *binding, doc map[string]any, u *absorbapi.User) {
	for i := range b.alts {
		p := &b.alts[i]
		list, store := p.list(doc, false)
		if list == nil {
			continue
		}
		kept, keptMain := list[:0:0], false
		for _, el := range list {
			if el != nil && p.at.Selects(el) {
				s, _ := toString(p.subOf(el))
				if s == "" || !strings.EqualFold(s, u.EmailAddress) || keptMain {
					continue
				}
				keptMain = true
			}
			kept = append(kept, el)
		}
		store(kept)
	}
	if len(u.CCEmailAddresses) == 0 {
		return
	}
	p := &b.alts[0]
	list, store := p.list(doc, true)
	scalars := len(list) > 0 && !isMap(list[0])
	for _, cc := range u.CCEmailAddresses {
		if cc == "" || strings.EqualFold(cc, u.EmailAddress) {
			continue
		}
		if scalars {
			list = append(list, cc)
			continue
		}
		el := p.newElement(list, "other")
		el[p.subKey()] = cc
		list = append(list, el)
	}
	store(list)
}

func isMap(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// equal reports whether two users agree on a mapped field.
func (m *Mapper) equal(b *binding, x, y *absorbapi.User) bool {
	switch b.kind {
	case kindString:
		var vx, vy string
		if b.custom == "" {
			vx, vy = *stringField(x, b.field), *stringField(y, b.field)
		} else {
			vx, vy = customString(customValue(x, b.custom)), customString(customValue(y, b.custom))
		}
		if isDateField(b.field) {
			// Absorb writes dates back in its own form: the same instant is
			// the same date.
			return absorbapi.SameInstant(vx, vy)
		}
		return vx == vy
	case kindCC:
		return slices.Equal(x.CCEmailAddresses, y.CCEmailAddresses)
	case kindStatus:
		return x.Active() == y.Active()
	case kindLanguage:
		return x.LanguageID == nil && y.LanguageID == nil ||
			x.LanguageID != nil && y.LanguageID != nil && *x.LanguageID == *y.LanguageID
	case kindGender:
		return genderCode(x) == genderCode(y)
	case kindDecimal:
		vx, vy := customValue(x, b.custom), customValue(y, b.custom)
		fx, ex := toDecimal(vx)
		fy, ey := toDecimal(vy)
		if ex == nil && ey == nil {
			return fx == fy
		}
		return customString(vx) == customString(vy)
	case kindBool:
		vx, vy := customValue(x, b.custom), customValue(y, b.custom)
		bx, ex := toBool(vx)
		by, ey := toBool(vy)
		if ex == nil && ey == nil {
			return bx == by
		}
		return customString(vx) == customString(vy)
	}
	return false
}

// genderCode treats an unset gender as 0, "none".
func genderCode(u *absorbapi.User) int {
	if u.Gender == nil {
		return 0
	}
	return *u.Gender
}
