package scim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequestBodies sends arbitrary bodies to every endpoint that decodes
// one (POST and PUT of users and groups, PATCH of both, the searches) and
// requires a well-formed SCIM answer that is never a 500 and never a panic
// (the recover middleware would turn a panic into a 500).
func FuzzRequestBodies(f *testing.F) {
	seeds := []string{
		entraUser,
		oktaUser,
		`{"userName":"a","active":"True","emails":[{"Primary":"False","value":"x"}]}`,
		`{"userName":"a","name":null,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m"}}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"name.givenName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"1"}}]}`,
		`{"Operations":[{"op":"remove","path":"members[value eq \"x\"]"}]}`,
		`{"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"x"}]}]}`,
		`{"Operations":[{"op":"add","path":"emails[type eq \"work\"].value","value":7}]}`,
		`{"Operations":[{"op":"add","path":"members","value":"x"}]}`,
		`{"filter":"userName eq \"a\"","startIndex":"2","count":1e3,"attributes":"userName,emails"}`,
		`{"displayName":"g","members":[{"value":"u"},{"value":null},7]}`,
		`{"Operations":[{"op":"add","path":"a[b[c eq 1]]","value":{}}]}`,
		`[]`, `null`, `"x"`, `{`, `{"a":1}{`, "\xff\xfe", `{"userName":{"userName":"x"}}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	e := newEnv(f)
	uid := e.createUser(f, userJSON("fuzz@example.com"))
	gid := e.createGroup(f, `{"displayName":"fuzz","members":[{"value":"`+uid+`"}]}`)
	s, err := New(Options{BaseURL: testBase, Users: e.mem, Groups: e.mem, MaxBodyBytes: 64 << 10})
	if err != nil {
		f.Fatal(err)
	}
	targets := []struct{ method, path string }{
		{http.MethodPost, "/Users"},
		{http.MethodPut, "/Users/" + uid},
		{http.MethodPatch, "/Users/" + uid + "?attributes=userName,emails"},
		{http.MethodPost, "/Users/.search"},
		{http.MethodPost, "/Groups"},
		{http.MethodPut, "/Groups/" + gid},
		{http.MethodPatch, "/Groups/" + gid},
		{http.MethodPatch, "/Groups/" + gid + "?excludedAttributes=members"},
		{http.MethodPost, "/Groups/.search"},
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, tg := range targets {
			w := httptest.NewRecorder()
			req := httptest.NewRequest(tg.method, tg.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/scim+json")
			s.ServeHTTP(w, req)
			if w.Code >= 500 {
				t.Fatalf("%s %s: status %d for body %q: %s", tg.method, tg.path, w.Code, body, w.Body)
			}
			if w.Code != http.StatusNoContent && w.Header().Get("Content-Type") != contentType {
				t.Fatalf("%s %s: Content-Type %q", tg.method, tg.path, w.Header().Get("Content-Type"))
			}
		}
	})
}
