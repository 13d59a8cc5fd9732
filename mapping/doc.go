// Package mapping translates between SCIM users (RFC 7643 §4.1, §4.3 and our
// Absorb extension) and Absorb users. It is pure: no I/O, no clock, no
// network; the one source of randomness is crypto/rand in GeneratePassword.
//
// SCIM users are decoded JSON documents (map[string]any, numbers as float64)
// with attribute names in their schema's canonical case and extension
// attributes under their schema URN key (RFC 7643 §3.3). A Mapper, built by
// New from a Config, binds Absorb fields to SCIM attribute paths and runs the
// binding both ways: ToAbsorb for provisioning, FromAbsorb and Merge for
// reading Absorb back. The paths are resolved, and their filters applied, by
// scimdoc against the user schema the server serves.
package mapping

import "github.com/absorb-scim/absorb-scim/schemas"

// Schema URNs of the user resource and its extensions (RFC 7643 §8.7.1, §4.3),
// as the schemas package defines them.
const (
	UserURN       = schemas.UserURN
	EnterpriseURN = schemas.EnterpriseUserURN
	// AbsorbURN is the extension carrying Absorb fields no standard schema has.
	AbsorbURN = schemas.AbsorbUserURN
)
