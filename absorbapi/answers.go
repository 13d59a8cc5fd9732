package absorbapi

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// writeAnswer is what Absorb answers to POST /users, PUT /users/{id} and the
// enroll call: an object (the record, or the legacy {"Id","Username"}), or
// the bare id as a JSON string, or nothing.
type writeAnswer struct {
	bareID string // the answer was a JSON string
	object []byte // the answer was a JSON object
}

// readWriteAnswer sorts an answer body into its shape. It returns an error
// for a body that is neither an object, nor a string, nor empty (or null).
func readWriteAnswer(body []byte) (writeAnswer, error) {
	body = bytes.TrimSpace(body)
	switch {
	case len(body) == 0, string(body) == "null":
		return writeAnswer{}, nil
	case body[0] == '"':
		var id string
		if err := json.Unmarshal(body, &id); err != nil {
			return writeAnswer{}, fmt.Errorf("decode answer: %w", err)
		}
		return writeAnswer{bareID: id}, nil
	case body[0] == '{':
		return writeAnswer{object: body}, nil
	}
	return writeAnswer{}, fmt.Errorf("decode answer: want a JSON object or string, got %.40q", body)
}

// id is the id the answer names: the bare id, or the object's "id" ("Id",
// "userId" in the legacy shapes); "" when it names none.
func (a writeAnswer) id() (string, error) {
	if a.object == nil {
		return a.bareID, nil
	}
	var ans struct {
		ID     string `json:"id"`
		UserID string `json:"userId"`
	}
	if err := json.Unmarshal(a.object, &ans); err != nil {
		return "", fmt.Errorf("decode answer: %w", err)
	}
	return firstNonEmpty(ans.ID, ans.UserID), nil
}
