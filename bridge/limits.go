package bridge

import (
	"net/http"

	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// The limits on what a SCIM request may store (README, "Limits"). They are
// checked by scimdoc.Normalize and scimdoc.ApplyPatch, so a POST, PUT,
// PATCH or Bulk operation beyond them is a 400 invalidValue naming the
// attribute and the limit, before Absorb is called or anything is stored.
//
// Why these numbers: the values that become bbolt keys (userName,
// externalId, emails, group displayName and externalId; bbolt refuses keys
// over 32,768 bytes, and a key is the value case-folded, at most four bytes a
// character, after a length prefix) are held far below bbolt's bound, at
// lengths every IdP and Absorb's own username and email fields use (an email
// address is at most 254 characters, RFC 5321 §4.5.3.1.3). Other text, which
// Absorb stores in its ordinary string fields, gets room for any real
// value. The counts bound the work of a PATCH: every operation may scan
// every value of the attribute it targets, and none works on a list longer
// than its limit.
const (
	// MaxIdentifierLength bounds userName, externalId and a group's
	// displayName and externalId, in characters.
	MaxIdentifierLength = 256
	// MaxEmailLength bounds emails.value, in characters.
	MaxEmailLength = 254
	// MaxTextLength bounds every other string, in characters.
	MaxTextLength = 2048
	// MaxCertificateLength bounds x509Certificates.value (base64 DER).
	MaxCertificateLength = 16384
	// MaxValues bounds every multi-valued user attribute (emails,
	// phoneNumbers, addresses, ims, photos, entitlements, roles,
	// x509Certificates).
	MaxValues = 100
	// MaxMembersPerRequest bounds the members one group request names: a
	// POST or PUT's members, or all members named by one PATCH's
	// operations.
	MaxMembersPerRequest = 10000
	// MaxPatchWork bounds a user PATCH's operations times the values of the
	// user's largest multi-valued attribute: 1,000 operations on 100
	// values. Only users stored before these limits can reach it.
	MaxPatchWork = 100000
)

var userLimits = scimdoc.Limits{
	MaxLength: map[string]int{
		"userName":               MaxIdentifierLength,
		"externalId":             MaxIdentifierLength,
		"emails.value":           MaxEmailLength,
		"x509Certificates.value": MaxCertificateLength,
	},
	DefaultMaxLength: MaxTextLength,
	DefaultMaxValues: MaxValues,
	MaxPatchWork:     MaxPatchWork,
}

var groupLimits = scimdoc.Limits{
	MaxLength: map[string]int{
		"displayName": MaxIdentifierLength,
		"externalId":  MaxIdentifierLength,
	},
	DefaultMaxLength: MaxTextLength,
	MaxValues:        map[string]int{"members": MaxMembersPerRequest},
	DefaultMaxValues: MaxValues,
}

// tooManyMembers is the 400 for a group PATCH that names more members than
// MaxMembersPerRequest.
func tooManyMembers(n int) error {
	return scimdoc.Errorf(http.StatusBadRequest, scimdoc.TypeInvalidValue,
		"the request names %d members, more than the limit of %d a request; send them in several requests", n, MaxMembersPerRequest)
}
