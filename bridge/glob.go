package bridge

import (
	"fmt"
	"regexp"
	"strings"
)

// A rule pattern is a glob over the whole name, compared without regard to
// case: `*` matches any run of characters (`/` included, since group names
// such as "Engineering/Backend" are names, not paths), `?` matches any one
// character, `[abc]`, `[a-z]` and `[^abc]` match one character of a class,
// and `\` makes the next character literal.
type rulePattern struct{ re *regexp.Regexp }

// compileRulePattern turns a glob into an anchored, case-insensitive
// regular expression; it fails on an unclosed class or a trailing `\`.
func compileRulePattern(glob string) (rulePattern, error) {
	var b strings.Builder
	b.WriteString(`(?is)\A`)
	runes := []rune(glob)
	for i := 0; i < len(runes); i++ {
		switch c := runes[i]; c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '\\':
			if i+1 == len(runes) {
				return rulePattern{}, fmt.Errorf("pattern %q ends with \\", glob)
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(runes[i])))
		case '[':
			end, class, err := globClass(runes, i)
			if err != nil {
				return rulePattern{}, fmt.Errorf("pattern %q: %w", glob, err)
			}
			b.WriteString(class)
			i = end
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return rulePattern{}, fmt.Errorf("pattern %q: %w", glob, err)
	}
	return rulePattern{re: re}, nil
}

// globClass translates the class starting at runes[start] ('[') and returns
// the index of its closing ']' and the regular expression class.
func globClass(runes []rune, start int) (int, string, error) {
	var b strings.Builder
	b.WriteByte('[')
	i := start + 1
	if i < len(runes) && runes[i] == '^' {
		b.WriteByte('^')
		i++
	}
	first := true
	for ; i < len(runes); i++ {
		c := runes[i]
		switch {
		case c == ']' && !first:
			b.WriteByte(']')
			return i, b.String(), nil
		case c == '\\':
			if i+1 == len(runes) {
				return 0, "", fmt.Errorf("unclosed [")
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(runes[i])))
		case c == '-' && !first && i+1 < len(runes) && runes[i+1] != ']':
			b.WriteByte('-')
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
		first = false
	}
	return 0, "", fmt.Errorf("unclosed [")
}

func (p rulePattern) match(s string) bool { return p.re.MatchString(s) }
