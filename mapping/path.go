package mapping

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// path is a compiled SCIM attribute path (RFC 7644 §3.10): an optional schema
// URN, an attribute, an optional value filter (only "eq", as in
// emails[type eq "work"]) and an optional sub-attribute.
//
// Reading a multi-valued attribute yields one element: among the elements the
// filter admits, the preferred one (see pref), else the first. A path with no
// sub-attribute reads an element's or complex attribute's "value". A list or
// object found where a simple value belongs is returned as is, for the
// caller to report.
type path struct {
	raw    string
	urn    string // extension container key; "" for the core schema
	attr   string
	filter *valueFilter
	sub    string
	pref   preference
}

// valueFilter is the [attr eq value] part of a path.
type valueFilter struct {
	attr  string
	value any // string or bool
}

// preference orders the elements of an unfiltered multi-valued attribute.
type preference int

const (
	preferPrimary     preference = iota // primary, else first
	preferPrimaryWork                   // primary, else type work, else first (emails)
	preferWorkPrimary                   // type work, else primary, else first (addresses)
)

// isMultiValued reports whether a core User attribute is multi-valued
// (RFC 7643 §4.1.2), so that a write to it creates a list.
func isMultiValued(attr string) bool {
	switch strings.ToLower(attr) {
	case "emails", "phonenumbers", "ims", "photos", "addresses", "groups", "entitlements", "roles", "x509certificates":
		return true
	}
	return false
}

// isComplex reports whether a single-valued attribute is complex, so that a
// path without a sub-attribute means its "value" (RFC 7643 §4.1.1, §4.3).
func isComplex(attr string) bool {
	switch strings.ToLower(attr) {
	case "name", "manager":
		return true
	}
	return false
}

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

// parsePath compiles one SCIM attribute path.
func parsePath(s string) (path, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return path{}, errors.New("empty path")
	}
	p := path{raw: raw}
	rest := raw
	if len(rest) > 4 && strings.EqualFold(rest[:4], "urn:") {
		head := rest
		if i := strings.IndexByte(head, '['); i >= 0 {
			head = head[:i]
		}
		i := strings.LastIndexByte(head, ':')
		p.urn, rest = rest[:i], rest[i+1:]
		switch {
		case strings.EqualFold(p.urn, UserURN):
			p.urn = ""
		case strings.EqualFold(p.urn, EnterpriseURN):
			p.urn = EnterpriseURN
		case strings.EqualFold(p.urn, AbsorbURN):
			p.urn = AbsorbURN
		}
	}
	name, rest, ok := cutName(rest)
	if !ok {
		return path{}, fmt.Errorf("path %q: want an attribute name", raw)
	}
	p.attr = name
	if strings.HasPrefix(rest, "[") {
		end := closingBracket(rest)
		if end < 0 {
			return path{}, fmt.Errorf("path %q: unclosed [", raw)
		}
		f, err := parseFilter(rest[1:end])
		if err != nil {
			return path{}, fmt.Errorf("path %q: %w", raw, err)
		}
		p.filter = &f
		rest = rest[end+1:]
	}
	if strings.HasPrefix(rest, ".") {
		sub, r, ok := cutName(rest[1:])
		if !ok {
			return path{}, fmt.Errorf("path %q: want a sub-attribute name after \".\"", raw)
		}
		p.sub, rest = sub, r
	}
	if rest != "" {
		return path{}, fmt.Errorf("path %q: unexpected %q", raw, rest)
	}
	switch strings.ToLower(p.attr) {
	case "emails":
		p.pref = preferPrimaryWork
	case "addresses":
		p.pref = preferWorkPrimary
	}
	return p, nil
}

// cutName cuts an attribute name (ATTRNAME of RFC 7644 §3.10, plus "$ref")
// from the front of s.
func cutName(s string) (name, rest string, ok bool) {
	if strings.HasPrefix(s, "$ref") {
		return s[:4], s[4:], true
	}
	i := 0
	for i < len(s) {
		c := s[i]
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '_' || c == '-')) {
			break
		}
		i++
	}
	return s[:i], s[i:], i > 0
}

// closingBracket returns the index of the "]" closing the "[" at s[0],
// skipping quoted strings, or -1.
func closingBracket(s string) int {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == ']':
			return i
		}
	}
	return -1
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

// parseFilter parses `attr eq value` where value is a JSON string, true or false.
func parseFilter(s string) (valueFilter, error) {
	s = strings.TrimSpace(s)
	name, rest, ok := cutName(s)
	if !ok {
		return valueFilter{}, errors.New("filter: want an attribute name")
	}
	fields := strings.SplitN(strings.TrimLeft(rest, " "), " ", 2)
	if len(fields) != 2 || rest == "" || rest[0] != ' ' {
		return valueFilter{}, errors.New("filter: want `attribute eq value`")
	}
	if !strings.EqualFold(fields[0], "eq") {
		return valueFilter{}, fmt.Errorf("filter: operator %q not supported, only eq", fields[0])
	}
	lit := strings.TrimSpace(fields[1])
	switch {
	case strings.EqualFold(lit, "true"):
		return valueFilter{attr: name, value: true}, nil
	case strings.EqualFold(lit, "false"):
		return valueFilter{attr: name, value: false}, nil
	case strings.HasPrefix(lit, `"`):
		var v string
		if err := json.Unmarshal([]byte(lit), &v); err != nil {
			return valueFilter{}, fmt.Errorf("filter: bad string %s", lit)
		}
		return valueFilter{attr: name, value: v}, nil
	}
	return valueFilter{}, fmt.Errorf("filter: value %q: want a quoted string, true or false", lit)
}

// match reports whether a multi-valued attribute's element passes the filter.
// Strings compare case-insensitively: type, value and display are caseExact
// false in RFC 7643 §4.1.2.
func (f *valueFilter) match(el any) bool {
	m, ok := el.(map[string]any)
	if !ok {
		return false
	}
	v, _ := lookup(m, f.attr)
	switch want := f.value.(type) {
	case bool:
		got, err := toBool(v)
		return v != nil && err == nil && got == want
	case string:
		got, ok := v.(string)
		return ok && strings.EqualFold(got, want)
	}
	return false
}

// lookup finds key in m, exactly or else case-insensitively (RFC 7643 §2.1:
// attribute names are case-insensitive).
func lookup(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok || len(m) == 0 {
		return v, ok
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// keyOf returns the key m uses for key, or key itself when m has none.
func keyOf(m map[string]any, key string) string {
	if _, ok := m[key]; ok {
		return key
	}
	for k := range m {
		if strings.EqualFold(k, key) {
			return k
		}
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
	v, _ := lookup(doc, p.urn)
	m, _ := v.(map[string]any)
	return m
}

// get reads the single value the path selects; nil when there is none.
func (p *path) get(doc map[string]any) any {
	c := p.container(doc)
	if c == nil {
		return nil
	}
	v, _ := lookup(c, p.attr)
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
		if p.filter != nil && !p.filter.match(t) {
			return nil
		}
		return p.subOf(t)
	default:
		if p.filter != nil {
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
	if p.filter != nil || p.sub != "" {
		return false
	}
	switch t := v.(type) {
	case []any:
		return !isMultiValued(p.attr)
	case map[string]any:
		_, ok := lookup(t, "value")
		return !ok && !isComplex(p.attr)
	}
	return false
}

// getAll reads the values of every element the path admits, in order.
func (p *path) getAll(doc map[string]any) []any {
	c := p.container(doc)
	if c == nil {
		return nil
	}
	v, _ := lookup(c, p.attr)
	list, ok := v.([]any)
	if !ok {
		if x := p.get(doc); x != nil {
			return []any{x}
		}
		return nil
	}
	var out []any
	for _, el := range list {
		if el == nil || p.filter != nil && !p.filter.match(el) {
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
		v, _ := lookup(m, p.subKey())
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
		if el == nil || p.filter != nil && !p.filter.match(el) {
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
			if v, _ := lookup(m, "primary"); v != nil {
				if b, err := toBool(v); err == nil && b {
					primary = i
				}
			}
		}
		if work < 0 {
			if t, _ := lookup(m, "type"); t != nil {
				if s, ok := t.(string); ok && strings.EqualFold(s, "work") {
					work = i
				}
			}
		}
	}
	order := []int{primary}
	if p.filter == nil {
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
		case p.filter != nil || isMultiValued(p.attr):
			putAttr(c, k, p.setInList(nil, v))
		case p.sub != "" || isComplex(p.attr):
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
	el := map[string]any{}
	if p.filter != nil {
		el[p.filter.attr] = p.filter.value
		return el
	}
	switch strings.ToLower(p.attr) {
	case "emails", "phonenumbers", "addresses":
		el["type"] = typ
	}
	if typ == "work" {
		primary := false
		for _, x := range list {
			if m, ok := x.(map[string]any); ok {
				if v, _ := lookup(m, "primary"); v != nil {
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
