package scimdoc

import (
	"encoding/json"
	"testing"

	"github.com/elimity-com/scim/schema"
)

const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	widgetURN     = "urn:example:params:scim:schemas:Widget"
)

func userSchema() *ResourceSchema {
	return NewResourceSchema(schema.CoreUserSchema(), schema.ExtensionEnterpriseUser())
}

// widgetSchema has an attribute of every type and characteristic the core
// schemas lack.
func widgetSchema() *ResourceSchema {
	return NewResourceSchema(schema.Schema{
		ID: widgetURN,
		Attributes: schema.Attributes{
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: "label", Required: true})),
			schema.SimpleCoreAttribute(schema.SimpleNumberParams(schema.NumberParams{Name: "count", Type: schema.AttributeTypeInteger()})),
			schema.SimpleCoreAttribute(schema.SimpleNumberParams(schema.NumberParams{Name: "score", Type: schema.AttributeTypeDecimal()})),
			schema.SimpleCoreAttribute(schema.SimpleDateTimeParams(schema.DateTimeParams{Name: "since"})),
			schema.SimpleCoreAttribute(schema.SimpleBinaryParams(schema.BinaryParams{Name: "blob"})),
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: "tags", MultiValued: true})),
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: "code", CaseExact: true, Mutability: schema.AttributeMutabilityImmutable()})),
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: "note", Returned: schema.AttributeReturnedRequest()})),
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: "serial", Returned: schema.AttributeReturnedAlways()})),
			schema.ComplexCoreAttribute(schema.ComplexParams{Name: "parts", MultiValued: true, SubAttributes: []schema.SimpleParams{
				schema.SimpleStringParams(schema.StringParams{Name: "value"}),
				schema.SimpleStringParams(schema.StringParams{Name: "secret", Returned: schema.AttributeReturnedNever()}),
				schema.SimpleNumberParams(schema.NumberParams{Name: "weight", Type: schema.AttributeTypeDecimal()}),
			}}),
		},
	})
}

func groupSchema() *ResourceSchema {
	return NewResourceSchema(schema.CoreGroupSchema())
}

// doc decodes a JSON object the way the HTTP layer does.
func doc(t testing.TB, s string) Document {
	t.Helper()
	var d Document
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return d
}

// jsonValue decodes any JSON value.
func jsonValue(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

// wantSCIMError fails unless err is a *Error with the given status and
// scimType.
func wantSCIMError(t testing.TB, err error, status int, scimType string) *Error {
	t.Helper()
	e, ok := AsError(err)
	if !ok {
		t.Fatalf("error = %v (%T), want *Error %d %s", err, err, status, scimType)
	}
	if e.Status != status || e.ScimType != scimType {
		t.Fatalf("error = %d %s %q, want %d %s", e.Status, e.ScimType, e.Detail, status, scimType)
	}
	if e.Detail == "" {
		t.Fatalf("error %d %s has no detail", e.Status, e.ScimType)
	}
	return e
}

// bjensen is a full user in the shape of RFC 7643 §8.2 plus the enterprise
// extension, with meta as the HTTP layer passes it.
const bjensen = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "id": "2819c223-7f76-453a-919d-413861904646",
  "externalId": "701984",
  "userName": "bjensen@example.com",
  "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane"},
  "displayName": "Babs Jensen",
  "nickName": "Babs",
  "title": "Tour Guide",
  "active": true,
  "emails": [
    {"value": "bjensen@example.com", "type": "work", "primary": true},
    {"value": "babs@jensen.org", "type": "home"}
  ],
  "addresses": [
    {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "region": "CA", "postalCode": "91608", "country": "USA", "primary": true},
    {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood", "region": "CA", "postalCode": "91608", "country": "USA"}
  ],
  "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
  "groups": [{"value": "e9e30dba-f08f-4109-8486-d5c6a331660a", "display": "Tour Guides"}],
  "password": "t1meMa$heen",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "701984",
    "costCenter": "4130",
    "department": "Tour Operations",
    "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
  },
  "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z", "version": "W/\"3694e05e9dff590\""}
}`

const tourGuides = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
  "displayName": "Tour Guides",
  "members": [
    {"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen", "type": "User"},
    {"value": "902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge", "type": "User"}
  ],
  "meta": {"resourceType": "Group", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z"}
}`
