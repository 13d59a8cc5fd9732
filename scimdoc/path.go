package scimdoc

import (
	"strings"
	"unicode/utf8"
)

// Path is a PATCH target (RFC 7644 §3.5.2, PATH = attrPath / valuePath
// [subAttr]) resolved against a ResourceSchema, with names in their
// canonical case. URN is the schema the attribute belongs to (the core URN
// for core and common attributes). Attr is empty when the path names a whole
// extension ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").
// Filter, when set, selects values of Attr; its attribute names are
// sub-attributes of Attr.
type Path struct {
	URN, Attr, Sub string
	Filter         *Filter
	top            *attrNode // Attr's node; nil for a whole extension
}

// Selects reports whether value, one value of the path's attribute (an
// element of a multi-valued one), passes the path's filter. Without a filter
// every value passes.
func (p Path) Selects(value any) bool {
	if p.Filter == nil || p.Filter.root == nil {
		return true
	}
	return p.top != nil && evalElem(p.top, p.Filter.root, value)
}

// FilterValue returns the value the path's filter describes, for a write
// that finds no value passing it to create: {"type": "work"} for
// emails[type eq "work"]. It reports false when the path has no filter or
// the filter is not an "and" of "eq" comparisons on writable sub-attributes.
func (p Path) FilterValue() (map[string]any, bool) {
	if p.Filter == nil || p.Filter.root == nil || p.top == nil {
		return nil, false
	}
	return elementFromFilter(p.top, p.Filter)
}

func pathError(format string, args ...any) *Error {
	return BadRequest(TypeInvalidPath, format, args...)
}

// ParsePath parses and resolves a PATCH path such as "userName",
// "name.familyName", `emails[type eq "work"].value`, `members[value eq "x"]`
// or "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
// case-insensitively. A core-level name that only an extension defines
// ("manager") resolves to the extension attribute. It returns a 400 *Error
// with scimType invalidPath for bad syntax and unknown attributes, and a
// plain error for a nil rs.
func ParsePath(rs *ResourceSchema, s string) (Path, error) {
	p, _, err := resolvePath(rs, s)
	return p, err
}

// resolvePath is ParsePath that also returns the node Attr (or Attr.Sub)
// resolves to; the node is nil for a whole extension.
func resolvePath(rs *ResourceSchema, s string) (Path, *attrNode, error) {
	s = strings.TrimSpace(s)
	switch {
	case rs == nil:
		return Path{}, nil, errNoSchema
	case s == "":
		return Path{}, nil, pathError("path is empty")
	case len(s) > MaxFilterLength:
		return Path{}, nil, pathError("path is longer than %d bytes", MaxFilterLength)
	case !utf8.ValidString(s):
		return Path{}, nil, pathError("path is not valid UTF-8")
	}
	open := strings.IndexByte(s, '[')
	if open < 0 {
		if c := rs.extension(s); c != nil {
			return Path{URN: c.urn}, nil, nil
		}
		n := rs.lookup(s)
		if n == nil {
			return Path{}, nil, unknownPath(s)
		}
		return pathOf(n, nil), n, nil
	}
	closing := closingBracket(s, open)
	if closing < 0 {
		return Path{}, nil, pathError("path %q has no \"]\" for its \"[\"", clip(s))
	}
	attr, inner, rest := strings.TrimSpace(s[:open]), s[open+1:closing], s[closing+1:]
	n := rs.lookup(attr)
	if n == nil {
		return Path{}, nil, unknownPath(attr)
	}
	if n.parent != nil || !(n.multi() || n.complex()) {
		return Path{}, nil, pathError("path %q filters %q, which is neither multi-valued nor complex", clip(s), clip(attr))
	}
	if strings.TrimSpace(inner) == "" {
		return Path{}, nil, pathError("path %q has an empty filter", clip(s))
	}
	root, err := parseTokens(inner, true, 1)
	if err != nil {
		detail := err.Error()
		if e, ok := AsError(err); ok {
			detail = e.Detail
		}
		return Path{}, nil, &Error{Status: 400, ScimType: TypeInvalidPath, Detail: "path " + quote(clip(s)) + " has an invalid filter: " + detail, Err: err}
	}
	f := &Filter{root: root}
	target := n
	if rest != "" {
		sub, ok := strings.CutPrefix(rest, ".")
		if !ok || !validAttrName(sub) {
			return Path{}, nil, pathError("path %q: expected \".subAttribute\" after \"]\", found %q", clip(s), clip(rest))
		}
		if target = n.subByLow[strings.ToLower(sub)]; target == nil {
			return Path{}, nil, unknownPath(attr + "." + sub)
		}
	}
	return pathOf(target, f), target, nil
}

func unknownPath(s string) *Error {
	return pathError("unknown attribute %q", clip(s))
}

func quote(s string) string {
	var b strings.Builder
	quoteJSON(&b, s)
	return b.String()
}

func pathOf(n *attrNode, f *Filter) Path {
	p := Path{URN: n.owner.urn, Attr: n.topNode().name, Filter: f, top: n.topNode()}
	if n.parent != nil {
		p.Sub = n.name
	}
	return p
}

// closingBracket returns the index of the "]" that closes the "[" at open,
// skipping quoted strings, or -1.
func closingBracket(s string, open int) int {
	inString := false
	for i := open + 1; i < len(s); i++ {
		switch c := s[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && c == ']':
			return i
		}
	}
	return -1
}
