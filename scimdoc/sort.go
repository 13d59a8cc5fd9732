package scimdoc

import "strings"

// Compare orders two documents by the sortBy attribute (RFC 7644 §3.4.2.3)
// for an ascending sort: strings case-insensitively unless the attribute is
// caseExact, numbers and dateTimes by value, false before true; a
// multi-valued attribute by its primary value, else its first; a complex
// attribute without a sub-attribute by its "value". Documents without a
// value sort last (so first when the caller reverses the order for
// "descending", as the RFC says). Ties, an empty or unknown sortBy included,
// are broken by "id". It returns -1, 0 or +1.
func Compare(rs *ResourceSchema, a, b Document, sortBy string) int {
	if n := rs.lookup(sortBy); n != nil && strings.TrimSpace(sortBy) != "" {
		av, leaf, aok := sortValue(a, n)
		bv, _, bok := sortValue(b, n)
		switch {
		case aok && !bok:
			return -1
		case !aok && bok:
			return 1
		case aok && bok:
			if c := compareSorted(leaf, av, bv); c != 0 {
				return c
			}
		}
	}
	return strings.Compare(textOf(valueCI(a, "id")), textOf(valueCI(b, "id")))
}

// sortValue returns the value n sorts doc by and the attribute that
// describes it.
func sortValue(doc Document, n *attrNode) (any, *attrNode, bool) {
	top := n.topNode()
	v := valueCI(containerOf(doc, top, false), top.name)
	if top.multi() {
		var buf [4]any
		elems := elements(buf[:0], containerOf(doc, top, false), top)
		v = nil
		for i, e := range elems {
			m, _ := e.(map[string]any)
			if p, _ := toBool(valueCI(m, "primary")); p || i == 0 {
				v = e
				if p {
					break
				}
			}
		}
	}
	leaf := n
	switch {
	case n.parent != nil:
		m, _ := v.(map[string]any)
		v = valueCI(m, n.name)
	case top.complex():
		if top.valueSub == nil {
			return nil, nil, false
		}
		m, _ := v.(map[string]any)
		v, leaf = valueCI(m, "value"), top.valueSub
	}
	switch v.(type) {
	case map[string]any, []any, []map[string]any, []string:
		return nil, nil, false
	}
	return v, leaf, !isEmpty(v)
}

func compareSorted(n *attrNode, a, b any) int {
	switch n.typ() {
	case "boolean":
		ab, ok1 := toBool(a)
		bb, ok2 := toBool(b)
		if ok1 && ok2 {
			switch {
			case ab == bb:
				return 0
			case !ab:
				return -1
			}
			return 1
		}
	case "integer", "decimal":
		af, ok1 := toFloat(a)
		bf, ok2 := toFloat(b)
		if ok1 && ok2 {
			return compareFloat(af, bf)
		}
	case "dateTime":
		at, ok1 := toTime(a)
		bt, ok2 := toTime(b)
		if ok1 && ok2 {
			return at.Compare(bt)
		}
	}
	as, bs := textOf(a), textOf(b)
	if !n.caseExact() {
		as, bs = strings.ToLower(as), strings.ToLower(bs)
	}
	return strings.Compare(as, bs)
}
