package conformance

import (
	"net/http"
	"testing"
	"time"
)

// TestMatchedAccountFollowsIdPDepartment: when an IdP creates a user whose
// account already exists in Absorb (its lookup before, GET filter userName
// eq, finds no SCIM user), the bridge adopts the account; the IdP then
// pushes its profile, department included. That
// department must win, as it does for users the bridge created: Absorb
// users must land in the department the IdP says (README "Mapping"), not
// stay where they were when adopted. Entra's re-hire of a deleted user
// takes the same path.
func TestMatchedAccountFollowsIdPDepartment(t *testing.T) {
	t.Parallel()
	fake := startFake(t, nil, "")
	srv := startServe(t, serveOptions{absorbURL: fake.url})
	srv.waitReady(t, 20*time.Second)
	idp := srv.idp()
	ab := fake.auditor(t)

	for _, tc := range []struct {
		name, userName string
		setup          func(t *testing.T)
	}{
		{name: "account made in Absorb before provisioning", userName: "alice@example.com", setup: func(*testing.T) {}},
		{name: "re-hire after a delete", userName: "rehire@example.com", setup: func(t *testing.T) {
			r := idp.must(t, http.StatusCreated, http.MethodPost, "/Users",
				userDoc("rehire@example.com", "Re", "Hire", map[string]any{enterpriseURN: map[string]any{"department": "Engineering"}}))
			if got := ab.usersNamed(t, "rehire@example.com")[0]["departmentId"]; got != ab.departmentID(t, "Engineering") {
				t.Fatalf("created in department %v, want Engineering", got)
			}
			idp.must(t, http.StatusNoContent, http.MethodDelete, "/Users/"+r.doc()["id"].(string), nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup(t)
			// A read never writes: the lookup finds no SCIM user, and the
			// IdP's create that follows links the account.
			r := idp.must(t, http.StatusOK, http.MethodGet, `/Users?filter=userName eq "`+tc.userName+`"`, nil)
			if r.doc()["totalResults"] != 0.0 {
				t.Fatalf("the lookup matched a user no create made: %s", r)
			}
			r = idp.must(t, http.StatusCreated, http.MethodPost, "/Users", userDoc(tc.userName, "Matched", "User", nil))
			id := r.doc()["id"].(string)
			if got := ab.usersNamed(t, tc.userName); len(got) != 1 {
				t.Fatalf("%d Absorb accounts named %s after the create, want 1", len(got), tc.userName)
			}
			idp.must(t, http.StatusOK, http.MethodPatch, "/Users/"+id, patchOp(
				map[string]any{"op": "Replace", "path": enterpriseURN + ":department", "value": "Support"},
				map[string]any{"op": "Replace", "path": "active", "value": "True"},
			))
			got := ab.usersNamed(t, tc.userName)[0]
			if want := ab.departmentID(t, "Support"); got["departmentId"] != want {
				t.Errorf("Absorb departmentId = %v, want %v (Support, as the IdP says)", got["departmentId"], want)
			}
			if got["activeStatus"] != 0.0 {
				t.Errorf("Absorb activeStatus = %v, want 0", got["activeStatus"])
			}
		})
	}
}
