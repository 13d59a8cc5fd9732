package scim

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The requests below are the exact shapes identity providers send, from
// their documentation: Microsoft Entra (E-n), Okta (O-n) and the requests of
// Microsoft's SCIM reference Postman collection (MS). Each case runs against
// a fresh server holding the fixture: {u1} is the user of E-6, {u2} a user
// matched by externalId and work email, {u3} another user, {g1} a group
// named "displayName" whose only member is {u1}.

const (
	entraUser  = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee","active":true,"emails":[{"primary":true,"type":"work","value":"Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"}],"meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},"roles":[]}`
	oktaUser   = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local","name":{"givenName":"Test","familyName":"User"},"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],"displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`
	enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// vars are the fixture's ids, substituted for {name} in paths and bodies.
type vars map[string]string

func (v vars) sub(s string) string {
	for k, id := range v {
		s = strings.ReplaceAll(s, "{"+k+"}", id)
	}
	return s
}

// fixture creates the resources every replay case starts from.
func fixture(t *testing.T, e *env) vars {
	t.Helper()
	v := vars{}
	v["u1"] = e.createUser(t, entraUser)
	v["u2"] = e.createUser(t, `{"userName":"jyoung@contoso.com","externalId":"jyoung","active":true,
		"name":{"familyName":"Employee","givenName":"Jo"},
		"emails":[{"type":"work","value":"user@contoso.com","primary":true},{"type":"home","value":"jo@example.org"}]}`)
	v["u3"] = e.createUser(t, `{"userName":"other@okta.local","active":true}`)
	v["g1"] = e.createGroup(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"displayName","members":[{"value":"`+v["u1"]+`"}]}`)
	return v
}

// step is one request of a replay.
type step struct {
	method, path, body string
	headers            []string
	status             int
	check              func(t *testing.T, e *env, v vars, r reply, m map[string]any)
}

func TestReplay(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
	}{
		{"E-1 test connection", []step{{
			method: "GET", path: `/Users?filter=userName eq "a7d2d7f8-0a0b-4c5f-8b83-6e4f4f2b9c11"`, status: 200,
			check: emptyList,
		}}},
		{"E-1 by externalId", []step{{
			method: "GET", path: `/Users?filter=externalId eq "a7d2d7f8-0a0b-4c5f-8b83-6e4f4f2b9c11"`, status: 200,
			check: emptyList,
		}}},
		{"E-2 match user", []step{{
			method: "GET", path: `/Users?filter=userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"`, status: 200,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				checkList(t, m, 1, 1, []string{v["u1"]})
				u := m["Resources"].([]any)[0].(map[string]any)
				for _, k := range []string{"id", "externalId", "meta", "userName", "name", "active", "emails"} {
					if _, ok := u[k]; !ok {
						t.Errorf("user lacks %s", k)
					}
				}
			},
		}}},
		{"E-3 match user, none found", []step{{
			method: "GET", path: `/Users?filter=userName eq "non-existent user"`, status: 200, check: emptyList,
		}}},
		{"E-4 unquoted externalId", []step{{
			method: "GET", path: `/Users?filter=externalId eq jyoung`, status: 200, check: listOf("u2"),
		}}},
		{"E-5 match by work email", []step{{
			method: "GET", path: `/Users?filter=emails[type eq "work"].value eq "user@contoso.com"`, status: 200, check: listOf("u2"),
		}}},
		{"E-6 create user", []step{{
			method: "POST", path: "/Users",
			body:   strings.Replace(entraUser, "Test_User_00aa00aa", "Test_User_99aa00aa", 1),
			status: 201,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				meta := m["meta"].(map[string]any)
				if meta["created"] == nil || meta["lastModified"] == nil || meta["location"] != testBase+"/Users/"+m["id"].(string) {
					t.Errorf("meta = %v", meta)
				}
				if m["externalId"] != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" {
					t.Errorf("externalId = %v", m["externalId"])
				}
			},
		}}},
		{"E-7 create with nulls and a mistyped URN", []step{{
			method: "POST", path: "/Users",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
				"externalId":"e7","userName":"e7@contoso.com","active":true,"addresses":null,"phoneNumbers":null,"title":null,
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":null,"manager":null},
				"emails":[{"primary":true,"type":"work","value":"e7@contoso.com"}],"meta":{"resourceType":"User"},"roles":[]}`,
			status: 201,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				for _, k := range []string{"addresses", "phoneNumbers", "title", enterprise} {
					if _, ok := m[k]; ok {
						t.Errorf("null %s rendered: %s", k, r.body)
					}
				}
				if strings.Contains(string(r.body), "null") {
					t.Errorf("body has a null: %s", r.body)
				}
			},
		}}},
		{"E-8 get user", []step{{method: "GET", path: "/Users/{u1}", status: 200, check: idIs("u1")}}},
		{"E-8 unknown user", []step{{
			method: "GET", path: "/Users/5d48a0a8e9f04aa38008", status: 404,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				want := map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:Error"}, "status": "404", "detail": `User "5d48a0a8e9f04aa38008" not found`}
				if diff := cmp.Diff(want, m); diff != "" {
					t.Errorf("404 body (-want +got):\n%s", diff)
				}
			},
		}}},
		{"E-9 update work email and family name", []step{{
			method: "PATCH", path: "/Users/{u1}",
			body:   `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]}`,
			status: 200,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				if got := m["emails"].([]any)[0].(map[string]any)["value"]; got != "updatedEmail@microsoft.com" {
					t.Errorf("work email = %v", got)
				}
				if got := m["name"].(map[string]any)["familyName"]; got != "updatedFamilyName" {
					t.Errorf("familyName = %v", got)
				}
			},
		}}},
		{"E-10 rename userName", []step{{
			method: "PATCH", path: "/Users/{u1}",
			body:   `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"userName","value":"5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}]}`,
			status: 200, check: attrIs("userName", "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"),
		}}},
		{"E-10 rename to a taken userName", []step{{
			method: "PATCH", path: "/Users/{u1}",
			body:   `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"userName","value":"JYOUNG@contoso.com"}]}`,
			status: 409, check: scimType("uniqueness"),
		}}},
		{"E-11 disable with string False", []step{{
			method: "PATCH", path: "/Users/{u1}",
			body:   `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
			status: 200, check: attrIs("active", false),
		}}},
		{"E-12 disable with boolean", []step{{
			method: "PATCH", path: "/Users/{u1}?aadOptscim062020",
			body:   `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`,
			status: 200, check: attrIs("active", false),
		}}},
		{"E-13 add single-valued, no flag", []step{{
			method: "PATCH", path: "/Users/{u1}",
			body:   `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"nickName","value":"Babs"}]}`,
			status: 200, check: attrIs("nickName", "Babs"),
		}}},
		{"E-13 add single-valued, with flag", []step{
			{method: "PATCH", path: "/Users/{u1}", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"nickName","value":"Babs"}]}`, status: 200},
			{method: "PATCH", path: "/Users/{u1}", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"nickName","value":"Bee"}]}`, status: 200, check: attrIs("nickName", "Bee")},
		}},
		{"E-14 replace several, no flag", []step{{
			method: "PATCH", path: "/Users/{u1}",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"Replace","path":"displayName","value":"Bjfe"},
				{"op":"Replace","path":"emails[type eq \"work\"].value","value":"bjfe@contoso.com"},
				{"op":"Replace","path":"name.givenName","value":"Kkom"},
				{"op":"Replace","path":"name.familyName","value":"Unua"},
				{"op":"Replace","path":"externalId","value":"ext-14"},
				{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"Aklq"}]}`,
			status: 200, check: severalReplaced("ext-14"),
		}}},
		{"E-15 replace several, with flag", []step{{
			method: "PATCH", path: "/Users/{u1}",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"replace","path":"emails[type eq \"work\"].value","value":"bjfe@contoso.com"},
				{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}]}`,
			status: 200, check: severalReplaced("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"),
		}}},
		{"E-16 manager as a plain string", []step{{
			method: "PATCH", path: "/Users/{u1}",
			body:   `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"{u2}"}]}`,
			status: 200, check: managerIs("u2"),
		}}},
		{"E-17 core-level manager array", []step{{
			method: "PATCH", path: "/Users/{u1}",
			body:   `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"manager","value":[{"$ref":"http://example.com/Users/{u2}","value":"{u2}"}]}]}`,
			status: 200, check: managerIs("u2"),
		}}},
		{"E-18 manager reference check", []step{
			{method: "PATCH", path: "/Users/{u1}", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"{u2}"}]}`, status: 200},
			{
				method: "GET", path: `/Users?filter=id eq {u1} and manager eq {u2}&attributes=id`, status: 200,
				check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
					checkList(t, m, 1, 1, []string{v["u1"]})
					if diff := cmp.Diff([]string{"id", "schemas"}, keys(m["Resources"].([]any)[0].(map[string]any))); diff != "" {
						t.Errorf("keys (-want +got):\n%s", diff)
					}
				},
			},
		}},
		{"E-19 delete user", []step{
			{method: "DELETE", path: "/Users/{u1}", status: 204},
			{method: "GET", path: "/Users/{u1}", status: 404},
		}},
		{"E-20 create group with a Microsoft schema URN", []step{{
			method: "POST", path: "/Groups",
			body:   `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName2","meta":{"resourceType":"Group"}}`,
			status: 201,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				if diff := cmp.Diff([]any{"urn:ietf:params:scim:schemas:core:2.0:Group"}, m["schemas"]); diff != "" {
					t.Errorf("schemas (-want +got):\n%s", diff)
				}
				if m["displayName"] != "displayName2" || m["externalId"] != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" {
					t.Errorf("group = %s", r.body)
				}
			},
		}}},
		{"E-21 get group without members", []step{{
			method: "GET", path: "/Groups/{g1}?excludedAttributes=members", status: 200,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				if _, ok := m["members"]; ok || strings.Contains(string(r.body), `"members"`) {
					t.Errorf("members rendered: %s", r.body)
				}
				if m["displayName"] != "displayName" {
					t.Errorf("displayName = %v", m["displayName"])
				}
			},
		}}},
		{"E-22 match group", []step{{
			method: "GET", path: `/Groups?excludedAttributes=members&filter=displayName eq "displayName"`, status: 200,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				checkList(t, m, 1, 1, []string{v["g1"]})
				if strings.Contains(string(r.body), `"members"`) {
					t.Errorf("members rendered: %s", r.body)
				}
			},
		}}},
		{"E-23 rename group", []step{
			{method: "PATCH", path: "/Groups/{g1}", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]}`, status: 204},
			{method: "GET", path: "/Groups/{g1}", status: 200, check: attrIs("displayName", "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName")},
		}},
		{"E-24 add member with a null $ref", []step{
			{method: "PATCH", path: "/Groups/{g1}", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"{u2}"}]}]}`, status: 204},
			{method: "GET", path: "/Groups/{g1}", status: 200, check: membersAre("u1", "u2")},
		}},
		{"E-25 remove a member with a value array", []step{
			{method: "PATCH", path: "/Groups/{g1}", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":"{u2}"},{"value":"{u3}"}]}]}`, status: 204},
			{method: "PATCH", path: "/Groups/{g1}", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"{u2}"}]}]}`, status: 204},
			{method: "GET", path: "/Groups/{g1}", status: 200, check: membersAre("u1", "u3")},
		}},
		{"E-25 remove a member without $ref", []step{
			{method: "PATCH", path: "/Groups/{g1}", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"{u1}"}]}]}`, status: 204},
			{method: "GET", path: "/Groups/{g1}", status: 200, check: membersAre()},
		}},
		{"E-26 remove a member by value filter", []step{
			{method: "PATCH", path: "/Groups/{g1}", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"{u2}"}]}]}`, status: 204},
			{method: "PATCH", path: "/Groups/{g1}?aadOptscim062020", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"{u1}\"]"}]}`, status: 204},
			{method: "GET", path: "/Groups/{g1}", status: 200, check: membersAre("u2")},
		}},
		{"E-27 delete group", []step{
			{method: "DELETE", path: "/Groups/{g1}", status: 204},
			{method: "GET", path: "/Groups/{g1}", status: 404},
		}},
		{"E-28 schema discovery", []step{{
			method: "GET", path: "/Schemas", status: 200,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				if strings.Contains(string(r.body), "null") || m["totalResults"] != 4.0 || len(m["Resources"].([]any)) != 4 {
					t.Errorf("schemas = %s", r.body)
				}
			},
		}}},

		{"O-1 test connector", []step{
			{method: "GET", path: "/Users?startIndex=1&count=2", headers: okta, status: 200, check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				checkList(t, m, 3, 1, []string{v["u1"], v["u2"]})
			}},
			{method: "GET", path: "/Groups?startIndex=1&count=100", headers: okta, status: 200, check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				checkList(t, m, 1, 1, []string{v["g1"]})
			}},
		}},
		{"O-2 user exists, none", []step{{
			method: "GET", path: "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100", headers: okta, status: 200,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				if !strings.Contains(string(r.body), `"itemsPerPage":0`) || !strings.Contains(string(r.body), `"totalResults":0`) ||
					!strings.Contains(string(r.body), `"startIndex":1`) || !strings.Contains(string(r.body), `"Resources":[]`) {
					t.Errorf("body = %s", r.body)
				}
			},
		}}},
		{"O-2 user exists, found", []step{
			{method: "POST", path: "/Users", body: oktaUser, headers: okta, status: 201},
			{method: "GET", path: "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100", headers: okta, status: 200,
				check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
					if m["totalResults"] != 1.0 || m["itemsPerPage"] != 1.0 {
						t.Errorf("body = %s", r.body)
					}
				}},
		}},
		{"O-3 create with placeholder password and groups", []step{{
			method: "POST", path: "/Users", body: oktaUser, headers: okta, status: 201,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				if m["id"] == "" || m["userName"] != "test.user@okta.local" {
					t.Errorf("user = %s", r.body)
				}
				if strings.Contains(string(r.body), "1mz050nq") || strings.Contains(string(r.body), `"password"`) {
					t.Errorf("password rendered: %s", r.body)
				}
			},
		}}},
		{"O-3 duplicate", []step{
			{method: "POST", path: "/Users", body: oktaUser, headers: okta, status: 201},
			{method: "POST", path: "/Users", body: oktaUser, headers: okta, status: 409, check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				want := map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:Error"}, "status": "409", "scimType": "uniqueness", "detail": "User already exists in the database."}
				if diff := cmp.Diff(want, m); diff != "" {
					t.Errorf("409 body (-want +got):\n%s", diff)
				}
			}},
		}},
		{"O-5 get user", []step{{method: "GET", path: "/Users/{u3}", headers: okta, status: 200, check: idIs("u3")}}},
		{"O-6 profile update by PUT", []step{
			{method: "PUT", path: "/Users/{u3}", headers: okta, status: 200,
				body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"{u3}","userName":"other@okta.local","name":{"givenName":"Other","familyName":"Person"},"emails":[{"primary":true,"value":"other@okta.local","type":"work"}],"displayName":"Other Person","active":true,"groups":[],"meta":{"resourceType":"User"}}`,
				check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
					if m["id"] != v["u3"] || m["active"] != true || m["displayName"] != "Other Person" {
						t.Errorf("user = %s", r.body)
					}
				}},
		}},
		{"O-7 deactivate by PATCH without path", []step{{
			method: "PATCH", path: "/Users/{u3}", headers: okta, status: 200,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
			check: attrIs("active", false),
		}}},
		{"O-8 deactivate by PUT", []step{{
			method: "PUT", path: "/Users/{u3}", headers: okta, status: 200,
			body:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"{u3}","userName":"other@okta.local","active":false,"groups":[]}`,
			check: attrIs("active", false),
		}}},
		{"O-9 reactivate", []step{
			{method: "PATCH", path: "/Users/{u3}", headers: okta, status: 200, body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`},
			{method: "PATCH", path: "/Users/{u3}", headers: okta, status: 200, body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true}}]}`, check: attrIs("active", true)},
		}},
		{"O-10 push group", []step{{
			method: "POST", path: "/Groups", headers: okta, status: 201,
			body:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`,
			check: attrIs("displayName", "Test SCIMv2"),
		}}},
		{"O-11 rename with id inside the value", []step{
			{method: "PATCH", path: "/Groups/{g1}", headers: okta, status: 204,
				body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"{g1}","displayName":"Test SCIMv2"}}]}`},
			{method: "GET", path: "/Groups/{g1}", status: 200, check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				if m["id"] != v["g1"] || m["displayName"] != "Test SCIMv2" {
					t.Errorf("group = %s", r.body)
				}
			}},
		}},
		{"O-12 membership delta", []step{
			{method: "PATCH", path: "/Groups/{g1}", headers: okta, status: 204,
				body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"{u1}\"]"},{"op":"add","path":"members","value":[{"value":"{u3}","display":"other@okta.local"}]}]}`},
			{method: "GET", path: "/Groups/{g1}", status: 200, check: membersAre("u3")},
		}},
		{"O-13 full membership push, then empty", []step{
			{method: "PATCH", path: "/Groups/{g1}", headers: okta, status: 204,
				body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[{"value":"{u2}","display":"jyoung@contoso.com"},{"value":"{u3}","display":"other@okta.local"}]}]}`},
			{method: "GET", path: "/Groups/{g1}", status: 200, check: membersAre("u2", "u3")},
			{method: "PATCH", path: "/Groups/{g1}", headers: okta, status: 204,
				body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[]}]}`},
			{method: "GET", path: "/Groups/{g1}", status: 200, check: membersAre()},
		}},
		{"O-14 delete group", []step{{method: "DELETE", path: "/Groups/{g1}", headers: okta, status: 204}}},
		{"O-15 replace group with members", []step{
			{method: "PUT", path: "/Groups/{g1}", headers: okta, status: 200,
				body:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"{g1}","displayName":"displayName","members":[{"value":"{u2}","display":"jyoung@contoso.com"}]}`,
				check: membersAre("u2")},
		}},

		{"MS string True on create", []step{{
			method: "POST", path: "/Users", status: 201,
			body:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"UserName123","active":"True","displayName":"BobIsAmazing"}`,
			check: attrIs("active", true),
		}}},
		{"MS create without userName", []step{{method: "POST", path: "/Users", status: 400, body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"active":true,"displayName":"BobIsAmazing"}`, check: scimType("invalidValue")}}},
		{"MS create with broken JSON", []step{{method: "POST", path: "/Users", status: 400, body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x" "active":true}`, check: scimType("invalidSyntax")}}},
		{"MS duplicate userName twice", []step{
			{method: "POST", path: "/Users", status: 409, body: `{"userName":"JYOUNG@contoso.com","active":true}`, check: scimType("uniqueness")},
			{method: "POST", path: "/Users", status: 409, body: `{"userName":"jyoung@contoso.com","active":true}`, check: scimType("uniqueness")},
		}},
		{"MS replace without userName", []step{{method: "PUT", path: "/Users/{u3}", status: 400, body: `{"active":true}`, check: scimType("invalidValue")}}},
		{"MS replace with a misspelled attribute", []step{{
			method: "PUT", path: "/Users/{u3}", status: 200,
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"other@okta.local","active":true,"adreses":[{"type":"work","streetAddress":"1 Main St"}]}`,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				if strings.Contains(strings.ToLower(string(r.body)), "adreses") {
					t.Errorf("unknown attribute kept: %s", r.body)
				}
			},
		}}},
		{"MS replace userName by PATCH", []step{{
			method: "PATCH", path: "/Users/{u3}", status: 200,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"userName","value":"ms-renamed"}]}`,
			check: attrIs("userName", "ms-renamed"),
		}}},
		{"MS replace active by PATCH", []step{{
			method: "PATCH", path: "/Users/{u3}", status: 200,
			body:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":false}]}`,
			check: attrIs("active", false),
		}}},
		{"MS add member as a bare string", []step{
			{method: "PATCH", path: "/Groups/{g1}", status: 204, body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":"{u2}"}]}`},
			{method: "GET", path: "/Groups/{g1}", status: 200, check: membersAre("u1", "u2")},
		}},
		{"MS get group without members", []step{{method: "GET", path: "/Groups/{g1}?excludedAttributes=members", status: 200, check: idIs("g1")}}},
		{"MS attributes with a value filter", []step{{
			method: "GET", path: `/Users/{u2}?attributes=emails[type eq "work"]`, status: 200,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				if m["id"] != v["u2"] || m["emails"] == nil || m["userName"] != nil {
					t.Errorf("user = %s", r.body)
				}
			},
		}}},
		{"MS unquoted mixed-case filter", []step{{
			method: "GET", path: `/Users?filter=name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`, status: 200, check: listOf("u2"),
		}}},
		{"MS starts-with filter", []step{{
			method: "GET", path: `/Users?filter=userName sw O`, status: 200, check: listOf("u3"),
		}}},
		{"MS unquoted datetime filter", []step{{
			method: "GET", path: `/Users?filter=meta.Created gt 2015-10-10T14:38:21.8617979-07:00`, status: 200, check: listOf("u1", "u2", "u3"),
		}}},
		{"MS attribute names in other cases", []step{{
			method: "POST", path: "/Users", status: 201,
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"UserName":"cased@contoso.com","Active":true,
				"Emails":[{"Primary":true,"Type":"work","Value":"cased@contoso.com"}],
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"Department":"Sales","Manager":{"Value":"{u2}"}}}`,
			check: func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
				if m["userName"] != "cased@contoso.com" || m["active"] != true {
					t.Errorf("user = %s", r.body)
				}
				if email := m["emails"].([]any)[0].(map[string]any); email["primary"] != true || email["value"] != "cased@contoso.com" {
					t.Errorf("email = %v", email)
				}
				ext := m[enterprise].(map[string]any)
				if ext["department"] != "Sales" || ext["manager"].(map[string]any)["value"] != v["u2"] {
					t.Errorf("enterprise = %v", ext)
				}
			},
		}}},
		{"MS service configuration", []step{{method: "GET", path: "/serviceConfiguration", status: 200}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			v := fixture(t, e)
			for i, s := range tc.steps {
				r := e.do(t, s.method, v.sub(s.path), v.sub(s.body), s.headers...)
				var m map[string]any
				if s.status >= 400 {
					expectError(t, r, s.status, anyType)
					m = r.object(t)
				} else {
					m = expect(t, r, s.status)
				}
				if s.check != nil {
					s.check(t, e, v, r, m)
				}
				if t.Failed() {
					t.Fatalf("step %d: %s %s failed", i+1, s.method, s.path)
				}
			}
		})
	}
}

var okta = []string{"User-Agent", "Okta SCIM Client 1.0.0"}

func emptyList(t *testing.T, e *env, v vars, r reply, m map[string]any) {
	t.Helper()
	checkList(t, m, 0, 1, nil)
}

func listOf(names ...string) func(*testing.T, *env, vars, reply, map[string]any) {
	return func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
		t.Helper()
		var ids []string
		for _, n := range names {
			ids = append(ids, v[n])
		}
		checkList(t, m, len(ids), 1, ids)
	}
}

func idIs(name string) func(*testing.T, *env, vars, reply, map[string]any) {
	return func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
		t.Helper()
		if m["id"] != v[name] {
			t.Errorf("id = %v, want %s", m["id"], v[name])
		}
	}
}

func attrIs(attr string, want any) func(*testing.T, *env, vars, reply, map[string]any) {
	return func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
		t.Helper()
		if m[attr] != want {
			t.Errorf("%s = %#v, want %#v", attr, m[attr], want)
		}
	}
}

func scimType(want string) func(*testing.T, *env, vars, reply, map[string]any) {
	return func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
		t.Helper()
		if m["scimType"] != want {
			t.Errorf("scimType = %v, want %s", m["scimType"], want)
		}
	}
}

func managerIs(name string) func(*testing.T, *env, vars, reply, map[string]any) {
	return func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
		t.Helper()
		ext, _ := m[enterprise].(map[string]any)
		mgr, _ := ext["manager"].(map[string]any)
		if mgr["value"] != v[name] {
			t.Errorf("manager = %v, want value %s", ext["manager"], v[name])
		}
	}
}

func membersAre(names ...string) func(*testing.T, *env, vars, reply, map[string]any) {
	return func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
		t.Helper()
		want := []string{}
		for _, n := range names {
			want = append(want, v[n])
		}
		got := []string{}
		members, _ := m["members"].([]any)
		for _, mem := range members {
			got = append(got, mem.(map[string]any)["value"].(string))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
	}
}

func severalReplaced(externalID string) func(*testing.T, *env, vars, reply, map[string]any) {
	return func(t *testing.T, e *env, v vars, r reply, m map[string]any) {
		t.Helper()
		name := m["name"].(map[string]any)
		ext, _ := m[enterprise].(map[string]any)
		email := m["emails"].([]any)[0].(map[string]any)
		got := []any{m["displayName"], name["givenName"], name["familyName"], m["externalId"], ext["employeeNumber"], email["value"]}
		want := []any{"Bjfe", "Kkom", "Unua", externalID, "Aklq", "bjfe@contoso.com"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("replaced values (-want +got):\n%s", diff)
		}
	}
}
