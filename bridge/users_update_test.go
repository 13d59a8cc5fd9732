package bridge_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/google/go-cmp/cmp"
)

// assertCalls checks the upstream calls since the last reset: exactly want
// (routes not named must not have been called).
func assertCalls(t *testing.T, w *world, want map[string]int) {
	t.Helper()
	got := w.calls()
	for k, v := range got {
		if v == 0 {
			delete(got, k)
		}
	}
	if want == nil {
		want = map[string]int{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("upstream calls (-want +got):\n%s", diff)
	}
}

var onePUT = map[string]int{"PUT /users/{id}": 1}

func TestUpdateUserSendsOnePUTAndNoGET(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *world, id string, cur scimdoc.Resource) (scimdoc.Resource, error)
		check func(t *testing.T, u fakeabsorb.User)
	}{
		{"replace", func(w *world, id string, cur scimdoc.Resource) (scimdoc.Resource, error) {
			doc := scimdoc.DeepCopy(cur.Doc)
			doc["title"] = "Director"
			return w.b.ReplaceUser(context.Background(), id, w.norm(doc), scimdoc.Precondition{})
		}, func(t *testing.T, u fakeabsorb.User) {
			if u.JobTitle != "Director" {
				t.Errorf("jobTitle %q, want Director", u.JobTitle)
			}
		}},
		{"patch with a path", func(w *world, id string, _ scimdoc.Resource) (scimdoc.Resource, error) {
			return w.patch(id, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "name.familyName", Value: "Smith"})
		}, func(t *testing.T, u fakeabsorb.User) {
			if u.LastName != "Smith" {
				t.Errorf("lastName %q, want Smith", u.LastName)
			}
		}},
		{"patch without a path (Entra)", func(w *world, id string, _ scimdoc.Resource) (scimdoc.Resource, error) {
			return w.patch(id, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Value: map[string]any{"title": "Lead", "name.givenName": "Janet"}})
		}, func(t *testing.T, u fakeabsorb.User) {
			if u.JobTitle != "Lead" || u.FirstName != "Janet" {
				t.Errorf("jobTitle %q firstName %q, want Lead Janet", u.JobTitle, u.FirstName)
			}
		}},
		{"work email by filter (Entra)", func(w *world, id string, _ scimdoc.Resource) (scimdoc.Resource, error) {
			return w.patch(id, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: `emails[type eq "work"].value`, Value: "jane.doe@example.com"})
		}, func(t *testing.T, u fakeabsorb.User) {
			if u.EmailAddress != "jane.doe@example.com" {
				t.Errorf("emailAddress %q, want jane.doe@example.com", u.EmailAddress)
			}
		}},
		{"deactivate (Okta)", func(w *world, id string, _ scimdoc.Resource) (scimdoc.Resource, error) {
			return w.patch(id, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Value: map[string]any{"active": false}})
		}, func(t *testing.T, u fakeabsorb.User) {
			if u.ActiveStatus != 1 {
				t.Errorf("activeStatus %d, want 1", u.ActiveStatus)
			}
		}},
		{"enterprise employeeNumber", func(w *world, id string, _ scimdoc.Resource) (scimdoc.Resource, error) {
			return w.patch(id, scimdoc.Precondition{}, scimdoc.Operation{Op: "add", Path: mapping.EnterpriseURN + ":employeeNumber", Value: "E-1"})
		}, func(t *testing.T, u fakeabsorb.User) {
			if u.EmployeeNumber != "E-1" {
				t.Errorf("employeeNumber %q, want E-1", u.EmployeeNumber)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			doc := userDoc("jane@example.com", "Jane", "Doe")
			doc["title"] = "Engineer"
			doc["phoneNumbers"] = []any{map[string]any{"value": "+1 555 0100", "type": "work"}}
			doc["externalId"] = "ext-jane"
			created := w.create(doc)
			absorbID := w.absorbIDOf(created.ID)
			w.resetCalls()

			res, err := tt.write(w, created.ID, created)
			if err != nil {
				t.Fatal(err)
			}
			assertCalls(t, w, onePUT)
			if res.Version != created.Version+1 {
				t.Errorf("version %d, want %d", res.Version, created.Version+1)
			}
			u := w.absorbUser(absorbID)
			tt.check(t, u)
			// Fields the write did not touch survive the full PUT.
			if u.Phone != "+1 555 0100" || u.ExternalID != "ext-jane" || u.DepartmentID != fakeabsorb.DeptCompanyID || u.EmailAddress == "" {
				t.Errorf("untouched fields changed: phone %q externalId %q email %q department %s", u.Phone, u.ExternalID, u.EmailAddress, u.DepartmentID)
			}
			if got := w.get(created.ID); got.Version != res.Version {
				t.Errorf("stored version %d, want %d", got.Version, res.Version)
			}
		})
	}
}

func TestUpdateUserThatChangesNothingInAbsorbCostsNoCall(t *testing.T) {
	w := newWorld(t)
	created := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	w.resetCalls()

	t.Run("replace with the same document", func(t *testing.T) {
		res, err := w.b.ReplaceUser(context.Background(), created.ID, w.norm(scimdoc.DeepCopy(created.Doc)), scimdoc.Precondition{})
		if err != nil {
			t.Fatal(err)
		}
		assertCalls(t, w, nil)
		if str(res.Doc, "userName") != "jane@example.com" {
			t.Errorf("userName %q", str(res.Doc, "userName"))
		}
	})
	t.Run("patch an attribute Absorb has no field for", func(t *testing.T) {
		res, err := w.patch(created.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "add", Path: "nickName", Value: "JJ"})
		if err != nil {
			t.Fatal(err)
		}
		assertCalls(t, w, nil)
		if str(res.Doc, "nickName") != "JJ" || str(w.get(created.ID).Doc, "nickName") != "JJ" {
			t.Errorf("nickName not kept: %v", res.Doc["nickName"])
		}
	})
	t.Run("replace with the same document after a sync", func(t *testing.T) {
		w.sync()
		w.resetCalls()
		cur := w.get(created.ID)
		if _, err := w.b.ReplaceUser(context.Background(), created.ID, w.norm(scimdoc.DeepCopy(cur.Doc)), scimdoc.Precondition{}); err != nil {
			t.Fatal(err)
		}
		assertCalls(t, w, nil)
	})
	t.Run("patch that sets the value it has", func(t *testing.T) {
		if _, err := w.patch(created.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "name.givenName", Value: "Jane"}); err != nil {
			t.Fatal(err)
		}
		assertCalls(t, w, nil)
	})
}

func TestUpdateAdoptedUserKeepsAbsorbFields(t *testing.T) {
	// Alice exists in Absorb with fields the IdP never sends (phone, employee
	// number, a custom field, her department). Adopted by a create, then
	// patched, she keeps them all: the PUT is built from the local copy.
	w := newWorld(t)
	adopted := w.create(userDoc("alice@example.com", "Alice", "Anderson"))
	if got := w.absorbIDOf(adopted.ID); got != fakeabsorb.UserAliceID {
		t.Fatalf("alice's create linked %s, want her account", got)
	}
	before := w.absorbUser(fakeabsorb.UserAliceID)
	w.resetCalls()
	if _, err := w.patch(adopted.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "title", Value: "Principal"}); err != nil {
		t.Fatal(err)
	}
	assertCalls(t, w, onePUT)
	after := w.absorbUser(fakeabsorb.UserAliceID)
	if after.JobTitle != "Principal" {
		t.Errorf("jobTitle %q, want Principal", after.JobTitle)
	}
	before.JobTitle, before.DateEdited = after.JobTitle, after.DateEdited
	if diff := cmp.Diff(before, after, cmp.AllowUnexported(fakeabsorb.User{})); diff != "" {
		t.Errorf("other fields changed (-before +after):\n%s", diff)
	}
}

func TestUpdateUserDepartment(t *testing.T) {
	w := newWorld(t)
	created := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	absorbID := w.absorbIDOf(created.ID)

	if _, err := w.patch(created.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "add", Path: mapping.EnterpriseURN + ":department", Value: "Sales"}); err != nil {
		t.Fatal(err)
	}
	if got := w.absorbUser(absorbID).DepartmentID; got != fakeabsorb.DeptSalesID {
		t.Fatalf("department %s, want Sales %s", got, fakeabsorb.DeptSalesID)
	}
	// The department is resolved once; later writes reuse it.
	w.resetCalls()
	if _, err := w.patch(created.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "title", Value: "Rep"}); err != nil {
		t.Fatal(err)
	}
	assertCalls(t, w, onePUT)
	if got := w.absorbUser(absorbID).DepartmentID; got != fakeabsorb.DeptSalesID {
		t.Errorf("department %s after an unrelated write, want Sales", got)
	}
	// By external id, and back to the default when removed.
	if _, err := w.patch(created.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: mapping.EnterpriseURN + ":department", Value: "dept-support"}); err != nil {
		t.Fatal(err)
	}
	if got := w.absorbUser(absorbID).DepartmentID; got != fakeabsorb.DeptSupportID {
		t.Errorf("department %s, want Support by external id", got)
	}
	if _, err := w.patch(created.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "remove", Path: mapping.EnterpriseURN + ":department"}); err != nil {
		t.Fatal(err)
	}
	got := w.absorbUser(absorbID).DepartmentID
	if got != fakeabsorb.DeptSupportID && got != fakeabsorb.DeptCompanyID {
		t.Errorf("department %s after removing the attribute", got)
	}
}

func TestUpdateUserRename(t *testing.T) {
	w := newWorld(t)
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	joe := w.create(userDoc("joe@example.com", "Joe", "Doe"))
	w.sync()

	t.Run("to a free userName", func(t *testing.T) {
		res, err := w.patch(jane.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "userName", Value: "janet@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if str(res.Doc, "userName") != "janet@example.com" {
			t.Errorf("userName %q", str(res.Doc, "userName"))
		}
		if got := w.absorbUser(w.absorbIDOf(jane.ID)).Username; got != "janet@example.com" {
			t.Errorf("Absorb username %q", got)
		}
		if p := w.list(`userName eq "jane@example.com"`); len(p.Resources) != 0 {
			t.Errorf("old userName still finds %v", userNames(p))
		}
		if p := w.list(`userName eq "janet@example.com"`); len(p.Resources) != 1 {
			t.Errorf("new userName finds %v", userNames(p))
		}
	})
	t.Run("case only", func(t *testing.T) {
		if _, err := w.patch(joe.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "userName", Value: "Joe@Example.com"}); err != nil {
			t.Fatal(err)
		}
	})
	tests := []struct {
		name, to string
	}{
		{"to a provisioned userName", "janet@example.com"},
		{"to a provisioned userName in another case", "JANET@example.com"},
		{"to an Absorb account no SCIM user holds", "bob@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.get(joe.ID)
			w.resetCalls()
			_, err := w.patch(joe.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "userName", Value: tt.to})
			se := scimError(t, err, http.StatusConflict)
			if se.ScimType != scimdoc.TypeUniqueness {
				t.Errorf("scimType %q, want uniqueness", se.ScimType)
			}
			after := w.get(joe.ID)
			if after.Version != before.Version || str(after.Doc, "userName") != str(before.Doc, "userName") {
				t.Errorf("the refused rename was stored: %v v%d", after.Doc["userName"], after.Version)
			}
		})
	}
	if got := w.absorbUser(fakeabsorb.UserBobID).Username; got != "bob@example.com" {
		t.Errorf("bob's username became %q", got)
	}
}

func TestUpdateUserPreconditions(t *testing.T) {
	w := newWorld(t)
	created := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	first, err := w.patch(created.ID, scimdoc.Precondition{IfMatch: created.ETag()}, scimdoc.Operation{Op: "replace", Path: "title", Value: "A"})
	if err != nil {
		t.Fatalf("If-Match with the current version: %v", err)
	}
	tests := []struct {
		name  string
		pre   scimdoc.Precondition
		write string // "patch", "replace" or "delete"
	}{
		{"patch", scimdoc.Precondition{IfMatch: created.ETag()}, "patch"},
		{"replace", scimdoc.Precondition{IfMatch: created.ETag()}, "replace"},
		{"delete", scimdoc.Precondition{IfMatch: `W/"99"`}, "delete"},
	}
	for _, tt := range tests {
		t.Run("stale "+tt.name, func(t *testing.T) {
			w.resetCalls()
			var err error
			switch tt.write {
			case "patch":
				_, err = w.patch(created.ID, tt.pre, scimdoc.Operation{Op: "replace", Path: "title", Value: "B"})
			case "replace":
				doc := scimdoc.DeepCopy(created.Doc)
				doc["title"] = "C"
				_, err = w.b.ReplaceUser(context.Background(), created.ID, w.norm(doc), tt.pre)
			case "delete":
				err = w.b.DeleteUser(context.Background(), created.ID, tt.pre)
			}
			scimError(t, err, http.StatusPreconditionFailed)
			assertCalls(t, w, nil)
			if got := w.get(created.ID); got.Version != first.Version || str(got.Doc, "title") != "A" {
				t.Errorf("stale write applied: title %q version %d", str(got.Doc, "title"), got.Version)
			}
		})
	}
	t.Run("star", func(t *testing.T) {
		if _, err := w.patch(created.ID, scimdoc.Precondition{IfMatch: "*"}, scimdoc.Operation{Op: "replace", Path: "title", Value: "D"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUpdateUserNotFound(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	_, err := w.b.ReplaceUser(ctx, "no-such-id", w.norm(userDoc("x@example.com", "X", "Y")), scimdoc.Precondition{})
	scimError(t, err, http.StatusNotFound)
	_, err = w.patch("no-such-id", scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "title", Value: "x"})
	scimError(t, err, http.StatusNotFound)
	scimError(t, w.b.DeleteUser(ctx, "no-such-id", scimdoc.Precondition{}), http.StatusNotFound)
	_, err = w.b.GetUser(ctx, "no-such-id")
	scimError(t, err, http.StatusNotFound)
}

func TestUpdateUserRefusesEmptyUserName(t *testing.T) {
	w := newWorld(t)
	created := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	doc := scimdoc.DeepCopy(created.Doc)
	doc["userName"] = " "
	_, err := w.b.ReplaceUser(context.Background(), created.ID, doc, scimdoc.Precondition{})
	scimError(t, err, http.StatusBadRequest)
}

func TestConcurrentPatchesLoseNothing(t *testing.T) {
	w := newWorld(t)
	created := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	absorbID := w.absorbIDOf(created.ID)
	w.resetCalls()
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := fmt.Sprintf("%s:customFields.string%d", mapping.AbsorbURN, i)
			_, err := w.patch(created.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "add", Path: path, Value: fmt.Sprint("v", i)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := w.get(created.ID)
	if got.Version != created.Version+n {
		t.Errorf("version %d, want %d", got.Version, created.Version+n)
	}
	ext, _ := got.Doc[mapping.AbsorbURN].(map[string]any)
	custom, _ := ext["customFields"].(map[string]any)
	u := w.absorbUser(absorbID)
	for i := 1; i <= n; i++ {
		key, want := fmt.Sprint("string", i), fmt.Sprint("v", i)
		if custom[key] != want {
			t.Errorf("SCIM %s = %v, want %s", key, custom[key], want)
		}
		if u.CustomFields[key] != want {
			t.Errorf("Absorb %s = %v, want %s", key, u.CustomFields[key], want)
		}
	}
	assertCalls(t, w, map[string]int{"PUT /users/{id}": n})
	if t.Failed() {
		t.Logf("document: %v", strings.ReplaceAll(fmt.Sprint(got.Doc), " ", "\n"))
	}
}
