package auth

import "slices"

// Scheme is one entry of a ServiceProviderConfig's authenticationSchemes (RFC 7643 §5).
type Scheme struct {
	Type             string `json:"type"`
	Name             string `json:"name"`
	Description      string `json:"description"`
	SpecURI          string `json:"specUri,omitempty"`
	DocumentationURI string `json:"documentationUri,omitempty"`
	Primary          bool   `json:"primary"`
}

// Schemes returns one Scheme per configured kind of credential, in the order static bearer
// tokens, Entra tokens, JWTs, HTTP Basic; the first is primary. The result is a copy.
func (a *Authenticator) Schemes() []Scheme {
	return slices.Clone(a.schemes)
}

func buildSchemes(cfg Config) []Scheme {
	var out []Scheme
	if len(cfg.Tokens) > 0 {
		out = append(out, Scheme{
			Type:        "oauthbearertoken",
			Name:        "OAuth Bearer Token",
			Description: "Authentication with a static bearer token in the Authorization header",
			SpecURI:     "https://www.rfc-editor.org/rfc/rfc6750",
		})
	}
	if len(cfg.Entra) > 0 {
		out = append(out, Scheme{
			Type:             "oauthbearertoken",
			Name:             "Microsoft Entra ID token",
			Description:      "Authentication with a JWT that Microsoft Entra ID issues to its provisioning service",
			SpecURI:          "https://www.rfc-editor.org/rfc/rfc6750",
			DocumentationURI: "https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups",
		})
	}
	if len(cfg.JWT) > 0 {
		out = append(out, Scheme{
			Type:        "oauthbearertoken",
			Name:        "JSON Web Token",
			Description: "Authentication with a signed JWT bearer token from a configured issuer",
			SpecURI:     "https://www.rfc-editor.org/rfc/rfc7519",
		})
	}
	if len(cfg.Basic) > 0 {
		out = append(out, Scheme{
			Type:        "httpbasic",
			Name:        "HTTP Basic",
			Description: "Authentication with a user name and password",
			SpecURI:     "https://www.rfc-editor.org/rfc/rfc7617",
		})
	}
	if len(out) > 0 {
		out[0].Primary = true
	}
	return out
}
