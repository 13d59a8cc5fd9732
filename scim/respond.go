package scim

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// contentType is the media type of every SCIM answer (RFC 7644 §3.1, §8.1).
const contentType = "application/scim+json; charset=utf-8"

// writeJSON writes v as the JSON body of a response with the given status.
// Encoding cannot fail for the values this package builds (maps, slices,
// strings, numbers, booleans decoded from JSON); if it does, the client gets
// a 500 SCIM error rather than half a document.
func writeJSON(w http.ResponseWriter, status int, v any) {
	bp := bodyBuffers.Get().(*[]byte)
	body, err := scimdoc.AppendJSON((*bp)[:0], v)
	if err != nil {
		status = http.StatusInternalServerError
		body = append(body[:0], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"internal error"}`...)
	}
	body = append(body, '\n')
	writeRaw(w, status, body)
	if cap(body) <= maxPooledBody {
		*bp = body[:0]
		bodyBuffers.Put(bp)
	}
}

// maxPooledBody bounds the buffers kept for reuse, so one large list does
// not pin its memory.
const maxPooledBody = 64 << 10

// bodyBuffers holds the buffers answers are encoded into; the
// ResponseWriter copies a body before writeRaw returns.
var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// writeRaw writes an already encoded JSON body.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
