package scimdoc

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The filter pre-pass. IdPs send filters that RFC 7644 §3.4.2.2 does not
// allow and that github.com/scim2/filter-parser/v2 cannot parse: unquoted
// values (`externalId eq jyoung`, `meta.Created gt 2015-10-10T14:38:21-07:00`),
// a value path followed by a sub-attribute comparison
// (`emails[type eq "work"].value eq "x"`), value filters with more than two
// terms. The pre-pass tokenizes the filter, checks its structure, quotes bare
// words in value position and rewrites every value path to a placeholder
// expression whose filter is parsed on its own; the result is canonical text
// that filter-parser parses.

type tokKind uint8

const (
	tokWord tokKind = iota
	tokString
	tokLParen
	tokRParen
	tokLBrack
	tokRBrack
)

type token struct {
	kind        tokKind
	text        string // the word, or the decoded string value
	pos         int    // byte offset in the filter
	spaceBefore bool
}

// maxFilterDepth bounds the nesting of parentheses and value paths.
const maxFilterDepth = 32

// placeholderURI prefixes the attribute of the placeholder expression that
// stands for a value path in the text given to filter-parser.
const placeholderURI = "urn:x-scimdoc:valuepath"

func filterError(format string, args ...any) *Error {
	return BadRequest(TypeInvalidFilter, format, args...)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// lex splits a filter into tokens. Strings are JSON strings and are decoded.
func lex(s string) ([]token, error) {
	var toks []token
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isSpace(c):
			space = true
			i++
			continue
		case c == '(' || c == ')' || c == '[' || c == ']':
			kind := tokLParen
			switch c {
			case ')':
				kind = tokRParen
			case '[':
				kind = tokLBrack
			case ']':
				kind = tokRBrack
			}
			toks = append(toks, token{kind: kind, text: string(c), pos: i, spaceBefore: space})
			i++
		case c == '"':
			v, n, err := lexString(s[i:])
			if err != nil {
				return nil, filterError("%s at offset %d", err, i)
			}
			toks = append(toks, token{kind: tokString, text: v, pos: i, spaceBefore: space})
			i += n
		default:
			j := i
			for j < len(s) && !isSpace(s[j]) && !strings.ContainsRune(`()[]"`, rune(s[j])) {
				j++
			}
			toks = append(toks, token{kind: tokWord, text: s[i:j], pos: i, spaceBefore: space})
			i = j
		}
		space = false
	}
	return toks, nil
}

// lexString decodes the JSON string at the start of s and returns its value
// and length in bytes.
func lexString(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); {
		c := s[i]
		switch c {
		case '"':
			return b.String(), i + 1, nil
		case '\\':
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("unterminated string")
			}
			e := s[i+1]
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				if i+6 > len(s) {
					return "", 0, fmt.Errorf("invalid \\u escape in string")
				}
				r, err := strconv.ParseUint(s[i+2:i+6], 16, 32)
				if err != nil {
					return "", 0, fmt.Errorf("invalid \\u escape in string")
				}
				i += 6
				if utf16.IsSurrogate(rune(r)) && i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
						if c := utf16.DecodeRune(rune(r), rune(r2)); c != utf8.RuneError {
							b.WriteRune(c)
							i += 6
							continue
						}
					}
				}
				b.WriteRune(rune(r))
				continue
			default:
				return "", 0, fmt.Errorf("invalid escape \\%c in string", e)
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

// quoteJSON writes s as a JSON string that filter-parser accepts: only '"',
// '\' and control characters are escaped, with upper-case hex digits.
func quoteJSON(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(b, "\\u%04X", r)
		case r == utf8.RuneError:
			b.WriteString("\\uFFFD")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// compareOps are the attribute operators of RFC 7644 §3.4.2.2.
func isCompareOp(op string) bool {
	switch op {
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr":
		return true
	}
	return false
}

// isJSONNumber reports whether w is a JSON number to be compared as one.
// Integers of more than 15 digits, which a float64 cannot hold exactly, are
// identifiers written without quotes and are treated as text.
func isJSONNumber(w string) bool {
	i := 0
	if i < len(w) && w[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(w) && w[i] >= '0' && w[i] <= '9' {
			i++
			n++
		}
		return n
	}
	start := i
	intDigits := digits()
	if intDigits == 0 || (intDigits > 1 && w[start] == '0') {
		return false
	}
	plain := true
	if i < len(w) && w[i] == '.' {
		i++
		plain = false
		if digits() == 0 {
			return false
		}
	}
	if i < len(w) && (w[i] == 'e' || w[i] == 'E') {
		i++
		plain = false
		if i < len(w) && (w[i] == '+' || w[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	if i != len(w) || (plain && intDigits > 15) {
		return false
	}
	_, ok := toFloat(w)
	return ok
}

// formatNumber writes f so that isJSONNumber reads it back as the same
// number: plain digits for integers below 1e15, the shortest form otherwise.
func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// normalizer walks the tokens of one filter (or of one value filter) and
// writes the canonical text for filter-parser.
type normalizer struct {
	toks      []token
	i         int
	depth     int
	inBracket bool
	b         strings.Builder
	vps       []*expr // value paths, in placeholder order
}

func (n *normalizer) peek() (token, bool) {
	if n.i >= len(n.toks) {
		return token{}, false
	}
	return n.toks[n.i], true
}

func describe(t token) string {
	if t.kind == tokString {
		return "a string"
	}
	return strconv.Quote(clip(t.text))
}

// clip shortens text echoed in an error detail.
func clip(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

// filter reads operand {("and" | "or") operand}.
func (n *normalizer) filter() error {
	for {
		if err := n.operand(); err != nil {
			return err
		}
		t, ok := n.peek()
		if !ok || t.kind == tokRParen {
			return nil
		}
		w := strings.ToLower(t.text)
		if t.kind != tokWord || (w != "and" && w != "or") {
			return filterError("expected \"and\", \"or\" or the end of the filter at offset %d, found %s", t.pos, describe(t))
		}
		n.i++
		if _, ok := n.peek(); !ok {
			return filterError("expected an expression after %q at offset %d", w, t.pos)
		}
		n.b.WriteString(" " + w + " ")
	}
}

func (n *normalizer) operand() error {
	t, ok := n.peek()
	if !ok {
		return filterError("expected an expression at the end of the filter")
	}
	switch {
	case t.kind == tokLParen:
		return n.group()
	case t.kind == tokWord && strings.EqualFold(t.text, "not") && n.i+1 < len(n.toks) && n.toks[n.i+1].kind == tokLParen:
		n.i++
		n.b.WriteString("not ")
		return n.group()
	case t.kind == tokWord:
		return n.attrExp()
	}
	return filterError("expected an attribute, \"not\" or \"(\" at offset %d, found %s", t.pos, describe(t))
}

func (n *normalizer) group() error {
	open := n.toks[n.i]
	n.depth++
	if n.depth > maxFilterDepth {
		return filterError("filter nests deeper than %d levels", maxFilterDepth)
	}
	n.i++
	n.b.WriteString("(")
	if err := n.filter(); err != nil {
		return err
	}
	t, ok := n.peek()
	if !ok || t.kind != tokRParen {
		return filterError("missing \")\" for the \"(\" at offset %d", open.pos)
	}
	n.i++
	n.b.WriteString(")")
	n.depth--
	return nil
}

func (n *normalizer) attrExp() error {
	attr := n.toks[n.i]
	if err := checkAttrPath(attr); err != nil {
		return err
	}
	n.i++
	if t, ok := n.peek(); ok && t.kind == tokLBrack {
		return n.valuePath(attr)
	}
	n.b.WriteString(attr.text)
	return n.opAndValue(attr, &n.b)
}

// opAndValue reads an attribute operator and, unless it is "pr", a value,
// and writes " op value".
func (n *normalizer) opAndValue(attr token, b *strings.Builder) error {
	t, ok := n.peek()
	if !ok {
		return filterError("expected an operator after %q at offset %d", clip(attr.text), attr.pos)
	}
	op := strings.ToLower(t.text)
	if t.kind != tokWord || !isCompareOp(op) {
		return filterError("expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after %q at offset %d, found %s", clip(attr.text), attr.pos, describe(t))
	}
	n.i++
	b.WriteString(" " + op)
	if op == "pr" {
		return nil
	}
	v, ok := n.peek()
	if !ok || v.kind == tokLParen || v.kind == tokRParen || v.kind == tokLBrack || v.kind == tokRBrack {
		return filterError("expected a value after %q at offset %d", op, t.pos)
	}
	n.i++
	b.WriteByte(' ')
	if v.kind == tokString {
		quoteJSON(b, v.text)
		return nil
	}
	// A bare word: a JSON literal or number stays as it is, anything else is
	// the legacy unquoted string of Entra ID's documentation.
	switch w := strings.ToLower(v.text); {
	case w == "true" || w == "false" || w == "null":
		b.WriteString(w)
	case isJSONNumber(v.text):
		b.WriteString(v.text)
	default:
		quoteJSON(b, v.text)
	}
	return nil
}

// valuePath reads attr "[" valFilter "]" ["." subAttr op value], parses the
// value filter on its own and writes a placeholder expression.
func (n *normalizer) valuePath(attr token) error {
	open := n.toks[n.i]
	if n.inBracket {
		return filterError("value filters cannot be nested (offset %d)", open.pos)
	}
	if n.depth+1 > maxFilterDepth {
		return filterError("filter nests deeper than %d levels", maxFilterDepth)
	}
	end := -1
	for j := n.i + 1; j < len(n.toks); j++ {
		if n.toks[j].kind == tokRBrack {
			end = j
			break
		}
		if n.toks[j].kind == tokLBrack {
			return filterError("value filters cannot be nested (offset %d)", n.toks[j].pos)
		}
	}
	if end < 0 {
		return filterError("missing \"]\" for the \"[\" at offset %d", open.pos)
	}
	if end == n.i+1 {
		return filterError("empty value filter at offset %d", open.pos)
	}
	inner := &normalizer{toks: n.toks[n.i+1 : end], depth: n.depth + 1, inBracket: true}
	if err := inner.filter(); err != nil {
		return err
	}
	if t, ok := inner.peek(); ok {
		return filterError("unexpected %s at offset %d", describe(t), t.pos)
	}
	n.i = end + 1
	text := inner.b.String()
	if t, ok := n.peek(); ok && t.kind == tokWord && !t.spaceBefore && strings.HasPrefix(t.text, ".") {
		// emails[type eq "work"].value eq "x" means: some email has type
		// "work" and value "x", which is emails[type eq "work" and value eq "x"].
		n.i++
		sub := token{kind: tokWord, text: t.text[1:], pos: t.pos + 1}
		if err := checkAttrPath(sub); err != nil {
			return err
		}
		var b strings.Builder
		b.WriteString("(" + text + ") and " + sub.text)
		if err := n.opAndValue(sub, &b); err != nil {
			return err
		}
		text = b.String()
	}
	f, err := parseCanonical(text, nil)
	if err != nil {
		return err
	}
	n.vps = append(n.vps, &expr{kind: exprValuePath, attr: newAttrRef(attr.text), left: f})
	fmt.Fprintf(&n.b, "%s:v%d pr", placeholderURI, len(n.vps)-1)
	return nil
}

// checkAttrPath checks that a word is an attribute path (RFC 7644
// §3.4.2.2 attrPath) and not the reserved placeholder.
func checkAttrPath(t token) error {
	if strings.HasPrefix(strings.ToLower(t.text), placeholderURI) {
		return filterError("invalid attribute path %q at offset %d", clip(t.text), t.pos)
	}
	if !validAttrPath(t.text) {
		return filterError("invalid attribute path %q at offset %d", clip(t.text), t.pos)
	}
	return nil
}

// validAttrPath reports whether s is [URI ":"] ATTRNAME ["." ATTRNAME]
// (RFC 7644 §3.4.2.2; "$ref" allowed as a name).
func validAttrPath(s string) bool {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		for _, seg := range strings.Split(s[:i], ":") {
			if seg == "" || strings.IndexFunc(seg, func(r rune) bool {
				return !(r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
			}) >= 0 {
				return false
			}
		}
		s = s[i+1:]
	}
	name, sub, hasSub := strings.Cut(s, ".")
	if !validAttrName(name) {
		return false
	}
	return !hasSub || validAttrName(sub)
}

func validAttrName(s string) bool {
	s = strings.TrimPrefix(s, "$")
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
