package scimdoc

import (
	"reflect"
	"strings"
	"unicode"
)

// tidyMultiValued applies the rules of RFC 7643 §2.4 to every multi-valued
// attribute of doc, in place, so that what is stored and returned follows
// them whatever the client sent:
//   - a value equal to an earlier one (the same "value" and the same "type",
//     compared as the schema compares them; for complex values without a
//     "value", every sub-attribute but "primary" the same) is dropped; when
//     the dropped one was primary, the one kept becomes primary;
//   - "primary": true is kept on the first value that has it, and set to
//     false on the others.
//
// The same rule holds for POST, PUT and PATCH: Normalize and ApplyPatch both
// end with it. (A PATCH value marked primary first makes the attribute's
// other values non-primary, as ApplyPatch says, so within a PATCH the newest
// primary wins over the stored one; two primaries in one request keep the
// first.)
func tidyMultiValued(rs *ResourceSchema, doc Document) {
	_ = rs.eachTop(doc, func(n *attrNode, v any) error {
		l, ok := v.([]any)
		if !ok || !n.multi() || len(l) == 0 {
			return nil
		}
		out := dedupeValues(n, l)
		if n.primary != nil {
			keepFirstPrimary(n, out)
		}
		if len(out) != len(l) {
			setCanon(containerOf(doc, n, false), n.name, out)
		}
		return nil
	})
}

// dedupeValues returns l without the values equal to an earlier one; l
// itself when there are none.
func dedupeValues(n *attrNode, l []any) []any {
	if !hasDuplicate(n, l) {
		return l
	}
	out := make([]any, 0, len(l))
	// Values are grouped by a key that equal values share, so each one is
	// compared only with the kept values of its group: a group of 10,000
	// members would otherwise cost 50 million comparisons.
	groups := map[string][]int{}
	for _, e := range l {
		key := dedupeKey(n, e)
		dup := -1
		for _, i := range groups[key] {
			if exactlySame(n, out[i], e) {
				dup = i
				break
			}
		}
		if dup < 0 {
			groups[key] = append(groups[key], len(out))
			out = append(out, e)
			continue
		}
		if n.primary != nil && isPrimaryValue(n, e) && !isPrimaryValue(n, out[dup]) {
			if m, ok := out[dup].(map[string]any); ok {
				setCanon(m, n.primary.name, true)
			}
		}
	}
	return out
}

// fewValues is the length up to which hasDuplicate compares every pair,
// which allocates nothing; longer lists are grouped by dedupeKey first.
const fewValues = 16

// hasDuplicate reports whether a value of l equals an earlier one.
func hasDuplicate(n *attrNode, l []any) bool {
	if len(l) <= fewValues {
		for i := 1; i < len(l); i++ {
			for j := range i {
				if exactlySame(n, l[j], l[i]) {
					return true
				}
			}
		}
		return false
	}
	groups := make(map[string][]int, len(l))
	for i, e := range l {
		key := dedupeKey(n, e)
		for _, j := range groups[key] {
			if exactlySame(n, l[j], e) {
				return true
			}
		}
		groups[key] = append(groups[key], i)
	}
	return false
}

// dedupeKey returns a key that values exactlySame holds equal share: the
// case-folded text of the value that identifies them (the element itself for
// a simple attribute, its "value" sub-attribute for a complex one). Values
// compared in another way (numbers, dates, booleans, complex values without
// a "value") all share the key "".
func dedupeKey(n *attrNode, e any) string {
	vn, v := n, e
	if n.complex() {
		m, ok := e.(map[string]any)
		if !ok || n.valueSub == nil {
			return ""
		}
		vn, v = n.valueSub, valueCI(m, n.valueSub.name)
	}
	switch vn.typ() {
	case "boolean", "integer", "decimal", "dateTime":
		return ""
	}
	return foldKey(textOf(v)) // compared as text: compareText
}

// foldKey maps s to the same string as every s2 for which
// strings.EqualFold(s, s2) holds: each rune becomes the smallest rune of its
// Unicode simple case folding orbit, which is the equivalence EqualFold
// tests rune by rune.
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// exactlySame reports whether a and b are the same value of n: equal
// "value" and "type" (both absent counts as equal), or, for complex values
// without a "value" sub-attribute, equal in every sub-attribute but
// "primary".
func exactlySame(n *attrNode, a, b any) bool {
	if !n.complex() {
		return compareScalar(n, "eq", a, b)
	}
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if !ok1 || !ok2 {
		return false
	}
	if vs := n.valueSub; vs != nil {
		av, bv := valueCI(am, vs.name), valueCI(bm, vs.name)
		if av == nil || bv == nil || !compareScalar(vs, "eq", av, bv) {
			return false
		}
		if ts := n.typeSub; ts != nil {
			at, bt := valueCI(am, ts.name), valueCI(bm, ts.name)
			if (at == nil) != (bt == nil) || at != nil && !compareScalar(ts, "eq", at, bt) {
				return false
			}
		}
		return true
	}
	return sameButPrimary(n, am, bm) && sameButPrimary(n, bm, am)
}

// sameButPrimary reports whether every member of a but "primary" is in b
// with an equal value.
func sameButPrimary(n *attrNode, a, b map[string]any) bool {
	for k, v := range a {
		if n.primary != nil && strings.EqualFold(k, n.primary.name) {
			continue
		}
		w, ok := b[k]
		if !ok || !reflect.DeepEqual(v, w) {
			return false
		}
	}
	return true
}

func isPrimaryValue(n *attrNode, e any) bool {
	m, ok := e.(map[string]any)
	if !ok {
		return false
	}
	b, _ := toBool(valueCI(m, n.primary.name))
	return b
}

// keepFirstPrimary sets primary to false on every value after the first
// primary one.
func keepFirstPrimary(n *attrNode, l []any) {
	found := false
	for _, e := range l {
		if !isPrimaryValue(n, e) {
			continue
		}
		if found {
			setCanon(e.(map[string]any), n.primary.name, false)
		}
		found = true
	}
}
