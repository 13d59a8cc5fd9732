package fakeabsorb

import (
	"fmt"
	"net/http"
	"slices"
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
		"dateAdded":   timeOrNull(g.dateAdded, s.dateLayout()),
		"dateEdited":  timeOrNull(g.dateEdited, s.dateLayout()),
	}
}

// listGroups is GET /groups.
func (s *Server) listGroups(c *call) reply {
	lq, bad := s.parseList(c.query(), groupFields, sortableNamedFields)
	if bad != nil {
		return *bad
	}
	groups := make([]*group, 0, len(s.st.groups))
	for _, g := range s.st.groups {
		groups = append(groups, g)
	}
	return listed(lq, "groups", groups, func(g *group) (time.Time, string) { return g.dateAdded, g.id },
		func(g *group) record { return docRecord(s.groupDoc(g, c.who.scope)) })
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
	lq, bad := s.parseList(c.query(), courseFields, sortableNamedFields)
	if bad != nil {
		return *bad
	}
	courses := make([]*course, 0, len(s.st.courses))
	for _, co := range s.st.courses {
		courses = append(courses, co)
	}
	return listed(lq, "courses", courses, func(co *course) (time.Time, string) { return co.dateAdded, co.id }, func(co *course) record { return docRecord(co.doc(s.dateLayout())) })
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
	return ok(http.StatusOK, co.doc(s.dateLayout()))
}

// language is one of the portal's languages, as users' languageId names it.
type language struct {
	id   int
	name string
	code string
}

// languages are the portal's languages. That languageId 1 is English is
// what Absorb's notes say; the other ids, the names and the codes are the
// fake's own (README.md, "GET /languages").
var languages = []language{
	{1, "English", "en"},
	{2, "French", "fr"},
	{3, "Spanish", "es"},
	{4, "German", "de"},
	{5, "Portuguese (Brazil)", "pt-BR"},
	{7, "Dutch", "nl"},
	{9, "French (Canada)", "fr-CA"},
	{12, "Japanese", "ja"},
	{15, "Chinese (Simplified)", "zh-CN"},
}

var languageFields = newFieldSet(
	field{"id", kindNumber},
	field{"name", kindString},
	field{"code", kindString},
)

// listLanguages is GET /languages (envelope key "languages"), in id order.
func (s *Server) listLanguages(c *call) reply {
	lq, bad := s.parseList(c.query(), languageFields, sortableNamedFields)
	if bad != nil {
		return *bad
	}
	langs := slices.Clone(languages)
	return listed(lq, "languages", langs,
		func(l language) (time.Time, string) { return time.Time{}, fmt.Sprintf("%09d", l.id) },
		func(l language) record { return docRecord{"id": l.id, "name": l.name, "code": l.code} })
}
