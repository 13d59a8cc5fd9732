package scim

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/absorb-scim/absorb-scim/schemas"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// errorBody is the SCIM error response (RFC 7644 §3.12). Status is a string,
// as the RFC's examples and Entra expect.
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail"`
}

// WriteError writes err as a SCIM error response (RFC 7644 §3.12) with
// Content-Type application/scim+json, so middleware in front of the Server
// (authentication) answers in the same shape. A *scimdoc.Error anywhere in
// err's chain gives the status, scimType and detail, and a Retry-After
// header (whole seconds, at least 1) when its RetryAfter is positive; 429
// and 503 pass through as such. Any other error becomes a 500 with the
// detail "internal error" and is logged with slog.Default; its text never
// reaches the client.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, slog.Default(), err)
}

// NewErrorWriter returns WriteError logging with log, for the middleware and
// handlers in front of a Server (authentication, the admin endpoints): every
// SCIM error the bridge answers is rendered and logged by the same code.
func NewErrorWriter(log *slog.Logger) func(w http.ResponseWriter, r *http.Request, err error) {
	return func(w http.ResponseWriter, r *http.Request, err error) { writeError(w, r, log, err) }
}

// writeError is WriteError with the logger of the Server.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, _, retry := classify(err)
	failureLogger{log}.log(r, "scim request", status, retry, err)
	renderError(w, err)
}

// renderError writes err as the client sees it: the status, body and
// Retry-After of classify. Only writeError and recoverPanic, which logs the
// panic with its stack itself, call it.
func renderError(w http.ResponseWriter, err error) {
	status, body, retry := classify(err)
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(retry), 10))
	}
	writeJSON(w, status, body)
}

// failureLogger logs failures at the level their status calls for: the
// server's own failures as errors, throttling as warnings, the client's
// mistakes at debug level. A 501 (/Me, a query of the root) is a client
// asking for what the bridge does not offer: logged as an error, any
// credential could fill the console's list of the last errors with it.
type failureLogger struct{ *slog.Logger }

// log logs one failure of what ("scim request", "scim bulk operation") with
// r's method and path and attrs.
func (l failureLogger) log(r *http.Request, what string, status int, retry time.Duration, err error, attrs ...any) {
	ctx := context.Background()
	if r != nil {
		ctx = r.Context()
		attrs = append([]any{"method", r.Method, "path", r.URL.Path}, attrs...)
	}
	switch {
	case errors.Is(err, context.Canceled):
		l.InfoContext(ctx, what+" canceled", append(attrs, "err", err)...)
	case errors.Is(err, errBodyAborted):
		l.InfoContext(ctx, what+" abandoned by the client", append(attrs, "status", status, "err", err)...)
	case status >= 500 && status != http.StatusServiceUnavailable && status != http.StatusNotImplemented:
		l.ErrorContext(ctx, what+" failed", append(attrs, "status", status, "err", err)...)
	case status == http.StatusTooManyRequests:
		l.WarnContext(ctx, what+" throttled", append(attrs, "status", status, "retry_after", retry.String(), "err", err)...)
	case status == http.StatusServiceUnavailable:
		// Absorb down, failing or refusing the bridge's login: not
		// throttling, and the error says which.
		l.WarnContext(ctx, what+" deferred: Absorb cannot serve it now", append(attrs, "status", status, "retry_after", retry.String(), "err", err)...)
	default:
		l.DebugContext(ctx, what+" rejected", append(attrs, "status", status, "err", err)...)
	}
}

// classify is the one status table: it turns any error into the status,
// body and Retry-After delay the client sees.
func classify(err error) (int, errorBody, time.Duration) {
	body := errorBody{Schemas: []string{schemas.ErrorURN}}
	e, ok := scimdoc.AsError(err)
	if !ok || e.Status < 400 || e.Status > 599 {
		body.Status = strconv.Itoa(http.StatusInternalServerError)
		body.Detail = "internal error"
		return http.StatusInternalServerError, body, 0
	}
	body.Status = strconv.Itoa(e.Status)
	body.ScimType = e.ScimType
	body.Detail = e.Detail
	if body.Detail == "" {
		body.Detail = http.StatusText(e.Status)
	}
	return e.Status, body, e.RetryAfter
}

// retryAfterSeconds rounds d up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int64 {
	s := int64(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}

// notImplemented is the 501 answer for an endpoint the server does not
// offer (RFC 7644 §3.7, §3.11).
func notImplemented(what string) *scimdoc.Error {
	return scimdoc.Errorf(http.StatusNotImplemented, "", "%s is not implemented", what)
}

// asClientError turns an error from decoding or applying a client's document
// into a 400 when it is not already a *scimdoc.Error: such errors describe
// the client's input, so they are the client's to see.
func asClientError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := scimdoc.AsError(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &scimdoc.Error{Status: http.StatusBadRequest, ScimType: scimdoc.TypeInvalidValue, Detail: err.Error(), Err: err}
}
