package scimdoc

import (
	"errors"
	"strings"

	"github.com/elimity-com/scim/schema"
)

// Attribute characteristics as RFC 7643 §2.2 spells them.
const (
	mutReadOnly  = "readOnly"
	mutImmutable = "immutable"
	retAlways    = "always"
	retNever     = "never"
	retRequest   = "request"
	typeComplex  = "complex"
)

// errNoSchema is returned when a function that needs a schema gets a nil
// *ResourceSchema: a programming error, not a client one, so not an *Error.
var errNoSchema = errors.New("scimdoc: nil *ResourceSchema")

// ResourceSchema is a core schema plus its extensions, with case-insensitive
// attribute lookup. The common attributes of RFC 7643 §3.1 (id, externalId,
// meta and its sub-attributes, schemas) are known even though the schemas do
// not list them. It is immutable after NewResourceSchema and safe for
// concurrent use.
type ResourceSchema struct {
	coreURN string
	core    *container
	exts    []*container
	// byKey maps every accepted lower-cased spelling of an attribute path to
	// its node: "username", "name.givenname", "<core urn>:username",
	// "<ext urn>:manager.value", and, for extension attributes whose name the
	// core schema does not use, the unqualified "manager" and "manager.value".
	byKey   map[string]*attrNode
	extByID map[string]*container // lower-cased extension URN
	// limits, when set by WithLimits, bound the documents Normalize and
	// ApplyPatch return.
	limits *resolvedLimits
}

// container is the core schema (attributes at the top level of a document)
// or one extension (attributes under the extension's URN key).
type container struct {
	urn     string
	ext     bool
	tops    []*attrNode
	byLower map[string]*attrNode // lower-cased top-level name, and "name.sub"
}

// attrNode is one attribute or sub-attribute of a ResourceSchema.
type attrNode struct {
	attr     schema.CoreAttribute
	name     string    // canonical name
	parent   *attrNode // nil for a top-level attribute
	owner    *container
	subs     []*attrNode
	subByLow map[string]*attrNode
	valueSub *attrNode // the "value" sub-attribute, when there is one
	primary  *attrNode // the boolean "primary" sub-attribute, when there is one
	typeSub  *attrNode // the "type" sub-attribute, when there is one
	// effective characteristics: a sub-attribute of a readOnly attribute is
	// readOnly, and one of a never-returned attribute is never returned.
	mutability string
	returned   string
	// hidesSubs: some sub-attribute is returned never or only on request,
	// so a projection without a selection may still have to drop some.
	hidesSubs bool
	info      AttrInfo
}

// AttrInfo describes an attribute path resolved against a ResourceSchema.
// URN is the schema the attribute belongs to (the core URN for core and
// common attributes), Name the top-level attribute and Sub the sub-attribute,
// all in canonical case. Type, CaseExact, Returned and Mutability describe the
// addressed attribute (the sub-attribute when Sub is set); MultiValued reports
// whether the path can yield several values, which is the case for a
// sub-attribute of a multi-valued attribute such as "emails.value".
type AttrInfo struct {
	URN, Name, Sub string
	Type           string
	MultiValued    bool
	CaseExact      bool
	Returned       string
	Mutability     string
}

// NewResourceSchema builds the lookup tables for core and its extensions.
// Attributes the core schema defines take precedence over the common
// attributes of the same name.
func NewResourceSchema(core schema.Schema, extensions ...schema.Schema) *ResourceSchema {
	rs := &ResourceSchema{
		coreURN: core.ID,
		byKey:   map[string]*attrNode{},
		extByID: map[string]*container{},
	}
	rs.core = newContainer(core.ID, false, core.Attributes)
	for _, ca := range schema.CommonAttributes() {
		if _, ok := rs.core.byLower[strings.ToLower(ca.Name())]; ok {
			continue
		}
		rs.core.add(ca)
	}
	rs.index(rs.core, true)
	for _, ext := range extensions {
		if _, dup := rs.extByID[strings.ToLower(ext.ID)]; dup || strings.EqualFold(ext.ID, core.ID) {
			continue
		}
		c := newContainer(ext.ID, true, ext.Attributes)
		rs.exts = append(rs.exts, c)
		rs.extByID[strings.ToLower(ext.ID)] = c
	}
	// Qualified names first, so an unqualified name can only fall back to an
	// extension when neither the core schema nor an earlier extension uses it.
	for _, c := range rs.exts {
		rs.index(c, false)
	}
	for _, c := range rs.exts {
		rs.index(c, true)
	}
	return rs
}

func newContainer(urn string, ext bool, attrs schema.Attributes) *container {
	c := &container{urn: urn, ext: ext, byLower: map[string]*attrNode{}}
	for _, a := range attrs {
		c.add(a)
	}
	return c
}

func (c *container) add(a schema.CoreAttribute) {
	top := newNode(a, nil, c)
	c.tops = append(c.tops, top)
	c.byLower[strings.ToLower(top.name)] = top
	for _, s := range top.subs {
		c.byLower[strings.ToLower(top.name+"."+s.name)] = s
	}
}

func newNode(a schema.CoreAttribute, parent *attrNode, owner *container) *attrNode {
	n := &attrNode{
		attr:       a,
		name:       a.Name(),
		parent:     parent,
		owner:      owner,
		mutability: a.Mutability(),
		returned:   a.Returned(),
	}
	if parent != nil {
		if parent.mutability == mutReadOnly {
			n.mutability = mutReadOnly
		}
		if parent.returned == retNever {
			n.returned = retNever
		}
	}
	if a.AttributeType() == typeComplex {
		n.subByLow = map[string]*attrNode{}
		for _, sa := range a.SubAttributes() {
			s := newNode(sa, n, owner)
			n.subs = append(n.subs, s)
			n.subByLow[strings.ToLower(s.name)] = s
		}
		n.valueSub = n.subByLow["value"]
		if p := n.subByLow["primary"]; p != nil && p.attr.AttributeType() == "boolean" {
			n.primary = p
		}
		n.typeSub = n.subByLow["type"]
		for _, sub := range n.subs {
			if sub.returned == retNever || sub.returned == retRequest {
				n.hidesSubs = true
			}
		}
	}
	n.info = AttrInfo{
		URN:         owner.urn,
		Name:        n.topNode().name,
		Type:        a.AttributeType(),
		MultiValued: a.MultiValued() || (parent != nil && parent.attr.MultiValued()),
		CaseExact:   a.CaseExact(),
		Returned:    n.returned,
		Mutability:  n.mutability,
	}
	if parent != nil {
		n.info.Sub = n.name
	}
	return n
}

// index registers the nodes of c in rs.byKey, qualified by the container's
// URN or (unqualified) only where the name is still free.
func (rs *ResourceSchema) index(c *container, unqualified bool) {
	prefix := strings.ToLower(c.urn) + ":"
	for key, n := range c.byLower {
		if !unqualified {
			rs.byKey[prefix+key] = n
			continue
		}
		if _, taken := rs.byKey[key]; !taken {
			rs.byKey[key] = n
		}
		if !c.ext {
			rs.byKey[prefix+key] = n
		}
	}
}

func (n *attrNode) topNode() *attrNode {
	if n.parent != nil {
		return n.parent
	}
	return n
}

func (n *attrNode) typ() string       { return n.attr.AttributeType() }
func (n *attrNode) multi() bool       { return n.attr.MultiValued() }
func (n *attrNode) complex() bool     { return n.attr.AttributeType() == typeComplex }
func (n *attrNode) caseExact() bool   { return n.attr.CaseExact() }
func (n *attrNode) readOnly() bool    { return n.mutability == mutReadOnly }
func (n *attrNode) immutable() bool   { return n.mutability == mutImmutable }
func (n *attrNode) neverShown() bool  { return n.returned == retNever }
func (n *attrNode) alwaysShown() bool { return n.returned == retAlways }

// display is the name used in error details: "name.givenName", or the
// URN-qualified name for extension attributes.
func (n *attrNode) display() string {
	s := n.topNode().name
	if n.parent != nil {
		s += "." + n.name
	}
	if n.owner.ext {
		s = n.owner.urn + ":" + s
	}
	return s
}

// CoreURN returns the URN of the core schema.
func (rs *ResourceSchema) CoreURN() string { return rs.coreURN }

// ExtensionURNs returns the URNs of the extensions, in the order given to
// NewResourceSchema.
func (rs *ResourceSchema) ExtensionURNs() []string {
	out := make([]string, len(rs.exts))
	for i, c := range rs.exts {
		out[i] = c.urn
	}
	return out
}

// Attribute resolves an attribute path such as "userName", "name.givenName",
// "emails.value", "meta.created" or
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
// case-insensitively (RFC 7644 §3.10). An extension attribute whose name the
// core schema does not use also resolves without its URN ("manager"). It
// reports false for unknown attributes and for paths with a value filter.
func (rs *ResourceSchema) Attribute(path string) (AttrInfo, bool) {
	n := rs.lookup(path)
	if n == nil {
		return AttrInfo{}, false
	}
	return n.info, true
}

func (rs *ResourceSchema) lookup(path string) *attrNode {
	if rs == nil {
		return nil
	}
	return rs.byKey[strings.ToLower(strings.TrimSpace(path))]
}

// extension returns the extension whose URN is urn, case-insensitively.
func (rs *ResourceSchema) extension(urn string) *container {
	return rs.extByID[strings.ToLower(urn)]
}

// requiredTops lists the required top-level attributes of the core schema.
func (rs *ResourceSchema) requiredTops() []*attrNode {
	var out []*attrNode
	for _, n := range rs.core.tops {
		if n.attr.Required() && n.name != "id" && n.name != "schemas" {
			out = append(out, n)
		}
	}
	return out
}
