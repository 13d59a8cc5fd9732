package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// absorbURN is the bridge's Absorb extension of the User schema.
const absorbURN = "urn:absorb-scim:params:scim:schemas:extension:absorb:2.0:User"

// TestVariantTraps runs Entra's and Okta's traffic (users and groups, an
// adoption, a re-hire, group rules) against the fake Absorb playing each
// behaviour Absorb leaves open at its non-default value, alone and all at
// once. Each is a trap for a client written against the other value: a PUT
// that keeps what it omits (put=merge) keeps a removed phone, dates without
// a zone (dates=absorb) read as changed, an answer that is a bare id
// (answers=string) has no fields to read, a refused _sort (sort=limited) or
// an empty second page (filterpaging=broken) hides accounts. At the end,
// Absorb must hold exactly the right accounts, fields, departments and
// enrollments, and every account the bridge did not choose must be as it
// was.
func TestVariantTraps(t *testing.T) {
	t.Parallel()
	specs := []string{fakeabsorb.NonDefaultVariants().String()}
	for _, b := range fakeabsorb.Behaviours() {
		specs = append(specs, b.Name+"="+b.Values[1])
	}
	for _, spec := range specs {
		name := spec
		if spec == specs[0] {
			name = "all"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runVariantTraffic(t, spec)
		})
	}
}

func runVariantTraffic(t *testing.T, variants string) {
	fake := startFakeVariant(t, nil, "", variants)
	srv := startServe(t, serveOptions{absorbURL: fake.url, groupRules: true})
	srv.waitReady(t, 20*time.Second)
	idp := srv.idp()
	ab := fake.auditor(t)
	before := ab.allUsers(t)

	// Entra creates a user with a department, a phone, a hire date and a
	// language (French (Canada) is 9 among the fake's languages).
	ext := func(dept string, more map[string]any) map[string]any {
		m := map[string]any{enterpriseURN: map[string]any{"department": dept}}
		for k, v := range more {
			m[k] = v
		}
		return m
	}
	entra := idp.must(t, http.StatusCreated, http.MethodPost, "/Users", userDoc("erin.trap@example.com", "Erin", "Trap", ext("Engineering", map[string]any{
		"schemas":           []string{"urn:ietf:params:scim:schemas:core:2.0:User", enterpriseURN, absorbURN},
		"externalId":        "ent-trap-1",
		"title":             "Engineer",
		"preferredLanguage": "fr-CA",
		"phoneNumbers":      []any{map[string]any{"value": "+1 555 0199", "type": "work"}},
		absorbURN:           map[string]any{"dateHired": "2024-03-01"},
	}))).doc()
	erinID := entra["id"].(string)

	// Okta creates a user, then replaces its profile without the phone.
	oscar := func(title string, phone bool) map[string]any {
		d := userDoc("oscar.trap@example.com", "Oscar", "Trap", ext("Support", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User", enterpriseURN},
			"title":   title, "locale": "de-DE", "externalId": "00u-trap-2",
		}))
		if phone {
			d["phoneNumbers"] = []any{map[string]any{"value": "+1 555 0188", "type": "work", "primary": true}}
		}
		return d
	}
	oscarID := idp.must(t, http.StatusCreated, http.MethodPost, "/Users", oscar("Agent", true)).doc()["id"].(string)
	idp.must(t, http.StatusOK, http.MethodPut, "/Users/"+oscarID, oscar("Lead Agent", false))

	// The same hire date in another form is no change to send.
	fake.resetStats(t)
	idp.must(t, http.StatusOK, http.MethodPatch, "/Users/"+erinID, patchOp(
		map[string]any{"op": "replace", "path": absorbURN + ":dateHired", "value": "2024-03-01T00:00:00Z"},
	))
	if n := fake.stats(t).Requests["PUT /users/{id}"]; n != 0 {
		t.Errorf("an unchanged dateHired was sent to Absorb (%d PUTs)", n)
	}

	// An account made in Absorb is not a SCIM user until the IdP creates it:
	// Entra's lookup finds nothing, and its create adopts the account.
	r := idp.must(t, http.StatusOK, http.MethodGet, `/Users?filter=userName eq "carol@example.com"`, nil)
	if r.doc()["totalResults"] != 0.0 {
		t.Fatalf("a lookup adopted carol's account: %s", r)
	}
	carolID := idp.must(t, http.StatusCreated, http.MethodPost, "/Users",
		userDoc("carol@example.com", "Carol", "Chen", nil)).doc()["id"].(string)
	idp.must(t, http.StatusOK, http.MethodPatch, "/Users/"+carolID, patchOp(
		map[string]any{"op": "Replace", "path": enterpriseURN + ":department", "value": "Research"},
		map[string]any{"op": "Replace", "path": "title", "value": "Researcher"},
	))

	// A leaver is deleted and re-hired: one account, active again.
	rehire := userDoc("rita.trap@example.com", "Rita", "Trap", ext("Sales", nil))
	ritaID := idp.must(t, http.StatusCreated, http.MethodPost, "/Users", rehire).doc()["id"].(string)
	idp.must(t, http.StatusNoContent, http.MethodDelete, "/Users/"+ritaID, nil)
	ritaID = idp.must(t, http.StatusCreated, http.MethodPost, "/Users", rehire).doc()["id"].(string)

	// Groups drive the rules: Sales Team moves Oscar to Sales and enrolls
	// him; Security Training enrolls Erin and Rita, and unenrolls Erin when
	// she leaves it.
	group := func(name string, members ...string) string {
		var ms []any
		for _, m := range members {
			ms = append(ms, map[string]any{"value": m})
		}
		return idp.must(t, http.StatusCreated, http.MethodPost, "/Groups", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": name, "members": ms,
		}).doc()["id"].(string)
	}
	group("Sales Team", oscarID)
	security := group("Security Training", erinID, ritaID)
	ab.waitEnrolled(t, "erin.trap@example.com", "Security Awareness")
	idp.must(t, http.StatusNoContent, http.MethodPatch, "/Groups/"+security, patchOp(
		map[string]any{"op": "remove", "path": `members[value eq "` + erinID + `"]`},
	))

	want := map[string]struct {
		dept, title, phone string
		language           float64
		active             bool
		courses, not       []string
	}{
		"erin.trap@example.com":  {dept: "Engineering", title: "Engineer", phone: "+1 555 0199", language: 9, active: true, not: []string{"Security Awareness"}},
		"oscar.trap@example.com": {dept: "Sales", title: "Lead Agent", language: 4, active: true, courses: []string{"Sales Fundamentals"}},
		"carol@example.com":      {dept: "Research", title: "Researcher", active: true},
		"rita.trap@example.com":  {dept: "Sales", active: true, courses: []string{"Security Awareness"}},
	}
	for userName, w := range want {
		waitFor(t, 10*time.Second, userName+" as the IdP left it", func() bool {
			users := ab.usersNamed(t, userName)
			if len(users) != 1 {
				t.Logf("%d accounts named %s", len(users), userName)
				return false
			}
			u := users[0]
			problems := []string{}
			check := func(field string, got, want any) {
				if got == nil {
					got = ""
				}
				if !reflect.DeepEqual(got, want) {
					problems = append(problems, fmt.Sprintf("%s %v, want %v", field, got, want))
				}
			}
			check("departmentId", u["departmentId"], ab.departmentID(t, w.dept))
			check("jobTitle", u["jobTitle"], w.title)
			check("phone", u["phone"], w.phone)
			check("activeStatus", u["activeStatus"] == 0.0, w.active)
			if w.language != 0 {
				check("languageId", u["languageId"], w.language)
			}
			courses := ab.courseNames(t, fmt.Sprint(u["id"]))
			for _, c := range w.courses {
				if !slices.Contains(courses, c) {
					problems = append(problems, "not enrolled in "+c)
				}
			}
			for _, c := range w.not {
				if slices.Contains(courses, c) {
					problems = append(problems, "still enrolled in "+c)
				}
			}
			if len(problems) > 0 {
				t.Logf("%s: %v", userName, problems)
			}
			return len(problems) == 0
		})
	}
	erin := ab.usersNamed(t, "erin.trap@example.com")[0]
	if hired, err := absorbapi.ParseTime(fmt.Sprint(erin["dateHired"])); err != nil || !hired.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("erin's dateHired %v, want 2024-03-01", erin["dateHired"])
	}

	// Every account the bridge did not choose is as it was.
	after := ab.allUsers(t)
	for id, was := range before {
		if name := was["username"]; name == "carol@example.com" {
			continue
		}
		if now := after[id]; !reflect.DeepEqual(was, now) {
			t.Errorf("account %v was changed:\nbefore %v\nafter  %v", was["username"], was, now)
		}
	}
	if got, want := len(after), len(before)+3; got != want {
		t.Errorf("%d accounts in Absorb, want %d (the three the IdP created)", got, want)
	}
}

// allUsers reads every account of the portal, by id.
func (a *absorb) allUsers(t *testing.T) map[string]map[string]any {
	t.Helper()
	var page struct {
		Users []map[string]any `json:"users"`
	}
	a.get(t, "/users", url.Values{"_limit": {"1000"}}, &page)
	out := map[string]map[string]any{}
	for _, u := range page.Users {
		out[fmt.Sprint(u["id"])] = u
	}
	return out
}

// waitEnrolled waits until the group rules enrolled the user in course.
func (a *absorb) waitEnrolled(t *testing.T, userName, course string) {
	t.Helper()
	waitFor(t, 10*time.Second, userName+" enrolled in "+course, func() bool {
		users := a.usersNamed(t, userName)
		return len(users) == 1 && slices.Contains(a.courseNames(t, fmt.Sprint(users[0]["id"])), course)
	})
}
