package scim

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/absorb-scim/absorb-scim/schemas"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// memory is a faithful in-memory UserBackend and GroupBackend: it keeps
// documents in maps, enforces userName and displayName uniqueness, checks
// preconditions, filters, sorts and pages with scimdoc, and applies PATCH
// operations with scimdoc. It records whether group members were loaded so
// tests can see what the HTTP layer asked for.
type memory struct {
	mu      sync.Mutex
	userRS  *scimdoc.ResourceSchema
	groupRS *scimdoc.ResourceSchema
	users   map[string]scimdoc.Resource
	groups  map[string]scimdoc.Resource
	seq     int
	clock   time.Time

	// memberLoads counts calls that loaded group members; memberSkips
	// counts calls that did not.
	memberLoads int
	memberSkips int
	// fault, when set, runs first in every method with the method's name;
	// a non-nil error is returned as the method's error.
	fault func(op string) error
}

var (
	_ UserBackend  = (*memory)(nil)
	_ GroupBackend = (*memory)(nil)
)

func newMemory() *memory {
	return &memory{
		userRS:  scimdoc.NewResourceSchema(schemas.User(), schemas.EnterpriseUser(), schemas.AbsorbUser()),
		groupRS: scimdoc.NewResourceSchema(schemas.Group()),
		users:   map[string]scimdoc.Resource{},
		groups:  map[string]scimdoc.Resource{},
		clock:   time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
	}
}

func (m *memory) UserSchema() *scimdoc.ResourceSchema  { return m.userRS }
func (m *memory) GroupSchema() *scimdoc.ResourceSchema { return m.groupRS }

// setFault installs f as the fault hook; nil removes it.
func (m *memory) setFault(f func(op string) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fault = f
}

func (m *memory) check(op string) error {
	m.mu.Lock()
	f := m.fault
	m.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(op)
}

// tick advances the clock by a second and returns it; m.mu is held.
func (m *memory) tick() time.Time {
	m.clock = m.clock.Add(time.Second)
	return m.clock
}

// newID returns ids that sort in creation order; m.mu is held.
func (m *memory) newID(prefix string) string {
	m.seq++
	return fmt.Sprintf("%s%08d-0000-4000-8000-000000000000", prefix, m.seq)
}

// unique returns a 409 uniqueness error when another resource in set has
// the same value of attr, compared case-insensitively.
func unique(set map[string]scimdoc.Resource, id, attr string, doc scimdoc.Document, what string) error {
	v, _ := doc[attr].(string)
	for other, r := range set {
		if other == id {
			continue
		}
		if w, _ := r.Doc[attr].(string); strings.EqualFold(v, w) {
			return scimdoc.Errorf(http.StatusConflict, scimdoc.TypeUniqueness, "%s already exists in the database.", what)
		}
	}
	return nil
}

func (m *memory) CreateUser(ctx context.Context, doc scimdoc.Document) (scimdoc.Resource, error) {
	if err := m.check("CreateUser"); err != nil {
		return scimdoc.Resource{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := unique(m.users, "", "userName", doc, "User"); err != nil {
		return scimdoc.Resource{}, err
	}
	now := m.tick()
	r := scimdoc.Resource{ID: m.newID("u"), Doc: scimdoc.DeepCopy(doc), Created: now, LastModified: now, Version: 1}
	m.users[r.ID] = r
	return copyResource(r), nil
}

func (m *memory) GetUser(ctx context.Context, id string) (scimdoc.Resource, error) {
	if err := m.check("GetUser"); err != nil {
		return scimdoc.Resource{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.users[id]
	if !ok {
		return scimdoc.Resource{}, scimdoc.NotFound("User", id)
	}
	return copyResource(r), nil
}

func (m *memory) ListUsers(ctx context.Context, q scimdoc.Query) (scimdoc.Page, error) {
	if err := m.check("ListUsers"); err != nil {
		return scimdoc.Page{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return page(m.userRS, m.users, q, true)
}

func (m *memory) ReplaceUser(ctx context.Context, id string, doc scimdoc.Document, pre scimdoc.Precondition) (scimdoc.Resource, error) {
	if err := m.check("ReplaceUser"); err != nil {
		return scimdoc.Resource{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.write(m.users, "User", "userName", id, pre, func(scimdoc.Document) (scimdoc.Document, error) { return doc, nil })
}

func (m *memory) PatchUser(ctx context.Context, id string, pre scimdoc.Precondition, ops []scimdoc.Operation) (scimdoc.Resource, error) {
	if err := m.check("PatchUser"); err != nil {
		return scimdoc.Resource{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.write(m.users, "User", "userName", id, pre, func(doc scimdoc.Document) (scimdoc.Document, error) {
		return scimdoc.ApplyPatch(m.userRS, doc, ops)
	})
}

func (m *memory) DeleteUser(ctx context.Context, id string, pre scimdoc.Precondition) error {
	if err := m.check("DeleteUser"); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return remove(m.users, "User", id, pre)
}

func (m *memory) CreateGroup(ctx context.Context, doc scimdoc.Document) (scimdoc.Resource, error) {
	if err := m.check("CreateGroup"); err != nil {
		return scimdoc.Resource{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := unique(m.groups, "", "displayName", doc, "Group"); err != nil {
		return scimdoc.Resource{}, err
	}
	now := m.tick()
	r := scimdoc.Resource{ID: m.newID("g"), Doc: scimdoc.DeepCopy(doc), Created: now, LastModified: now, Version: 1}
	m.groups[r.ID] = r
	m.memberLoads++
	return copyResource(r), nil
}

func (m *memory) GetGroup(ctx context.Context, id string, withMembers bool) (scimdoc.Resource, error) {
	if err := m.check("GetGroup"); err != nil {
		return scimdoc.Resource{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.groups[id]
	if !ok {
		return scimdoc.Resource{}, scimdoc.NotFound("Group", id)
	}
	return m.members(r, withMembers), nil
}

func (m *memory) ListGroups(ctx context.Context, q scimdoc.Query, withMembers bool) (scimdoc.Page, error) {
	if err := m.check("ListGroups"); err != nil {
		return scimdoc.Page{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := page(m.groupRS, m.groups, q, withMembers)
	if err != nil {
		return p, err
	}
	for i, r := range p.Resources {
		p.Resources[i] = m.members(r, withMembers)
	}
	return p, nil
}

func (m *memory) ReplaceGroup(ctx context.Context, id string, doc scimdoc.Document, pre scimdoc.Precondition) (scimdoc.Resource, error) {
	if err := m.check("ReplaceGroup"); err != nil {
		return scimdoc.Resource{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.memberLoads++
	return m.write(m.groups, "Group", "displayName", id, pre, func(scimdoc.Document) (scimdoc.Document, error) { return doc, nil })
}

func (m *memory) PatchGroup(ctx context.Context, id string, pre scimdoc.Precondition, ops []scimdoc.Operation) (scimdoc.Resource, error) {
	if err := m.check("PatchGroup"); err != nil {
		return scimdoc.Resource{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.write(m.groups, "Group", "displayName", id, pre, func(doc scimdoc.Document) (scimdoc.Document, error) {
		return scimdoc.ApplyPatch(m.groupRS, doc, ops)
	})
	if err != nil {
		return r, err
	}
	// The answer of a group PATCH does not carry members, as a real
	// backend that applies membership deltas would not have them at hand.
	return m.members(r, false), nil
}

func (m *memory) DeleteGroup(ctx context.Context, id string, pre scimdoc.Precondition) error {
	if err := m.check("DeleteGroup"); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return remove(m.groups, "Group", id, pre)
}

// members returns a copy of r, with its members only when withMembers,
// counting the load; m.mu is held.
func (m *memory) members(r scimdoc.Resource, withMembers bool) scimdoc.Resource {
	r = copyResource(r)
	if withMembers {
		m.memberLoads++
	} else {
		m.memberSkips++
		delete(r.Doc, "members")
	}
	return r
}

// write replaces the document of id with change(current), checking the
// precondition and uniqueness; m.mu is held.
func (m *memory) write(set map[string]scimdoc.Resource, kind, uniqueAttr string, id string, pre scimdoc.Precondition, change func(scimdoc.Document) (scimdoc.Document, error)) (scimdoc.Resource, error) {
	r, ok := set[id]
	if !ok {
		return scimdoc.Resource{}, scimdoc.NotFound(kind, id)
	}
	if err := pre.Check(r); err != nil {
		return scimdoc.Resource{}, err
	}
	doc, err := change(scimdoc.DeepCopy(r.Doc))
	if err != nil {
		return scimdoc.Resource{}, fmt.Errorf("change %s %s: %w", kind, id, err)
	}
	if err := unique(set, id, uniqueAttr, doc, kind); err != nil {
		return scimdoc.Resource{}, err
	}
	r.Doc = scimdoc.DeepCopy(doc)
	r.LastModified = m.tick()
	r.Version++
	set[id] = r
	return copyResource(r), nil
}

// remove deletes id after checking the precondition.
func remove(set map[string]scimdoc.Resource, kind, id string, pre scimdoc.Precondition) error {
	r, ok := set[id]
	if !ok {
		return scimdoc.NotFound(kind, id)
	}
	if err := pre.Check(r); err != nil {
		return err
	}
	delete(set, id)
	return nil
}

// page filters, sorts (by id when no sortBy, so the order is stable across
// pages) and slices set for q.
func page(rs *scimdoc.ResourceSchema, set map[string]scimdoc.Resource, q scimdoc.Query, _ bool) (scimdoc.Page, error) {
	var found []scimdoc.Resource
	for _, r := range set {
		if q.Filter != nil && !matches(rs, q.Filter, r) {
			continue
		}
		found = append(found, r)
	}
	docs := make(map[string]scimdoc.Document, len(found))
	for _, r := range found {
		docs[r.ID] = matchDoc(r)
	}
	sort.SliceStable(found, func(i, j int) bool {
		c := scimdoc.Compare(rs, docs[found[i].ID], docs[found[j].ID], q.SortBy)
		if q.Descending {
			c = -c
		}
		return c < 0
	})
	p := scimdoc.Page{TotalResults: len(found), Resources: []scimdoc.Resource{}}
	start := max(q.StartIndex, 1) - 1
	if start >= len(found) {
		return p, nil
	}
	end := len(found)
	if q.Count >= 0 && start+q.Count < end {
		end = start + q.Count
	}
	for _, r := range found[start:end] {
		p.Resources = append(p.Resources, copyResource(r))
	}
	return p, nil
}

func copyResource(r scimdoc.Resource) scimdoc.Resource {
	r.Doc = scimdoc.DeepCopy(r.Doc)
	return r
}

// matchDoc is the document a filter sees: the stored attributes plus id and
// meta, as a real backend evaluates them.
func matchDoc(r scimdoc.Resource) scimdoc.Document {
	doc := scimdoc.DeepCopy(r.Doc)
	doc["id"] = r.ID
	doc["meta"] = map[string]any{
		"created":      r.Created.UTC().Format(time.RFC3339Nano),
		"lastModified": r.LastModified.UTC().Format(time.RFC3339Nano),
		"version":      r.ETag(),
	}
	return doc
}

func matches(rs *scimdoc.ResourceSchema, f *scimdoc.Filter, r scimdoc.Resource) bool {
	return f.Match(rs, matchDoc(r))
}
