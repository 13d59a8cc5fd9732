package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oneByOne is a BulkBackend that runs each operation through the memory
// backend's single-resource methods, and records the operations of each
// call so tests can see what the HTTP layer handed over together.
type oneByOne struct {
	mem   *memory
	mu    sync.Mutex
	calls [][]string // per call, "METHOD Resource" of each operation
}

var _ BulkBackend = (*oneByOne)(nil)

func (b *oneByOne) Bulk(ctx context.Context, ops []BulkOperation, maxErrors int) []BulkResult {
	var call []string
	for _, op := range ops {
		call = append(call, op.Method+" "+op.Resource)
	}
	b.mu.Lock()
	b.calls = append(b.calls, call)
	b.mu.Unlock()
	var (
		out      []BulkResult
		failures int
	)
	for _, op := range ops {
		var r BulkResult
		switch op.Resource + " " + op.Method {
		case "User POST":
			r.Resource, r.Err = b.mem.CreateUser(ctx, op.Doc)
		case "User PUT":
			r.Resource, r.Err = b.mem.ReplaceUser(ctx, op.ID, op.Doc, op.Pre)
		case "User PATCH":
			r.Resource, r.Err = b.mem.PatchUser(ctx, op.ID, op.Pre, op.Patch)
		case "User DELETE":
			r.Err = b.mem.DeleteUser(ctx, op.ID, op.Pre)
		case "Group POST":
			r.Resource, r.Err = b.mem.CreateGroup(ctx, op.Doc)
		case "Group PUT":
			r.Resource, r.Err = b.mem.ReplaceGroup(ctx, op.ID, op.Doc, op.Pre)
		case "Group PATCH":
			r.Resource, r.Err = b.mem.PatchGroup(ctx, op.ID, op.Pre, op.Patch)
		case "Group DELETE":
			r.Err = b.mem.DeleteGroup(ctx, op.ID, op.Pre)
		default:
			r.Err = fmt.Errorf("unexpected operation %s %s", op.Method, op.Resource)
		}
		out = append(out, r)
		if r.Err != nil {
			failures++
			if maxErrors > 0 && failures >= maxErrors {
				break
			}
		}
	}
	return out
}

func newBulkEnv(t *testing.T, change ...func(*Options)) (*env, *oneByOne) {
	t.Helper()
	var bk *oneByOne
	e := newEnv(t, append([]func(*Options){func(o *Options) {
		bk = &oneByOne{mem: o.Users.(*memory)}
		o.Bulk = bk
	}}, change...)...)
	return e, bk
}

// bulkBody builds a BulkRequest from operations written as JSON objects.
func bulkBody(failOnErrors int, ops ...string) string {
	fo := ""
	if failOnErrors > 0 {
		fo = fmt.Sprintf(`"failOnErrors":%d,`, failOnErrors)
	}
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],` + fo +
		`"Operations":[` + strings.Join(ops, ",") + `]}`
}

func postUserOp(bulkID, userName string) string {
	return `{"method":"POST","path":"/Users","bulkId":` + quote(bulkID) + `,"data":` + userJSON(userName) + `}`
}

// bulkOps posts a bulk request, expects 200 and returns its Operations.
func bulkOps(t *testing.T, e *env, body string) []map[string]any {
	t.Helper()
	m := expect(t, e.do(t, http.MethodPost, "/Bulk", body), http.StatusOK)
	if got, want := m["schemas"], []any{"urn:ietf:params:scim:api:messages:2.0:BulkResponse"}; !equalJSON(got, want) {
		t.Errorf("schemas = %v, want %v", got, want)
	}
	raw, _ := json.Marshal(m["Operations"])
	var ops []map[string]any
	if err := json.Unmarshal(raw, &ops); err != nil {
		t.Fatalf("Operations: %v", err)
	}
	return ops
}

// statuses lists "bulkId status" (or "method status") of each result.
func statuses(ops []map[string]any) []string {
	var out []string
	for _, op := range ops {
		name, _ := op["bulkId"].(string)
		if name == "" {
			name, _ = op["method"].(string)
		}
		out = append(out, fmt.Sprintf("%s %v", name, op["status"]))
	}
	return out
}

func TestBulkDiscovery(t *testing.T) {
	e, _ := newBulkEnv(t, func(o *Options) { o.MaxBulkOperations = 50; o.MaxBulkBodyBytes = 1 << 20 })
	m := expect(t, e.do(t, http.MethodGet, "/ServiceProviderConfig", ""), http.StatusOK)
	want := map[string]any{"supported": true, "maxOperations": 50.0, "maxPayloadSize": float64(1 << 20)}
	if diff := cmp.Diff(want, m["bulk"]); diff != "" {
		t.Errorf("bulk (-want +got):\n%s", diff)
	}
}

func TestBulkUnsupported(t *testing.T) {
	e := newEnv(t)
	expectError(t, e.do(t, http.MethodPost, "/Bulk", bulkBody(0, postUserOp("a", "a@example.com"))), http.StatusNotImplemented, "")
}

func TestBulkReferences(t *testing.T) {
	e, bk := newBulkEnv(t)
	// The group comes first and names users created later in the request.
	ops := bulkOps(t, e, bulkBody(0,
		`{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
		  "displayName":"Team","members":[{"value":"bulkId:u1"},{"value":"bulkId:u2"}]}}`,
		postUserOp("u1", "one@example.com"),
		postUserOp("u2", "two@example.com"),
		`{"method":"PATCH","path":"/Users/bulkId:u1","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		  "Operations":[{"op":"replace","path":"title","value":"Lead"}]}}`,
	))
	if diff := cmp.Diff([]string{"g 201", "u1 201", "u2 201", "PATCH 200"}, statuses(ops)); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s\n%v", diff, ops)
	}
	ids := map[string]string{}
	for _, op := range ops[:3] {
		loc, _ := op["location"].(string)
		i := strings.LastIndex(loc, "/")
		if i < 0 || op["version"] == nil {
			t.Fatalf("operation without location or version: %v", op)
		}
		ids[op["bulkId"].(string)] = loc[i+1:]
	}
	if got, want := ops[3]["location"], testBase+"/Users/"+ids["u1"]; got != want {
		t.Errorf("PATCH location = %v, want %v", got, want)
	}
	g := expect(t, e.do(t, http.MethodGet, "/Groups/"+ids["g"], ""), http.StatusOK)
	var members []string
	for _, m := range g["members"].([]any) {
		members = append(members, m.(map[string]any)["value"].(string))
	}
	if diff := cmp.Diff([]string{ids["u1"], ids["u2"]}, members); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	u := expect(t, e.do(t, http.MethodGet, "/Users/"+ids["u1"], ""), http.StatusOK)
	if u["title"] != "Lead" {
		t.Errorf("title = %v, want Lead", u["title"])
	}
	// Users first, together; then the group and the PATCH, which waited for
	// them, together.
	want := [][]string{{"POST User", "POST User"}, {"POST Group", "PATCH User"}}
	if diff := cmp.Diff(want, bk.calls); diff != "" {
		t.Errorf("backend calls (-want +got):\n%s", diff)
	}
}

func TestBulkUnresolvable(t *testing.T) {
	group := func(bulkID, member string) string {
		return `{"method":"POST","path":"/Groups","bulkId":"` + bulkID + `","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
			"displayName":"` + bulkID + `","members":[{"value":"bulkId:` + member + `"}]}}`
	}
	tests := []struct {
		name string
		ops  []string
		want []string
	}{
		{"circular", []string{group("a", "b"), group("b", "a"), postUserOp("u", "u@example.com")},
			[]string{"a 409", "b 409", "u 201"}},
		{"self", []string{group("a", "a")}, []string{"a 409"}},
		{"depends on a cycle", []string{group("a", "b"), group("b", "a"), group("c", "a")},
			[]string{"a 409", "b 409", "c 409"}},
		{"unknown bulkId", []string{group("a", "nobody")}, []string{"a 409"}},
		{"failed creator", []string{postUserOp("u", "dup@example.com"), postUserOp("v", "DUP@example.com"), group("a", "v")},
			[]string{"u 201", "v 409", "a 409"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newBulkEnv(t)
			ops := bulkOps(t, e, bulkBody(0, tt.ops...))
			if diff := cmp.Diff(tt.want, statuses(ops)); diff != "" {
				t.Fatalf("statuses (-want +got):\n%s", diff)
			}
			for _, op := range ops {
				if op["status"] != "409" {
					continue
				}
				resp, _ := op["response"].(map[string]any)
				if resp["scimType"] == "uniqueness" {
					continue
				}
				if resp["scimType"] != "invalidValue" || resp["status"] != "409" || resp["detail"] == "" {
					t.Errorf("response = %v, want a 409 invalidValue error", resp)
				}
			}
		})
	}
}

func TestBulkFailOnErrors(t *testing.T) {
	bad := `{"method":"POST","path":"/Users","bulkId":"bad","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}}`
	tests := []struct {
		name         string
		failOnErrors int
		want         []string
	}{
		{"unlimited", 0, []string{"a 201", "bad 400", "b 201", "bad2 409", "c 201"}},
		{"one", 1, []string{"a 201", "bad 400"}},
		{"two", 2, []string{"a 201", "bad 400", "b 201", "bad2 409"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newBulkEnv(t)
			ops := bulkOps(t, e, bulkBody(tt.failOnErrors,
				postUserOp("a", "a@example.com"), bad, postUserOp("b", "b@example.com"),
				postUserOp("bad2", "A@example.com"), postUserOp("c", "c@example.com")))
			if diff := cmp.Diff(tt.want, statuses(ops)); diff != "" {
				t.Fatalf("statuses (-want +got):\n%s", diff)
			}
			page := expect(t, e.do(t, http.MethodGet, "/Users", ""), http.StatusOK)
			created := 0
			for _, s := range tt.want {
				if strings.HasSuffix(s, " 201") {
					created++
				}
			}
			if got := page["totalResults"]; got != float64(created) {
				t.Errorf("totalResults = %v, want %d: operations after the limit must not run", got, created)
			}
		})
	}
}

func TestBulkOperationErrors(t *testing.T) {
	e, _ := newBulkEnv(t)
	id := e.createUser(t, userJSON("old@example.com"))
	ops := bulkOps(t, e, bulkBody(0,
		`{"method":"GET","path":"/Users"}`,
		`{"method":"POST","path":"/Users","data":`+userJSON("nobulkid@example.com")+`}`,
		`{"method":"POST","path":"/Widgets","bulkId":"w","data":{}}`,
		`{"method":"PUT","path":"/Users","data":`+userJSON("x@example.com")+`}`,
		`{"method":"PATCH","path":"/Users/`+id+`"}`,
		`{"method":"DELETE","path":"/Users/`+id+`","version":"W/\"99\""}`,
		`"not an object"`,
		`{"method":"delete","path":"/Users/`+id+`"}`,
	))
	want := []string{"GET 400", "POST 400", "w 400", "PUT 400", "PATCH 400", "DELETE 412", " 400", "DELETE 204"}
	if diff := cmp.Diff(want, statuses(ops)); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s\n%v", diff, ops)
	}
	if got, want := ops[5]["location"], testBase+"/Users/"+id; got != want {
		t.Errorf("location of the failed DELETE = %v, want %v", got, want)
	}
	for _, op := range ops[:7] {
		resp, _ := op["response"].(map[string]any)
		if resp["status"] != op["status"] || resp["detail"] == "" {
			t.Errorf("failed operation %v has response %v", op, resp)
		}
	}
	if _, ok := ops[7]["response"]; ok {
		t.Errorf("a successful operation has a response: %v", ops[7])
	}
}

func TestBulkRequestErrors(t *testing.T) {
	many := make([]string, 4)
	for i := range many {
		many[i] = postUserOp(fmt.Sprint("u", i), fmt.Sprintf("u%d@example.com", i))
	}
	tests := []struct {
		name     string
		body     string
		status   int
		scimType string
	}{
		{"not json", `{"schemas":`, http.StatusBadRequest, "invalidSyntax"},
		{"no schema", `{"Operations":[]}`, http.StatusBadRequest, "invalidSyntax"},
		{"no operations", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]}`, http.StatusBadRequest, "invalidSyntax"},
		{"operations not a list", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":{}}`, http.StatusBadRequest, "invalidSyntax"},
		{"negative failOnErrors", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":-1,"Operations":[]}`, http.StatusBadRequest, "invalidValue"},
		{"duplicate bulkId", bulkBody(0, postUserOp("a", "a@example.com"), postUserOp("a", "b@example.com")), http.StatusBadRequest, "invalidValue"},
		{"too many operations", bulkBody(0, many...), http.StatusRequestEntityTooLarge, "tooMany"},
		{"too large", bulkBody(0, postUserOp("big", strings.Repeat("x", 2000)+"@example.com")), http.StatusRequestEntityTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, bk := newBulkEnv(t, func(o *Options) { o.MaxBulkOperations = 3; o.MaxBulkBodyBytes = 1500 })
			detail := expectError(t, e.do(t, http.MethodPost, "/Bulk", tt.body), tt.status, tt.scimType)
			if tt.status == http.StatusRequestEntityTooLarge && !strings.Contains(detail, "max") {
				t.Errorf("detail %q does not name the limit", detail)
			}
			if len(bk.calls) != 0 {
				t.Errorf("backend called %d times for a rejected request", len(bk.calls))
			}
		})
	}
}

func TestBulkEmpty(t *testing.T) {
	e, _ := newBulkEnv(t)
	if ops := bulkOps(t, e, bulkBody(0)); len(ops) != 0 {
		t.Errorf("operations = %v, want none", ops)
	}
}

// A "bulkId:…" string outside a reference position is data: it is neither
// waited for nor replaced, and stored as sent.
func TestBulkIDTextIsData(t *testing.T) {
	e, _ := newBulkEnv(t)
	ops := bulkOps(t, e, bulkBody(0,
		postUserOp("u1", "one@example.com"),
		`{"method":"POST","path":"/Users","bulkId":"u2","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
		  "userName":"two@example.com","title":"bulkId:u1","nickName":"bulkId:nobody",
		  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"bulkId:u1"}}}}`,
		`{"method":"PATCH","path":"/Users/bulkId:u1","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		  "Operations":[{"op":"replace","path":"displayName","value":"bulkId:u2"},
		                {"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":{"value":"bulkId:u2"}}}]}}`,
	))
	if diff := cmp.Diff([]string{"u1 201", "u2 201", "PATCH 200"}, statuses(ops)); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s\n%v", diff, ops)
	}
	idOf := func(op map[string]any) string {
		loc, _ := op["location"].(string)
		return loc[strings.LastIndex(loc, "/")+1:]
	}
	u1, u2 := idOf(ops[0]), idOf(ops[1])
	two := expect(t, e.do(t, http.MethodGet, "/Users/"+u2, ""), http.StatusOK)
	if two["title"] != "bulkId:u1" || two["nickName"] != "bulkId:nobody" {
		t.Errorf("title, nickName = %v, %v; want the strings as sent", two["title"], two["nickName"])
	}
	manager := func(u map[string]any) any {
		ext, _ := u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
		m, _ := ext["manager"].(map[string]any)
		return m["value"]
	}
	if got := manager(two); got != u1 {
		t.Errorf("u2's manager = %v, want u1's id %s (a reference position)", got, u1)
	}
	one := expect(t, e.do(t, http.MethodGet, "/Users/"+u1, ""), http.StatusOK)
	if one["displayName"] != "bulkId:u2" {
		t.Errorf("displayName = %v, want the string as sent", one["displayName"])
	}
	if got := manager(one); got != u2 {
		t.Errorf("u1's manager = %v, want u2's id %s (set by PATCH without path)", got, u2)
	}
}

func TestRefPathAttr(t *testing.T) {
	for _, c := range []struct{ path, attr, sub string }{
		{"members", "members", ""},
		{`members[value eq "x"].value`, "members", "value"},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "manager", "value"},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "manager", ""},
		{"title", "title", ""},
	} {
		attr, sub := refPathAttr(c.path)
		if attr != c.attr || sub != c.sub {
			t.Errorf("refPathAttr(%q) = %q, %q; want %q, %q", c.path, attr, sub, c.attr, c.sub)
		}
	}
}
