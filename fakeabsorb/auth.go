package fakeabsorb

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// session is what a token grants.
type session struct {
	userID  string
	expires time.Time
}

// caller is the administrator behind a request.
type caller struct {
	userID string
	scope  string // department subtree the admin manages; "" for the whole portal
}

// authenticate is POST /authenticate: {username, password, privateKey} → a
// bare JSON string token. A login supersedes the admin's previous token.
func (s *Server) authenticate(c *call) reply {
	var in struct {
		Username   string `json:"username"`
		Password   string `json:"password"`
		PrivateKey string `json:"privateKey"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		return invalidRequest()
	}
	if strings.TrimSpace(in.Username) == "" || in.Password == "" || strings.TrimSpace(in.PrivateKey) == "" {
		return message(http.StatusBadRequest, "The username, password and privateKey fields are required.")
	}
	u := s.st.userByUsername(strings.TrimSpace(in.Username))
	if in.PrivateKey != PrivateKey || u == nil || s.st.admins[u.ID] == nil ||
		u.password != in.Password || u.ActiveStatus != 0 {
		return message(http.StatusUnauthorized, "Invalid username or password.")
	}
	u.LastLoginDate = c.now
	s.st.putUser(u)
	now := s.now()
	s.revokeLocked(u.ID)
	tok := newToken()
	s.tokens[tok] = session{userID: u.ID, expires: now.Add(s.tokenTTL)}
	s.current[u.ID] = tok
	s.stats.Logins++
	return ok(http.StatusOK, tok)
}

// authorizeLocked resolves an Authorization header ("Bearer <t>" as in
// RFC 6750 §2.1, or the raw token as some Absorb clients send it) to the admin
// it belongs to. Expired tokens are forgotten.
func (s *Server) authorizeLocked(header string, now time.Time) (caller, bool) {
	tok := strings.TrimSpace(header)
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = strings.TrimSpace(tok[7:])
	}
	sess, found := s.tokens[tok]
	if tok == "" || !found {
		return caller{}, false
	}
	if !now.Before(sess.expires) {
		delete(s.tokens, tok)
		if s.current[sess.userID] == tok {
			delete(s.current, sess.userID)
		}
		return caller{}, false
	}
	a := s.st.admins[sess.userID]
	if a == nil {
		return caller{}, false
	}
	return caller{userID: a.userID, scope: a.scope}, true
}

// revokeLocked invalidates the admin's current token, if any.
func (s *Server) revokeLocked(userID string) bool {
	tok, found := s.current[userID]
	if !found {
		return false
	}
	delete(s.tokens, tok)
	delete(s.current, userID)
	return true
}

// StealToken invalidates the current token of the admin with that username
// (any case), as another login would: the holder's next request gets 401. It
// does nothing when the admin has no token or does not exist, and does not
// count as a login.
func (s *Server) StealToken(username string) {
	s.stealToken(username)
}

func (s *Server) stealToken(username string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.userByUsername(strings.TrimSpace(username))
	if u == nil {
		return false
	}
	return s.revokeLocked(u.ID)
}
