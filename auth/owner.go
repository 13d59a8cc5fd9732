package auth

import (
	"net/http"
	"strings"
)

// Recognizes reports whether r presents one of a's credentials, and its
// name: a static token or Basic user and password a configured, or a JWT
// whose issuer a trusts. It verifies no signature, address or rate and
// grants nothing: a deployment serving several tenants asks each other
// tenant's Authenticator, after a request was refused, whose credential
// was presented at the wrong URL, to say so in its log.
func (a *Authenticator) Recognizes(r *http.Request) (name string, ok bool) {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return "", false
	}
	scheme, param, _ := strings.Cut(strings.Trim(values[0], " \t"), " ")
	param = strings.Trim(param, " \t")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		if len(param) > maxTokenLength {
			return "", false
		}
		if p := a.matchToken(param); p != nil {
			return p.cred.Name, true
		}
		if len(a.issuers) > 0 && jwtShaped(param) {
			if _, iss, err := peekJWT(param); err == nil {
				if v, found := a.issuers[iss]; found {
					return v.owner().cred.Name, true
				}
			}
		}
	case strings.EqualFold(scheme, "Basic"):
		if p, f := a.authenticateBasic(param); f == nil {
			return p.cred.Name, true
		}
	}
	return "", false
}
