package schemas

import (
	"strings"

	"github.com/elimity-com/scim/schema"
)

// ResourceType describes one resource endpoint (RFC 7643 §6).
type ResourceType struct {
	ID         string
	Name       string
	Endpoint   string
	Desc       string
	Core       schema.Schema
	Extensions []schema.Schema
}

// ResourceTypes returns the resource types the server serves, Users first.
func ResourceTypes() []ResourceType {
	return []ResourceType{
		{
			ID: "User", Name: "User", Endpoint: "/Users", Desc: "User Account",
			Core: User(), Extensions: []schema.Schema{EnterpriseUser(), AbsorbUser()},
		},
		{ID: "Group", Name: "Group", Endpoint: "/Groups", Desc: "Group", Core: Group()},
	}
}

// All returns every schema the server serves, in a stable order.
func All() []schema.Schema {
	return []schema.Schema{User(), EnterpriseUser(), AbsorbUser(), Group()}
}

// SchemaDocument renders a schema as its /Schemas resource (RFC 7643 §7),
// with meta.location under baseURL (the public URL of /scim/v2).
func SchemaDocument(s schema.Schema, baseURL string) map[string]any {
	doc := s.ToMap()
	if d, _ := doc["description"].(string); d == "" {
		delete(doc, "description")
	}
	doc["meta"] = map[string]any{
		"resourceType": "Schema",
		"location":     strings.TrimSuffix(baseURL, "/") + "/Schemas/" + s.ID,
	}
	return doc
}

// ResourceTypeDocument renders a resource type as its /ResourceTypes
// resource (RFC 7643 §6).
func ResourceTypeDocument(rt ResourceType, baseURL string) map[string]any {
	exts := make([]map[string]any, 0, len(rt.Extensions))
	for _, e := range rt.Extensions {
		exts = append(exts, map[string]any{"schema": e.ID, "required": false})
	}
	doc := map[string]any{
		"schemas":     []string{ResourceTypeURN},
		"id":          rt.ID,
		"name":        rt.Name,
		"endpoint":    rt.Endpoint,
		"description": rt.Desc,
		"schema":      rt.Core.ID,
		"meta": map[string]any{
			"resourceType": "ResourceType",
			"location":     strings.TrimSuffix(baseURL, "/") + "/ResourceTypes/" + rt.ID,
		},
	}
	if len(exts) > 0 {
		doc["schemaExtensions"] = exts
	}
	return doc
}

// AuthenticationScheme is one entry of authenticationSchemes (RFC 7643 §5).
type AuthenticationScheme struct {
	Type             string `json:"type"`
	Name             string `json:"name"`
	Description      string `json:"description"`
	SpecURI          string `json:"specUri,omitempty"`
	DocumentationURI string `json:"documentationUri,omitempty"`
	Primary          bool   `json:"primary,omitempty"`
}

// Capabilities is what the server really implements; ServiceProviderConfig
// reports exactly this, so discovery tells the truth.
type Capabilities struct {
	FilterMaxResults   int
	BulkSupported      bool
	BulkMaxOperations  int
	BulkMaxPayloadSize int
	Sort               bool
	ETag               bool
	Patch              bool
	ChangePassword     bool
	DocumentationURI   string
	Authentication     []AuthenticationScheme
}

// ServiceProviderConfig renders the /ServiceProviderConfig document
// (RFC 7643 §5) from the server's capabilities.
func ServiceProviderConfig(c Capabilities, baseURL string) map[string]any {
	auth := c.Authentication
	if auth == nil {
		auth = []AuthenticationScheme{}
	}
	doc := map[string]any{
		"schemas": []string{ServiceProviderURN},
		"patch":   map[string]any{"supported": c.Patch},
		"bulk": map[string]any{
			"supported":      c.BulkSupported,
			"maxOperations":  c.BulkMaxOperations,
			"maxPayloadSize": c.BulkMaxPayloadSize,
		},
		"filter":                map[string]any{"supported": true, "maxResults": c.FilterMaxResults},
		"changePassword":        map[string]any{"supported": c.ChangePassword},
		"sort":                  map[string]any{"supported": c.Sort},
		"etag":                  map[string]any{"supported": c.ETag},
		"authenticationSchemes": auth,
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     strings.TrimSuffix(baseURL, "/") + "/ServiceProviderConfig",
		},
	}
	if c.DocumentationURI != "" {
		doc["documentationUri"] = c.DocumentationURI
	}
	return doc
}
