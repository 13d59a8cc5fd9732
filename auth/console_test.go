package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestConsoleUsersCheck(t *testing.T) {
	users, err := NewConsoleUsers([]ConsoleUser{
		{Username: "ops", PasswordHash: HashSecret("operator-password-1"), Role: RoleOperator},
		{Username: "help", PasswordHash: HashSecret("viewer-password-2"), Role: RoleViewer},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, password, wantRole string
		wantOK                         bool
	}{
		{"operator", "ops", "operator-password-1", RoleOperator, true},
		{"viewer", "help", "viewer-password-2", RoleViewer, true},
		{"wrong password", "ops", "viewer-password-2", "", false},
		{"unknown user", "nobody", "operator-password-1", "", false},
		{"case matters", "OPS", "operator-password-1", "", false},
		{"empty", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role, ok := users.Check(tt.user, tt.password)
			if role != tt.wantRole || ok != tt.wantOK {
				t.Errorf("Check(%q) = %q, %v; want %q, %v", tt.user, role, ok, tt.wantRole, tt.wantOK)
			}
		})
	}
}

func TestNoConsoleUsersLetsNoOneIn(t *testing.T) {
	users, err := NewConsoleUsers(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := users.Check("", ""); ok {
		t.Error("an empty user list let someone in")
	}
}

func TestConsoleUsersProblems(t *testing.T) {
	_, err := NewConsoleUsers([]ConsoleUser{
		{Username: "a", PasswordHash: "nope", Role: "root"},
		{Username: "b", PasswordHash: HashSecret("admin"), Role: RoleOperator},
	})
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 3 {
		t.Fatalf("NewConsoleUsers = %v, want three problems (a's hash and role, b's weak password)", err)
	}
	if !strings.Contains(ce.Problems[2], `Console[1] "b": PasswordHash is the hash of a well-known weak password`) {
		t.Errorf("problem %q, want b's weak password named", ce.Problems[2])
	}
}
