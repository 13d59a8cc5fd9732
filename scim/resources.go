package scim

import (
	"context"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// get answers GET /Users/{id} and GET /Groups/{id} (RFC 7644 §3.4.1). An
// If-None-Match naming the current ETag gives 304 with no body
// (RFC 7644 §3.14).
func (s *Server) get(k *resourceKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := queryProjection(r)
		full := s.withMembers(k, p)
		res, err := s.getBackend(r.Context(), k, mux.Vars(r)["id"], full)
		if err != nil {
			return err
		}
		etag := res.ETag()
		w.Header().Set("ETag", etag)
		if inm := strings.Join(r.Header.Values("If-None-Match"), ", "); inm != "" && scimdoc.MatchesETag(inm, etag) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		s.writeResource(w, k, http.StatusOK, res, p, full)
		return nil
	}
}

// create answers POST /Users and POST /Groups (RFC 7644 §3.3) with 201, the
// resource, Location and ETag. The body is normalised against the resource
// schema; a missing userName (displayName for groups) is a 400 invalidValue.
func (s *Server) create(k *resourceKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		doc, err := s.readResource(w, r, k)
		if err != nil {
			return err
		}
		res, err := s.createBackend(r.Context(), k, doc)
		if err != nil {
			return err
		}
		w.Header().Set("Location", s.location(k, res.ID))
		p := queryProjection(r)
		s.writeResource(w, k, http.StatusCreated, res, p, s.withMembers(k, p))
		return nil
	}
}

// replace answers PUT /Users/{id} and PUT /Groups/{id} (RFC 7644 §3.5.1)
// with 200 and the resource. If-Match is passed on as the precondition.
func (s *Server) replace(k *resourceKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		doc, err := s.readResource(w, r, k)
		if err != nil {
			return err
		}
		res, err := s.replaceBackend(r.Context(), k, mux.Vars(r)["id"], doc, precondition(r))
		if err != nil {
			return err
		}
		p := queryProjection(r)
		s.writeResource(w, k, http.StatusOK, res, p, s.withMembers(k, p))
		return nil
	}
}

// patch answers PATCH /Users/{id} and PATCH /Groups/{id}
// (RFC 7644 §3.5.2). A user PATCH answers 200 with the user. A group PATCH
// answers 204, as Entra asks, unless the request names attributes or
// excludedAttributes; then it answers 200 with the group, whose members are
// loaded only when wanted.
func (s *Server) patch(k *resourceKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		body, err := s.readBody(w, r)
		if err != nil {
			return err
		}
		ops, err := scimdoc.DecodePatch(body, s.maxPatchOps)
		if err != nil {
			// Malformed JSON is reported with its line and column.
			if jerr := checkJSON(body); jerr != nil {
				return jerr
			}
			return asClientError(err)
		}
		id := mux.Vars(r)["id"]
		p := queryProjection(r)
		if k == s.user {
			res, err := s.users.PatchUser(r.Context(), id, precondition(r), ops)
			if err != nil {
				return err
			}
			s.writeResource(w, k, http.StatusOK, res, p, true)
			return nil
		}
		res, err := s.groups.PatchGroup(r.Context(), id, precondition(r), ops)
		if err != nil {
			return err
		}
		if !p.given {
			w.Header().Set("ETag", res.ETag())
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		full := s.withMembers(k, p)
		if full {
			if res, err = s.groups.GetGroup(r.Context(), id, true); err != nil {
				return err
			}
		}
		s.writeResource(w, k, http.StatusOK, res, p, full)
		return nil
	}
}

// delete answers DELETE /Users/{id} and DELETE /Groups/{id}
// (RFC 7644 §3.6) with 204 and no body.
func (s *Server) delete(k *resourceKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := mux.Vars(r)["id"]
		var err error
		if k == s.user {
			err = s.users.DeleteUser(r.Context(), id, precondition(r))
		} else {
			err = s.groups.DeleteGroup(r.Context(), id, precondition(r))
		}
		if err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// readResource reads, decodes and normalises the resource in a POST or PUT
// body. It returns a 400 *scimdoc.Error for malformed JSON, a document the
// schema rejects, or a missing required attribute, and the errors of
// readBody.
func (s *Server) readResource(w http.ResponseWriter, r *http.Request, k *resourceKind) (scimdoc.Document, error) {
	body, err := s.readBody(w, r)
	if err != nil {
		return nil, err
	}
	return s.decodeResource(k, body)
}

// checkSchemas refuses a body whose "schemas" leaves out the kind's core
// schema (RFC 7643 §3), such as a Group sent to /Users. A body without
// "schemas" is taken as the endpoint's, as clients that omit it expect.
func (k *resourceKind) checkSchemas(doc scimdoc.Document) error {
	v := scimdoc.Lookup(doc, "schemas")
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "schemas must be a list of schema URNs")
	}
	for _, e := range list {
		if u, ok := e.(string); ok && strings.EqualFold(strings.TrimSpace(u), k.coreURN) {
			return nil
		}
	}
	return scimdoc.BadRequest(scimdoc.TypeInvalidValue, "schemas must include %s for /%s", k.coreURN, k.endpoint)
}

// hasRequired reports whether doc carries the kind's required attribute
// under any case, plain or URN-qualified, as anything but null or a blank
// string. A value of the wrong type counts as present: Normalize then says
// what is wrong with it.
func (k *resourceKind) hasRequired(doc scimdoc.Document) bool {
	qualified := k.coreURN + ":" + k.required
	for key, v := range doc {
		key = strings.TrimSpace(key)
		if !strings.EqualFold(key, k.required) && !strings.EqualFold(key, qualified) {
			continue
		}
		switch v := v.(type) {
		case nil:
		case string:
			if strings.TrimSpace(v) != "" {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// writeResource renders res and writes it with its ETag. When full is false
// the group's members were not loaded and are never rendered.
func (s *Server) writeResource(w http.ResponseWriter, k *resourceKind, status int, res scimdoc.Resource, p projection, full bool) {
	doc := s.render(k, res, p)
	if !full {
		delete(doc, "members")
	}
	w.Header().Set("ETag", res.ETag())
	writeJSON(w, status, doc)
}

// withMembers reports whether an answer about k needs group members: only
// for groups, and only when the projection keeps members.
func (s *Server) withMembers(k *resourceKind, p projection) bool {
	return k == s.group && p.wants(k.coreURN, "members")
}

func (s *Server) getBackend(ctx context.Context, k *resourceKind, id string, full bool) (scimdoc.Resource, error) {
	if k == s.user {
		return s.users.GetUser(ctx, id)
	}
	return s.groups.GetGroup(ctx, id, full)
}

func (s *Server) listBackend(ctx context.Context, k *resourceKind, q scimdoc.Query, full bool) (scimdoc.Page, error) {
	if k == s.user {
		return s.users.ListUsers(ctx, q)
	}
	return s.groups.ListGroups(ctx, q, full)
}

func (s *Server) createBackend(ctx context.Context, k *resourceKind, doc scimdoc.Document) (scimdoc.Resource, error) {
	if k == s.user {
		return s.users.CreateUser(ctx, doc)
	}
	return s.groups.CreateGroup(ctx, doc)
}

func (s *Server) replaceBackend(ctx context.Context, k *resourceKind, id string, doc scimdoc.Document, pre scimdoc.Precondition) (scimdoc.Resource, error) {
	if k == s.user {
		return s.users.ReplaceUser(ctx, id, doc, pre)
	}
	return s.groups.ReplaceGroup(ctx, id, doc, pre)
}
