package fakeabsorb

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStats(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	f.login(AuditorUsername)
	f.send("POST", "/authenticate", "", map[string]string{"username": "x", "password": "y", "privateKey": PrivateKey}).want(t, 401)
	f.send("GET", "/users/"+UserAliceID, tok, nil).want(t, 200)
	f.send("GET", "/users/"+UserBobID, tok, nil).want(t, 200)
	f.send("GET", "/users/"+UserBobID, "", nil).want(t, 401)
	f.send("GET", "/users?_limit=1", tok, nil).want(t, 200)
	f.send("POST", "/users/upload/", tok, "[]").want(t, 400)
	f.send("POST", "/users/upload", tok, "[]").want(t, 400)
	f.send("POST", "/users/"+UserBobID+"/enrollments/"+CourseSecurityAwarenessID, tok, nil).want(t, 201)
	f.send("DELETE", "/users/"+UserBobID, tok, nil).want(t, 403)
	if err := f.srv.SetFaults("throttle=1"); err != nil {
		t.Fatal(err)
	}
	f.send("GET", "/courses", tok, nil).want(t, 429)

	want := Stats{
		Requests: map[string]int{
			"POST /authenticate":                      3,
			"GET /users/{id}":                         3,
			"GET /users":                              1,
			"POST /users/upload":                      2,
			"POST /users/{id}/enrollments/{courseId}": 1,
			"DELETE (unmatched)":                      1,
			"GET /courses":                            1,
		},
		Logins:    2,
		Throttled: 1,
		Faults:    FaultStats{Throttle: 1},
		Total:     12,
	}
	if diff := cmp.Diff(want, f.srv.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	var overHTTP Stats
	if err := json.Unmarshal(f.roundTrip(f.request("GET", "/_fake/stats", nil)).want(t, 200).body, &overHTTP); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, overHTTP); diff != "" {
		t.Errorf("GET /_fake/stats (-want +got):\n%s", diff)
	}
	var raw map[string]any
	_ = json.Unmarshal(f.roundTrip(f.request("GET", "/_fake/stats", nil)).body, &raw)
	for _, k := range []string{"requests", "logins", "throttled", "faults", "total"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("stats JSON lacks %q", k)
		}
	}

	f.roundTrip(f.request("POST", "/_fake/stats/reset", nil)).want(t, 204)
	if diff := cmp.Diff(Stats{Requests: map[string]int{}}, f.srv.Stats()); diff != "" {
		t.Errorf("after reset (-want +got):\n%s", diff)
	}
	f.srv.ResetStats()
	if got := f.srv.Stats().Total; got != 0 {
		t.Errorf("total after ResetStats = %d", got)
	}
}
