package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/absorb-scim/absorb-scim/schemas"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// buildDiscovery encodes the discovery documents once (RFC 7644 §4). The
// ServiceProviderConfig reports what this server really does: PATCH, sort
// and ETags supported, filter.maxResults = MaxResults, bulk with its limits
// when a BulkBackend is set, no password change.
func (s *Server) buildDiscovery(auth []schemas.AuthenticationScheme) error {
	var err error
	encode := func(v any) []byte {
		if err != nil {
			return nil
		}
		var b []byte
		b, err = json.Marshal(v)
		return b
	}
	s.spcJSON = encode(schemas.ServiceProviderConfig(schemas.Capabilities{
		FilterMaxResults: s.maxResults,
		Sort:             true,
		ETag:             true,
		Patch:            true,
		Authentication:   auth,

		BulkSupported:      s.bulkBackend != nil,
		BulkMaxOperations:  s.bulkLimit(s.maxBulkOps),
		BulkMaxPayloadSize: s.bulkLimit(int(s.maxBulkBodyBytes)),
	}, s.baseURL))

	all := schemas.All()
	docs := make([]map[string]any, 0, len(all))
	s.schemaJSON = make(map[string][]byte, len(all))
	for _, sc := range all {
		doc := schemas.SchemaDocument(sc, s.baseURL)
		docs = append(docs, doc)
		s.schemaJSON[strings.ToLower(sc.ID)] = encode(doc)
	}
	s.schemasJSON = encode(newListResponse(len(docs), 1, docs))

	types := schemas.ResourceTypes()
	docs = make([]map[string]any, 0, len(types))
	s.typeJSON = make(map[string][]byte, len(types))
	for _, rt := range types {
		doc := schemas.ResourceTypeDocument(rt, s.baseURL)
		docs = append(docs, doc)
		s.typeJSON[strings.ToLower(rt.ID)] = encode(doc)
	}
	s.typesJSON = encode(newListResponse(len(docs), 1, docs))
	if err != nil {
		return fmt.Errorf("encode discovery documents: %w", err)
	}
	return nil
}

// serviceProviderConfig answers GET /ServiceProviderConfig (RFC 7644 §4,
// RFC 7643 §5), also served at /serviceConfiguration, where Microsoft's
// reference collection looks for it.
func (s *Server) serviceProviderConfig(w http.ResponseWriter, r *http.Request) error {
	writeRaw(w, http.StatusOK, s.spcJSON)
	return nil
}

// schemaList answers GET /Schemas with a ListResponse of every schema
// (RFC 7644 §4, RFC 7643 §7).
func (s *Server) schemaList(w http.ResponseWriter, r *http.Request) error {
	writeRaw(w, http.StatusOK, s.schemasJSON)
	return nil
}

// schema answers GET /Schemas/{id}; an unknown URN is a 404.
func (s *Server) schema(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	b, ok := s.schemaJSON[strings.ToLower(id)]
	if !ok {
		return scimdoc.Errorf(http.StatusNotFound, "", "schema %q not found", id)
	}
	writeRaw(w, http.StatusOK, b)
	return nil
}

// resourceTypeList answers GET /ResourceTypes (RFC 7644 §4, RFC 7643 §6).
func (s *Server) resourceTypeList(w http.ResponseWriter, r *http.Request) error {
	writeRaw(w, http.StatusOK, s.typesJSON)
	return nil
}

// resourceType answers GET /ResourceTypes/{id} ("User" or "Group"); any
// other id is a 404.
func (s *Server) resourceType(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	b, ok := s.typeJSON[strings.ToLower(id)]
	if !ok {
		return scimdoc.Errorf(http.StatusNotFound, "", "resource type %q not found", id)
	}
	writeRaw(w, http.StatusOK, b)
	return nil
}
