package auth

import (
	"net/http"
	"strings"
)

// ErrorWriter writes the body of a failed authentication: status is the HTTP status (400,
// 401, 403, 429 or 503), scimType the SCIM error type or "" (RFC 7644 §3.12) and detail a
// message for a person. Headers such as WWW-Authenticate and Retry-After are already set on w
// when it is called; the ErrorWriter must call w.WriteHeader(status). The bridge passes the
// writer that renders every SCIM error (RFC 7644 §3.12), so failures here look like any other.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, status int, scimType, detail string)

// ConfigError reports every problem New found in a Config. Problems name the entry
// (for example `Tokens[1] "okta"`) and never contain a secret.
type ConfigError struct {
	Problems []string
}

// Error joins the problems with "; ".
func (e *ConfigError) Error() string {
	return "invalid auth config: " + strings.Join(e.Problems, "; ")
}

// failure is an authentication or authorisation failure on its way to the client.
type failure struct {
	status int
	// code is the RFC 6750 §3.1 error code for the Bearer challenge ("" for none).
	code string
	// detail is shown to the client in the body and in error_description.
	detail string
	// retryAfter, when positive, is sent as Retry-After in whole seconds.
	retryAfter int
}

func unauthorized(detail string) *failure {
	return &failure{status: http.StatusUnauthorized, code: "invalid_token", detail: detail}
}

// noCredentials is the failure for a request that carried no usable credentials: RFC 6750 §3.1
// says the challenge then carries no error code.
func noCredentials(detail string) *failure {
	return &failure{status: http.StatusUnauthorized, detail: detail}
}

// maxEcho is the longest untrusted value (an issuer, a key id) echoed back in a detail.
const maxEcho = 80

// clip shortens an untrusted value for use in a message and replaces anything that is not
// printable ASCII.
func clip(s string) string {
	if len(s) > maxEcho {
		s = s[:maxEcho] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r >= 0x20 && r < 0x7f {
			return r
		}
		return '?'
	}, s)
}

// quoteParam renders s as the quoted-string value of a challenge parameter. RFC 6750 §3 limits
// error_description to %x20-21 / %x23-5B / %x5D-7E, so quotes and backslashes become
// apostrophes and slashes and anything else outside that range becomes '?'.
func quoteParam(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteByte('\'')
		case c == '\\':
			b.WriteByte('/')
		case c >= 0x20 && c <= 0x7e:
			b.WriteByte(c)
		default:
			b.WriteByte('?')
		}
	}
	b.WriteByte('"')
	return b.String()
}
