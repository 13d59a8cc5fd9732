package fakeabsorb

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCreateAndGetUser(t *testing.T) {
	clk := newClock(time.Date(2025, 6, 2, 8, 30, 15, 500, time.UTC))
	f := setup(t, Options{Now: clk.Now})
	tok := f.login(BridgeAdminUsername)
	body := newUser("new.person", DeptResearchID)
	body["isActive"] = true          // unknown fields are ignored
	body["sendNewUserEmail"] = false // unknown fields are ignored
	body["customFields"] = map[string]any{"string2": "x", "decimal1": 1.5, "datetime1": "2025-01-02", "nonsense": 1}
	res := f.send("POST", "/users", tok, body).want(t, 201)
	var created struct{ ID, Username string }
	if err := json.Unmarshal(res.body, &created); err != nil {
		t.Fatal(err)
	}
	if len(res.object(t)) != 2 || created.Username != "new.person" {
		t.Fatalf("create answer = %s, want {id, username}", res.body)
	}
	if _, ok := parseGUID(created.ID); !ok || created.ID != strings.ToLower(created.ID) {
		t.Fatalf("id %q is not a lower-case GUID", created.ID)
	}

	got := f.send("GET", "/users/"+created.ID, tok, nil).want(t, 200).object(t)
	want := map[string]any{
		"id": created.ID, "username": "new.person", "departmentId": DeptResearchID,
		"firstName": "New", "lastName": "Person", "emailAddress": "new.person@example.org",
		"activeStatus": 0.0, "isLearner": true, "hasUsername": true, "isAdmin": false,
		"dateAdded": "2025-06-02T08:30:15Z", "dateEdited": "2025-06-02T08:30:15Z",
		"customFields": map[string]any{"string2": "x", "decimal1": 1.5, "datetime1": "2025-01-02T00:00:00Z"},
	}
	for k, v := range want {
		if diff := cmp.Diff(v, got[k]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
	for _, k := range []string{"middleName", "externalId", "phone", "supervisorId", "lastLoginDate", "dateHired"} {
		if v, present := got[k]; !present || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, present)
		}
	}
	if strings.Contains(strings.ToLower(string(f.send("GET", "/users/"+created.ID, tok, nil).body)), "password") {
		t.Error("GET /users/{id} returned a password")
	}
	// Absorb's legacy PascalCase field names are accepted too.
	f.send("POST", "/users", tok, map[string]any{
		"Username": "pascal", "Password": "Str0ng!pass", "DepartmentId": DeptSalesID, "FirstName": "P", "LastName": "C",
	}).want(t, 201)
}

func TestCreateUserValidation(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	with := func(changes map[string]any) map[string]any {
		b := newUser("valid.user", DeptSupportID)
		for k, v := range changes {
			if v == nil {
				delete(b, k)
				continue
			}
			b[k] = v
		}
		return b
	}
	tests := []struct {
		name string
		body map[string]any
		want []string
	}{
		{"empty body", map[string]any{}, []string{
			"The Username field is required.", "The Password field is required.", "The DepartmentId field is required.",
			"The FirstName field is required.", "The LastName field is required.",
		}},
		{"missing first name", with(map[string]any{"firstName": nil}), []string{"The FirstName field is required."}},
		{"blank last name", with(map[string]any{"lastName": "  "}), []string{"The LastName field is required."}},
		{"unknown department", with(map[string]any{"departmentId": "d0000000-0000-4000-8000-0000000000ff"}), []string{"Department 'd0000000-0000-4000-8000-0000000000ff' does not exist."}},
		{"malformed department", with(map[string]any{"departmentId": "sales"}), []string{msgModelInvalid, "The value 'sales' is not valid for DepartmentId."}},
		{"bad email", with(map[string]any{"emailAddress": "not-an-email"}), []string{"The EmailAddress field is not a valid e-mail address."}},
		{"bad activeStatus", with(map[string]any{"activeStatus": 2}), []string{"The field ActiveStatus must be 0 (Active) or 1 (Inactive)."}},
		{"bad gender", with(map[string]any{"gender": 3}), []string{"The field Gender must be between 0 and 2."}},
		{"too many cc", with(map[string]any{"ccEmailAddresses": []string{"a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io", "f@x.io"}}), []string{"The field CcEmailAddresses must be a list with a maximum length of 5."}},
		{"bad supervisor", with(map[string]any{"supervisorId": "b0000000-0000-4000-8000-0000000000ff"}), []string{"Supervisor 'b0000000-0000-4000-8000-0000000000ff' does not exist."}},
		{"bad date hired", with(map[string]any{"dateHired": "last week"}), []string{msgModelInvalid, "The value 'last week' is not valid for DateHired."}},
		{"bad custom field type", with(map[string]any{"customFields": map[string]any{"bool1": "yes"}}), []string{msgModelInvalid, "The value for CustomFields.bool1 is not valid."}},
		// What Absorb's model binding cannot read is refused before anything else is checked.
		{"malformed supervisor", with(map[string]any{"supervisorId": "alice", "firstName": nil}), []string{msgModelInvalid, "The value 'alice' is not valid for SupervisorId."}},
		{"malformed role", with(map[string]any{"roleIds": []string{"admin"}}), []string{msgModelInvalid, "The value 'admin' is not valid for RoleIds."}},
		{"gender of the wrong type", with(map[string]any{"gender": "female"}), []string{msgModelInvalid, "The value for Gender is not valid."}},
		{"bad custom date", with(map[string]any{"customFields": map[string]any{"datetime1": "soon"}}), []string{msgModelInvalid, "The value for CustomFields.datetime1 is not valid."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.send("POST", "/users", tok, tt.body).want(t, 422)
			m := res.object(t)
			if m["code"] != 422.0 || m["message"] != "Submitted resource cannot be processed due to semantic errors" {
				t.Errorf("envelope = %s", res.body)
			}
			if diff := cmp.Diff(tt.want, res.validations(t)); diff != "" {
				t.Errorf("validations (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		f.send("POST", "/users", tok, "{").want(t, 400)
	})
	t.Run("nothing was created", func(t *testing.T) {
		if got := len(f.srv.Users()); got != 7 {
			t.Errorf("users = %d, want the 7 seeded", got)
		}
	})
}

func TestPasswordPolicy(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	tests := []struct {
		password string
		ok       bool
	}{
		{"Str0ng!pass", true},
		{"Aa1!aaaa", true},
		{"Aa1 aaaa", true},
		{"Aa1!aaa", false},  // 7 characters
		{"aa1!aaaa", false}, // no upper case
		{"AA1!AAAA", false}, // no lower case
		{"Aaa!aaaa", false}, // no digit
		{"Aa1aaaaa", false}, // no symbol
		{"demo-password", false},
	}
	for i, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			b := newUser("pw"+string(rune('a'+i)), DeptSupportID)
			b["password"] = tt.password
			if tt.ok {
				f.send("POST", "/users", tok, b).want(t, 201)
				return
			}
			res := f.send("POST", "/users", tok, b).want(t, 422)
			if diff := cmp.Diff([]string{msgPasswordPolicy}, res.validations(t)); diff != "" {
				t.Errorf("validations (-want +got):\n%s", diff)
			}
			if strings.Contains(string(res.body), tt.password) {
				t.Error("the answer repeats the password")
			}
		})
	}
}

func TestUsernameUniqueness(t *testing.T) {
	f := setup(t, Options{})
	admin := f.login(BridgeAdminUsername)
	scoped := f.login(ScopedAdminUsername)
	tests := []struct {
		name     string
		token    string
		username string
		dept     string
		want     []string
	}{
		{"same case", admin, "alice@example.com", DeptEngineeringID, []string{"Username 'alice@example.com' is already in use."}},
		{"other case", admin, "Alice@Example.COM", DeptEngineeringID, []string{"Username 'Alice@Example.COM' is already in use."}},
		{"an admin's username", admin, "AUDITOR", DeptEngineeringID, []string{"Username 'AUDITOR' is already in use."}},
		// The scope trap: scoped-admin cannot see alice (Engineering) but her
		// username still collides.
		{"hidden from the scoped admin", scoped, "alice@example.com", DeptSalesID, []string{"Username 'alice@example.com' is already in use."}},
		{"scoped admin outside its subtree", scoped, "fresh.name", DeptEngineeringID, []string{"Department '" + DeptEngineeringID + "' is outside the departments this administrator manages."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.send("POST", "/users", tt.token, newUser(tt.username, tt.dept)).want(t, 422)
			if diff := cmp.Diff(tt.want, res.validations(t)); diff != "" {
				t.Errorf("validations (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("the trap is invisible to the scoped admin", func(t *testing.T) {
		res := f.send("GET", "/users?username=alice@example.com", scoped, nil).want(t, 200)
		if got := res.object(t)["totalItems"]; got != 0.0 {
			t.Errorf("totalItems = %v, want 0", got)
		}
	})
	t.Run("scoped admin creates in its subtree", func(t *testing.T) {
		f.send("POST", "/users", scoped, newUser("new.seller", DeptSalesID)).want(t, 201)
	})
}

func TestAdminScope(t *testing.T) {
	f := setup(t, Options{})
	scoped := f.login(ScopedAdminUsername)
	admin := f.login(BridgeAdminUsername)
	// A sub-department of Sales is part of the scope.
	res := f.send("POST", "/departments", admin, map[string]any{"name": "Sales EMEA", "parentId": DeptSalesID}).want(t, 201)
	emea, _ := res.object(t)["id"].(string)
	f.send("POST", "/users", admin, newUser("emea.seller", emea)).want(t, 201)

	res = f.send("GET", "/users", scoped, nil).want(t, 200)
	if diff := cmp.Diff([]string{ScopedAdminUsername, "bob@example.com", "emea.seller"}, column(res.items(t, "users"), "username")); diff != "" {
		t.Errorf("scoped list (-want +got):\n%s", diff)
	}
	f.send("GET", "/users/"+UserBobID, scoped, nil).want(t, 200)
	f.send("GET", "/users/"+UserAliceID, scoped, nil).want(t, 404)
	put := newUser("alice@example.com", DeptEngineeringID)
	delete(put, "password")
	f.send("PUT", "/users/"+UserAliceID, scoped, put).want(t, 404)
	f.send("GET", "/users/"+UserAliceID+"/enrollments", scoped, nil).want(t, 404)
	f.send("POST", "/users/"+UserAliceID+"/enrollments/"+CourseSecurityAwarenessID, scoped, nil).want(t, 404)

	// Moving bob out of the scope is refused.
	bob := newUser("bob@example.com", DeptEngineeringID)
	delete(bob, "password")
	res = f.send("PUT", "/users/"+UserBobID, scoped, bob).want(t, 422)
	if diff := cmp.Diff([]string{"Department '" + DeptEngineeringID + "' is outside the departments this administrator manages."}, res.validations(t)); diff != "" {
		t.Errorf("validations (-want +got):\n%s", diff)
	}

	res = f.send("GET", "/departments", scoped, nil).want(t, 200)
	if diff := cmp.Diff([]string{"Sales", "Sales EMEA"}, column(res.items(t, "departments"), "name")); diff != "" {
		t.Errorf("scoped departments (-want +got):\n%s", diff)
	}
	f.send("GET", "/departments/"+DeptEngineeringID, scoped, nil).want(t, 404)

	res = f.send("GET", "/groups/"+GroupOnboardingCohortID, scoped, nil).want(t, 200)
	if got := res.object(t)["userIds"]; !cmp.Equal(got, []any{UserBobID}) {
		t.Errorf("scoped group userIds = %v, want only bob", got)
	}
	res = f.send("GET", "/groups/"+GroupOnboardingCohortID, admin, nil).want(t, 200)
	if got := res.object(t)["userIds"]; !cmp.Equal(got, []any{UserAliceID, UserBobID, UserCarolID}) {
		t.Errorf("group userIds = %v", got)
	}
}

func TestGetUserErrors(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	res := f.send("GET", "/users/not-a-guid", tok, nil).want(t, 422)
	if got, want := res.message(t), "Invalid format provided for userId"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	res = f.send("GET", "/users/b0000000-0000-4000-8000-0000000000ff", tok, nil).want(t, 404)
	if got, want := string(res.body), `{"error":{"message":"The specified resource could not be found"}}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	// Upper-case GUIDs name the same user.
	f.send("GET", "/users/"+strings.ToUpper(UserAliceID), tok, nil).want(t, 200)
}

func TestReplaceUser(t *testing.T) {
	clk := newClock(time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC))
	f := setup(t, Options{Now: clk.Now})
	tok := f.login(BridgeAdminUsername)
	before := f.send("GET", "/users/"+UserAliceID, tok, nil).want(t, 200).object(t)
	if before["jobTitle"] != "Software Engineer" || before["externalId"] != "emp-1001" {
		t.Fatalf("seed changed: %v", before)
	}
	clk.Add(time.Hour)

	t.Run("full replace clears omitted fields", func(t *testing.T) {
		body := map[string]any{
			"username": "alice@example.com", "departmentId": DeptSupportID,
			"firstName": "Alicia", "lastName": "Anderson", "activeStatus": 1,
			"ignoredField": "x", "dateAdded": "1999-01-01T00:00:00Z", "isAdmin": true,
		}
		got := f.send("PUT", "/users/"+UserAliceID, tok, body).want(t, 200).object(t)
		for k, v := range map[string]any{
			"firstName": "Alicia", "departmentId": DeptSupportID, "activeStatus": 1.0,
			"jobTitle": nil, "externalId": nil, "emailAddress": nil, "phone": nil, "employeeNumber": nil,
			"customFields": map[string]any{}, "dateAdded": before["dateAdded"], "dateEdited": "2025-06-02T09:00:00Z",
			"isAdmin": false, "isLearner": true,
		} {
			if diff := cmp.Diff(v, got[k]); diff != "" {
				t.Errorf("%s (-want +got):\n%s", k, diff)
			}
		}
		again := f.send("GET", "/users/"+UserAliceID, tok, nil).want(t, 200).object(t)
		if diff := cmp.Diff(got, again); diff != "" {
			t.Errorf("GET after PUT differs (-put +get):\n%s", diff)
		}
	})
	t.Run("omitted activeStatus reactivates", func(t *testing.T) {
		body := map[string]any{"username": "alice@example.com", "departmentId": DeptSupportID, "firstName": "A", "lastName": "B"}
		got := f.send("PUT", "/users/"+UserAliceID, tok, body).want(t, 200).object(t)
		if got["activeStatus"] != 0.0 {
			t.Errorf("activeStatus = %v, want 0", got["activeStatus"])
		}
	})
	t.Run("username may change when unique", func(t *testing.T) {
		body := map[string]any{"username": "alice.a@example.com", "departmentId": DeptSupportID, "firstName": "A", "lastName": "B"}
		f.send("PUT", "/users/"+UserAliceID, tok, body).want(t, 200)
		body["username"] = "BOB@example.com"
		res := f.send("PUT", "/users/"+UserAliceID, tok, body).want(t, 422)
		if diff := cmp.Diff([]string{"Username 'BOB@example.com' is already in use."}, res.validations(t)); diff != "" {
			t.Errorf("validations (-want +got):\n%s", diff)
		}
		// Keeping one's own username in another case is fine.
		body["username"] = "ALICE.A@example.com"
		f.send("PUT", "/users/"+UserAliceID, tok, body).want(t, 200)
	})
	t.Run("required fields", func(t *testing.T) {
		res := f.send("PUT", "/users/"+UserAliceID, tok, map[string]any{"username": "x"}).want(t, 422)
		want := []string{"The DepartmentId field is required.", "The FirstName field is required.", "The LastName field is required."}
		if diff := cmp.Diff(want, res.validations(t)); diff != "" {
			t.Errorf("validations (-want +got):\n%s", diff)
		}
	})
	t.Run("password optional but checked", func(t *testing.T) {
		body := map[string]any{"username": "alice@example.com", "departmentId": DeptSupportID, "firstName": "A", "lastName": "B", "password": "weak"}
		res := f.send("PUT", "/users/"+UserAliceID, tok, body).want(t, 422)
		if diff := cmp.Diff([]string{msgPasswordPolicy}, res.validations(t)); diff != "" {
			t.Errorf("validations (-want +got):\n%s", diff)
		}
	})
	t.Run("unknown id", func(t *testing.T) {
		res := f.send("PUT", "/users/b0000000-0000-4000-8000-0000000000ff", tok, newUser("x", DeptSalesID)).want(t, 404)
		if got := string(res.body); got != `{"error":{"message":"The specified resource could not be found"}}` {
			t.Errorf("body = %s", got)
		}
	})
	t.Run("bad date in the body", func(t *testing.T) {
		body := map[string]any{"username": "alice@example.com", "departmentId": DeptSupportID, "firstName": "A", "lastName": "B", "dateHired": "31/12/2024"}
		res := f.send("PUT", "/users/"+UserAliceID, tok, body).want(t, 422)
		if diff := cmp.Diff([]string{msgModelInvalid, "The value '31/12/2024' is not valid for DateHired."}, res.validations(t)); diff != "" {
			t.Errorf("validations (-want +got):\n%s", diff)
		}
	})
	t.Run("malformed id", func(t *testing.T) {
		res := f.send("PUT", "/users/123", tok, newUser("x", DeptSalesID)).want(t, 422)
		if got, want := res.message(t), "Invalid format provided for userId"; got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
	})
}

func TestAdminPasswordChangeAndDeactivation(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	body := map[string]any{"username": AuditorUsername, "departmentId": DeptCompanyID, "firstName": "A", "lastName": "R", "password": "N3w!password"}
	f.send("PUT", "/users/"+UserAuditorID, tok, body).want(t, 200)
	login := func(pw string) int {
		return f.send("POST", "/authenticate", "", map[string]string{"username": AuditorUsername, "password": pw, "privateKey": PrivateKey}).status
	}
	if got := login(AdminPassword); got != 401 {
		t.Errorf("old password: status %d, want 401", got)
	}
	if got := login("N3w!password"); got != 200 {
		t.Errorf("new password: status %d, want 200", got)
	}
	body["activeStatus"] = 1
	delete(body, "password")
	f.send("PUT", "/users/"+UserAuditorID, tok, body).want(t, 200)
	if got := login("N3w!password"); got != 401 {
		t.Errorf("inactive admin: status %d, want 401", got)
	}
}
