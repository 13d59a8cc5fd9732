package fakeabsorb

import (
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestIndexedFiltersAnswerAsAScan checks that the lookups answered from the
// indexes (username, id and externalId eq, joined by or and narrowed by and)
// list exactly the users a reading of every account finds, after creates and
// after updates that move a user's username and externalId.
func TestIndexedFiltersAnswerAsAScan(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	ids := map[string]string{}
	for i, spec := range []struct{ username, externalID, dept string }{
		{"ext.one", "EMP-1", DeptSalesID},
		{"ext.two", "emp-1", DeptResearchID}, // the same externalId in another case
		{"ext.three", "emp-3", DeptSalesID},
		{"Mixed.Case", "", DeptSalesID},
		{"moved", "emp-old", DeptSalesID},
	} {
		u := newUser(spec.username, spec.dept)
		if spec.externalID != "" {
			u["externalId"] = spec.externalID
		}
		res := f.send("POST", "/users", tok, u).want(t, 201)
		id, _ := res.object(t)["id"].(string)
		if id == "" {
			t.Fatalf("create %d: no id in %s", i, res.body)
		}
		ids[spec.username] = id
	}
	moved := newUser("moved.again", DeptSalesID)
	moved["externalId"] = "emp-new"
	f.send("PUT", "/users/"+ids["moved"], tok, moved).want(t, 200)

	filters := []string{
		"username eq 'ext.one'",
		"username eq 'EXT.ONE'",
		"username eq 'mixed.case'",
		"username eq 'moved'",
		"username eq 'moved.again'",
		"username eq 'nobody'",
		"username eq ''",
		"'ext.two' eq username",
		"id eq guid'" + ids["ext.three"] + "'",
		"id eq guid'" + UserAliceID + "'",
		"id eq guid'00000000-0000-4000-8000-000000000000'",
		"externalId eq 'emp-1'",
		"externalId eq 'EMP-1'",
		"externalId eq 'emp-old'",
		"externalId eq 'emp-new'",
		"externalId eq ''",
		"(username eq 'ext.one') or (username eq 'ext.three') or (username eq 'ext.one')",
		"(username eq 'ext.one') or (id eq guid'" + ids["ext.two"] + "')",
		"(username eq 'ext.one' or username eq 'ext.two') and (dateEdited ge datetime'2000-01-01T00:00:00Z')",
		"firstName eq 'New' and externalId eq 'emp-1'",
		"username eq 'ext.one' and lastName eq 'Nobody'",
	}
	for _, filter := range filters {
		t.Run(filter, func(t *testing.T) {
			lq, bad := parseListQuery(query{"_filter": {filter}}, userFields)
			if bad != nil {
				t.Fatalf("parse: %+v", bad)
			}
			if _, narrowed := f.srv.st.candidateUsers(lq.filter); !narrowed {
				t.Errorf("no index narrows the filter")
			}
			for _, admin := range []string{BridgeAdminUsername, ScopedAdminUsername} {
				var want []string
				scope := f.srv.st.admins[f.srv.st.byUsername[usernameKey(admin)]].scope
				for _, u := range f.srv.st.users {
					if f.srv.st.inScope(scope, u.DepartmentID) && lq.filter.match(userRecord{u, f.srv.dateLayout()}) {
						want = append(want, u.ID)
					}
				}
				slices.Sort(want)
				res := f.send("GET", "/users?_limit=1000&_filter="+url.QueryEscape(filter), f.login(admin), nil).want(t, 200)
				got := column(res.items(t, "users"), "id")
				slices.Sort(got)
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s: ids (-scan +indexed):\n%s", admin, diff)
				}
				if total := res.object(t)["totalItems"]; total != float64(len(want)) {
					t.Errorf("%s: totalItems = %v, want %d", admin, total, len(want))
				}
			}
		})
	}

	t.Run("no index narrows", func(t *testing.T) {
		for _, filter := range []string{"firstName eq 'New'", "username ne 'ext.one'", "(username eq 'ext.one') or (firstName eq 'New')", "not (username eq 'ext.one')"} {
			lq, _ := parseListQuery(query{"_filter": {filter}}, userFields)
			if _, narrowed := f.srv.st.candidateUsers(lq.filter); narrowed {
				t.Errorf("%s: narrowed by an index", filter)
			}
		}
	})
}
