// Package scimdoc is the SCIM protocol model shared by the HTTP layer and the
// use cases: resources as JSON documents, the one SCIM error type, filters,
// PATCH operations, attribute projection and sorting (RFC 7643, RFC 7644).
// It does no I/O.
package scimdoc

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Document is a SCIM resource as decoded JSON. Attribute names are in their
// schema's canonical case; extension attributes sit under their schema URN.
type Document = map[string]any

// Resource is a stored SCIM resource with its server-kept metadata. Doc holds
// the resource as last written without "meta".
type Resource struct {
	ID           string
	Doc          Document
	Created      time.Time
	LastModified time.Time
	Version      uint64 // bumped on every write; see ETag
}

// ETag is the resource's entity tag, a weak validator (RFC 7644 §3.14).
func (r Resource) ETag() string { return fmt.Sprintf("W/%q", fmt.Sprint(r.Version)) }

// Query is a list or search request (RFC 7644 §3.4.2).
type Query struct {
	Filter     *Filter // nil: every resource
	SortBy     string
	Descending bool
	StartIndex int // 1-based
	Count      int // <0: no limit given
}

// Page is one page of a list answer.
type Page struct {
	TotalResults int
	Resources    []Resource
}

// The scimType keywords of RFC 7644 §3.12.
const (
	TypeInvalidFilter  = "invalidFilter"
	TypeTooMany        = "tooMany"
	TypeUniqueness     = "uniqueness"
	TypeMutability     = "mutability"
	TypeInvalidSyntax  = "invalidSyntax"
	TypeInvalidPath    = "invalidPath"
	TypeNoTarget       = "noTarget"
	TypeInvalidValue   = "invalidValue"
	TypeInvalidVersion = "invalidVers"
	TypeSensitive      = "sensitive"
)

// Error is the one SCIM error type: the HTTP status, the scimType keyword and
// a detail a person can act on. RetryAfter, when set, becomes a Retry-After
// header. Err is the cause, for logs only; it never reaches the client.
type Error struct {
	Status     int
	ScimType   string
	Detail     string
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("scim %d", e.Status)
	if e.ScimType != "" {
		s += " " + e.ScimType
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given status, scimType and detail.
func Errorf(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// BadRequest returns a 400 *Error with the given scimType.
func BadRequest(scimType, format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, scimType, format, args...)
}

// NotFound returns the 404 *Error for a resource id.
func NotFound(resourceType, id string) *Error {
	return Errorf(http.StatusNotFound, "", "%s %q not found", resourceType, id)
}

// AsError returns err as an *Error if it is or wraps one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
