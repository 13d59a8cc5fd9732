package bridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// userRecord builds the storage record of a SCIM user document. The password
// is dropped: it is sent to Absorb and never kept.
func userRecord(id, absorbID string, doc scimdoc.Document, created, modified time.Time, version uint64) (storage.User, error) {
	doc = withoutServerAttributes(doc)
	raw, err := scimdoc.AppendJSON(nil, doc)
	if err != nil {
		return storage.User{}, fmt.Errorf("encode user %s: %w", id, err)
	}
	rec := storage.User{
		ID:           id,
		AbsorbID:     absorbID,
		UserName:     stringAt(doc, "userName"),
		ExternalID:   stringAt(doc, "externalId"),
		Emails:       emailValues(doc),
		Active:       activeOf(doc),
		Resource:     raw,
		Created:      created,
		LastModified: modified,
		Version:      version,
	}
	return rec, nil
}

// withoutServerAttributes returns doc without the attributes the server owns
// or never keeps (id, meta, groups, password).
func withoutServerAttributes(doc scimdoc.Document) scimdoc.Document {
	out := make(scimdoc.Document, len(doc))
	for k, v := range doc {
		switch strings.ToLower(k) {
		case "id", "meta", "groups", "password":
			continue
		}
		out[k] = v
	}
	return out
}

// unchanged reports whether next, the document a PUT or PATCH leaves, is
// the stored document current: then the write changes nothing, and
// RFC 7644 §3.5.2 keeps meta.version and meta.lastModified as they are
// (nothing is sent to Absorb or stored either). A password in next (never
// stored) is a change. Both are compared as JSON, which is what is stored.
func unchanged(current, next scimdoc.Document) bool {
	a, err1 := json.Marshal(withoutServerAttributes(current))
	b, err2 := json.Marshal(next)
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

// userResource turns a storage record into the resource the HTTP layer renders.
func userResource(rec storage.User) (scimdoc.Resource, error) {
	doc, err := scimdoc.DecodeDocument(rec.Resource)
	if err != nil {
		return scimdoc.Resource{}, fmt.Errorf("decode user %s: %w", rec.ID, err)
	}
	if doc == nil {
		doc = scimdoc.Document{}
	}
	doc["id"] = rec.ID
	return scimdoc.Resource{ID: rec.ID, Doc: doc, Created: rec.Created, LastModified: rec.LastModified, Version: rec.Version}, nil
}

// withMeta returns a copy of a resource's document with "id" and "meta", as
// filters on meta.* and id need them.
func withMeta(r scimdoc.Resource, resourceType string) scimdoc.Document {
	doc := make(scimdoc.Document, len(r.Doc)+2)
	for k, v := range r.Doc {
		doc[k] = v
	}
	doc["id"] = r.ID
	doc["meta"] = map[string]any{
		"resourceType": resourceType,
		"created":      r.Created.UTC().Format(time.RFC3339Nano),
		"lastModified": r.LastModified.UTC().Format(time.RFC3339Nano),
		"version":      r.ETag(),
	}
	return doc
}

func stringAt(doc scimdoc.Document, key string) string {
	s, _ := doc[key].(string)
	return s
}

func activeOf(doc scimdoc.Document) bool {
	if a, ok := doc["active"].(bool); ok {
		return a
	}
	return true
}

func emailValues(doc scimdoc.Document) []string {
	list, _ := doc["emails"].([]any)
	var out []string
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			if v, ok := m["value"].(string); ok && v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// mirrorRecord is the storage copy of an Absorb user.
func mirrorRecord(u absorbapi.User) (storage.AbsorbUser, error) {
	u.Password = ""
	raw, err := json.Marshal(u)
	if err != nil {
		return storage.AbsorbUser{}, fmt.Errorf("encode absorb user %s: %w", u.ID, err)
	}
	return storage.AbsorbUser{ID: u.ID, Username: u.Username, ExternalID: u.ExternalID, DateEdited: u.DateEdited, Raw: raw}, nil
}

func absorbUserOf(rec storage.AbsorbUser) (absorbapi.User, error) {
	var u absorbapi.User
	if err := json.Unmarshal(rec.Raw, &u); err != nil {
		return u, fmt.Errorf("decode absorb user %s: %w", rec.ID, err)
	}
	return u, nil
}
