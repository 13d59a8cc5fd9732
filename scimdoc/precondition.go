package scimdoc

import (
	"net/http"
	"strings"
)

// Precondition carries a request's If-Match header (RFC 7644 §3.14,
// RFC 9110 §13.1.1). The use cases check it against the current version
// while they hold the resource, so a stale writer cannot win a race.
type Precondition struct {
	IfMatch string
}

// Check returns a 412 *Error when If-Match is set and names neither "*" nor
// the resource's current ETag. Weak and strong forms of the tag both match.
func (p Precondition) Check(r Resource) error {
	if p.IfMatch == "" || MatchesETag(p.IfMatch, r.ETag()) {
		return nil
	}
	return Errorf(http.StatusPreconditionFailed, "",
		"the resource was modified: its version is now %s, not %s; fetch it again and retry", r.ETag(), p.IfMatch)
}

// MatchesETag reports whether a comma-separated If-Match or If-None-Match
// header value names etag or "*", comparing weakly (RFC 9110 §8.8.3.2).
func MatchesETag(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == want {
			return true
		}
	}
	return false
}
