package scim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkGetUser measures GET /Users/{id} through the whole handler:
// routing, the backend call, rendering and JSON encoding.
func BenchmarkGetUser(b *testing.B) {
	mem := newMemory()
	s, err := New(Options{BaseURL: testBase, Users: mem, Groups: mem})
	if err != nil {
		b.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(entraUser)))
	if w.Code != http.StatusCreated {
		b.Fatalf("create: %d %s", w.Code, w.Body)
	}
	id := w.Result().Header.Get("Location")[len(testBase+"/Users/"):]
	req := httptest.NewRequest(http.MethodGet, "/Users/"+id, nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
