package scimdoc

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalize(t *testing.T) {
	users, groups := userSchema(), groupSchema()
	tests := []struct {
		name string
		rs   *ResourceSchema
		in   string
		want string
	}{
		{
			name: "E-6 Entra create",
			rs:   users,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			  "userName":"Test_User_00aa00aa","active":true,"emails":[{"primary":true,"type":"work","value":"Test_User_11bb11bb@testuser.com"}],"meta":{"resourceType":"User"},
			  "name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},"roles":[]}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			  "userName":"Test_User_00aa00aa","active":true,"emails":[{"primary":true,"type":"work","value":"Test_User_11bb11bb@testuser.com"}],
			  "name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"}}`,
		},
		{
			name: "E-7 nulls and the typo URN",
			rs:   users,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],"userName":"u","active":true,
			  "addresses":null,"phoneNumbers":null,"title":null,"department":null,"manager":null,
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0User":{"department":"D"}}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","active":true}`,
		},
		{
			name: "O-3 Okta create with password and groups",
			rs:   users,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local","name":{"givenName":"Test","familyName":"User"},
			  "emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],"displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7",
			  "groups":[],"password":"1mz050nq","active":true}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local","name":{"givenName":"Test","familyName":"User"},
			  "emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],"displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7",
			  "password":"1mz050nq","active":true}`,
		},
		{
			name: "O-6 Okta PUT with id, meta and groups",
			rs:   users,
			in:   `{"id":"23a35c27","userName":"u","active":true,"groups":[{"value":"g1","display":"G"}],"meta":{"resourceType":"User","created":"2020-01-01T00:00:00Z"}}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","active":true}`,
		},
		{
			name: "MS-Ref string boolean and case-mangled names",
			rs:   users,
			in: `{"UserName":"emp1","Active":"True","Emails":[{"Type":"work","Primary":"true","Value":"a@x.com"},{"type":"work","primary":false,"value":"b@x.com"}],
			  "Name":{"FamilyName":"Employee","GivenName":"Darl","HonorificPrefix":null},
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"Department":"some department","Manager":{"Value":"m1","DisplayName":"Boss"}}}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"emp1","active":true,
			  "emails":[{"type":"work","primary":true,"value":"a@x.com"},{"type":"work","primary":false,"value":"b@x.com"}],
			  "name":{"familyName":"Employee","givenName":"Darl"},
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"some department","manager":{"value":"m1"}}}`,
		},
		{
			name: "MS-Ref misspelled attribute is ignored",
			rs:   users,
			in:   `{"userName":"u","adreses":[{"type":"work"}],"addresses":[{"type":"work","country":null,"locality":"X"},{"country":null}]}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","addresses":[{"type":"work","locality":"X"}]}`,
		},
		{
			name: "extension attributes from qualified and unqualified keys",
			rs:   users,
			in: `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"7","Department":"D",
			  "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER":{"costCenter":"C"},"manager":"m1"}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"u",
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7","department":"D","costCenter":"C","manager":{"value":"m1"}}}`,
		},
		{
			name: "dotted keys merge into their attribute",
			rs:   users,
			in:   `{"userName":"u","name.givenName":"G","Name":{"familyName":"F"},"emails.value":"ignored"}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","name":{"givenName":"G","familyName":"F"}}`,
		},
		{
			name: "empty extension is dropped",
			rs:   users,
			in:   `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":null},"department":null}}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u"}`,
		},
		{
			name: "E-20 Entra group with an extra schema",
			rs:   groups,
			in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
			  "externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName"}`,
		},
		{
			name: "O-10 Okta group with empty members",
			rs:   groups,
			in:   `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2"}`,
		},
		{
			name: "O-15 group with members",
			rs:   groups,
			in:   `{"displayName":"G","members":[{"value":"u1","display":"A"},{"Value":"u2","$ref":null}]}`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"u1","display":"A"},{"value":"u2"}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := doc(t, tt.in)
			before := DeepCopy(in)
			got, err := Normalize(tt.rs, in)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if diff := cmp.Diff(doc(t, tt.want), got); diff != "" {
				t.Errorf("Normalize mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, in); diff != "" {
				t.Errorf("Normalize modified its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestNormalizeErrors(t *testing.T) {
	users, groups := userSchema(), groupSchema()
	tests := []struct {
		name     string
		rs       *ResourceSchema
		in       string
		scimType string
		detail   string
	}{
		{"MS-Ref missing userName", users, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"active":true}`, TypeInvalidValue, `"userName" is required`},
		{"empty userName", users, `{"userName":""}`, TypeInvalidValue, `"userName" is required`},
		{"null userName", users, `{"userName":null}`, TypeInvalidValue, `"userName" is required`},
		{"missing displayName", groups, `{"members":[]}`, TypeInvalidValue, `"displayName" is required`},
		{"bad boolean", users, `{"userName":"u","active":"yes"}`, TypeInvalidValue, `"active" must be a boolean`},
		{"string for complex", users, `{"userName":"u","name":"Bob"}`, TypeInvalidValue, `"name" must be an object`},
		{"object for string", users, `{"userName":{"value":"u"}}`, TypeInvalidValue, `"userName" must be a string`},
		{"bad sub-attribute", users, `{"userName":"u","emails":[{"value":"a","primary":"often"}]}`, TypeInvalidValue, `"emails.primary" must be a boolean`},
		{"bad extension value", users, `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":12}}`, TypeInvalidValue, `enterprise:2.0:User:employeeNumber" must be a string`},
		{"extension not an object", users, `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}`, TypeInvalidValue, "must be an object"},
		{"attribute twice", users, `{"userName":"u","USERNAME":"v"}`, TypeInvalidSyntax, "more than once"},
		{"extension attribute twice", users, `{"userName":"u","department":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"b"}}`, TypeInvalidSyntax, "more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Normalize(tt.rs, doc(t, tt.in))
			e := wantSCIMError(t, err, 400, tt.scimType)
			if !strings.Contains(e.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", e.Detail, tt.detail)
			}
		})
	}
}

// TestNormalizeThenPatch checks that a normalized document is a fixed point
// of Normalize and that patching it keeps it normalized.
func TestNormalizeThenPatch(t *testing.T) {
	rs := userSchema()
	n, err := Normalize(rs, doc(t, bjensen))
	if err != nil {
		t.Fatal(err)
	}
	again, err := Normalize(rs, n)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(n, again); diff != "" {
		t.Errorf("Normalize is not idempotent (-first +second):\n%s", diff)
	}
	patched, err := ApplyPatch(rs, n, []Operation{{Op: "replace", Path: "title", Value: "Boss"}})
	if err != nil {
		t.Fatal(err)
	}
	renorm, err := Normalize(rs, patched)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(patched, renorm); diff != "" {
		t.Errorf("patched document is not normalized (-patched +normalized):\n%s", diff)
	}
	for _, gone := range []string{"id", "meta", "groups"} {
		if _, ok := n[gone]; ok {
			t.Errorf("Normalize kept readOnly %q", gone)
		}
	}
	ext, _ := n[enterpriseURN].(map[string]any)
	if got := ext["manager"]; !cmp.Equal(got, map[string]any{"value": "26118915-6090-4610-87e4-49d8ca9f808d", "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d"}) {
		t.Errorf("manager = %v, want displayName dropped", got)
	}
}
