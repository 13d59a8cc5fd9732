package scimdoc

import "strings"

// Match reports whether doc matches the filter (RFC 7644 §3.4.2.2).
// Strings compare case-insensitively unless the attribute is caseExact (id,
// externalId); booleans and numbers compare by value; dateTime attributes
// (meta.created, meta.lastModified and schema dateTime attributes, given as
// RFC 3339 strings) compare as instants. A multi-valued attribute matches if
// any of its values does, and a complex attribute compared without a
// sub-attribute stands for its "value" sub-attribute (`members eq "x"`,
// `manager eq "x"`). "ne" is the negation of "eq"; "pr" needs a non-empty
// value. Unknown attributes match nothing. A nil filter matches everything.
// Match never panics, whatever the shape of doc.
func (f *Filter) Match(rs *ResourceSchema, doc Document) bool {
	if f == nil || f.root == nil {
		return true
	}
	if rs == nil {
		return false
	}
	return evalDoc(rs, f.root, doc)
}

func evalDoc(rs *ResourceSchema, e *expr, doc Document) bool {
	switch e.kind {
	case exprAnd:
		return evalDoc(rs, e.left, doc) && evalDoc(rs, e.right, doc)
	case exprOr:
		return evalDoc(rs, e.left, doc) || evalDoc(rs, e.right, doc)
	case exprNot:
		return !evalDoc(rs, e.left, doc)
	case exprCompare:
		n := rs.byKey[e.attr.key]
		if n == nil {
			return false
		}
		var buf [4]any
		return compareValues(n, e, collect(buf[:0], doc, n))
	case exprValuePath:
		n := rs.byKey[e.attr.key]
		if n == nil || n.parent != nil {
			return false
		}
		var buf [4]any
		for _, elem := range elements(buf[:0], containerOf(doc, n, false), n) {
			if evalElem(n, e.left, elem) {
				return true
			}
		}
	}
	return false
}

// evalElem evaluates a value filter on one value of the multi-valued or
// complex attribute parent.
func evalElem(parent *attrNode, e *expr, elem any) bool {
	switch e.kind {
	case exprAnd:
		return evalElem(parent, e.left, elem) && evalElem(parent, e.right, elem)
	case exprOr:
		return evalElem(parent, e.left, elem) || evalElem(parent, e.right, elem)
	case exprNot:
		return !evalElem(parent, e.left, elem)
	case exprCompare:
		var buf [4]any
		if !parent.complex() {
			// A simple multi-valued attribute: "value" is the element itself.
			if e.attr.key != "value" {
				return false
			}
			return compareValues(parent, e, append(buf[:0], elem))
		}
		sub := parent.subByLow[e.attr.key]
		m, ok := elem.(map[string]any)
		if sub == nil || !ok {
			return false
		}
		return compareValues(sub, e, appendValues(buf[:0], valueCI(m, sub.name)))
	}
	return false
}

// containerOf returns the map that holds n's top-level attribute: the
// document itself, or the extension object under the extension URN. With
// create set, a missing extension object is created and a URN key in another
// case is renamed to the canonical URN; without it, doc is left untouched.
func containerOf(doc map[string]any, n *attrNode, create bool) map[string]any {
	if doc == nil || !n.owner.ext {
		return doc
	}
	k, v, ok := getCI(doc, n.owner.urn)
	m, isMap := v.(map[string]any)
	if !create {
		return m
	}
	if ok && k != n.owner.urn || ok && !isMap {
		delete(doc, k)
	}
	if !isMap {
		m = map[string]any{}
	}
	doc[n.owner.urn] = m
	return m
}

// elements returns the values of top-level attribute n: the elements of a
// multi-valued attribute (a single value standing for a list of one), or the
// single value.
func elements(dst []any, cont map[string]any, n *attrNode) []any {
	v := valueCI(cont, n.name)
	if n.multi() {
		return appendValues(dst, v)
	}
	if v != nil {
		dst = append(dst, v)
	}
	return dst
}

// appendValues appends v, or v's elements when it is a list, skipping nulls.
func appendValues(dst []any, v any) []any {
	if l, ok := asList(v); ok {
		for _, e := range l {
			if e != nil {
				dst = append(dst, e)
			}
		}
		return dst
	}
	if v != nil {
		dst = append(dst, v)
	}
	return dst
}

// collect returns the values addressed by n in doc.
func collect(dst []any, doc Document, n *attrNode) []any {
	cont := containerOf(doc, n, false)
	if n.parent == nil {
		return elements(dst, cont, n)
	}
	var buf [4]any
	for _, e := range elements(buf[:0], cont, n.parent) {
		if m, ok := e.(map[string]any); ok {
			dst = appendValues(dst, valueCI(m, n.name))
		}
	}
	return dst
}

// compareValues applies e's operator to the values of attribute n.
func compareValues(n *attrNode, e *expr, vals []any) bool {
	if e.op == "pr" {
		for _, v := range vals {
			if !isEmpty(v) {
				return true
			}
		}
		return false
	}
	if n.complex() {
		// A complex attribute without a sub-attribute stands for its value.
		if n.valueSub == nil {
			return false
		}
		var buf [4]any
		sub := buf[:0]
		for _, v := range vals {
			if m, ok := v.(map[string]any); ok {
				sub = appendValues(sub, valueCI(m, "value"))
			}
		}
		n, vals = n.valueSub, sub
	}
	if e.value == nil {
		present := false
		for _, v := range vals {
			present = present || !isEmpty(v)
		}
		switch e.op {
		case "eq":
			return !present
		case "ne":
			return present
		}
		return false
	}
	op := e.op
	if op == "ne" {
		op = "eq"
	}
	found := false
	for _, v := range vals {
		if compareScalar(n, op, v, e.value) {
			found = true
			break
		}
	}
	if e.op == "ne" {
		return !found
	}
	return found
}

// compareScalar applies op to a document value and a filter value according
// to n's type.
func compareScalar(n *attrNode, op string, dv, fv any) bool {
	switch dv.(type) {
	case map[string]any, []any, []map[string]any, []string:
		return false
	}
	switch n.typ() {
	case "boolean":
		db, ok1 := toBool(dv)
		fb, ok2 := toBool(fv)
		return ok1 && ok2 && op == "eq" && db == fb
	case "integer", "decimal":
		df, ok1 := toFloat(dv)
		ff, ok2 := toFloat(fv)
		if !ok1 || !ok2 {
			return false
		}
		return ordered(op, compareFloat(df, ff))
	case "dateTime":
		if op != "co" && op != "sw" && op != "ew" {
			dt, ok1 := toTime(dv)
			ft, ok2 := toTime(fv)
			if ok1 && ok2 {
				return ordered(op, dt.Compare(ft))
			}
		}
		return compareText(op, textOf(dv), textOf(fv), false)
	}
	return compareText(op, textOf(dv), textOf(fv), n.caseExact())
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ordered turns a three-way comparison into the result of op.
func ordered(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

func compareText(op, a, b string, caseExact bool) bool {
	if op == "eq" {
		if caseExact {
			return a == b
		}
		return strings.EqualFold(a, b)
	}
	if !caseExact {
		a, b = strings.ToLower(a), strings.ToLower(b)
	}
	switch op {
	case "co":
		return strings.Contains(a, b)
	case "sw":
		return strings.HasPrefix(a, b)
	case "ew":
		return strings.HasSuffix(a, b)
	}
	return ordered(op, strings.Compare(a, b))
}

// Validate checks the filter against a schema where RFC 7644 §3.4.2.2
// requires it: "gt", "ge", "lt" and "le" on boolean and binary attributes
// fail with a 400 *Error, scimType invalidFilter. Unknown attributes are not
// an error.
func (f *Filter) Validate(rs *ResourceSchema) error {
	if f == nil || f.root == nil || rs == nil {
		return nil
	}
	return validateExpr(rs, nil, f.root)
}

func validateExpr(rs *ResourceSchema, parent *attrNode, e *expr) error {
	switch e.kind {
	case exprAnd, exprOr:
		if err := validateExpr(rs, parent, e.left); err != nil {
			return err
		}
		return validateExpr(rs, parent, e.right)
	case exprNot:
		return validateExpr(rs, parent, e.left)
	case exprValuePath:
		n := rs.byKey[e.attr.key]
		if n == nil {
			return nil
		}
		return validateExpr(rs, n, e.left)
	case exprCompare:
		var n *attrNode
		if parent == nil {
			n = rs.byKey[e.attr.key]
		} else if parent.complex() {
			n = parent.subByLow[e.attr.key]
		}
		if n == nil {
			return nil
		}
		if n.complex() && n.valueSub != nil {
			n = n.valueSub
		}
		switch e.op {
		case "gt", "ge", "lt", "le":
			if t := n.typ(); t == "boolean" || t == "binary" {
				return filterError("operator %q cannot be applied to %s attribute %q", e.op, t, e.attr.text)
			}
		}
		return validateValue(n, e)
	}
	return nil
}

// validateValue refuses a comparison value that can match nothing because
// it is not a value of the attribute's type, so a caller learns of the
// mistake instead of reading an empty list.
func validateValue(n *attrNode, e *expr) error {
	if e.op == "pr" {
		return nil
	}
	switch n.typ() {
	case "dateTime":
		if e.op == "co" || e.op == "sw" || e.op == "ew" {
			return nil
		}
		if _, ok := toTime(e.value); !ok {
			return filterError("%q is a dateTime: compare it with a quoted xsd:dateTime such as \"2026-01-02T15:04:05Z\"", e.attr.text)
		}
	case "boolean":
		if _, ok := toBool(e.value); !ok {
			return filterError("%q is a boolean: compare it with true or false", e.attr.text)
		}
	}
	return nil
}
