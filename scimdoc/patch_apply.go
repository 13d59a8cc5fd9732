package scimdoc

import (
	"fmt"
	"reflect"
	"strings"
)

// ApplyPatch applies PATCH operations (RFC 7644 §3.5.2) in order to a copy
// of doc and returns the copy; doc is never modified, and an error leaves
// nothing applied.
//
// With a path, add and replace set the target: a simple attribute, a
// sub-attribute ("name.familyName"), a URN-qualified extension attribute, a
// whole extension, or values selected by a filter
// (`emails[type eq "work"].value`). add on a single-valued attribute
// replaces it. On a multi-valued attribute add appends, merging a value into
// an existing one with the same "value" (and "type", when both have one) and
// skipping equal values; replace replaces the list. On a complex value add
// and replace merge sub-attributes, as RFC 7644 §3.5.2.3 says sub-attributes
// not given are left unchanged, except that a new "value" of a single-valued
// reference such as manager replaces the old object. When a filter matches
// nothing, add and replace create the value from the filter's "eq" terms
// ({"type": "work", "value": v}), which Entra ID relies on; a filter without
// such terms gives 400 noTarget. A value whose "primary" becomes true makes
// the attribute's other values non-primary (RFC 7643 §2.4).
//
// Without a path, the value must be an object whose members are attribute
// names, dotted paths ("name.givenName"), URN-qualified paths or extension
// objects; "id", "meta", "schemas", readOnly and unknown members are
// ignored, as in a PUT.
//
// remove deletes the target; with a filter, the matching values (nothing
// when none match); on a multi-valued attribute with a value, only the
// values equal to the given ones (Entra ID's members removal). A null value
// in add or replace removes the target. Emptied lists, objects and
// extensions are deleted, and "schemas" is set to the core URN plus the
// extensions present.
//
// Errors are 400 *Error values: invalidPath for bad or unknown paths,
// noTarget for remove without a path, mutability for readOnly targets and
// for changing an immutable value, invalidValue for values of the wrong type
// (naming the attribute) and for removing a required attribute,
// invalidSyntax for an unknown op or an attribute given twice. Values go
// through the same compatibility rules as Normalize (string booleans,
// manager as a string or a list). A nil rs is a plain error.
func ApplyPatch(rs *ResourceSchema, doc Document, ops []Operation) (Document, error) {
	return ApplyPatchWith(rs, doc, ops, PatchOptions{})
}

// PatchOptions change how ApplyPatchWith reads operations.
type PatchOptions struct {
	// Strict makes a replace whose value filter selects nothing a 400
	// noTarget, as RFC 7644 §3.5.2.3 says, instead of adding the value
	// the filter describes (what Entra ID relies on).
	Strict bool
}

// ApplyPatchWith is ApplyPatch under opts.
func ApplyPatchWith(rs *ResourceSchema, doc Document, ops []Operation, opts PatchOptions) (Document, error) {
	if rs == nil {
		return nil, errNoSchema
	}
	if err := rs.checkPatchWork(doc, len(ops)); err != nil {
		return nil, err
	}
	p := &patcher{rs: rs, doc: DeepCopy(doc), strict: opts.Strict}
	if p.doc == nil {
		p.doc = Document{}
	}
	for i, op := range ops {
		if err := p.apply(op); err != nil {
			return nil, opError(i, op, err)
		}
		if err := rs.checkCounts(p.doc, doc); err != nil {
			return nil, opError(i, op, err)
		}
	}
	for _, n := range rs.requiredTops() {
		if !isEmpty(valueCI(doc, n.name)) && isEmpty(valueCI(p.doc, n.name)) {
			return nil, BadRequest(TypeInvalidValue, "attribute %q is required and cannot be removed", n.display())
		}
	}
	tidyMultiValued(rs, p.doc)
	if err := rs.checkLimits(p.doc, doc); err != nil {
		return nil, err
	}
	setSchemas(rs, p.doc)
	return p.doc, nil
}

func opError(i int, op Operation, err error) error {
	e, ok := AsError(err)
	if !ok {
		return fmt.Errorf("patch operation %d: %w", i+1, err)
	}
	return &Error{Status: e.Status, ScimType: e.ScimType, Detail: fmt.Sprintf("operation %d (%s): %s", i+1, strings.ToLower(op.Op), e.Detail), Err: e.Err}
}

// setSchemas deletes empty extension objects, renames extension keys to
// their canonical URN and sets "schemas" to the core URN plus the URNs of
// the extensions present.
func setSchemas(rs *ResourceSchema, doc Document) {
	schemas := []any{rs.coreURN}
	for _, c := range rs.exts {
		k, v, ok := getCI(doc, c.urn)
		if !ok {
			continue
		}
		delete(doc, k)
		if m, isMap := v.(map[string]any); isMap && !isEmpty(m) {
			doc[c.urn] = m
			schemas = append(schemas, c.urn)
		}
	}
	deleteCI(doc, "schemas")
	doc["schemas"] = schemas
}

type patcher struct {
	rs     *ResourceSchema
	doc    Document
	strict bool // PatchOptions.Strict
}

func (p *patcher) apply(op Operation) error {
	name := strings.ToLower(strings.TrimSpace(op.Op))
	path := strings.TrimSpace(op.Path)
	switch name {
	case "add", "replace":
		if path == "" {
			return p.noPath(name, op.Value)
		}
		pa, n, err := resolvePath(p.rs, path)
		if err != nil {
			return err
		}
		if n == nil {
			return p.setExtension(name, pa.URN, op.Value)
		}
		return p.set(name, n, pa.Filter, op.Value)
	case "remove":
		if path == "" {
			return BadRequest(TypeNoTarget, "remove needs a path")
		}
		pa, n, err := resolvePath(p.rs, path)
		if err != nil {
			return err
		}
		if n == nil {
			deleteCI(p.doc, pa.URN)
			return nil
		}
		return p.remove(n, pa.Filter, op.Value)
	}
	return BadRequest(TypeInvalidSyntax, "unknown op %q; use add, replace or remove", clip(op.Op))
}

// noPath applies add or replace with the resource as the target.
func (p *patcher) noPath(op string, value any) error {
	m, ok := value.(map[string]any)
	if !ok {
		return BadRequest(TypeInvalidValue, "%s without a path needs an object value", op)
	}
	seen := map[*attrNode]bool{}
	for _, k := range sortedKeys(m) {
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "schemas", "id", "meta":
			continue
		}
		if c := p.rs.extension(strings.TrimSpace(k)); c != nil {
			if err := p.setExtension(op, c.urn, m[k]); err != nil {
				return err
			}
			continue
		}
		n := p.rs.lookup(k)
		if n == nil || n.readOnly() {
			continue
		}
		if err := markSeen(seen, n); err != nil {
			return err
		}
		if err := p.set(op, n, nil, m[k]); err != nil {
			return err
		}
	}
	return nil
}

// setExtension applies add or replace to a whole extension object: null
// removes it, an object sets its members.
func (p *patcher) setExtension(op, urn string, value any) error {
	c := p.rs.extension(urn)
	if value == nil {
		deleteCI(p.doc, urn)
		return nil
	}
	m, ok := value.(map[string]any)
	if !ok {
		return BadRequest(TypeInvalidValue, "extension %q must be an object", urn)
	}
	seen := map[*attrNode]bool{}
	for _, k := range sortedKeys(m) {
		n := c.byLower[strings.ToLower(strings.TrimSpace(k))]
		if n == nil || n.readOnly() {
			continue
		}
		if err := markSeen(seen, n); err != nil {
			return err
		}
		if err := p.set(op, n, nil, m[k]); err != nil {
			return err
		}
	}
	return nil
}

func markSeen(seen map[*attrNode]bool, n *attrNode) error {
	if seen[n] {
		return BadRequest(TypeInvalidSyntax, "attribute %q is given more than once", n.display())
	}
	seen[n] = true
	return nil
}

func readOnlyError(n *attrNode) *Error {
	return BadRequest(TypeMutability, "attribute %q is readOnly", n.display())
}

// checkImmutable fails when an immutable attribute that has a value would
// get a different one (RFC 7643 §2.2: it may only be set when unassigned).
func checkImmutable(n *attrNode, old, next any) error {
	if n.immutable() && !isEmpty(old) && !reflect.DeepEqual(old, next) {
		return BadRequest(TypeMutability, "attribute %q is immutable", n.display())
	}
	return nil
}

// set applies add or replace to attribute or sub-attribute n, restricted to
// the values f selects when f is set.
func (p *patcher) set(op string, n *attrNode, f *Filter, value any) error {
	top := n.topNode()
	if n.readOnly() {
		return readOnlyError(n)
	}
	if value == nil {
		return p.remove(n, f, nil)
	}
	var sub *attrNode
	if n.parent != nil {
		sub = n
	}
	cont := containerOf(p.doc, top, true)
	switch {
	case f != nil:
		if p.strict && op == "replace" && !anySelected(top, f, cont) {
			return BadRequest(TypeNoTarget, "no value of %q matches the filter [%s]", top.display(), clip(f.String()))
		}
		return setFiltered(top, sub, f, cont, value)
	case sub != nil:
		return setSub(top, sub, cont, value)
	case top.multi():
		return setList(op, top, cont, value)
	}
	return setSingle(top, cont, value)
}

// setSingle sets a single-valued attribute, merging a complex value.
func setSingle(top *attrNode, cont map[string]any, value any) error {
	old := valueCI(cont, top.name)
	cv, err := coerce(top, value, top.complex())
	if err != nil {
		return err
	}
	if m, ok := cv.(map[string]any); ok {
		oldM, _ := old.(map[string]any)
		cv = mergeComplex(top, oldM, m)
	}
	if err := checkImmutable(top, old, cv); err != nil {
		return err
	}
	putOrDelete(cont, top.name, cv)
	return nil
}

// setList adds values to, or replaces, a multi-valued attribute.
func setList(op string, top *attrNode, cont map[string]any, value any) error {
	old := valueCI(cont, top.name)
	cv, err := coerce(top, value, false)
	if err != nil {
		return err
	}
	values, _ := cv.([]any)
	if op == "replace" {
		if err := checkImmutable(top, old, cv); err != nil {
			return err
		}
		putOrDelete(cont, top.name, cv)
		return nil
	}
	if len(values) == 0 {
		return nil
	}
	list, _ := asList(old)
	if top.immutable() && len(list) > 0 {
		return BadRequest(TypeMutability, "attribute %q is immutable", top.display())
	}
	list = append([]any(nil), list...)
	touched := make([]int, 0, len(values))
	for _, v := range values {
		if i := findSame(top, list, v); i >= 0 {
			list[i] = mergeElement(list[i], v)
			touched = append(touched, i)
			continue
		}
		list = append(list, v)
		touched = append(touched, len(list)-1)
	}
	fixPrimary(top, list, touched)
	putOrDelete(cont, top.name, list)
	return nil
}

// setSub sets a sub-attribute of a complex attribute, on every value of a
// multi-valued one (creating a value when there is none).
func setSub(top, sub *attrNode, cont map[string]any, value any) error {
	cv, err := coerce(sub, value, false)
	if err != nil {
		return err
	}
	old := valueCI(cont, top.name)
	if !top.multi() {
		m, _ := old.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		if err := checkImmutable(sub, valueCI(m, sub.name), cv); err != nil {
			return err
		}
		putOrDelete(m, sub.name, cv)
		putOrDelete(cont, top.name, m)
		return nil
	}
	list, _ := asList(old)
	if len(list) == 0 {
		if cv == nil {
			return nil
		}
		putOrDelete(cont, top.name, []any{map[string]any{sub.name: cv}})
		return nil
	}
	touched := make([]int, 0, len(list))
	for i, e := range list {
		if m, ok := e.(map[string]any); ok {
			if err := checkImmutable(sub, valueCI(m, sub.name), cv); err != nil {
				return err
			}
			putOrDelete(m, sub.name, cv)
			touched = append(touched, i)
		}
	}
	if sub == top.primary {
		fixPrimary(top, list, touched)
	}
	putOrDelete(cont, top.name, dropEmpty(list))
	return nil
}

// setFiltered sets the values of top selected by f (or their sub-attribute
// sub), creating one from f's "eq" terms when none is selected.
func setFiltered(top, sub *attrNode, f *Filter, cont map[string]any, value any) error {
	list := filterTargets(top, cont)
	var cv any
	var err error
	if sub != nil {
		cv, err = coerce(sub, value, false)
	} else {
		if l, ok := asList(value); ok && len(l) == 1 {
			value = l[0]
		}
		cv, err = coerceSingle(top, value, false)
	}
	if err != nil {
		return err
	}
	if cv == nil {
		return nil
	}
	var touched []int
	for i, e := range list {
		if !evalElem(top, f.root, e) {
			continue
		}
		touched = append(touched, i)
		switch m, isMap := e.(map[string]any); {
		case sub != nil && isMap:
			if err := checkImmutable(sub, valueCI(m, sub.name), cv); err != nil {
				return err
			}
			putOrDelete(m, sub.name, cv)
		case sub == nil && isMap:
			nm, _ := cv.(map[string]any)
			list[i] = mergeComplex(top, m, nm)
		default:
			list[i] = cv
		}
	}
	if len(touched) == 0 {
		elem, ok := elementFromFilter(top, f)
		if !ok {
			return BadRequest(TypeNoTarget, "no value of %q matches the filter [%s], and the filter does not say which value to create", top.display(), clip(f.String()))
		}
		if sub != nil {
			elem[sub.name] = cv
		} else if nm, isMap := cv.(map[string]any); isMap {
			for k, v := range nm {
				elem[k] = v
			}
		}
		list = append(list, elem)
		touched = append(touched, len(list)-1)
	}
	fixPrimary(top, list, touched)
	storeTargets(top, cont, dropEmpty(list))
	return nil
}

// anySelected reports whether f selects a value of top.
func anySelected(top *attrNode, f *Filter, cont map[string]any) bool {
	for _, e := range filterTargets(top, cont) {
		if evalElem(top, f.root, e) {
			return true
		}
	}
	return false
}

// filterTargets returns the values of top as a fresh list: the elements of
// a multi-valued attribute, or the one value of a single-valued complex one.
func filterTargets(top *attrNode, cont map[string]any) []any {
	var buf [4]any
	return append([]any(nil), elements(buf[:0], cont, top)...)
}

// storeTargets writes back what filterTargets returned.
func storeTargets(top *attrNode, cont map[string]any, list []any) {
	if top.multi() {
		putOrDelete(cont, top.name, list)
		return
	}
	if len(list) == 0 {
		deleteCI(cont, top.name)
		return
	}
	putOrDelete(cont, top.name, list[len(list)-1])
}

// elementFromFilter builds a value from a filter that is an AND of "eq"
// terms on sub-attributes: [type eq "work"] gives {"type": "work"}.
func elementFromFilter(top *attrNode, f *Filter) (map[string]any, bool) {
	if !top.complex() {
		return nil, false
	}
	elem := map[string]any{}
	for _, t := range conjuncts(f.root, nil) {
		if t.kind != exprCompare || t.op != "eq" || t.value == nil {
			return nil, false
		}
		s := top.subByLow[t.attr.key]
		if s == nil || s.readOnly() {
			return nil, false
		}
		v := t.value
		if s.typ() == "string" || s.typ() == "reference" {
			v = textOf(v)
		}
		cv, err := coerce(s, v, false)
		if err != nil || cv == nil {
			return nil, false
		}
		elem[s.name] = cv
	}
	return elem, len(elem) > 0
}

// remove deletes attribute or sub-attribute n (RFC 7644 §3.5.2.2).
func (p *patcher) remove(n *attrNode, f *Filter, value any) error {
	top := n.topNode()
	if n.readOnly() {
		return readOnlyError(n)
	}
	cont := containerOf(p.doc, top, false)
	old := valueCI(cont, top.name)
	if old == nil {
		deleteCI(cont, top.name)
		return nil
	}
	var sub *attrNode
	if n.parent != nil {
		sub = n
	}
	switch {
	case f != nil:
		return removeFiltered(top, sub, f, cont)
	case sub != nil:
		list := filterTargets(top, cont)
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				if err := checkImmutable(sub, valueCI(m, sub.name), nil); err != nil {
					return err
				}
				deleteCI(m, sub.name)
			}
		}
		storeTargets(top, cont, dropEmpty(list))
		return nil
	case top.multi() && value != nil:
		return removeValues(top, cont, value)
	}
	if err := checkImmutable(top, old, nil); err != nil {
		return err
	}
	deleteCI(cont, top.name)
	return nil
}

// removeFiltered removes the values f selects, or their sub-attribute sub.
func removeFiltered(top, sub *attrNode, f *Filter, cont map[string]any) error {
	list := filterTargets(top, cont)
	kept := list[:0]
	for _, e := range list {
		if !evalElem(top, f.root, e) {
			kept = append(kept, e)
			continue
		}
		if sub == nil {
			if err := checkImmutable(top, e, nil); err != nil {
				return err
			}
			continue
		}
		if m, ok := e.(map[string]any); ok {
			if err := checkImmutable(sub, valueCI(m, sub.name), nil); err != nil {
				return err
			}
			deleteCI(m, sub.name)
		}
		kept = append(kept, e)
	}
	storeTargets(top, cont, dropEmpty(kept))
	return nil
}

// removeValues removes from a multi-valued attribute the values equal to the
// given ones: remove "members" with [{"value": "id"}] removes that member
// only (Entra ID).
func removeValues(top *attrNode, cont map[string]any, value any) error {
	cv, err := coerce(top, value, false)
	if err != nil {
		return err
	}
	given, _ := cv.([]any)
	list, _ := asList(valueCI(cont, top.name))
	kept := make([]any, 0, len(list))
	for _, e := range list {
		if findSame(top, given, e) < 0 {
			kept = append(kept, e)
		}
	}
	if len(kept) != len(list) {
		if err := checkImmutable(top, list, kept); err != nil {
			return err
		}
	}
	putOrDelete(cont, top.name, kept)
	return nil
}

// putOrDelete stores v under name, or deletes name when v is unassigned.
func putOrDelete(m map[string]any, name string, v any) {
	if m == nil {
		return
	}
	if isEmpty(v) {
		deleteCI(m, name)
		return
	}
	setCanon(m, name, v)
}

// dropEmpty removes unassigned values from a list.
func dropEmpty(list []any) []any {
	out := list[:0]
	for _, e := range list {
		if !isEmpty(e) {
			out = append(out, e)
		}
	}
	return out
}

// mergeComplex merges next into old: members of next overwrite, null members
// remove. For a single-valued attribute with a "value" (a reference such as
// manager), a next with another value refers to another resource and
// replaces old instead, so no stale "$ref" survives.
func mergeComplex(top *attrNode, old, next map[string]any) map[string]any {
	out := map[string]any{}
	keepOld := true
	if vs := top.valueSub; vs != nil && old != nil && !top.multi() {
		if nv := next[vs.name]; nv != nil && !compareScalar(vs, "eq", valueCI(old, vs.name), nv) {
			keepOld = false
		}
	}
	if keepOld {
		for k, v := range old {
			if s := top.subByLow[strings.ToLower(k)]; s != nil {
				out[s.name] = v
			} else {
				out[k] = v
			}
		}
	}
	for k, v := range next {
		if v == nil {
			deleteCI(out, k)
			continue
		}
		setCanon(out, k, v)
	}
	return out
}

// mergeElement merges a new value of a multi-valued attribute into an
// existing one with the same identity.
func mergeElement(old, next any) any {
	om, ok1 := old.(map[string]any)
	nm, ok2 := next.(map[string]any)
	if !ok1 || !ok2 {
		return next
	}
	out := make(map[string]any, len(om)+len(nm))
	for k, v := range om {
		out[k] = v
	}
	for k, v := range nm {
		setCanon(out, k, v)
	}
	return out
}

// findSame returns the index in list of a value with the same identity as v:
// for complex values with a "value" sub-attribute, the same value (and the
// same type when both have one); otherwise an equal value.
func findSame(top *attrNode, list []any, v any) int {
	for i, e := range list {
		if sameValue(top, e, v) {
			return i
		}
	}
	return -1
}

func sameValue(top *attrNode, a, b any) bool {
	if !top.complex() {
		return compareScalar(top, "eq", a, b)
	}
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if !ok1 || !ok2 {
		return reflect.DeepEqual(a, b)
	}
	if vs := top.valueSub; vs != nil {
		av, bv := valueCI(am, vs.name), valueCI(bm, vs.name)
		if av != nil && bv != nil {
			if !compareScalar(vs, "eq", av, bv) {
				return false
			}
			if ts := top.typeSub; ts != nil {
				at, bt := valueCI(am, ts.name), valueCI(bm, ts.name)
				if at != nil && bt != nil && !compareScalar(ts, "eq", at, bt) {
					return false
				}
			}
			return true
		}
	}
	return reflect.DeepEqual(am, bm)
}

// fixPrimary makes the values at indexes other than touched non-primary when
// a touched value is primary (RFC 7643 §2.4: primary true appears at most
// once).
func fixPrimary(top *attrNode, list []any, touched []int) {
	if top.primary == nil {
		return
	}
	isPrimary := func(e any) bool {
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		b, _ := toBool(valueCI(m, top.primary.name))
		return b
	}
	found := false
	mark := make(map[int]bool, len(touched))
	for _, i := range touched {
		mark[i] = true
		found = found || (i < len(list) && isPrimary(list[i]))
	}
	if !found {
		return
	}
	for i, e := range list {
		if !mark[i] && isPrimary(e) {
			setCanon(e.(map[string]any), top.primary.name, false)
		}
	}
}
