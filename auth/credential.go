package auth

import "context"

// Credential identifies the configured credential that authenticated a request.
type Credential struct {
	// Name is the configured name of the token, user, issuer or tenant.
	Name string
	// ReadOnly is true when the credential may only read (GET, HEAD, POST …/.search).
	ReadOnly bool
	// Scheme is the kind of credential: "bearer", "basic", "jwt" or "entra".
	Scheme string
	// StrictPatch is true when the credential's PATCH requests follow
	// RFC 7644 §3.5.2.3 to the letter: a replace whose filter matches
	// nothing is refused rather than adding the value.
	StrictPatch bool
}

// Credential schemes reported in Credential.Scheme.
const (
	SchemeBearer = "bearer"
	SchemeBasic  = "basic"
	SchemeJWT    = "jwt"
	SchemeEntra  = "entra"
)

type credentialKey struct{}

// WithCredential returns a copy of ctx that carries c. Middleware calls it for every
// authenticated request; tests of downstream handlers may call it directly.
func WithCredential(ctx context.Context, c Credential) context.Context {
	return context.WithValue(ctx, credentialKey{}, c)
}

// CredentialFrom returns the Credential stored in ctx by WithCredential, and false when there
// is none.
func CredentialFrom(ctx context.Context) (Credential, bool) {
	c, ok := ctx.Value(credentialKey{}).(Credential)
	return c, ok
}
