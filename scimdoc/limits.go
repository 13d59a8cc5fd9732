package scimdoc

import (
	"reflect"
	"strings"
	"unicode/utf8"
)

// Limits bound the size of a resource document, so that a client cannot make
// the server store, compare or send upstream values of any size: a document
// within them costs bounded memory to hold and bounded CPU to patch. Zero
// fields mean no limit.
type Limits struct {
	// MaxLength is the most characters (Unicode code points) of a string,
	// reference or binary value, by attribute path as Attribute resolves it
	// ("userName", "emails.value",
	// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").
	MaxLength map[string]int
	// DefaultMaxLength applies to the string values MaxLength does not name.
	DefaultMaxLength int
	// MaxValues is the most values of one multi-valued attribute, by
	// attribute name ("emails", "members").
	MaxValues map[string]int
	// DefaultMaxValues applies to the multi-valued attributes MaxValues does
	// not name.
	DefaultMaxValues int
	// MaxPatchWork bounds a PATCH's operations times the values of the
	// document's largest multi-valued attribute: every operation may scan
	// that many values. It matters for documents stored before the limits
	// (a user with 20,000 emails), as no new document exceeds
	// MaxValues.
	MaxPatchWork int
}

// WithLimits returns a copy of rs whose Normalize and ApplyPatch refuse
// documents beyond l with 400 invalidValue, naming the attribute and the
// limit. Paths in l that rs does not know are ignored.
func (rs *ResourceSchema) WithLimits(l Limits) *ResourceSchema {
	out := *rs
	out.limits = &resolvedLimits{
		maxLength: map[*attrNode]int{}, maxValues: map[*attrNode]int{},
		defLength: l.DefaultMaxLength, defValues: l.DefaultMaxValues, patchWork: l.MaxPatchWork,
	}
	for path, n := range l.MaxLength {
		if node := rs.lookup(path); node != nil {
			out.limits.maxLength[node] = n
		}
	}
	for path, n := range l.MaxValues {
		if node := rs.lookup(path); node != nil {
			out.limits.maxValues[node] = n
		}
	}
	return &out
}

// MaxLength reports the most characters a value of the attribute at path
// may have under the limits of rs, 0 for none.
func (rs *ResourceSchema) MaxLength(path string) int {
	n := rs.lookup(path)
	if n == nil || rs.limits == nil {
		return 0
	}
	return rs.limits.length(n)
}

// MaxValues reports the most values the multi-valued attribute at path may
// have under the limits of rs, 0 for none.
func (rs *ResourceSchema) MaxValues(path string) int {
	n := rs.lookup(path)
	if n == nil || rs.limits == nil || !n.multi() {
		return 0
	}
	return rs.limits.values(n)
}

// resolvedLimits are Limits keyed by schema node.
type resolvedLimits struct {
	maxLength, maxValues map[*attrNode]int
	defLength, defValues int
	patchWork            int
}

func (l *resolvedLimits) length(n *attrNode) int {
	if v, ok := l.maxLength[n]; ok {
		return v
	}
	return l.defLength
}

func (l *resolvedLimits) values(n *attrNode) int {
	if v, ok := l.maxValues[n]; ok {
		return v
	}
	return l.defValues
}

// eachTop calls f with every top-level attribute of rs present in doc and
// its value, stopping at the first error.
func (rs *ResourceSchema) eachTop(doc Document, f func(n *attrNode, v any) error) error {
	if err := eachIn(doc, rs.core, f); err != nil {
		return err
	}
	for _, c := range rs.exts {
		if ext, _ := valueCI(doc, c.urn).(map[string]any); ext != nil {
			if err := eachIn(ext, c, f); err != nil {
				return err
			}
		}
	}
	return nil
}

// eachIn is eachTop for the attributes of c held in cont.
func eachIn(cont map[string]any, c *container, f func(n *attrNode, v any) error) error {
	for _, n := range c.tops {
		if v := valueCI(cont, n.name); v != nil {
			if err := f(n, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkCounts refuses a multi-valued attribute with more values than its
// limit and than it has in before (nil for a new document): a document
// stored before the limits may keep what it has, but not grow. It reads only
// list lengths, so ApplyPatch runs it after every operation: no operation
// then works on a list larger than the limit.
func (rs *ResourceSchema) checkCounts(doc, before Document) error {
	if rs.limits == nil {
		return nil
	}
	return rs.eachTop(doc, func(n *attrNode, v any) error {
		if !n.multi() {
			return nil
		}
		l, ok := asList(v)
		if max := rs.limits.values(n); ok && max > 0 && len(l) > max && len(l) > countOf(before, n) {
			return tooManyValues(n, len(l), max)
		}
		return nil
	})
}

// countOf is the number of values of multi-valued attribute n in doc.
func countOf(doc Document, n *attrNode) int {
	if doc == nil {
		return 0
	}
	l, _ := asList(valueCI(containerOf(doc, n, false), n.name))
	return len(l)
}

// checkPatchWork refuses ops on doc when their number times the values of
// doc's largest multi-valued attribute passes MaxPatchWork.
func (rs *ResourceSchema) checkPatchWork(doc Document, ops int) error {
	if rs.limits == nil || rs.limits.patchWork <= 0 {
		return nil
	}
	return rs.eachTop(doc, func(n *attrNode, v any) error {
		l, ok := asList(v)
		if n.multi() && ok && len(l)*ops > rs.limits.patchWork {
			return BadRequest(TypeInvalidValue, "attribute %q has %d values, too many for a PATCH of %d operations (at most %d values times operations); replace the attribute with fewer values first",
				n.display(), len(l), ops, rs.limits.patchWork)
		}
		return nil
	})
}

func tooManyValues(n *attrNode, got, max int) *Error {
	return BadRequest(TypeInvalidValue, "attribute %q has %d values, more than the limit of %d", n.display(), got, max)
}

// checkLimits refuses a document with a value beyond the limits of rs.
// Attributes equal to their value in before (nil for a new document) are
// not checked: a document stored before the limits keeps what it has.
func (rs *ResourceSchema) checkLimits(doc, before Document) error {
	if rs.limits == nil {
		return nil
	}
	if err := rs.checkCounts(doc, before); err != nil {
		return err
	}
	return rs.eachTop(doc, func(n *attrNode, v any) error {
		if before != nil && reflect.DeepEqual(v, valueCI(containerOf(before, n, false), n.name)) {
			return nil
		}
		if !n.multi() {
			return rs.checkValue(n, v)
		}
		l, ok := asList(v)
		if !ok {
			return rs.checkValue(n, v)
		}
		for _, e := range l {
			if err := rs.checkValue(n, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkValue checks the length of one value of n, and of its
// sub-attributes when it is complex.
func (rs *ResourceSchema) checkValue(n *attrNode, v any) error {
	switch v := v.(type) {
	case string:
		return rs.checkString(n, v)
	case map[string]any:
		if !n.complex() {
			return nil
		}
		for k, sv := range v {
			s := n.subByLow[strings.ToLower(k)]
			if s == nil {
				continue
			}
			if str, ok := sv.(string); ok {
				if err := rs.checkString(s, str); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (rs *ResourceSchema) checkString(n *attrNode, s string) error {
	max := rs.limits.length(n)
	if max <= 0 || len(s) <= max {
		return nil // a string of max bytes or fewer has max characters or fewer
	}
	if got := utf8.RuneCountInString(s); got > max {
		return BadRequest(TypeInvalidValue, "attribute %q is %d characters long, more than the limit of %d", n.display(), got, max)
	}
	return nil
}
