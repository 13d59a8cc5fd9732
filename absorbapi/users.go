package absorbapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ListUsersOptions are the query parameters of GET /users.
type ListUsersOptions struct {
	// Filter is an OData expression (_filter); see Eq, And, Ge.
	Filter string
	// Sort is a comma list of fields, "-" for descending (_sort). Some
	// portals sort only by the fields their schema marks sortable (for
	// users: username, firstName, lastName, emailAddress, dateAdded,
	// dateEdited; not id) and answer 400 for others.
	Sort string
	// Limit is the page size (_limit), 1..1000; 0 means Absorb's default (20).
	Limit int
	// Page is the 0-based page index (_offset is a page index, not a record offset).
	Page int
}

// UserPage is one page of users as Absorb's envelope reports it.
type UserPage struct {
	TotalItems    int
	ReturnedItems int
	Limit         int
	Offset        int
	Users         []User
}

// GetUser returns the user with the given Absorb id. It returns ErrNotFound
// when the user does not exist or is outside the admin's scope, and the
// transport errors of Do.
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	req, err := c.NewRequest(ctx, http.MethodGet, "/users/{id}", nil, nil, id)
	if err != nil {
		return nil, fmt.Errorf("get absorb user: %w", err)
	}
	var u User
	if _, err := c.Do(req, &u); err != nil {
		return nil, fmt.Errorf("get absorb user %q: %w", id, err)
	}
	if u.ID == "" {
		return nil, fmt.Errorf("get absorb user %q: answer has no user: %w", id, ErrNotFound)
	}
	return &u, nil
}

// ListUsers returns one page of GET /users. It returns *ValidationError for
// a bad filter or out-of-range paging, and the transport errors of Do.
func (c *Client) ListUsers(ctx context.Context, opts ListUsersOptions) (*UserPage, error) {
	p, err := getPage[User](ctx, c, "/users", "users", pageQuery{
		Filter: opts.Filter, Sort: opts.Sort, Limit: opts.Limit, Page: opts.Page,
	})
	if err != nil {
		return nil, fmt.Errorf("list absorb users: %w", err)
	}
	return &UserPage{
		TotalItems: p.TotalItems, ReturnedItems: p.ReturnedItems,
		Limit: p.Limit, Offset: p.Offset, Users: p.Items,
	}, nil
}

// scanOrder is the order ScanUsers reads users in: a user's key only moves
// forward when it is edited (Absorb moves dateEdited to the present), and
// the username breaks ties (it is unique). Both fields are sortable on
// every portal, unlike id.
const scanOrder = "dateEdited,username"

// ScanUsers calls fn for every user matching filter ("" for all), reading
// ScanPageSize (default 1000) users at a time in order of dateEdited, then
// username. Each page is the first page of the filter narrowed to the users
// after the last one read (keyset paging), so no request depends on sorting
// by id or on _offset past the first page of a filtered list, both of which
// some portals refuse or answer wrongly.
//
// It is safe against changes during the scan: every user is passed exactly
// once, those created or edited during it included, as an edit moves a user
// forward, never back past the window already read. When the scan took more
// than one page, a last pass rereads the users edited at the newest instant
// seen, so that one edited in that same instant with a lower username is not
// missed. A user edited after it was passed is not passed again: its new
// dateEdited is later than the scan's start, so a caller that next polls
// from a cursor no later than the scan's start reads the edit. It stops at
// fn's first error and returns it unchanged; otherwise it returns the errors
// of ListUsers, and an error when a page does not move the window on.
func (c *Client) ScanUsers(ctx context.Context, filter string, fn func(User) error) error {
	passed := map[string]bool{}
	var (
		after        *User // the last user read: the window starts past it
		pages        int
		tail, tailed bool   // reading (having read) the last pass
		prevWindow   string // the window of the page before
	)
	for {
		window, err := scanWindow(after, tail)
		if err != nil {
			return fmt.Errorf("scan absorb users: %w", err)
		}
		if pages > 0 && window == prevWindow {
			return fmt.Errorf("scan absorb users: the page after user %s (dateEdited %s) does not move on; does the portal sort by dateEdited, username?", after.ID, after.DateEdited)
		}
		prevWindow = window
		p, err := getPage[User](ctx, c, "/users", "users", pageQuery{
			Filter: And(filter, window), Sort: scanOrder, Limit: c.cfg.ScanPageSize,
		})
		if err != nil {
			return fmt.Errorf("scan absorb users: %w", err)
		}
		pages++
		for _, u := range p.Items {
			if u.ID != "" {
				if passed[u.ID] {
					continue
				}
				passed[u.ID] = true
			}
			if err := fn(u); err != nil {
				return err
			}
		}
		if len(p.Items) == c.cfg.ScanPageSize && !p.bare {
			after, tail = &p.Items[len(p.Items)-1], false
			continue
		}
		if pages == 1 || tailed {
			return nil
		}
		// Reread from the first user of the newest instant seen.
		if len(p.Items) > 0 {
			after = &p.Items[len(p.Items)-1]
		}
		tail, tailed = true, true
	}
}

// scanWindow is the filter that narrows a scan to the users after u in
// scanOrder ("" before the first page); for the last pass (tail), to every
// user edited at u's dateEdited or later.
func scanWindow(u *User, tail bool) (string, error) {
	if u == nil {
		return "", nil
	}
	if u.DateEdited == "" {
		// Users without a date sort first; after them come every dated user
		// and the undated ones past u's username.
		return Or("dateEdited ne null", And("dateEdited eq null", "username gt "+Quote(u.Username))), nil
	}
	t, err := ParseTime(u.DateEdited)
	if err != nil {
		return "", fmt.Errorf("user %s: %w", u.ID, err)
	}
	if tail {
		return Ge("dateEdited", t), nil
	}
	return Or(Gt("dateEdited", t), And("dateEdited eq "+DateTime(t), "username gt "+Quote(u.Username))), nil
}

// FindUserByUsername returns the user whose username equals username,
// compared case-insensitively (an exact-case match wins). It returns
// ErrNotFound when no visible user has it: a user outside the admin's
// department scope is not found, yet its username is taken.
func (c *Client) FindUserByUsername(ctx context.Context, username string) (*User, error) {
	if username == "" {
		return nil, fmt.Errorf("find absorb user by empty username: %w", ErrNotFound)
	}
	users, err := c.findUsers(ctx, Eq("username", username))
	if err != nil {
		return nil, fmt.Errorf("find absorb user %q: %w", username, err)
	}
	var match *User
	for i := range users {
		switch {
		case users[i].Username == username:
			return &users[i], nil
		case match == nil && strings.EqualFold(users[i].Username, username):
			match = &users[i]
		}
	}
	if match == nil {
		return nil, fmt.Errorf("find absorb user %q: %w", username, ErrNotFound)
	}
	return match, nil
}

// FindUserByExternalID returns the one visible user whose externalId equals
// externalID. It returns ErrNotFound when there is none and ErrAmbiguous when
// several users share it.
func (c *Client) FindUserByExternalID(ctx context.Context, externalID string) (*User, error) {
	if externalID == "" {
		return nil, fmt.Errorf("find absorb user by empty external id: %w", ErrNotFound)
	}
	users, err := c.findUsers(ctx, Eq("externalId", externalID))
	if err != nil {
		return nil, fmt.Errorf("find absorb user by external id %q: %w", externalID, err)
	}
	var found []User
	for _, u := range users {
		if u.ExternalID == externalID {
			found = append(found, u)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("find absorb user by external id %q: %w", externalID, ErrNotFound)
	case 1:
		return &found[0], nil
	}
	return nil, fmt.Errorf("find absorb user by external id %q: %d users: %w", externalID, len(found), ErrAmbiguous)
}

// findUsers returns every user matching filter, each once.
func (c *Client) findUsers(ctx context.Context, filter string) ([]User, error) {
	var users []User
	err := c.ScanUsers(ctx, filter, func(u User) error {
		users = append(users, u)
		return nil
	})
	return users, err
}

// CreateUser creates u (POST /users) and returns it with its new ID and
// without its Password. A create is never sent twice blindly: after an
// ambiguous failure (5xx, connection reset, timeout) the username is looked
// up first, and a user found is returned as the created one; only when it
// is not found is the POST sent again (at most MaxAttempts in all).
//
// Errors: *ConflictError when Absorb refuses the username as taken
// (ExistingID set when the holder is visible, Hidden when the admin's
// department scope hides it); *ValidationError for other refusals;
// *UnavailableError when the outcome stays unknown; the errors of Do.
func (c *Client) CreateUser(ctx context.Context, u User) (*User, error) {
	if strings.TrimSpace(u.Username) == "" {
		return nil, fmt.Errorf("create absorb user: %w", &ValidationError{Message: "username is required"})
	}
	u.ID = ""
	created, err := createWithoutDuplicates(ctx, c,
		func() (*User, error) {
			id, err := c.postUser(ctx, u)
			if err != nil {
				return nil, err
			}
			out := u
			out.ID = id
			return &out, nil
		},
		func() (*User, error) { return c.FindUserByUsername(ctx, u.Username) })
	var ve *ValidationError
	switch {
	case err == nil:
		created.Password = ""
		return created, nil
	case errors.As(err, &ve):
		return nil, c.createRefused(ctx, u.Username, err, ve)
	}
	return nil, fmt.Errorf("create absorb user %q: %w", u.Username, err)
}

// postUser sends one POST /users (429 is retried by Do; ambiguous failures
// are not) and returns the id Absorb answers with: {"id","username"} (a
// full user and the legacy {"Id"} read the same; "userId" is tolerated), or
// the bare id as a JSON string.
func (c *Client) postUser(ctx context.Context, u User) (string, error) {
	req, err := c.NewRequest(ctx, http.MethodPost, "/users", nil, u)
	if err != nil {
		return "", err
	}
	var body []byte
	if _, err := c.Do(req, &body); err != nil {
		return "", err
	}
	ans, err := readWriteAnswer(body)
	if err != nil {
		return "", fmt.Errorf("POST /users: %w", err)
	}
	id, err := ans.id()
	if err != nil {
		return "", fmt.Errorf("POST /users: %w", err)
	}
	if id != "" {
		return id, nil
	}
	// Some portals answer a create with an empty body.
	found, err := c.FindUserByUsername(ctx, u.Username)
	if err != nil {
		return "", fmt.Errorf("created, but reading the new id: %w", err)
	}
	return found.ID, nil
}

// createRefused turns a refused create into a *ConflictError when the
// username is taken, visible or not.
func (c *Client) createRefused(ctx context.Context, username string, err error, ve *ValidationError) error {
	found, lerr := c.FindUserByUsername(ctx, username)
	switch {
	case lerr == nil:
		return fmt.Errorf("create absorb user %q: %w", username, &ConflictError{Username: username, ExistingID: found.ID})
	case !IsNotFound(lerr):
		return fmt.Errorf("create absorb user %q: refused (%v); looking the username up: %w", username, ve, lerr)
	case mentionsConflict(username, append([]string{ve.Message}, ve.Messages...)):
		return fmt.Errorf("create absorb user %q: %w", username, &ConflictError{Username: username, Hidden: true})
	}
	return fmt.Errorf("create absorb user %q: %w", username, err)
}

// UpdateUser replaces the user u.ID with u (PUT /users/{id}). u must be the
// full user (read, merge, write): every writable field it leaves empty is
// sent cleared ("" for text, null for ids, dates and numbers, [] for lists,
// null for each custom field it does not set), so the field is gone from
// Absorb whether the portal clears omitted fields or keeps them.
// It returns the user as Absorb answers it, or u without its Password when
// the answer is not a full user (the bare id as a JSON string, or nothing).
// Errors: ErrNotFound for an unknown id or one outside the admin's scope,
// *ValidationError (ErrRequestModel when Absorb could not bind the body),
// and the errors of Do.
func (c *Client) UpdateUser(ctx context.Context, u User) (*User, error) {
	if u.ID == "" {
		return nil, fmt.Errorf("update absorb user %q: %w", u.Username, &ValidationError{Message: "user id is required"})
	}
	body, err := putBody(u)
	if err != nil {
		return nil, fmt.Errorf("update absorb user %q: %w", u.ID, err)
	}
	req, err := c.NewRequest(ctx, http.MethodPut, "/users/{id}", nil, body, u.ID)
	if err != nil {
		return nil, fmt.Errorf("update absorb user %q: %w", u.ID, err)
	}
	var answer []byte
	if _, err := c.Do(req, &answer); err != nil {
		return nil, fmt.Errorf("update absorb user %q: %w", u.ID, err)
	}
	wa, err := readWriteAnswer(answer)
	if err != nil {
		return nil, fmt.Errorf("update absorb user %q: %w", u.ID, err)
	}
	var ans User
	if wa.object != nil {
		if err := json.Unmarshal(wa.object, &ans); err != nil {
			return nil, fmt.Errorf("update absorb user %q: decode answer: %w", u.ID, err)
		}
	}
	if ans.ID == u.ID && ans.Username != "" && ans.FirstName != "" && ans.DepartmentID != "" {
		ans.Password = ""
		return &ans, nil
	}
	out := u
	out.Password = ""
	return &out, nil
}

// SetActive activates or deactivates the user id: it reads the user and, if
// its status differs, writes the full user back with the new activeStatus.
// Errors: those of GetUser and UpdateUser.
func (c *Client) SetActive(ctx context.Context, id string, active bool) error {
	u, err := c.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if u.Active() == active {
		return nil
	}
	u.ActiveStatus = StatusInactive
	if active {
		u.ActiveStatus = StatusActive
	}
	_, err = c.UpdateUser(ctx, *u)
	return err
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
