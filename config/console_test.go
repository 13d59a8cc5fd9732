package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/absorb-scim/absorb-scim/auth"
)

func TestConsoleUsersLoaded(t *testing.T) {
	hash := auth.HashSecret("a-long-random-console-password")
	yaml := strings.Replace(validYAML, "auth:\n", "auth:\n  console:\n    - {username: ops, passwordHash: \""+hash+"\", role: operator}\n    - {username: help, passwordHash: \""+hash+"\", role: viewer}\n", 1)
	cfg, err := Load(writeFile(t, "console.yaml", yaml), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	users, err := auth.NewConsoleUsers(cfg.ConsoleUsers())
	if err != nil {
		t.Fatal(err)
	}
	if role, ok := users.Check("help", "a-long-random-console-password"); !ok || role != auth.RoleViewer {
		t.Errorf("Check(help) = %q, %v; want viewer, true", role, ok)
	}
}

func TestConsoleProblemsKeyed(t *testing.T) {
	yaml := strings.Replace(validYAML, "auth:\n", `auth:
  console:
    - {username: ops, passwordHash: "plain-password", role: operator}
    - {username: ops, passwordHash: "sha256:00", role: admin}
    - {username: "", role: viewer}
`, 1)
	_, err := Load(writeFile(t, "bad-console.yaml", yaml), noEnv)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Load = %v, want *Error", err)
	}
	text := strings.Join(ce.Problems, "\n")
	for _, want := range []string{
		`auth.console[0].passwordHash: PasswordHash must start with "sha256:" (user "ops")`,
		`auth.console[1].username: Username is also used by`,
		`auth.console[1].passwordHash: PasswordHash must have 64 hex digits`,
		`auth.console[1].role: Role "admin" must be viewer or operator`,
		`auth.console[2].username: Username is empty`,
		`auth.console[2].passwordHash: PasswordHash is empty`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no problem %q in:\n%s", want, text)
		}
	}
}

func TestConsoleUsersAreNotIdPCredentials(t *testing.T) {
	// A console user alone does not let IdPs in: the bridge still needs a
	// SCIM credential.
	open := strings.Replace(validYAML, "auth:\n  tokens:\n    - name: okta\n      value: okta-token-0123456789abcdef\n",
		"auth:\n  console:\n    - {username: ops, passwordHash: \""+auth.HashSecret("x-long-random-password")+"\", role: operator}\n", 1)
	_, err := Load(writeFile(t, "console-only.yaml", open), noEnv)
	if err == nil || !strings.Contains(err.Error(), "auth: no credential") {
		t.Fatalf("Load = %v, want a refusal to run without SCIM credentials", err)
	}
}
