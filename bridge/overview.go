package bridge

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/storage"
)

// This file holds read-only views of the bridge's state for people looking
// at it (the status console): nothing here writes to Absorb or to storage.

// RuleQueueDepth is how many users the group rules have still to apply:
// queued, being applied, or waiting to be retried.
func (b *Bridge) RuleQueueDepth() int {
	if !b.rules.active() {
		return 0
	}
	b.rules.mu.Lock()
	defer b.rules.mu.Unlock()
	return len(b.rules.queue) + b.rules.busy
}

// LastFullSync is when the last full load of Absorb's users started; zero
// when none has finished.
func (b *Bridge) LastFullSync() (time.Time, error) {
	var done string
	err := b.store.View(func(tx storage.Tx) error {
		var err error
		done, err = tx.Cursor(cursorFullSync)
		return err
	})
	if err != nil || done == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, done)
	if err != nil {
		return time.Time{}, fmt.Errorf("read last full sync: %w", err)
	}
	return t, nil
}

// GroupRules are the configured group rules, in priority order.
func (b *Bridge) GroupRules() []Rule {
	if b.rules == nil {
		return nil
	}
	return append([]Rule(nil), b.rules.rules...)
}

// GroupSummary is one SCIM group with the rules that match it.
type GroupSummary struct {
	ID          string
	DisplayName string
	ExternalID  string
	Members     int
	Rules       []Rule
}

// GroupSummaries lists every SCIM group by display name, with its member
// count and the rules that match it.
func (b *Bridge) GroupSummaries(ctx context.Context) ([]GroupSummary, error) {
	var out []GroupSummary
	err := b.store.View(func(tx storage.Tx) error {
		return tx.ForEachGroup("", func(g storage.Group) (bool, error) {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			out = append(out, GroupSummary{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID,
				Members: g.MemberCount, Rules: b.rulesMatching(g)})
			return true, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return strings.ToLower(out[i].DisplayName) < strings.ToLower(out[j].DisplayName)
	})
	return out, nil
}

func (b *Bridge) rulesMatching(g storage.Group) []Rule {
	var out []Rule
	for _, r := range b.GroupRules() {
		if r.matches(g.DisplayName, g.ExternalID) {
			out = append(out, r)
		}
	}
	return out
}

// RulePreview is what applying the group rules now would do to the members
// of one group, worked out from the local copy of Absorb without writing.
type RulePreview struct {
	Group GroupSummary
	// Department is the department the group's rules give ("" for none).
	Department string
	// Moves are the members whose department would change: those the rules
	// give a department (this group's, or a higher rule's of another of
	// their groups) that their Absorb account does not have yet.
	Moves []PreviewMove
	// Courses are the courses the group's rules enroll members in; members
	// already enrolled are left as they are.
	Courses []string
}

// PreviewMove is one member whose department would change.
type PreviewMove struct {
	UserID   string
	UserName string
	From     string // department id the Absorb account has now
	To       string // the rule's department, as configured
}

// PreviewGroupRules works out what applying the rules now would do to the
// members of group id. Department names are resolved to ids through the
// department cache, which may read Absorb; nothing is written. It returns a
// scimdoc 404 error when the group does not exist.
func (b *Bridge) PreviewGroupRules(ctx context.Context, id string) (RulePreview, error) {
	var p RulePreview
	type member struct {
		user    storage.User
		current string
		dept    string
	}
	var members []member
	err := b.store.View(func(tx storage.Tx) error {
		g, err := tx.Group(id)
		if err != nil {
			return err
		}
		p.Group = GroupSummary{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Members: g.MemberCount, Rules: b.rulesMatching(g)}
		return tx.ForEachMember(id, func(m storage.Member) (bool, error) {
			u, err := tx.User(m.UserID)
			if err != nil {
				return false, err
			}
			groups, err := groupsOf(tx, u.ID)
			if err != nil {
				return false, err
			}
			mb := member{user: u, dept: b.rules.ruleDepartment(groups)}
			if u.AbsorbID != "" {
				if a, err := tx.AbsorbUser(u.AbsorbID); err == nil {
					if acc, err := absorbUserOf(a); err == nil {
						mb.current = acc.DepartmentID
					}
				}
			}
			members = append(members, mb)
			return true, nil
		})
	})
	if errors.Is(err, storage.ErrNotFound) {
		return p, groupStoreError("preview rules of group", err)
	}
	if err != nil {
		return p, fmt.Errorf("preview rules of group %s: %w", id, err)
	}
	seen := map[string]bool{}
	for _, r := range p.Group.Rules {
		if p.Department == "" {
			p.Department = r.Department
		}
		for _, c := range r.Courses {
			if !seen[c] {
				seen[c] = true
				p.Courses = append(p.Courses, c)
			}
		}
	}
	for _, m := range members {
		if m.dept == "" {
			continue
		}
		want, err := b.depts.resolve(ctx, m.dept)
		if err != nil {
			return p, fmt.Errorf("preview rules: department %q: %w", m.dept, err)
		}
		if want != m.current {
			p.Moves = append(p.Moves, PreviewMove{UserID: m.user.ID, UserName: m.user.UserName, From: m.current, To: m.dept})
		}
	}
	return p, nil
}

// AuditFeedQuery selects audit records for ListAudit, the feed a person
// pages through; empty fields select everything.
type AuditFeedQuery struct {
	User       string // userName (any case), SCIM id or Absorb id
	Group      string // display name (any case) or SCIM id: records about its members
	Operation  string
	Credential string
	Outcome    string
	// Before, when set, selects records older than this sequence number
	// (the next page); After selects newer ones (what arrived since).
	Before, After uint64
	Limit         int // default 50
}

// AuditFeedPage is one page of audit records, newest first.
type AuditFeedPage struct {
	Records []storage.AuditRecord
	// More is true when older records match beyond this page.
	More bool
}

// ListAudit returns the audit records q selects, newest first.
func (b *Bridge) ListAudit(ctx context.Context, q AuditFeedQuery) (AuditFeedPage, error) {
	var page AuditFeedPage
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	err := b.store.View(func(tx storage.Tx) error {
		members, err := groupMembers(tx, q.Group)
		if err != nil {
			return err
		}
		return tx.ForEachAuditBackward(q.Before, func(r storage.AuditRecord) (bool, error) {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			if q.After > 0 && r.Seq <= q.After {
				return false, nil
			}
			if !auditMatches(r, q, members) {
				return true, nil
			}
			if len(page.Records) == limit {
				page.More = true
				return false, nil
			}
			page.Records = append(page.Records, r)
			return true, nil
		})
	})
	if err != nil {
		return AuditFeedPage{}, fmt.Errorf("list audit: %w", err)
	}
	return page, nil
}

// groupMembers is the set of SCIM user ids in the groups ref names (by id or
// display name), nil when ref is empty.
func groupMembers(tx storage.Tx, ref string) (map[string]bool, error) {
	if ref == "" {
		return nil, nil
	}
	groups, err := tx.GroupsByDisplayName(ref)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	if g, err := tx.Group(ref); err == nil {
		groups = append(groups, g)
	}
	out := map[string]bool{}
	for _, g := range groups {
		err := tx.ForEachMember(g.ID, func(m storage.Member) (bool, error) {
			out[m.UserID] = true
			return true, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func auditMatches(r storage.AuditRecord, q AuditFeedQuery, members map[string]bool) bool {
	if q.User != "" && r.ResourceID != q.User && r.AbsorbID != q.User && !strings.EqualFold(r.UserName, q.User) {
		return false
	}
	if members != nil && !members[r.ResourceID] {
		return false
	}
	for _, f := range []struct{ want, got string }{{q.Operation, r.Operation}, {q.Credential, r.Credential}, {q.Outcome, r.Outcome}} {
		if f.want != "" && !strings.EqualFold(f.want, f.got) {
			return false
		}
	}
	return true
}

// Differences are the fields where the local copy of user id's Absorb
// account holds other values than its SCIM resource maps to: From is what
// Absorb holds, To what the SCIM resource maps to; never the password. None
// when the user has no account or no local copy yet. Department names
// resolve through the department cache, which may read Absorb; nothing is
// written.
func (b *Bridge) Differences(ctx context.Context, id string) ([]mapping.Change, error) {
	rec, res, local, err := b.loadUserWithCopy(id)
	if err != nil {
		return nil, err
	}
	if rec.AbsorbID == "" || local == nil {
		return nil, nil
	}
	account, err := absorbUserOf(*local)
	if err != nil {
		return nil, err
	}
	want, err := b.absorbUserFor(ctx, id, withoutServerAttributes(res.Doc), &account)
	if err != nil {
		return nil, err
	}
	want.Password = ""
	want = b.keepHeld(id, account, want) // a held deactivation is not a difference
	return mapping.Diff(account, want), nil
}

// RulesGiven is what the group rules give a user now: the department (""
// for none) and the courses, from the user's groups.
func (b *Bridge) RulesGiven(userID string) (department string, courses []string, err error) {
	var groups []storage.Group
	err = b.store.View(func(tx storage.Tx) error {
		var err error
		groups, err = groupsOf(tx, userID)
		return err
	})
	if err != nil || !b.rules.active() {
		return "", nil, err
	}
	for c := range b.rules.coursesOf(groups) {
		courses = append(courses, c)
	}
	sort.Strings(courses)
	return b.rules.ruleDepartment(groups), courses, nil
}
