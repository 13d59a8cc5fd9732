package absorbapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// uploadAnswer is one entry of POST /users/upload's answer, a .NET
// KeyValuePair: Key is the user's id and Value its username.
type uploadAnswer struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// UploadUsers creates or updates users in batches of MaxUploadBatch (200)
// with POST /users/upload, which matches each user by id, then by username.
// It returns one result per input, in input order: OK with the id for users
// Absorb took, and Err for the others (ErrUploadRejected when Absorb left
// the user out of its answer, or the *ValidationError that refused a whole
// batch). Uploads are safe to repeat, so ambiguous failures are retried like
// reads. A batch that fails for another reason (unavailable, rate limited,
// unauthorized, ctx) stops the upload: that error is returned, and the
// results of that batch and of later ones carry it.
func (c *Client) UploadUsers(ctx context.Context, users []User) ([]UploadResult, error) {
	results := make([]UploadResult, len(users))
	for i, u := range users {
		results[i].Username = u.Username
	}
	for start := 0; start < len(users); start += MaxUploadBatch {
		end := min(start+MaxUploadBatch, len(users))
		err := c.uploadBatch(ctx, users[start:end], results[start:end])
		var ve *ValidationError
		switch {
		case err == nil:
		case errors.As(err, &ve):
			for i := start; i < end; i++ {
				results[i].Err = err
			}
		default:
			err = fmt.Errorf("upload absorb users %d..%d of %d: %w", start+1, end, len(users), err)
			for i := start; i < len(users); i++ {
				results[i].Err = err
			}
			return results, err
		}
	}
	return results, nil
}

// uploadBatch uploads one batch and fills its results. Each user is sent
// as UpdateUser sends it, every field it leaves empty cleared: an upload
// that updates an account is then right whether the portal clears the
// fields it omits or keeps them.
func (c *Client) uploadBatch(ctx context.Context, users []User, results []UploadResult) error {
	bodies := make([]map[string]any, len(users))
	for i, u := range users {
		b, err := putBody(u)
		if err != nil {
			return fmt.Errorf("upload absorb user %q: %w", u.Username, err)
		}
		bodies[i] = b
	}
	req, err := c.NewRequest(ctx, http.MethodPost, "/users/upload", nil, bodies)
	if err != nil {
		return err
	}
	req = withRoute(req, route{pattern: "/users/upload", idempotent: true})
	var answer []uploadAnswer
	if _, err := c.Do(req, &answer); err != nil {
		return err
	}
	byID := make(map[string]uploadAnswer, len(answer))
	byName := make(map[string]uploadAnswer, len(answer))
	for _, a := range answer {
		if a.Key != "" {
			byID[a.Key] = a
		}
		if a.Value != "" {
			byName[strings.ToLower(a.Value)] = a
		}
	}
	for i, u := range users {
		a, ok := byID[u.ID]
		if u.ID == "" || !ok {
			a, ok = byName[strings.ToLower(u.Username)]
			ok = ok && u.Username != "" && (u.ID == "" || a.Key == u.ID)
		}
		if ok && a.Key != "" {
			results[i].ID, results[i].OK = a.Key, true
			continue
		}
		results[i].Err = fmt.Errorf("upload absorb user %q: %w", u.Username, ErrUploadRejected)
	}
	return nil
}
