package fakeabsorb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchServer is a seeded Server without a rate limit and the bridge admin's
// token, for benchmarks that call ServeHTTP directly.
func benchServer(b *testing.B) (*Server, string) {
	b.Helper()
	s, err := New(Options{RateLimit: -1, RandSeed: 1})
	if err != nil {
		b.Fatal(err)
	}
	login, _ := json.Marshal(map[string]string{"username": BridgeAdminUsername, "password": AdminPassword, "privateKey": PrivateKey})
	w := serveBench(s, "", http.MethodPost, "/authenticate", login)
	var tok string
	if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil || w.Code != http.StatusOK {
		b.Fatalf("login: %d %s", w.Code, w.Body)
	}
	return s, tok
}

func serveBench(s *Server, tok, method, target string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	req.Header.Set("x-api-key", PrivateKey)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

// benchUserBody is a PUT body as the bridge sends one: the user as read,
// with a changed job title.
func benchUserBody(b *testing.B) []byte {
	b.Helper()
	body, err := json.Marshal(map[string]any{
		"id": UserAliceID, "departmentId": DeptEngineeringID, "firstName": "Alice", "lastName": "Anderson",
		"username": "alice@example.com", "emailAddress": "alice@example.com", "externalId": "emp-1001",
		"employeeNumber": "1001", "jobTitle": "Staff Engineer", "phone": "+1 555 0101",
		"dateAdded": "2024-01-15T09:12:00Z", "dateEdited": "2024-01-15T09:12:00Z",
		"customFields": map[string]any{"string1": "blue"},
		"activeStatus": 0, "isLearner": true, "isAdmin": false, "isInstructor": false, "isManager": false, "hasUsername": true,
	})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkGetUser is GET /users/{id} of a seeded learner, through ServeHTTP.
func BenchmarkGetUser(b *testing.B) {
	s, tok := benchServer(b)
	for b.Loop() {
		if w := serveBench(s, tok, http.MethodGet, "/users/"+UserAliceID, nil); w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkReplaceUser is PUT /users/{id}, the upstream call of a SCIM
// PATCH, through ServeHTTP.
func BenchmarkReplaceUser(b *testing.B) {
	s, tok := benchServer(b)
	body := benchUserBody(b)
	for b.Loop() {
		if w := serveBench(s, tok, http.MethodPut, "/users/"+UserAliceID, body); w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkUploadUsers is POST /users/upload of 50 updates of existing
// users, matched by username, through ServeHTTP.
func BenchmarkUploadUsers(b *testing.B) {
	s, tok := benchServer(b)
	elems := make([]map[string]any, 50)
	for i := range elems {
		name := fmt.Sprintf("upload%d@example.com", i)
		elems[i] = map[string]any{
			"username": name, "emailAddress": name, "password": "Load#User2024",
			"firstName": "Up", "lastName": fmt.Sprintf("Load%d", i), "externalId": fmt.Sprintf("ext-%04d", i),
			"departmentId": DeptEngineeringID, "activeStatus": 0, "isLearner": true, "hasUsername": true,
		}
	}
	body, err := json.Marshal(elems)
	if err != nil {
		b.Fatal(err)
	}
	serveBench(s, tok, http.MethodPost, "/users/upload", body) // creates them
	for b.Loop() {
		if w := serveBench(s, tok, http.MethodPost, "/users/upload", body); w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkDecodeUserInput decodes a PUT body as the bridge sends one, with
// json.Unmarshal and with decodeUserInput.
func BenchmarkDecodeUserInput(b *testing.B) {
	body := benchUserBody(b)
	b.Run("json.Unmarshal", func(b *testing.B) {
		for b.Loop() {
			var in userInput
			if err := json.Unmarshal(body, &in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decodeUserInput", func(b *testing.B) {
		for b.Loop() {
			var in userInput
			if err := decodeUserInput(body, &in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
