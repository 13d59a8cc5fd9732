package scimdoc

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodePatch(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []Operation
	}{
		{
			name: "E-9 Entra capitalised ops",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]}`,
			want: []Operation{
				{Op: "replace", Path: `emails[type eq "work"].value`, Value: "updatedEmail@microsoft.com"},
				{Op: "replace", Path: "name.familyName", Value: "updatedFamilyName"},
			},
		},
		{
			name: "O-7 no path",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
			want: []Operation{{Op: "replace", Value: map[string]any{"active": false}}},
		},
		{
			name: "E-26 remove without value",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"7f4bc1a3\"]"}]}`,
			want: []Operation{{Op: "remove", Path: `members[value eq "7f4bc1a3"]`}},
		},
		{
			name: "member names in other cases",
			body: `{"SCHEMAS":["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],"operations":[{"OP":"ADD","PATH":"nickName","VALUE":"Babs"}]}`,
			want: []Operation{{Op: "add", Path: "nickName", Value: "Babs"}},
		},
		{
			name: "null path and null value",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":null},{"op":"remove","path":null}]}`,
			want: []Operation{{Op: "replace", Path: "title"}, {Op: "remove"}},
		},
		{
			name: "extra schema and members",
			body: `{"schemas":["urn:x","urn:ietf:params:scim:api:messages:2.0:PatchOp"],"id":"g1","Operations":[{"op":"add","path":"members","value":[{"$ref":null,"value":"f648"}],"extra":1}]}`,
			want: []Operation{{Op: "add", Path: "members", Value: []any{map[string]any{"$ref": nil, "value": "f648"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodePatch([]byte(tt.body), 10)
			if err != nil {
				t.Fatalf("DecodePatch: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodePatch mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodePatchErrors(t *testing.T) {
	const urn = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
	tests := []struct {
		name, body, detail string
	}{
		{"not JSON", `{"schemas":`, "not a valid PATCH request"},
		{"array", `[1,2]`, "not a valid PATCH request"},
		{"empty body", ``, "not a valid PATCH request"},
		{"no schemas", `{"Operations":[{"op":"add","path":"title","value":"x"}]}`, "must contain"},
		{"wrong schema", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Operations":[{"op":"add","path":"title","value":"x"}]}`, "must contain"},
		{"schemas not a list", `{"schemas":"urn:ietf:params:scim:api:messages:2.0:PatchOp","Operations":[]}`, "not a valid PATCH request"},
		{"no operations", `{` + urn + `}`, `no "Operations"`},
		{"empty operations", `{` + urn + `,"Operations":[]}`, `no "Operations"`},
		{"operations not a list", `{` + urn + `,"Operations":{"op":"add"}}`, "not a valid PATCH request"},
		{"too many", `{` + urn + `,"Operations":[` + strings.Repeat(`{"op":"remove","path":"title"},`, 3) + `{"op":"remove","path":"title"}]}`, "4 operations; at most 3"},
		{"unknown op", `{` + urn + `,"Operations":[{"op":"delete","path":"title"}]}`, `operation 1: unknown op "delete"`},
		{"missing op", `{` + urn + `,"Operations":[{"path":"title","value":"x"}]}`, `"op" is missing`},
		{"op not a string", `{` + urn + `,"Operations":[{"op":1,"path":"title"}]}`, "operation 1"},
		{"operation not an object", `{` + urn + `,"Operations":["add"]}`, "operation 1"},
		{"null operation", `{` + urn + `,"Operations":[null]}`, "operation is null"},
		{"path not a string", `{` + urn + `,"Operations":[{"op":"add","path":5,"value":"x"}]}`, `"path" must be a string`},
		{"add without value", `{` + urn + `,"Operations":[{"op":"add","path":"title"}]}`, `add operation has no "value"`},
		{"replace without value", `{` + urn + `,"Operations":[{"op":"remove","path":"title"},{"op":"replace"}]}`, `operation 2: replace operation has no "value"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodePatch([]byte(tt.body), 3)
			e := wantSCIMError(t, err, 400, TypeInvalidSyntax)
			if !strings.Contains(e.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", e.Detail, tt.detail)
			}
		})
	}
}

func TestDecodePatchNoLimit(t *testing.T) {
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Repeat(`{"op":"remove","path":"title"},`, 200) + `{"op":"remove","path":"title"}]}`
	ops, err := DecodePatch([]byte(body), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 201 {
		t.Errorf("got %d operations, want 201", len(ops))
	}
}
