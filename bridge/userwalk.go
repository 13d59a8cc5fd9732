package bridge

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// DefaultMaxFilterScan is the default of Config.MaxFilterScan.
const DefaultMaxFilterScan = 50_000

// sortInMemoryMax is the most users a list sorts in memory: a sortBy no
// index keeps, or a filter that narrows through one index while the order
// is another's. Beyond it the list walks the sort index, or is refused.
const sortInMemoryMax = 10_000

// walkCacheSize bounds the remembered cursors and totals. An import walks
// one query; this leaves room for many at once.
const walkCacheSize = 4096

// A list of users is answered one page at a time from a walk index
// (storage/userindex.go): the driver, an index range in the order of the
// page, whose users are checked against the filter until the page is full.
// Okta's import asks for startIndex 1, 101, 201 and so on: each page
// remembers where it ended (the position of its last user, keyed by the
// query and the next startIndex), so the next page seeks straight there
// instead of counting the users before it. Positions are index keys, so
// users created or deleted meanwhile shift the offsets, as RFC 7644
// §3.4.2.4 allows, but never make a walk skip or repeat a user that stayed.
// totalResults is counted from the index, or by checking the narrowest
// candidate range, and kept until the next user write.
type walkCache struct {
	cursors *lru.Cache[string, []byte]
	totals  *lru.Cache[string, walkTotal]
}

type walkTotal struct {
	epoch uint64
	n     int
}

func newWalkCache() *walkCache {
	cursors, _ := lru.New[string, []byte](walkCacheSize)
	totals, _ := lru.New[string, walkTotal](walkCacheSize)
	return &walkCache{cursors: cursors, totals: totals}
}

// walkPlan is how one list query is answered.
type walkPlan struct {
	key    string             // the query, for the caches
	driver storage.UserRange  // the users in page order (reversed when desc)
	desc   bool               //
	exact  bool               // every user of driver matches the filter
	narrow *storage.UserRange // candidates narrower than driver, when the order is another index's
	// narrowExact: every user of narrow matches the filter.
	narrowExact bool
	// inMemory: sort the matches among narrow (or all users) in memory.
	inMemory bool
	// groups: the filter reads "groups", which only a user's memberships
	// give; any other filter is checked before they are read.
	groups bool
}

// termIndexes are the attributes a filter term can be narrowed by.
var termIndexes = map[string]storage.UserIndex{
	"username":          storage.ByUserName,
	"externalid":        storage.ByExternalID,
	"emails.value":      storage.ByEmail,
	"name.familyname":   storage.ByFamilyName,
	"name.givenname":    storage.ByGivenName,
	"displayname":       storage.ByDisplayName,
	"meta.lastmodified": storage.ByLastModified,
	"active":            storage.ByActive,
}

// sortIndexes are the sortBy attributes with an index in their order.
var sortIndexes = map[string]storage.UserIndex{
	"username":          storage.ByUserName,
	"externalid":        storage.ByExternalID,
	"name.familyname":   storage.ByFamilyName,
	"name.givenname":    storage.ByGivenName,
	"displayname":       storage.ByDisplayName,
	"meta.lastmodified": storage.ByLastModified,
}

const coreUserURN = "urn:ietf:params:scim:schemas:core:2.0:user:"

// rangeOf returns the index range a filter term selects and its rank:
// the lower, the fewer users it is likely to select.
func rangeOf(t scimdoc.Term) (storage.UserRange, int, bool) {
	idx, ok := termIndexes[t.Attr]
	if !ok {
		return storage.UserRange{}, 0, false
	}
	switch idx {
	case storage.ByActive:
		v, ok := t.Value.(bool)
		if s, isString := t.Value.(string); isString {
			// Entra sends booleans as strings; Match reads them so too.
			v, ok = strings.EqualFold(s, "true"), strings.EqualFold(s, "true") || strings.EqualFold(s, "false")
		}
		if ok && t.Op == "eq" {
			return storage.UserRange{Index: idx, Kind: storage.RangeEqual, Active: v}, 4, true
		}
	case storage.ByLastModified:
		s, _ := t.Value.(string)
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			break
		}
		switch t.Op {
		case "eq":
			return storage.UserRange{Index: idx, Kind: storage.RangeEqual, Time: at}, 1, true
		case "gt":
			return storage.UserRange{Index: idx, Kind: storage.RangeAfter, Time: at}, 3, true
		case "ge":
			return storage.UserRange{Index: idx, Kind: storage.RangeFrom, Time: at}, 3, true
		}
	default:
		s, _ := t.Value.(string)
		if s == "" {
			break
		}
		switch t.Op {
		case "eq":
			return storage.UserRange{Index: idx, Kind: storage.RangeEqual, Value: s}, 1, true
		case "sw":
			return storage.UserRange{Index: idx, Kind: storage.RangePrefix, Value: s}, 2, true
		}
	}
	return storage.UserRange{}, 0, false
}

// planWalk decides how q is answered.
func planWalk(q scimdoc.Query) walkPlan {
	terms, only := q.Filter.Terms()
	var (
		best     *storage.UserRange
		bestRank = math.MaxInt
	)
	for _, t := range terms {
		if r, rank, ok := rangeOf(t); ok && rank < bestRank {
			best, bestRank = &r, rank
		}
	}
	// An email prefix can select one user twice (two emails, one
	// prefix): it narrows, but never drives a walk nor counts alone.
	emailPrefix := best != nil && best.Index == storage.ByEmail && best.Kind == storage.RangePrefix
	exactTerm := best != nil && only && len(terms) == 1 && !emailPrefix
	p := walkPlan{
		key:    q.Filter.String() + "\x00" + strings.ToLower(q.SortBy) + "\x00" + strconv.FormatBool(q.Descending),
		driver: storage.UserRange{Index: storage.ByID},
		exact:  q.Filter == nil,
		groups: strings.Contains(strings.ToLower(q.Filter.String()), "groups"),
	}
	if q.SortBy == "" {
		switch {
		case emailPrefix:
			p.inMemory, p.narrow = true, best
		case best != nil:
			p.driver, p.exact = *best, exactTerm
		}
		return p
	}
	sortBy := strings.ToLower(strings.TrimSpace(q.SortBy))
	sortBy = strings.TrimPrefix(sortBy, coreUserURN)
	idx, sortable := sortIndexes[sortBy]
	if !sortable {
		p.inMemory, p.narrow, p.narrowExact = true, best, exactTerm
		return p
	}
	p.desc = q.Descending
	switch {
	case best == nil:
		p.driver = storage.UserRange{Index: idx}
	case best.Index == idx && !emailPrefix:
		p.driver, p.exact = *best, exactTerm
	default:
		p.driver = storage.UserRange{Index: idx}
		p.narrow, p.narrowExact = best, exactTerm
	}
	return p
}

// tooBroad is the answer to a filter that would need more users read than
// limits.maxFilterScan allows.
func tooBroad(limit int, what string) error {
	return scimdoc.Errorf(http.StatusBadRequest, scimdoc.TypeTooMany,
		"%s would read more than %d users (limits.maxFilterScan): narrow the filter with eq or sw on userName, externalId, emails.value, name.familyName, name.givenName or displayName, meta.lastModified gt or ge, or active eq; or sort by userName, externalId, name.familyName, name.givenName, displayName or meta.lastModified", what, limit)
}

// walkUsers answers a list the indexes cannot answer by an equality lookup.
func (b *Bridge) walkUsers(q scimdoc.Query) (scimdoc.Page, error) {
	p := planWalk(q)
	epoch := b.store.UsersEpoch()
	var page scimdoc.Page
	err := b.store.View(func(tx storage.Tx) error {
		var err error
		if p.narrow != nil && !p.inMemory {
			// Walking the sort index reads about count * users / n keys a
			// page to find a page of the n candidates; sorting them reads n.
			// Sort in memory when that reads fewer.
			n, few, err := tx.CountUserRange(*p.narrow, min(b.maxFilterScan, sortInMemoryMax))
			if err != nil {
				return err
			}
			p.inMemory = few && n*n <= max(q.Count, 1)*tx.CountUsers()
		}
		if p.inMemory {
			page, err = b.sortInMemory(tx, p, q)
			return err
		}
		if _, known := b.knownTotal(p, epoch); !known && !p.exact && p.narrow == nil {
			// The total needs every candidate checked: the page comes
			// from the same pass.
			page, err = b.scanPage(tx, p, q, epoch)
			return err
		}
		if page.TotalResults, err = b.walkTotal(tx, p, q.Filter, epoch); err != nil {
			return err
		}
		page.Resources, err = b.walkPage(tx, p, q, page.TotalResults)
		return err
	})
	if err != nil {
		return scimdoc.Page{}, fmt.Errorf("list users: %w", err)
	}
	if page.Resources == nil {
		page.Resources = []scimdoc.Resource{}
	}
	return page, nil
}

// walkTotal returns how many users match: counted in the index when every
// user of a range matches, else by checking every candidate, which
// maxFilterScan bounds. The count is kept until a user is written.
func (b *Bridge) walkTotal(tx storage.Tx, p walkPlan, f *scimdoc.Filter, epoch uint64) (int, error) {
	if n, ok := b.knownTotal(p, epoch); ok {
		return n, nil
	}
	candidates, exact := p.driver, p.exact
	if p.narrow != nil {
		candidates, exact = *p.narrow, p.narrowExact
	}
	n, ok, err := tx.CountUserRange(candidates, b.maxFilterScan)
	if err != nil {
		return 0, err
	}
	if !exact {
		if !ok {
			return 0, tooBroad(b.maxFilterScan, "this filter")
		}
		n = 0
		seen := map[string]bool{} // an email prefix can give a user twice
		err = tx.ScanUsers(candidates, false, nil, func(_ []byte, id string) (bool, error) {
			if candidates.Index == storage.ByEmail {
				if seen[id] {
					return true, nil
				}
				seen[id] = true
			}
			_, match, err := b.candidate(tx, p, id, f)
			if match {
				n++
			}
			return err == nil, err
		})
		if err != nil {
			return 0, err
		}
	} else if !ok {
		// An exact range is counted however large it is: reading its
		// keys costs little beside decoding users.
		if n, _, err = tx.CountUserRange(candidates, math.MaxInt-1); err != nil {
			return 0, err
		}
	}
	b.walk.totals.Add(p.key, walkTotal{epoch: epoch, n: n})
	return n, nil
}

// knownTotal returns the total of p's query kept since epoch.
func (b *Bridge) knownTotal(p walkPlan, epoch uint64) (int, bool) {
	if t, ok := b.walk.totals.Get(p.key); ok && t.epoch == epoch {
		return t.n, true
	}
	return 0, false
}

// scanPage checks every user of the driver, bounded by maxFilterScan, and
// returns their number and the page of q among them.
func (b *Bridge) scanPage(tx storage.Tx, p walkPlan, q scimdoc.Query, epoch uint64) (scimdoc.Page, error) {
	n, ok, err := tx.CountUserRange(p.driver, b.maxFilterScan)
	if err != nil {
		return scimdoc.Page{}, err
	}
	if !ok {
		return scimdoc.Page{}, tooBroad(b.maxFilterScan, "this filter")
	}
	var (
		page = scimdoc.Page{Resources: make([]scimdoc.Resource, 0, min(max(q.Count, 0), n))}
		skip = max(q.StartIndex, 1) - 1
		last []byte
	)
	err = tx.ScanUsers(p.driver, p.desc, nil, func(pos []byte, id string) (bool, error) {
		res, match, err := b.candidate(tx, p, id, q.Filter)
		if err != nil || !match {
			return err == nil, err
		}
		if page.TotalResults++; page.TotalResults > skip && (q.Count < 0 || len(page.Resources) < q.Count) {
			page.Resources, last = append(page.Resources, res), pos
		}
		return true, nil
	})
	if err != nil {
		return scimdoc.Page{}, err
	}
	b.walk.totals.Add(p.key, walkTotal{epoch: epoch, n: page.TotalResults})
	if last != nil {
		b.walk.cursors.Add(cursorKey(p.key, skip+1+len(page.Resources)), last)
	}
	return page, nil
}

// candidate reads user id and reports whether it matches f; the resource
// it returns has its groups when it matches.
func (b *Bridge) candidate(tx storage.Tx, p walkPlan, id string, f *scimdoc.Filter) (scimdoc.Resource, bool, error) {
	rec, err := tx.User(id)
	if err != nil {
		return scimdoc.Resource{}, false, err
	}
	res, err := userResource(rec)
	if err != nil {
		return scimdoc.Resource{}, false, err
	}
	if p.groups {
		if err := addGroups(tx, res); err != nil {
			return scimdoc.Resource{}, false, err
		}
	}
	if f != nil && !f.Match(b.users, withMeta(res, "User")) {
		return res, false, nil
	}
	if !p.groups {
		if err := addGroups(tx, res); err != nil {
			return scimdoc.Resource{}, false, err
		}
	}
	return res, true, nil
}

// walkPage reads the page of q from the driver, from where the previous
// page of the same query ended when it is remembered.
func (b *Bridge) walkPage(tx storage.Tx, p walkPlan, q scimdoc.Query, total int) ([]scimdoc.Resource, error) {
	start := max(q.StartIndex, 1)
	if q.Count == 0 || start > total {
		return nil, nil
	}
	var after []byte
	if start > 1 {
		var ok bool
		if after, ok = b.walk.cursors.Get(cursorKey(p.key, start)); !ok {
			var err error
			if after, err = b.skipUsers(tx, p, q.Filter, start-1); err != nil {
				return nil, err
			}
			if after == nil {
				return nil, nil // fewer users than startIndex
			}
		}
	}
	var (
		out     []scimdoc.Resource
		last    []byte
		scanned int
	)
	err := tx.ScanUsers(p.driver, p.desc, after, func(pos []byte, id string) (bool, error) {
		if scanned++; !p.exact && scanned > b.maxFilterScan {
			return false, tooBroad(b.maxFilterScan, "this page")
		}
		res, match, err := b.candidate(tx, p, id, q.Filter)
		if err != nil || !match {
			return err == nil, err
		}
		out, last = append(out, res), pos
		return q.Count < 0 || len(out) < q.Count, nil
	})
	if err != nil {
		return nil, err
	}
	if last != nil {
		b.walk.cursors.Add(cursorKey(p.key, start+len(out)), last)
	}
	return out, nil
}

func cursorKey(query string, startIndex int) string {
	return query + "\x00" + strconv.Itoa(startIndex)
}

// skipUsers returns the position of the n-th match of the driver, nil when
// there are fewer; it is the fallback for a page no walk led to. Where
// every user of the driver matches it reads only index keys.
func (b *Bridge) skipUsers(tx storage.Tx, p walkPlan, f *scimdoc.Filter, n int) ([]byte, error) {
	if p.exact {
		return tx.SkipUsers(p.driver, p.desc, n)
	}
	var (
		last    []byte
		seen    int
		scanned int
	)
	err := tx.ScanUsers(p.driver, p.desc, nil, func(pos []byte, id string) (bool, error) {
		if scanned++; scanned > b.maxFilterScan {
			return false, tooBroad(b.maxFilterScan, "this startIndex")
		}
		if _, match, err := b.candidate(tx, p, id, f); err != nil || !match {
			return err == nil, err
		}
		seen++
		last = pos
		return seen < n, nil
	})
	if err != nil || seen < n {
		return nil, err
	}
	return last, nil
}

// sortInMemory answers a query whose order no index keeps over the
// candidates the filter narrows to, or a filter narrowed by one index and
// sorted by another with few enough candidates: at most sortInMemoryMax
// users are read and sorted.
func (b *Bridge) sortInMemory(tx storage.Tx, p walkPlan, q scimdoc.Query) (scimdoc.Page, error) {
	candidates := storage.UserRange{Index: storage.ByID}
	if p.narrow != nil {
		candidates = *p.narrow
	}
	limit := min(b.maxFilterScan, sortInMemoryMax)
	if _, ok, err := tx.CountUserRange(candidates, limit); err != nil {
		return scimdoc.Page{}, err
	} else if !ok {
		return scimdoc.Page{}, tooBroad(limit, "sorting by "+q.SortBy)
	}
	var matches []scimdoc.Resource
	seen := map[string]bool{} // an email prefix can give a user twice
	err := tx.ScanUsers(candidates, false, nil, func(_ []byte, id string) (bool, error) {
		if seen[id] {
			return true, nil
		}
		seen[id] = true
		res, match, err := b.candidate(tx, p, id, q.Filter)
		if match {
			matches = append(matches, res)
		}
		return err == nil, err
	})
	if err != nil {
		return scimdoc.Page{}, err
	}
	if q.SortBy == "" {
		slices.SortFunc(matches, func(a, b scimdoc.Resource) int { return strings.Compare(a.ID, b.ID) })
	}
	sortResources(b.users, "User", matches, q)
	return pageOf(matches, q), nil
}
