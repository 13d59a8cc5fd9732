package fakeabsorb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// maxUpload is the most users one POST /users/upload may carry.
const maxUpload = 200

// keyValue is one element of the upload answer, .NET's KeyValuePair<Guid,string>.
type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// uploadUsers is POST /users/upload: a JSON array of at most 200 users, each
// matched by id, else by username (any case), then fully replaced as by PUT or
// created as by POST. The answer lists {key: id, value: username} for the
// users that succeeded; a user that failed is simply absent.
//
// An element whose id names no user visible to the admin fails (it is not
// created), and so does one whose username belongs to a user outside the
// admin's scope. Under upload=keep an element that matches an account
// leaves it as it is and is answered as a success all the same.
func (s *Server) uploadUsers(c *call) reply {
	if v, found := c.query().get("key"); found {
		if _, err := strconv.Atoi(strings.TrimSpace(v)); err != nil {
			return invalidFormat("key")
		}
	}
	if len(c.body) == 0 || bytes.Equal(c.body, []byte("null")) {
		return noUsers()
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(c.body, &raw); err != nil {
		return invalidRequest()
	}
	if len(raw) == 0 {
		return noUsers()
	}
	if len(raw) > maxUpload {
		return validation(fmt.Sprintf("Request may contain at most %d Users.", maxUpload))
	}
	results := []keyValue{}
	for _, elem := range raw {
		if bytes.Equal(bytes.TrimSpace(elem), []byte("null")) {
			continue
		}
		if u := s.upsertLocked(c, elem); u != nil {
			results = append(results, keyValue{Key: u.ID, Value: u.Username})
		}
	}
	return ok(http.StatusOK, results)
}

func noUsers() reply {
	return reply{status: http.StatusBadRequest, body: map[string]string{
		"Message": "Request requires at least 1 User. Please adjust your UPSERT call.",
	}}
}

// upsertLocked applies one upload element and returns the user it wrote, or
// nil when it failed. An update treats omitted fields as PUT does.
func (s *Server) upsertLocked(c *call, elem []byte) *User {
	in, _, ok := readUserInput(elem)
	if !ok {
		return nil
	}
	var existing *User
	if strings.TrimSpace(in.ID) != "" {
		id, isGUID := parseGUID(in.ID)
		if !isGUID {
			return nil
		}
		existing = s.st.user(id)
		if existing == nil {
			return nil
		}
	} else if strings.TrimSpace(in.Username) != "" {
		existing = s.st.userByUsername(strings.TrimSpace(in.Username))
	}
	var u *User
	switch {
	case existing != nil && !s.st.userVisible(c.who.scope, existing):
		return nil
	case existing != nil && s.variants.Upload == uploadKeep:
		return existing
	case existing != nil:
		u, _ = s.updateLocked(c, existing, elem)
	default:
		u, _ = s.createLocked(c, elem)
	}
	return u
}
