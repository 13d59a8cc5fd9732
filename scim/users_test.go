package scim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCreateUser(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, http.MethodPost, "/Users", `{
		"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"userName":"bjensen@example.com","externalId":"ext-1","active":true,
		"name":{"givenName":"Barbara","familyName":"Jensen"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Tour Operations"},
		"password":"t1meMa$heen",
		"meta":{"resourceType":"User","created":"1999-01-01T00:00:00Z"}}`,
		"Host", "evil.example.net", "X-Forwarded-Host", "evil.example.net")
	m := expect(t, r, http.StatusCreated)
	id := m["id"].(string)
	if got, want := r.header.Get("Location"), testBase+"/Users/"+id; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	meta, _ := m["meta"].(map[string]any)
	if got := r.header.Get("ETag"); got == "" || got != meta["version"] {
		t.Errorf("ETag = %q, meta.version = %v", got, meta["version"])
	}
	wantMeta := map[string]any{
		"resourceType": "User",
		"location":     testBase + "/Users/" + id,
		"version":      r.header.Get("ETag"),
		"created":      "2024-05-01T12:00:01.000Z",
		"lastModified": "2024-05-01T12:00:01.000Z",
	}
	if diff := cmp.Diff(wantMeta, meta); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
	wantSchemas := []any{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}
	if diff := cmp.Diff(wantSchemas, m["schemas"]); diff != "" {
		t.Errorf("schemas (-want +got):\n%s", diff)
	}
	if _, ok := m["password"]; ok {
		t.Errorf("password rendered: %s", r.body)
	}
	if strings.Contains(string(r.body), "t1meMa$heen") || strings.Contains(string(r.body), "evil.example.net") {
		t.Errorf("body leaks the password or the Host: %s", r.body)
	}
	if m["userName"] != "bjensen@example.com" || m["externalId"] != "ext-1" || m["active"] != true {
		t.Errorf("attributes not kept: %s", r.body)
	}
}

func TestCreateUserRejections(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, body string
		status     int
		scimType   string
		detailHas  string
	}{
		{"missing userName", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"active":true}`, 400, "invalidValue", "userName is required"},
		{"blank userName", `{"userName":"  "}`, 400, "invalidValue", "userName is required"},
		{"broken JSON", `{"userName":"a",}`, 400, "invalidSyntax", "line 1, column"},
		{"broken JSON on a later line", "{\n\"userName\": \"a\"\n\"active\": true}", 400, "invalidSyntax", "line 3"},
		{"truncated JSON", `{"userName":"a"`, 400, "invalidSyntax", "ends early"},
		{"array body", `[{"userName":"a"}]`, 400, "invalidSyntax", "JSON object"},
		{"trailing data", `{"userName":"a"} {"userName":"b"}`, 400, "invalidSyntax", "after the end"},
		{"empty body", ` `, 400, "invalidSyntax", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			detail := expectError(t, e.do(t, http.MethodPost, "/Users", tt.body), tt.status, tt.scimType)
			if !strings.Contains(detail, tt.detailHas) {
				t.Errorf("detail %q lacks %q", detail, tt.detailHas)
			}
		})
	}
}

func TestGetUserETag(t *testing.T) {
	e := newEnv(t)
	id := e.createUser(t, userJSON("etag@example.com"))
	r := e.do(t, http.MethodGet, "/Users/"+id, "")
	m := expect(t, r, http.StatusOK)
	etag := r.header.Get("ETag")
	if etag != `W/"1"` || m["meta"].(map[string]any)["version"] != etag {
		t.Fatalf("ETag = %q, meta = %v", etag, m["meta"])
	}
	tests := []struct {
		name, inm string
		status    int
	}{
		{"current", etag, http.StatusNotModified},
		{"strong form of the current tag", `"1"`, http.StatusNotModified},
		{"list holding it", `W/"7", ` + etag, http.StatusNotModified},
		{"star", `*`, http.StatusNotModified},
		{"stale", `W/"0"`, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, http.MethodGet, "/Users/"+id, "", "If-None-Match", tt.inm)
			expect(t, r, tt.status)
			if got := r.header.Get("ETag"); got != etag {
				t.Errorf("ETag = %q, want %q", got, etag)
			}
		})
	}
}

func TestUserNotFound(t *testing.T) {
	e := newEnv(t)
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			body := ""
			switch method {
			case http.MethodPut:
				body = userJSON("nobody@example.com")
			case http.MethodPatch:
				body = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`
			}
			detail := expectError(t, e.do(t, method, "/Users/5d48a0a8e9f04aa38008", body), http.StatusNotFound, "")
			if !strings.Contains(detail, "5d48a0a8e9f04aa38008") {
				t.Errorf("detail %q does not name the id", detail)
			}
		})
	}
}

func TestReplaceUser(t *testing.T) {
	e := newEnv(t)
	id := e.createUser(t, `{"userName":"put@example.com","active":true,"title":"Clerk"}`)
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"` + id + `","userName":"put@example.com","active":false,"groups":[],"meta":{"resourceType":"User"}}`

	t.Run("stale If-Match", func(t *testing.T) {
		expectError(t, e.do(t, http.MethodPut, "/Users/"+id, body, "If-Match", `W/"9"`), http.StatusPreconditionFailed, "")
	})
	t.Run("missing userName", func(t *testing.T) {
		detail := expectError(t, e.do(t, http.MethodPut, "/Users/"+id, `{"active":true}`), http.StatusBadRequest, "invalidValue")
		if detail != "userName is required" {
			t.Errorf("detail = %q", detail)
		}
	})
	t.Run("current If-Match", func(t *testing.T) {
		r := e.do(t, http.MethodPut, "/Users/"+id, body, "If-Match", `W/"1"`)
		m := expect(t, r, http.StatusOK)
		if m["active"] != false || m["title"] != nil {
			t.Errorf("not replaced: %s", r.body)
		}
		if got := r.header.Get("ETag"); got != `W/"2"` {
			t.Errorf("ETag = %q", got)
		}
	})
}

func TestPatchUser(t *testing.T) {
	e := newEnv(t)
	id := e.createUser(t, `{"userName":"patch@example.com","active":true,"name":{"givenName":"A","familyName":"B"}}`)
	t.Run("applies and answers 200 with the user", func(t *testing.T) {
		r := e.do(t, http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Replace","path":"name.familyName","value":"C"},{"op":"replace","path":"active","value":false}]}`)
		m := expect(t, r, http.StatusOK)
		if m["active"] != false || m["name"].(map[string]any)["familyName"] != "C" {
			t.Errorf("patch not applied: %s", r.body)
		}
		if r.header.Get("ETag") != `W/"2"` {
			t.Errorf("ETag = %q", r.header.Get("ETag"))
		}
	})
	t.Run("projected answer", func(t *testing.T) {
		r := e.do(t, http.MethodPatch, "/Users/"+id+"?attributes=active", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","path":"active","value":true}]}`)
		m := expect(t, r, http.StatusOK)
		if diff := cmp.Diff([]string{"active", "id", "schemas"}, keys(m)); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
	})
	t.Run("stale If-Match", func(t *testing.T) {
		expectError(t, e.do(t, http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","path":"active","value":true}]}`, "If-Match", `W/"1"`), http.StatusPreconditionFailed, "")
	})
	t.Run("malformed patch", func(t *testing.T) {
		expectError(t, e.do(t, http.MethodPatch, "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"frobnicate","path":"active"}]}`),
			http.StatusBadRequest, "invalidSyntax")
	})
	t.Run("broken JSON", func(t *testing.T) {
		detail := expectError(t, e.do(t, http.MethodPatch, "/Users/"+id, "{\"Operations\":[\n{\"op\":\"add\" \"path\":\"x\"}]}"), http.StatusBadRequest, "invalidSyntax")
		if !strings.Contains(detail, "line 2, column") {
			t.Errorf("detail %q does not say where", detail)
		}
	})
}

func TestDeleteUser(t *testing.T) {
	e := newEnv(t)
	id := e.createUser(t, userJSON("del@example.com"))
	expectError(t, e.do(t, http.MethodDelete, "/Users/"+id, "", "If-Match", `W/"5"`), http.StatusPreconditionFailed, "")
	expect(t, e.do(t, http.MethodDelete, "/Users/"+id, ""), http.StatusNoContent)
	expectError(t, e.do(t, http.MethodGet, "/Users/"+id, ""), http.StatusNotFound, "")
	expectError(t, e.do(t, http.MethodDelete, "/Users/"+id, ""), http.StatusNotFound, "")
}

func TestUserProjection(t *testing.T) {
	e := newEnv(t)
	id := e.createUser(t, `{"userName":"proj@example.com","active":true,"displayName":"P","password":"secret-pw",
		"emails":[{"type":"work","value":"w@example.com"},{"type":"home","value":"h@example.com"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"42"}}`)
	tests := []struct {
		name, query string
		want        []string
	}{
		{"none", "", []string{"active", "displayName", "emails", "id", "meta", "schemas", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "userName"}},
		{"attributes keep id", "?attributes=userName", []string{"id", "schemas", "userName"}},
		{"attributes id only", "?attributes=id", []string{"id", "schemas"}},
		{"attributes meta", "?attributes=userName,meta", []string{"id", "meta", "schemas", "userName"}},
		{"attributes password stays hidden", "?attributes=password,userName", []string{"id", "schemas", "userName"}},
		{"attributes with a value filter", `?attributes=emails[type eq "work"]`, []string{"emails", "id", "schemas"}},
		{"extension attribute", "?attributes=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", []string{"id", "schemas", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}},
		{"excluded", "?excludedAttributes=emails,meta,displayName", []string{"active", "id", "schemas", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "userName"}},
		{"excluding id keeps it", "?excludedAttributes=id", []string{"active", "displayName", "emails", "id", "meta", "schemas", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "userName"}},
		{"case-insensitive names", "?attributes=USERNAME", []string{"id", "schemas", "userName"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := expect(t, e.do(t, http.MethodGet, "/Users/"+id+tt.query, ""), http.StatusOK)
			if diff := cmp.Diff(tt.want, keys(m)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			if m["id"] != id {
				t.Errorf("id = %v", m["id"])
			}
		})
	}
	t.Run("extension excluded drops its URN from schemas", func(t *testing.T) {
		m := expect(t, e.do(t, http.MethodGet, "/Users/"+id+"?attributes=userName", ""), http.StatusOK)
		if diff := cmp.Diff([]any{"urn:ietf:params:scim:schemas:core:2.0:User"}, m["schemas"]); diff != "" {
			t.Errorf("schemas (-want +got):\n%s", diff)
		}
	})
	t.Run("filtered emails", func(t *testing.T) {
		m := expect(t, e.do(t, http.MethodGet, `/Users/`+id+`?attributes=emails[type eq "work"]`, ""), http.StatusOK)
		emails, _ := m["emails"].([]any)
		if len(emails) == 0 {
			t.Fatalf("no emails: %v", m)
		}
	})
	t.Run("projection on create", func(t *testing.T) {
		r := e.do(t, http.MethodPost, "/Users?attributes=userName", userJSON("proj2@example.com"))
		if diff := cmp.Diff([]string{"id", "schemas", "userName"}, keys(expect(t, r, http.StatusCreated))); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
	})
}

func TestListUsers(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, e.createUser(t, fmt.Sprintf(`{"userName":"user%d@example.com","displayName":"User %d","active":%v}`, i, 6-i, i%2 == 0)))
	}
	tests := []struct {
		name       string
		query      string
		total      int
		startIndex int
		ids        []string
	}{
		{"defaults", "", 7, 1, ids},
		{"page", "?startIndex=3&count=2", 7, 3, ids[2:4]},
		{"start below one", "?startIndex=-4&count=2", 7, 1, ids[:2]},
		{"start zero", "?startIndex=0&count=1", 7, 1, ids[:1]},
		{"negative count", "?count=-1", 7, 1, nil},
		{"zero count", "?count=0", 7, 1, nil},
		{"past the end", "?startIndex=50", 7, 50, nil},
		{"filter", `?filter=userName eq "USER3@example.com"`, 1, 1, ids[3:4]},
		{"filter and paging", `?filter=active eq true&startIndex=2&count=2`, 4, 2, []string{ids[2], ids[4]}},
		{"sort descending", `?sortBy=displayName&sortOrder=DESCENDING&count=3`, 7, 1, []string{ids[0], ids[1], ids[2]}},
		{"sort ascending", `?sortBy=displayName&sortOrder=Ascending&count=2`, 7, 1, []string{ids[6], ids[5]}},
		{"sort without order", `?sortBy=displayName&count=1`, 7, 1, []string{ids[6]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := expect(t, e.do(t, http.MethodGet, "/Users"+tt.query, ""), http.StatusOK)
			checkList(t, m, tt.total, tt.startIndex, tt.ids)
		})
	}
	t.Run("count capped at MaxResults", func(t *testing.T) {
		e := newEnv(t, func(o *Options) { o.MaxResults = 3 })
		for i := 0; i < 5; i++ {
			e.createUser(t, userJSON(fmt.Sprintf("cap%d@example.com", i)))
		}
		for _, q := range []string{"", "?count=100"} {
			m := expect(t, e.do(t, http.MethodGet, "/Users"+q, ""), http.StatusOK)
			if m["itemsPerPage"] != 3.0 || m["totalResults"] != 5.0 {
				t.Errorf("%q: itemsPerPage %v, totalResults %v", q, m["itemsPerPage"], m["totalResults"])
			}
		}
	})
	t.Run("rejections", func(t *testing.T) {
		for _, tc := range []struct{ query, scimType string }{
			{`?filter=userName eq`, "invalidFilter"},
			{`?filter=userName xx "a"`, "invalidFilter"},
			{`?filter=active gt true`, "invalidFilter"},
			{"?filter=" + strings.Repeat("a", 5000) + ` eq "x"`, "invalidFilter"},
			{`?count=ten`, "invalidValue"},
			{`?startIndex=1.5`, "invalidValue"},
			{`?sortOrder=sideways`, "invalidValue"},
		} {
			expectError(t, e.do(t, http.MethodGet, "/Users"+tc.query, ""), http.StatusBadRequest, tc.scimType)
		}
	})
	t.Run("projection in lists", func(t *testing.T) {
		m := expect(t, e.do(t, http.MethodGet, "/Users?attributes=userName&count=1", ""), http.StatusOK)
		res := m["Resources"].([]any)[0].(map[string]any)
		if diff := cmp.Diff([]string{"id", "schemas", "userName"}, keys(res)); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
	})
}

func TestSearchUsers(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := 0; i < 4; i++ {
		ids = append(ids, e.createUser(t, fmt.Sprintf(`{"userName":"s%d@example.com","displayName":"S %d"}`, i, 3-i)))
	}
	tests := []struct {
		name, body string
		total      int
		startIndex int
		ids        []string
		keys       []string
	}{
		{"empty request", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}`, 4, 1, ids, nil},
		{"filter, paging and projection", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
			"attributes":["displayName"],"filter":"userName sw \"s\"","startIndex":2,"count":2}`, 4, 2, ids[1:3], []string{"displayName", "id", "schemas"}},
		{"sort and excluded attributes", `{"sortBy":"displayName","sortOrder":"descending","excludedAttributes":"meta,displayName","count":"1"}`, 4, 1, ids[:1],
			[]string{"id", "schemas", "userName"}},
		{"clamping", `{"startIndex":0,"count":-5}`, 4, 1, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := expect(t, e.do(t, http.MethodPost, "/Users/.search", tt.body), http.StatusOK)
			checkList(t, m, tt.total, tt.startIndex, tt.ids)
			if tt.keys != nil {
				for _, r := range m["Resources"].([]any) {
					if diff := cmp.Diff(tt.keys, keys(r.(map[string]any))); diff != "" {
						t.Errorf("keys (-want +got):\n%s", diff)
					}
				}
			}
		})
	}
	for _, tc := range []struct{ name, body, scimType string }{
		{"bad filter", `{"filter":"userName eq"}`, "invalidFilter"},
		{"fractional count", `{"count":1.5}`, "invalidValue"},
		{"count of the wrong type", `{"count":true}`, "invalidValue"},
		{"attributes of the wrong type", `{"attributes":[1]}`, "invalidValue"},
		{"broken JSON", `{"filter":`, "invalidSyntax"},
		{"filter of the wrong type", `{"filter":7}`, "invalidSyntax"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, e.do(t, http.MethodPost, "/Users/.search", tc.body), http.StatusBadRequest, tc.scimType)
		})
	}
}

func TestOktaPaginationStable(t *testing.T) {
	e := newEnv(t)
	want := map[string]bool{}
	for i := 0; i < 250; i++ {
		want[e.createUser(t, userJSON(fmt.Sprintf("okta%03d@example.com", i)))] = true
	}
	// Okta imports with count=100 and startIndex += 100 (O-4).
	var got []string
	for start := 1; start <= 250; start += 100 {
		r := e.do(t, http.MethodGet, fmt.Sprintf("/Users?startIndex=%d&count=100", start), "", "User-Agent", "Okta SCIM Client 1.0.0")
		m := expect(t, r, http.StatusOK)
		for _, field := range []string{`"totalResults":250`, fmt.Sprintf(`"startIndex":%d`, start)} {
			if !strings.Contains(string(r.body), field) {
				t.Errorf("page %d lacks integer %s", start, field)
			}
		}
		n := min(100, 250-start+1)
		if !strings.Contains(string(r.body), fmt.Sprintf(`"itemsPerPage":%d`, n)) {
			t.Errorf("page %d: itemsPerPage is not the integer %d", start, n)
		}
		for _, res := range m["Resources"].([]any) {
			got = append(got, res.(map[string]any)["id"].(string))
		}
	}
	if len(got) != 250 {
		t.Fatalf("got %d users over the pages, want 250", len(got))
	}
	seen := map[string]bool{}
	for i, id := range got {
		if seen[id] || !want[id] {
			t.Fatalf("page item %d (%s) repeated or unknown", i, id)
		}
		seen[id] = true
		if i > 0 && got[i-1] > id {
			t.Fatalf("order not stable at %d", i)
		}
	}
}

// checkList checks a ListResponse: schemas, integer counts, itemsPerPage =
// resources returned, Resources never null, and the ids in order.
func checkList(t *testing.T, m map[string]any, total, startIndex int, ids []string) {
	t.Helper()
	if diff := cmp.Diff([]any{"urn:ietf:params:scim:api:messages:2.0:ListResponse"}, m["schemas"]); diff != "" {
		t.Errorf("schemas (-want +got):\n%s", diff)
	}
	res, ok := m["Resources"].([]any)
	if !ok {
		t.Fatalf("Resources = %#v, want an array", m["Resources"])
	}
	if m["totalResults"] != float64(total) || m["startIndex"] != float64(startIndex) || m["itemsPerPage"] != float64(len(res)) {
		t.Errorf("totalResults %v startIndex %v itemsPerPage %v, want %d %d %d", m["totalResults"], m["startIndex"], m["itemsPerPage"], total, startIndex, len(res))
	}
	got := []string{}
	for _, r := range res {
		got = append(got, r.(map[string]any)["id"].(string))
	}
	if ids == nil {
		ids = []string{}
	}
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

// keys returns the sorted keys of m.
func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A body naming its schemas must name the endpoint's core schema (RFC 7643
// §3); one without "schemas" is taken as the endpoint's.
func TestResourceSchemasMustMatchTheEndpoint(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path, body string
		want       int
	}{
		{"/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"userName":"g@example.com"}`, http.StatusBadRequest},
		{"/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"Team"}`, http.StatusBadRequest},
		{"/Users", `{"schemas":"urn:ietf:params:scim:schemas:core:2.0:User","userName":"s@example.com"}`, http.StatusBadRequest},
		{"/Users", `{"schemas":["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"],"userName":"u@example.com"}`, http.StatusCreated},
		{"/Users", `{"userName":"none@example.com"}`, http.StatusCreated},
	} {
		if res := e.do(t, http.MethodPost, tc.path, tc.body); res.status != tc.want {
			t.Errorf("POST %s %s: status %d, want %d: %s", tc.path, tc.body, res.status, tc.want, res.body)
		}
	}
}
