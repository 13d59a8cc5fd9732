package fakeabsorb

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseVariants(t *testing.T) {
	defaults := Variants{Create: "strict", Sort: "any", Put: "replace", Dates: "rfc3339", FilterPaging: "ok", Answers: "object", Upload: "update"}
	tests := []struct {
		spec string
		want Variants
	}{
		{"", defaults},
		{" , ", defaults},
		{"create=upsert", Variants{Create: "upsert", Sort: "any", Put: "replace", Dates: "rfc3339", FilterPaging: "ok", Answers: "object", Upload: "update"}},
		{"SORT=Limited, put=merge,dates=absorb", Variants{Create: "strict", Sort: "limited", Put: "merge", Dates: "absorb", FilterPaging: "ok", Answers: "object", Upload: "update"}},
		{"create=upsert,sort=limited,put=merge,dates=absorb,filterpaging=broken,answers=string,upload=keep", NonDefaultVariants()},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParseVariants(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseVariants(%q) = %+v, want %+v", tt.spec, got, tt.want)
			}
			back, err := ParseVariants(got.String())
			if err != nil || back != got {
				t.Errorf("String() = %q reads back as %+v, %v", got.String(), back, err)
			}
		})
	}
	for _, tt := range []struct{ spec, wantInError string }{
		{"colour=red", `unknown behaviour "colour" (known: create, sort, put, dates, filterpaging, answers, upload)`},
		{"sort=bogus", "sort is any or limited"},
		{"create", "want name=value"},
		{"answers=", ""}, // an empty value is the default: not an error
	} {
		t.Run("bad "+tt.spec, func(t *testing.T) {
			_, err := ParseVariants(tt.spec)
			if tt.wantInError == "" {
				if err != nil {
					t.Fatalf("ParseVariants(%q): %v", tt.spec, err)
				}
				return
			}
			if !errors.Is(err, ErrBadVariants) || !strings.Contains(err.Error(), tt.wantInError) {
				t.Errorf("ParseVariants(%q) = %v, want an ErrBadVariants saying %q", tt.spec, err, tt.wantInError)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is more than one line: %q", err)
			}
		})
	}
	if _, err := New(Options{Variants: Variants{Put: "patch"}}); !errors.Is(err, ErrBadVariants) {
		t.Errorf("New with put=patch: %v, want ErrBadVariants", err)
	}
	if got := len(Behaviours()); got != 7 {
		t.Errorf("Behaviours() has %d, want 7", got)
	}
}

// variant starts a fake with one spec and logs in as the bridge's admin.
func variant(t *testing.T, spec string) (*fake, string) {
	t.Helper()
	v, err := ParseVariants(spec)
	if err != nil {
		t.Fatal(err)
	}
	f := setup(t, Options{Variants: v})
	return f, f.login(BridgeAdminUsername)
}

func TestCreateVariants(t *testing.T) {
	t.Run("strict refuses a taken username", func(t *testing.T) {
		f, tok := variant(t, "create=strict")
		res := f.send("POST", "/users", tok, newUser("BOB@example.com", DeptSalesID)).want(t, 422)
		if diff := cmp.Diff([]string{"Username 'BOB@example.com' is already in use."}, res.validations(t)); diff != "" {
			t.Errorf("validations (-want +got):\n%s", diff)
		}
		// A taken externalId is no obstacle: externalId need not be unique.
		body := newUser("new.person", DeptSalesID)
		body["externalId"] = "emp-1002"
		if id := f.send("POST", "/users", tok, body).want(t, 201).object(t)["id"]; id == UserBobID {
			t.Error("strict create updated Bob")
		}
	})
	t.Run("upsert by username updates the holder", func(t *testing.T) {
		f, tok := variant(t, "create=upsert")
		body := newUser("BOB@example.com", DeptSupportID)
		body["jobTitle"] = "Moved"
		got := f.send("POST", "/users", tok, body).want(t, 201).object(t)
		if got["id"] != UserBobID {
			t.Fatalf("answer id = %v, want Bob's %s", got["id"], UserBobID)
		}
		bob := f.send("GET", "/users/"+UserBobID, tok, nil).want(t, 200).object(t)
		if bob["jobTitle"] != "Moved" || bob["departmentId"] != DeptSupportID || bob["firstName"] != "New" {
			t.Errorf("Bob after the upsert: %v", bob)
		}
		if n := len(f.srv.Users()); n != 7 {
			t.Errorf("users = %d, want the 7 seeded", n)
		}
	})
	t.Run("upsert by externalId renames the holder", func(t *testing.T) {
		f, tok := variant(t, "create=upsert")
		body := newUser("robert@example.com", DeptSalesID)
		body["externalId"] = "emp-1002"
		got := f.send("POST", "/users", tok, body).want(t, 201).object(t)
		if got["id"] != UserBobID || got["username"] != "robert@example.com" {
			t.Errorf("answer = %v, want Bob's id with the new username", got)
		}
	})
	t.Run("upsert reaches an account outside the admin's scope", func(t *testing.T) {
		f, _ := variant(t, "create=upsert")
		scoped := f.login(ScopedAdminUsername)
		// Carol is in Support, which the scoped admin cannot see.
		f.send("GET", "/users/"+UserCarolID, scoped, nil).want(t, 404)
		got := f.send("POST", "/users", scoped, newUser("carol@example.com", DeptSalesID)).want(t, 201).object(t)
		if got["id"] != UserCarolID {
			t.Fatalf("answer id = %v, want Carol's %s", got["id"], UserCarolID)
		}
		carol := f.send("GET", "/users/"+UserCarolID, scoped, nil).want(t, 200).object(t)
		if carol["departmentId"] != DeptSalesID {
			t.Errorf("Carol's department = %v, want Sales", carol["departmentId"])
		}
	})
	t.Run("upsert without a match creates", func(t *testing.T) {
		f, tok := variant(t, "create=upsert")
		got := f.send("POST", "/users", tok, newUser("fresh@example.com", DeptSalesID)).want(t, 201).object(t)
		if got["id"] == "" || len(f.srv.Users()) != 8 {
			t.Errorf("answer %v; users = %d, want 8", got, len(f.srv.Users()))
		}
	})
}

func TestSortVariants(t *testing.T) {
	tests := []struct {
		spec, path string
		status     int
	}{
		{"sort=any", "/users?_sort=id", 200},
		{"sort=any", "/users?_sort=customFields/string1", 200},
		{"sort=any", "/departments?_sort=externalId", 200},
		{"sort=limited", "/users?_sort=id", 400},
		{"sort=limited", "/users?_sort=-externalId", 400},
		{"sort=limited", "/users?_sort=customFields/string1", 400},
		{"sort=limited", "/users?_sort=username,-dateEdited", 200},
		{"sort=limited", "/users?_sort=firstName,lastName,emailAddress,dateAdded", 200},
		{"sort=limited", "/departments?_sort=name", 200},
		{"sort=limited", "/departments?_sort=id", 400},
		{"sort=limited", "/courses?_sort=-name", 200},
		{"sort=limited", "/groups?_sort=dateAdded", 400},
		{"sort=limited", "/users", 200},
	}
	for _, tt := range tests {
		t.Run(tt.spec+" "+tt.path, func(t *testing.T) {
			f, tok := variant(t, tt.spec)
			res := f.send("GET", tt.path, tok, nil).want(t, tt.status)
			if tt.status == 400 && !strings.Contains(res.message(t), "cannot be used in the $orderby query option") {
				t.Errorf("message = %q", res.message(t))
			}
		})
	}
}

func TestPutVariants(t *testing.T) {
	minimal := func() map[string]any {
		return map[string]any{"username": "alice@example.com", "departmentId": DeptEngineeringID, "firstName": "Alice", "lastName": "Anderson"}
	}
	t.Run("replace clears what the body omits", func(t *testing.T) {
		f, tok := variant(t, "put=replace")
		got := f.send("PUT", "/users/"+UserAliceID, tok, minimal()).want(t, 200).object(t)
		if got["jobTitle"] != nil || got["phone"] != nil || got["externalId"] != nil || len(got["customFields"].(map[string]any)) != 0 {
			t.Errorf("after a minimal PUT: %v", got)
		}
	})
	t.Run("merge keeps what the body omits", func(t *testing.T) {
		f, tok := variant(t, "put=merge")
		body := minimal()
		body["Location"] = "Berlin" // member names in any case
		got := f.send("PUT", "/users/"+UserAliceID, tok, body).want(t, 200).object(t)
		want := map[string]any{"jobTitle": "Software Engineer", "phone": "+1 555 0101", "externalId": "emp-1001",
			"employeeNumber": "1001", "location": "Berlin", "customFields": map[string]any{"string1": "blue"}}
		for k, v := range want {
			if diff := cmp.Diff(v, got[k]); diff != "" {
				t.Errorf("%s (-want +got):\n%s", k, diff)
			}
		}
	})
	t.Run("merge clears what the body sends as null or empty", func(t *testing.T) {
		f, tok := variant(t, "put=merge")
		body := minimal()
		body["phone"] = nil
		body["jobTitle"] = ""
		body["customFields"] = map[string]any{"String1": nil, "decimal2": 2.5}
		got := f.send("PUT", "/users/"+UserAliceID, tok, body).want(t, 200).object(t)
		if got["phone"] != nil || got["jobTitle"] != nil {
			t.Errorf("phone %v, jobTitle %v: want both cleared", got["phone"], got["jobTitle"])
		}
		if diff := cmp.Diff(map[string]any{"decimal2": 2.5}, got["customFields"]); diff != "" {
			t.Errorf("customFields (-want +got):\n%s", diff)
		}
		if got["employeeNumber"] != "1001" {
			t.Errorf("employeeNumber = %v, want it kept", got["employeeNumber"])
		}
	})
	t.Run("merge keeps the status a body omits", func(t *testing.T) {
		f, tok := variant(t, "put=merge")
		body := map[string]any{"username": "dave@example.com", "departmentId": DeptEngineeringID, "firstName": "Dave", "lastName": "Davis"}
		if got := f.send("PUT", "/users/"+UserDaveID, tok, body).want(t, 200).object(t); got["activeStatus"] != 1.0 {
			t.Errorf("activeStatus = %v, want Dave kept inactive", got["activeStatus"])
		}
	})
	t.Run("merge still refuses what cannot be bound", func(t *testing.T) {
		f, tok := variant(t, "put=merge")
		body := minimal()
		body["dateHired"] = "yesterday"
		res := f.send("PUT", "/users/"+UserAliceID, tok, body).want(t, 422)
		if diff := cmp.Diff([]string{msgModelInvalid, "The value 'yesterday' is not valid for DateHired."}, res.validations(t)); diff != "" {
			t.Errorf("validations (-want +got):\n%s", diff)
		}
	})
	t.Run("upload updates merge too", func(t *testing.T) {
		f, tok := variant(t, "put=merge")
		f.send("POST", "/users/upload", tok, []any{minimal()}).want(t, 200)
		got := f.send("GET", "/users/"+UserAliceID, tok, nil).want(t, 200).object(t)
		if got["jobTitle"] != "Software Engineer" {
			t.Errorf("jobTitle = %v, want it kept", got["jobTitle"])
		}
	})
}

func TestDatesVariants(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 720_400_000, time.UTC)
	for _, tt := range []struct {
		spec          string
		seeded, added string
	}{
		{"dates=rfc3339", "2024-01-15T09:12:00Z", "2025-03-04T05:06:07Z"},
		{"dates=absorb", "2024-01-15T09:12:00", "2025-03-04T05:06:07.72"},
	} {
		t.Run(tt.spec, func(t *testing.T) {
			v, err := ParseVariants(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			f := setup(t, Options{Variants: v, Now: newClock(at).Now})
			tok := f.login(BridgeAdminUsername)
			alice := f.send("GET", "/users/"+UserAliceID, tok, nil).want(t, 200).object(t)
			if alice["dateAdded"] != tt.seeded {
				t.Errorf("Alice's dateAdded = %v, want %s", alice["dateAdded"], tt.seeded)
			}
			body := newUser("dated@example.com", DeptSalesID)
			body["dateHired"] = "2022-07-27T16:36:50.72"
			body["customFields"] = map[string]any{"datetime1": "2021-05-06"}
			id := f.send("POST", "/users", tok, body).want(t, 201).object(t)["id"].(string)
			u := f.send("GET", "/users/"+id, tok, nil).want(t, 200).object(t)
			if u["dateAdded"] != tt.added || u["dateEdited"] != tt.added {
				t.Errorf("dateAdded %v, dateEdited %v, want %s", u["dateAdded"], u["dateEdited"], tt.added)
			}
			hired, custom := "2022-07-27T16:36:50Z", "2021-05-06T00:00:00Z"
			if v.Dates == "absorb" {
				hired, custom = "2022-07-27T16:36:50.72", "2021-05-06T00:00:00"
			}
			if u["dateHired"] != hired || u["customFields"].(map[string]any)["datetime1"] != custom {
				t.Errorf("dateHired %v, customFields %v; want %s and %s", u["dateHired"], u["customFields"], hired, custom)
			}
			// A date read back is the record's own: a filter from it finds the record.
			filter := "dateEdited ge datetime'" + tt.added + "' and username eq 'dated@example.com'"
			got := f.send("GET", "/users?_filter="+url.QueryEscape(filter), tok, nil).want(t, 200).items(t, "users")
			if len(got) != 1 {
				t.Errorf("%s: %d users, want 1", filter, len(got))
			}
		})
	}
}

func TestFilterPagingVariants(t *testing.T) {
	filtered := "/users?_limit=2&_filter=" + url.QueryEscape("isAdmin eq false")
	for _, tt := range []struct {
		spec      string
		wantPage1 []string
	}{
		{"filterpaging=ok", []string{"carol@example.com", "dave@example.com"}},
		{"filterpaging=broken", []string{}},
	} {
		t.Run(tt.spec, func(t *testing.T) {
			f, tok := variant(t, tt.spec)
			first := f.send("GET", filtered+"&_offset=0", tok, nil).want(t, 200)
			if diff := cmp.Diff([]string{"alice@example.com", "bob@example.com"}, column(first.items(t, "users"), "username")); diff != "" {
				t.Errorf("page 0 (-want +got):\n%s", diff)
			}
			second := f.send("GET", filtered+"&_offset=1", tok, nil).want(t, 200)
			if diff := cmp.Diff(tt.wantPage1, column(second.items(t, "users"), "username")); diff != "" {
				t.Errorf("page 1 (-want +got):\n%s", diff)
			}
			if total := second.object(t)["totalItems"]; total != 4.0 {
				t.Errorf("totalItems = %v, want 4", total)
			}
			// Unfiltered paging works whatever the variant.
			unfiltered := f.send("GET", "/users?_limit=2&_offset=1", tok, nil).want(t, 200)
			if diff := cmp.Diff([]string{ScopedAdminUsername, "alice@example.com"}, column(unfiltered.items(t, "users"), "username")); diff != "" {
				t.Errorf("unfiltered page 1 (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnswersVariants(t *testing.T) {
	t.Run("object", func(t *testing.T) {
		f, tok := variant(t, "answers=object")
		created := f.send("POST", "/users", tok, newUser("obj@example.com", DeptSalesID)).want(t, 201).object(t)
		if created["username"] != "obj@example.com" || created["id"] == "" {
			t.Errorf("create answer = %v", created)
		}
		put := f.send("PUT", "/users/"+UserBobID, tok, newUser("bob@example.com", DeptSalesID)).want(t, 200).object(t)
		if put["id"] != UserBobID || put["lastName"] != "Person" {
			t.Errorf("PUT answer = %v", put)
		}
		e := f.send("POST", "/users/"+UserBobID+"/enrollments/"+CourseNewHireOnboardingID, tok, nil).want(t, 201).object(t)
		if e["courseId"] != CourseNewHireOnboardingID {
			t.Errorf("enroll answer = %v", e)
		}
	})
	t.Run("string", func(t *testing.T) {
		f, tok := variant(t, "answers=string")
		bareID := func(r response) string {
			t.Helper()
			var id string
			if err := json.Unmarshal(r.body, &id); err != nil {
				t.Fatalf("answer is not a JSON string: %s", r.body)
			}
			return id
		}
		id := bareID(f.send("POST", "/users", tok, newUser("str@example.com", DeptSalesID)).want(t, 201))
		if u := f.srv.userByID(id); u == nil || u.Username != "str@example.com" {
			t.Errorf("create answered %q, which is not the new user", id)
		}
		if got := bareID(f.send("PUT", "/users/"+UserBobID, tok, newUser("bob@example.com", DeptSalesID)).want(t, 200)); got != UserBobID {
			t.Errorf("PUT answered %q, want %q", got, UserBobID)
		}
		eid := bareID(f.send("POST", "/users/"+UserBobID+"/enrollments/"+CourseNewHireOnboardingID, tok, nil).want(t, 201))
		e := f.send("GET", "/users/"+UserBobID+"/enrollments/"+CourseNewHireOnboardingID, tok, nil).want(t, 200).object(t)
		if e["id"] != eid {
			t.Errorf("enroll answered %q, the enrollment is %v", eid, e["id"])
		}
		if again := bareID(f.send("POST", "/users/"+UserBobID+"/enrollments/"+CourseNewHireOnboardingID, tok, nil).want(t, 200)); again != eid {
			t.Errorf("enrolling again answered %q, want %q", again, eid)
		}
	})
}

func TestLanguages(t *testing.T) {
	f, tok := variant(t, "")
	langs := f.send("GET", "/languages", tok, nil).want(t, 200).items(t, "languages")
	if len(langs) < 2 || langs[0]["id"] != 1.0 || langs[0]["name"] != "English" {
		t.Fatalf("languages = %v, want English (1) first", langs)
	}
	for _, l := range langs {
		if _, isNumber := l["id"].(float64); !isNumber || l["name"] == "" || l["code"] == "" {
			t.Errorf("language %v: want a numeric id, a name and a code", l)
		}
	}
	got := f.send("GET", "/languages?_filter="+url.QueryEscape("code eq 'fr-CA'"), tok, nil).want(t, 200).items(t, "languages")
	if len(got) != 1 || got[0]["name"] != "French (Canada)" {
		t.Errorf("code eq 'fr-CA' = %v", got)
	}
	f.send("GET", "/languages", "", nil).want(t, 401)
}
