package scimdoc

import (
	"strconv"
	"strings"
)

// parseSimple parses, without filter-parser, the filters IdPs send on every
// matching call: one comparison (`userName eq "x"`, `active pr`) or an
// "and" of comparisons (`id eq "a" and manager eq "b"`). filter-parser costs
// many times what the rest of an indexed lookup does, so without this path
// the userName and externalId eq lookups IdPs make before every create would
// be bound by the parser (BenchmarkParseEqFilter compares the two).
// Anything else (or, not, grouping, value paths) returns ok == false and
// takes the general path; the result is the same tree the general path
// builds.
func parseSimple(toks []token) (root *expr, ok bool, err error) {
	return parseSimpleConj(toks, true)
}

// parseSimpleConj parses an "and" of comparisons, and of value paths whose
// filter is itself such an "and" (`emails[type eq "work"].value eq "x"`,
// `members[value eq "id"]`) when valuePaths is true.
func parseSimpleConj(toks []token, valuePaths bool) (root *expr, ok bool, err error) {
	i := 0
	for {
		if i >= len(toks) || toks[i].kind != tokWord {
			return nil, false, nil
		}
		attr := toks[i]
		var term *expr
		if i+1 < len(toks) && toks[i+1].kind == tokLBrack {
			if !valuePaths {
				return nil, false, nil
			}
			term, i, ok, err = simpleValuePath(toks, i)
			if !ok || err != nil {
				return nil, false, err
			}
		} else {
			term, i, ok, err = simpleComparison(toks, i, attr)
			if !ok || err != nil {
				return nil, false, err
			}
		}
		cmp := term
		if root == nil {
			root = cmp
		} else {
			root = &expr{kind: exprAnd, left: root, right: cmp}
		}
		if i == len(toks) {
			return root, true, nil
		}
		if toks[i].kind != tokWord || !strings.EqualFold(toks[i].text, "and") {
			return nil, false, nil
		}
		i++
	}
}

// simpleComparison reads `attr op value` (or `attr pr`) starting at toks[i]
// and returns the index after it.
func simpleComparison(toks []token, i int, attr token) (*expr, int, bool, error) {
	if i+1 >= len(toks) || toks[i+1].kind != tokWord {
		return nil, i, false, nil
	}
	op := strings.ToLower(toks[i+1].text)
	if !isCompareOp(op) {
		return nil, i, false, nil
	}
	if err := checkAttrPath(attr); err != nil {
		return nil, i, false, err
	}
	cmp := &expr{kind: exprCompare, attr: newAttrRef(attr.text), op: op}
	i += 2
	if op != "pr" {
		if i >= len(toks) || (toks[i].kind != tokString && toks[i].kind != tokWord) {
			return nil, i, false, nil
		}
		cmp.value = simpleValue(toks[i])
		i++
	}
	return cmp, i, true, nil
}

// simpleValuePath reads `attr[conj]` with an optional `.sub op value`
// after it, which is read as `attr[conj and sub op value]`, starting at
// toks[i] (the attribute).
func simpleValuePath(toks []token, i int) (*expr, int, bool, error) {
	attr := toks[i]
	end := -1
	for j := i + 2; j < len(toks); j++ {
		if toks[j].kind == tokRBrack {
			end = j
			break
		}
		if toks[j].kind != tokWord && toks[j].kind != tokString {
			return nil, i, false, nil
		}
	}
	if end < 0 {
		return nil, i, false, nil
	}
	if err := checkAttrPath(attr); err != nil {
		return nil, i, false, err
	}
	inner, ok, err := parseSimpleConj(toks[i+2:end], false)
	if !ok || err != nil {
		return nil, i, false, err
	}
	i = end + 1
	if i < len(toks) && toks[i].kind == tokWord && !toks[i].spaceBefore && strings.HasPrefix(toks[i].text, ".") {
		sub := token{kind: tokWord, text: toks[i].text[1:], pos: toks[i].pos + 1}
		cmp, next, ok, err := simpleComparison(toks, i, sub)
		if !ok || err != nil {
			return nil, i, false, err
		}
		inner = &expr{kind: exprAnd, left: inner, right: cmp}
		i = next
	}
	return &expr{kind: exprValuePath, attr: newAttrRef(attr.text), left: inner}, i, true, nil
}

// simpleValue reads a comparison value token the way the general path does:
// strings as they are; bare true, false, null and numbers as JSON literals;
// other bare words as strings.
func simpleValue(t token) any {
	if t.kind == tokString {
		return t.text
	}
	switch w := strings.ToLower(t.text); {
	case w == "true":
		return true
	case w == "false":
		return false
	case w == "null":
		return nil
	case isJSONNumber(t.text):
		f, err := strconv.ParseFloat(t.text, 64)
		if err == nil {
			return f
		}
	}
	return t.text
}
