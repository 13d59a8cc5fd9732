package scimdoc

import "strings"

// Project applies the attributes and excludedAttributes parameters (RFC 7644
// §3.4.2.5) to a document that includes "meta", and returns a new document.
// "schemas" and returned:"always" attributes (id) are always kept;
// returned:"never" attributes (password) are never returned;
// returned:"request" attributes only when named in attributes. With
// attributes, only the named attributes are kept; excluded then removes
// named attributes. Names are case-insensitive and may be URN-qualified
// ("urn:…:enterprise:2.0:User:department"), a whole extension URN, or
// sub-attributes ("name.givenName", "emails.value"); a value filter is
// ignored (`emails[type eq "work"]` stands for "emails"). Unknown names are
// ignored. Extension objects left empty are dropped. Members the schema does
// not know are kept only when attributes is empty. The result is a new
// map; values it returns whole are shared with doc, not copied.
func Project(rs *ResourceSchema, doc Document, attributes, excluded []string) Document {
	if doc == nil {
		return nil
	}
	if rs == nil {
		return DeepCopy(doc)
	}
	sel := newSelection(rs, attributes)
	exc := newSelection(rs, excluded)
	out := make(Document, len(doc))
	for k, v := range doc {
		key := strings.TrimSpace(k)
		if strings.EqualFold(key, "schemas") {
			out[k] = v
			continue
		}
		if c := rs.extension(key); c != nil {
			m, ok := v.(map[string]any)
			if !ok || (exc != nil && exc.exts[c]) {
				continue
			}
			em := map[string]any{}
			for sk, sv := range m {
				n := c.byLower[strings.ToLower(strings.TrimSpace(sk))]
				if n == nil || n.parent != nil {
					if sel == nil || sel.exts[c] {
						em[sk] = sv
					}
					continue
				}
				if pv, ok := projectAttr(n, sv, sel, exc); ok {
					em[sk] = pv
				}
			}
			if len(em) > 0 {
				out[k] = em
			}
			continue
		}
		n := rs.core.byLower[strings.ToLower(key)]
		if n == nil || n.parent != nil {
			if sel == nil {
				out[k] = v
			}
			continue
		}
		if pv, ok := projectAttr(n, v, sel, exc); ok {
			out[k] = pv
		}
	}
	return out
}

// selection is a parsed attributes or excludedAttributes list.
type selection struct {
	whole map[*attrNode]bool
	subs  map[*attrNode]map[*attrNode]bool
	exts  map[*container]bool
}

func newSelection(rs *ResourceSchema, names []string) *selection {
	if len(names) == 0 {
		return nil
	}
	s := &selection{whole: map[*attrNode]bool{}, subs: map[*attrNode]map[*attrNode]bool{}, exts: map[*container]bool{}}
	for _, name := range names {
		name = strings.TrimSpace(name)
		if i := strings.IndexByte(name, '['); i >= 0 {
			j := closingBracket(name, i)
			if j < 0 {
				continue
			}
			name = name[:i] + name[j+1:]
		}
		if c := rs.extension(name); c != nil {
			s.exts[c] = true
			continue
		}
		n := rs.lookup(name)
		switch {
		case n == nil:
		case n.parent == nil:
			s.whole[n] = true
		default:
			if s.subs[n.parent] == nil {
				s.subs[n.parent] = map[*attrNode]bool{}
			}
			s.subs[n.parent][n] = true
		}
	}
	return s
}

// projectAttr returns the projected copy of top-level attribute n's value v,
// or false when it is not returned.
func projectAttr(n *attrNode, v any, sel, exc *selection) (any, bool) {
	if n.neverShown() {
		return nil, false
	}
	var onlySubs, dropSubs map[*attrNode]bool
	if !n.alwaysShown() {
		if sel != nil && !sel.whole[n] && !sel.exts[n.owner] {
			if onlySubs = sel.subs[n]; onlySubs == nil {
				return nil, false
			}
		}
		if sel == nil && n.returned == retRequest {
			return nil, false
		}
		if exc != nil {
			if exc.whole[n] || exc.exts[n.owner] {
				return nil, false
			}
			dropSubs = exc.subs[n]
		}
	}
	keep := func(sub *attrNode) bool {
		switch {
		case sub == nil:
			return onlySubs == nil
		case sub.neverShown():
			return false
		case sub.alwaysShown():
			return true
		case onlySubs != nil && !onlySubs[sub]:
			return false
		case sub.returned == retRequest && onlySubs == nil:
			return false
		}
		return !dropSubs[sub]
	}
	var pv any
	if onlySubs == nil && dropSubs == nil && !n.hidesSubs && noEmptyElement(n, v) {
		pv = v // nothing in it to drop: returned as it is
	} else {
		pv = projectValue(n, v, keep)
	}
	if l, ok := v.([]any); ok && len(l) == 0 {
		return pv, true // an explicit [] is returned as stored (E-20, O-10 show "members": [])
	}
	if isEmpty(pv) {
		return nil, false
	}
	return pv, true
}

// noEmptyElement reports whether v, a value of n, holds no element that
// projectValue would drop: an empty element of a complex multi-valued one.
func noEmptyElement(n *attrNode, v any) bool {
	if !n.complex() {
		return true
	}
	if l, ok := v.([]any); ok {
		for _, e := range l {
			if isEmpty(e) {
				return false
			}
		}
		return true
	}
	_, isMap := v.(map[string]any)
	return isMap
}

// projectValue copies v keeping the sub-attributes keep accepts; keep(nil)
// decides on members the schema does not know.
func projectValue(n *attrNode, v any, keep func(*attrNode) bool) any {
	if !n.complex() {
		return copyValue(v)
	}
	one := func(e any) any {
		m, ok := e.(map[string]any)
		if !ok {
			return copyValue(e)
		}
		out := make(map[string]any, len(m))
		for k, sv := range m {
			if keep(n.subByLow[strings.ToLower(k)]) {
				out[k] = copyValue(sv)
			}
		}
		return out
	}
	if l, ok := asList(v); ok {
		out := make([]any, 0, len(l))
		for _, e := range l {
			if pe := one(e); !isEmpty(pe) {
				out = append(out, pe)
			}
		}
		return out
	}
	return one(v)
}
