package scim

import (
	"net/http"
	"strings"
)

// projection is a request's attributes and excludedAttributes
// (RFC 7644 §3.4.2.5, §3.9). given is true when the request named either
// parameter, even with an empty value.
type projection struct {
	attributes []string
	excluded   []string
	given      bool
}

// queryProjection reads attributes and excludedAttributes from the URL
// query. Both are comma-separated lists; repeated parameters add up.
func queryProjection(r *http.Request) projection {
	q := r.URL.Query()
	p := projection{given: q.Has("attributes") || q.Has("excludedAttributes")}
	for _, v := range q["attributes"] {
		p.attributes = append(p.attributes, splitList(v)...)
	}
	for _, v := range q["excludedAttributes"] {
		p.excluded = append(p.excluded, splitList(v)...)
	}
	return p
}

// splitList splits a comma-separated attribute list, dropping blanks. A
// comma inside brackets (a value filter) does not split.
func splitList(s string) []string {
	var out []string
	depth, start := 0, 0
	add := func(part string) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				add(s[start:i])
				start = i + 1
			}
		}
	}
	add(s[start:])
	return out
}

// wants reports whether the answer should carry the top-level attribute
// name of the core schema with URN coreURN: it is not excluded, and when
// attributes are listed, one of them is name or under it.
func (p projection) wants(coreURN, name string) bool {
	for _, e := range p.excluded {
		head, whole := attrHead(coreURN, e)
		if whole && strings.EqualFold(head, name) {
			return false
		}
	}
	if len(p.attributes) == 0 {
		return true
	}
	for _, a := range p.attributes {
		if head, _ := attrHead(coreURN, a); strings.EqualFold(head, name) {
			return true
		}
	}
	return false
}

// attrHead returns the top-level attribute name of path, with an optional
// core schema URN prefix removed, and whether path names the whole
// attribute rather than a sub-attribute or a filtered part of it.
func attrHead(coreURN, path string) (string, bool) {
	if len(path) > len(coreURN) && strings.EqualFold(path[:len(coreURN)], coreURN) && path[len(coreURN)] == ':' {
		path = path[len(coreURN)+1:]
	}
	if i := strings.IndexAny(path, ".["); i >= 0 {
		return path[:i], false
	}
	return path, true
}
