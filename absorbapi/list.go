package absorbapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxPageIndex is the largest _offset (a page index) Absorb accepts.
const maxPageIndex = 65535

// page is one page of a collection: Absorb's envelope
// {"totalItems","returnedItems","limit","offset","<key>":[…]}. A bare JSON
// array (the legacy shape) is read as a page holding everything.
type page[T any] struct {
	TotalItems    int
	ReturnedItems int
	Limit         int
	Offset        int
	Items         []T
	bare          bool // the answer was a bare array: there are no further pages
}

func decodePage[T any](body []byte, key string) (page[T], error) {
	var p page[T]
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return p, nil
	}
	if body[0] == '[' {
		if err := json.Unmarshal(body, &p.Items); err != nil {
			return p, fmt.Errorf("decode %s: %w", key, err)
		}
		p.TotalItems, p.ReturnedItems = len(p.Items), len(p.Items)
		p.bare = true
		return p, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return p, fmt.Errorf("decode %s page: %w", key, err)
	}
	for k, v := range m {
		var dst any
		switch strings.ToLower(k) {
		case "totalitems":
			dst = &p.TotalItems
		case "returneditems":
			dst = &p.ReturnedItems
		case "limit":
			dst = &p.Limit
		case "offset":
			dst = &p.Offset
		case strings.ToLower(key):
			dst = &p.Items
		default:
			continue
		}
		if string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return p, fmt.Errorf("decode %s page field %s: %w", key, k, err)
		}
	}
	return p, nil
}

// pageQuery holds the list parameters every collection takes.
type pageQuery struct {
	Filter string
	Sort   string
	Limit  int // 0: the server's default
	Page   int
	Extra  url.Values // endpoint-specific parameters
}

func (q pageQuery) values() url.Values {
	v := url.Values{}
	for k, vs := range q.Extra {
		v[k] = append([]string(nil), vs...)
	}
	if q.Filter != "" {
		v.Set("_filter", q.Filter)
	}
	if q.Sort != "" {
		v.Set("_sort", q.Sort)
	}
	if q.Limit > 0 {
		v.Set("_limit", strconv.Itoa(q.Limit))
	}
	if q.Page > 0 {
		v.Set("_offset", strconv.Itoa(q.Page))
	}
	return v
}

// getPage reads one page of the collection at pattern.
func getPage[T any](ctx context.Context, c *Client, pattern, key string, q pageQuery, args ...string) (page[T], error) {
	if q.Limit < 0 || q.Limit > MaxPageSize {
		return page[T]{}, &ValidationError{Message: fmt.Sprintf("page size %d is outside 1..%d", q.Limit, MaxPageSize)}
	}
	if q.Page < 0 || q.Page > maxPageIndex {
		return page[T]{}, &ValidationError{Message: fmt.Sprintf("page index %d is outside 0..%d", q.Page, maxPageIndex)}
	}
	req, err := c.NewRequest(ctx, http.MethodGet, pattern, q.values(), nil, args...)
	if err != nil {
		return page[T]{}, err
	}
	var body []byte
	if _, err := c.Do(req, &body); err != nil {
		return page[T]{}, err
	}
	return decodePage[T](body, key)
}

// eachPage reads every page of a collection, ScanPageSize records at a time,
// and calls fn with each page's items, until a page comes back short. It is
// for the small collections (departments, groups, courses, a user's
// enrollments), read in the portal's default order, which no `_sort` needs
// (some portals refuse to sort on id); users are read by ScanUsers. Some
// portals answer every page past the first of a filtered list with no
// records: when such a page is empty although the answer's totalItems says
// more match, it returns an error rather than a short list.
func eachPage[T any](ctx context.Context, c *Client, pattern, key string, q pageQuery, fn func([]T) error, args ...string) error {
	q.Limit = c.cfg.ScanPageSize
	read := 0
	for q.Page = 0; ; q.Page++ {
		if q.Page > maxPageIndex {
			return fmt.Errorf("list %s: more than %d pages", key, maxPageIndex+1)
		}
		p, err := getPage[T](ctx, c, pattern, key, q, args...)
		if err != nil {
			return err
		}
		if len(p.Items) > 0 {
			if err := fn(p.Items); err != nil {
				return err
			}
		}
		if q.Page > 0 && q.Filter != "" && len(p.Items) == 0 && p.TotalItems > read {
			return fmt.Errorf("list %s: Absorb answered page %d of a filtered list with no records, yet %d match and %d were read", key, q.Page, p.TotalItems, read)
		}
		read += len(p.Items)
		if len(p.Items) < q.Limit || p.bare {
			return nil
		}
	}
}

// listAll returns every record of a collection, each id once.
func listAll[T any](ctx context.Context, c *Client, pattern, key string, q pageQuery, id func(T) string, args ...string) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	err := eachPage(ctx, c, pattern, key, q, func(items []T) error {
		for _, it := range items {
			k := id(it)
			if k != "" {
				if seen[k] {
					continue
				}
				seen[k] = true
			}
			all = append(all, it)
		}
		return nil
	}, args...)
	return all, err
}
