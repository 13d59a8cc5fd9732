package bridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// departmentCache resolves department references (id, name or external id)
// to Absorb department ids, remembering answers for a while so a provisioning
// run of thousands of users costs one lookup per department, not per user.
type departmentCache struct {
	absorb Absorb
	ttl    time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]deptEntry
}

type deptEntry struct {
	id      string // "" when Absorb has no such department
	expires time.Time
}

func newDepartmentCache(a Absorb, ttl time.Duration, now func() time.Time) *departmentCache {
	return &departmentCache{absorb: a, ttl: ttl, now: now, entries: make(map[string]deptEntry)}
}

// errNoDepartment means a reference named no Absorb department.
var errNoDepartment = errors.New("no such department")

// resolve returns the id of the department a reference names: an id, an
// external id or a name, tried in that order.
func (c *departmentCache) resolve(ctx context.Context, ref string) (string, error) {
	key := strings.ToLower(strings.TrimSpace(ref))
	if key == "" {
		return "", errNoDepartment
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && c.now().Before(e.expires) {
		if e.id == "" {
			return "", errNoDepartment
		}
		return e.id, nil
	}
	id, err := c.lookup(ctx, ref)
	if err != nil && !errors.Is(err, errNoDepartment) {
		return "", err
	}
	c.mu.Lock()
	c.entries[key] = deptEntry{id: id, expires: c.now().Add(c.ttl)}
	c.mu.Unlock()
	if id == "" {
		return "", errNoDepartment
	}
	return id, nil
}

func (c *departmentCache) lookup(ctx context.Context, ref string) (string, error) {
	finders := []func(context.Context, string) (*absorbapi.Department, error){c.absorb.FindDepartmentByExternalID, c.absorb.FindDepartmentByName}
	if looksLikeGUID(ref) {
		finders = append([]func(context.Context, string) (*absorbapi.Department, error){c.absorb.GetDepartment}, finders...)
	}
	for _, find := range finders {
		d, err := find(ctx, ref)
		switch {
		case err == nil && d != nil:
			return d.ID, nil
		case err == nil, absorbapi.IsNotFound(err):
			continue
		default:
			var v *absorbapi.ValidationError
			if errors.As(err, &v) { // a malformed id is just "not this kind of reference"
				continue
			}
			return "", err
		}
	}
	return "", errNoDepartment
}

func looksLikeGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// departmentFor decides the Absorb department of a SCIM user: the group
// rules' department when one applies, else the Absorb extension's departmentId, else the configured SCIM attribute mapped by
// name or external id, else the configured default. An unknown department
// falls back to the default or is refused, as configured. current is the
// department the user has now ("" on create), kept when nothing says
// otherwise.
func (b *Bridge) departmentFor(ctx context.Context, userID string, doc scimdoc.Document, current string) (string, error) {
	if byRule, err := b.rules.departmentOf(userID); err != nil {
		return "", fmt.Errorf("group rules of user %s: %w", userID, err)
	} else if byRule != "" {
		id, err := b.depts.resolve(ctx, byRule)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, errNoDepartment) {
			return "", upstreamError("resolve rule department", err)
		}
		b.log.Warn("group rule names no Absorb department; using the user's own", "department", byRule)
		b.rules.noteUnresolved("department", byRule)
	}
	ref, ok := b.mapper.Department(doc)
	if ok {
		value, source := ref.Value, ref.Source
		if ref.ID != "" {
			value = ref.ID
		}
		if current != "" && strings.EqualFold(value, current) {
			// The account is already in the department the user names by id
			// (an adopted user carries its departmentId): nothing to look up.
			return current, nil
		}
		id, err := b.depts.resolve(ctx, value)
		switch {
		case err == nil:
			return id, nil
		case !errors.Is(err, errNoDepartment):
			return "", upstreamError("resolve department", err)
		case b.mapper.Config().UnknownDepartment == "reject":
			return "", scimdoc.Errorf(http.StatusBadRequest, scimdoc.TypeInvalidValue,
				"%s is %q, which names no Absorb department (by id, external id or name) visible to the bridge's admin", source, value)
		}
		b.log.Warn("unknown department, using the default", "source", source, "value", value)
	}
	if current != "" && !ok {
		return current, nil
	}
	def := b.mapper.Config().DefaultDepartment
	if def == "" {
		if current != "" {
			return current, nil
		}
		return "", scimdoc.Errorf(http.StatusBadRequest, scimdoc.TypeInvalidValue,
			"the user has no department and no default department is configured; send %s:department or %s:departmentId", mapping.EnterpriseURN, mapping.AbsorbURN)
	}
	id, err := b.depts.resolve(ctx, def)
	if err != nil {
		if errors.Is(err, errNoDepartment) {
			return "", fmt.Errorf("the configured default department %q names no Absorb department", def)
		}
		return "", upstreamError("resolve default department", err)
	}
	return id, nil
}
