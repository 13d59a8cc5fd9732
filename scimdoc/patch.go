package scimdoc

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// PatchOpURN is the schema of a PATCH request body (RFC 7644 §3.5.2).
const PatchOpURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// Operation is one PATCH operation (RFC 7644 §3.5.2). Op is "add",
// "replace" or "remove" in lower case; Path is empty when the request gave
// none; Value is the decoded JSON value (nil when absent or null).
type Operation struct {
	Op    string
	Path  string
	Value any
}

func syntaxError(format string, args ...any) *Error {
	return BadRequest(TypeInvalidSyntax, format, args...)
}

// DecodePatch decodes a PATCH request body (RFC 7644 §3.5.2). Member names
// are matched case-insensitively and "op" may be in any case (Entra ID sends
// "Replace"). It returns a 400 *Error with scimType invalidSyntax when the
// body is not JSON, its "schemas" lacks the PatchOp URN (compared
// case-insensitively), "Operations" is missing or empty or has more than
// maxOps entries (maxOps <= 0: no limit), an operation is not an object, its
// op is not add, replace or remove, its path is not a string, or an add or
// replace has no value.
func DecodePatch(body []byte, maxOps int) ([]Operation, error) {
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
		op, err := decodeOperation(raw)
		if err != nil {
			e, _ := AsError(err)
			return nil, &Error{Status: e.Status, ScimType: e.ScimType, Detail: "operation " + itoa(i+1) + ": " + e.Detail, Err: e.Err}
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func decodeOperation(raw json.RawMessage) (Operation, error) {
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

// jsonProblem describes a JSON decoding error without quoting the body.
func jsonProblem(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return "malformed JSON at offset " + itoa(int(e.Offset))
	case *json.UnmarshalTypeError:
		if e.Field != "" {
			return "member " + quote(e.Field) + " has the wrong type"
		}
		return "expected a JSON object"
	}
	return "malformed JSON"
}

func itoa(i int) string { return strconv.Itoa(i) }
