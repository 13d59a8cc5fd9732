package fakeabsorb

import (
	"slices"
	"strings"
)

// The lookups a client sends to find one account (username eq, id eq,
// externalId eq, and several of them joined by or) are answered from the
// store's maps instead of by reading every account, so that a client loading a
// large portal does not slow down as the portal grows. The index only picks
// the candidates: every candidate is still checked against the whole filter,
// so the answer is the one a reading of every account gives.

// candidateUsers returns the ids of the users that may match f, in no
// particular order and without repeats, and true; or false when no index
// narrows f (every user may match).
func (st *store) candidateUsers(f *filter) ([]string, bool) {
	if f == nil {
		return nil, false
	}
	ids, narrowed := st.candidates(f.root)
	if !narrowed {
		return nil, false
	}
	slices.Sort(ids)
	return slices.Compact(ids), true
}

// candidates is candidateUsers of one expression: an indexed eq gives the
// users holding the value, an or the union of its sides when both are
// narrowed, an and the candidates of a narrowed side (the other side is
// checked with the filter).
func (st *store) candidates(e expr) ([]string, bool) {
	switch e := e.(type) {
	case compareExpr:
		if e.op != "eq" {
			return nil, false
		}
		if ids, ok := st.lookup(e.l, e.r); ok {
			return ids, true
		}
		return st.lookup(e.r, e.l)
	case logicalExpr:
		l, lok := st.candidates(e.l)
		if !e.or {
			if lok {
				return l, true
			}
			return st.candidates(e.r)
		}
		if !lok {
			return nil, false
		}
		r, rok := st.candidates(e.r)
		if !rok {
			return nil, false
		}
		return append(l, r...), true
	}
	return nil, false
}

// lookup answers `field eq literal` from an index when field is a top-level
// username, id or externalId and the literal a string or GUID. Strings
// compare as compareLower does, which is equality of strings.ToLower; a null
// or empty value matches no account (an empty field is null on the wire).
func (st *store) lookup(field, value expr) ([]string, bool) {
	f, isField := field.(fieldExpr)
	v, isLiteral := value.(literal)
	if !isField || !isLiteral || len(f.ref.path) != 1 {
		return nil, false
	}
	s, isString := v.v.(string)
	if !isString {
		return nil, false
	}
	key := strings.ToLower(s)
	switch f.ref.path[0] {
	case "username":
		if id, found := st.byUsername[key]; found && key != "" {
			return []string{id}, true
		}
		return nil, true
	case "id":
		// Ids are stored in lower-case canonical form (newGUID, parseGUID).
		if _, found := st.users[key]; found {
			return []string{key}, true
		}
		return nil, true
	case "externalId":
		return slices.Clone(st.byExternalID[key]), true
	}
	return nil, false
}

// indexUser moves u's entries in the indexes from old's values (old is nil
// for a new user).
func (st *store) indexUser(old, u *User) {
	if old != nil {
		if k := usernameKey(old.Username); st.byUsername[k] == u.ID {
			delete(st.byUsername, k)
		}
		if k := externalIDKey(old.ExternalID); k != "" {
			ids := slices.DeleteFunc(st.byExternalID[k], func(id string) bool { return id == u.ID })
			if len(ids) == 0 {
				delete(st.byExternalID, k)
			} else {
				st.byExternalID[k] = ids
			}
		}
	}
	st.byUsername[usernameKey(u.Username)] = u.ID
	if k := externalIDKey(u.ExternalID); k != "" {
		st.byExternalID[k] = append(st.byExternalID[k], u.ID)
	}
}

// externalIDKey folds an externalId for the index: filters compare strings
// without regard to case.
func externalIDKey(ext string) string { return strings.ToLower(ext) }
