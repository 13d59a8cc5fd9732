package fakeabsorb

import (
	"net/http"
	"time"
)

// groupDoc is a group's wire form; userIds lists only the members in the
// admin's scope.
func (s *Server) groupDoc(g *group, scope string) map[string]any {
	ids := []string{}
	for _, id := range g.userIDs {
		if s.st.userInScope(scope, id) {
			ids = append(ids, id)
		}
	}
	return map[string]any{
		"id":          g.id,
		"name":        g.name,
		"isAutomatic": g.isAutomatic,
		"userIds":     ids,
		"dateAdded":   timeOrNull(g.dateAdded),
		"dateEdited":  timeOrNull(g.dateEdited),
	}
}

// listGroups is GET /groups.
func (s *Server) listGroups(c *call) reply {
	lq, bad := parseListQuery(c.query(), groupFields)
	if bad != nil {
		return *bad
	}
	groups := make([]*group, 0, len(s.st.groups))
	for _, g := range s.st.groups {
		groups = append(groups, g)
	}
	return listed(lq, "groups", groups, func(g *group) (time.Time, string) { return g.dateAdded, g.id },
		func(g *group) map[string]any { return s.groupDoc(g, c.who.scope) })
}

// getGroup is GET /groups/{id}.
func (s *Server) getGroup(c *call) reply {
	id, isGUID := parseGUID(c.r.PathValue("id"))
	if !isGUID {
		return invalidFormat("groupId")
	}
	g := s.st.groups[id]
	if g == nil {
		return notFound()
	}
	return ok(http.StatusOK, s.groupDoc(g, c.who.scope))
}

// listCourses is GET /courses.
func (s *Server) listCourses(c *call) reply {
	lq, bad := parseListQuery(c.query(), courseFields)
	if bad != nil {
		return *bad
	}
	courses := make([]*course, 0, len(s.st.courses))
	for _, co := range s.st.courses {
		courses = append(courses, co)
	}
	return listed(lq, "courses", courses, func(co *course) (time.Time, string) { return co.dateAdded, co.id }, (*course).doc)
}

// getCourse is GET /courses/{id}.
func (s *Server) getCourse(c *call) reply {
	id, isGUID := parseGUID(c.r.PathValue("id"))
	if !isGUID {
		return invalidFormat("courseId")
	}
	co := s.st.courses[id]
	if co == nil {
		return notFound()
	}
	return ok(http.StatusOK, co.doc())
}
