package fakeabsorb

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEnrollments(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	path := "/users/" + UserCarolID + "/enrollments/" + CourseNewHireOnboardingID

	first := f.send("POST", path, tok, nil).want(t, 201).object(t)
	if first["userId"] != UserCarolID || first["courseId"] != CourseNewHireOnboardingID ||
		first["courseName"] != "New Hire Onboarding" || first["status"] != 0.0 || first["progress"] != 0.0 {
		t.Errorf("enrollment = %v", first)
	}
	again := f.send("POST", path, tok, nil).want(t, 200).object(t)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("second enroll differs (-first +second):\n%s", diff)
	}
	got := f.send("GET", path, tok, nil).want(t, 200).object(t)
	if got["id"] != first["id"] {
		t.Errorf("GET enrollment id = %v, want %v", got["id"], first["id"])
	}

	res := f.send("GET", "/users/"+UserCarolID+"/enrollments", tok, nil).want(t, 200)
	if diff := cmp.Diff([]string{first["id"].(string)}, column(res.items(t, "enrollments"), "id")); diff != "" {
		t.Errorf("enrollments (-want +got):\n%s", diff)
	}

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			path   string
			status int
			msg    string
		}{
			{"/users/x/enrollments/" + CourseNewHireOnboardingID, 422, "Invalid format provided for userId"},
			{"/users/" + UserCarolID + "/enrollments/x", 422, "Invalid format provided for courseId"},
			{"/users/b0000000-0000-4000-8000-0000000000ff/enrollments/" + CourseNewHireOnboardingID, 404, ""},
			{"/users/" + UserCarolID + "/enrollments/c0000000-0000-4000-8000-0000000000ff", 404, ""},
		}
		for _, tt := range tests {
			res := f.send("POST", tt.path, tok, nil).want(t, tt.status)
			if tt.msg != "" && res.message(t) != tt.msg {
				t.Errorf("%s: message = %q, want %q", tt.path, res.message(t), tt.msg)
			}
		}
	})

	t.Run("unenroll", func(t *testing.T) {
		for _, body := range []any{map[string]any{"enrollmentIds": []string{}}, map[string]any{}, nil} {
			res := f.send("POST", "/enrollments/unenroll", tok, body).want(t, 400)
			if got := res.message(t); got != "Request requires at least 1 enrollment ID." {
				t.Errorf("message = %q", got)
			}
		}
		f.send("POST", "/enrollments/unenroll", tok, map[string]any{"enrollmentIds": []string{"x"}}).want(t, 422)
		f.send("POST", "/enrollments/unenroll", tok, map[string]any{"enrollmentIds": []string{first["id"].(string), "f0000000-0000-4000-8000-0000000000ff"}}).want(t, 204)
		f.send("GET", path, tok, nil).want(t, 404)
		res := f.send("GET", "/users/"+UserCarolID+"/enrollments", tok, nil).want(t, 200)
		if n := len(res.items(t, "enrollments")); n != 0 {
			t.Errorf("enrollments after unenroll = %d, want 0", n)
		}
		// Enrolling again makes a new enrollment.
		again := f.send("POST", path, tok, nil).want(t, 201).object(t)
		if again["id"] == first["id"] {
			t.Error("re-enrollment reused the removed id")
		}
	})

	t.Run("scoped admin cannot unenroll outside its scope", func(t *testing.T) {
		scoped := f.login(ScopedAdminUsername)
		f.send("POST", "/enrollments/unenroll", scoped, map[string]any{"enrollmentIds": []string{EnrollmentAliceSecurityID}}).want(t, 204)
		f.send("GET", "/users/"+UserAliceID+"/enrollments/"+CourseSecurityAwarenessID, tok, nil).want(t, 200)
	})
}
