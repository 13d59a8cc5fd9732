package absorbapi

import (
	"testing"
	"time"
)

func TestODataBuilders(t *testing.T) {
	ts := time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	tests := []struct {
		name, got, want string
	}{
		{"eq", Eq("username", "jdoe"), "username eq 'jdoe'"},
		{"eq escapes quote", Eq("lastName", "O'Brien"), "lastName eq 'O''Brien'"},
		{"quote doubles every quote", Quote("a''b"), "'a''''b'"},
		{"ge in utc", Ge("dateEdited", ts), "dateEdited ge datetime'2025-01-02T02:04:05Z'"},
		{"gt fraction", Gt("dateEdited", ts.Add(500*time.Millisecond)), "dateEdited gt datetime'2025-01-02T02:04:05.5Z'"},
		{"and two", And(Eq("a", "1"), Eq("b", "2")), "(a eq '1') and (b eq '2')"},
		{"and skips empty", And("", Eq("a", "1"), " "), "a eq '1'"},
		{"and none", And(), ""},
		{"or nested", Or(Eq("a", "1"), And(Eq("b", "2"), Eq("c", "3"))), "(a eq '1') or ((b eq '2') and (c eq '3'))"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
