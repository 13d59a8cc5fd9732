package scimdoc

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// DeepCopy returns a copy of doc that shares no maps or slices with it.
// Values of types other than maps, slices and scalars are copied by value.
func DeepCopy(doc Document) Document {
	if doc == nil {
		return nil
	}
	return copyMap(doc)
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return copyMap(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = copyValue(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = copyMap(e)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = e
		}
		return out
	default:
		return v
	}
}

// getCI returns the value stored under name in m, matching the key exactly
// first and case-insensitively second, and the key it was found under.
func getCI(m map[string]any, name string) (string, any, bool) {
	if m == nil {
		return "", nil, false
	}
	if v, ok := m[name]; ok {
		return name, v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return k, v, true
		}
	}
	return "", nil, false
}

// valueCI returns the value stored under name in m, or nil.
func valueCI(m map[string]any, name string) any {
	_, v, _ := getCI(m, name)
	return v
}

// Lookup returns the value of a JSON object's member name, matched as SCIM
// matches attribute names, case-insensitively (RFC 7643 §2.1), or nil when
// there is none: for callers that read parts of a document no schema
// describes, such as one member of a group's "members".
func Lookup(m map[string]any, name string) any { return valueCI(m, name) }

// LookupKey returns the key under which m holds the member name, matched as
// Lookup matches it, and whether there is one: for callers that write a
// member back under the spelling the document already uses.
func LookupKey(m map[string]any, name string) (string, bool) {
	k, _, ok := getCI(m, name)
	return k, ok
}

// setCanon stores v under the canonical name, dropping keys that differ from
// it only in case.
func setCanon(m map[string]any, name string, v any) {
	deleteCI(m, name)
	m[name] = v
}

// deleteCI removes every key equal to name case-insensitively.
func deleteCI(m map[string]any, name string) {
	for k := range m {
		if strings.EqualFold(k, name) {
			delete(m, k)
		}
	}
}

// asList returns v as a list when it is one of the slice shapes a document
// may hold.
func asList(v any) ([]any, bool) {
	switch t := v.(type) {
	case []any:
		return t, true
	case []map[string]any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = e
		}
		return out, true
	case []string:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = e
		}
		return out, true
	}
	return nil, false
}

// isEmpty reports whether v is unassigned in the sense of RFC 7643 §2.5:
// null, an empty string, an empty list or an object with no assigned member.
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case map[string]any:
		for _, e := range t {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	}
	if l, ok := asList(v); ok {
		for _, e := range l {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	}
	return false
}

// toFloat returns v as a number: JSON numbers, Go integers and numeric strings.
func toFloat(v any) (float64, bool) {
	var f float64
	switch t := v.(type) {
	case float64:
		f = t
	case float32:
		f = float64(t)
	case int:
		f = float64(t)
	case int64:
		f = float64(t)
	case int32:
		f = float64(t)
	case uint64:
		f = float64(t)
	case json.Number:
		p, err := t.Float64()
		if err != nil {
			return 0, false
		}
		f = p
	case string:
		p, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil {
			return 0, false
		}
		f = p
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// toBool returns v as a boolean: JSON booleans and, as a compatibility rule
// for Entra ID, the strings "true" and "false" in any case.
func toBool(v any) (bool, bool) {
	switch t := v.(type) {
	case bool:
		return t, true
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// toTime returns v as an instant. Strings are read as xsd:dateTime
// (RFC 7643 §2.3.5): RFC 3339 with any number of fractional digits, or
// without a zone (taken as UTC), or a bare date.
func toTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case string:
		s := strings.TrimSpace(t)
		layouts := [...]string{
			time.RFC3339Nano,
			"2006-01-02T15:04:05.999999999",
			"2006-01-02T15:04:05.999999999Z0700",
			"2006-01-02",
		}
		for _, layout := range layouts {
			if tm, err := time.Parse(layout, s); err == nil {
				return tm, true
			}
		}
	}
	return time.Time{}, false
}

// textOf returns the text form of a scalar, for comparing a number or a
// boolean with a string attribute.
func textOf(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case nil:
		return ""
	case time.Time:
		return t.Format(time.RFC3339Nano)
	}
	if f, ok := toFloat(v); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return ""
}
