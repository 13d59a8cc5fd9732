package fakeabsorb

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// reply is a handler's answer, written only after faults and latency are applied.
type reply struct {
	status int
	body   any // encoded as JSON; nil means no body
}

// encode returns the JSON body of the reply, or nil for none. A body that
// fails to encode is answered {"message":"Internal Server Error"}, with the
// reply's status.
func (r reply) encode() []byte {
	if r.body == nil {
		return nil
	}
	b, err := json.Marshal(r.body)
	if err != nil {
		return []byte(`{"message":"Internal Server Error"}`)
	}
	return b
}

// write sends a reply's status and encoded body.
func write(w http.ResponseWriter, status int, body []byte) {
	if body != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Messages Absorb's gateway and API answer with.
const (
	msgForbidden      = "Forbidden"
	msgDenied         = "Authorization has been denied for this request."
	msgTooMany        = "Too Many Requests"
	msgInternal       = "Internal Server Error"
	msgNotFound       = "The specified resource could not be found"
	msgSemantic       = "Submitted resource cannot be processed due to semantic errors"
	msgModelInvalid   = "Request Model Validation Error"
	msgInvalidRequest = "The request is invalid."
	// msgUnknownPath is AWS API Gateway's answer for a path it does not route;
	// the real message quotes the Authorization header, which the fake redacts.
	msgUnknownPath = "'[redacted]' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer [redacted]'."
)

func message(status int, msg string) reply {
	return reply{status: status, body: map[string]string{"message": msg}}
}

func ok(status int, body any) reply { return reply{status: status, body: body} }

func notFound() reply {
	return reply{status: http.StatusNotFound, body: map[string]any{"error": map[string]string{"message": msgNotFound}}}
}

func invalidFormat(name string) reply {
	return message(http.StatusUnprocessableEntity, fmt.Sprintf("Invalid format provided for %s", name))
}

func invalidRequest() reply { return message(http.StatusBadRequest, msgInvalidRequest) }

// validation is a 422 with model validation messages, in Absorb's shape.
func validation(msgs ...string) reply {
	list := make([]map[string]string, len(msgs))
	for i, m := range msgs {
		list[i] = map[string]string{"message": m}
	}
	return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
		"code":        http.StatusUnprocessableEntity,
		"message":     msgSemantic,
		"validations": map[string]any{"0": list},
	}}
}
