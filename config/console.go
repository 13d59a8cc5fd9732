package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/absorb-scim/absorb-scim/auth"
)

// ConsoleUser is a person who may sign in to the status console at
// /console/.
type ConsoleUser struct {
	Username string `yaml:"username"`
	// PasswordHash is what `absorb-scim hash-secret` prints for the password.
	PasswordHash string `yaml:"passwordHash"`
	// Role is viewer (looks) or operator (also releases holds, runs a
	// reconcile, applies the group rules).
	Role string `yaml:"role"`
	// Tenants, with tenants configured, are the ids of the tenants whose
	// console the user may sign in to; none means every tenant.
	Tenants []string `yaml:"tenants"`
}

// MaySee reports whether the user may sign in to tenant id's console.
func (u ConsoleUser) MaySee(id string) bool {
	return len(u.Tenants) == 0 || slices.Contains(u.Tenants, id)
}

// ConsoleUsers is auth.console as the auth package takes it.
func (c Config) ConsoleUsers() []auth.ConsoleUser {
	out := make([]auth.ConsoleUser, 0, len(c.Auth.Console))
	for _, u := range c.Auth.Console {
		out = append(out, auth.ConsoleUser{Username: u.Username, PasswordHash: u.PasswordHash, Role: u.Role})
	}
	return out
}

// consoleProblem matches an auth problem about one console user:
// `Console[0] "admin": PasswordHash must start with "sha256:"`.
var consoleProblem = regexp.MustCompile(`^Console\[(\d+)\] "([^"]*)": (Username|PasswordHash|Role)(.*)$`)

var consoleKeys = map[string]string{"Username": "username", "PasswordHash": "passwordHash", "Role": "role"}

// validateConsole reports auth.console's problems keyed like the file:
// `auth.console[0].passwordHash: PasswordHash must start ... (user "admin")`.
func (c Config) validateConsole(p *problems) {
	_, err := auth.NewConsoleUsers(c.ConsoleUsers())
	var ae *auth.ConfigError
	if err == nil {
		return
	}
	if !errors.As(err, &ae) {
		p.add("auth.console", "%v", err)
		return
	}
	for _, problem := range ae.Problems {
		m := consoleProblem.FindStringSubmatch(problem)
		if m == nil {
			p.add("auth.console", "%s", problem)
			continue
		}
		key := fmt.Sprintf("auth.console[%s].%s", m[1], consoleKeys[m[3]])
		msg := m[3] + m[4]
		if m[2] != "" {
			msg += fmt.Sprintf(" (user %q)", m[2])
		}
		p.add(key, "%s", msg)
	}
}
