package absorbapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// eachVariant runs test against a fake in its defaults, in each behaviour's
// other value alone, and in every other value at once.
func eachVariant(t *testing.T, test func(t *testing.T, f *fakeAbsorb)) {
	specs := []string{""}
	for _, b := range fakeabsorb.Behaviours() {
		for _, v := range b.Values[1:] {
			specs = append(specs, b.Name+"="+v)
		}
	}
	specs = append(specs, fakeabsorb.NonDefaultVariants().String())
	for _, spec := range specs {
		name := spec
		if name == "" {
			name = "defaults"
		}
		t.Run(name, func(t *testing.T) {
			v, err := fakeabsorb.ParseVariants(spec)
			if err != nil {
				t.Fatal(err)
			}
			test(t, startFake(t, fakeabsorb.Options{Variants: v}))
		})
	}
}

// TestVariantsClientWorks: every call the bridge makes gives the same
// results whichever way the portal behaves.
func TestVariantsClientWorks(t *testing.T) {
	eachVariant(t, func(t *testing.T, f *fakeAbsorb) {
		ctx := context.Background()
		// Pages of 2 make every scan and look-up cross page boundaries.
		c := f.client(t, "", func(c *Config) { c.ScanPageSize = 2 })

		u := newLearner("variant.user", fakeabsorb.DeptSalesID)
		u.ExternalID = "ext-variant"
		created, err := c.CreateUser(ctx, u)
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		got, err := c.GetUser(ctx, created.ID)
		if err != nil || got.Username != "variant.user" {
			t.Fatalf("GetUser(%s) = %+v, %v; want the created user", created.ID, got, err)
		}

		got.JobTitle = "Analyst"
		updated, err := c.UpdateUser(ctx, *got)
		if err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		if updated.ID != created.ID || updated.JobTitle != "Analyst" {
			t.Errorf("UpdateUser = %+v, want the user with its new title", updated)
		}
		if again, err := c.GetUser(ctx, created.ID); err != nil || again.JobTitle != "Analyst" {
			t.Errorf("after UpdateUser: %+v, %v", again, err)
		}

		e, err := c.EnrollUser(ctx, created.ID, fakeabsorb.CourseNewHireOnboardingID)
		if err != nil || e.ID == "" || e.CourseID != fakeabsorb.CourseNewHireOnboardingID || e.UserID != created.ID {
			t.Fatalf("EnrollUser = %+v, %v", e, err)
		}
		es, err := c.ListUserEnrollments(ctx, created.ID)
		if err != nil || len(es) != 1 || es[0].ID != e.ID {
			t.Errorf("ListUserEnrollments = %+v, %v; want the one enrollment %s", es, err, e.ID)
		}

		if byName, err := c.FindUserByUsername(ctx, "VARIANT.user"); err != nil || byName.ID != created.ID {
			t.Errorf("FindUserByUsername = %+v, %v", byName, err)
		}
		if byExt, err := c.FindUserByExternalID(ctx, "ext-variant"); err != nil || byExt.ID != created.ID {
			t.Errorf("FindUserByExternalID = %+v, %v", byExt, err)
		}

		// The whole portal, and a filtered part of it, each user once.
		all := f.srv.Users()
		seen := map[string]int{}
		if err := c.ScanUsers(ctx, "", func(u User) error { seen[u.ID]++; return nil }); err != nil {
			t.Fatalf("ScanUsers: %v", err)
		}
		for _, u := range all {
			if seen[u.ID] != 1 {
				t.Errorf("ScanUsers passed %s %d times, want once", u.Username, seen[u.ID])
			}
		}
		if len(seen) != len(all) {
			t.Errorf("ScanUsers passed %d users, the portal holds %d", len(seen), len(all))
		}
		var learners []string
		if err := c.ScanUsers(ctx, "isAdmin eq false", func(u User) error { learners = append(learners, u.Username); return nil }); err != nil {
			t.Fatalf("ScanUsers(filtered): %v", err)
		}
		slices.Sort(learners)
		want := []string{"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com", "variant.user"}
		if !slices.Equal(learners, want) {
			t.Errorf("ScanUsers(isAdmin eq false) = %v, want %v", learners, want)
		}

		deps, err := c.ListDepartments(ctx, ListDepartmentsOptions{})
		if err != nil || len(deps) != 5 {
			t.Errorf("ListDepartments = %d departments, %v; want 5", len(deps), err)
		}
		if groups, err := c.ListGroups(ctx); err != nil || len(groups) != 2 {
			t.Errorf("ListGroups = %d groups, %v; want 2", len(groups), err)
		}
		if courses, err := c.ListCourses(ctx); err != nil || len(courses) != 4 {
			t.Errorf("ListCourses = %d courses, %v; want 4", len(courses), err)
		}
		langs, err := c.ListLanguages(ctx)
		if err != nil || len(langs) < 3 || langs[0] != (Language{ID: 1, Name: "English", Code: "en"}) {
			t.Errorf("ListLanguages = %+v, %v; want English (1) first", langs, err)
		}

		// Dates read as the instants the fake holds, whatever their form.
		fresh, err := c.GetUser(ctx, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, fu := range f.srv.Users() {
			if fu.ID != created.ID {
				continue
			}
			edited, err := ParseTime(fresh.DateEdited)
			if err != nil {
				t.Fatalf("ParseTime(%q): %v", fresh.DateEdited, err)
			}
			if !edited.Equal(fu.DateEdited) {
				t.Errorf("dateEdited %q reads as %v, the fake holds %v", fresh.DateEdited, edited, fu.DateEdited)
			}
		}
	})
}

// TestVariantsModelValidation: a body Absorb cannot bind is the caller's
// data, never an unknown id; an unknown id is not found.
func TestVariantsModelValidation(t *testing.T) {
	eachVariant(t, func(t *testing.T, f *fakeAbsorb) {
		ctx := context.Background()
		c := f.client(t, "", nil)
		alice, err := c.GetUser(ctx, fakeabsorb.UserAliceID)
		if err != nil {
			t.Fatal(err)
		}
		bad := *alice
		bad.DateHired = "31/12/2024"
		_, err = c.UpdateUser(ctx, bad)
		var ve *ValidationError
		if !errors.Is(err, ErrRequestModel) || !errors.As(err, &ve) || IsNotFound(err) {
			t.Fatalf("UpdateUser with a bad date: %v, want a *ValidationError that is ErrRequestModel and not ErrNotFound", err)
		}
		if !slices.ContainsFunc(ve.Messages, func(m string) bool { return strings.Contains(m, "DateHired") }) {
			t.Errorf("messages %q do not name DateHired", ve.Messages)
		}
		bad = *alice
		bad.SupervisorID = "not-a-guid"
		if _, err := c.UpdateUser(ctx, bad); !errors.Is(err, ErrRequestModel) {
			t.Errorf("UpdateUser with a malformed supervisorId: %v, want ErrRequestModel", err)
		}
		newbie := newLearner("bad.custom", fakeabsorb.DeptSalesID)
		newbie.CustomFields = map[string]any{"decimal1": "lots"}
		if _, err := c.CreateUser(ctx, newbie); !errors.Is(err, ErrRequestModel) || IsConflict(err) {
			t.Errorf("CreateUser with a custom field of the wrong type: %v, want ErrRequestModel", err)
		}

		ghost := *alice
		ghost.ID = "b0000000-0000-4000-8000-0000000000ff"
		if _, err := c.UpdateUser(ctx, ghost); !IsNotFound(err) || errors.Is(err, ErrRequestModel) {
			t.Errorf("UpdateUser of an unknown id: %v, want ErrNotFound", err)
		}
	})
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2022-07-27T16:36:50.72", time.Date(2022, 7, 27, 16, 36, 50, 720_000_000, time.UTC)},
		{"2022-07-27T16:36:50.7", time.Date(2022, 7, 27, 16, 36, 50, 700_000_000, time.UTC)},
		{"2022-07-27T16:36:50.1234567", time.Date(2022, 7, 27, 16, 36, 50, 123_456_700, time.UTC)},
		{"2022-07-27T16:36:50", time.Date(2022, 7, 27, 16, 36, 50, 0, time.UTC)},
		{"2022-07-27T16:36:50Z", time.Date(2022, 7, 27, 16, 36, 50, 0, time.UTC)},
		{"2022-07-27T18:36:50.72+02:00", time.Date(2022, 7, 27, 16, 36, 50, 720_000_000, time.UTC)},
		{"2022-07-27", time.Date(2022, 7, 27, 0, 0, 0, 0, time.UTC)},
		{" 2022-07-27T16:36 ", time.Date(2022, 7, 27, 16, 36, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "yesterday", "27/07/2022", "2022-13-01"} {
		if _, err := ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q): no error", in)
		}
	}
	same := [][2]string{
		{"2022-07-27T16:36:50.72", "2022-07-27T16:36:50.720Z"},
		{"2022-07-27T16:36:50", "2022-07-27T18:36:50+02:00"},
		{"", ""},
	}
	for _, p := range same {
		if !SameInstant(p[0], p[1]) || CompareTimes(p[0], p[1]) != 0 {
			t.Errorf("%q and %q: want the same instant", p[0], p[1])
		}
	}
	ordered := []string{"", "2022-07-27T16:36:50", "2022-07-27T16:36:50.07Z", "2022-07-27T16:36:50.7", "2022-07-27T16:36:51Z"}
	for i := range ordered {
		for j := range ordered {
			if got, want := CompareTimes(ordered[i], ordered[j]), cmpInt(i, j); got != want {
				t.Errorf("CompareTimes(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	if SameInstant("2022-07-27T16:36:50.7", "2022-07-27T16:36:50.07") {
		t.Error(".7 and .07 are not the same instant")
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestScanUnderBrokenFilteredPaging: a filtered scan larger than a page
// still sees every match when the portal answers pages past the first of a
// filtered list with nothing, and when it refuses to sort by id.
func TestScanUnderBrokenFilteredPaging(t *testing.T) {
	v, err := fakeabsorb.ParseVariants("filterpaging=broken,sort=limited,dates=absorb")
	if err != nil {
		t.Fatal(err)
	}
	f := startFake(t, fakeabsorb.Options{Variants: v})
	ctx := context.Background()
	c := f.client(t, "", func(c *Config) { c.ScanPageSize = 3 })
	var batch []User
	for i := range 10 {
		batch = append(batch, newLearner(fmt.Sprintf("sales-%02d", i), fakeabsorb.DeptSalesID))
	}
	// One upload: the ten share one dateEdited, so the window moves on by
	// username within the same instant.
	if _, err := c.UploadUsers(ctx, batch); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = c.ScanUsers(ctx, "departmentId eq guid"+Quote(fakeabsorb.DeptSalesID), func(u User) error {
		got = append(got, u.Username)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{"bob@example.com", "sales-00", "sales-01", "sales-02", "sales-03", "sales-04", "sales-05", "sales-06", "sales-07", "sales-08", "sales-09", fakeabsorb.ScopedAdminUsername}
	if !slices.Equal(got, want) {
		t.Errorf("scan of Sales = %v, want %v", got, want)
	}
	// The old way, paging a filtered list by _offset, reads only the first page.
	p1, err := c.ListUsers(ctx, ListUsersOptions{Filter: "departmentId eq guid" + Quote(fakeabsorb.DeptSalesID), Limit: 3, Page: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.Users) != 0 || p1.TotalItems != 12 {
		t.Errorf("page 1 of the filtered list: %d users of %d; the trap is not set", len(p1.Users), p1.TotalItems)
	}
}

// TestFilteredListPagingRefusesShortAnswers: a small collection read by
// _offset pages fails loudly, rather than comes back short, when the portal
// empties filtered pages past the first.
func TestFilteredListPagingRefusesShortAnswers(t *testing.T) {
	v, err := fakeabsorb.ParseVariants("filterpaging=broken")
	if err != nil {
		t.Fatal(err)
	}
	f := startFake(t, fakeabsorb.Options{Variants: v})
	c := f.client(t, "", func(c *Config) { c.ScanPageSize = 2 })
	deps, err := c.ListDepartments(context.Background(), ListDepartmentsOptions{Filter: "name ne 'Company'"})
	if err == nil {
		t.Fatalf("ListDepartments = %d departments, no error; want an error", len(deps))
	}
	if !strings.Contains(err.Error(), "filtered list") {
		t.Errorf("error = %v", err)
	}
}

// TestUpdateUserClearsWhatItLeavesEmpty: a value removed from the user is
// gone from Absorb after UpdateUser, whether the portal's PUT replaces the
// user or merges into it.
func TestUpdateUserClearsWhatItLeavesEmpty(t *testing.T) {
	for _, spec := range []string{"put=replace", "put=merge", fakeabsorb.NonDefaultVariants().String()} {
		t.Run(spec, func(t *testing.T) {
			v, err := fakeabsorb.ParseVariants(spec)
			if err != nil {
				t.Fatal(err)
			}
			f := startFake(t, fakeabsorb.Options{Variants: v})
			ctx := context.Background()
			c := f.client(t, "", nil)
			lang, gender := 2, 1
			u := newLearner("full.user", fakeabsorb.DeptSalesID)
			u.Phone, u.JobTitle, u.Address, u.City, u.PostalCode, u.MiddleName = "+1 555 0199", "Lead", "1 Main St", "Springfield", "12345", "Q"
			u.DateHired, u.DateTerminated = "2020-02-03", "2030-01-01"
			u.SupervisorID = fakeabsorb.UserBobID
			u.LanguageID, u.Gender = &lang, &gender
			u.CCEmailAddresses = []string{"cc@example.com"}
			u.CustomFields = map[string]any{"string1": "blue", "decimal2": 4.5, "bool1": true, "datetime1": "2021-05-06"}
			created, err := c.CreateUser(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			full, err := c.GetUser(ctx, created.ID)
			if err != nil {
				t.Fatal(err)
			}
			if full.Phone == "" || full.DateHired == "" || full.SupervisorID == "" || len(full.CustomFields) != 4 {
				t.Fatalf("the user was not created with its values: %+v", full)
			}
			// The IdP removed everything but the custom field string1.
			cleared := *full
			cleared.Phone, cleared.JobTitle, cleared.Address, cleared.City, cleared.PostalCode, cleared.MiddleName = "", "", "", "", "", ""
			cleared.DateHired, cleared.DateTerminated, cleared.SupervisorID = "", "", ""
			cleared.LanguageID, cleared.Gender, cleared.CCEmailAddresses = nil, nil, nil
			cleared.CustomFields = map[string]any{"string1": "blue"}
			if _, err := c.UpdateUser(ctx, cleared); err != nil {
				t.Fatal(err)
			}
			after, err := c.GetUser(ctx, created.ID)
			if err != nil {
				t.Fatal(err)
			}
			for name, v := range map[string]string{
				"phone": after.Phone, "jobTitle": after.JobTitle, "address": after.Address, "city": after.City,
				"postalCode": after.PostalCode, "middleName": after.MiddleName, "dateHired": after.DateHired,
				"dateTerminated": after.DateTerminated, "supervisorId": after.SupervisorID,
			} {
				if v != "" {
					t.Errorf("%s = %q after it was cleared", name, v)
				}
			}
			if after.LanguageID != nil || after.Gender != nil || len(after.CCEmailAddresses) != 0 {
				t.Errorf("languageId %v, gender %v, ccEmailAddresses %v after they were cleared", after.LanguageID, after.Gender, after.CCEmailAddresses)
			}
			if len(after.CustomFields) != 1 || after.CustomFields["string1"] != "blue" {
				t.Errorf("customFields = %v, want only string1", after.CustomFields)
			}
			if after.FirstName != "Test" || after.DepartmentID != fakeabsorb.DeptSalesID || !after.Active() {
				t.Errorf("fields not cleared changed: %+v", after)
			}
		})
	}
}

func TestPutBodySendsClears(t *testing.T) {
	lang := 3
	body, err := putBody(User{ID: "u1", Username: "x", FirstName: "A", LastName: "B", DepartmentID: "d1",
		LanguageID: &lang, CustomFields: map[string]any{"String1": "kept"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]any{"phone": "", "jobTitle": "", "externalId": "", "dateHired": nil, "supervisorId": nil, "gender": nil, "languageId": 3.0, "username": "x"} {
		if got, present := body[name]; !present || got != want {
			t.Errorf("%s = %#v (present %v), want %#v", name, got, present, want)
		}
	}
	if got, ok := body["roleIds"].([]string); !ok || len(got) != 0 {
		t.Errorf("roleIds = %#v, want []", body["roleIds"])
	}
	if _, sent := body["password"]; sent {
		t.Error("an empty password is sent")
	}
	custom := body["customFields"].(map[string]any)
	if len(custom) != 45 || custom["String1"] != "kept" || custom["decimal5"] != nil {
		t.Errorf("customFields = %v, want the 45 with String1 kept and the others null", custom)
	}
	if _, doubled := custom["string1"]; doubled {
		t.Error("string1 sent as null beside String1")
	}
}

// TestUploadClearsWhatItLeavesEmpty: an upload that updates an account
// clears what the user leaves empty, whether the portal merges or replaces.
func TestUploadClearsWhatItLeavesEmpty(t *testing.T) {
	for _, spec := range []string{"put=replace", "put=merge"} {
		t.Run(spec, func(t *testing.T) {
			v, err := fakeabsorb.ParseVariants(spec)
			if err != nil {
				t.Fatal(err)
			}
			f := startFake(t, fakeabsorb.Options{Variants: v})
			ctx := context.Background()
			c := f.client(t, "", nil)
			alice, err := c.GetUser(ctx, fakeabsorb.UserAliceID)
			if err != nil {
				t.Fatal(err)
			}
			alice.Phone, alice.JobTitle, alice.CustomFields = "", "Lead", nil
			results, err := c.UploadUsers(ctx, []User{*alice})
			if err != nil || !results[0].OK {
				t.Fatalf("UploadUsers = %+v, %v", results, err)
			}
			after, err := c.GetUser(ctx, fakeabsorb.UserAliceID)
			if err != nil {
				t.Fatal(err)
			}
			if after.Phone != "" || after.JobTitle != "Lead" || len(after.CustomFields) != 0 || after.EmployeeNumber != "1001" {
				t.Errorf("after the upload: phone %q, jobTitle %q, customFields %v, employeeNumber %q; want phone and custom fields cleared, the rest as sent",
					after.Phone, after.JobTitle, after.CustomFields, after.EmployeeNumber)
			}
		})
	}
}
