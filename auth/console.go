package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
)

// Roles of a console user.
const (
	// RoleViewer may look at every console page and act on nothing.
	RoleViewer = "viewer"
	// RoleOperator may also release and discard held deactivations, run a
	// reconcile and apply the group rules.
	RoleOperator = "operator"
)

// ConsoleUser is a person who may sign in to the status console. It is a
// credential kind of its own: the SCIM middleware never accepts it, and the
// console never accepts an IdP credential.
type ConsoleUser struct {
	Username string
	// PasswordHash is HashSecret(password), "sha256:<hex>", as `absorb-scim
	// hash-secret` prints it.
	PasswordHash string
	// Role is RoleViewer or RoleOperator.
	Role string
}

// ConsoleUsers checks console sign-ins. Build it with NewConsoleUsers; it is
// safe for concurrent use.
type ConsoleUsers struct {
	users []consoleUser
}

type consoleUser struct {
	name     string
	role     string
	user     [sha256.Size]byte
	password [sha256.Size]byte
}

// NewConsoleUsers validates users and returns the checker. It reports every
// problem at once as a *ConfigError, each starting with `Console[i] "name":`:
// an empty or duplicate username, a malformed hash or the hash of a
// well-known weak password, and an unknown role. No
// users is valid: the console then lets no one in.
func NewConsoleUsers(users []ConsoleUser) (*ConsoleUsers, error) {
	c := &checker{names: map[string]string{}}
	out := &ConsoleUsers{}
	seen := map[string]string{}
	for i, u := range users {
		where := fmt.Sprintf("Console[%d] %q", i, u.Username)
		cu := consoleUser{name: u.Username, role: u.Role}
		switch {
		case u.Username == "":
			c.addf("%s: Username is empty", where)
		case !printable(u.Username) || strings.TrimSpace(u.Username) != u.Username:
			c.addf("%s: Username must be printable, without leading or trailing spaces", where)
		}
		if prev, dup := seen[u.Username]; dup && u.Username != "" {
			c.addf("%s: Username is also used by %s", where, prev)
		}
		seen[u.Username] = where
		cu.user = sha256.Sum256([]byte(u.Username))
		if u.PasswordHash == "" {
			c.addf("%s: PasswordHash is empty; make one with `absorb-scim hash-secret`", where)
		} else if d, err := parseHash(u.PasswordHash); err != nil {
			c.addf("%s: PasswordHash %s", where, err)
		} else if isWeakDigest(d) {
			c.addf("%s: PasswordHash is the hash of a well-known weak password; use a random one (`openssl rand -base64 24`) and hash it with `absorb-scim hash-secret`", where)
		} else {
			cu.password = d
		}
		if u.Role != RoleViewer && u.Role != RoleOperator {
			c.addf("%s: Role %q must be %s or %s", where, u.Role, RoleViewer, RoleOperator)
		}
		out.users = append(out.users, cu)
	}
	if len(c.problems) > 0 {
		return nil, &ConfigError{Problems: c.problems}
	}
	return out, nil
}

// Check returns the role of the user whose username and password these are,
// and false when none matches. It compares SHA-256 digests with crypto/subtle
// and visits every user whatever matches, so the timing tells nothing of
// which usernames exist.
func (c *ConsoleUsers) Check(username, password string) (role string, ok bool) {
	if c == nil {
		return "", false
	}
	ud := sha256.Sum256([]byte(username))
	pd := sha256.Sum256([]byte(password))
	for i := range c.users {
		u := subtle.ConstantTimeCompare(ud[:], c.users[i].user[:])
		p := subtle.ConstantTimeCompare(pd[:], c.users[i].password[:])
		if u&p == 1 && !ok {
			role, ok = c.users[i].role, true
		}
	}
	return role, ok
}

// Len is the number of configured console users.
func (c *ConsoleUsers) Len() int {
	if c == nil {
		return 0
	}
	return len(c.users)
}
