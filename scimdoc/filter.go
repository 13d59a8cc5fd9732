package scimdoc

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"
)

// MaxFilterLength is the longest filter, in bytes, ParseFilter accepts.
const MaxFilterLength = 4096

// Filter is a parsed SCIM filter (RFC 7644 §3.4.2.2). It is immutable and
// safe for concurrent use. The zero value and nil match every resource.
type Filter struct {
	root *expr
}

type exprKind uint8

const (
	exprAnd exprKind = iota + 1
	exprOr
	exprNot       // left
	exprCompare   // attr op value
	exprValuePath // attr[left]
)

// expr is one node of a filter. In a value path's filter, attribute names
// are sub-attributes of the value path's attribute.
type expr struct {
	kind        exprKind
	left, right *expr
	attr        attrRef
	op          string // lower case
	value       any    // string, float64, bool or nil
}

// attrRef is an attribute path as written in a filter.
type attrRef struct {
	text string // as written
	key  string // lower case, the ResourceSchema lookup key
}

func newAttrRef(s string) attrRef { return attrRef{text: s, key: strings.ToLower(s)} }

// ParseFilter parses a filter (RFC 7644 §3.4.2.2). Operators, "and", "or",
// "not" and attribute names are case-insensitive. As compatibility rules for
// identity providers it also accepts unquoted values (bare words that are not
// true, false, null or a number are strings: `externalId eq jyoung`), a
// value path followed by a sub-attribute comparison
// (`emails[type eq "work"].value eq "x"`, read as
// `emails[type eq "work" and value eq "x"]`) and value filters of any
// shape. Unknown attributes are not an error: they match nothing. It returns
// a 400 *Error with scimType invalidFilter for anything it cannot parse and
// for filters longer than MaxFilterLength.
func ParseFilter(s string) (*Filter, error) {
	if len(s) > MaxFilterLength {
		return nil, filterError("filter is longer than %d bytes", MaxFilterLength)
	}
	if !utf8.ValidString(s) {
		return nil, filterError("filter is not valid UTF-8")
	}
	if strings.TrimSpace(s) == "" {
		return nil, filterError("filter is empty")
	}
	root, err := parseTokens(s, false, 0)
	if err != nil {
		return nil, err
	}
	return &Filter{root: root}, nil
}

// parseTokens runs the pre-pass over s and parses the result.
func parseTokens(s string, inBracket bool, depth int) (*expr, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, filterError("filter is empty")
	}
	if root, ok, err := parseSimple(toks); ok || err != nil {
		return root, err
	}
	n := &normalizer{toks: toks, inBracket: inBracket, depth: depth}
	if err := n.filter(); err != nil {
		return nil, err
	}
	if t, ok := n.peek(); ok {
		return nil, filterError("unexpected %s at offset %d", describe(t), t.pos)
	}
	return parseCanonical(n.b.String(), n.vps)
}

// parseCanonical parses the pre-pass output with filter-parser and converts
// its tree, replacing placeholders by the value paths in vps.
func parseCanonical(text string, vps []*expr) (root *expr, err error) {
	// filter-parser is third-party code fed with input from the network;
	// a panic in it must become a 400, not take the server down.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, filterError("filter could not be parsed")
		}
	}()
	e, err := filter.ParseFilter([]byte(text))
	if err != nil {
		return nil, &Error{Status: 400, ScimType: TypeInvalidFilter, Detail: "filter could not be parsed", Err: err}
	}
	return convert(e, vps)
}

func convert(e filter.Expression, vps []*expr) (*expr, error) {
	switch t := e.(type) {
	case *filter.LogicalExpression:
		l, err := convert(t.Left, vps)
		if err != nil {
			return nil, err
		}
		r, err := convert(t.Right, vps)
		if err != nil {
			return nil, err
		}
		kind := exprAnd
		if t.Operator == filter.OR {
			kind = exprOr
		}
		return &expr{kind: kind, left: l, right: r}, nil
	case *filter.NotExpression:
		x, err := convert(t.Expression, vps)
		if err != nil {
			return nil, err
		}
		return &expr{kind: exprNot, left: x}, nil
	case *filter.AttributeExpression:
		p := t.AttributePath
		if strings.EqualFold(p.URI(), placeholderURI) {
			i, err := strconv.Atoi(strings.TrimPrefix(p.AttributeName, "v"))
			if err != nil || i < 0 || i >= len(vps) {
				return nil, filterError("filter could not be parsed")
			}
			return vps[i], nil
		}
		v, err := convertValue(t.CompareValue)
		if err != nil {
			return nil, err
		}
		return &expr{kind: exprCompare, attr: newAttrRef(p.String()), op: strings.ToLower(string(t.Operator)), value: v}, nil
	}
	return nil, filterError("filter could not be parsed")
}

func convertValue(v any) (any, error) {
	switch t := v.(type) {
	case nil, bool, float64:
		return t, nil
	case int:
		return float64(t), nil
	case string:
		s, err := strconv.Unquote(`"` + t + `"`)
		if err != nil {
			return nil, filterError("invalid string %q in filter", clip(t))
		}
		return s, nil
	}
	if f, ok := toFloat(v); ok {
		return f, nil
	}
	return nil, filterError("filter could not be parsed")
}

// String returns the filter in canonical form: operators in lower case,
// values quoted, value paths with their sub-attribute comparison folded in.
// ParseFilter accepts it and yields an equivalent filter.
func (f *Filter) String() string {
	if f == nil || f.root == nil {
		return ""
	}
	var b strings.Builder
	f.root.write(&b)
	return b.String()
}

func (e *expr) write(b *strings.Builder) {
	switch e.kind {
	case exprAnd, exprOr:
		op := " and "
		if e.kind == exprOr {
			op = " or "
		}
		e.left.writeOperand(b, e.kind)
		b.WriteString(op)
		e.right.writeOperand(b, e.kind)
	case exprNot:
		b.WriteString("not (")
		e.left.write(b)
		b.WriteString(")")
	case exprValuePath:
		b.WriteString(e.attr.text)
		b.WriteString("[")
		e.left.write(b)
		b.WriteString("]")
	case exprCompare:
		b.WriteString(e.attr.text)
		b.WriteString(" ")
		b.WriteString(e.op)
		if e.op == "pr" {
			return
		}
		b.WriteString(" ")
		switch v := e.value.(type) {
		case string:
			quoteJSON(b, v)
		case nil:
			b.WriteString("null")
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case float64:
			b.WriteString(formatNumber(v))
		default:
			fmt.Fprint(b, v)
		}
	}
}

// writeOperand writes an operand of an "and" or "or", parenthesized when it
// binds more loosely than its parent ("or" under "and").
func (e *expr) writeOperand(b *strings.Builder, parent exprKind) {
	if parent == exprAnd && e.kind == exprOr {
		b.WriteString("(")
		e.write(b)
		b.WriteString(")")
		return
	}
	e.write(b)
}
