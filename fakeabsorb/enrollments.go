package fakeabsorb

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

func (s *Server) enrollmentDoc(e *enrollment) map[string]any {
	d := map[string]any{
		"id":         e.id,
		"courseId":   e.courseID,
		"courseName": nil,
		"userId":     e.userID,
		"fullName":   nil,
		"status":     e.status,
		"progress":   e.progress,
		"dateAdded":  timeOrNull(e.dateAdded, s.dateLayout()),
		"dateEdited": timeOrNull(e.dateEdited, s.dateLayout()),
	}
	if co := s.st.courses[e.courseID]; co != nil {
		d["courseName"] = co.name
	}
	if u, found := s.st.users[e.userID]; found {
		d["fullName"] = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	return d
}

// enrollmentOf returns the user's enrollment in the course, or nil.
func (s *Server) enrollmentOf(userID, courseID string) *enrollment {
	for _, e := range s.st.enrollments {
		if e.userID == userID && e.courseID == courseID {
			return e
		}
	}
	return nil
}

// pathCourse finds the course named by the path parameter courseId: 422 for a
// malformed id, 404 for an unknown one.
func (s *Server) pathCourse(c *call) (*course, *reply) {
	id, isGUID := parseGUID(c.r.PathValue("courseId"))
	if !isGUID {
		r := invalidFormat("courseId")
		return nil, &r
	}
	co := s.st.courses[id]
	if co == nil {
		r := notFound()
		return nil, &r
	}
	return co, nil
}

// listEnrollments is GET /users/{id}/enrollments (envelope key "enrollments").
func (s *Server) listEnrollments(c *call) reply {
	u, bad := s.visibleUser(c, "id")
	if bad != nil {
		return *bad
	}
	lq, bad := s.parseList(c.query(), enrollmentFields, nil)
	if bad != nil {
		return *bad
	}
	var es []*enrollment
	for _, e := range s.st.enrollments {
		if e.userID == u.ID {
			es = append(es, e)
		}
	}
	return listed(lq, "enrollments", es, func(e *enrollment) (time.Time, string) { return e.dateAdded, e.id },
		func(e *enrollment) record { return docRecord(s.enrollmentDoc(e)) })
}

// getEnrollment is GET /users/{id}/enrollments/{courseId}.
func (s *Server) getEnrollment(c *call) reply {
	u, bad := s.visibleUser(c, "id")
	if bad != nil {
		return *bad
	}
	co, bad := s.pathCourse(c)
	if bad != nil {
		return *bad
	}
	e := s.enrollmentOf(u.ID, co.id)
	if e == nil {
		return notFound()
	}
	return ok(http.StatusOK, s.enrollmentDoc(e))
}

// enroll is POST /users/{id}/enrollments/{courseId} (no body): 201 with a new
// enrollment, or 200 with the existing one when the user is already enrolled;
// under answers=string the bare enrollment id.
func (s *Server) enroll(c *call) reply {
	u, bad := s.visibleUser(c, "id")
	if bad != nil {
		return *bad
	}
	co, bad := s.pathCourse(c)
	if bad != nil {
		return *bad
	}
	status := http.StatusOK
	e := s.enrollmentOf(u.ID, co.id)
	if e == nil {
		status = http.StatusCreated
		e = &enrollment{id: newGUID(), userID: u.ID, courseID: co.id, dateAdded: c.now, dateEdited: c.now}
		s.st.enrollments[e.id] = e
	}
	if s.variants.Answers == answersString {
		return ok(status, e.id)
	}
	return ok(status, s.enrollmentDoc(e))
}

// unenroll is POST /enrollments/unenroll {"enrollmentIds": [...]}: it removes
// the enrollments of users in the admin's scope and answers 204. Unknown ids,
// and ids of users outside the scope, are ignored.
func (s *Server) unenroll(c *call) reply {
	var in struct {
		EnrollmentIDs []string `json:"enrollmentIds"`
	}
	if len(c.body) > 0 {
		if err := json.Unmarshal(c.body, &in); err != nil {
			return invalidRequest()
		}
	}
	if len(in.EnrollmentIDs) == 0 {
		return message(http.StatusBadRequest, "Request requires at least 1 enrollment ID.")
	}
	ids := make([]string, 0, len(in.EnrollmentIDs))
	for _, raw := range in.EnrollmentIDs {
		id, isGUID := parseGUID(raw)
		if !isGUID {
			return invalidFormat("enrollmentIds")
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		e := s.st.enrollments[id]
		if e == nil {
			continue
		}
		if s.st.userInScope(c.who.scope, e.userID) {
			delete(s.st.enrollments, id)
		}
	}
	return reply{status: http.StatusNoContent}
}
