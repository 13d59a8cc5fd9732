package scim

import (
	"fmt"
	"net/http"
	"runtime/debug"
)

// trackingWriter remembers whether a handler has started its answer, so a
// panic after that point is not answered twice.
type trackingWriter struct {
	http.ResponseWriter
	wroteHeader bool
}

func (w *trackingWriter) WriteHeader(status int) {
	w.wroteHeader = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *trackingWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recoverPanic turns a panic in a handler into a logged 500 SCIM error.
// http.ErrAbortHandler is re-raised: it is net/http's way to abort a
// response on purpose.
func (s *Server) recoverPanic(w *trackingWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	s.log.ErrorContext(r.Context(), "scim handler panicked",
		"method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if w.wroteHeader {
		return
	}
	renderError(w, fmt.Errorf("panic: %v", v))
}
