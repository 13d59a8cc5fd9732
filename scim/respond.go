package scim

import (
	"encoding/json"
	"errors"
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
// classify's 500 rather than half a document.
func writeJSON(w http.ResponseWriter, status int, v any) {
	bp := bodyBuffers.Get().(*[]byte)
	body, err := scimdoc.AppendJSON((*bp)[:0], v)
	if err != nil {
		status = http.StatusInternalServerError
		body = append(body[:0], internalErrorJSON...)
	}
	body = append(body, '\n')
	writeRaw(w, status, body)
	if cap(body) <= maxPooledBody {
		*bp = body[:0]
		bodyBuffers.Put(bp)
	}
}

// internalErrorJSON is the body classify gives any unexpected error,
// encoded once for writeJSON, which cannot encode it when encoding failed.
var internalErrorJSON = func() []byte {
	_, body, _ := classify(errors.New("unencodable answer"))
	b, err := json.Marshal(body)
	if err != nil {
		panic(err) // a struct of strings always encodes
	}
	return b
}()

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
