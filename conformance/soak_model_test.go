package conformance

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// This file is the soak's workload and the model of what it implies: each
// client plays one IdP connection (Entra or Okta) provisioning its own
// users, so every user's history is sequential and its expected end state
// exact, while the clients share the rule groups and so write to them
// concurrently.

// Courses the soak's group rules enroll (see serveOptions.groupRules).
const (
	courseSales       = "Sales Fundamentals"
	courseEngineering = "Engineering Onboarding"
	courseSecurity    = "Security Awareness"
)

// soakGroup is a SCIM group and what its rule does.
type soakGroup struct {
	name     string
	id       string
	rank     int    // declared order of its department rule; -1 for none
	dept     string // department its rule gives, "" for none
	course   string // course its rule enrolls, "" for none
	unenroll bool   // its rule unenrolls on leave
	members  map[string]bool
}

// soakWorld holds the groups, which several clients change.
type soakWorld struct {
	mu     sync.Mutex
	groups []*soakGroup
}

// courseState is what a user's enrollment in a course must be at the end.
type courseState int

const (
	courseNo    courseState = iota // never enrolled, or unenrolled for sure
	courseYes                      // enrolled
	courseMaybe                    // depends on timing the IdP cannot see
)

// attrDepartments maps the department attribute values the soak sends to
// the department the bridge must choose; an unknown name falls back to the
// default department (mapping.unknownDepartment: default).
var attrDepartments = map[string]string{
	"Support": "Support", "Research": "Research", "Company": "Company", "Atlantis": "Company",
}

// soakUser is one username and everything done to it.
type soakUser struct {
	userName string
	extID    string // externalId: the employee id, new on a re-hire
	id       string // current SCIM id; "" when not provisioned
	created  bool   // an Absorb account exists
	active   bool
	given    string
	family   string
	title    string
	dept     string // the enterprise department attribute
	groups   map[*soakGroup]bool
	courses  map[string]courseState
	enrolled map[string]bool // courses it may ever have been enrolled in
	history  []string        // what was done to it, for failure messages
}

// did records an operation in the user's history.
func (u *soakUser) did(format string, args ...any) {
	u.history = append(u.history, time.Now().Format("15:04:05.000")+" "+fmt.Sprintf(format, args...))
}

func (u *soakUser) live() bool { return u.id != "" }

// department is the department the bridge must give a live user: the rule
// of the first declared rule matching one of its groups, else its own
// attribute.
func (u *soakUser) department() string {
	best := -1
	dept := ""
	for g := range u.groups {
		if g.rank >= 0 && (best < 0 || g.rank < best) {
			best, dept = g.rank, g.dept
		}
	}
	if dept != "" {
		return dept
	}
	return attrDepartments[u.dept]
}

func (u *soakUser) joined(g *soakGroup) {
	u.did("joined %s", g.name)
	u.groups[g] = true
	if g.course != "" {
		u.courses[g.course] = courseYes
		u.enrolled[g.course] = true
	}
}

func (u *soakUser) left(g *soakGroup) {
	u.did("left %s", g.name)
	delete(u.groups, g)
	if g.course == "" {
		return
	}
	for other := range u.groups {
		if other.course == g.course {
			return
		}
	}
	if g.unenroll {
		u.courses[g.course] = courseNo
	} else {
		// Enrolled only if the rules ran between the join and the leave.
		u.courses[g.course] = courseMaybe
	}
}

// deleted: the SCIM user is gone, its groups with it; work the rules had
// not done yet for it is dropped, so its enrollments are what they were.
func (u *soakUser) deleted(w *soakWorld) {
	u.did("deleted %s", u.id)
	w.mu.Lock()
	for g := range u.groups {
		delete(g.members, u.id)
	}
	w.mu.Unlock()
	u.groups = map[*soakGroup]bool{}
	for c := range u.enrolled {
		u.courses[c] = courseMaybe
	}
	u.id = ""
	u.active = false
}

// soakClient is one IdP connection.
type soakClient struct {
	n       int
	okta    bool // Okta's request shapes, else Entra's
	idp     *soakIdP
	world   *soakWorld
	users   []*soakUser
	private *soakGroup // a group only this client pushes
	rnd     *rand.Rand
}

func (c *soakClient) style() string {
	if c.okta {
		return "okta"
	}
	return "entra"
}

var (
	givenNames  = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken"}
	familyNames = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson"}
	titles      = []string{"Engineer", "Manager", "Analyst", "Designer", "Director"}
)

func (c *soakClient) pick(list []string) string { return list[c.rnd.IntN(len(list))] }

func (c *soakClient) pickDept() string {
	return c.pick([]string{"Support", "Research", "Company", "Atlantis"})
}

// userBody is the whole user as both IdPs send it on create (and Okta on
// every profile push).
func (u *soakUser) userBody(active bool) map[string]any {
	return map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:User", enterpriseURN},
		"userName":    u.userName,
		"externalId":  u.extID,
		"name":        map[string]any{"givenName": u.given, "familyName": u.family},
		"displayName": u.given + " " + u.family,
		"emails":      []any{map[string]any{"value": u.userName, "type": "work", "primary": true}},
		"title":       u.title,
		"active":      active,
		enterpriseURN: map[string]any{"department": u.dept},
	}
}

// step does one random operation; it returns an error for an answer the
// IdP would not accept.
func (c *soakClient) step() error {
	var live, absent []*soakUser
	for _, u := range c.users {
		if u.live() {
			live = append(live, u)
		} else {
			absent = append(absent, u)
		}
	}
	if len(live) == 0 || (len(absent) > 0 && c.rnd.IntN(100) < 20) {
		return c.provision(absent[c.rnd.IntN(len(absent))])
	}
	u := live[c.rnd.IntN(len(live))]
	switch r := c.rnd.IntN(100); {
	case r < 30:
		return c.update(u)
	case r < 45:
		return c.setActive(u, !u.active)
	case r < 52 && !c.okta: // Okta never deletes; it deactivates
		return c.remove(u)
	case r < 85:
		return c.membership(c.world.groups[c.rnd.IntN(sharedGroups)], u)
	default:
		return c.pushPrivate(live)
	}
}

// provision creates a user, or re-hires one deleted before, as both IdPs
// do: look the userName up first, create only when nothing matches.
func (c *soakClient) provision(u *soakUser) error {
	u.given, u.family, u.title, u.dept = c.pick(givenNames), c.pick(familyNames), c.pick(titles), c.pickDept()
	kind := "create"
	lookup := `userName eq "` + u.userName + `"`
	if u.created {
		kind = "re-hire"
		if !c.okta && c.rnd.IntN(2) == 0 {
			// An Entra app matching on externalId, and a re-hire with a new
			// employee id: the lookup finds nothing, so Entra creates, and
			// the bridge must reuse (and reactivate) the old account.
			u.extID = fmt.Sprintf("ext-%s-%d", u.userName, c.rnd.IntN(1e6))
			lookup = `externalId eq "` + u.extID + `"`
			kind = "re-hire (new employee id)"
		}
	}
	id, err := c.idp.lookup(lookup, c.okta)
	if err != nil {
		return err
	}
	if id != "" {
		// The lookup matched (and adopted) the Absorb account: the IdP
		// links it and pushes its profile.
		u.id = id
		c.idp.counters.op(kind + " (matched)")
		u.created = true
		u.did("%s: matched %s by %s, profile %s/%s/%s/%s", kind, id, lookup, u.given, u.family, u.title, u.dept)
		return c.pushProfile(u, true)
	}
	out, err := c.idp.expect(http.MethodPost, "/Users", u.userBody(true), http.StatusCreated, http.StatusConflict)
	if err != nil {
		return err
	}
	if out.status == http.StatusConflict {
		if !out.lostAnswer {
			return fmt.Errorf("%w: create %s: %s", errUnexpected, u.userName, shorten(out.String()))
		}
		// An earlier attempt did create it; the IdP's next match finds it.
		c.idp.counters.mu.Lock()
		c.idp.counters.ambiguous++
		c.idp.counters.mu.Unlock()
		if id, err = c.idp.lookup(`userName eq "`+u.userName+`"`, c.okta); err != nil {
			return err
		}
		if id == "" {
			return fmt.Errorf("%w: create %s: 409, and the lookup finds nothing", errUnexpected, u.userName)
		}
		u.id = id
		u.created, u.active = true, true
		c.idp.counters.op(kind)
		u.did("%s: 409 after a lost answer, matched %s", kind, id)
		return c.pushProfile(u, true)
	}
	u.id, _ = out.doc()["id"].(string)
	if u.id == "" || out.doc()["userName"] != u.userName {
		return fmt.Errorf("%w: create %s answered %s", errUnexpected, u.userName, shorten(out.String()))
	}
	u.created, u.active = true, true
	c.idp.counters.op(kind)
	u.did("%s: created %s, profile %s/%s/%s/%s", kind, u.id, u.given, u.family, u.title, u.dept)
	return nil
}

// pushProfile sends the user's whole profile: Okta with PUT, Entra with
// PATCH Replace operations, one per attribute.
func (c *soakClient) pushProfile(u *soakUser, active bool) error {
	if c.okta {
		if _, err := c.idp.expect(http.MethodPut, "/Users/"+u.id, u.userBody(active), http.StatusOK); err != nil {
			return err
		}
	} else {
		ops := []map[string]any{
			{"op": "Replace", "path": "name.givenName", "value": u.given},
			{"op": "Replace", "path": "name.familyName", "value": u.family},
			{"op": "Replace", "path": "title", "value": u.title},
			{"op": "Replace", "path": enterpriseURN + ":department", "value": u.dept},
			{"op": "Replace", "path": "active", "value": map[bool]string{true: "True", false: "False"}[active]},
		}
		if _, err := c.idp.expect(http.MethodPatch, "/Users/"+u.id, patchOp(ops...), http.StatusOK, http.StatusNoContent); err != nil {
			return err
		}
	}
	u.active = active
	return nil
}

// update changes some profile attributes.
func (c *soakClient) update(u *soakUser) error {
	next := *u
	next.title = c.pick(titles)
	if c.rnd.IntN(2) == 0 {
		next.family = c.pick(familyNames)
	}
	if c.rnd.IntN(3) == 0 {
		next.dept = c.pickDept()
	}
	if c.okta {
		if _, err := c.idp.expect(http.MethodPut, "/Users/"+u.id, next.userBody(u.active), http.StatusOK); err != nil {
			return err
		}
	} else {
		// Entra's default shape: one Replace per changed attribute.
		ops := []map[string]any{{"op": "Replace", "path": "title", "value": next.title}}
		if next.family != u.family {
			ops = append(ops, map[string]any{"op": "Replace", "path": "name.familyName", "value": next.family})
		}
		if next.dept != u.dept {
			ops = append(ops, map[string]any{"op": "Replace", "path": enterpriseURN + ":department", "value": next.dept})
		}
		if _, err := c.idp.expect(http.MethodPatch, "/Users/"+u.id, patchOp(ops...), http.StatusOK, http.StatusNoContent); err != nil {
			return err
		}
	}
	u.title, u.family, u.dept = next.title, next.family, next.dept
	c.idp.counters.op("update")
	u.did("updated: %s/%s/%s", u.family, u.title, u.dept)
	return nil
}

// setActive deactivates or reactivates: Entra's string boolean with a
// path, Okta's no-path value.
func (c *soakClient) setActive(u *soakUser, active bool) error {
	op := map[string]any{"op": "Replace", "path": "active", "value": map[bool]string{true: "True", false: "False"}[active]}
	if c.okta {
		op = map[string]any{"op": "replace", "value": map[string]any{"active": active}}
	}
	if _, err := c.idp.expect(http.MethodPatch, "/Users/"+u.id, patchOp(op), http.StatusOK, http.StatusNoContent); err != nil {
		return err
	}
	u.active = active
	c.idp.counters.op(map[bool]string{true: "reactivate", false: "deactivate"}[active])
	u.did("active=%v", active)
	return nil
}

// remove is Entra's hard delete.
func (c *soakClient) remove(u *soakUser) error {
	out, err := c.idp.expect(http.MethodDelete, "/Users/"+u.id, nil, http.StatusNoContent, http.StatusNotFound)
	if err != nil {
		return err
	}
	if out.status == http.StatusNotFound && !out.lostAnswer {
		return fmt.Errorf("%w: delete %s: 404", errUnexpected, u.userName)
	}
	u.deleted(c.world)
	c.idp.counters.op("delete")
	return nil
}

// membership adds u to g, or removes it when it is a member.
func (c *soakClient) membership(g *soakGroup, u *soakUser) error {
	leave := u.groups[g]
	var op map[string]any
	switch {
	case c.okta && !leave:
		op = map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u.id, "display": u.userName}}}
	case c.okta:
		op = map[string]any{"op": "remove", "path": `members[value eq "` + u.id + `"]`}
	case !leave:
		op = map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"$ref": nil, "value": u.id}}}
	default:
		op = map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": u.id}}}
	}
	if _, err := c.idp.expect(http.MethodPatch, "/Groups/"+g.id, patchOp(op), http.StatusNoContent, http.StatusOK); err != nil {
		return err
	}
	c.world.mu.Lock()
	if leave {
		delete(g.members, u.id)
	} else {
		g.members[u.id] = true
	}
	c.world.mu.Unlock()
	if leave {
		u.left(g)
		c.idp.counters.op("group leave")
	} else {
		u.joined(g)
		c.idp.counters.op("group join")
	}
	return nil
}

// pushPrivate pushes the client's own group with a new set of members:
// Okta's full push (PUT), or Entra's Add and Remove operations in one PATCH.
func (c *soakClient) pushPrivate(live []*soakUser) error {
	g := c.private
	want := map[*soakUser]bool{}
	for _, u := range live {
		if c.rnd.IntN(3) == 0 {
			want[u] = true
		}
	}
	var adds, removes []*soakUser
	for _, u := range live {
		switch {
		case want[u] && !u.groups[g]:
			adds = append(adds, u)
		case !want[u] && u.groups[g]:
			removes = append(removes, u)
		}
	}
	if c.okta {
		members := []any{}
		for _, u := range live {
			if want[u] {
				members = append(members, map[string]any{"value": u.id, "display": u.userName})
			}
		}
		body := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": g.name, "members": members}
		if _, err := c.idp.expect(http.MethodPut, "/Groups/"+g.id, body, http.StatusOK); err != nil {
			return err
		}
	} else {
		if len(adds)+len(removes) == 0 {
			return nil
		}
		var ops []map[string]any
		if len(adds) > 0 {
			var v []any
			for _, u := range adds {
				v = append(v, map[string]any{"$ref": nil, "value": u.id})
			}
			ops = append(ops, map[string]any{"op": "Add", "path": "members", "value": v})
		}
		if len(removes) > 0 {
			var v []any
			for _, u := range removes {
				v = append(v, map[string]any{"value": u.id})
			}
			ops = append(ops, map[string]any{"op": "Remove", "path": "members", "value": v})
		}
		if _, err := c.idp.expect(http.MethodPatch, "/Groups/"+g.id, patchOp(ops...), http.StatusNoContent, http.StatusOK); err != nil {
			return err
		}
	}
	c.world.mu.Lock()
	for _, u := range adds {
		g.members[u.id] = true
	}
	for _, u := range removes {
		delete(g.members, u.id)
	}
	c.world.mu.Unlock()
	for _, u := range adds {
		u.joined(g)
	}
	for _, u := range removes {
		u.left(g)
	}
	c.idp.counters.op("group push")
	return nil
}

// sharedGroups is how many of soakGroups every client changes; the others
// belong to one client each.
const sharedGroups = 4

// soakGroups are the groups the IdPs push before the run: three that rules
// act on and one that no rule matches, shared by all clients, then one per
// client matching the engineering rule.
func soakGroups(clients int) []*soakGroup {
	gs := []*soakGroup{
		{name: "Sales Team", rank: 0, dept: "Sales", course: courseSales},
		{name: "Engineering Platform", rank: 1, dept: "Engineering", course: courseEngineering},
		{name: "Security Training", rank: -1, course: courseSecurity, unenroll: true},
		{name: "Book Club", rank: -1},
	}
	for i := range clients {
		gs = append(gs, &soakGroup{name: fmt.Sprintf("Engineering Team %d", i), rank: 1, dept: "Engineering", course: courseEngineering})
	}
	for _, g := range gs {
		g.members = map[string]bool{}
	}
	return gs
}

// sortedKeys lists a set's members in order, for messages.
func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
