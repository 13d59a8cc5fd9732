package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Values of the tokens Microsoft Entra ID issues to its provisioning service when an
// enterprise app's Secret Token is blank (Microsoft, "Develop and plan provisioning for a SCIM
// endpoint"; scimgateway bearerJwtAzure).
const (
	// entraSCIMAudience is the aud of provisioning tokens for custom (non-gallery) apps.
	entraSCIMAudience = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
	// entraGraphAudience is the aud of older provisioning tokens (Azure AD Graph).
	entraGraphAudience = "00000002-0000-0000-c000-000000000000"
	// entraSyncFabricAppID is the appid of Microsoft.Azure.SyncFabric, the provisioning service.
	entraSyncFabricAppID = "00000014-0000-0000-c000-000000000000"
	// entraAlg is the only algorithm Entra signs access tokens with.
	entraAlg = "RS256"
)

// entraTenant verifies the provisioning tokens of one Entra tenant.
type entraTenant struct {
	p           *principal
	tenantID    string
	issuerV1    string
	issuerV2    string
	metadataURL string
	parser      *jwt.Parser
	keys        *keyStore
}

func (e *entraTenant) owner() *principal { return e.p }

// newEntraTenant checks cfg and builds its verifier; it returns nil when cfg has problems.
func newEntraTenant(c *checker, where string, cfg EntraTenant, p *principal, a *Authenticator) *entraTenant {
	before := len(c.problems)
	tenant := strings.ToLower(cfg.TenantID)
	if !isGUID(tenant) {
		c.addf("%s: TenantID must be the directory (tenant) id, a GUID such as 00000000-0000-0000-0000-000000000000", where)
	}
	meta := cfg.MetadataURL
	if meta == "" {
		meta = "https://login.microsoftonline.com/" + tenant + "/.well-known/openid-configuration"
	} else if msg := checkKeyURL(meta); msg != "" {
		c.addf("%s: MetadataURL %s", where, msg)
	}
	if len(c.problems) > before {
		return nil
	}
	return &entraTenant{
		p:           p,
		tenantID:    tenant,
		issuerV1:    "https://sts.windows.net/" + tenant + "/",
		issuerV2:    "https://login.microsoftonline.com/" + tenant + "/v2.0",
		metadataURL: meta,
		keys:        a.keys,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{entraAlg}),
			jwt.WithAudience(entraSCIMAudience, entraGraphAudience),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(defaultLeeway),
			jwt.WithTimeFunc(a.now),
		),
	}
}

// verify checks an Entra provisioning token: RS256 with a key of the tenant's JWKS, iss of the
// tenant (v1 or v2 form), aud of the provisioning service, exp/nbf, tid equal to the tenant
// and appid (v1) or azp (v2) equal to Microsoft.Azure.SyncFabric, so that a token another app
// of the same tenant obtained for Azure AD Graph is not accepted.
func (e *entraTenant) verify(ctx context.Context, raw string, h jwtHeader) (*principal, *failure) {
	issuer := e.issuerV1
	if h.Alg != entraAlg {
		return nil, unauthorized(fmt.Sprintf("token algorithm %q is not allowed: Entra tokens are signed with %s", clip(h.Alg), entraAlg))
	}
	var cl claims
	_, err := e.parser.ParseWithClaims(raw, &cl, func(t *jwt.Token) (any, error) {
		uri, err := e.keys.lookupJWKSURI(ctx, e.metadataURL)
		if err != nil {
			return nil, err
		}
		kid, _ := t.Header["kid"].(string)
		keys, err := e.keys.lookupKeys(ctx, uri, kid, t.Method.Alg())
		if err != nil {
			return nil, err
		}
		return jwt.VerificationKeySet{Keys: keys}, nil
	})
	if err != nil {
		return nil, describeJWTError(err, &cl, h, issuer)
	}
	if cl.Issuer != e.issuerV1 && cl.Issuer != e.issuerV2 {
		return nil, unauthorized(fmt.Sprintf("wrong issuer: want %q", issuer))
	}
	if !strings.EqualFold(cl.TenantID, e.tenantID) {
		return nil, unauthorized(fmt.Sprintf("token tenant (tid) %q is not tenant %s", clip(cl.TenantID), e.tenantID))
	}
	app := cl.AppID
	if app == "" {
		app = cl.AuthorizedParty
	}
	if !strings.EqualFold(app, entraSyncFabricAppID) {
		return nil, unauthorized(fmt.Sprintf("token was issued to application %q, not to the Entra provisioning service %s", clip(app), entraSyncFabricAppID))
	}
	return e.p, nil
}

// isGUID reports whether s has the 8-4-4-4-12 hex form.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if slices.Contains([]int{8, 13, 18, 23}, i) {
			if c != '-' {
				return false
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
