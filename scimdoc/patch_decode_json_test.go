package scimdoc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The decoder DecodePatch replaced, on encoding/json: DecodePatch must
// accept what it accepted, with the same operations, and refuse what it
// refused.
func decodePatchWithEncodingJSON(body []byte, maxOps int) ([]Operation, error) {
	var req struct {
		Schemas    []string          `json:"schemas"`
		Operations []json.RawMessage `json:"Operations"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, &Error{Status: 400, ScimType: TypeInvalidSyntax, Detail: "request body is not a valid PATCH request: " + jsonProblem(err), Err: err}
	}
	found := false
	for _, s := range req.Schemas {
		found = found || strings.EqualFold(strings.TrimSpace(s), PatchOpURN)
	}
	if !found {
		return nil, syntaxError("request \"schemas\" must contain %q", PatchOpURN)
	}
	if len(req.Operations) == 0 {
		return nil, syntaxError("request has no \"Operations\"")
	}
	if maxOps > 0 && len(req.Operations) > maxOps {
		return nil, syntaxError("request has %d operations; at most %d are allowed", len(req.Operations), maxOps)
	}
	ops := make([]Operation, 0, len(req.Operations))
	for i, raw := range req.Operations {
		op, err := decodeOperationWithEncodingJSON(raw)
		if err != nil {
			e, _ := AsError(err)
			return nil, &Error{Status: e.Status, ScimType: e.ScimType, Detail: "operation " + itoa(i+1) + ": " + e.Detail, Err: e.Err}
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func decodeOperationWithEncodingJSON(raw json.RawMessage) (Operation, error) {
	var o struct {
		Op    *string         `json:"op"`
		Path  json.RawMessage `json:"path"`
		Value json.RawMessage `json:"value"`
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return Operation{}, syntaxError("operation is null")
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return Operation{}, &Error{Status: 400, ScimType: TypeInvalidSyntax, Detail: "operation is not an object with op, path and value: " + jsonProblem(err), Err: err}
	}
	if o.Op == nil {
		return Operation{}, syntaxError("\"op\" is missing")
	}
	op := Operation{Op: strings.ToLower(strings.TrimSpace(*o.Op))}
	switch op.Op {
	case "add", "replace", "remove":
	default:
		return Operation{}, syntaxError("unknown op %q; use add, replace or remove", clip(*o.Op))
	}
	if len(o.Path) > 0 && !bytes.Equal(o.Path, []byte("null")) {
		if err := json.Unmarshal(o.Path, &op.Path); err != nil {
			return Operation{}, syntaxError("\"path\" must be a string")
		}
	}
	if len(o.Value) == 0 {
		if op.Op != "remove" {
			return Operation{}, syntaxError("%s operation has no \"value\"", op.Op)
		}
		return op, nil
	}
	if err := json.Unmarshal(o.Value, &op.Value); err != nil {
		return Operation{}, &Error{Status: 400, ScimType: TypeInvalidSyntax, Detail: "\"value\" is not valid JSON", Err: err}
	}
	return op, nil
}

func FuzzDecodePatchMatchesEncodingJSON(f *testing.F) {
	for _, body := range []string{
		patchBody(`[{"op":"Replace","path":"title","value":"x"}]`),
		patchBody(`[{"op":"remove","path":"title"},{"op":"add","value":{"a":[1,null,true]}}]`),
		patchBody(`[{"op":"add","path":null,"value":null}]`),
		patchBody(`[null]`), patchBody(`["add"]`), patchBody(`[{"op":1}]`), patchBody(`[{"op":"add","path":5,"value":1}]`),
		`{"SCHEMAS":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"operations":[{"OP":"remove","Path":"x"}]}`,
		`{"schemas":[null,"urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove"}]}`,
		`{"schemas":"x"}`, `{"schemas":[1]}`, `[1]`, `null`, ``, `{"Operations":{}}`,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := DecodePatch(body, 5)
		want, werr := decodePatchWithEncodingJSON(body, 5)
		if (err == nil) != (werr == nil) {
			t.Fatalf("DecodePatch(%q): error %v, encoding/json's decoder: %v", body, err, werr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodePatch(%q) = %#v, encoding/json's decoder: %#v", body, got, want)
		}
	})
}
