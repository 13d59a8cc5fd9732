package scimdoc

import "strings"

// Normalize turns a POST or PUT body into a clean document of the resource
// schema (RFC 7643 §3, RFC 7644 §3.3 and §3.5.1):
//   - attribute and sub-attribute names take their canonical case, whatever
//     case the body used ("Primary", "Department", "Manager": {"Value": …});
//   - extension attributes sit under their URN; fully qualified keys
//     ("urn:…:enterprise:2.0:User:employeeNumber") and, as a compatibility
//     rule, top-level names only an extension defines ("department") are
//     moved there;
//   - nulls, empty lists and empty objects are dropped (RFC 7643 §2.5);
//   - unknown attributes and unknown extension URNs are dropped, so a
//     misspelled attribute or Entra ID's typo URN does not fail the request;
//   - readOnly attributes (id, meta, groups, manager.displayName) are
//     dropped, as RFC 7643 §2.2 says the server ignores them;
//   - values are type-checked and go through the compatibility rules of
//     ApplyPatch (string booleans, manager as a string);
//   - "schemas" is set to the core URN plus the URNs of the extensions
//     present.
//
// It returns a 400 *Error: invalidValue naming the attribute for a value of
// the wrong type or a missing required attribute (userName, displayName),
// invalidSyntax for an attribute given twice (in different cases).
func Normalize(rs *ResourceSchema, doc Document) (Document, error) {
	if rs == nil {
		return nil, errNoSchema
	}
	out := Document{}
	seen := map[*attrNode]bool{}
	put := func(n *attrNode, v any) error {
		if v == nil {
			return nil
		}
		if err := markSeen(seen, n); err != nil {
			return err
		}
		cv, err := coerce(n, v, false)
		if err != nil || cv == nil {
			return err
		}
		cont := containerOf(out, n.topNode(), true)
		if n.parent == nil {
			cont[n.name] = cv
			return nil
		}
		// A dotted key ("name.givenName") sorts after its whole attribute
		// and merges into it; on a multi-valued attribute it is ignored.
		if n.parent.multi() {
			return nil
		}
		m, _ := cont[n.parent.name].(map[string]any)
		if m == nil {
			m = map[string]any{}
			cont[n.parent.name] = m
		}
		m[n.name] = cv
		return nil
	}
	for _, k := range sortedKeys(doc) {
		key := strings.TrimSpace(k)
		if strings.EqualFold(key, "schemas") {
			continue
		}
		if c := rs.extension(key); c != nil {
			v := doc[k]
			if v == nil {
				continue
			}
			em, ok := v.(map[string]any)
			if !ok {
				return nil, BadRequest(TypeInvalidValue, "extension %q must be an object", c.urn)
			}
			for _, sk := range sortedKeys(em) {
				n := c.byLower[strings.ToLower(strings.TrimSpace(sk))]
				if n == nil || n.readOnly() {
					continue
				}
				if err := put(n, em[sk]); err != nil {
					return nil, err
				}
			}
			continue
		}
		n := rs.lookup(key)
		if n == nil || n.readOnly() {
			continue
		}
		if err := put(n, doc[k]); err != nil {
			return nil, err
		}
	}
	for _, n := range rs.requiredTops() {
		if isEmpty(out[n.name]) {
			return nil, BadRequest(TypeInvalidValue, "attribute %q is required", n.display())
		}
	}
	tidyMultiValued(rs, out)
	if err := rs.checkLimits(out, nil); err != nil {
		return nil, err
	}
	setSchemas(rs, out)
	return out, nil
}
