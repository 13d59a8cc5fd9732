package scimdoc

// Filter is a parsed SCIM filter (RFC 7644 §3.4.2.2).
type Filter struct{}
