package scim

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// TestRenderWithoutProjection: an answer with no attributes or
// excludedAttributes is what projecting the document with "id" and "meta"
// already in it gives (render's short cut for that case), and the stored
// document is left as it was.
func TestRenderWithoutProjection(t *testing.T) {
	s, err := New(Options{BaseURL: testBase, Users: newMemory(), Groups: newMemory()})
	if err != nil {
		t.Fatal(err)
	}
	const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	docs := map[string]scimdoc.Document{
		"full user": {
			"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User", enterprise}, "userName": "ada@example.com",
			"name":     map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
			"emails":   []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true}, map[string]any{}},
			"password": "secret", "active": true, "phoneNumbers": []any{},
			enterprise: map[string]any{"employeeNumber": "7", "manager": map[string]any{"value": "m1"}},
			"x-custom": "kept",
		},
		"server keys in other cases": {"userName": "b", "Meta": map[string]any{"version": "W/\"x\""}, "ID": "other", "Password": "p", "Schemas": "x"},
		"empty extension":            {"userName": "c", enterprise: map[string]any{}},
		"extension not an object":    {"userName": "d", enterprise: "odd"},
		"empty":                      {},
		"nil":                        nil,
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			before := scimdoc.DeepCopy(doc)
			res := scimdoc.Resource{ID: "u1", Doc: doc, Created: time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC),
				LastModified: time.Date(2025, 2, 3, 4, 5, 6, 7e6, time.UTC), Version: 3}
			got := s.render(s.user, res, projection{})
			if diff := cmp.Diff(renderByCopy(s, res), got); diff != "" {
				t.Errorf("render (-projected copy +short cut):\n%s", diff)
			}
			if diff := cmp.Diff(before, doc); diff != "" {
				t.Errorf("the stored document changed (-before +after):\n%s", diff)
			}
		})
	}
}

// renderByCopy is render as it is for a projection: the document copied
// with "id" and "meta", then projected with nothing selected or excluded.
func renderByCopy(s *Server, res scimdoc.Resource) map[string]any {
	k := s.user
	doc := map[string]any{}
	for key, v := range res.Doc {
		if !isServerKey(key) {
			doc[key] = v
		}
	}
	doc["id"] = res.ID
	doc["meta"] = map[string]any{"resourceType": k.name, "location": s.location(k, res.ID), "version": res.ETag(),
		"created": formatTime(res.Created), "lastModified": formatTime(res.LastModified)}
	doc = scimdoc.Project(k.rs, doc, nil, nil)
	doc["id"] = res.ID
	k.setSchemas(doc)
	return doc
}
