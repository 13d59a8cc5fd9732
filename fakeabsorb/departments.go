package fakeabsorb

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// listDepartments is GET /departments: the departments in the admin's scope,
// with _filter, _sort, paging and the departmentName and externalId
// parameters (exact matches, any case).
func (s *Server) listDepartments(c *call) reply {
	q := c.query()
	lq, bad := s.parseList(q, departmentFields, sortableNamedFields)
	if bad != nil {
		return *bad
	}
	name, byName := q.get("departmentName")
	ext, byExt := q.get("externalId")
	var depts []*department
	for _, d := range s.st.departments {
		if !s.st.inScope(c.who.scope, d.id) ||
			(byName && name != "" && !strings.EqualFold(d.name, name)) ||
			(byExt && ext != "" && !strings.EqualFold(d.externalID, ext)) {
			continue
		}
		depts = append(depts, d)
	}
	return listed(lq, "departments", depts, func(d *department) (time.Time, string) { return d.dateAdded, d.id }, func(d *department) record { return docRecord(d.doc(s.dateLayout())) })
}

// getDepartment is GET /departments/{id}.
func (s *Server) getDepartment(c *call) reply {
	id, isGUID := parseGUID(c.r.PathValue("id"))
	if !isGUID {
		return invalidFormat("departmentId")
	}
	d := s.st.departments[id]
	if d == nil || !s.st.inScope(c.who.scope, id) {
		return notFound()
	}
	return ok(http.StatusOK, d.doc(s.dateLayout()))
}

// saveDepartment is POST /departments, "Create or Update Department": a body
// with the id of an existing department (in the admin's scope) updates it,
// one without an id creates a department. Both answer 201 with the department.
// A new department without parentId goes under the top of the admin's scope;
// an update without parentId keeps its parent; an update replaces externalId.
func (s *Server) saveDepartment(c *call) reply {
	var in struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		ParentID   string `json:"parentId"`
		ExternalID string `json:"externalId"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		return invalidRequest()
	}
	var existing *department
	if v := strings.TrimSpace(in.ID); v != "" {
		id, isGUID := parseGUID(v)
		if !isGUID {
			return validation("The value '" + v + "' is not valid for Id.")
		}
		existing = s.st.departments[id]
		if existing == nil || !s.st.inScope(c.who.scope, id) {
			return notFound()
		}
	}
	var msgs []string
	if strings.TrimSpace(in.Name) == "" {
		msgs = append(msgs, "The Name field is required.")
	}
	parent := ""
	switch v := strings.TrimSpace(in.ParentID); {
	case v != "":
		id, isGUID := parseGUID(v)
		switch {
		case !isGUID:
			msgs = append(msgs, "The value '"+v+"' is not valid for ParentId.")
		case s.st.departments[id] == nil:
			msgs = append(msgs, "Parent department '"+id+"' does not exist.")
		case !s.st.inScope(c.who.scope, id):
			msgs = append(msgs, "Parent department '"+id+"' is outside the departments this administrator manages.")
		case existing != nil && existing.parentID == "":
			msgs = append(msgs, "The top department cannot have a parent.")
		case existing != nil && s.st.inScope(existing.id, id):
			msgs = append(msgs, "A department cannot be moved under itself or one of its descendants.")
		default:
			parent = id
		}
	case existing != nil:
		parent = existing.parentID
	case c.who.scope != "":
		parent = c.who.scope
	default:
		parent = s.st.topDepartment()
	}
	if len(msgs) > 0 {
		return validation(msgs...)
	}
	if existing == nil {
		existing = &department{id: newGUID(), dateAdded: c.now}
		s.st.departments[existing.id] = existing
	}
	existing.name, existing.parentID, existing.externalID = in.Name, parent, in.ExternalID
	existing.dateEdited = c.now
	return ok(http.StatusCreated, existing.doc(s.dateLayout()))
}
