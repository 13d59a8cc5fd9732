package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// readBody reads a request body of at most the Server's limit. It returns a
// 415 *scimdoc.Error for a media type other than application/scim+json or
// application/json (no Content-Type at all is accepted: Entra and some
// scripts send none), a 413 for a body over the limit (RFC 7644 §3.12 has no
// scimType for it), and a 400 invalidSyntax for an empty body.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, scimdoc.Errorf(http.StatusRequestEntityTooLarge, "",
				"the request body is larger than the limit of %d bytes", tooBig.Limit)
		}
		return nil, bodyReadError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "the request body is empty; a JSON object is required")
	}
	return body, nil
}

// errBodyAborted marks a request whose body the client stopped sending.
var errBodyAborted = errors.New("the client stopped sending the request body")

// bodyReadError is the 400 for a body that could not be read to its end:
// the client went away or broke the connection mid-body. It is the
// client's doing, so it is logged at info level and never counted as a
// server error.
func bodyReadError(err error) *scimdoc.Error {
	return &scimdoc.Error{Status: http.StatusBadRequest, ScimType: scimdoc.TypeInvalidSyntax,
		Detail: "the request body ended before it was complete", Err: fmt.Errorf("%w: %w", errBodyAborted, err)}
}

// checkContentType accepts the SCIM media type, plain JSON, or none
// (RFC 7644 §3.1, §8.1).
func checkContentType(header string) error {
	if strings.TrimSpace(header) == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(header)
	if err == nil && (mt == "application/scim+json" || mt == "application/json") {
		return nil
	}
	return scimdoc.Errorf(http.StatusUnsupportedMediaType, "",
		"unsupported Content-Type %q; send application/scim+json or application/json", header)
}

// decodeObject decodes body as one JSON object. It returns a 400
// invalidSyntax *scimdoc.Error saying where the JSON went wrong, or that the
// body is not an object.
func decodeObject(body []byte) (scimdoc.Document, error) {
	var v any
	if err := decodeJSON(body, &v); err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "the request body must be a JSON object, not %s", jsonKind(v))
	}
	return doc, nil
}

// checkJSON returns the located 400 invalidSyntax error of decodeJSON when
// body is not one well-formed JSON value.
func checkJSON(body []byte) error {
	if json.Valid(body) {
		return nil
	}
	var v any
	if err := decodeJSON(body, &v); err != nil {
		return err
	}
	return scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "invalid JSON")
}

// decodeJSON decodes exactly one JSON value from body into v, translating
// decoding errors into 400 invalidSyntax errors that say where.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return syntaxError(body, err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return syntaxError(body, err)
		}
		return scimdoc.BadRequest(scimdoc.TypeInvalidSyntax,
			"invalid JSON: unexpected %v after the end of the document at byte offset %d", tok, dec.InputOffset())
	}
	return nil
}

// syntaxError describes a JSON decoding error with its position. A
// *scimdoc.Error from a custom decoder passes through.
func syntaxError(body []byte, err error) *scimdoc.Error {
	if e, ok := scimdoc.AsError(err); ok {
		return e
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var detail string
	switch {
	case errors.As(err, &se):
		line, col := position(body, se.Offset)
		detail = fmt.Sprintf("invalid JSON at line %d, column %d (byte offset %d): %s", line, col, se.Offset, se.Error())
	case errors.As(err, &te):
		line, col := position(body, te.Offset)
		field := te.Field
		if field == "" {
			field = "the document"
		}
		detail = fmt.Sprintf("invalid JSON at line %d, column %d: %s is %s, expected %s", line, col, field, te.Value, te.Type)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		detail = fmt.Sprintf("invalid JSON: the document ends early, at byte offset %d", len(body))
	default:
		detail = "invalid JSON: " + err.Error()
	}
	return &scimdoc.Error{Status: http.StatusBadRequest, ScimType: scimdoc.TypeInvalidSyntax, Detail: detail, Err: err}
}

// position turns a byte offset into a 1-based line and column.
func position(body []byte, offset int64) (line, col int) {
	if offset > int64(len(body)) {
		offset = int64(len(body))
	}
	if offset < 0 {
		offset = 0
	}
	before := body[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

// jsonKind names the JSON type of a decoded value, for error details.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	default:
		return "an object"
	}
}

// precondition is the request's If-Match (RFC 7644 §3.14).
func precondition(r *http.Request) scimdoc.Precondition {
	return scimdoc.Precondition{IfMatch: strings.Join(r.Header.Values("If-Match"), ", ")}
}
