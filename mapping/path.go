package mapping

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/absorb-scim/absorb-scim/schemas"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// userSchema is the SCIM user the mapping's paths name attributes of: the
// core User schema with the enterprise and Absorb extensions.
var userSchema = sync.OnceValue(func() *scimdoc.ResourceSchema {
	return scimdoc.NewResourceSchema(schemas.User(), schemas.EnterpriseUser(), schemas.AbsorbUser())
})

// path is a SCIM attribute path (RFC 7644 §3.10) of the user schema, resolved
// by scimdoc.ParsePath: an attribute, an optional value filter and an
// optional sub-attribute.
//
// Reading a multi-valued attribute yields one element: among the elements the
// filter admits, the preferred one (see pref), else the first. A path with no
// sub-attribute reads an element's or complex attribute's "value". A list or
// object found where a simple value belongs is returned as is, for the
// caller to report.
type path struct {
	raw     string       // as configured: error messages and DepartmentRef.Source name it
	urn     string       // extension container key; "" for the core schema
	attr    string       // canonical name
	sub     string       // canonical name; "" for none
	at      scimdoc.Path // selects elements by its filter, and builds new ones from it
	multi   bool         // attr is multi-valued, so a write to it creates a list
	complex bool         // attr is single-valued and complex, so a path without a sub-attribute means its "value"
	pref    preference
}

// preference orders the elements of an unfiltered multi-valued attribute.
type preference int

const (
	preferPrimary     preference = iota // primary, else first
	preferPrimaryWork                   // primary, else type work, else first (emails)
	preferWorkPrimary                   // type work, else primary, else first (addresses)
)

// parsePaths parses a list of alternative paths separated by "|"; the first
// that yields a value wins when reading, and writes go to the first.
func parsePaths(s string) ([]path, error) {
	parts := splitOutside(s, '|')
	out := make([]path, 0, len(parts))
	for _, part := range parts {
		p, err := parsePath(part)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// parsePath resolves one SCIM attribute path against the user schema. A
// filter must be "eq" comparisons joined by "and", which say what element to
// create when a value read back from Absorb has none to go to.
func parsePath(s string) (path, error) {
	raw := strings.TrimSpace(s)
	rs := userSchema()
	at, err := scimdoc.ParsePath(rs, raw)
	if err != nil {
		if e, ok := scimdoc.AsError(err); ok {
			return path{}, errors.New(e.Detail)
		}
		return path{}, err
	}
	if at.Attr == "" {
		return path{}, fmt.Errorf("path %q names a whole extension; name one of its attributes", raw)
	}
	if _, ok := at.FilterValue(); at.Filter != nil && !ok {
		return path{}, fmt.Errorf("path %q: the filter must be \"eq\" comparisons of sub-attributes joined by \"and\" (such as [type eq \"work\"])", raw)
	}
	info, _ := rs.Attribute(at.URN + ":" + at.Attr)
	p := path{
		raw:     raw,
		attr:    at.Attr,
		sub:     at.Sub,
		at:      at,
		multi:   info.MultiValued,
		complex: !info.MultiValued && info.Type == "complex",
	}
	if at.URN != UserURN {
		p.urn = at.URN
	}
	switch p.attr {
	case "emails":
		p.pref = preferPrimaryWork
	case "addresses":
		p.pref = preferWorkPrimary
	}
	return p, nil
}

// splitOutside splits s at sep, ignoring separators inside quotes or brackets.
func splitOutside(s string, sep byte) []string {
	var parts []string
	inQuote, depth, start := false, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == sep && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// filtered reports whether the path has a value filter.
func (p *path) filtered() bool { return p.at.Filter != nil }

// keyOf returns the key m uses for key, or key itself when m has none.
func keyOf(m map[string]any, key string) string {
	if k, ok := scimdoc.LookupKey(m, key); ok {
		return k
	}
	return key
}

// subKey is the key read or written in an element or complex attribute.
func (p *path) subKey() string {
	if p.sub == "" {
		return "value"
	}
	return p.sub
}

// container returns the map holding the path's attribute, or nil.
func (p *path) container(doc map[string]any) map[string]any {
	if p.urn == "" {
		return doc
	}
	v := scimdoc.Lookup(doc, p.urn)
	m, _ := v.(map[string]any)
	return m
}

// get reads the single value the path selects; nil when there is none.
func (p *path) get(doc map[string]any) any {
	c := p.container(doc)
	if c == nil {
		return nil
	}
	v := scimdoc.Lookup(c, p.attr)
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		if p.misplaced(t) {
			return t // the caller's type check reports it
		}
		i := p.pick(t)
		if i < 0 {
			return nil
		}
		return p.subOf(t[i])
	case map[string]any:
		if p.misplaced(t) {
			return t
		}
		if !p.at.Selects(t) {
			return nil
		}
		return p.subOf(t)
	default:
		if p.filtered() {
			return nil
		}
		return p.subOf(t)
	}
}

// misplaced reports whether v is a list or object where the path wants a
// simple value: a list for a path with no filter and no sub-attribute naming
// an attribute not known to be multi-valued, or an object without "value"
// for a path with no sub-attribute naming an attribute not known to be complex.
func (p *path) misplaced(v any) bool {
	if p.filtered() || p.sub != "" {
		return false
	}
	switch t := v.(type) {
	case []any:
		return !p.multi
	case map[string]any:
		_, ok := scimdoc.LookupKey(t, "value")
		return !ok && !p.complex
	}
	return false
}

// getAll reads the values of every element the path admits, in order.
func (p *path) getAll(doc map[string]any) []any {
	c := p.container(doc)
	if c == nil {
		return nil
	}
	v := scimdoc.Lookup(c, p.attr)
	list, ok := v.([]any)
	if !ok {
		if x := p.get(doc); x != nil {
			return []any{x}
		}
		return nil
	}
	var out []any
	for _, el := range list {
		if el == nil || !p.at.Selects(el) {
			continue
		}
		if x := p.subOf(el); x != nil {
			out = append(out, x)
		}
	}
	return out
}

// subOf reads the sub-attribute of an element or complex value; a simple
// value stands for its own "value".
func (p *path) subOf(el any) any {
	if m, ok := el.(map[string]any); ok {
		v := scimdoc.Lookup(m, p.subKey())
		return v
	}
	if p.sub == "" || strings.EqualFold(p.sub, "value") {
		return el
	}
	return nil
}

// pick returns the index of the element the path selects, or -1.
func (p *path) pick(list []any) int {
	first, primary, work := -1, -1, -1
	for i, el := range list {
		if el == nil || !p.at.Selects(el) {
			continue
		}
		if first < 0 {
			first = i
		}
		m, ok := el.(map[string]any)
		if !ok {
			continue
		}
		if primary < 0 {
			if v := scimdoc.Lookup(m, "primary"); v != nil {
				if b, err := toBool(v); err == nil && b {
					primary = i
				}
			}
		}
		if work < 0 {
			if t := scimdoc.Lookup(m, "type"); t != nil {
				if s, ok := t.(string); ok && strings.EqualFold(s, "work") {
					work = i
				}
			}
		}
	}
	order := []int{primary}
	if !p.filtered() {
		switch p.pref {
		case preferPrimaryWork:
			order = []int{primary, work}
		case preferWorkPrimary:
			order = []int{work, primary}
		}
	}
	for _, i := range order {
		if i >= 0 {
			return i
		}
	}
	return first
}

// set writes v at the path, creating the extension container, the attribute
// or the element as needed; v == nil removes the value, and then any element,
// attribute or extension container left empty.
func (p *path) set(doc map[string]any, v any) {
	c, ck := p.resolve(doc, v != nil)
	if c == nil {
		return
	}
	k := keyOf(c, p.attr)
	cur := c[k]
	if p.misplaced(cur) {
		cur = nil // a list or object where a simple value belongs: replace it
		delete(c, k)
	}
	switch cur := cur.(type) {
	case []any:
		putAttr(c, k, p.setInList(cur, v))
	case map[string]any:
		p.setInMap(cur, v)
		if len(cur) == 0 {
			delete(c, k)
		}
	case nil:
		switch {
		case v == nil:
			delete(c, k)
		case p.filtered() || p.multi:
			putAttr(c, k, p.setInList(nil, v))
		case p.sub != "" || p.complex:
			m := map[string]any{}
			p.setInMap(m, v)
			c[k] = m
		default:
			c[k] = v
		}
	default:
		switch {
		case p.sub != "" && !strings.EqualFold(p.sub, "value"):
			m := map[string]any{}
			p.setInMap(m, v)
			putAttr(c, k, m)
		case v == nil:
			delete(c, k)
		default:
			c[k] = v
		}
	}
	p.tidy(doc, ck)
}

// resolve returns the map holding the attribute and the key of the extension
// container ("" for core), creating the container when create is set.
func (p *path) resolve(doc map[string]any, create bool) (map[string]any, string) {
	if p.urn == "" {
		return doc, ""
	}
	ck := keyOf(doc, p.urn)
	m, ok := doc[ck].(map[string]any)
	if !ok {
		if !create {
			return nil, ck
		}
		m = map[string]any{}
		doc[ck] = m
		addSchema(doc, p.urn)
	}
	return m, ck
}

// tidy removes an extension container left empty, and its schema URN.
func (p *path) tidy(doc map[string]any, ck string) {
	if ck == "" {
		return
	}
	if m, ok := doc[ck].(map[string]any); ok && len(m) == 0 {
		delete(doc, ck)
		removeSchema(doc, p.urn)
	}
}

// putAttr stores v under k, or deletes k when v is an empty list or map.
func putAttr(c map[string]any, k string, v any) {
	switch t := v.(type) {
	case []any:
		if len(t) == 0 {
			delete(c, k)
			return
		}
	case map[string]any:
		if len(t) == 0 {
			delete(c, k)
			return
		}
	}
	c[k] = v
}

func (p *path) setInMap(m map[string]any, v any) {
	k := keyOf(m, p.subKey())
	if v == nil {
		delete(m, k)
		return
	}
	m[k] = v
}

// setInList writes v into the selected element, appending one when none is
// selected, or removes the value (and an element left without data).
func (p *path) setInList(list []any, v any) []any {
	i := p.pick(list)
	if v == nil {
		if i < 0 {
			return list
		}
		if m, ok := list[i].(map[string]any); ok {
			delete(m, keyOf(m, p.subKey()))
			if hasData(m) {
				return list
			}
		}
		return append(list[:i], list[i+1:]...)
	}
	if i >= 0 {
		switch el := list[i].(type) {
		case map[string]any:
			el[keyOf(el, p.subKey())] = v
		default:
			if p.sub == "" || strings.EqualFold(p.sub, "value") {
				list[i] = v
			} else {
				list[i] = map[string]any{"value": el, p.sub: v}
			}
		}
		return list
	}
	el := p.newElement(list, "work")
	el[p.subKey()] = v
	return append(list, el)
}

// newElement starts a new element for the path: the filter's attribute and
// value when it has one, else the given type (for the attributes that carry
// types) and primary when no other element is.
func (p *path) newElement(list []any, typ string) map[string]any {
	if el, ok := p.at.FilterValue(); ok {
		return el
	}
	el := map[string]any{}
	switch strings.ToLower(p.attr) {
	case "emails", "phonenumbers", "addresses":
		el["type"] = typ
	}
	if typ == "work" {
		primary := false
		for _, x := range list {
			if m, ok := x.(map[string]any); ok {
				if v := scimdoc.Lookup(m, "primary"); v != nil {
					if b, err := toBool(v); err == nil && b {
						primary = true
					}
				}
			}
		}
		if !primary {
			el["primary"] = true
		}
	}
	return el
}

// hasData reports whether an element holds more than its type, primary,
// display and $ref.
func hasData(m map[string]any) bool {
	for k, v := range m {
		switch strings.ToLower(k) {
		case "type", "primary", "display", "$ref":
			continue
		}
		if v != nil {
			return true
		}
	}
	return false
}

// list returns the list the path names, creating the container when create
// is set; the returned setter stores a new list (an empty one removes it).
func (p *path) list(doc map[string]any, create bool) ([]any, func([]any)) {
	c, ck := p.resolve(doc, create)
	if c == nil {
		return nil, func([]any) {}
	}
	k := keyOf(c, p.attr)
	var list []any
	switch cur := c[k].(type) {
	case []any:
		list = cur
	case nil:
	default:
		list = []any{cur}
	}
	return list, func(l []any) {
		putAttr(c, k, l)
		p.tidy(doc, ck)
	}
}

// addSchema lists urn in the document's schemas when it has a schemas list.
func addSchema(doc map[string]any, urn string) {
	k := keyOf(doc, "schemas")
	list, ok := doc[k].([]any)
	if !ok {
		return
	}
	for _, s := range list {
		if str, ok := s.(string); ok && strings.EqualFold(str, urn) {
			return
		}
	}
	doc[k] = append(list, urn)
}

// removeSchema drops urn from the document's schemas list.
func removeSchema(doc map[string]any, urn string) {
	k := keyOf(doc, "schemas")
	list, ok := doc[k].([]any)
	if !ok {
		return
	}
	out := list[:0:0]
	for _, s := range list {
		if str, ok := s.(string); ok && strings.EqualFold(str, urn) {
			continue
		}
		out = append(out, s)
	}
	doc[k] = out
}
