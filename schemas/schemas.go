// Package schemas holds the SCIM schemas the server speaks (RFC 7643 §4, §8.7)
// and builds the discovery documents it serves: /Schemas, /ResourceTypes and
// /ServiceProviderConfig (RFC 7644 §4). The attribute definitions come from
// github.com/elimity-com/scim/schema, plus an extension of our own for the
// Absorb fields no standard schema has.
package schemas

import (
	"strconv"

	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

// Schema URNs.
const (
	UserURN           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupURN          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// AbsorbUserURN is our extension for Absorb-only user fields. It lives in
	// a namespace of our own, not under urn:ietf (RFC 7643 §10.3 reserves that
	// for registered schemas).
	AbsorbUserURN = "urn:absorb-scim:params:scim:schemas:extension:absorb:2.0:User"

	ListResponseURN    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	ErrorURN           = "urn:ietf:params:scim:api:messages:2.0:Error"
	PatchOpURN         = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SearchRequestURN   = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	BulkRequestURN     = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	BulkResponseURN    = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	SchemaURN          = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	ResourceTypeURN    = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	ServiceProviderURN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
)

// User returns the core User schema (RFC 7643 §4.1).
func User() schema.Schema { return schema.CoreUserSchema() }

// EnterpriseUser returns the Enterprise User extension (RFC 7643 §4.3).
func EnterpriseUser() schema.Schema { return schema.ExtensionEnterpriseUser() }

// Group returns the core Group schema (RFC 7643 §4.2).
func Group() schema.Schema { return schema.CoreGroupSchema() }

// AbsorbUser returns our extension for the Absorb user fields that no
// standard schema carries. departmentId, when set, decides the user's
// department over any other mapping.
func AbsorbUser() schema.Schema {
	str := func(name, desc string) schema.CoreAttribute {
		return schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
			Name: name, Description: optional.NewString(desc),
		}))
	}
	dt := func(name, desc string) schema.CoreAttribute {
		return schema.SimpleCoreAttribute(schema.SimpleDateTimeParams(schema.DateTimeParams{
			Name: name, Description: optional.NewString(desc),
		}))
	}
	custom := []schema.SimpleParams{}
	for i := 1; i <= 30; i++ {
		custom = append(custom, schema.SimpleStringParams(schema.StringParams{Name: "string" + strconv.Itoa(i)}))
	}
	for i := 1; i <= 5; i++ {
		custom = append(custom,
			schema.SimpleNumberParams(schema.NumberParams{Name: "decimal" + strconv.Itoa(i), Type: schema.AttributeTypeDecimal()}),
			schema.SimpleDateTimeParams(schema.DateTimeParams{Name: "datetime" + strconv.Itoa(i)}),
			schema.SimpleBooleanParams(schema.BooleanParams{Name: "bool" + strconv.Itoa(i)}),
		)
	}
	return schema.Schema{
		ID:          AbsorbUserURN,
		Name:        optional.NewString("Absorb User"),
		Description: optional.NewString("Absorb LMS user fields that the core and enterprise schemas do not carry."),
		Attributes: []schema.CoreAttribute{
			str("departmentId", "Id of the Absorb department the user belongs to; wins over every other department mapping."),
			str("location", "The user's physical location in Absorb."),
			dt("dateHired", "The date the user was hired."),
			dt("dateTerminated", "The date the user's employment ended."),
			schema.SimpleCoreAttribute(schema.SimpleNumberParams(schema.NumberParams{
				Name: "gender", Type: schema.AttributeTypeInteger(),
				Description: optional.NewString("Absorb gender code: 0 none, 1 male, 2 female."),
			})),
			str("referenceNumber", "Absorb reference number."),
			str("notes", "Absorb notes about the user."),
			schema.ComplexCoreAttribute(schema.ComplexParams{
				Name:          "customFields",
				Description:   optional.NewString("The portal's custom user fields."),
				SubAttributes: custom,
			}),
		},
	}
}
