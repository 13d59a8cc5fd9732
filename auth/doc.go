// Package auth authenticates the identity providers that call the SCIM endpoint.
//
// An Authenticator is built from a Config by New and wraps every /scim/v2 route with
// Middleware. It accepts four kinds of credential, each with its own name, read-only flag,
// client-address allow-list and rate limit:
//
//   - static bearer tokens (RFC 6750 §2.1), as Okta, OneLogin and Entra's "Secret Token" send them;
//   - HTTP Basic user names and passwords (RFC 7617), as Okta can send them;
//   - JWTs from a configured issuer (RFC 7519), verified with an HMAC secret, a PEM public key or
//     a JWKS document (RFC 7517);
//   - JWTs issued by Microsoft Entra ID to its provisioning service, for a configured tenant.
//
// Failures are answered with 401 and a WWW-Authenticate challenge (RFC 6750 §3, RFC 7235 §4.1),
// 403 for a blocked client address or a write with a read-only credential, and 429 with
// Retry-After when a credential exceeds its rate. The body of every failure is written by the
// ErrorWriter given in Config, which renders a SCIM error (RFC 7644 §3.12) in the bridge. Secrets
// never appear in responses.
package auth
