package scimdoc

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeDocument decodes a JSON object as json.Unmarshal into a Document
// does (objects as map[string]any, arrays as []any, numbers as float64;
// invalid UTF-8 and lone surrogates become U+FFFD; the last of duplicate
// names wins), at a fraction of the cost: the input is copied into one
// string once, and every string without escapes is a slice of it rather
// than an allocation of its own. JSON null decodes to a nil Document.
func DecodeDocument(data []byte) (Document, error) {
	d := jsonDecoder{s: string(data)}
	d.skipSpace()
	if d.pos < len(d.s) && d.s[d.pos] == 'n' {
		if err := d.literal("null"); err != nil {
			return nil, err
		}
		return nil, d.end()
	}
	if d.pos >= len(d.s) || d.s[d.pos] != '{' {
		return nil, d.errorf("a document must be a JSON object")
	}
	m, err := d.object()
	if err != nil {
		return nil, err
	}
	return m, d.end()
}

// jsonDecoder reads one JSON text from s.
type jsonDecoder struct {
	s   string
	pos int
}

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

var errDepth = errors.New("json: exceeded max depth")

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("json: offset %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *jsonDecoder) skipSpace() {
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) end() error {
	d.skipSpace()
	if d.pos != len(d.s) {
		return d.errorf("invalid character %q after top-level value", d.s[d.pos])
	}
	return nil
}

func (d *jsonDecoder) literal(word string) error {
	if len(d.s)-d.pos < len(word) || d.s[d.pos:d.pos+len(word)] != word {
		return d.errorf("invalid literal, want %s", word)
	}
	d.pos += len(word)
	return nil
}

func (d *jsonDecoder) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	d.skipSpace()
	if d.pos >= len(d.s) {
		return nil, d.errorf("unexpected end of JSON input")
	}
	switch c := d.s[d.pos]; {
	case c == '{':
		return d.objectAt(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.str()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		return nil, d.errorf("invalid character %q looking for beginning of value", c)
	}
}

func (d *jsonDecoder) object() (map[string]any, error) { return d.objectAt(0) }

func (d *jsonDecoder) objectAt(depth int) (map[string]any, error) {
	d.pos++ // {
	m := make(map[string]any)
	if d.closes('}') {
		return m, nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.s) || d.s[d.pos] != '"' {
			return nil, d.errorf("looking for beginning of object key string")
		}
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.s) || d.s[d.pos] != ':' {
			return nil, d.errorf("after object key")
		}
		d.pos++
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m[key] = v
		if more, err := d.afterElement('}', "object key:value pair"); !more {
			return m, err
		}
	}
}

func (d *jsonDecoder) array(depth int) ([]any, error) {
	d.pos++ // [
	out := []any{}
	if d.closes(']') {
		return out, nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if more, err := d.afterElement(']', "array element"); !more {
			return out, err
		}
	}
}

// closes consumes closing when it comes next (an empty object or array).
func (d *jsonDecoder) closes(closing byte) bool {
	d.skipSpace()
	if d.pos < len(d.s) && d.s[d.pos] == closing {
		d.pos++
		return true
	}
	return false
}

// afterElement reads what follows a member or an element: a comma (more is
// true) or the closing byte; anything else is a syntax error.
func (d *jsonDecoder) afterElement(closing byte, what string) (more bool, err error) {
	d.skipSpace()
	switch {
	case d.pos >= len(d.s):
		return false, d.errorf("unexpected end of JSON input")
	case d.s[d.pos] == ',':
		d.pos++
		return true, nil
	case d.s[d.pos] == closing:
		d.pos++
		return false, nil
	}
	return false, d.errorf("after %s", what)
}

// number reads a number with JSON's grammar and converts it to float64.
func (d *jsonDecoder) number() (float64, error) {
	start := d.pos
	if d.s[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos < len(d.s) && d.s[d.pos] == '0':
		d.pos++
	case d.pos < len(d.s) && d.s[d.pos] >= '1' && d.s[d.pos] <= '9':
		d.digits()
	default:
		return 0, d.errorf("in numeric literal")
	}
	if d.pos < len(d.s) && d.s[d.pos] == '.' {
		d.pos++
		if d.digits() == 0 {
			return 0, d.errorf("after decimal point in numeric literal")
		}
	}
	if d.pos < len(d.s) && (d.s[d.pos] == 'e' || d.s[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.s) && (d.s[d.pos] == '+' || d.s[d.pos] == '-') {
			d.pos++
		}
		if d.digits() == 0 {
			return 0, d.errorf("in exponent of numeric literal")
		}
	}
	f, err := strconv.ParseFloat(d.s[start:d.pos], 64)
	if err != nil {
		return 0, fmt.Errorf("json: cannot unmarshal number %s into Go value of type float64", d.s[start:d.pos])
	}
	return f, nil
}

func (d *jsonDecoder) digits() int {
	start := d.pos
	for d.pos < len(d.s) && d.s[d.pos] >= '0' && d.s[d.pos] <= '9' {
		d.pos++
	}
	return d.pos - start
}

// str reads a string. One without escapes, control characters or invalid
// UTF-8 is returned as a slice of the input.
func (d *jsonDecoder) str() (string, error) {
	d.pos++ // opening quote
	start := d.pos
	ascii := true
	for d.pos < len(d.s) {
		c := d.s[d.pos]
		switch {
		case c == '"':
			s := d.s[start:d.pos]
			d.pos++
			if ascii || utf8.ValidString(s) {
				return s, nil
			}
			return toValidUTF8(s), nil
		case c == '\\':
			return d.escapedStr(start)
		case c < 0x20:
			return "", d.errorf("invalid character %q in string literal", c)
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.pos++
	}
	return "", d.errorf("unexpected end of JSON input")
}

// escapedStr finishes a string that holds escapes, from its first byte at
// start; d.pos is at the first backslash.
func (d *jsonDecoder) escapedStr(start int) (string, error) {
	b := make([]byte, 0, d.pos-start+16)
	b = append(b, d.s[start:d.pos]...)
	for d.pos < len(d.s) {
		c := d.s[d.pos]
		switch {
		case c == '"':
			d.pos++
			return toValidUTF8(string(b)), nil
		case c < 0x20:
			return "", d.errorf("invalid character %q in string literal", c)
		case c != '\\':
			b = append(b, c)
			d.pos++
			continue
		}
		d.pos++ // backslash
		if d.pos >= len(d.s) {
			break
		}
		e := d.s[d.pos]
		d.pos++
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.errorf("in \\u hexadecimal character escape")
			}
			if utf16.IsSurrogate(r) {
				// A high surrogate followed by \uDC00-\uDFFF is one rune;
				// anything else stands for U+FFFD, as in encoding/json.
				save := d.pos
				if d.pos+1 < len(d.s) && d.s[d.pos] == '\\' && d.s[d.pos+1] == 'u' {
					d.pos += 2
					if r2, ok := d.hex4(); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							b = utf8.AppendRune(b, dec)
							continue
						}
					}
				}
				d.pos = save
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", d.errorf("invalid character %q in string escape code", e)
		}
	}
	return "", d.errorf("unexpected end of JSON input")
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if len(d.s)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(d.s[d.pos : d.pos+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.pos += 4
	return r, true
}

// toValidUTF8 replaces each invalid byte of s with U+FFFD, as
// encoding/json does (one replacement per byte, unlike strings.ToValidUTF8).
func toValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, r) // RuneError for an invalid byte
		i += size
	}
	return string(b)
}
