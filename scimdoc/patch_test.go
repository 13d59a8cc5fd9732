package scimdoc

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestApplyPatchSemantics(t *testing.T) {
	users := userSchema()
	tests := []struct {
		name  string
		start string
		ops   string
		want  string
	}{
		{
			name:  "add appends an email of another type",
			start: `{"userName":"a","emails":[{"value":"a@x.com","type":"work"}]}`,
			ops:   `[{"op":"add","path":"emails","value":[{"value":"a@x.com","type":"home"}]}]`,
			want:  `{"userName":"a","emails":[{"value":"a@x.com","type":"work"},{"value":"a@x.com","type":"home"}]}`,
		},
		{
			name:  "add merges an email with the same value and type, case-insensitively",
			start: `{"userName":"a","emails":[{"value":"a@x.com","type":"work"}]}`,
			ops:   `[{"op":"add","path":"emails","value":{"Value":"A@X.COM","Type":"work","Display":"A"}}]`,
			want:  `{"userName":"a","emails":[{"value":"A@X.COM","type":"work","display":"A"}]}`,
		},
		{
			name:  "add of a primary value makes the others non-primary",
			start: `{"userName":"a","emails":[{"value":"a@x.com","type":"work","primary":true}]}`,
			ops:   `[{"op":"add","path":"emails","value":[{"value":"b@x.com","type":"home","primary":"True"}]}]`,
			want:  `{"userName":"a","emails":[{"value":"a@x.com","type":"work","primary":false},{"value":"b@x.com","type":"home","primary":true}]}`,
		},
		{
			name:  "replace with a filter setting primary",
			start: `{"userName":"a","emails":[{"value":"a@x.com","type":"work","primary":true},{"value":"b@x.com","type":"home"}]}`,
			ops:   `[{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}]`,
			want:  `{"userName":"a","emails":[{"value":"a@x.com","type":"work","primary":false},{"value":"b@x.com","type":"home","primary":true}]}`,
		},
		{
			name:  "replace of a multi-valued attribute replaces the list",
			start: `{"userName":"a","emails":[{"value":"a@x.com"},{"value":"b@x.com"}]}`,
			ops:   `[{"op":"replace","path":"emails","value":[{"value":"c@x.com","type":"work"}]}]`,
			want:  `{"userName":"a","emails":[{"value":"c@x.com","type":"work"}]}`,
		},
		{
			name:  "add with a filter and no match creates the value from the filter",
			start: `{"userName":"a","addresses":[{"type":"home","locality":"X"}]}`,
			ops:   `[{"op":"add","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main St"}]`,
			want:  `{"userName":"a","addresses":[{"type":"home","locality":"X"},{"type":"work","streetAddress":"1 Main St"}]}`,
		},
		{
			name:  "replace with a filter and no match copies every eq term",
			start: `{"userName":"a"}`,
			ops:   `[{"op":"replace","path":"emails[type eq \"work\" and primary eq true].value","value":"a@x.com"}]`,
			want:  `{"userName":"a","emails":[{"type":"work","primary":true,"value":"a@x.com"}]}`,
		},
		{
			name:  "replace with a filter and no sub-attribute merges the value",
			start: `{"userName":"a","emails":[{"value":"a@x.com","type":"work","display":"A"}]}`,
			ops:   `[{"op":"replace","path":"emails[type eq \"work\"]","value":{"value":"b@x.com"}}]`,
			want:  `{"userName":"a","emails":[{"value":"b@x.com","type":"work","display":"A"}]}`,
		},
		{
			name:  "replace with a filter matching several values sets them all",
			start: `{"userName":"a","emails":[{"value":"a@x.com","type":"work"},{"value":"b@x.com","type":"work"},{"value":"c@x.com","type":"home"}]}`,
			ops:   `[{"op":"replace","path":"emails[type eq \"work\"].display","value":"W"}]`,
			want:  `{"userName":"a","emails":[{"value":"a@x.com","type":"work","display":"W"},{"value":"b@x.com","type":"work","display":"W"},{"value":"c@x.com","type":"home"}]}`,
		},
		{
			name:  "replace of a sub-attribute without filter on a multi-valued attribute",
			start: `{"userName":"a","emails":[{"value":"a@x.com"},{"value":"b@x.com"}]}`,
			ops:   `[{"op":"replace","path":"emails.type","value":"other"}]`,
			want:  `{"userName":"a","emails":[{"value":"a@x.com","type":"other"},{"value":"b@x.com","type":"other"}]}`,
		},
		{
			name:  "remove with a filter",
			start: `{"userName":"a","emails":[{"value":"a@x.com","type":"work"},{"value":"b@x.com","type":"home"}]}`,
			ops:   `[{"op":"remove","path":"emails[type eq \"home\"]"}]`,
			want:  `{"userName":"a","emails":[{"value":"a@x.com","type":"work"}]}`,
		},
		{
			name:  "remove with a filter matching nothing",
			start: `{"userName":"a","emails":[{"value":"a@x.com","type":"work"}]}`,
			ops:   `[{"op":"remove","path":"emails[type eq \"home\"]"},{"op":"remove","path":"phoneNumbers[type eq \"fax\"]"}]`,
			want:  `{"userName":"a","emails":[{"value":"a@x.com","type":"work"}]}`,
		},
		{
			name:  "remove of the last value removes the attribute",
			start: `{"userName":"a","emails":[{"value":"a@x.com","type":"work"}]}`,
			ops:   `[{"op":"remove","path":"emails[value eq \"A@X.com\"]"}]`,
			want:  `{"userName":"a"}`,
		},
		{
			name:  "remove of a sub-attribute with a filter",
			start: `{"userName":"a","emails":[{"value":"a@x.com","type":"work","display":"A"}]}`,
			ops:   `[{"op":"remove","path":"emails[type eq \"work\"].display"}]`,
			want:  `{"userName":"a","emails":[{"value":"a@x.com","type":"work"}]}`,
		},
		{
			name:  "remove of sub-attributes empties and removes the complex attribute",
			start: `{"userName":"a","name":{"givenName":"A","familyName":"B"}}`,
			ops:   `[{"op":"remove","path":"name.givenName"},{"op":"remove","path":"Name.FamilyName"}]`,
			want:  `{"userName":"a"}`,
		},
		{
			name:  "remove of an absent attribute is not an error",
			start: `{"userName":"a"}`,
			ops:   `[{"op":"remove","path":"title"},{"op":"remove","path":"name.givenName"},{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]`,
			want:  `{"userName":"a"}`,
		},
		{
			name:  "remove of the last extension attribute removes the extension",
			start: `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1"}}`,
			ops:   `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"}]`,
			want:  `{"userName":"a"}`,
		},
		{
			name:  "remove of a whole extension",
			start: `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","department":"D"}}`,
			ops:   `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`,
			want:  `{"userName":"a"}`,
		},
		{
			name:  "replace of a whole extension merges its members",
			start: `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","department":"D"}}`,
			ops:   `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"department":"E","costCenter":null}}]`,
			want:  `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","department":"E"}}`,
		},
		{
			name:  "null removes",
			start: `{"userName":"a","title":"T","name":{"givenName":"A","middleName":"M"}}`,
			ops:   `[{"op":"replace","path":"title","value":null},{"op":"replace","path":"name","value":{"middleName":null,"familyName":"F"}}]`,
			want:  `{"userName":"a","name":{"givenName":"A","familyName":"F"}}`,
		},
		{
			name:  "replace of a complex attribute keeps sub-attributes not given",
			start: `{"userName":"a","name":{"givenName":"A","familyName":"B"}}`,
			ops:   `[{"op":"replace","path":"name","value":{"givenName":"C"}}]`,
			want:  `{"userName":"a","name":{"givenName":"C","familyName":"B"}}`,
		},
		{
			name:  "no-path value ignores id, meta, schemas, readOnly and unknown members",
			start: `{"userName":"a"}`,
			ops:   `[{"op":"replace","value":{"id":"x","meta":{"created":"2020-01-01T00:00:00Z"},"schemas":["x"],"groups":[{"value":"g"}],"nope":1,"urn:x:typo:User":{"a":1},"title":"T"}}]`,
			want:  `{"userName":"a","title":"T"}`,
		},
		{
			name:  "no-path value with a whole complex attribute and a dotted key",
			start: `{"userName":"a","name":{"givenName":"A","familyName":"B"}}`,
			ops:   `[{"op":"add","value":{"Name":{"honorificPrefix":"Dr"},"name.givenName":"G"}}]`,
			want:  `{"userName":"a","name":{"givenName":"G","familyName":"B","honorificPrefix":"Dr"}}`,
		},
		{
			name:  "no-path add of a multi-valued attribute appends",
			start: `{"userName":"a","emails":[{"value":"a@x.com"}]}`,
			ops:   `[{"op":"add","value":{"emails":[{"value":"b@x.com"}]}}]`,
			want:  `{"userName":"a","emails":[{"value":"a@x.com"},{"value":"b@x.com"}]}`,
		},
		{
			name:  "no-path null removes an extension",
			start: `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1"}}`,
			ops:   `[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":null}}]`,
			want:  `{"userName":"a"}`,
		},
		{
			name:  "readOnly sub-attributes in a value are dropped",
			start: `{"userName":"a"}`,
			ops:   `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"Value":"m","displayName":"Boss"}}]`,
			want:  `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"}}}`,
		},
		{
			name:  "manager with the same value keeps other sub-attributes",
			start: `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m","$ref":"../Users/m"}}}`,
			ops:   `[{"op":"replace","path":"manager","value":{"value":"M"}}]`,
			want:  `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"M","$ref":"../Users/m"}}}`,
		},
		{
			name:  "manager value sub-attribute",
			start: `{"userName":"a"}`,
			ops:   `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"m"}]`,
			want:  `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"}}}`,
		},
		{
			name:  "empty manager list removes the manager",
			start: `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"},"department":"D"}}`,
			ops:   `[{"op":"replace","path":"manager","value":[]}]`,
			want:  `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D"}}`,
		},
		{
			name:  "keys in other cases are stored canonically",
			start: `{"USERNAME":"a","Title":"T","EMAILS":[{"Value":"a@x.com","TYPE":"work"}]}`,
			ops:   `[{"op":"replace","path":"title","value":"U"},{"op":"replace","path":"emails[type eq \"work\"].value","value":"b@x.com"}]`,
			want:  `{"USERNAME":"a","title":"U","emails":[{"value":"b@x.com","TYPE":"work"}]}`,
		},
		{
			name:  "binary values are base64 strings",
			start: `{"userName":"a"}`,
			ops:   `[{"op":"add","path":"x509Certificates","value":[{"value":"YWJj"}]}]`,
			want:  `{"userName":"a","x509Certificates":[{"value":"YWJj"}]}`,
		},
		{
			name:  "operations apply in order",
			start: `{"userName":"a"}`,
			ops:   `[{"op":"add","path":"title","value":"T"},{"op":"remove","path":"title"},{"op":"add","path":"nickName","value":"N"}]`,
			want:  `{"userName":"a","nickName":"N"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := applyBody(t, users, doc(t, tt.start), tt.ops)
			if err != nil {
				t.Fatalf("ApplyPatch: %v", err)
			}
			want := doc(t, tt.want)
			want["schemas"] = []any{userURN}
			if _, ok := want[enterpriseURN]; ok {
				want["schemas"] = []any{userURN, enterpriseURN}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ApplyPatch mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyPatchErrors(t *testing.T) {
	users, groups := userSchema(), groupSchema()
	tests := []struct {
		name     string
		rs       *ResourceSchema
		start    string
		ops      []Operation
		scimType string
		detail   string
	}{
		{"remove without path", users, `{"userName":"a"}`, []Operation{{Op: "remove"}}, TypeNoTarget, "needs a path"},
		{"unknown path", users, `{"userName":"a"}`, []Operation{{Op: "replace", Path: "nope", Value: "x"}}, TypeInvalidPath, `unknown attribute "nope"`},
		{"unknown sub-attribute", users, `{"userName":"a"}`, []Operation{{Op: "add", Path: "name.nope", Value: "x"}}, TypeInvalidPath, "unknown attribute"},
		{"typo URN path", users, `{"userName":"a"}`, []Operation{{Op: "add", Path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0User:employeeNumber", Value: "x"}}, TypeInvalidPath, "unknown attribute"},
		{"bad filter in path", users, `{"userName":"a"}`, []Operation{{Op: "replace", Path: `emails[type eq].value`, Value: "x"}}, TypeInvalidPath, "invalid filter"},
		{"id is readOnly", users, `{"userName":"a"}`, []Operation{{Op: "replace", Path: "id", Value: "x"}}, TypeMutability, `"id" is readOnly`},
		{"meta is readOnly", users, `{"userName":"a"}`, []Operation{{Op: "replace", Path: "meta.created", Value: "2020-01-01T00:00:00Z"}}, TypeMutability, `"meta.created" is readOnly`},
		{"groups are readOnly", users, `{"userName":"a"}`, []Operation{{Op: "add", Path: "groups", Value: []any{map[string]any{"value": "g"}}}}, TypeMutability, `"groups" is readOnly`},
		{"remove of readOnly", users, `{"userName":"a"}`, []Operation{{Op: "remove", Path: "groups"}}, TypeMutability, `"groups" is readOnly`},
		{"manager displayName is readOnly", users, `{"userName":"a"}`, []Operation{{Op: "replace", Path: "manager.displayName", Value: "x"}}, TypeMutability, "manager.displayName"},
		{"immutable member value", groups, engineers, []Operation{{Op: "replace", Path: `members[value eq "f648f8d5ea4e4cd38e9c"].value`, Value: "x"}}, TypeMutability, `"members.value" is immutable`},
		{"string for a complex attribute", users, `{"userName":"a"}`, []Operation{{Op: "replace", Path: "name", Value: "x"}}, TypeInvalidValue, `"name" must be an object`},
		{"object for a string", users, `{"userName":"a"}`, []Operation{{Op: "replace", Path: "userName", Value: map[string]any{"a": "b"}}}, TypeInvalidValue, `"userName" must be a string`},
		{"number for a string", users, `{"userName":"a"}`, []Operation{{Op: "replace", Path: "title", Value: 5.0}}, TypeInvalidValue, `"title" must be a string`},
		{"bad boolean", users, `{"userName":"a"}`, []Operation{{Op: "replace", Path: "active", Value: "maybe"}}, TypeInvalidValue, `"active" must be a boolean`},
		{"bad sub-attribute value", users, `{"userName":"a"}`, []Operation{{Op: "replace", Path: `emails[type eq "work"].value`, Value: 5.0}}, TypeInvalidValue, `"emails.value" must be a string`},
		{"bad element", users, `{"userName":"a"}`, []Operation{{Op: "add", Path: "emails", Value: []any{5.0}}}, TypeInvalidValue, `"emails" must be an object`},
		{"nested list", users, `{"userName":"a"}`, []Operation{{Op: "add", Path: "emails", Value: []any{[]any{}}}}, TypeInvalidValue, "list of single values"},
		{"bad extension attribute value", users, `{"userName":"a"}`, []Operation{{Op: "replace", Value: map[string]any{enterpriseURN: map[string]any{"employeeNumber": true}}}}, TypeInvalidValue, enterpriseURN + `:employeeNumber" must be a string`},
		{"extension not an object", users, `{"userName":"a"}`, []Operation{{Op: "replace", Value: map[string]any{enterpriseURN: "x"}}}, TypeInvalidValue, "must be an object"},
		{"no-path value not an object", users, `{"userName":"a"}`, []Operation{{Op: "replace", Value: "x"}}, TypeInvalidValue, "needs an object value"},
		{"no-path value missing", users, `{"userName":"a"}`, []Operation{{Op: "add"}}, TypeInvalidValue, "needs an object value"},
		{"attribute twice in a value", users, `{"userName":"a"}`, []Operation{{Op: "replace", Value: map[string]any{"title": "a", "TITLE": "b"}}}, TypeInvalidSyntax, "more than once"},
		{"sub-attribute twice in a value", users, `{"userName":"a"}`, []Operation{{Op: "replace", Path: "name", Value: map[string]any{"givenName": "a", "GivenName": "b"}}}, TypeInvalidSyntax, "more than once"},
		{"filter without eq terms matches nothing", users, `{"userName":"a"}`, []Operation{{Op: "replace", Path: `emails[value co "x"].type`, Value: "work"}}, TypeNoTarget, "matches the filter"},
		{"remove of a required attribute", users, `{"userName":"a"}`, []Operation{{Op: "remove", Path: "userName"}}, TypeInvalidValue, `"userName" is required`},
		{"null for a required attribute", groups, `{"displayName":"a"}`, []Operation{{Op: "replace", Value: map[string]any{"displayName": nil}}}, TypeInvalidValue, `"displayName" is required`},
		{"unknown op", users, `{"userName":"a"}`, []Operation{{Op: "delete", Path: "title"}}, TypeInvalidSyntax, "unknown op"},
		{"second operation fails", users, `{"userName":"a"}`, []Operation{{Op: "add", Path: "title", Value: "T"}, {Op: "add", Path: "nope", Value: "x"}}, TypeInvalidPath, "operation 2 (add)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := doc(t, tt.start)
			before := DeepCopy(start)
			got, err := ApplyPatch(tt.rs, start, tt.ops)
			if got != nil {
				t.Errorf("ApplyPatch returned a document with its error: %v", got)
			}
			e := wantSCIMError(t, err, 400, tt.scimType)
			if !strings.Contains(e.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", e.Detail, tt.detail)
			}
			if diff := cmp.Diff(before, start); diff != "" {
				t.Errorf("failed ApplyPatch modified its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestApplyPatchDoesNotAliasValues(t *testing.T) {
	rs := userSchema()
	value := map[string]any{"givenName": "A"}
	list := []any{map[string]any{"value": "a@x.com"}}
	got, err := ApplyPatch(rs, Document{"userName": "a"}, []Operation{
		{Op: "add", Path: "name", Value: value},
		{Op: "add", Path: "emails", Value: list},
	})
	if err != nil {
		t.Fatal(err)
	}
	value["givenName"] = "changed"
	list[0].(map[string]any)["value"] = "changed"
	if diff := cmp.Diff(map[string]any{"givenName": "A"}, got["name"]); diff != "" {
		t.Errorf("name after changing the operation value (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{map[string]any{"value": "a@x.com"}}, got["emails"]); diff != "" {
		t.Errorf("emails after changing the operation value (-want +got):\n%s", diff)
	}
}

func TestApplyPatchNilDocument(t *testing.T) {
	got, err := ApplyPatch(groupSchema(), nil, []Operation{{Op: "add", Path: "displayName", Value: "G"}})
	if err != nil {
		t.Fatal(err)
	}
	want := Document{"schemas": []any{groupURN}, "displayName": "G"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
