package scimdoc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// patchBody wraps operations in a PatchOp request.
func patchBody(ops string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + ops + `}`
}

// applyBody decodes a PATCH body and applies it to start.
func applyBody(t *testing.T, rs *ResourceSchema, start Document, ops string) (Document, error) {
	t.Helper()
	decoded, err := DecodePatch([]byte(patchBody(ops)), 100)
	if err != nil {
		t.Fatalf("DecodePatch: %v", err)
	}
	return ApplyPatch(rs, start, decoded)
}

const alice = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "id": "u1",
  "externalId": "0a21f0f2",
  "userName": "alice@contoso.com",
  "active": true,
  "name": {"givenName": "Alice", "familyName": "Smith"},
  "emails": [{"value": "alice@contoso.com", "type": "work", "primary": true}],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "1"}
}`

const aliceNoEmail = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "id": "u1",
  "userName": "alice@contoso.com",
  "active": true,
  "name": {"givenName": "Alice", "familyName": "Smith"}
}`

const engineers = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  "id": "g1",
  "displayName": "Engineers",
  "members": [
    {"value": "f648f8d5ea4e4cd38e9c", "display": "Alice", "type": "User"},
    {"value": "7f4bc1a3-285e-48ae-8202-5accb43efb0e", "display": "Bob"}
  ]
}`

func TestApplyPatchIdPShapes(t *testing.T) {
	users, groups := userSchema(), groupSchema()
	tests := []struct {
		name  string
		rs    *ResourceSchema
		start string
		ops   string
		want  string
	}{
		{
			name:  "E-9 replace work email value and family name",
			rs:    users,
			start: alice,
			ops:   `[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"u1","externalId":"0a21f0f2","userName":"alice@contoso.com","active":true,
			  "name":{"givenName":"Alice","familyName":"updatedFamilyName"},"emails":[{"value":"updatedEmail@microsoft.com","type":"work","primary":true}],
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1"}}`,
		},
		{
			name:  "E-9 creates the work email when there is none",
			rs:    users,
			start: aliceNoEmail,
			ops:   `[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@contoso.com"}]`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"alice@contoso.com","active":true,
			  "name":{"givenName":"Alice","familyName":"Smith"},"emails":[{"type":"work","value":"new@contoso.com"}]}`,
		},
		{
			name:  "E-10 rename userName",
			rs:    users,
			start: aliceNoEmail,
			ops:   `[{"op":"Replace","path":"userName","value":"5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}]`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com","active":true,
			  "name":{"givenName":"Alice","familyName":"Smith"}}`,
		},
		{
			name:  "E-11 disable with string False",
			rs:    users,
			start: aliceNoEmail,
			ops:   `[{"op":"Replace","path":"active","value":"False"}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"alice@contoso.com","active":false,"name":{"givenName":"Alice","familyName":"Smith"}}`,
		},
		{
			name:  "E-12 disable with boolean",
			rs:    users,
			start: aliceNoEmail,
			ops:   `[{"op":"replace","path":"active","value":false}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"alice@contoso.com","active":false,"name":{"givenName":"Alice","familyName":"Smith"}}`,
		},
		{
			name:  "E-13 add single-valued attribute",
			rs:    users,
			start: aliceNoEmail,
			ops:   `[{"op":"Add","path":"nickName","value":"Babs"},{"op":"add","path":"nickName","value":"Barbie"}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"alice@contoso.com","active":true,"nickName":"Barbie","name":{"givenName":"Alice","familyName":"Smith"}}`,
		},
		{
			name:  "E-14 one replace per attribute without the flag",
			rs:    users,
			start: alice,
			ops: `[{"op":"Replace","path":"displayName","value":"Bjfe"},
			  {"op":"Replace","path":"emails[type eq \"work\"].value","value":"bjfe@contoso.com"},
			  {"op":"Replace","path":"name.givenName","value":"Kkom"},
			  {"op":"Replace","path":"name.familyName","value":"Unua"},
			  {"op":"Replace","path":"externalId","value":"Aqbc"},
			  {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"Aklq"}]`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"u1","externalId":"Aqbc","userName":"alice@contoso.com","active":true,
			  "displayName":"Bjfe","name":{"givenName":"Kkom","familyName":"Unua"},"emails":[{"value":"bjfe@contoso.com","type":"work","primary":true}],
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"Aklq"}}`,
		},
		{
			name:  "E-15 no-path value with dotted and URN keys",
			rs:    users,
			start: aliceNoEmail,
			ops: `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"bjfe@contoso.com"},
			  {"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}]`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"u1","userName":"alice@contoso.com","active":true,
			  "displayName":"Bjfe","name":{"givenName":"Kkom","familyName":"Unua"},"emails":[{"type":"work","value":"bjfe@contoso.com"}],
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"Aklq"}}`,
		},
		{
			name:  "no-path value with an extension object",
			rs:    users,
			start: alice,
			ops:   `[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"Department":"Sales","manager":{"value":"m1"}},"title":"Rep"}}]`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"u1","externalId":"0a21f0f2","userName":"alice@contoso.com","active":true,"title":"Rep",
			  "name":{"givenName":"Alice","familyName":"Smith"},"emails":[{"value":"alice@contoso.com","type":"work","primary":true}],
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","department":"Sales","manager":{"value":"m1"}}}`,
		},
		{
			name:  "E-16 manager as a plain string",
			rs:    users,
			start: aliceNoEmail,
			ops:   `[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"45619541-95de-4d5e-9872-571b5d2c5577"}]`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"u1","userName":"alice@contoso.com","active":true,
			  "name":{"givenName":"Alice","familyName":"Smith"},
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"45619541-95de-4d5e-9872-571b5d2c5577"}}}`,
		},
		{
			name:  "E-16 a new manager replaces the old reference",
			rs:    users,
			start: `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"old","$ref":"../Users/old"}}}`,
			ops:   `[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"new"}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"new"}}}`,
		},
		{
			name:  "E-17 core-level manager with a list value",
			rs:    users,
			start: aliceNoEmail,
			ops:   `[{"op":"Add","path":"manager","value":[{"$ref":"http://example.com/Users/00aa","value":"00aa"}]}]`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"u1","userName":"alice@contoso.com","active":true,
			  "name":{"givenName":"Alice","familyName":"Smith"},
			  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"00aa"}}}`,
		},
		{
			name:  "O-7 deactivate without path",
			rs:    users,
			start: aliceNoEmail,
			ops:   `[{"op":"replace","value":{"active":false}}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"alice@contoso.com","active":false,"name":{"givenName":"Alice","familyName":"Smith"}}`,
		},
		{
			name:  "O-9 reactivate without path",
			rs:    users,
			start: `{"userName":"a","active":false}`,
			ops:   `[{"op":"replace","value":{"active":true}}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","active":true}`,
		},
		{
			name:  "E-23 rename group",
			rs:    groups,
			start: engineers,
			ops:   `[{"op":"Replace","path":"displayName","value":"1879db59-updatedDisplayName"}]`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"1879db59-updatedDisplayName","members":[
			  {"value":"f648f8d5ea4e4cd38e9c","display":"Alice","type":"User"},{"value":"7f4bc1a3-285e-48ae-8202-5accb43efb0e","display":"Bob"}]}`,
		},
		{
			name:  "E-24 add member with null $ref",
			rs:    groups,
			start: `{"displayName":"G"}`,
			ops:   `[{"op":"Add","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"f648f8d5ea4e4cd38e9c"}]}`,
		},
		{
			name:  "E-24 adding a present member does not duplicate it",
			rs:    groups,
			start: engineers,
			ops:   `[{"op":"Add","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]}]`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Engineers","members":[
			  {"value":"f648f8d5ea4e4cd38e9c","display":"Alice","type":"User"},{"value":"7f4bc1a3-285e-48ae-8202-5accb43efb0e","display":"Bob"}]}`,
		},
		{
			name:  "E-25 remove one member by value list",
			rs:    groups,
			start: engineers,
			ops:   `[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Engineers","members":[{"value":"7f4bc1a3-285e-48ae-8202-5accb43efb0e","display":"Bob"}]}`,
		},
		{
			name:  "E-25 remove without $ref",
			rs:    groups,
			start: engineers,
			ops:   `[{"op":"Remove","path":"members","value":[{"value":"7f4bc1a3-285e-48ae-8202-5accb43efb0e"}]}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Engineers","members":[{"value":"f648f8d5ea4e4cd38e9c","display":"Alice","type":"User"}]}`,
		},
		{
			name:  "E-25 remove an absent member changes nothing",
			rs:    groups,
			start: engineers,
			ops:   `[{"op":"Remove","path":"members","value":[{"value":"nobody"}]}]`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Engineers","members":[
			  {"value":"f648f8d5ea4e4cd38e9c","display":"Alice","type":"User"},{"value":"7f4bc1a3-285e-48ae-8202-5accb43efb0e","display":"Bob"}]}`,
		},
		{
			name:  "E-26 remove member by filter",
			rs:    groups,
			start: engineers,
			ops:   `[{"op":"remove","path":"members[value eq \"7f4bc1a3-285e-48ae-8202-5accb43efb0e\"]"}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Engineers","members":[{"value":"f648f8d5ea4e4cd38e9c","display":"Alice","type":"User"}]}`,
		},
		{
			name:  "O-11 rename with id inside the value",
			rs:    groups,
			start: `{"id":"abf4dd94","displayName":"Old"}`,
			ops:   `[{"op":"replace","value":{"id":"abf4dd94","displayName":"Test SCIMv2"}}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"abf4dd94","displayName":"Test SCIMv2"}`,
		},
		{
			name:  "O-12 membership delta",
			rs:    groups,
			start: engineers,
			ops:   `[{"op":"remove","path":"members[value eq \"7f4bc1a3-285e-48ae-8202-5accb43efb0e\"]"},{"op":"add","path":"members","value":[{"value":"23a35c27","display":"test.user@okta.local"}]}]`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Engineers","members":[
			  {"value":"f648f8d5ea4e4cd38e9c","display":"Alice","type":"User"},{"value":"23a35c27","display":"test.user@okta.local"}]}`,
		},
		{
			name:  "O-12 member without type matches a member with type",
			rs:    groups,
			start: engineers,
			ops:   `[{"op":"add","path":"members","value":[{"value":"f648f8d5ea4e4cd38e9c","display":"alice@okta.local"}]}]`,
			want: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Engineers","members":[
			  {"value":"f648f8d5ea4e4cd38e9c","display":"alice@okta.local","type":"User"},{"value":"7f4bc1a3-285e-48ae-8202-5accb43efb0e","display":"Bob"}]}`,
		},
		{
			name:  "O-13 full membership push",
			rs:    groups,
			start: engineers,
			ops:   `[{"op":"replace","path":"members","value":[{"value":"23a35c27","display":"a"},{"value":"89bb1940","display":"b"}]}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Engineers","members":[{"value":"23a35c27","display":"a"},{"value":"89bb1940","display":"b"}]}`,
		},
		{
			name:  "O-13 empty membership push empties the group",
			rs:    groups,
			start: engineers,
			ops:   `[{"op":"replace","path":"members","value":[]}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Engineers"}`,
		},
		{
			name:  "MS-Ref add member as a bare string",
			rs:    groups,
			start: `{"displayName":"G"}`,
			ops:   `[{"op":"add","path":"members","value":"string id 1"}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"string id 1"}]}`,
		},
		{
			name:  "MS-Ref remove all members",
			rs:    groups,
			start: engineers,
			ops:   `[{"op":"remove","path":"members"}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g1","displayName":"Engineers"}`,
		},
		{
			name:  "MS-Ref replace userName",
			rs:    users,
			start: `{"userName":"ryan"}`,
			ops:   `[{"op":"replace","path":"userName","value":"ryan3"}]`,
			want:  `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ryan3"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := doc(t, tt.start)
			before := DeepCopy(start)
			got, err := applyBody(t, tt.rs, start, tt.ops)
			if err != nil {
				t.Fatalf("ApplyPatch: %v", err)
			}
			if diff := cmp.Diff(doc(t, tt.want), got); diff != "" {
				t.Errorf("ApplyPatch mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, start); diff != "" {
				t.Errorf("ApplyPatch modified its input (-before +after):\n%s", diff)
			}
		})
	}
}
