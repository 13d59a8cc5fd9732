package scimdoc

import (
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
	req, err := DecodeDocument(body)
	if err != nil {
		return nil, &Error{Status: 400, ScimType: TypeInvalidSyntax, Detail: "request body is not a valid PATCH request: " + jsonProblem(err), Err: err}
	}
	schemas, ok := valueCI(req, "schemas").([]any)
	if !ok && hasNonNull(req, "schemas") {
		return nil, wrongType("schemas")
	}
	found := false
	for _, s := range schemas {
		switch s := s.(type) {
		case string:
			found = found || strings.EqualFold(strings.TrimSpace(s), PatchOpURN)
		case nil:
		default:
			return nil, wrongType("schemas")
		}
	}
	if !found {
		return nil, syntaxError("request \"schemas\" must contain %q", PatchOpURN)
	}
	operations, ok := valueCI(req, "Operations").([]any)
	if !ok && hasNonNull(req, "Operations") {
		return nil, wrongType("Operations")
	}
	if len(operations) == 0 {
		return nil, syntaxError("request has no \"Operations\"")
	}
	if maxOps > 0 && len(operations) > maxOps {
		return nil, syntaxError("request has %d operations; at most %d are allowed", len(operations), maxOps)
	}
	ops := make([]Operation, 0, len(operations))
	for i, raw := range operations {
		op, err := decodeOperation(raw)
		if err != nil {
			return nil, &Error{Status: err.Status, ScimType: err.ScimType, Detail: "operation " + itoa(i+1) + ": " + err.Detail, Err: err.Err}
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// hasNonNull reports whether m has the member name with a value other than
// null.
func hasNonNull(m map[string]any, name string) bool { return valueCI(m, name) != nil }

// wrongType is the error for a member of the request of the wrong type.
func wrongType(name string) *Error {
	return syntaxError("request body is not a valid PATCH request: member %s has the wrong type", quote(name))
}

func decodeOperation(raw any) (Operation, *Error) {
	o, ok := raw.(map[string]any)
	if !ok {
		if raw == nil {
			return Operation{}, syntaxError("operation is null")
		}
		return Operation{}, syntaxError("operation is not an object with op, path and value: expected a JSON object")
	}
	var op Operation
	switch name := valueCI(o, "op").(type) {
	case nil:
		return Operation{}, syntaxError("\"op\" is missing")
	case string:
		op.Op = strings.ToLower(strings.TrimSpace(name))
		switch op.Op {
		case "add", "replace", "remove":
		default:
			return Operation{}, syntaxError("unknown op %q; use add, replace or remove", clip(name))
		}
	default:
		return Operation{}, syntaxError("operation is not an object with op, path and value: member \"op\" has the wrong type")
	}
	switch path := valueCI(o, "path").(type) {
	case nil:
	case string:
		op.Path = path
	default:
		return Operation{}, syntaxError("\"path\" must be a string")
	}
	// Member names are matched as encoding/json matches struct fields:
	// exactly if they can be, else case-insensitively (getCI).
	_, value, hasValue := getCI(o, "value")
	if !hasValue {
		if op.Op != "remove" {
			return Operation{}, syntaxError("%s operation has no \"value\"", op.Op)
		}
		return op, nil
	}
	op.Value = value
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
