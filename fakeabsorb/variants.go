package fakeabsorb

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrBadVariants is wrapped by every error of ParseVariants and of New for
// Options.Variants that name an unknown value.
var ErrBadVariants = errors.New("bad variant")

// Variants choose how the fake plays each behaviour of Absorb that the
// evidence leaves open (README.md, "Variants", gives the evidence for each).
// An empty field means the behaviour's default, its first value.
type Variants struct {
	// Create is what POST /users does with a username or externalId that an
	// existing account holds: "strict" refuses a taken username (422),
	// "upsert" updates the account that holds it, seen by the admin or not.
	Create string
	// Sort is which fields `_sort` accepts: "any" field, or "limited" to the
	// fields Absorb's schema marks sortable (others are 400).
	Sort string
	// Put is what PUT /users/{id} does with fields it omits: "replace"
	// clears them, "merge" keeps them (null or "" clears).
	Put string
	// Dates is how dates are written: "rfc3339" (UTC, whole seconds, Z) or
	// "absorb" (no zone, a fraction of up to three digits).
	Dates string
	// FilterPaging is whether `_offset` past the first page of a filtered
	// list works ("ok") or answers an empty page ("broken").
	FilterPaging string
	// Answers is the shape of the answers of POST /users, PUT /users/{id}
	// and the enroll call: an "object", or the bare id as a JSON "string".
	Answers string
	// Upload is what POST /users/upload does with an element that matches
	// an existing account: "update" writes it as PUT would, "keep" leaves
	// the account as it is and still answers it as a success.
	Upload string
}

// Behaviour is one open behaviour and the values it may take, the default
// first.
type Behaviour struct {
	Name   string
	Values []string
}

// Behaviours lists every behaviour a Variants chooses, in the order of its
// fields, with the names ParseVariants reads.
func Behaviours() []Behaviour {
	return []Behaviour{
		{"create", []string{"strict", "upsert"}},
		{"sort", []string{"any", "limited"}},
		{"put", []string{"replace", "merge"}},
		{"dates", []string{"rfc3339", "absorb"}},
		{"filterpaging", []string{"ok", "broken"}},
		{"answers", []string{"object", "string"}},
		{"upload", []string{"update", "keep"}},
	}
}

// field returns the field of v that behaviour name sets, or nil.
func (v *Variants) field(name string) *string {
	switch name {
	case "create":
		return &v.Create
	case "sort":
		return &v.Sort
	case "put":
		return &v.Put
	case "dates":
		return &v.Dates
	case "filterpaging":
		return &v.FilterPaging
	case "answers":
		return &v.Answers
	case "upload":
		return &v.Upload
	}
	return nil
}

// ParseVariants reads a comma-separated list of name=value pairs, such as
// "create=upsert,sort=limited"; behaviours it does not name take their
// default, and "" is every default. Names and values are matched without
// regard to case. An unknown name or value, or an item without "=", returns
// an error wrapping ErrBadVariants that names it and lists what is known.
func ParseVariants(spec string) (Variants, error) {
	var v Variants
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, found := strings.Cut(item, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.ToLower(strings.TrimSpace(value))
		if !found {
			return Variants{}, fmt.Errorf("%w %q: want name=value", ErrBadVariants, item)
		}
		dst := v.field(name)
		if dst == nil {
			return Variants{}, fmt.Errorf("%w %q: unknown behaviour %q (known: %s)", ErrBadVariants, item, name, strings.Join(behaviourNames(), ", "))
		}
		*dst = value
	}
	return v.normalized()
}

func behaviourNames() []string {
	var names []string
	for _, b := range Behaviours() {
		names = append(names, b.Name)
	}
	return names
}

// normalized returns v with every empty field set to its default. It
// returns an error wrapping ErrBadVariants for a value a behaviour does not
// take.
func (v Variants) normalized() (Variants, error) {
	for _, b := range Behaviours() {
		dst := v.field(b.Name)
		if *dst == "" {
			*dst = b.Values[0]
			continue
		}
		known := false
		for _, val := range b.Values {
			known = known || *dst == val
		}
		if !known {
			return Variants{}, fmt.Errorf("%w %s=%s: %s is %s", ErrBadVariants, b.Name, *dst, b.Name, strings.Join(b.Values, " or "))
		}
	}
	return v, nil
}

// String returns v as the spec ParseVariants reads back, every behaviour
// named (empty fields as their default).
func (v Variants) String() string {
	n, err := v.normalized()
	if err == nil {
		v = n
	}
	var parts []string
	for _, b := range Behaviours() {
		parts = append(parts, b.Name+"="+*v.field(b.Name))
	}
	return strings.Join(parts, ",")
}

// NonDefaultVariants returns the Variants with every behaviour at its second
// value: every trap at once.
func NonDefaultVariants() Variants {
	var v Variants
	for _, b := range Behaviours() {
		*v.field(b.Name) = b.Values[1]
	}
	return v
}

// The values the handlers test for.
const (
	createUpsert       = "upsert"
	sortLimited        = "limited"
	putMerge           = "merge"
	datesAbsorb        = "absorb"
	filterPagingBroken = "broken"
	answersString      = "string"
	uploadKeep         = "keep"
)

// dateLayout is the layout of the dates the server writes.
func (s *Server) dateLayout() string {
	if s.variants.Dates == datesAbsorb {
		return absorbLayout
	}
	return rfc3339Layout
}

// datePrecision is what the dates the server writes resolve: record times
// are kept to it, so that a date read back compares equal to the record's.
func (s *Server) datePrecision() time.Duration {
	if s.variants.Dates == datesAbsorb {
		return time.Millisecond
	}
	return time.Second
}
