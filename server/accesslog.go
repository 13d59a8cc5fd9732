package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/auth"
	"github.com/absorb-scim/absorb-scim/bridge"
)

// requestInfo collects what the access log reports of one request; inner
// handlers fill it in through the context.
type requestInfo struct {
	credential string
	requestID  string
	upstream   atomic.Int64 // requests sent to Absorb on behalf of this one
}

type requestInfoKey struct{}

// requestLog writes one line per request: a request id (taken from
// X-Request-Id when the client sends a sane one, else generated, and echoed
// in the response), credential name, User-Agent, method, path, status and
// duration. Query strings, headers and bodies are not logged: they may hold
// secrets or personal data.
func requestLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		info := &requestInfo{requestID: id}
		ctx := context.WithValue(r.Context(), requestInfoKey{}, info)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(ctx))
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			return
		}
		resource, resourceID := scimTarget(r.URL.Path)
		log.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("requestId", id),
			slog.String("credential", info.credential),
			slog.String("userAgent", r.UserAgent()),
			slog.String("method", r.Method),
			slog.String("path", publicPath(r)),
			slog.String("resource", resource),
			slog.String("resourceId", resourceID),
			slog.Int("status", rec.status),
			slog.Int64("upstreamCalls", info.upstream.Load()),
			slog.Duration("duration", time.Since(start)),
		)
	})
}

// scimTarget names the resource type and id a SCIM path addresses
// (/scim/v2/Users/{id} gives "Users" and the id).
func scimTarget(path string) (resource, id string) {
	rest, ok := strings.CutPrefix(path, SCIMPrefix+"/")
	if !ok {
		return "", ""
	}
	resource, id, _ = strings.Cut(rest, "/")
	return resource, id
}

// CountUpstream returns next extended to count each request sent to Absorb
// against the SCIM request whose context the call carries, for the access
// log's upstreamCalls. Calls made outside a request (the sync, the rules
// queue) are only passed on.
func CountUpstream(next absorbapi.Observer) absorbapi.Observer { return upstreamCounter{next} }

type upstreamCounter struct{ absorbapi.Observer }

var _ absorbapi.Observer = upstreamCounter{}

func (c upstreamCounter) ObserveRequest(ctx context.Context, method, endpoint string, status int, d time.Duration) {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		info.upstream.Add(1)
	}
	c.Observer.ObserveRequest(ctx, method, endpoint, status, d)
}

// Credential is the name of the credential that authenticated r, as the
// access log records it; "" before authentication or without it. The
// metrics label SCIM requests with it.
func Credential(r *http.Request) string {
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		return info.credential
	}
	return ""
}

// noteCredential records the authenticated credential's name for the log,
// and passes it down with the request id as the bridge.Actor that the audit
// log records for every change the request makes in Absorb.
func noteCredential(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := r.Context().Value(requestInfoKey{}).(*requestInfo)
		if c, ok := auth.CredentialFrom(r.Context()); ok {
			actor := bridge.Actor{Credential: c.Name, StrictPatch: c.StrictPatch}
			if info != nil {
				info.credential = c.Name
				actor.RequestID = info.requestID
			}
			r = r.WithContext(bridge.WithActor(r.Context(), actor))
		}
		next.ServeHTTP(w, r)
	})
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
