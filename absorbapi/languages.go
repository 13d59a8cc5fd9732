package absorbapi

import (
	"context"
	"fmt"
)

// Language is one of a portal's languages; a user's LanguageID names one.
type Language struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Code string `json:"code,omitempty"`
}

// ListLanguages returns the portal's languages (GET /languages), reading
// all pages. Language ids differ between portals: read them, never guess.
// Errors: those of Do.
func (c *Client) ListLanguages(ctx context.Context) ([]Language, error) {
	var all []Language
	err := eachPage(ctx, c, "/languages", "languages", pageQuery{}, func(ls []Language) error {
		all = append(all, ls...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list absorb languages: %w", err)
	}
	return all, nil
}
