package absorbapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Sentinel errors. Callers test for them with errors.Is or the Is* functions.
var (
	// ErrNotFound: the resource does not exist or the admin cannot see it
	// (404).
	ErrNotFound = errors.New("absorb: not found")
	// ErrRequestModel: Absorb could not bind the request's body (422
	// "Request Model Validation Error": a malformed date or id in it, a
	// value of the wrong type). It is never an unknown id. A
	// *ValidationError with Unbound set matches it under errors.Is.
	ErrRequestModel = errors.New("absorb: request model validation error")
	// ErrForbidden: 403, a wrong or missing private key, an unknown path,
	// or an admin role without access.
	ErrForbidden = errors.New("absorb: forbidden")
	// ErrUnauthorized: the credentials were refused, or a request was
	// refused again right after a fresh login.
	ErrUnauthorized = errors.New("absorb: unauthorized")
	// ErrAmbiguous: a lookup that must find at most one record found several.
	ErrAmbiguous = errors.New("absorb: more than one match")
	// ErrUploadRejected: Absorb left a user out of its upload answer.
	ErrUploadRejected = errors.New("absorb: user not accepted by upload")
)

// ValidationError is a 400 or 422 answer: Absorb refused the request's
// content. Message is the top-level message and Messages the per-field ones,
// in a stable order. A Status of 0 means the Client refused the input before
// sending it.
type ValidationError struct {
	Status   int
	Message  string
	Messages []string
	// Unbound: Absorb's model binding could not read the body (its 422
	// "Request Model Validation Error"); errors.Is(err, ErrRequestModel).
	Unbound bool
}

// Is reports whether target is ErrRequestModel and Absorb could not bind
// the body.
func (e *ValidationError) Is(target error) bool { return target == ErrRequestModel && e.Unbound }

func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.Status == 0 {
		b.WriteString("absorb: invalid input")
	} else {
		fmt.Fprintf(&b, "absorb: validation failed (%d)", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if len(e.Messages) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Messages, "; "))
	}
	return b.String()
}

// RateLimitError: Absorb still answered 429 after Attempts attempts.
type RateLimitError struct {
	Attempts int
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("absorb: rate limited (429) after %d attempts", e.Attempts)
}

// UnavailableError: no usable answer after Attempts attempts, because of 5xx
// answers (Status is the last one), connection errors or timeouts (Status 0).
// Err is the last cause; errors.Is(err, context.DeadlineExceeded) holds when
// the caller's deadline ended the call. For a create it means the outcome is
// unknown.
type UnavailableError struct {
	Attempts int
	Status   int
	Err      error
}

func (e *UnavailableError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("absorb: unavailable (%d) after %d attempts: %v", e.Status, e.Attempts, e.Err)
	}
	if e.Attempts == 0 {
		return fmt.Sprintf("absorb: unavailable: %v", e.Err)
	}
	return fmt.Sprintf("absorb: unavailable after %d attempts: %v", e.Attempts, e.Err)
}

// Unwrap returns the last cause.
func (e *UnavailableError) Unwrap() error { return e.Err }

// ConflictError: a create was refused because the username is taken. When
// the existing user is visible to this admin, ExistingID is its id. Hidden is
// true when Absorb says the name is in use but the admin's department scope
// hides the holder; it is a conflict, never a reason to create another account.
type ConflictError struct {
	Username   string
	ExistingID string
	Hidden     bool
}

func (e *ConflictError) Error() string {
	if e.Hidden {
		return fmt.Sprintf("absorb: username %q is taken by a user outside this admin's department scope", e.Username)
	}
	return fmt.Sprintf("absorb: username %q is taken by user %s", e.Username, e.ExistingID)
}

// ResponseError is an unexpected status that no other error type describes.
type ResponseError struct {
	Method   string
	Endpoint string
	Status   int
	Message  string
}

func (e *ResponseError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("absorb: %s %s: unexpected status %d", e.Method, e.Endpoint, e.Status)
	}
	return fmt.Sprintf("absorb: %s %s: unexpected status %d: %s", e.Method, e.Endpoint, e.Status, e.Message)
}

// IsNotFound reports whether err is or wraps ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsForbidden reports whether err is or wraps ErrForbidden.
func IsForbidden(err error) bool { return errors.Is(err, ErrForbidden) }

// IsUnauthorized reports whether err is or wraps ErrUnauthorized.
func IsUnauthorized(err error) bool { return errors.Is(err, ErrUnauthorized) }

// IsValidation reports whether err is or wraps a *ValidationError.
func IsValidation(err error) bool {
	var e *ValidationError
	return errors.As(err, &e)
}

// IsRateLimited reports whether err is or wraps a *RateLimitError.
func IsRateLimited(err error) bool {
	var e *RateLimitError
	return errors.As(err, &e)
}

// IsUnavailable reports whether err is or wraps an *UnavailableError.
func IsUnavailable(err error) bool {
	var e *UnavailableError
	return errors.As(err, &e)
}

// IsConflict reports whether err is or wraps a *ConflictError.
func IsConflict(err error) bool {
	var e *ConflictError
	return errors.As(err, &e)
}

// IsRetryable reports whether trying the same call later may succeed: rate
// limiting and unavailability.
func IsRetryable(err error) bool { return IsRateLimited(err) || IsUnavailable(err) }

// errorBody is what Absorb's error bodies say, whatever their shape.
type errorBody struct {
	Message  string
	Messages []string
}

// parseErrorBody reads the shapes Absorb is known to use:
// {"message"}, {"Message"}, {"error":{"message"}}, and validations as
// {"validations":{"0":[{"message":…}]}} (map or array, possibly under
// "error"), ASP.NET's {"ModelState":{"field":["…"]}} and {"errors":…}.
// A body that is not JSON becomes the message, trimmed.
func parseErrorBody(body []byte) errorBody {
	var out errorBody
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		out.Message = truncate(strings.TrimSpace(string(body)), 300)
		return out
	}
	switch t := v.(type) {
	case string:
		out.Message = t
	case map[string]any:
		readErrorObject(t, &out)
	case []any:
		collectStrings(t, &out.Messages)
	}
	out.Message = truncate(out.Message, 300)
	return out
}

func readErrorObject(m map[string]any, out *errorBody) {
	for k, v := range m {
		switch strings.ToLower(k) {
		case "message":
			if s, ok := v.(string); ok && out.Message == "" {
				out.Message = s
			}
		case "error":
			switch t := v.(type) {
			case map[string]any:
				readErrorObject(t, out)
			case string:
				if out.Message == "" {
					out.Message = t
				}
			}
		}
	}
	for _, k := range sortedKeys(m) {
		switch strings.ToLower(k) {
		case "validations", "modelstate", "errors":
			collectStrings(m[k], &out.Messages)
		}
	}
}

// collectStrings gathers message strings from v in a stable order: the
// "message" of objects, and bare strings inside arrays and maps.
func collectStrings(v any, dst *[]string) {
	switch t := v.(type) {
	case string:
		if t != "" {
			*dst = append(*dst, truncate(t, 300))
		}
	case []any:
		for _, e := range t {
			collectStrings(e, dst)
		}
	case map[string]any:
		for _, k := range sortedKeys(t) {
			if strings.EqualFold(k, "message") {
				if s, ok := t[k].(string); ok && s != "" {
					*dst = append(*dst, truncate(s, 300))
				}
				continue
			}
			switch t[k].(type) {
			case []any, map[string]any:
				collectStrings(t[k], dst)
			case string:
				// Bare strings under a field name are ASP.NET ModelState
				// messages; strings under other known keys (code,
				// property names) are not messages.
				if !isMetaKey(k) {
					collectStrings(t[k], dst)
				}
			}
		}
	}
}

func isMetaKey(k string) bool {
	switch strings.ToLower(k) {
	case "code", "property", "propertyname", "field", "key", "type", "severity", "attemptedvalue":
		return true
	}
	return false
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// bearerPattern finds tokens that a gateway echoes back (the 403 for an
// unknown path quotes the Authorization header).
var bearerPattern = regexp.MustCompile(`(?i)(bearer\s+)[^\s'"]+`)

// redact removes the given secrets, and anything that looks like a bearer
// token, from s.
func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return bearerPattern.ReplaceAllString(s, "${1}[redacted]")
}

// mentionsConflict reports whether validation messages say that username is
// already in use: a message names the username as a whole word, or speaks of
// a name that already exists or is taken.
func mentionsConflict(username string, msgs []string) bool {
	for _, m := range msgs {
		lm := strings.ToLower(m)
		for _, w := range []string{"already", "in use", "taken", "duplicate", "unique"} {
			if strings.Contains(lm, w) {
				return true
			}
		}
		if username != "" && containsWord(lm, strings.ToLower(username)) {
			return true
		}
	}
	return false
}

// containsWord reports whether w occurs in s with no letter or digit
// directly before or after it.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		if (start == 0 || !isAlnum(s[start-1])) && (end == len(s) || !isAlnum(s[end])) {
			return true
		}
		i = start + 1
	}
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}
