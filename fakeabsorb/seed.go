package fakeabsorb

import "time"

// PrivateKey is the portal's private key: the x-api-key header value and the
// privateKey of POST /authenticate.
const PrivateKey = "demo-key"

// AdminPassword is the password of the three seeded admins.
const AdminPassword = "demo-password"

// Usernames of the seeded admins. BridgeAdminUsername and AuditorUsername
// manage the whole portal; ScopedAdminUsername only the Sales subtree.
const (
	BridgeAdminUsername = "bridge-admin"
	AuditorUsername     = "auditor"
	ScopedAdminUsername = "scoped-admin"
)

// Seeded departments: Company is the top department, the others its children.
const (
	DeptCompanyID     = "d0000000-0000-4000-8000-000000000001"
	DeptEngineeringID = "d0000000-0000-4000-8000-000000000002"
	DeptSalesID       = "d0000000-0000-4000-8000-000000000003"
	DeptSupportID     = "d0000000-0000-4000-8000-000000000004"
	DeptResearchID    = "d0000000-0000-4000-8000-000000000005"
)

// Seeded courses.
const (
	CourseSecurityAwarenessID     = "c0000000-0000-4000-8000-000000000001"
	CourseNewHireOnboardingID     = "c0000000-0000-4000-8000-000000000002"
	CourseSalesFundamentalsID     = "c0000000-0000-4000-8000-000000000003"
	CourseEngineeringOnboardingID = "c0000000-0000-4000-8000-000000000004"
)

// Seeded users: the three admins, then four learners.
const (
	UserBridgeAdminID = "a0000000-0000-4000-8000-000000000001"
	UserAuditorID     = "a0000000-0000-4000-8000-000000000002"
	UserScopedAdminID = "a0000000-0000-4000-8000-000000000003"
	UserAliceID       = "b0000000-0000-4000-8000-000000000001" // alice@example.com, Engineering
	UserBobID         = "b0000000-0000-4000-8000-000000000002" // bob@example.com, Sales
	UserCarolID       = "b0000000-0000-4000-8000-000000000003" // carol@example.com, Support
	UserDaveID        = "b0000000-0000-4000-8000-000000000004" // dave@example.com, Engineering, inactive
)

// Seeded groups (read-only).
const (
	GroupEngineeringTeamID  = "e0000000-0000-4000-8000-000000000001" // automatic: Alice, Dave
	GroupOnboardingCohortID = "e0000000-0000-4000-8000-000000000002" // manual: Alice, Bob, Carol
)

// Seeded enrollments.
const (
	EnrollmentAliceSecurityID = "f0000000-0000-4000-8000-000000000001" // Alice in Security Awareness, complete
	EnrollmentBobSalesID      = "f0000000-0000-4000-8000-000000000002" // Bob in Sales Fundamentals, in progress
)

// seedStore fills an empty store with the seed.
// The first record is added on 2024-01-15T09:00:00Z and the others follow a
// minute apart, so the seed's default order is fixed.
func seedStore(st *store) {
	at := time.Date(2024, time.January, 15, 9, 0, 0, 0, time.UTC)
	next := func() time.Time {
		t := at
		at = at.Add(time.Minute)
		return t
	}
	for _, d := range []struct{ id, name, parent, ext string }{
		{DeptCompanyID, "Company", "", "dept-company"},
		{DeptEngineeringID, "Engineering", DeptCompanyID, "dept-eng"},
		{DeptSalesID, "Sales", DeptCompanyID, "dept-sales"},
		{DeptSupportID, "Support", DeptCompanyID, "dept-support"},
		{DeptResearchID, "Research", DeptCompanyID, "dept-research"},
	} {
		t := next()
		st.departments[d.id] = &department{id: d.id, name: d.name, parentID: d.parent, externalID: d.ext, dateAdded: t, dateEdited: t}
	}
	for _, c := range []struct{ id, name, ext, desc string }{
		{CourseSecurityAwarenessID, "Security Awareness", "course-security", "Annual security and phishing awareness."},
		{CourseNewHireOnboardingID, "New Hire Onboarding", "course-onboarding", "Everything a new colleague needs in week one."},
		{CourseSalesFundamentalsID, "Sales Fundamentals", "course-sales", "Pipeline, discovery and closing basics."},
		{CourseEngineeringOnboardingID, "Engineering Onboarding", "course-eng-onboarding", "Tooling, code review and on-call."},
	} {
		t := next()
		st.courses[c.id] = &course{id: c.id, name: c.name, externalID: c.ext, description: c.desc, dateAdded: t, dateEdited: t}
	}
	users := []User{
		{ID: UserBridgeAdminID, Username: BridgeAdminUsername, FirstName: "Bridge", LastName: "Admin",
			EmailAddress: "bridge-admin@example.com", DepartmentID: DeptCompanyID, IsAdmin: true, password: AdminPassword},
		{ID: UserAuditorID, Username: AuditorUsername, FirstName: "Audit", LastName: "Reader",
			EmailAddress: "auditor@example.com", DepartmentID: DeptCompanyID, IsAdmin: true, password: AdminPassword},
		{ID: UserScopedAdminID, Username: ScopedAdminUsername, FirstName: "Sales", LastName: "Manager",
			EmailAddress: "scoped-admin@example.com", DepartmentID: DeptSalesID, IsAdmin: true, password: AdminPassword},
		{ID: UserAliceID, Username: "alice@example.com", FirstName: "Alice", LastName: "Anderson",
			EmailAddress: "alice@example.com", ExternalID: "emp-1001", EmployeeNumber: "1001", JobTitle: "Software Engineer",
			Phone: "+1 555 0101", DepartmentID: DeptEngineeringID, CustomFields: map[string]any{"string1": "blue"}},
		{ID: UserBobID, Username: "bob@example.com", FirstName: "Bob", LastName: "Brown",
			EmailAddress: "bob@example.com", ExternalID: "emp-1002", EmployeeNumber: "1002", JobTitle: "Account Executive",
			DepartmentID: DeptSalesID},
		{ID: UserCarolID, Username: "carol@example.com", FirstName: "Carol", MiddleName: "J", LastName: "Chen",
			EmailAddress: "carol@example.com", ExternalID: "emp-1003", EmployeeNumber: "1003", JobTitle: "Support Specialist",
			DepartmentID: DeptSupportID},
		{ID: UserDaveID, Username: "dave@example.com", FirstName: "Dave", LastName: "Davis",
			EmailAddress: "dave@example.com", ExternalID: "emp-1004", EmployeeNumber: "1004", JobTitle: "Site Reliability Engineer",
			DepartmentID: DeptEngineeringID, ActiveStatus: 1},
	}
	for i := range users {
		u := users[i]
		t := next()
		u.DateAdded, u.DateEdited = t, t
		u.IsLearner, u.HasUsername = true, true
		if u.password == "" {
			u.password = "Learner#2024"
		}
		st.putUser(&u)
	}
	st.admins[UserBridgeAdminID] = &admin{userID: UserBridgeAdminID}
	st.admins[UserAuditorID] = &admin{userID: UserAuditorID}
	st.admins[UserScopedAdminID] = &admin{userID: UserScopedAdminID, scope: DeptSalesID}

	for _, g := range []struct {
		id, name string
		auto     bool
		users    []string
	}{
		{GroupEngineeringTeamID, "Engineering Team", true, []string{UserAliceID, UserDaveID}},
		{GroupOnboardingCohortID, "Onboarding Cohort", false, []string{UserAliceID, UserBobID, UserCarolID}},
	} {
		t := next()
		st.groups[g.id] = &group{id: g.id, name: g.name, isAutomatic: g.auto, userIDs: g.users, dateAdded: t, dateEdited: t}
	}
	for _, e := range []struct {
		id, user, course string
		status           int
		progress         float64
	}{
		{EnrollmentAliceSecurityID, UserAliceID, CourseSecurityAwarenessID, 3, 100},
		{EnrollmentBobSalesID, UserBobID, CourseSalesFundamentalsID, 1, 40},
	} {
		t := next()
		st.enrollments[e.id] = &enrollment{id: e.id, userID: e.user, courseID: e.course, status: e.status, progress: e.progress, dateAdded: t, dateEdited: t}
	}
}

// AddUsers stores users as they are given, with a new id for each that has
// none and the clock's time as the dates a user leaves unset, and returns
// the stored copies. Nothing is checked (not even username uniqueness): it
// seeds a portal for a test faster than uploads over HTTP would.
func (s *Server) AddUsers(users ...User) []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC().Truncate(s.datePrecision())
	out := make([]User, len(users))
	for i, u := range users {
		if u.ID == "" {
			u.ID = newGUID()
		}
		if u.DateAdded.IsZero() {
			u.DateAdded = now
		}
		if u.DateEdited.IsZero() {
			u.DateEdited = now
		}
		s.st.putUser(&u)
		out[i] = *s.st.user(u.ID)
	}
	return out
}
