package absorbapi

import (
	"strings"
	"time"
)

// Builders for the OData subset Absorb accepts in _filter. Values are quoted
// and escaped here; field names are written as given.

// Quote returns value as an OData string literal: in single quotes, with
// each ' doubled.
func Quote(value string) string {
	return "'" + strings.ReplaceAll(value, "'", "''") + "'"
}

// Eq returns `field eq 'value'`.
func Eq(field, value string) string { return field + " eq " + Quote(value) }

// DateTime returns t as an OData datetime literal in UTC, such as
// datetime'2025-01-01T00:00:00Z' (fractions of a second are kept when present).
func DateTime(t time.Time) string {
	return "datetime'" + t.UTC().Format(time.RFC3339Nano) + "'"
}

// Ge returns `field ge datetime'…'`.
func Ge(field string, t time.Time) string { return field + " ge " + DateTime(t) }

// Gt returns `field gt datetime'…'`.
func Gt(field string, t time.Time) string { return field + " gt " + DateTime(t) }

// And joins non-empty expressions with "and", each in parentheses when there
// is more than one. And() is "".
func And(exprs ...string) string { return join("and", exprs) }

// Or joins non-empty expressions with "or", each in parentheses when there
// is more than one. Or() is "".
func Or(exprs ...string) string { return join("or", exprs) }

func join(op string, exprs []string) string {
	var parts []string
	for _, e := range exprs {
		if strings.TrimSpace(e) != "" {
			parts = append(parts, e)
		}
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	for i, p := range parts {
		parts[i] = "(" + p + ")"
	}
	return strings.Join(parts, " "+op+" ")
}
