package fakeabsorb

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUpload(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	bobByID := map[string]any{"id": UserBobID, "username": "bob@example.com", "departmentId": DeptSalesID, "firstName": "Robert", "lastName": "Brown"}
	carolByName := map[string]any{"username": "CAROL@example.com", "departmentId": DeptSupportID, "firstName": "Carol", "lastName": "Chen", "activeStatus": 1}
	created := newUser("uploaded.one", DeptResearchID)
	noPassword := map[string]any{"username": "no.password", "departmentId": DeptResearchID, "firstName": "N", "lastName": "P"}
	unknownID := map[string]any{"id": "b0000000-0000-4000-8000-0000000000ff", "username": "ghost", "departmentId": DeptSalesID, "firstName": "G", "lastName": "H"}

	res := f.send("POST", "/users/upload", tok, []any{bobByID, carolByName, created, noPassword, unknownID, 42}).want(t, 200)
	var got []map[string]string
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatalf("answer is not [{key,value}]: %s", res.body)
	}
	if len(got) != 3 {
		t.Fatalf("answer = %s, want 3 successes", res.body)
	}
	if diff := cmp.Diff(map[string]string{"key": UserBobID, "value": "bob@example.com"}, got[0]); diff != "" {
		t.Errorf("by id (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"key": UserCarolID, "value": "CAROL@example.com"}, got[1]); diff != "" {
		t.Errorf("by username (-want +got):\n%s", diff)
	}
	if got[2]["value"] != "uploaded.one" {
		t.Errorf("created = %v", got[2])
	}
	if _, isGUID := parseGUID(got[2]["key"]); !isGUID {
		t.Errorf("created key %q is not a GUID", got[2]["key"])
	}

	bob := f.send("GET", "/users/"+UserBobID, tok, nil).want(t, 200).object(t)
	if bob["firstName"] != "Robert" || bob["externalId"] != nil {
		t.Errorf("bob not fully replaced: firstName %v, externalId %v", bob["firstName"], bob["externalId"])
	}
	carol := f.send("GET", "/users/"+UserCarolID, tok, nil).want(t, 200).object(t)
	if carol["activeStatus"] != 1.0 {
		t.Errorf("carol activeStatus = %v, want 1", carol["activeStatus"])
	}
	if n := len(f.srv.Users()); n != 8 {
		t.Errorf("users = %d, want 8 (one created, failures absent)", n)
	}
}

func TestUploadTrailingSlashAndKey(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	tests := []struct {
		name   string
		path   string
		status int
		msg    string
	}{
		{"trailing slash", "/users/upload/", 200, ""},
		{"integer key", "/users/upload?key=0", 200, ""},
		{"key any case", "/users/upload?Key=1", 200, ""},
		{"empty key", "/users/upload?key=", 422, "Invalid format provided for key"},
		{"word key", "/users/upload?key=username", 422, "Invalid format provided for key"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.send("POST", tt.path, tok, []any{newUser(fmt.Sprintf("u%d", i), DeptSalesID)}).want(t, tt.status)
			if tt.msg != "" {
				if got := res.message(t); got != tt.msg {
					t.Errorf("message = %q, want %q", got, tt.msg)
				}
			}
		})
	}
}

func TestUploadLimitsAndEmpty(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	batch := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = newUser(fmt.Sprintf("batch%03d", i), DeptResearchID)
		}
		return out
	}
	const empty = `{"Message":"Request requires at least 1 User. Please adjust your UPSERT call."}`
	for _, tt := range []struct {
		name string
		body any
	}{{"null", "null"}, {"empty array", "[]"}, {"no body", nil}} {
		t.Run(tt.name, func(t *testing.T) {
			res := f.send("POST", "/users/upload", tok, tt.body).want(t, 400)
			if string(res.body) != empty {
				t.Errorf("body = %s, want %s", res.body, empty)
			}
		})
	}
	t.Run("object instead of array", func(t *testing.T) {
		f.send("POST", "/users/upload", tok, map[string]any{"users": batch(1)}).want(t, 400)
	})
	t.Run("201 users", func(t *testing.T) {
		res := f.send("POST", "/users/upload", tok, batch(201)).want(t, 422)
		if diff := cmp.Diff([]string{"Request may contain at most 200 Users."}, res.validations(t)); diff != "" {
			t.Errorf("validations (-want +got):\n%s", diff)
		}
		if n := len(f.srv.Users()); n != 7 {
			t.Errorf("users = %d, want 7: a refused batch writes nothing", n)
		}
	})
	t.Run("200 users", func(t *testing.T) {
		res := f.send("POST", "/users/upload", tok, batch(200)).want(t, 200)
		var got []map[string]string
		if err := json.Unmarshal(res.body, &got); err != nil || len(got) != 200 {
			t.Fatalf("answer has %d entries (%v), want 200", len(got), err)
		}
	})
}

func TestUploadScopeTrap(t *testing.T) {
	f := setup(t, Options{})
	scoped := f.login(ScopedAdminUsername)
	// alice exists outside the scope: matching her by username fails; bob (in
	// scope) is updated; an id outside the scope fails.
	alice := newUser("alice@example.com", DeptSalesID)
	bob := newUser("bob@example.com", DeptSalesID)
	byID := newUser("carol@example.com", DeptSalesID)
	byID["id"] = UserCarolID
	res := f.send("POST", "/users/upload", scoped, []any{alice, bob, byID}).want(t, 200)
	want := `[{"key":"` + UserBobID + `","value":"bob@example.com"}]`
	if string(res.body) != want {
		t.Errorf("answer = %s, want %s", res.body, want)
	}
	for _, u := range f.srv.Users() {
		if u.ID == UserAliceID && u.DepartmentID != DeptEngineeringID {
			t.Errorf("alice moved to %s", u.DepartmentID)
		}
	}
}

func TestUploadVariants(t *testing.T) {
	moveBob := func(t *testing.T, spec string) (answer string, dept string, created bool) {
		t.Helper()
		f, tok := variant(t, spec)
		bob := f.send("GET", "/users/"+UserBobID, tok, nil).want(t, 200).object(t)
		bob["departmentId"] = DeptResearchID
		res := f.send("POST", "/users/upload", tok, []any{bob, newUser("brand.new", DeptSalesID)}).want(t, 200)
		after := f.send("GET", "/users/"+UserBobID, tok, nil).want(t, 200).object(t)
		for _, u := range f.srv.Users() {
			created = created || u.Username == "brand.new"
		}
		dept, _ = after["departmentId"].(string)
		return string(res.body), dept, created
	}
	t.Run("update", func(t *testing.T) {
		answer, dept, created := moveBob(t, "upload=update")
		if dept != DeptResearchID {
			t.Errorf("bob's department = %s, want Research: the upload updates the account it names", dept)
		}
		if !created || !strings.Contains(answer, UserBobID) {
			t.Errorf("answer %s, created %v: want bob answered and the new user created", answer, created)
		}
	})
	t.Run("keep", func(t *testing.T) {
		answer, dept, created := moveBob(t, "upload=keep")
		if dept != DeptSalesID {
			t.Errorf("bob's department = %s, want Sales still: upload=keep leaves existing accounts", dept)
		}
		if !strings.Contains(answer, UserBobID) {
			t.Errorf("answer %s does not list bob: upload=keep answers the account it left as taken", answer)
		}
		if !created {
			t.Error("upload=keep did not create the new user")
		}
	})
}

func TestAddUsers(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	added := f.srv.AddUsers(User{Username: "seeded@example.com", FirstName: "Seed", LastName: "Ed", DepartmentID: DeptResearchID, IsLearner: true})
	if len(added) != 1 || added[0].ID == "" || added[0].DateAdded.IsZero() {
		t.Fatalf("AddUsers = %+v, want one user with an id and dates", added)
	}
	got := f.send("GET", "/users/"+added[0].ID, tok, nil).want(t, 200).object(t)
	if got["username"] != "seeded@example.com" || got["departmentId"] != DeptResearchID {
		t.Errorf("GET the added user = %v", got)
	}
}
