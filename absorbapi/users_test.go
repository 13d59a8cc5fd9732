package absorbapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// userStub is a stub route for POST and GET /users. post decides each
// POST's fate: its status, and whether the user is stored first.
type userStub struct {
	mu       sync.Mutex
	users    []User
	posts    int
	post     func(n int) (status int, commit bool, body any)
	getFails bool
}

func (s *userStub) route(w http.ResponseWriter, r *http.Request, tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/users":
		var u User
		_ = json.NewDecoder(r.Body).Decode(&u)
		s.posts++
		status, commit, body := s.post(s.posts)
		if commit {
			u.ID = "id-" + u.Username
			u.Password = ""
			s.users = append(s.users, u)
			if body == nil {
				body = map[string]string{"id": u.ID, "username": u.Username}
			}
		}
		writeJSON(w, status, body)
	case r.Method == http.MethodGet && r.URL.Path == "/users":
		if s.getFails {
			writeJSON(w, 503, map[string]string{"message": "Service Unavailable"})
			return
		}
		var found []User
		for _, u := range s.users {
			// Absorb compares without regard to case, as SQL Server does.
			if strings.Contains(strings.ToLower(r.URL.Query().Get("_filter")), "'"+strings.ToLower(u.Username)+"'") {
				found = append(found, u)
			}
		}
		writeJSON(w, 200, map[string]any{"totalItems": len(found), "returnedItems": len(found), "users": found})
	default:
		writeJSON(w, 404, map[string]string{"message": "no route"})
	}
}

func TestCreateUserAfterAmbiguousFailure(t *testing.T) {
	fail := map[string]string{"message": "Internal Server Error"}
	tests := []struct {
		name      string
		post      func(n int) (int, bool, any)
		getFails  bool
		wantID    string
		wantPosts int
		wantErr   func(error) bool
	}{
		{
			name:   "committed before the failure",
			post:   func(int) (int, bool, any) { return 500, true, fail },
			wantID: "id-jdoe", wantPosts: 1,
		},
		{
			name: "not committed, then created",
			post: func(n int) (int, bool, any) {
				if n == 1 {
					return 500, false, fail
				}
				return 201, true, nil
			},
			wantID: "id-jdoe", wantPosts: 2,
		},
		{
			name:      "lookup fails: outcome unknown, no second post",
			post:      func(int) (int, bool, any) { return 500, false, fail },
			getFails:  true,
			wantPosts: 1, wantErr: IsUnavailable,
		},
		{
			name:      "never committed",
			post:      func(int) (int, bool, any) { return 503, false, fail },
			wantPosts: 3,
			wantErr: func(err error) bool {
				var ue *UnavailableError
				return errors.As(err, &ue) && ue.Attempts == 3
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			us := &userStub{post: tt.post, getFails: tt.getFails}
			c := newStubClient(t, &stub{route: us.route}, func(c *Config) { c.MaxAttempts = 3 })
			got, err := c.CreateUser(context.Background(), User{Username: "jdoe", Password: "Initial-Pw-9", FirstName: "J", LastName: "Doe", DepartmentID: "d1"})
			if tt.wantErr != nil {
				if err == nil || !tt.wantErr(err) {
					t.Fatalf("CreateUser error = %v, not the expected kind", err)
				}
				if strings.Contains(err.Error(), "Initial-Pw-9") {
					t.Errorf("error %q contains the user's password", err)
				}
			} else {
				if err != nil {
					t.Fatalf("CreateUser: %v", err)
				}
				if got.ID != tt.wantID || got.Password != "" || got.Username != "jdoe" {
					t.Errorf("CreateUser = %+v, want id %s and no password", got, tt.wantID)
				}
			}
			if us.posts != tt.wantPosts {
				t.Errorf("POSTs = %d, want %d", us.posts, tt.wantPosts)
			}
			if len(us.users) > 1 {
				t.Errorf("%d users stored, want at most 1", len(us.users))
			}
		})
	}
}

func TestCreateUserRefused(t *testing.T) {
	validation := func(msg string) map[string]any {
		return map[string]any{
			"code": 422, "message": "Submitted resource cannot be processed due to semantic errors",
			"validations": map[string]any{"0": []map[string]string{{"message": msg}}},
		}
	}
	tests := []struct {
		name    string
		visible []User
		body    any
		want    error
	}{
		{
			name: "holder visible", visible: []User{{ID: "u9", Username: "JDoe"}},
			body: validation("Username already exists."),
			want: &ConflictError{Username: "jdoe", ExistingID: "u9"},
		},
		{
			name: "holder hidden by scope", body: validation("Username already exists."),
			want: &ConflictError{Username: "jdoe", Hidden: true},
		},
		{
			name: "other validation", body: validation("The LastName field is required."),
			want: &ValidationError{Status: 422, Message: "Submitted resource cannot be processed due to semantic errors", Messages: []string{"The LastName field is required."}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			us := &userStub{users: tt.visible, post: func(int) (int, bool, any) { return 422, false, tt.body }}
			c := newStubClient(t, &stub{route: us.route}, nil)
			_, err := c.CreateUser(context.Background(), User{Username: "jdoe", FirstName: "J", DepartmentID: "d1"})
			var got error
			var ce *ConflictError
			var ve *ValidationError
			switch {
			case errors.As(err, &ce):
				got = ce
			case errors.As(err, &ve):
				got = ve
			default:
				t.Fatalf("CreateUser error = %v, want conflict or validation", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if us.posts != 1 {
				t.Errorf("POSTs = %d, want 1", us.posts)
			}
		})
	}
}

func TestUpdateUserRequiresID(t *testing.T) {
	c := newStubClient(t, &stub{route: func(w http.ResponseWriter, r *http.Request, tok string) {
		t.Error("request sent for a user without id")
	}}, nil)
	if _, err := c.UpdateUser(context.Background(), User{Username: "x"}); !IsValidation(err) {
		t.Errorf("UpdateUser error = %v, want validation", err)
	}
	if _, err := c.CreateUser(context.Background(), User{FirstName: "x"}); !IsValidation(err) {
		t.Errorf("CreateUser without username error = %v, want validation", err)
	}
}

func TestUploadUsersBatchFailures(t *testing.T) {
	var (
		mu    sync.Mutex
		sizes []int
	)
	s := &stub{route: func(w http.ResponseWriter, r *http.Request, tok string) {
		var in []User
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			t.Errorf("decode upload: %v", err)
		}
		mu.Lock()
		sizes = append(sizes, len(in))
		n := len(sizes)
		mu.Unlock()
		switch n {
		case 2: // the second batch is refused as a whole
			writeJSON(w, 422, map[string]any{"validations": map[string]any{"0": []map[string]string{{"message": "bad batch"}}}})
		default:
			var out []map[string]string
			for _, u := range in {
				if !strings.HasPrefix(u.Username, "bad") {
					// Absorb's answer need not keep the case of the username.
					out = append(out, map[string]string{"key": "id-" + u.Username, "value": strings.ToUpper(u.Username)})
				}
			}
			writeJSON(w, 200, out)
		}
	}}
	c := newStubClient(t, s, nil)
	users := make([]User, 0, 450)
	for i := range 450 {
		name := "user" + itoa(i)
		if i == 7 {
			name = "bad-seven"
		}
		users = append(users, User{Username: name})
	}
	res, err := c.UploadUsers(context.Background(), users)
	if err != nil {
		t.Fatalf("UploadUsers: %v", err)
	}
	if diff := cmp.Diff([]int{200, 200, 50}, sizes); diff != "" {
		t.Errorf("batch sizes mismatch (-want +got):\n%s", diff)
	}
	if len(res) != len(users) {
		t.Fatalf("%d results for %d users", len(res), len(users))
	}
	for i, r := range res {
		if r.Username != users[i].Username {
			t.Fatalf("result %d is for %q, want %q", i, r.Username, users[i].Username)
		}
		switch {
		case i == 7:
			if r.OK || !errors.Is(r.Err, ErrUploadRejected) {
				t.Errorf("result %d = %+v, want rejected", i, r)
			}
		case i >= 200 && i < 400:
			if r.OK || !IsValidation(r.Err) {
				t.Errorf("result %d = %+v, want the batch's validation error", i, r)
			}
		default:
			if !r.OK || r.ID != "id-"+users[i].Username || r.Err != nil {
				t.Errorf("result %d = %+v, want OK", i, r)
			}
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
