package fakeabsorb

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Paging limits of every list route.
const (
	defaultLimit = 20
	maxLimit     = 1000
	maxOffset    = 65535
)

// query reads query parameters by name without regard to case, as ASP.NET
// model binding does.
type query url.Values

// get returns the first value of the parameter and whether it is present.
func (q query) get(name string) (string, bool) {
	for k, vs := range q {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0], true
		}
	}
	return "", false
}

// listQuery is the parsed `_filter`, `_sort`, `_limit` and `_offset` of a list request.
type listQuery struct {
	filter *filter
	sort   []sortKey
	limit  int
	page   int // _offset is a page index, not a record offset
	// emptyPastFirst: a filtered page past the first is empty
	// (filterpaging=broken).
	emptyPastFirst bool
}

// parseList is parseListQuery as the server's variants play it: under
// sort=limited only the fields in sortable may be sorted on (nil: any), and
// under filterpaging=broken a filtered page past the first is empty.
func (s *Server) parseList(q query, fields fieldSet, sortable []string) (listQuery, *reply) {
	lq, bad := parseListQuery(q, fields)
	if bad != nil {
		return lq, bad
	}
	if s.variants.Sort == sortLimited && sortable != nil {
		for _, k := range lq.sort {
			if !slices.Contains(sortable, k.ref.String()) {
				r := message(http.StatusBadRequest, fmt.Sprintf("The query specified in the URI is not valid. The property '%s' cannot be used in the $orderby query option.", k.ref))
				return lq, &r
			}
		}
	}
	lq.emptyPastFirst = s.variants.FilterPaging == filterPagingBroken && lq.filter != nil && lq.page > 0
	return lq, nil
}

// The fields sort=limited lets `_sort` use: those Absorb's published schema
// marks sortable.
var (
	sortableUserFields  = []string{"username", "firstName", "lastName", "emailAddress", "dateAdded", "dateEdited"}
	sortableNamedFields = []string{"name"} // departments, courses, groups
)

type sortKey struct {
	ref  fieldRef
	desc bool
}

// parseListQuery reads the list parameters against the fields of a resource.
// It answers with a reply when they are bad: 422 for `_limit`/`_offset`, 400
// for `_filter`/`_sort`.
func parseListQuery(q query, fields fieldSet) (listQuery, *reply) {
	lq := listQuery{limit: defaultLimit}
	if v, ok := firstOf(q, "_limit", "limit"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			r := invalidFormat("_limit")
			return lq, &r
		}
		if n < 1 || n > maxLimit {
			r := validation(fmt.Sprintf("The field _limit must be between 1 and %d.", maxLimit))
			return lq, &r
		}
		lq.limit = n
	}
	if v, ok := firstOf(q, "_offset", "offset"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			r := invalidFormat("_offset")
			return lq, &r
		}
		if n < 0 || n > maxOffset {
			r := validation(fmt.Sprintf("The field _offset must be between 0 and %d.", maxOffset))
			return lq, &r
		}
		lq.page = n
	}
	if v, ok := q.get("_filter"); ok && strings.TrimSpace(v) != "" {
		f, err := parseFilter(v, fields)
		if err != nil {
			r := message(400, "The query specified in the URI is not valid. "+err.Error()+".")
			return lq, &r
		}
		lq.filter = &f
	}
	if v, ok := q.get("_sort"); ok {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			desc := false
			switch item[0] {
			case '-':
				desc, item = true, item[1:]
			case '+':
				item = item[1:]
			}
			ref, err := fields.resolve(strings.TrimSpace(item))
			if err == nil && (ref.kind == kindList || ref.kind == kindObject) {
				err = fmt.Errorf("the property '%s' cannot be used to sort", ref)
			}
			if err != nil {
				r := message(400, "The query specified in the URI is not valid. Invalid _sort: "+err.Error()+".")
				return lq, &r
			}
			lq.sort = append(lq.sort, sortKey{ref: ref, desc: desc})
		}
	}
	return lq, nil
}

func firstOf(q query, names ...string) (string, bool) {
	for _, n := range names {
		if v, ok := q.get(n); ok {
			return v, true
		}
	}
	return "", false
}

// listed answers a list query over items: put in Absorb's default order
// (when added, then id), then filtered, sorted and paged as lq says (each
// item read as rec gives it), in Absorb's list envelope with the page's
// documents under key.
func listed[T any](lq listQuery, key string, items []T, added func(T) (time.Time, string), rec func(T) record) reply {
	ordered(items, added)
	recs := make([]record, len(items))
	for i, it := range items {
		recs[i] = rec(it)
	}
	page, total := lq.apply(recs, nil)
	docs := make([]map[string]any, len(page))
	for i, r := range page {
		docs[i] = r.doc()
	}
	return ok(http.StatusOK, lq.envelope(key, total, docs))
}

// apply filters, sorts and pages recs as lq says, and returns the page and
// the number of records that matched. Records build their document on
// demand, so only the page's documents need be built: a list of many users
// costs a filter and a sort of their fields, not a document each.
//
// The sort is stable: records that tie on every sort key keep the order of
// recs, the default order. A caller may instead pass tie, the default order
// of recs[i] and recs[j] (a total order), and leave recs unsorted when lq
// sorts; without _sort, recs must be in the default order.
func (lq listQuery) apply(recs []record, tie func(i, j int) int) (page []record, total int) {
	kept := recs[:0:0]
	var pos []int // of kept in recs, when sorting
	for i, r := range recs {
		if lq.filter == nil || lq.filter.match(r) {
			kept = append(kept, r)
			if len(lq.sort) > 0 {
				pos = append(pos, i)
			}
		}
	}
	if tie == nil {
		tie = cmp.Compare[int]
	}
	if len(lq.sort) > 0 {
		// Each record's sort values are read once, not at every comparison.
		type keyed struct {
			rec  record
			vals []sortValue
			pos  int
		}
		ks := make([]keyed, len(kept))
		vals := make([]sortValue, len(kept)*len(lq.sort))
		for i, r := range kept {
			v := vals[i*len(lq.sort) : (i+1)*len(lq.sort) : (i+1)*len(lq.sort)]
			for j, k := range lq.sort {
				v[j] = sortValueFor(k.ref, r)
			}
			ks[i] = keyed{r, v, pos[i]}
		}
		// Breaking ties by the default order gives the order a stable sort
		// gives, with the fewer comparisons and moves of an unstable one.
		slices.SortFunc(ks, func(a, b keyed) int {
			for n, k := range lq.sort {
				c := a.vals[n].compare(b.vals[n])
				if k.desc {
					c = -c
				}
				if c != 0 {
					return c
				}
			}
			return tie(a.pos, b.pos)
		})
		for i := range ks {
			kept[i] = ks[i].rec
		}
	}
	start := lq.page * lq.limit
	if start >= len(kept) || lq.emptyPastFirst {
		return nil, len(kept)
	}
	return kept[start:min(start+lq.limit, len(kept))], len(kept)
}

// envelope is Absorb's list answer for a page of documents.
func (lq listQuery) envelope(key string, total int, docs []map[string]any) map[string]any {
	if docs == nil {
		docs = []map[string]any{} // [], not null
	}
	return map[string]any{
		"totalItems":    total,
		"returnedItems": len(docs),
		"limit":         lq.limit,
		"offset":        lq.page,
		key:             docs,
	}
}

// compareSort orders values for `_sort`: nulls first, strings without regard
// to case (then by code point, so the order is total). The sort itself
// compares sortValues, which order as compareSort does.
func compareSort(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	if c := compareValues(a, b); c != 0 {
		return c
	}
	if x, ok := a.(string); ok {
		return strings.Compare(x, b.(string))
	}
	return 0
}

// sortValue is an evaluator value (fieldValue's) read for a sort, with the
// lower-case form of a string made once rather than at every comparison,
// and a string not boxed.
type sortValue struct {
	null  bool   // fieldValue is nil
	str   bool   // fieldValue is the string s
	s     string // the string
	lower string // strings.ToLower(s)
	v     any    // fieldValue otherwise: a time.Time, a float64 or a bool
}

// sortValueOf is v, fieldValue's value of a field of kind k.
func sortValueOf(k kind, v any) sortValue {
	switch x := v.(type) {
	case nil:
		return sortValue{null: true}
	case string:
		return stringSortValue(k, x)
	}
	return sortValue{v: v}
}

// stringSortValue is a string value of a field of kind k. A GUID's value is
// lower case already (typed lowers it), and lowering it again would not
// change it (strings.ToLower is idempotent: TestToLowerIdempotent).
func stringSortValue(k kind, s string) sortValue {
	lower := s
	if k != kindGUID {
		lower = strings.ToLower(s)
	}
	return sortValue{str: true, s: s, lower: lower}
}

// sortValueFor is the sort value of field ref in rec.
func sortValueFor(ref fieldRef, rec record) sortValue {
	return sortValueOf(ref.kind, fieldValue(ref, rec))
}

// compare is compareSort of the two values.
func (a sortValue) compare(b sortValue) int {
	switch {
	case a.null && b.null:
		return 0
	case a.null:
		return -1
	case b.null:
		return 1
	case a.str && b.str:
		if c := strings.Compare(a.lower, b.lower); c != 0 {
			return c
		}
		return strings.Compare(a.s, b.s)
	}
	return compareSort(a.value(), b.value()) // values of another kind, which lower no string
}

// value is the fieldValue a sortValue stands for.
func (a sortValue) value() any {
	switch {
	case a.null:
		return nil
	case a.str:
		return a.s
	}
	return a.v
}
