package fakeabsorb

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func intp(v int) *int { return &v }

// fullUser has every field set, with values that stress the encoding.
func fullUser() User {
	return User{
		ID:               "b0000000-0000-4000-8000-0000000000aa",
		DepartmentID:     DeptSalesID,
		FirstName:        "Zoë",
		MiddleName:       "Ł",
		LastName:         "Ørsted-日本",
		Username:         "Zoë.Ørsted@Example.com",
		EmailAddress:     "zoe@example.com",
		CCEmailAddresses: []string{"a@example.com", "", "b@example.com"},
		ExternalID:       "ext-1",
		LanguageID:       intp(0), // set, to zero: not the same as nil
		Gender:           intp(2),
		Address:          "1 Rue de la Paix",
		Address2:         "Apt 2",
		City:             "Paris",
		PostalCode:       "75001",
		ProvinceID:       "11111111-2222-4333-8444-555555555555",
		CountryID:        "66666666-7777-4888-8999-aaaaaaaaaaaa",
		Phone:            "+33 1 23 45 67 89",
		EmployeeNumber:   "77",
		Location:         "HQ",
		JobTitle:         "Boss",
		ReferenceNumber:  "R-1",
		Notes:            strings.Repeat("long \"notes\"\n", 40), // a length of two varint bytes
		DateHired:        time.Date(1969, 7, 20, 20, 17, 40, 123_456_789, time.UTC),
		DateTerminated:   time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		DateAdded:        time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC),
		DateEdited:       time.Date(2025, 6, 2, 8, 30, 15, 0, time.UTC),
		LastLoginDate:    time.Date(2025, 6, 3, 1, 2, 3, 0, time.UTC),
		CustomFields:     map[string]any{"string1": "blue", "decimal2": 1.25, "bool3": true, "datetime1": "2021-05-06T00:00:00Z", "string2": nil},
		RoleIDs:          []string{"99999999-2222-4333-8444-555555555555"},
		ActiveStatus:     1,
		IsLearner:        true,
		IsAdmin:          true,
		IsInstructor:     true,
		IsManager:        true,
		SupervisorID:     UserAliceID,
		HasUsername:      true,
		password:         "Pässw0rd!",
	}
}

func TestPackRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		u    User
	}{
		{"every field set", fullUser()},
		{"zero", User{}},
		{"empty lists and custom fields, not nil", User{ID: "x", CCEmailAddresses: []string{}, RoleIDs: []string{}, CustomFields: map[string]any{}}},
		{"negative numbers", User{ID: "u-1", ActiveStatus: -1, LanguageID: intp(-5), Gender: intp(-300)}},
		{"only some times", User{ID: "y", DateEdited: time.Date(2025, 1, 1, 0, 0, 0, 1, time.UTC), DateTerminated: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := packUser(&tt.u)
			if err != nil {
				t.Fatal(err)
			}
			got, err := unpackUser(p)
			if err != nil {
				t.Fatal(err)
			}
			// cmp tells nil from empty slices and maps, and compares *int by value.
			if diff := cmp.Diff(tt.u, got, cmp.AllowUnexported(User{})); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			for _, tm := range []struct {
				name      string
				want, got time.Time
			}{
				{"dateHired", tt.u.DateHired, got.DateHired},
				{"dateTerminated", tt.u.DateTerminated, got.DateTerminated},
				{"dateAdded", tt.u.DateAdded, got.DateAdded},
				{"dateEdited", tt.u.DateEdited, got.DateEdited},
				{"lastLoginDate", tt.u.LastLoginDate, got.LastLoginDate},
			} {
				if tm.got != tm.want { // the same time.Time value, not only the same instant
					t.Errorf("%s = %#v, want %#v", tm.name, tm.got, tm.want)
				}
			}
			want, _ := json.Marshal(tt.u)
			wire, _ := json.Marshal(got)
			if string(wire) != string(want) {
				t.Errorf("wire form\n got %s\nwant %s", wire, want)
			}
		})
	}
}

// TestPackedFieldsMatchUser: what filters, sorts and scans read from the
// packed form is what they would read from the User.
func TestPackedFieldsMatchUser(t *testing.T) {
	for _, u := range []User{fullUser(), {}} {
		p, err := packUser(&u)
		if err != nil {
			t.Fatal(err)
		}
		for name := range userWire {
			if diff := cmp.Diff(u.get(name), p.get(name)); diff != "" {
				t.Errorf("user %q: get(%s) (-user +packed):\n%s", u.ID, name, diff)
			}
			ref, err := userFields.resolve(name)
			if err != nil {
				t.Fatal(err)
			}
			if ref.kind == kindList || ref.kind == kindObject {
				continue
			}
			if got, want := fieldValue(ref, &p), fieldValue(ref, &u); got != want {
				t.Errorf("user %q: fieldValue(%s) = %v from the packed form, %v from the user", u.ID, name, got, want)
			}
		}
		for _, name := range []string{"customFields/string1", "customFields/decimal2", "customFields/bool3", "customFields/datetime1"} {
			ref, err := userFields.resolve(name)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fieldValue(ref, &p), fieldValue(ref, &u); got != want {
				t.Errorf("user %q: fieldValue(%s) = %v from the packed form, %v from the user", u.ID, name, got, want)
			}
		}
		for _, tt := range []struct {
			got, want string
		}{{p.id(), u.ID}, {p.departmentID(), u.DepartmentID}, {p.username(), u.Username}, {p.str(slotExternalID), u.ExternalID}} {
			if tt.got != tt.want {
				t.Errorf("read %q, want %q", tt.got, tt.want)
			}
		}
	}
}

func TestUnpackMalformed(t *testing.T) {
	u := fullUser()
	p, err := packUser(&u)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    packedUser
	}{
		{"empty", ""},
		{"times missing", "\x1f"},
		{"cut short", p[:len(p)-1]},
		{"cut in the times", p[:20]},
		{"left over bytes", p + "x"},
		{"string past the end", "\x00\x7f" + packedUser(strings.Repeat("a", 10))},
		{"endless varint", "\x00" + packedUser(strings.Repeat("\xff", 12))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := unpackUser(tt.p)
			if !errors.Is(err, errPacked) {
				t.Errorf("error = %v, want errPacked", err)
			}
		})
	}
}

func TestPackUnencodableCustomField(t *testing.T) {
	u := User{ID: "x", CustomFields: map[string]any{"decimal1": func() {}}}
	_, err := packUser(&u)
	var jsonErr *json.UnsupportedTypeError
	if !errors.As(err, &jsonErr) {
		t.Errorf("error = %v, want a *json.UnsupportedTypeError", err)
	}
}

func TestStoreIndexes(t *testing.T) {
	st := newStore()
	put := func(u User) {
		t.Helper()
		if err := st.putUser(&u); err != nil {
			t.Fatal(err)
		}
	}
	const upperID = "C0000000-0000-4000-8000-00000000000A" // not canonical: indexed by string
	put(User{ID: UserAliceID, Username: "alice@example.com", DepartmentID: DeptEngineeringID})
	put(User{ID: upperID, Username: "Upper", DepartmentID: DeptSalesID})
	put(User{ID: "not-a-guid", Username: "\u212Aelvin", DepartmentID: DeptSalesID}) // KELVIN SIGN
	for _, id := range []string{UserAliceID, upperID, "not-a-guid"} {
		if u := st.user(id); u == nil || u.ID != id {
			t.Errorf("user(%q) = %v", id, u)
		}
	}
	for _, id := range []string{strings.ToLower(upperID), strings.ToUpper(UserAliceID), "", "NOT-A-GUID"} {
		if u := st.user(id); u != nil {
			t.Errorf("user(%q) = %s, want none", id, u.ID)
		}
	}
	for name, want := range map[string]string{"ALICE@example.com": UserAliceID, "upper": upperID, "kelvin": "not-a-guid", "\u212Aelvin": "not-a-guid"} {
		if u := st.userByUsername(name); u == nil || u.ID != want {
			t.Errorf("userByUsername(%q) = %v, want %s", name, u, want)
		}
	}

	// A rename moves the username index; the account keeps its place.
	put(User{ID: UserAliceID, Username: "Alice.New@example.com", DepartmentID: DeptSalesID})
	if u := st.userByUsername("alice@example.com"); u != nil {
		t.Errorf("old username still finds %s", u.ID)
	}
	if u := st.userByUsername("alice.new@EXAMPLE.com"); u == nil || u.ID != UserAliceID {
		t.Errorf("new username finds %v", u)
	}
	if len(st.accounts) != 3 || st.accounts[0].id() != UserAliceID {
		t.Errorf("accounts = %d, first %s; want 3, Alice first", len(st.accounts), st.accounts[0].id())
	}
	if !st.userInScope(DeptSalesID, UserAliceID) || st.userInScope(DeptEngineeringID, UserAliceID) || st.userInScope("", "nobody") {
		t.Error("userInScope does not follow the stored department")
	}
}
