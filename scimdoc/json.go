package scimdoc

import (
	"bytes"
	"encoding/json"
)

// DecodeDocument decodes a JSON object into a Document with encoding/json
// (objects as map[string]any, arrays as []any, numbers as float64). JSON null
// decodes to a nil Document; any other value that is not an object is an
// error, as is malformed JSON.
func DecodeDocument(data []byte) (Document, error) {
	var doc Document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// AppendJSON appends the JSON encoding of v to dst as a json.Encoder with
// SetEscapeHTML(false) writes it, without the newline: SCIM answers and
// stored documents keep "<", ">" and "&" as they are.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
