package absorbapi

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseErrorBody(t *testing.T) {
	tests := []struct {
		name string
		body string
		want errorBody
	}{
		{"message", `{"message":"Forbidden"}`, errorBody{Message: "Forbidden"}},
		{"asp.net message", `{"Message":"The request is invalid."}`, errorBody{Message: "The request is invalid."}},
		{"nested error", `{"error":{"message":"The specified resource could not be found"}}`, errorBody{Message: "The specified resource could not be found"}},
		{
			"validations map",
			`{"code":422,"message":"Submitted resource cannot be processed due to semantic errors","validations":{"0":[{"message":"The FirstName field is required."},{"message":"Username already exists."}]}}`,
			errorBody{Message: "Submitted resource cannot be processed due to semantic errors", Messages: []string{"The FirstName field is required.", "Username already exists."}},
		},
		{
			"validations under error",
			`{"error":{"validations":{"0":[{"message":"The KeyName field is required."}]}}}`,
			errorBody{Messages: []string{"The KeyName field is required."}},
		},
		{
			"model state",
			`{"Message":"The request is invalid.","ModelState":{"user.LastName":["The LastName field is required."],"user.FirstName":["The FirstName field is required."]}}`,
			errorBody{Message: "The request is invalid.", Messages: []string{"The FirstName field is required.", "The LastName field is required."}},
		},
		{
			"validation with property names",
			`{"validations":[{"property":"username","code":"dup","message":"taken"}]}`,
			errorBody{Messages: []string{"taken"}},
		},
		{"bare string", `"nope"`, errorBody{Message: "nope"}},
		{"not json", "  <html>bad gateway</html> ", errorBody{Message: "<html>bad gateway</html>"}},
		{"empty", ``, errorBody{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErrorBody([]byte(tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseErrorBody mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMentionsConflict(t *testing.T) {
	tests := []struct {
		name     string
		username string
		msgs     []string
		want     bool
	}{
		{"already", "jdoe", []string{"Username already exists."}, true},
		{"in use", "jdoe", []string{"That name is in use"}, true},
		{"names the user", "jdoe", []string{"jdoe: cannot create"}, true},
		{"names the user with punctuation", "j.doe@x.com", []string{"User 'j.doe@x.com' rejected"}, true},
		{"required field", "jdoe", []string{"The FirstName field is required."}, false},
		{"username inside a longer word", "ann", []string{"The Department field is required; cannot plan"}, false},
		{"generic", "jdoe", []string{"Submitted resource cannot be processed due to semantic errors"}, false},
		{"none", "jdoe", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mentionsConflict(tt.username, tt.msgs); got != tt.want {
				t.Errorf("mentionsConflict(%q, %q) = %v, want %v", tt.username, tt.msgs, got, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	got := redact("key KEY-123456 pw hunter22 header 'Bearer abc.def-ghi' and bearer xyz", "KEY-123456", "hunter22", "")
	want := "key [redacted] pw [redacted] header 'Bearer [redacted]' and bearer [redacted]"
	if got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
}

func TestErrorHelpers(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		check func(error) bool
	}{
		{"not found", fmt.Errorf("x: %w", ErrNotFound), IsNotFound},
		{"forbidden", fmt.Errorf("x: %w", ErrForbidden), IsForbidden},
		{"unauthorized", fmt.Errorf("x: %w", ErrUnauthorized), IsUnauthorized},
		{"validation", fmt.Errorf("x: %w", &ValidationError{Status: 422}), IsValidation},
		{"rate limited", fmt.Errorf("x: %w", &RateLimitError{Attempts: 3}), IsRateLimited},
		{"unavailable", fmt.Errorf("x: %w", &UnavailableError{Attempts: 3, Err: errors.New("eof")}), IsUnavailable},
		{"conflict", fmt.Errorf("x: %w", &ConflictError{Username: "a", Hidden: true}), IsConflict},
		{"retryable", fmt.Errorf("x: %w", &RateLimitError{}), IsRetryable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.check(tt.err) {
				t.Errorf("predicate does not recognise %v", tt.err)
			}
			if tt.check(errors.New("other")) {
				t.Errorf("predicate recognises an unrelated error")
			}
		})
	}
}
