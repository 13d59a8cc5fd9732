package scim

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const patchOp = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`

func TestGroupMembersLoadedOnlyWhenWanted(t *testing.T) {
	e := newEnv(t)
	uid := e.createUser(t, userJSON("member@example.com"))
	gid := e.createGroup(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales","members":[{"value":"`+uid+`"}]}`)
	tests := []struct {
		name, method, path, body string
		status                   int
		loads                    bool
		hasMembers               bool
	}{
		{"get", http.MethodGet, "/Groups/" + gid, "", 200, true, true},
		{"get excluding members", http.MethodGet, "/Groups/" + gid + "?excludedAttributes=members", "", 200, false, false},
		{"get excluding members by URN", http.MethodGet, "/Groups/" + gid + "?excludedAttributes=urn:ietf:params:scim:schemas:core:2.0:Group:members", "", 200, false, false},
		{"get excluding a member sub-attribute", http.MethodGet, "/Groups/" + gid + "?excludedAttributes=members.display", "", 200, true, true},
		{"get naming other attributes", http.MethodGet, "/Groups/" + gid + "?attributes=displayName", "", 200, false, false},
		{"get naming members", http.MethodGet, "/Groups/" + gid + "?attributes=displayName,members", "", 200, true, true},
		{"get naming a member sub-attribute", http.MethodGet, "/Groups/" + gid + "?attributes=members.value", "", 200, true, true},
		{"list excluding members", http.MethodGet, `/Groups?excludedAttributes=members&filter=displayName eq "Sales"`, "", 200, false, false},
		{"list", http.MethodGet, `/Groups`, "", 200, true, true},
		{"search excluding members", http.MethodPost, "/Groups/.search", `{"excludedAttributes":["members"]}`, 200, false, false},
		{"search naming other attributes", http.MethodPost, "/Groups/.search", `{"attributes":["displayName"]}`, 200, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loads, skips := e.mem.memberLoads, e.mem.memberSkips
			r := e.do(t, tt.method, tt.path, tt.body)
			m := expect(t, r, tt.status)
			if got := e.mem.memberLoads > loads; got != tt.loads {
				t.Errorf("members loaded = %v, want %v", got, tt.loads)
			}
			if !tt.loads && e.mem.memberSkips == skips {
				t.Errorf("backend was not told to skip members")
			}
			if res, ok := m["Resources"].([]any); ok {
				if len(res) != 1 {
					t.Fatalf("Resources = %v", res)
				}
				m = res[0].(map[string]any)
			}
			if _, got := m["members"]; got != tt.hasMembers {
				t.Errorf("members present = %v, want %v: %s", got, tt.hasMembers, r.body)
			}
			if m["id"] != gid {
				t.Errorf("id = %v", m["id"])
			}
		})
	}
}

func TestPatchGroup(t *testing.T) {
	e := newEnv(t)
	u1 := e.createUser(t, userJSON("m1@example.com"))
	u2 := e.createUser(t, userJSON("m2@example.com"))
	gid := e.createGroup(t, `{"displayName":"Ops","members":[]}`)
	add := `{` + patchOp + `,"Operations":[{"op":"add","path":"members","value":[{"value":"` + u1 + `"},{"value":"` + u2 + `"}]}]}`

	t.Run("204 without projection", func(t *testing.T) {
		loads := e.mem.memberLoads
		r := e.do(t, http.MethodPatch, "/Groups/"+gid, add)
		expect(t, r, http.StatusNoContent)
		if r.header.Get("ETag") != `W/"2"` {
			t.Errorf("ETag = %q", r.header.Get("ETag"))
		}
		if e.mem.memberLoads != loads {
			t.Errorf("members were loaded for a 204")
		}
		got := expect(t, e.do(t, http.MethodGet, "/Groups/"+gid+"?attributes=members", ""), http.StatusOK)
		if n := len(got["members"].([]any)); n != 2 {
			t.Errorf("members = %v", got["members"])
		}
	})
	t.Run("200 with members when asked", func(t *testing.T) {
		r := e.do(t, http.MethodPatch, "/Groups/"+gid+"?attributes=members", `{`+patchOp+`,"Operations":[{"op":"remove","path":"members[value eq \"`+u1+`\"]"}]}`)
		m := expect(t, r, http.StatusOK)
		// RFC 7643 §4.2: members are returned with their URI in "$ref".
		want := []any{map[string]any{"value": u2, "$ref": testBase + "/Users/" + u2}}
		if diff := cmp.Diff(want, m["members"]); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
	})
	t.Run("200 without members when excluded", func(t *testing.T) {
		loads := e.mem.memberLoads
		r := e.do(t, http.MethodPatch, "/Groups/"+gid+"?excludedAttributes=members", `{`+patchOp+`,"Operations":[{"op":"replace","path":"displayName","value":"Ops 2"}]}`)
		m := expect(t, r, http.StatusOK)
		if _, ok := m["members"]; ok || m["displayName"] != "Ops 2" {
			t.Errorf("body = %s", r.body)
		}
		if e.mem.memberLoads != loads {
			t.Errorf("members were loaded")
		}
	})
	t.Run("stale If-Match", func(t *testing.T) {
		expectError(t, e.do(t, http.MethodPatch, "/Groups/"+gid, add, "If-Match", `W/"1"`), http.StatusPreconditionFailed, "")
	})
	t.Run("too many operations", func(t *testing.T) {
		e := newEnv(t, func(o *Options) { o.MaxPatchOps = 2 })
		gid := e.createGroup(t, `{"displayName":"Few"}`)
		op := `{"op":"replace","path":"displayName","value":"x"}`
		r := e.do(t, http.MethodPatch, "/Groups/"+gid, `{`+patchOp+`,"Operations":[`+op+`,`+op+`,`+op+`]}`)
		if detail := expectError(t, r, http.StatusBadRequest, "invalidSyntax"); !strings.Contains(detail, "2") {
			t.Errorf("detail %q does not give the limit", detail)
		}
	})
}

func TestGroupCreateReplaceDelete(t *testing.T) {
	e := newEnv(t)
	t.Run("missing displayName", func(t *testing.T) {
		detail := expectError(t, e.do(t, http.MethodPost, "/Groups", `{"members":[]}`), http.StatusBadRequest, "invalidValue")
		if detail != "displayName is required" {
			t.Errorf("detail = %q", detail)
		}
	})
	r := e.do(t, http.MethodPost, "/Groups", `{"displayName":"Support"}`)
	m := expect(t, r, http.StatusCreated)
	gid := m["id"].(string)
	if got, want := r.header.Get("Location"), testBase+"/Groups/"+gid; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	wantMeta := map[string]any{"resourceType": "Group", "location": testBase + "/Groups/" + gid, "version": `W/"1"`,
		"created": "2024-05-01T12:00:01.000Z", "lastModified": "2024-05-01T12:00:01.000Z"}
	if diff := cmp.Diff(wantMeta, m["meta"]); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"urn:ietf:params:scim:schemas:core:2.0:Group"}, m["schemas"]); diff != "" {
		t.Errorf("schemas (-want +got):\n%s", diff)
	}
	t.Run("replace", func(t *testing.T) {
		m := expect(t, e.do(t, http.MethodPut, "/Groups/"+gid, `{"displayName":"Support 2","members":[]}`), http.StatusOK)
		if m["displayName"] != "Support 2" {
			t.Errorf("displayName = %v", m["displayName"])
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		expectError(t, e.do(t, http.MethodPost, "/Groups", `{"displayName":"support 2"}`), http.StatusConflict, "uniqueness")
	})
	t.Run("delete", func(t *testing.T) {
		expect(t, e.do(t, http.MethodDelete, "/Groups/"+gid, ""), http.StatusNoContent)
		expectError(t, e.do(t, http.MethodGet, "/Groups/"+gid+"?excludedAttributes=members", ""), http.StatusNotFound, "")
	})
}
