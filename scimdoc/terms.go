package scimdoc

// Term is a comparison a filter requires of every resource it matches:
// Attr is the attribute path in lower case without the core schema URN
// ("username", "name.familyname", "emails.value", "meta.lastmodified"), Op
// the operator in lower case and Value the compared value (string, float64,
// bool or nil).
type Term struct {
	Attr  string
	Op    string
	Value any
}

// Terms returns the comparisons of a filter whose top level is an AND of
// terms, so that the caller can narrow the candidates through an index
// before checking them with Match. `emails[value sw "x"]` gives the term
// emails.value sw "x", and `emails sw "x"` does too. only is true when the
// filter is nothing but the returned terms (no OR, NOT or other value path
// condition), so that a resource meeting all of them matches. A nil filter
// gives no terms and only true.
func (f *Filter) Terms() (terms []Term, only bool) {
	if f == nil || f.root == nil {
		return nil, true
	}
	only = true
	for _, t := range conjuncts(f.root, nil) {
		switch t.kind {
		case exprCompare:
			key := stripCoreURN(t.attr.key)
			if key == "emails" {
				key = "emails.value"
			}
			terms = append(terms, Term{Attr: key, Op: t.op, Value: t.value})
		case exprValuePath:
			inner := conjuncts(t.left, nil)
			parent := stripCoreURN(t.attr.key)
			if len(inner) != 1 {
				only = false
			}
			for _, in := range inner {
				if in.kind == exprCompare && !containsDot(in.attr.key) {
					terms = append(terms, Term{Attr: parent + "." + in.attr.key, Op: in.op, Value: in.value})
				} else {
					only = false
				}
			}
		default:
			only = false
		}
	}
	return terms, only
}

func containsDot(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' || s[i] == ':' {
			return true
		}
	}
	return false
}
