package scimdoc

import "strings"

// Hint is an equality term of a filter on an indexed attribute: Attr is one
// of "id", "username", "externalid", "emails.value", "displayname" and
// "members.value"; Value is the compared value as written (the caller folds
// case for attributes that are not caseExact).
type Hint struct{ Attr, Value string }

// EqualityHints returns, for a filter whose top level is an AND of terms,
// the terms of the form `<attr> eq "<string>"` on the indexed attributes, so
// that the caller can look candidates up in an index instead of scanning.
// Candidates must still be checked with Match. `emails[type eq "work"].value
// eq "x"` and `emails[value eq "x"]` give "emails.value"; `members[value eq
// "x"]` and `members eq "x"` give "members.value". A filter whose top level
// is an OR, or that has no such term, gives none.
func (f *Filter) EqualityHints() []Hint {
	if f == nil || f.root == nil {
		return nil
	}
	var out []Hint
	for _, t := range conjuncts(f.root, nil) {
		switch t.kind {
		case exprCompare:
			if h, ok := hintFor(stripCoreURN(t.attr.key), t); ok {
				out = append(out, h)
			}
		case exprValuePath:
			parent := stripCoreURN(t.attr.key)
			if parent != "emails" && parent != "members" {
				continue
			}
			for _, in := range conjuncts(t.left, nil) {
				if in.kind == exprCompare && in.attr.key == "value" {
					if h, ok := hintFor(parent+".value", in); ok {
						out = append(out, h)
					}
				}
			}
		}
	}
	return out
}

// conjuncts flattens a tree of "and" nodes into its terms.
func conjuncts(e *expr, out []*expr) []*expr {
	if e.kind == exprAnd {
		return conjuncts(e.right, conjuncts(e.left, out))
	}
	return append(out, e)
}

func hintFor(key string, t *expr) (Hint, bool) {
	if t.op != "eq" {
		return Hint{}, false
	}
	switch key {
	case "emails", "members":
		key += ".value"
	case "id", "username", "externalid", "emails.value", "displayname", "members.value":
	default:
		return Hint{}, false
	}
	switch v := t.value.(type) {
	case string:
		return Hint{Attr: key, Value: v}, true
	case float64:
		return Hint{Attr: key, Value: textOf(v)}, true
	}
	return Hint{}, false
}

// stripCoreURN removes a core User or Group schema URN from a lower-cased
// attribute path.
func stripCoreURN(key string) string {
	for _, urn := range [...]string{"urn:ietf:params:scim:schemas:core:2.0:user:", "urn:ietf:params:scim:schemas:core:2.0:group:"} {
		if strings.HasPrefix(key, urn) {
			return key[len(urn):]
		}
	}
	return key
}
