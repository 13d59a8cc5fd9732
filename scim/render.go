package scim

import (
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/schemas"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// resourceKind is what the handlers need to know of one resource type.
type resourceKind struct {
	name     string // resourceType: "User", "Group"
	endpoint string // path segment: "Users", "Groups"
	coreURN  string
	extURNs  []string
	required string // the attribute a create or replace must carry
	rs       *scimdoc.ResourceSchema
}

// newResourceKinds describes Users (with the Enterprise and Absorb
// extensions) and Groups, with the resource schemas of their backends.
func newResourceKinds(userRS, groupRS *scimdoc.ResourceSchema) (user, group *resourceKind) {
	for _, rt := range schemas.ResourceTypes() {
		k := &resourceKind{
			name:     rt.Name,
			endpoint: strings.TrimPrefix(rt.Endpoint, "/"),
			coreURN:  rt.Core.ID,
		}
		for _, e := range rt.Extensions {
			k.extURNs = append(k.extURNs, e.ID)
		}
		switch rt.ID {
		case "User":
			k.required, k.rs = "userName", userRS
			user = k
		case "Group":
			k.required, k.rs = "displayName", groupRS
			group = k
		}
	}
	return user, group
}

// timeFormat is RFC 3339 with milliseconds, as Entra's examples show.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// render turns a stored resource into the document the client sees
// (RFC 7643 §3.1): "schemas" (the core URN and the URNs of the extensions
// present), "id", the attributes, and "meta" with the resourceType, created
// and lastModified in UTC, the location under BaseURL and the version (the
// ETag), all passed through scimdoc.Project with p (RFC 7644 §3.4.2.5). The
// password is never rendered (RFC 7643 §4.1.1: returned "never"); id is
// always rendered.
func (s *Server) render(k *resourceKind, res scimdoc.Resource, p projection) map[string]any {
	meta := map[string]any{
		"resourceType": k.name,
		"location":     s.location(k, res.ID),
		"version":      res.ETag(),
	}
	if !res.Created.IsZero() {
		meta["created"] = formatTime(res.Created)
	}
	if !res.LastModified.IsZero() {
		meta["lastModified"] = formatTime(res.LastModified)
	}
	src := res.Doc
	if k == s.group {
		src = s.withMemberRefs(src)
	}
	var doc map[string]any
	if len(p.attributes) == 0 && len(p.excluded) == 0 {
		// Nothing selected or excluded: Project keeps "meta" and "id" as
		// they are, so they are set on its copy rather than on a copy of the
		// whole document made first (the larger part of what a GET allocated).
		doc = scimdoc.Project(k.rs, src, nil, nil)
		for key := range doc {
			if isServerKey(key) {
				delete(doc, key)
			}
		}
		if doc == nil {
			doc = make(map[string]any, 3)
		}
		doc["meta"] = meta
	} else {
		doc = make(map[string]any, len(src)+3)
		for key, v := range src {
			if !isServerKey(key) {
				doc[key] = v
			}
		}
		doc["id"] = res.ID
		doc["meta"] = meta
		doc = scimdoc.Project(k.rs, doc, p.attributes, p.excluded)
	}
	doc["id"] = res.ID
	k.setSchemas(doc)
	return doc
}

// withMemberRefs returns doc with a "$ref" on each of its members that has
// a value and none: the member's URI under BaseURL, as the Group schema
// says members are returned (RFC 7643 §4.2). doc itself is not changed.
func (s *Server) withMemberRefs(doc map[string]any) map[string]any {
	members, ok := doc["members"].([]any)
	if !ok || len(members) == 0 {
		return doc
	}
	out := make([]any, len(members))
	for i, m := range members {
		out[i] = m
		entry, ok := m.(map[string]any)
		if !ok {
			continue
		}
		id, _ := scimdoc.Lookup(entry, "value").(string)
		if id == "" || scimdoc.Lookup(entry, "$ref") != nil {
			continue
		}
		endpoint := s.user
		if t, _ := scimdoc.Lookup(entry, "type").(string); strings.EqualFold(t, "Group") {
			endpoint = s.group
		}
		withRef := make(map[string]any, len(entry)+1)
		for key, v := range entry {
			withRef[key] = v
		}
		withRef["$ref"] = s.location(endpoint, id)
		out[i] = withRef
	}
	copied := make(map[string]any, len(doc))
	for key, v := range doc {
		copied[key] = v
	}
	copied["members"] = out
	return copied
}

// setSchemas sets doc's "schemas" to the core URN and those of the
// extensions doc holds, and drops the extensions left empty.
func (k *resourceKind) setSchemas(doc map[string]any) {
	urns := make([]string, 1, 1+len(k.extURNs))
	urns[0] = k.coreURN
	for _, urn := range k.extURNs {
		ext, ok := doc[urn].(map[string]any)
		switch {
		case ok && len(ext) > 0:
			urns = append(urns, urn)
		case ok:
			delete(doc, urn)
		}
	}
	doc["schemas"] = urns
}

// isServerKey reports whether a stored document's attribute is one render
// sets itself (schemas, id, meta) or never shows (password).
func isServerKey(key string) bool {
	return strings.EqualFold(key, "password") || strings.EqualFold(key, "meta") ||
		strings.EqualFold(key, "schemas") || strings.EqualFold(key, "id")
}

// formatTime renders t as the server renders meta times.
func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }
