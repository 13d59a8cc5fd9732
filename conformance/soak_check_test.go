package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// soakState is what Absorb and the bridge hold at the end of the soak.
type soakState struct {
	accounts    map[string][]map[string]any // by lower-case username, soak users only
	enrollments map[string]map[string]bool  // by Absorb user id: course ids
	scimUsers   map[string]map[string]any   // by SCIM id, soak users only
	scimGroups  map[string]map[string]any   // by SCIM id
}

// readSoakState reads every soak account from Absorb (as the auditor) and
// every user and group from the bridge (as the IdP). Reads are retried, so
// it works while the fake still throttles.
func readSoakState(t *testing.T, ab *absorb, idp *idpClient) soakState {
	t.Helper()
	st := soakState{
		accounts:    map[string][]map[string]any{},
		enrollments: map[string]map[string]bool{},
		scimUsers:   map[string]map[string]any{},
		scimGroups:  map[string]map[string]any{},
	}
	for page := 0; ; page++ {
		var resp struct {
			Users []map[string]any `json:"users"`
		}
		ab.get(t, "/users", url.Values{"_limit": {"1000"}, "_offset": {fmt.Sprint(page)}, "_filter": {"startswith(username, 'soak-')"}}, &resp)
		for _, a := range resp.Users {
			name := strings.ToLower(fmt.Sprint(a["username"]))
			st.accounts[name] = append(st.accounts[name], a)
			var en struct {
				Enrollments []map[string]any `json:"enrollments"`
			}
			id := fmt.Sprint(a["id"])
			ab.get(t, "/users/"+id+"/enrollments", url.Values{"_limit": {"1000"}}, &en)
			st.enrollments[id] = map[string]bool{}
			for _, e := range en.Enrollments {
				st.enrollments[id][fmt.Sprint(e["courseId"])] = true
			}
		}
		if len(resp.Users) < 1000 {
			break
		}
	}
	for _, res := range listAll(t, idp, "/Users") {
		if strings.HasPrefix(fmt.Sprint(res["userName"]), "soak-") {
			st.scimUsers[res["id"].(string)] = res
		}
	}
	for _, res := range listAll(t, idp, "/Groups") {
		st.scimGroups[res["id"].(string)] = res
	}
	return st
}

// soakCatalog resolves department and course names to Absorb ids.
type soakCatalog struct {
	departments map[string]string
	courses     map[string]string
}

func readSoakCatalog(t *testing.T, ab *absorb) soakCatalog {
	t.Helper()
	cat := soakCatalog{departments: map[string]string{}, courses: map[string]string{}}
	var d struct {
		Departments []map[string]any `json:"departments"`
	}
	ab.get(t, "/departments", url.Values{"_limit": {"1000"}}, &d)
	for _, x := range d.Departments {
		cat.departments[fmt.Sprint(x["name"])] = fmt.Sprint(x["id"])
	}
	var c struct {
		Courses []map[string]any `json:"courses"`
	}
	ab.get(t, "/courses", url.Values{"_limit": {"1000"}}, &c)
	for _, x := range c.Courses {
		cat.courses[fmt.Sprint(x["name"])] = fmt.Sprint(x["id"])
	}
	return cat
}

// mismatches compares the end state with what the operations imply and
// describes every difference.
func mismatches(users []*soakUser, groups []*soakGroup, st soakState, cat soakCatalog) (out []string) {
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	defer func() {
		// The history of each user with a mismatch, to tell what went wrong.
		shown := 0
		for _, u := range users {
			if shown == 5 {
				break
			}
			for _, o := range slices.Clone(out) {
				if strings.HasPrefix(o, u.userName+":") {
					out = append(out, u.userName+" history:\n    "+strings.Join(u.history, "\n    "))
					shown++
					break
				}
			}
		}
	}()
	expected := map[string]bool{}
	liveIDs := map[string]bool{}
	for _, u := range users {
		if !u.created {
			if n := len(st.accounts[u.userName]); n != 0 {
				bad("%s: never created, but Absorb has %d accounts", u.userName, n)
			}
			continue
		}
		expected[u.userName] = true
		accounts := st.accounts[u.userName]
		if len(accounts) != 1 {
			bad("%s: %d Absorb accounts, want 1", u.userName, len(accounts))
			continue
		}
		a := accounts[0]
		want := map[string]any{
			"firstName": u.given, "lastName": u.family, "jobTitle": u.title,
			"emailAddress": u.userName, "externalId": u.extID,
			"activeStatus": map[bool]float64{true: 0, false: 1}[u.live() && u.active],
		}
		if u.live() {
			want["departmentId"] = cat.departments[u.department()]
		}
		for field, w := range want {
			if a[field] != w {
				bad("%s: Absorb %s = %v, want %v", u.userName, field, a[field], w)
			}
		}
		have := st.enrollments[fmt.Sprint(a["id"])]
		for _, course := range []string{courseSales, courseEngineering, courseSecurity} {
			enrolled := have[cat.courses[course]]
			switch u.courses[course] {
			case courseYes:
				if !enrolled {
					bad("%s: not enrolled in %s", u.userName, course)
				}
			case courseNo:
				if enrolled {
					bad("%s: enrolled in %s, want not", u.userName, course)
				}
			}
		}
		if !u.live() {
			continue
		}
		liveIDs[u.id] = true
		res, ok := st.scimUsers[u.id]
		if !ok {
			bad("%s: SCIM user %s is missing", u.userName, u.id)
			continue
		}
		name, _ := res["name"].(map[string]any)
		ext, _ := res[enterpriseURN].(map[string]any)
		for field, pair := range map[string][2]any{
			"userName":   {res["userName"], u.userName},
			"active":     {res["active"], u.active},
			"givenName":  {name["givenName"], u.given},
			"familyName": {name["familyName"], u.family},
			"title":      {res["title"], u.title},
			"department": {ext["department"], u.dept},
		} {
			if pair[0] != pair[1] {
				bad("%s: SCIM %s = %v, want %v", u.userName, field, pair[0], pair[1])
			}
		}
	}
	for name, accounts := range st.accounts {
		if !expected[name] {
			bad("%s: %d Absorb accounts nobody created", name, len(accounts))
		}
	}
	for id, res := range st.scimUsers {
		if !liveIDs[id] {
			bad("SCIM user %s (%v) should not exist", id, res["userName"])
		}
		name := strings.ToLower(fmt.Sprint(res["userName"]))
		if len(st.accounts[name]) != 1 {
			bad("SCIM user %s (%s): %d Absorb accounts, want 1", id, name, len(st.accounts[name]))
		}
	}
	for _, g := range groups {
		res, ok := st.scimGroups[g.id]
		if !ok {
			bad("group %s is missing", g.name)
			continue
		}
		got := map[string]bool{}
		for _, m := range asList(res["members"]) {
			got[fmt.Sprint(m.(map[string]any)["value"])] = true
		}
		want := sortedKeys(g.members)
		if have := sortedKeys(got); !slices.Equal(have, want) {
			bad("group %s: members %v, want %v", g.name, have, want)
		}
		if res["displayName"] != g.name {
			bad("group %s: displayName %v", g.name, res["displayName"])
		}
	}
	return out
}

// pushSoakGroups creates the groups as an IdP would before provisioning
// users into them.
func pushSoakGroups(t *testing.T, idp *idpClient, groups []*soakGroup) {
	t.Helper()
	for _, g := range groups {
		r := idp.must(t, http.StatusCreated, http.MethodPost, "/Groups", map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": g.name, "externalId": "ext-" + strings.ReplaceAll(strings.ToLower(g.name), " ", "-"),
		})
		g.id = r.doc()["id"].(string)
	}
}
