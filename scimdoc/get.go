package scimdoc

// Get returns a copy of the value at path in doc, or nil. The path is a PATCH
// path resolved case-insensitively ("name.givenName", URN-qualified names,
// a whole extension URN, `emails[type eq "work"].value`). A sub-attribute of
// a multi-valued attribute ("emails.value") and a filtered path give the list
// of values found.
func Get(rs *ResourceSchema, doc Document, path string) any {
	p, n, err := resolvePath(rs, path)
	if err != nil {
		return nil
	}
	if n == nil {
		return copyValue(valueCI(doc, p.URN))
	}
	top := n.topNode()
	cont := containerOf(doc, top, false)
	if p.Filter == nil && n.parent == nil {
		return copyValue(valueCI(cont, top.name))
	}
	var buf [4]any
	var out []any
	for _, e := range elements(buf[:0], cont, top) {
		if p.Filter != nil && !evalElem(top, p.Filter.root, e) {
			continue
		}
		if n.parent == nil {
			out = append(out, copyValue(e))
			continue
		}
		if m, ok := e.(map[string]any); ok {
			out = appendValues(out, copyValue(valueCI(m, n.name)))
		}
	}
	if len(out) == 0 {
		return nil
	}
	if !top.multi() && p.Filter == nil {
		return out[0]
	}
	return out
}
