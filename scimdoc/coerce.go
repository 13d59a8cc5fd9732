package scimdoc

import (
	"encoding/base64"
	"math"
	"sort"
	"strings"
	"time"
)

// Value coercion shared by Normalize and ApplyPatch: a value as a client sent
// it becomes the stored form of its attribute, or a 400 invalidValue naming
// the attribute. The compatibility rules are explicit here:
//   - boolean attributes accept the strings "true" and "false" in any case
//     (Entra ID sends "False" without the aadOptscim062020 flag);
//   - integer and decimal attributes accept numeric strings;
//   - a complex attribute with a "value" sub-attribute accepts a plain
//     string s as {"value": s} (Entra ID's manager, MS reference code's
//     members);
//   - a single-valued complex attribute given a list takes its first
//     element, reduced to its "value" when the attribute has one (Entra
//     ID's core-level manager, "Example 5");
//   - a multi-valued attribute given a single value takes it as a list of one;
//   - nulls, empty lists and empty objects are unassigned (RFC 7643 §2.5);
//   - unknown and readOnly sub-attributes are dropped (RFC 7643 §2.2).

func invalidValue(n *attrNode, what string) *Error {
	return BadRequest(TypeInvalidValue, "attribute %q must be %s", n.display(), what)
}

// coerce converts v to the stored form of attribute n. A nil result means
// unassigned. With keepNulls, a single-valued complex value keeps its null
// sub-attributes, which ApplyPatch reads as "remove this sub-attribute".
func coerce(n *attrNode, v any, keepNulls bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	if !n.multi() {
		return coerceSingle(n, v, keepNulls)
	}
	l, ok := asList(v)
	if !ok {
		l = []any{v}
	}
	out := make([]any, 0, len(l))
	for _, e := range l {
		if _, nested := asList(e); nested {
			return nil, invalidValue(n, "a list of single values")
		}
		c, err := coerceSingle(n, e, false)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func coerceSingle(n *attrNode, v any, keepNulls bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch n.typ() {
	case "string", "reference":
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, invalidValue(n, "a string")
	case "binary":
		if s, ok := v.(string); ok {
			if _, err := base64.StdEncoding.DecodeString(s); err == nil {
				return s, nil
			}
		}
		return nil, invalidValue(n, "a base64 string")
	case "boolean":
		if b, ok := toBool(v); ok {
			return b, nil
		}
		return nil, invalidValue(n, "a boolean")
	case "integer":
		if _, isBool := v.(bool); !isBool {
			if f, ok := toFloat(v); ok && f == math.Trunc(f) {
				return f, nil
			}
		}
		return nil, invalidValue(n, "an integer")
	case "decimal":
		if _, isBool := v.(bool); !isBool {
			if f, ok := toFloat(v); ok {
				return f, nil
			}
		}
		return nil, invalidValue(n, "a number")
	case "dateTime":
		switch t := v.(type) {
		case time.Time:
			return t.UTC().Format(time.RFC3339Nano), nil
		case string:
			if _, ok := toTime(t); ok {
				return t, nil
			}
		}
		return nil, invalidValue(n, "a dateTime such as 2008-01-23T04:56:22Z")
	case typeComplex:
		return coerceComplex(n, v, keepNulls)
	}
	return nil, invalidValue(n, "of a known type")
}

func coerceComplex(n *attrNode, v any, keepNulls bool) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		return coerceObject(n, t, keepNulls)
	case string:
		if n.valueSub != nil {
			return coerceObject(n, map[string]any{n.valueSub.name: t}, keepNulls)
		}
	}
	if l, ok := asList(v); ok && !n.multi() {
		if len(l) == 0 {
			return nil, nil
		}
		first := l[0]
		if m, isMap := first.(map[string]any); isMap && n.valueSub != nil {
			// Entra ID's [{"$ref": "<its own URL>", "value": id}]: only the
			// value identifies the resource here.
			first = map[string]any{n.valueSub.name: valueCI(m, n.valueSub.name)}
		}
		if _, nested := asList(first); !nested {
			return coerceComplex(n, first, keepNulls)
		}
	}
	return nil, invalidValue(n, "an object")
}

// coerceObject converts the members of a complex value. Member names match
// sub-attributes case-insensitively; two members naming the same
// sub-attribute are an invalidSyntax error.
func coerceObject(n *attrNode, m map[string]any, keepNulls bool) (any, error) {
	out := make(map[string]any, len(m))
	for _, k := range sortedKeys(m) {
		sub := n.subByLow[strings.ToLower(k)]
		if sub == nil || sub.readOnly() {
			continue
		}
		if _, dup := out[sub.name]; dup {
			return nil, BadRequest(TypeInvalidSyntax, "attribute %q is given more than once", sub.display())
		}
		c, err := coerce(sub, m[k], false)
		if err != nil {
			return nil, err
		}
		if c != nil || keepNulls {
			out[sub.name] = c
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// sortedKeys returns the keys of m ordered case-insensitively, so that a
// whole attribute ("Name") always comes before its dotted sub-attributes
// ("name.givenName") and the outcome never depends on map order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := strings.ToLower(keys[i]), strings.ToLower(keys[j])
		if a != b {
			return a < b
		}
		return keys[i] < keys[j]
	})
	return keys
}
