package scim

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/absorb-scim/absorb-scim/schemas"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// listRequest is a list or search request after defaults and clamping
// (RFC 7644 §3.4.2).
type listRequest struct {
	filter     string
	sortBy     string
	descending bool
	startIndex int
	count      int
	proj       projection
}

// listResponse is the ListResponse message (RFC 7644 §3.4.2). Resources is
// never null: an empty answer carries [].
type listResponse struct {
	Schemas      []string         `json:"schemas"`
	TotalResults int              `json:"totalResults"`
	StartIndex   int              `json:"startIndex"`
	ItemsPerPage int              `json:"itemsPerPage"`
	Resources    []map[string]any `json:"Resources"`
}

// newListResponse wraps resources, already paged, in a ListResponse.
// itemsPerPage is the number of resources actually returned.
func newListResponse(total, startIndex int, resources []map[string]any) listResponse {
	if resources == nil {
		resources = []map[string]any{}
	}
	return listResponse{
		Schemas:      []string{schemas.ListResponseURN},
		TotalResults: total,
		StartIndex:   startIndex,
		ItemsPerPage: len(resources),
		Resources:    resources,
	}
}

// list answers GET /Users and GET /Groups (RFC 7644 §3.4.2).
func (s *Server) list(k *resourceKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		lr, err := s.queryListRequest(r)
		if err != nil {
			return err
		}
		return s.runList(w, r, k, lr)
	}
}

// search answers POST /Users/.search and POST /Groups/.search
// (RFC 7644 §3.4.3).
func (s *Server) search(k *resourceKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		body, err := s.readBody(w, r)
		if err != nil {
			return err
		}
		lr, err := s.bodyListRequest(body)
		if err != nil {
			return err
		}
		return s.runList(w, r, k, lr)
	}
}

// queryListRequest reads a list request from the URL query. startIndex and
// count must be integers when given; it returns a 400 invalidValue
// *scimdoc.Error otherwise, and for a sortOrder that is neither ascending
// nor descending.
func (s *Server) queryListRequest(r *http.Request) (listRequest, error) {
	q := r.URL.Query()
	lr := listRequest{filter: q.Get("filter"), sortBy: strings.TrimSpace(q.Get("sortBy")), proj: queryProjection(r)}
	var err error
	if lr.startIndex, err = intParam(q, "startIndex", 1); err != nil {
		return lr, err
	}
	if lr.count, err = intParam(q, "count", s.maxResults); err != nil {
		return lr, err
	}
	if lr.descending, err = sortOrder(q.Get("sortOrder")); err != nil {
		return lr, err
	}
	return s.clamp(lr), nil
}

// intParam reads an integer query parameter, def when absent or blank.
func intParam(q map[string][]string, name string, def int) (int, error) {
	vs := q[name]
	if len(vs) == 0 || strings.TrimSpace(vs[0]) == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(vs[0]))
	if err != nil {
		return 0, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "%s must be an integer, not %q", name, vs[0])
	}
	return n, nil
}

// sortOrder parses sortOrder, case-insensitively (RFC 7644 §3.4.2.3).
// Absent means ascending.
func sortOrder(v string) (descending bool, err error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "ascending":
		return false, nil
	case "descending":
		return true, nil
	}
	return false, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "sortOrder must be ascending or descending, not %q", v)
}

// clamp applies the paging rules: startIndex below 1 is 1, a negative count
// is 0, and count is at most MaxResults (RFC 7644 §3.4.2.4).
func (s *Server) clamp(lr listRequest) listRequest {
	lr.startIndex = max(lr.startIndex, 1)
	lr.count = min(max(lr.count, 0), s.maxResults)
	return lr
}

// searchBody is the SearchRequest message (RFC 7644 §3.4.3). Field names
// match case-insensitively. attributes may be an array or a comma-separated
// string; startIndex and count may be numbers or numeric strings.
type searchBody struct {
	Attributes         flexList `json:"attributes"`
	ExcludedAttributes flexList `json:"excludedAttributes"`
	Filter             string   `json:"filter"`
	SortBy             string   `json:"sortBy"`
	SortOrder          string   `json:"sortOrder"`
	StartIndex         *flexInt `json:"startIndex"`
	Count              *flexInt `json:"count"`
}

// bodyListRequest reads a list request from a SearchRequest body. It returns
// a 400 *scimdoc.Error for malformed JSON or values of the wrong type.
func (s *Server) bodyListRequest(body []byte) (listRequest, error) {
	var sb searchBody
	if err := decodeJSON(body, &sb); err != nil {
		return listRequest{}, err
	}
	lr := listRequest{
		filter:     sb.Filter,
		sortBy:     strings.TrimSpace(sb.SortBy),
		startIndex: 1,
		count:      s.maxResults,
		proj: projection{
			attributes: sb.Attributes,
			excluded:   sb.ExcludedAttributes,
			given:      sb.Attributes != nil || sb.ExcludedAttributes != nil,
		},
	}
	if sb.StartIndex != nil {
		lr.startIndex = int(*sb.StartIndex)
	}
	if sb.Count != nil {
		lr.count = int(*sb.Count)
	}
	var err error
	if lr.descending, err = sortOrder(sb.SortOrder); err != nil {
		return lr, err
	}
	return s.clamp(lr), nil
}

// flexList is a list of attribute paths given as a JSON array of strings or
// as one comma-separated string.
type flexList []string

func (l *flexList) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*l = nil
	case string:
		*l = splitList(v)
	case []any:
		out := flexList{}
		for _, e := range v {
			str, ok := e.(string)
			if !ok {
				return scimdoc.BadRequest(scimdoc.TypeInvalidValue, "attribute lists must hold strings, not %s", jsonKind(e))
			}
			out = append(out, splitList(str)...)
		}
		*l = out
	default:
		return scimdoc.BadRequest(scimdoc.TypeInvalidValue, "an attribute list must be an array of strings, not %s", jsonKind(v))
	}
	return nil
}

// flexInt is an integer given as a JSON number or a numeric string.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return scimdoc.BadRequest(scimdoc.TypeInvalidValue, "startIndex and count must be integers, not %q", v)
		}
		f = float64(i)
	default:
		return scimdoc.BadRequest(scimdoc.TypeInvalidValue, "startIndex and count must be integers, not %s", jsonKind(v))
	}
	if f != math.Trunc(f) || f > math.MaxInt32 || f < math.MinInt32 {
		return scimdoc.BadRequest(scimdoc.TypeInvalidValue, "startIndex and count must be integers, not %v", f)
	}
	*n = flexInt(f)
	return nil
}

// runList asks the backend for one page and writes the ListResponse. An
// unparsable filter is a 400 invalidFilter (RFC 7644 §3.4.2.2).
func (s *Server) runList(w http.ResponseWriter, r *http.Request, k *resourceKind, lr listRequest) error {
	q := scimdoc.Query{SortBy: lr.sortBy, Descending: lr.descending, StartIndex: lr.startIndex, Count: lr.count}
	if strings.TrimSpace(lr.filter) != "" {
		f, err := scimdoc.ParseFilter(lr.filter)
		if err == nil {
			err = f.Validate(k.rs)
		}
		if err != nil {
			return filterError(err)
		}
		q.Filter = f
	}
	full := s.withMembers(k, lr.proj)
	page, err := s.listBackend(r.Context(), k, q, full)
	if err != nil {
		return err
	}
	found := page.Resources
	if len(found) > lr.count {
		found = found[:lr.count]
	}
	out := make([]map[string]any, 0, len(found))
	for _, res := range found {
		doc := s.render(k, res, lr.proj)
		if !full {
			delete(doc, "members")
		}
		out = append(out, doc)
	}
	writeJSON(w, http.StatusOK, newListResponse(page.TotalResults, lr.startIndex, out))
	return nil
}

// filterError makes any filter parsing failure a 400 invalidFilter.
func filterError(err error) error {
	if e, ok := scimdoc.AsError(err); ok {
		return e
	}
	return &scimdoc.Error{Status: http.StatusBadRequest, ScimType: scimdoc.TypeInvalidFilter, Detail: err.Error(), Err: err}
}
