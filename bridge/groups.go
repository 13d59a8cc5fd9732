package bridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// membershipChange is what a group write did to its members; the rules act
// on it once the write is committed.
type membershipChange struct {
	added, removed []string
	// before is the group as it was before the write, so the rules see the
	// removed members leave the group under the name it had then (a PATCH
	// may remove members and rename the group at once); nil for a new group.
	before *storage.Group
}

// groupRecord builds the storage record of a group document; members are
// kept apart, one key each.
func groupRecord(id string, doc scimdoc.Document, base storage.Group) (storage.Group, error) {
	clean := make(scimdoc.Document, len(doc))
	for k, v := range doc {
		switch strings.ToLower(k) {
		case "id", "meta", "members":
			continue
		}
		clean[k] = v
	}
	raw, err := scimdoc.AppendJSON(nil, clean)
	if err != nil {
		return storage.Group{}, fmt.Errorf("encode group %s: %w", id, err)
	}
	base.ID = id
	base.DisplayName = stringAt(clean, "displayName")
	base.ExternalID = stringAt(clean, "externalId")
	base.Resource = raw
	return base, nil
}

// groupResource renders a group record, with its members when asked.
func groupResource(tx storage.Tx, g storage.Group, withMembers bool) (scimdoc.Resource, error) {
	doc, err := scimdoc.DecodeDocument(g.Resource)
	if err != nil {
		return scimdoc.Resource{}, fmt.Errorf("decode group %s: %w", g.ID, err)
	}
	if doc == nil {
		doc = scimdoc.Document{}
	}
	doc["id"] = g.ID
	if withMembers {
		members := []any{}
		err := tx.ForEachMember(g.ID, func(m storage.Member) (bool, error) {
			entry := map[string]any{"value": m.UserID, "type": "User"}
			if m.Display != "" {
				entry["display"] = m.Display
			}
			members = append(members, entry)
			return true, nil
		})
		if err != nil {
			return scimdoc.Resource{}, fmt.Errorf("members of group %s: %w", g.ID, err)
		}
		doc["members"] = members
	}
	return scimdoc.Resource{ID: g.ID, Doc: doc, Created: g.Created, LastModified: g.LastModified, Version: g.Version}, nil
}

// memberRef is one entry of a members value.
type memberRef struct{ id, display string }

// memberRefs reads a members value: an array of {value, display, ...}, or
// a bare id string (the MS reference client sends one).
func memberRefs(v any) ([]memberRef, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []memberRef{{id: t}}, nil
	case map[string]any:
		return memberRefs([]any{t})
	case []any:
		out := make([]memberRef, 0, len(t))
		for _, e := range t {
			switch m := e.(type) {
			case map[string]any:
				id, _ := scimdoc.Lookup(m, "value").(string)
				if id == "" {
					return nil, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "a member has no \"value\" (the user's id)")
				}
				display, _ := scimdoc.Lookup(m, "display").(string)
				out = append(out, memberRef{id: id, display: display})
			case string:
				out = append(out, memberRef{id: m})
			default:
				return nil, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "members must be objects with a \"value\"")
			}
		}
		return out, nil
	}
	return nil, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "members must be an array of objects with a \"value\"")
}

// addMembers adds the members that name known users; unknown ids are
// skipped, because Okta does not retry a 400 and one bad id must not lose a
// whole push. They are logged in one line per request, with the first few
// ids: a line each would let one request of 10,000 unknown ids write 10,000
// warnings and push every other one out of the console's list.
func (b *Bridge) addMembers(tx storage.Tx, groupID string, refs []memberRef, ch *membershipChange) error {
	var skipped []string
	defer func() {
		if len(skipped) > 0 {
			b.log.Warn("group members skipped: no such user", "group", groupID, "count", len(skipped),
				"members", strings.Join(skipped[:min(len(skipped), 5)], ","))
		}
	}()
	for _, r := range refs {
		u, err := tx.User(r.id)
		if errors.Is(err, storage.ErrNotFound) {
			skipped = append(skipped, r.id)
			continue
		}
		if err != nil {
			return err
		}
		display := r.display
		if display == "" {
			display = u.UserName
		}
		added, err := tx.AddMember(groupID, storage.Member{UserID: r.id, Display: display})
		if err != nil {
			return err
		}
		if added {
			ch.added = append(ch.added, r.id)
		}
	}
	return nil
}

func removeMembers(tx storage.Tx, groupID string, ids []string, ch *membershipChange) error {
	for _, id := range ids {
		removed, err := tx.RemoveMember(groupID, id)
		if err != nil {
			return err
		}
		if removed {
			ch.removed = append(ch.removed, id)
		}
	}
	return nil
}

func clearMembers(tx storage.Tx, groupID string, ch *membershipChange) error {
	removed, err := tx.ClearMembers(groupID)
	ch.removed = append(ch.removed, removed...)
	return err
}

// CreateGroup stores a new group (RFC 7644 §3.3), with the members it names.
// Errors: 400 without displayName.
func (b *Bridge) CreateGroup(ctx context.Context, doc scimdoc.Document) (scimdoc.Resource, error) {
	if strings.TrimSpace(stringAt(doc, "displayName")) == "" {
		return scimdoc.Resource{}, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "displayName is required")
	}
	refs, err := memberRefs(doc["members"])
	if err != nil {
		return scimdoc.Resource{}, err
	}
	id := b.newID()
	now := b.now()
	g, err := groupRecord(id, doc, storage.Group{Created: now, LastModified: now, Version: 1})
	if err != nil {
		return scimdoc.Resource{}, err
	}
	var (
		ch        membershipChange
		res       scimdoc.Resource
		ruleUsers []string
	)
	err = b.store.Update(func(tx storage.Tx) error {
		ch = membershipChange{} // a transaction PostgreSQL refuses runs again: start over
		if err := tx.PutGroup(g); err != nil {
			return err
		}
		if err := b.addMembers(tx, id, refs, &ch); err != nil {
			return err
		}
		if err := b.auditMembership(ctx, tx, id, ch); err != nil { // trace.go
			return err
		}
		if ruleUsers, err = b.rules.recordWrite(tx, id, ch, false); err != nil {
			return err
		}
		res, err = storedGroup(tx, id, true)
		return err
	})
	if err != nil {
		return scimdoc.Resource{}, groupStoreError("create group", err)
	}
	b.rules.enqueue(ruleUsers...)
	b.log.Info("group created", "id", id, "members", len(ch.added))
	return res, nil
}

func groupStoreError(op string, err error) error {
	if _, ok := scimdoc.AsError(err); ok {
		return err
	}
	var conflict *storage.ConflictError
	if errors.As(err, &conflict) {
		return scimdoc.Errorf(http.StatusConflict, scimdoc.TypeUniqueness, "%s %q is already used by group %s", conflict.Index, conflict.Value, conflict.ExistingID)
	}
	var tooLarge *storage.TooLargeError
	if errors.As(err, &tooLarge) {
		return scimdoc.Errorf(http.StatusBadRequest, scimdoc.TypeInvalidValue, "%s is too long to store (%d bytes)", tooLarge.Index, tooLarge.Bytes)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// GetGroup returns a group; members are loaded only when withMembers.
// Errors: 404.
func (b *Bridge) GetGroup(ctx context.Context, id string, withMembers bool) (scimdoc.Resource, error) {
	var res scimdoc.Resource
	err := b.store.View(func(tx storage.Tx) error {
		g, err := tx.Group(id)
		if err != nil {
			return err
		}
		res, err = groupResource(tx, g, withMembers)
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		return res, scimdoc.NotFound("Group", id)
	}
	if err != nil {
		return res, fmt.Errorf("get group %s: %w", id, err)
	}
	return res, nil
}

// ListGroups answers a group list or search from storage. displayName, id,
// externalId and member equalities use indexes; a filter on members that
// names one member checks just that membership instead of loading all.
func (b *Bridge) ListGroups(ctx context.Context, q scimdoc.Query, withMembers bool) (scimdoc.Page, error) {
	var matches []scimdoc.Resource
	err := b.store.View(func(tx storage.Tx) error {
		candidates, memberHint, err := groupCandidates(tx, q.Filter)
		if err != nil {
			return err
		}
		needMembers := q.Filter != nil && strings.Contains(strings.ToLower(q.Filter.String()), "members")
		for _, g := range candidates {
			res, err := groupResource(tx, g, withMembers || (needMembers && memberHint == ""))
			if err != nil {
				return err
			}
			if q.Filter != nil {
				doc := withMeta(res, "Group")
				if needMembers && memberHint != "" && !withMembers {
					ok, err := tx.IsMember(g.ID, memberHint)
					if err != nil {
						return err
					}
					if ok {
						doc["members"] = []any{map[string]any{"value": memberHint, "type": "User"}}
					}
				}
				if !q.Filter.Match(b.groups, doc) {
					continue
				}
			}
			matches = append(matches, res)
		}
		return nil
	})
	if err != nil {
		return scimdoc.Page{}, fmt.Errorf("list groups: %w", err)
	}
	sortResources(b.groups, "Group", matches, q)
	return pageOf(matches, q), nil
}

// groupCandidates narrows a filter to the groups an index names, or every
// group. memberHint is the user id of a members equality, if any.
func groupCandidates(tx storage.Tx, f *scimdoc.Filter) (groups []storage.Group, memberHint string, err error) {
	if f != nil {
		for _, h := range f.EqualityHints() {
			if h.Attr == "members.value" && memberHint == "" {
				memberHint = h.Value
			}
		}
		for _, h := range f.EqualityHints() {
			switch h.Attr {
			case "id":
				g, err := tx.Group(h.Value)
				if errors.Is(err, storage.ErrNotFound) {
					return nil, memberHint, nil
				}
				return []storage.Group{g}, memberHint, err
			case "displayname":
				gs, err := tx.GroupsByDisplayName(h.Value)
				return gs, memberHint, err
			case "externalid":
				gs, err := tx.GroupsByExternalID(h.Value)
				return gs, memberHint, err
			case "members.value":
				ids, err := tx.GroupsOfUser(h.Value)
				if errors.Is(err, storage.ErrNotFound) {
					return nil, memberHint, nil // no such user: a member of nothing
				}
				if err != nil {
					return nil, memberHint, err
				}
				for _, id := range ids {
					g, err := tx.Group(id)
					if err != nil {
						return nil, memberHint, err
					}
					groups = append(groups, g)
				}
				return groups, memberHint, nil
			}
		}
	}
	err = tx.ForEachGroup("", func(g storage.Group) (bool, error) {
		groups = append(groups, g)
		return true, nil
	})
	return groups, memberHint, err
}

// ReplaceGroup replaces a group's attributes and members (RFC 7644 §3.5.1).
// Errors: 404, 412 on a stale If-Match, 400 without displayName.
func (b *Bridge) ReplaceGroup(ctx context.Context, id string, doc scimdoc.Document, pre scimdoc.Precondition) (scimdoc.Resource, error) {
	if strings.TrimSpace(stringAt(doc, "displayName")) == "" {
		return scimdoc.Resource{}, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "displayName is required")
	}
	refs, err := memberRefs(doc["members"])
	if err != nil {
		return scimdoc.Resource{}, err
	}
	unlock, err := b.locks.Lock(ctx, "group:"+id)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	defer unlock()
	var (
		ch      membershipChange
		res     scimdoc.Resource
		renamed bool
	)
	write := func(tx storage.Tx) error {
		ch, renamed = membershipChange{}, false // a transaction PostgreSQL refuses runs again: start over
		g, _, err := groupForWrite(tx, id, pre)
		if err != nil {
			return err
		}
		before := g // g changes below; the rules need the group as it was
		ch.before = &before
		next, err := groupRecord(id, doc, g)
		if err != nil {
			return err
		}
		renamed = isRename(g, next)
		if err := b.applyMemberOp(tx, id, memberOp{op: "replace", refs: refs}, &ch); err != nil {
			return err
		}
		if !groupChanged(g, next, ch) { // RFC 7644 §3.5.2: the version stays
			res, err = storedGroup(tx, id, true)
			return err
		}
		next.LastModified, next.Version = b.now(), g.Version+1
		if err := tx.PutGroup(next); err != nil {
			return err
		}
		if err := b.auditMembership(ctx, tx, id, ch); err != nil { // trace.go
			return err
		}
		res, err = storedGroup(tx, id, true)
		return err
	}
	return res, b.commitGroupWrite("replace group", id, write, &ch, &renamed)
}

// PatchGroup applies PATCH operations to a group in order, atomically
// (RFC 7644 §3.5.2). Membership operations touch only the members they name:
// add with a value array, remove by filter (members[value eq "id"]), Entra's
// remove with a value array (removes only those), replace (a full push;
// [] empties the group). Attribute operations (a rename, with or without a
// path, ignoring an "id" inside the value as Okta sends it) go through
// scimdoc. Adding a present member or removing an absent one is no error.
func (b *Bridge) PatchGroup(ctx context.Context, id string, pre scimdoc.Precondition, ops []scimdoc.Operation) (scimdoc.Resource, error) {
	unlock, err := b.locks.Lock(ctx, "group:"+id)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	defer unlock()
	var (
		ch      membershipChange
		res     scimdoc.Resource
		renamed bool
	)
	write := func(tx storage.Tx) error {
		ch, renamed = membershipChange{}, false // a transaction PostgreSQL refuses runs again: start over
		g, cur, err := groupForWrite(tx, id, pre)
		if err != nil {
			return err
		}
		before := g // g changes below; the rules need the group as it was
		ch.before = &before
		doc := withoutGroupServerAttributes(cur.Doc)
		attrsChanged := false
		named := 0
		for _, op := range ops {
			memberOp, attrOp, err := splitMemberOp(op)
			if err != nil {
				return err
			}
			if memberOp != nil {
				if named += len(memberOp.refs); named > MaxMembersPerRequest {
					return tooManyMembers(named)
				}
				if err := b.applyMemberOp(tx, id, *memberOp, &ch); err != nil {
					return err
				}
			}
			if attrOp != nil {
				doc, err = scimdoc.ApplyPatchWith(b.groups, doc, []scimdoc.Operation{*attrOp}, patchOptions(ctx))
				if err != nil {
					return err
				}
				attrsChanged = true
			}
		}
		if attrsChanged {
			if strings.TrimSpace(stringAt(doc, "displayName")) == "" {
				return scimdoc.BadRequest(scimdoc.TypeInvalidValue, "displayName is required and cannot be removed")
			}
			next, err := groupRecord(id, doc, g)
			if err != nil {
				return err
			}
			renamed = isRename(g, next)
			g = next
		}
		if !groupChanged(before, g, ch) { // RFC 7644 §3.5.2: the version stays
			res, err = storedGroup(tx, id, false)
			return err
		}
		g.LastModified, g.Version = b.now(), g.Version+1
		if err := tx.PutGroup(g); err != nil {
			return err
		}
		if err := b.auditMembership(ctx, tx, id, ch); err != nil { // trace.go
			return err
		}
		res, err = storedGroup(tx, id, false)
		return err
	}
	return res, b.commitGroupWrite("patch group", id, write, &ch, &renamed)
}

// groupChanged reports whether a write that leaves the group record next
// and made the membership change ch changed the group before: its
// attributes, or its members once what one operation added and another
// removed cancel out.
func groupChanged(before, next storage.Group, ch membershipChange) bool {
	if !bytes.Equal(before.Resource, next.Resource) {
		return true
	}
	for _, id := range ch.added {
		if !slices.Contains(ch.removed, id) {
			return true
		}
	}
	for _, id := range ch.removed {
		if !slices.Contains(ch.added, id) {
			return true
		}
	}
	return false
}

// storedGroup renders group id as the write in tx left it (the member count
// is the store's).
func storedGroup(tx storage.Tx, id string, withMembers bool) (scimdoc.Resource, error) {
	g, err := tx.Group(id)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	return groupResource(tx, g, withMembers)
}

// isRename reports whether a write changes what the group rules match a
// group by.
func isRename(before, after storage.Group) bool {
	return after.DisplayName != before.DisplayName || after.ExternalID != before.ExternalID
}

// groupWritten finishes a group write: it turns a storage error into the
// SCIM one, or queues the rule work the write recorded with it.
// commitGroupWrite runs write and records the rule work of the membership
// change and rename it leaves in *ch and *renamed, in one transaction, so a
// crash cannot part the change from its work; the work is queued once
// committed.
func (b *Bridge) commitGroupWrite(op, id string, write func(storage.Tx) error, ch *membershipChange, renamed *bool) error {
	var ruleUsers []string
	err := b.store.Update(func(tx storage.Tx) error {
		if err := write(tx); err != nil {
			return err
		}
		var err error
		ruleUsers, err = b.rules.recordWrite(tx, id, *ch, *renamed)
		return err
	})
	return b.groupWritten(op, id, err, ruleUsers)
}

func (b *Bridge) groupWritten(op, id string, err error, ruleUsers []string) error {
	if errors.Is(err, storage.ErrNotFound) {
		return scimdoc.NotFound("Group", id)
	}
	if err != nil {
		return groupStoreError(op+" "+id, err)
	}
	b.rules.enqueue(ruleUsers...)
	return nil
}

// groupForWrite reads a group a write will change, with its resource, and
// checks the request's If-Match against it. Errors: storage.ErrNotFound,
// 412.
func groupForWrite(tx storage.Tx, id string, pre scimdoc.Precondition) (storage.Group, scimdoc.Resource, error) {
	g, err := tx.Group(id)
	if err != nil {
		return g, scimdoc.Resource{}, err
	}
	cur, err := groupResource(tx, g, false)
	if err != nil {
		return g, cur, err
	}
	return g, cur, pre.Check(cur)
}

func withoutGroupServerAttributes(doc scimdoc.Document) scimdoc.Document {
	out := make(scimdoc.Document, len(doc))
	for k, v := range doc {
		switch strings.ToLower(k) {
		case "id", "meta", "members":
			continue
		}
		out[k] = v
	}
	return out
}

// memberOp is a membership operation taken out of a PATCH.
type memberOp struct {
	op   string // add, remove, replace
	refs []memberRef
	// filter is the filter of remove members[...]; filtered the ids it names
	// by value equality, nil when it names none and the members are matched
	// against it one by one.
	filter   *scimdoc.Filter
	filtered []string
	all      bool // remove members without a value: every member
}

// splitMemberOp separates what an operation does to members from what it
// does to other attributes. A no-path value may carry both.
func splitMemberOp(op scimdoc.Operation) (*memberOp, *scimdoc.Operation, error) {
	path := strings.TrimSpace(op.Path)
	lower := strings.ToLower(path)
	lower = strings.TrimPrefix(lower, strings.ToLower("urn:ietf:params:scim:schemas:core:2.0:Group:"))
	switch {
	case path == "":
		obj, ok := op.Value.(map[string]any)
		if !ok {
			return nil, &op, nil // scimdoc reports the bad value
		}
		var members any
		rest := make(map[string]any, len(obj))
		found := false
		for k, v := range obj {
			if strings.EqualFold(k, "members") {
				members, found = v, true
				continue
			}
			rest[k] = v
		}
		var mo *memberOp
		if found {
			refs, err := memberRefs(members)
			if err != nil {
				return nil, nil, err
			}
			mo = &memberOp{op: op.Op, refs: refs}
		}
		var ao *scimdoc.Operation
		if len(rest) > 0 {
			ao = &scimdoc.Operation{Op: op.Op, Value: rest}
		}
		return mo, ao, nil
	case lower == "members":
		if op.Op == "remove" && op.Value == nil {
			return &memberOp{op: "remove", all: true}, nil, nil
		}
		refs, err := memberRefs(op.Value)
		if err != nil {
			return nil, nil, err
		}
		return &memberOp{op: op.Op, refs: refs}, nil, nil
	case strings.HasPrefix(lower, "members[") || strings.HasPrefix(lower, "members."):
		if op.Op != "remove" {
			return nil, nil, scimdoc.BadRequest(scimdoc.TypeInvalidPath, "only remove may target %q; add or replace members with the path \"members\"", path)
		}
		f, ids, err := memberFilterIDs(path)
		if err != nil {
			return nil, nil, err
		}
		return &memberOp{op: "remove", filter: f, filtered: ids}, nil, nil
	}
	return nil, &op, nil
}

// memberFilterIDs parses a path like members[value eq "id"] and reads the
// member ids it names by value equality, so removing one member never scans
// the group. A filter that names none (members[value eq "a" or value eq
// "b"], members[display eq "x"]) gives nil ids: the members are then matched
// against it one by one.
func memberFilterIDs(path string) (*scimdoc.Filter, []string, error) {
	f, err := scimdoc.ParseFilter(path)
	if err != nil {
		why := err.Error()
		if se, ok := scimdoc.AsError(err); ok {
			why = se.Detail // not "scim 400 invalidFilter: …"
		}
		return nil, nil, scimdoc.BadRequest(scimdoc.TypeInvalidPath, "path %q is not members[filter]: %s", path, why)
	}
	var ids []string
	for _, h := range f.EqualityHints() {
		if h.Attr == "members.value" {
			ids = append(ids, h.Value)
		}
	}
	return f, ids, nil
}

// matchingMembers lists the members of a group that a members[...] filter
// selects.
func (b *Bridge) matchingMembers(tx storage.Tx, groupID string, f *scimdoc.Filter) ([]string, error) {
	var ids []string
	err := tx.ForEachMember(groupID, func(m storage.Member) (bool, error) {
		entry := map[string]any{"value": m.UserID, "type": "User"}
		if m.Display != "" {
			entry["display"] = m.Display
		}
		if f.Match(b.groups, scimdoc.Document{"members": []any{entry}}) {
			ids = append(ids, m.UserID)
		}
		return true, nil
	})
	return ids, err
}

func (b *Bridge) applyMemberOp(tx storage.Tx, groupID string, op memberOp, ch *membershipChange) error {
	switch {
	case op.filter != nil && op.filtered != nil:
		return removeMembers(tx, groupID, op.filtered, ch)
	case op.filter != nil:
		ids, err := b.matchingMembers(tx, groupID, op.filter)
		if err != nil {
			return err
		}
		return removeMembers(tx, groupID, ids, ch)
	case op.all:
		return clearMembers(tx, groupID, ch)
	}
	switch op.op {
	case "add":
		return b.addMembers(tx, groupID, op.refs, ch)
	case "remove":
		ids := make([]string, len(op.refs))
		for i, r := range op.refs {
			ids[i] = r.id
		}
		return removeMembers(tx, groupID, ids, ch)
	case "replace":
		want := make(map[string]bool, len(op.refs))
		for _, r := range op.refs {
			want[r.id] = true
		}
		var drop []string
		if err := tx.ForEachMember(groupID, func(m storage.Member) (bool, error) {
			if !want[m.UserID] {
				drop = append(drop, m.UserID)
			}
			return true, nil
		}); err != nil {
			return err
		}
		if err := removeMembers(tx, groupID, drop, ch); err != nil {
			return err
		}
		return b.addMembers(tx, groupID, op.refs, ch)
	}
	return scimdoc.BadRequest(scimdoc.TypeInvalidSyntax, "unknown operation %q", op.op)
}

// DeleteGroup removes a group (RFC 7644 §3.6). Its users stay; what its
// rules did to them is undone as if each had left the group.
func (b *Bridge) DeleteGroup(ctx context.Context, id string, pre scimdoc.Precondition) error {
	unlock, err := b.locks.Lock(ctx, "group:"+id)
	if err != nil {
		return err
	}
	defer unlock()
	var ch membershipChange
	var ruleUsers []string
	err = b.store.Update(func(tx storage.Tx) error {
		ch = membershipChange{} // a transaction PostgreSQL refuses runs again: start over
		g, err := tx.Group(id)
		if err != nil {
			return err
		}
		cur, err := groupResource(tx, g, false)
		if err != nil {
			return err
		}
		if err := pre.Check(cur); err != nil {
			return err
		}
		if err := tx.ForEachMember(id, func(m storage.Member) (bool, error) {
			ch.removed = append(ch.removed, m.UserID)
			return true, nil
		}); err != nil {
			return err
		}
		if err := b.auditMembership(ctx, tx, id, ch); err != nil { // trace.go
			return err
		}
		if ruleUsers, err = b.rules.recordDelete(tx, g, ch.removed); err != nil {
			return err
		}
		return tx.DeleteGroup(id)
	})
	if errors.Is(err, storage.ErrNotFound) {
		return scimdoc.NotFound("Group", id)
	}
	if err != nil {
		return groupStoreError("delete group "+id, err)
	}
	b.rules.enqueue(ruleUsers...)
	return nil
}
