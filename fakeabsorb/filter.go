package fakeabsorb

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file implements the OData subset Absorb accepts in `_filter`:
// comparisons eq ne gt ge lt le, logical and or not, parentheses, field names in
// any case (nested as customFields/string1), string literals in single quotes
// with ” as an escaped quote, guid'…' and datetime'…' literals, null, true,
// false, numbers, and the functions startswith, endswith, substringof,
// contains, tolower and toupper. String comparisons ignore case, as Absorb's
// database collation does.

// errFilter marks every error of a bad filter.
var errFilter = errors.New("invalid filter")

// filter is a parsed, type-checked `_filter` expression.
type filter struct{ root expr }

// match reports whether a record satisfies the filter.
func (f filter) match(rec record) bool {
	b, _ := f.root.eval(rec).(bool)
	return b
}

// parseFilter parses and type-checks s against the fields of one resource. Its
// errors wrap errFilter and say what is wrong and where.
func parseFilter(s string, fields fieldSet) (filter, error) {
	toks, err := lex(s)
	if err != nil {
		return filter{}, fmt.Errorf("%w: %w", errFilter, err)
	}
	p := &parser{toks: toks, fields: fields}
	e, err := p.parseOr()
	if err == nil && p.peek().kind != tokEOF {
		err = fmt.Errorf("syntax error at position %d: unexpected '%s'", p.peek().pos, p.peek().text)
	}
	if err == nil && e.kind() != kindBool {
		err = fmt.Errorf("the filter must be a boolean expression, not %s", e.kind())
	}
	if err != nil {
		return filter{}, fmt.Errorf("%w: %w", errFilter, err)
	}
	return filter{root: e}, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokGUID
	tokDateTime
	tokNumber
	tokLParen
	tokRParen
	tokComma
)

type token struct {
	kind tokKind
	text string // identifier name, literal content or punctuation
	pos  int
}

func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")", i})
			i++
		case c == ',':
			toks = append(toks, token{tokComma, ",", i})
			i++
		case c == '\'':
			text, next, err := quoted(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tokString, text, i})
			i = next
		case isDigit(c) || (c == '-' && i+1 < len(s) && isDigit(s[i+1])):
			start := i
			i++
			for i < len(s) && (isDigit(s[i]) || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
				((s[i] == '+' || s[i] == '-') && (s[i-1] == 'e' || s[i-1] == 'E'))) {
				i++
			}
			// OData type suffixes on numbers (1m, 2L, 3d, 4f).
			if i < len(s) && strings.ContainsRune("mMlLdDfF", rune(s[i])) {
				i++
			}
			toks = append(toks, token{tokNumber, s[start:i], start})
		case isIdentStart(c):
			start := i
			for i < len(s) && isIdentPart(s[i]) {
				i++
			}
			word := s[start:i]
			if i < len(s) && s[i] == '\'' {
				var k tokKind
				switch strings.ToLower(word) {
				case "guid":
					k = tokGUID
				case "datetime", "datetimeoffset":
					k = tokDateTime
				default:
					return nil, fmt.Errorf("syntax error at position %d: unknown literal prefix '%s'", start, word)
				}
				text, next, err := quoted(s, i)
				if err != nil {
					return nil, err
				}
				toks = append(toks, token{k, text, start})
				i = next
				continue
			}
			toks = append(toks, token{tokIdent, word, start})
		default:
			return nil, fmt.Errorf("syntax error at position %d: unexpected character '%c'", i, c)
		}
	}
	return append(toks, token{tokEOF, "end of filter", len(s)}), nil
}

// quoted reads a single-quoted literal starting at s[i] == '\”, where ” is an
// escaped quote, and returns its content and the index after it.
func quoted(s string, i int) (string, int, error) {
	var b strings.Builder
	j := i + 1
	for j < len(s) {
		if s[j] == '\'' {
			if j+1 < len(s) && s[j+1] == '\'' {
				b.WriteByte('\'')
				j += 2
				continue
			}
			return b.String(), j + 1, nil
		}
		b.WriteByte(s[j])
		j++
	}
	return "", 0, fmt.Errorf("syntax error at position %d: unterminated string literal", i)
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '/' || c == '.' }

type parser struct {
	toks   []token
	i      int
	fields fieldSet
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// keyword reports whether the next token is the word w (any case) and consumes it.
func (p *parser) keyword(w string) bool {
	t := p.peek()
	if t.kind == tokIdent && strings.EqualFold(t.text, w) {
		p.i++
		return true
	}
	return false
}

func (p *parser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for {
		pos := p.peek().pos
		if !p.keyword("or") {
			return l, nil
		}
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		if err := bothBool("or", pos, l, r); err != nil {
			return nil, err
		}
		l = logicalExpr{or: true, l: l, r: r}
	}
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for {
		pos := p.peek().pos
		if !p.keyword("and") {
			return l, nil
		}
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		if err := bothBool("and", pos, l, r); err != nil {
			return nil, err
		}
		l = logicalExpr{l: l, r: r}
	}
}

func bothBool(op string, pos int, l, r expr) error {
	if l.kind() != kindBool || r.kind() != kindBool {
		return fmt.Errorf("operator '%s' at position %d needs boolean operands, got %s and %s", op, pos, l.kind(), r.kind())
	}
	return nil
}

func (p *parser) parseNot() (expr, error) {
	pos := p.peek().pos
	if p.keyword("not") {
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		if x.kind() != kindBool {
			return nil, fmt.Errorf("operator 'not' at position %d needs a boolean operand, got %s", pos, x.kind())
		}
		return notExpr{x}, nil
	}
	return p.parseComparison()
}

var comparisonOps = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true}

func (p *parser) parseComparison() (expr, error) {
	l, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	op := strings.ToLower(t.text)
	if t.kind != tokIdent || !comparisonOps[op] {
		return l, nil
	}
	p.next()
	r, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	if !comparable(l.kind(), r.kind()) {
		return nil, fmt.Errorf("a binary operator with incompatible types was detected: found operand types '%s' and '%s' for operator '%s' at position %d",
			l.kind(), r.kind(), op, t.pos)
	}
	return compareExpr{op: op, l: l, r: r}, nil
}

func comparable(a, b kind) bool {
	if a == kindList || a == kindObject || b == kindList || b == kindObject {
		return false
	}
	return a == b || a == kindNull || b == kindNull
}

func (p *parser) parseOperand() (expr, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, fmt.Errorf("syntax error at position %d: expected ')' but found '%s'", c.pos, c.text)
		}
		return e, nil
	case tokString:
		return literal{k: kindString, v: t.text}, nil
	case tokGUID:
		g, ok := parseGUID(t.text)
		if !ok {
			return nil, fmt.Errorf("unrecognized guid literal '%s' at position %d", t.text, t.pos)
		}
		return literal{k: kindGUID, v: g}, nil
	case tokDateTime:
		tm, ok := parseDateTime(t.text)
		if !ok {
			return nil, fmt.Errorf("unrecognized datetime literal '%s' at position %d", t.text, t.pos)
		}
		return literal{k: kindDateTime, v: tm}, nil
	case tokNumber:
		n, err := strconv.ParseFloat(strings.TrimRight(t.text, "mMlLdDfF"), 64)
		if err != nil {
			return nil, fmt.Errorf("unrecognized number '%s' at position %d", t.text, t.pos)
		}
		return literal{k: kindNumber, v: n}, nil
	case tokIdent:
		switch strings.ToLower(t.text) {
		case "null":
			return literal{k: kindNull}, nil
		case "true":
			return literal{k: kindBool, v: true}, nil
		case "false":
			return literal{k: kindBool, v: false}, nil
		}
		if p.peek().kind == tokLParen {
			return p.parseCall(t)
		}
		ref, err := p.fields.resolve(t.text)
		if err != nil {
			return nil, fmt.Errorf("%w (position %d)", err, t.pos)
		}
		if ref.kind == kindList || ref.kind == kindObject {
			return nil, fmt.Errorf("the property '%s' cannot be used in a filter (position %d)", ref, t.pos)
		}
		return fieldExpr{ref}, nil
	default:
		return nil, fmt.Errorf("syntax error at position %d: unexpected '%s'", t.pos, t.text)
	}
}

// functions lists the supported functions: their result kind and arity; every
// argument must be a string.
var functions = map[string]struct {
	result kind
	arity  int
}{
	"startswith":  {kindBool, 2},
	"endswith":    {kindBool, 2},
	"substringof": {kindBool, 2},
	"contains":    {kindBool, 2},
	"tolower":     {kindString, 1},
	"toupper":     {kindString, 1},
}

func (p *parser) parseCall(name token) (expr, error) {
	fn := strings.ToLower(name.text)
	spec, ok := functions[fn]
	if !ok {
		return nil, fmt.Errorf("unknown function '%s' at position %d", name.text, name.pos)
	}
	p.next() // (
	var args []expr
	for {
		a, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if a.kind() != kindString && a.kind() != kindNull {
			return nil, fmt.Errorf("function '%s' at position %d takes string arguments, got %s", name.text, name.pos, a.kind())
		}
		args = append(args, a)
		t := p.next()
		if t.kind == tokRParen {
			break
		}
		if t.kind != tokComma {
			return nil, fmt.Errorf("syntax error at position %d: expected ',' or ')' but found '%s'", t.pos, t.text)
		}
	}
	if len(args) != spec.arity {
		return nil, fmt.Errorf("function '%s' at position %d takes %d arguments, got %d", name.text, name.pos, spec.arity, len(args))
	}
	return callExpr{fn: fn, args: args, result: spec.result}, nil
}

// expr is a node of a filter expression.
type expr interface {
	kind() kind
	// eval returns nil, a string (strings and lower-case GUIDs), a time.Time,
	// a float64 or a bool.
	eval(rec record) any
}

type literal struct {
	k kind
	v any
}

func (l literal) kind() kind      { return l.k }
func (l literal) eval(record) any { return l.v }

type fieldExpr struct{ ref fieldRef }

func (f fieldExpr) kind() kind { return f.ref.kind }

func (f fieldExpr) eval(rec record) any { return fieldValue(f.ref, rec) }

// fieldValue is the evaluator's value of field ref in rec: the value its
// document holds, read as ref's kind.
func fieldValue(ref fieldRef, rec record) any {
	return typed(ref.kind, ref.value(rec))
}

// typed converts a document value to the evaluator's representation of kind k;
// values of the wrong shape become nil.
func typed(k kind, v any) any {
	switch k {
	case kindString:
		if s, ok := v.(string); ok {
			return s
		}
	case kindGUID:
		if s, ok := v.(string); ok {
			return strings.ToLower(s)
		}
	case kindDateTime:
		if s, ok := v.(string); ok {
			if t, ok := parseDateTime(s); ok {
				return t
			}
		}
	case kindNumber:
		switch n := v.(type) {
		case int:
			return float64(n)
		case float64:
			return n
		}
	case kindBool:
		if b, ok := v.(bool); ok {
			return b
		}
	}
	return nil
}

type logicalExpr struct {
	or   bool
	l, r expr
}

func (logicalExpr) kind() kind { return kindBool }

func (e logicalExpr) eval(rec record) any {
	l, _ := e.l.eval(rec).(bool)
	if e.or && l {
		return true
	}
	if !e.or && !l {
		return false
	}
	r, _ := e.r.eval(rec).(bool)
	return r
}

type notExpr struct{ x expr }

func (notExpr) kind() kind { return kindBool }

func (e notExpr) eval(rec record) any {
	b, _ := e.x.eval(rec).(bool)
	return !b
}

type compareExpr struct {
	op   string
	l, r expr
}

func (compareExpr) kind() kind { return kindBool }

func (e compareExpr) eval(rec record) any {
	l, r := e.l.eval(rec), e.r.eval(rec)
	if l == nil || r == nil {
		switch e.op {
		case "eq":
			return l == nil && r == nil
		case "ne":
			return l != nil || r != nil
		default:
			return false
		}
	}
	return holds(e.op, compareValues(l, r))
}

// holds reports whether comparison op holds of two operands that compare
// as c (negative, zero or positive).
func holds(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	default:
		return c <= 0
	}
}

// compareValues orders two non-nil evaluator values of the same kind. Strings
// compare without regard to case.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return compareLower(x, y)
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	case float64:
		y, _ := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case bool:
		y, _ := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	return 0
}

type callExpr struct {
	fn     string
	args   []expr
	result kind
}

func (c callExpr) kind() kind { return c.result }

func (c callExpr) eval(rec record) any {
	vals := make([]string, len(c.args))
	for i, a := range c.args {
		s, ok := a.eval(rec).(string)
		if !ok {
			if c.result == kindBool {
				return false
			}
			return nil
		}
		vals[i] = strings.ToLower(s)
	}
	switch c.fn {
	case "startswith":
		return strings.HasPrefix(vals[0], vals[1])
	case "endswith":
		return strings.HasSuffix(vals[0], vals[1])
	case "substringof":
		return strings.Contains(vals[1], vals[0])
	case "contains":
		return strings.Contains(vals[0], vals[1])
	case "tolower":
		s, _ := c.args[0].eval(rec).(string)
		return strings.ToLower(s)
	default: // toupper
		s, _ := c.args[0].eval(rec).(string)
		return strings.ToUpper(s)
	}
}

// dateTimeLayouts are the date forms Absorb accepts: RFC 3339 with or without a
// zone and fractional seconds, and a plain date. A time without a zone is UTC.
var dateTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

func parseDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range dateTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// compareLower is strings.Compare(strings.ToLower(a), strings.ToLower(b))
// without building either: the strings are compared rune by rune, each rune
// lowered by unicode.ToLower as strings.ToLower lowers it (an invalid byte
// is U+FFFD, as strings.ToLower writes it), and the order of UTF-8 bytes is
// the order of the code points they encode.
func compareLower(a, b string) int {
	for len(a) > 0 && len(b) > 0 {
		ca, cb := a[0], b[0]
		if ca < utf8.RuneSelf && cb < utf8.RuneSelf {
			if 'A' <= ca && ca <= 'Z' {
				ca += 'a' - 'A'
			}
			if 'A' <= cb && cb <= 'Z' {
				cb += 'a' - 'A'
			}
			if ca != cb {
				if ca < cb {
					return -1
				}
				return 1
			}
			a, b = a[1:], b[1:]
			continue
		}
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra, rb = unicode.ToLower(ra), unicode.ToLower(rb); ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case len(a) > 0:
		return 1
	case len(b) > 0:
		return -1
	}
	return 0
}
