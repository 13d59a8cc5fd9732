package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// contentType is the media type of every SCIM answer (RFC 7644 §3.1, §8.1).
const contentType = "application/scim+json; charset=utf-8"

// writeJSON writes v as the JSON body of a response with the given status.
// Encoding cannot fail for the values this package builds (maps, slices,
// strings, numbers, booleans decoded from JSON); if it does, the client gets
// a 500 SCIM error rather than half a document.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"internal error"}` + "\n")
	}
	writeRaw(w, status, buf.Bytes())
}

// writeRaw writes an already encoded JSON body.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
