package absorbapi

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/google/go-cmp/cmp"
)

// fakeAbsorb is a fake Absorb behind a real HTTP listener.
type fakeAbsorb struct {
	srv *fakeabsorb.Server
	url string
}

// startFake starts a fake Absorb. Unless opts says otherwise, its rate limit
// is off so that tests about other things are not throttled.
func startFake(t *testing.T, opts fakeabsorb.Options) *fakeAbsorb {
	t.Helper()
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	if opts.RandSeed == 0 {
		opts.RandSeed = 42
	}
	srv, err := fakeabsorb.New(opts)
	if err != nil {
		t.Fatalf("fakeabsorb.New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &fakeAbsorb{srv: srv, url: ts.URL}
}

// client returns a Client logged in as admin (bridge-admin when ""), with
// fast backoff; mod adjusts the config.
func (f *fakeAbsorb) client(t *testing.T, admin string, mod func(*Config)) *Client {
	t.Helper()
	if admin == "" {
		admin = fakeabsorb.BridgeAdminUsername
	}
	cfg := Config{
		BaseURL:    f.url,
		PrivateKey: fakeabsorb.PrivateKey,
		Username:   admin,
		Password:   fakeabsorb.AdminPassword,
		MinBackoff: time.Millisecond,
		MaxBackoff: 20 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// usersNamed counts the portal's users with that username, whatever any
// admin's scope.
func (f *fakeAbsorb) usersNamed(username string) int {
	n := 0
	for _, u := range f.srv.Users() {
		if strings.EqualFold(u.Username, username) {
			n++
		}
	}
	return n
}

// newLearner returns a valid new user for the fake (strong password).
func newLearner(username, deptID string) User {
	return User{
		Username:     username,
		Password:     "Welcome#2025",
		FirstName:    "Test",
		LastName:     "Learner",
		EmailAddress: username + "@example.com",
		DepartmentID: deptID,
		IsLearner:    true,
		HasUsername:  true,
	}
}

// manualClock is a settable clock shared by the fake and the client.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestFakeUsers(t *testing.T) {
	f := startFake(t, fakeabsorb.Options{})
	c := f.client(t, "", nil)
	ctx := context.Background()

	t.Run("get", func(t *testing.T) {
		u, err := c.GetUser(ctx, fakeabsorb.UserAliceID)
		if err != nil {
			t.Fatalf("GetUser: %v", err)
		}
		if u.Username != "alice@example.com" || u.DepartmentID != fakeabsorb.DeptEngineeringID || !u.Active() {
			t.Errorf("GetUser = %+v", u)
		}
		dave, err := c.GetUser(ctx, fakeabsorb.UserDaveID)
		if err != nil || dave.Active() {
			t.Errorf("GetUser(dave) = %+v, %v; want inactive", dave, err)
		}
	})
	t.Run("get unknown is not found", func(t *testing.T) {
		_, err := c.GetUser(ctx, "b0000000-0000-4000-8000-00000000ffff")
		if !IsNotFound(err) {
			t.Errorf("GetUser error = %v, want not found", err)
		}
	})
	t.Run("update unknown is not found", func(t *testing.T) {
		u := newLearner("ghost", fakeabsorb.DeptSalesID)
		u.ID = "b0000000-0000-4000-8000-00000000ffff"
		_, err := c.UpdateUser(ctx, u)
		if !IsNotFound(err) {
			t.Errorf("UpdateUser error = %v, want not found (404)", err)
		}
	})
	t.Run("list pages", func(t *testing.T) {
		p, err := c.ListUsers(ctx, ListUsersOptions{Sort: "username", Limit: 2, Page: 1})
		if err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		var got []string
		for _, u := range p.Users {
			got = append(got, u.Username)
		}
		// Sorted: alice, auditor, bob, bridge-admin, carol, dave, scoped-admin.
		if diff := cmp.Diff([]string{"bob@example.com", "bridge-admin"}, got); diff != "" {
			t.Errorf("page 1 mismatch (-want +got):\n%s", diff)
		}
		if p.TotalItems != 7 || p.ReturnedItems != 2 || p.Limit != 2 || p.Offset != 1 {
			t.Errorf("envelope = %+v", p)
		}
	})
	t.Run("list with bad limit", func(t *testing.T) {
		if _, err := c.ListUsers(ctx, ListUsersOptions{Limit: 5000}); !IsValidation(err) {
			t.Errorf("ListUsers error = %v, want validation", err)
		}
	})
	t.Run("bad filter", func(t *testing.T) {
		if _, err := c.ListUsers(ctx, ListUsersOptions{Filter: "username eq"}); !IsValidation(err) {
			t.Errorf("ListUsers error = %v, want validation", err)
		}
	})
	t.Run("find by username any case", func(t *testing.T) {
		u, err := c.FindUserByUsername(ctx, "ALICE@Example.com")
		if err != nil || u.ID != fakeabsorb.UserAliceID {
			t.Errorf("FindUserByUsername = %+v, %v", u, err)
		}
		if _, err := c.FindUserByUsername(ctx, "nobody"); !IsNotFound(err) {
			t.Errorf("FindUserByUsername(nobody) error = %v, want not found", err)
		}
	})
	t.Run("find by external id", func(t *testing.T) {
		u, err := c.FindUserByExternalID(ctx, "emp-1003")
		if err != nil || u.ID != fakeabsorb.UserCarolID {
			t.Errorf("FindUserByExternalID = %+v, %v", u, err)
		}
	})
	t.Run("create, update, deactivate", func(t *testing.T) {
		created, err := c.CreateUser(ctx, newLearner("o'neil", fakeabsorb.DeptSupportID))
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if created.ID == "" || created.Password != "" {
			t.Fatalf("CreateUser = %+v", created)
		}
		got, err := c.FindUserByUsername(ctx, "o'neil")
		if err != nil || got.ID != created.ID {
			t.Fatalf("FindUserByUsername after create = %+v, %v", got, err)
		}
		got.JobTitle = "Lead"
		updated, err := c.UpdateUser(ctx, *got)
		if err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		if updated.JobTitle != "Lead" || updated.EmailAddress != "o'neil@example.com" {
			t.Errorf("UpdateUser = %+v", updated)
		}
		if err := c.SetActive(ctx, created.ID, false); err != nil {
			t.Fatalf("SetActive: %v", err)
		}
		after, err := c.GetUser(ctx, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Active() || after.JobTitle != "Lead" || after.EmailAddress != "o'neil@example.com" {
			t.Errorf("after SetActive(false) = %+v; want inactive with fields kept", after)
		}
	})
	t.Run("create refused", func(t *testing.T) {
		u := newLearner("weak", fakeabsorb.DeptSupportID)
		u.Password = "Xq9zzz"
		_, err := c.CreateUser(ctx, u)
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Messages) != 1 || !strings.Contains(ve.Messages[0], "password policy") {
			t.Fatalf("CreateUser error = %v, want the password policy message", err)
		}
		if strings.Contains(err.Error(), "Xq9zzz") {
			t.Errorf("error %q repeats the password", err)
		}
	})
}

func TestFakeAuthErrors(t *testing.T) {
	f := startFake(t, fakeabsorb.Options{})
	tests := []struct {
		name  string
		mod   func(*Config)
		check func(error) bool
	}{
		{"wrong password", func(c *Config) { c.Password = "not-the-password" }, IsUnauthorized},
		{"wrong key", func(c *Config) { c.PrivateKey = "not-the-key" }, IsForbidden},
		{"not an admin", func(c *Config) { c.Username = "alice@example.com"; c.Password = "Learner#2024" }, IsUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.client(t, "", tt.mod)
			err := c.Login(context.Background())
			if !tt.check(err) {
				t.Fatalf("Login error = %v, not the expected kind", err)
			}
			for _, s := range []string{"not-the-password", "not-the-key", "Learner#2024"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains a secret", err)
				}
			}
			if _, err := c.GetUser(context.Background(), fakeabsorb.UserAliceID); !tt.check(err) {
				t.Errorf("GetUser error = %v, not the expected kind", err)
			}
		})
	}
}

func TestFakeDepartmentsGroupsCourses(t *testing.T) {
	f := startFake(t, fakeabsorb.Options{})
	c := f.client(t, "", nil)
	ctx := context.Background()

	deps, err := c.ListDepartments(ctx, ListDepartmentsOptions{})
	if err != nil || len(deps) != 5 {
		t.Fatalf("ListDepartments = %d departments, %v; want 5", len(deps), err)
	}
	d, err := c.FindDepartmentByName(ctx, "sales")
	if err != nil || d.ID != fakeabsorb.DeptSalesID {
		t.Errorf("FindDepartmentByName = %+v, %v", d, err)
	}
	if _, err := c.FindDepartmentByName(ctx, "Marketing"); !IsNotFound(err) {
		t.Errorf("FindDepartmentByName(Marketing) error = %v, want not found", err)
	}
	d, err = c.FindDepartmentByExternalID(ctx, "dept-eng")
	if err != nil || d.ID != fakeabsorb.DeptEngineeringID {
		t.Errorf("FindDepartmentByExternalID = %+v, %v", d, err)
	}
	if d, err := c.GetDepartment(ctx, fakeabsorb.DeptSupportID); err != nil || d.Name != "Support" {
		t.Errorf("GetDepartment = %+v, %v", d, err)
	}
	created, err := c.CreateDepartment(ctx, Department{Name: "Marketing", ParentID: fakeabsorb.DeptCompanyID, ExternalID: "dept-mkt"})
	if err != nil || created.ID == "" || created.Name != "Marketing" {
		t.Fatalf("CreateDepartment = %+v, %v", created, err)
	}
	if d, err := c.FindDepartmentByName(ctx, "Marketing"); err != nil || d.ID != created.ID {
		t.Errorf("FindDepartmentByName(Marketing) after create = %+v, %v", d, err)
	}
	if _, err := c.CreateDepartment(ctx, Department{Name: "Orphan", ParentID: "d0000000-0000-4000-8000-00000000ffff"}); !IsValidation(err) {
		t.Errorf("CreateDepartment under an unknown parent error = %v, want validation", err)
	}

	groups, err := c.ListGroups(ctx)
	if err != nil || len(groups) != 2 {
		t.Fatalf("ListGroups = %d groups, %v; want 2", len(groups), err)
	}
	g, err := c.GetGroup(ctx, fakeabsorb.GroupOnboardingCohortID)
	if err != nil {
		t.Fatal(err)
	}
	wantMembers := []string{fakeabsorb.UserAliceID, fakeabsorb.UserBobID, fakeabsorb.UserCarolID}
	if diff := cmp.Diff(wantMembers, g.UserIDs); diff != "" {
		t.Errorf("group members mismatch (-want +got):\n%s", diff)
	}

	courses, err := c.ListCourses(ctx)
	if err != nil || len(courses) != 4 {
		t.Fatalf("ListCourses = %d courses, %v; want 4", len(courses), err)
	}
	if co, err := c.GetCourse(ctx, fakeabsorb.CourseSalesFundamentalsID); err != nil || co.Name != "Sales Fundamentals" {
		t.Errorf("GetCourse = %+v, %v", co, err)
	}

	e, err := c.EnrollUser(ctx, fakeabsorb.UserCarolID, fakeabsorb.CourseNewHireOnboardingID)
	if err != nil || e.ID == "" || e.CourseID != fakeabsorb.CourseNewHireOnboardingID || e.UserID != fakeabsorb.UserCarolID {
		t.Fatalf("EnrollUser = %+v, %v", e, err)
	}
	again, err := c.EnrollUser(ctx, fakeabsorb.UserCarolID, fakeabsorb.CourseNewHireOnboardingID)
	if err != nil || again.ID != e.ID {
		t.Errorf("EnrollUser again = %+v, %v; want the same enrollment", again, err)
	}
	es, err := c.ListUserEnrollments(ctx, fakeabsorb.UserCarolID)
	if err != nil || len(es) != 1 || es[0].ID != e.ID {
		t.Errorf("ListUserEnrollments = %+v, %v", es, err)
	}
	if _, err := c.EnrollUser(ctx, fakeabsorb.UserCarolID, "c0000000-0000-4000-8000-00000000ffff"); !IsNotFound(err) {
		t.Errorf("EnrollUser in an unknown course error = %v, want not found", err)
	}
	if err := c.UnenrollUser(ctx, []string{e.ID}); err != nil {
		t.Fatalf("UnenrollUser: %v", err)
	}
	if es, err := c.ListUserEnrollments(ctx, fakeabsorb.UserCarolID); err != nil || len(es) != 0 {
		t.Errorf("ListUserEnrollments after UnenrollUser = %+v, %v; want none", es, err)
	}
}
