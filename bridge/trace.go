package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// "What happened to Jane?": the trace of one person through the bridge, put
// together from the store alone (the SCIM user, the local copy of the
// Absorb account, the groups, the holds and the audit log), so that it
// answers the same from a running bridge and from a stopped one's file.

// ActorSync is the credential of changes the sync folds in from Absorb.
const ActorSync = "bridge:sync"

// Audit operations of requests from the IdP and of the sync. The records of
// writes to Absorb (OpCreate, OpUpdate, …) say what Absorb was sent; these
// say what the IdP asked of the SCIM user and what the sync changed in it.
const (
	OpSCIMCreate = "scim-create" // POST /Users
	OpSCIMUpdate = "scim-update" // PUT or PATCH /Users/{id}
	OpSCIMDelete = "scim-delete" // DELETE /Users/{id}
	// OpSCIMMembership: a group write (POST, PUT, PATCH or DELETE
	// /Groups) added the user to a group or removed it from one.
	OpSCIMMembership = "scim-membership"
	OpSync           = "sync" // the sync folded a change made in Absorb into the SCIM user

	// OutcomeAccepted is the outcome of an IdP request's record: the SCIM
	// user changed. What reached Absorb is in the write's own record.
	OutcomeAccepted = "accepted"
)

// Kinds of TraceEvent.
const (
	EventRequest = "request"     // an IdP request, with the SCIM attributes it changed
	EventAbsorb  = "absorbWrite" // a write to Absorb, with the Absorb fields from → to
	EventRule    = "rule"        // a group rule's action: department, enroll, unenroll
	EventSync    = "sync"        // a change made in Absorb, folded in by the sync
	EventHold    = "hold"        // the brake held, released, discarded or cancelled a deactivation
)

// Trace is everything the bridge knows about one person: the SCIM user, the
// Absorb account as last seen, the link between them, the groups, a held
// deactivation, and the whole history in the order it happened. Its JSON
// form is the answer of GET /admin/trace.
type Trace struct {
	// Query is what was asked for: a userName, email, externalId, SCIM id
	// or Absorb id.
	Query string `json:"query"`
	// User is the SCIM user; nil when there is none (deleted, or never
	// provisioned).
	User *TraceUser `json:"user,omitempty"`
	// Absorb is the Absorb account as the bridge last saw it (its local
	// copy, as Absorb sent it, never a password); nil when unknown.
	Absorb json.RawMessage `json:"absorb,omitempty"`
	Link   TraceLink       `json:"link"`
	// Groups are the SCIM groups the user belongs to.
	Groups []TraceGroup `json:"groups"`
	// Hold is the deactivation the brake keeps from Absorb; nil when none.
	Hold *HeldDeactivation `json:"hold,omitempty"`
	// History is every audit record about the person, oldest first.
	History []TraceEvent `json:"history"`
}

// TraceUser is the SCIM user of a Trace.
type TraceUser struct {
	ID           string          `json:"id"`
	UserName     string          `json:"userName"`
	Active       bool            `json:"active"`
	Created      time.Time       `json:"created"`
	LastModified time.Time       `json:"lastModified"`
	Version      uint64          `json:"version"`
	Resource     json.RawMessage `json:"resource"` // as stored, without meta
}

// TraceLink says which SCIM user holds which Absorb account.
type TraceLink struct {
	SCIMID   string `json:"scimId,omitempty"`
	AbsorbID string `json:"absorbId,omitempty"`
	// Linked is true when the SCIM user holds the account now; false when
	// one side is missing (a deleted user keeps its account in Absorb).
	Linked bool `json:"linked"`
}

// TraceGroup is a group of the user.
type TraceGroup struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	ExternalID  string `json:"externalId,omitempty"`
}

// TraceEvent is one thing that happened to the person, from the audit log.
type TraceEvent struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	// Kind is EventRequest, EventAbsorb, EventRule, EventSync or EventHold.
	Kind string `json:"kind"`
	// Operation is the audit operation (OpSCIMUpdate, OpDeactivate, OpEnroll, …).
	Operation  string `json:"operation"`
	Credential string `json:"credential"`
	RequestID  string `json:"requestId,omitempty"`
	Outcome    string `json:"outcome"`
	SCIMID     string `json:"scimId,omitempty"`
	AbsorbID   string `json:"absorbId,omitempty"`
	UserName   string `json:"userName,omitempty"`
	// Changes are the attributes (SCIM for requests and the sync, Absorb
	// for writes to Absorb) from → to.
	Changes []TraceChange `json:"changes"`
}

// TraceChange is one attribute changed.
type TraceChange struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// ErrAmbiguous is returned by Trace when the key names several SCIM users
// (externalId and email are not unique); the error's text lists them.
var ErrAmbiguous = errors.New("several users match")

// Trace answers "what happened to this person?" for key: a userName, email,
// externalId, SCIM id or Absorb id. It reads the store only. Errors: a
// scimdoc 404 when nothing is known of key, a 409 wrapping ErrAmbiguous
// when it names several users.
func (b *Bridge) Trace(ctx context.Context, key string) (Trace, error) {
	return TraceStore(b.store, key)
}

// TraceStore is Trace over a store no bridge runs on (a stopped bridge's
// file, opened read-only).
func TraceStore(store storage.Store, key string) (Trace, error) {
	key = strings.TrimSpace(key)
	t := Trace{Query: key, Groups: []TraceGroup{}, History: []TraceEvent{}}
	if key == "" {
		return t, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "name the user: a userName, email, externalId, SCIM id or Absorb id")
	}
	ids := traceIDs{scim: map[string]bool{}, absorb: map[string]bool{}, names: map[string]bool{}}
	err := store.View(func(tx storage.Tx) error {
		u, found, err := traceUser(tx, key)
		if err != nil {
			return err
		}
		if found {
			t.User = &TraceUser{ID: u.ID, UserName: u.UserName, Active: u.Active, Created: u.Created,
				LastModified: u.LastModified, Version: u.Version, Resource: u.Resource}
			t.Link = TraceLink{SCIMID: u.ID, AbsorbID: u.AbsorbID, Linked: u.AbsorbID != ""}
			ids.add(u.ID, u.AbsorbID, u.UserName)
			if err := traceGroups(tx, &t, u.ID); err != nil {
				return err
			}
		} else {
			// No SCIM user: perhaps deleted. The account, a hold or the
			// audit log may still know the person.
			for _, get := range []func(string) (storage.AbsorbUser, error){tx.AbsorbUser, tx.AbsorbUserByUsername, tx.AbsorbUserByExternalID} {
				if a, err := get(key); err == nil {
					t.Link.AbsorbID = a.ID
					ids.add("", a.ID, a.Username)
					break
				}
			}
			ids.add("", "", key)
			ids.scim[key] = true
			ids.absorb[key] = true
		}
		if t.Link.AbsorbID != "" {
			if a, err := tx.AbsorbUser(t.Link.AbsorbID); err == nil {
				t.Absorb = a.Raw
			}
		}
		if err := tx.ForEachHold(func(h storage.Hold) (bool, error) {
			if ids.scim[h.UserID] || ids.absorb[h.AbsorbID] {
				held := heldOf(h)
				t.Hold = &held
				ids.add(h.UserID, h.AbsorbID, h.UserName)
				if t.Link.AbsorbID == "" {
					t.Link.AbsorbID = h.AbsorbID
				}
			}
			return true, nil
		}); err != nil {
			return err
		}
		return tx.ForEachAudit(0, func(r storage.AuditRecord) (bool, error) {
			if ids.match(r) {
				t.History = append(t.History, eventOf(r))
				// A record of a deleted user names its ids: follow them.
				ids.add(r.ResourceID, r.AbsorbID, "")
			}
			return true, nil
		})
	})
	if err != nil {
		return t, err
	}
	if t.User == nil && t.Link.AbsorbID == "" && t.Hold == nil && len(t.History) == 0 {
		return t, scimdoc.Errorf(http.StatusNotFound, "", "nothing is known of %q: no user, Absorb account or audit record has this userName, email, externalId or id", key)
	}
	if t.User == nil && t.Link.SCIMID == "" && t.Hold != nil {
		t.Link.SCIMID = t.Hold.ID
	}
	return t, nil
}

// traceUser finds the SCIM user key names: by SCIM id, userName, Absorb id,
// externalId, then email. found is false when none does.
func traceUser(tx storage.Tx, key string) (storage.User, bool, error) {
	for _, get := range []func(string) (storage.User, error){tx.User, tx.UserByUserName, tx.UserByAbsorbID} {
		u, err := get(key)
		if err == nil {
			return u, true, nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return u, false, err
		}
	}
	for _, list := range []func(string) ([]storage.User, error){tx.UsersByExternalID, tx.UsersByEmail} {
		us, err := list(key)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return storage.User{}, false, err
		}
		switch len(us) {
		case 0:
			continue
		case 1:
			return us[0], true, nil
		}
		names := make([]string, 0, len(us))
		for _, u := range us {
			names = append(names, u.ID+" ("+u.UserName+")")
		}
		se := scimdoc.Errorf(http.StatusConflict, "", "%q names %d users: %s; trace one by its id or userName",
			key, len(us), strings.Join(names, ", "))
		se.Err = ErrAmbiguous
		return storage.User{}, false, se
	}
	return storage.User{}, false, nil
}

func traceGroups(tx storage.Tx, t *Trace, userID string) error {
	gids, err := tx.GroupsOfUser(userID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	for _, gid := range gids {
		if g, err := tx.Group(gid); err == nil {
			t.Groups = append(t.Groups, TraceGroup{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID})
		}
	}
	sort.Slice(t.Groups, func(i, j int) bool { return t.Groups[i].DisplayName < t.Groups[j].DisplayName })
	return nil
}

// traceIDs are the ids and userNames a person has gone by.
type traceIDs struct{ scim, absorb, names map[string]bool }

func (ids traceIDs) add(scimID, absorbID, userName string) {
	if scimID != "" && !strings.Contains(scimID, ",") {
		ids.scim[scimID] = true
	}
	if absorbID != "" {
		ids.absorb[absorbID] = true
	}
	if userName != "" {
		ids.names[storage.FoldUserName(userName)] = true
	}
}

func (ids traceIDs) match(r storage.AuditRecord) bool {
	return (r.ResourceID != "" && ids.scim[r.ResourceID]) || (r.AbsorbID != "" && ids.absorb[r.AbsorbID]) ||
		(r.UserName != "" && ids.names[storage.FoldUserName(r.UserName)])
}

// eventOf is the TraceEvent of an audit record.
func eventOf(r storage.AuditRecord) TraceEvent {
	e := TraceEvent{Seq: r.Seq, Time: r.Time, Kind: eventKind(r), Operation: r.Operation, Credential: r.Credential,
		RequestID: r.RequestID, Outcome: r.Outcome, AbsorbID: r.AbsorbID, UserName: r.UserName, Changes: []TraceChange{}}
	if r.ResourceType == "User" {
		e.SCIMID = r.ResourceID
	}
	for _, c := range r.Changes {
		e.Changes = append(e.Changes, TraceChange(c))
	}
	return e
}

func eventKind(r storage.AuditRecord) string {
	switch r.Operation {
	case OpSCIMCreate, OpSCIMUpdate, OpSCIMDelete, OpSCIMMembership:
		return EventRequest
	case OpSync:
		return EventSync
	case OpHold, OpRelease, OpDiscard, OpCancelHold:
		return EventHold
	case OpEnroll, OpUnenroll: // only the group rules enroll
		return EventRule
	}
	if r.Credential == ActorRules {
		return EventRule
	}
	return EventAbsorb
}

// requestRecord is the audit record of an IdP request that changed the
// SCIM user id from before to after (nil before for a create, nil after for
// a delete): which SCIM attributes changed, from → to, never the password.
func (b *Bridge) requestRecord(ctx context.Context, op, id, absorbID, userName string, before, after map[string]string) storage.AuditRecord {
	actor := actorOf(ctx)
	return storage.AuditRecord{Time: b.now(), Credential: actor.Credential, RequestID: actor.RequestID, Operation: op,
		ResourceType: "User", ResourceID: id, AbsorbID: absorbID, UserName: userName, Outcome: OutcomeAccepted,
		Changes: attributeChanges(before, after)}
}

// flatAttributes flattens a SCIM document into attribute paths and their
// values as text: sub-attributes joined by dots, multi-valued attributes as
// their JSON. Server attributes (id, meta, schemas, groups) and the
// password are left out.
func flatAttributes(doc scimdoc.Document) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				walk(joinPath(prefix, k), x)
			}
		case nil:
		case string:
			out[prefix] = t
		case bool:
			out[prefix] = strconv.FormatBool(t)
		default:
			raw, err := json.Marshal(t)
			if err != nil {
				raw = []byte(fmt.Sprint(t))
			}
			out[prefix] = string(raw)
		}
	}
	for k, v := range doc {
		switch strings.ToLower(k) {
		case "id", "meta", "schemas", "groups", "password":
			continue
		}
		walk(k, v)
	}
	return out
}

func joinPath(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// attributeChanges lists the attributes that differ, in path order.
func attributeChanges(before, after map[string]string) []storage.FieldChange {
	var out []storage.FieldChange
	for k, a := range after {
		if b, ok := before[k]; !ok || b != a {
			out = append(out, storage.FieldChange{Field: k, From: before[k], To: a})
		}
	}
	for k, b := range before {
		if _, ok := after[k]; !ok {
			out = append(out, storage.FieldChange{Field: k, From: b})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// auditFold appends, in the sync's transaction, the audit record of a change
// made in Absorb that the sync folded into the SCIM user: before is the
// user as it was, after as the fold leaves it.
func (b *Bridge) auditFold(tx storage.Tx, before, after storage.User) error {
	old, err := userResource(before)
	if err != nil {
		return err
	}
	now, err := userResource(after)
	if err != nil {
		return err
	}
	_, err = tx.AppendAudit(storage.AuditRecord{Time: b.now(), Credential: ActorSync, Operation: OpSync,
		ResourceType: "User", ResourceID: after.ID, AbsorbID: after.AbsorbID, UserName: after.UserName, Outcome: OutcomeOK,
		Changes: attributeChanges(flatAttributes(old.Doc), flatAttributes(now.Doc))})
	return err
}

// AuditQuery selects audit records for ReadAudit.
type AuditQuery struct {
	// User, when set, keeps the records about this user: its userName
	// (any case), SCIM id or Absorb id.
	User string
	// Since, when set, keeps the records made at or after it.
	Since time.Time
}

// Matches reports whether r is selected by q.
func (q AuditQuery) Matches(r storage.AuditRecord) bool {
	if r.Time.Before(q.Since) {
		return false
	}
	return q.User == "" || strings.EqualFold(r.UserName, q.User) || r.ResourceID == q.User || r.AbsorbID == q.User
}

// auditPage is how many audit records ReadAudit reads in one transaction.
const auditPage = 500

// ReadAudit calls fn for each audit record q selects, oldest first; fn's
// error stops the walk and is returned. The records are read a page at a
// time and fn runs between transactions: fn may be slow (it writes to the
// client of GET /admin/audit, which may be a pager), and a write that grows
// the data file waits until every open read transaction ends.
func ReadAudit(store storage.Store, q AuditQuery, fn func(storage.AuditRecord) error) error {
	var from uint64
	for {
		var page []storage.AuditRecord
		more := false
		err := store.View(func(tx storage.Tx) error {
			read := 0
			return tx.ForEachAudit(from, func(r storage.AuditRecord) (bool, error) {
				if read == auditPage {
					more = true
					return false, nil
				}
				read++
				from = r.Seq + 1
				if q.Matches(r) {
					page = append(page, r)
				}
				return true, nil
			})
		})
		if err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// ReadAudit is ReadAudit over the bridge's own store, for a running bridge.
func (b *Bridge) ReadAudit(q AuditQuery, fn func(storage.AuditRecord) error) error {
	return ReadAudit(b.store, q, fn)
}

// AuditEntry is an audit record as the admin API and `audit -json` write
// it: one JSON object per line.
type AuditEntry struct {
	Seq          uint64        `json:"seq"`
	Time         time.Time     `json:"time"`
	Credential   string        `json:"credential"`
	RequestID    string        `json:"requestId,omitempty"`
	Operation    string        `json:"operation"`
	ResourceType string        `json:"resourceType"`
	ResourceID   string        `json:"resourceId,omitempty"`
	AbsorbID     string        `json:"absorbId,omitempty"`
	UserName     string        `json:"userName,omitempty"`
	Outcome      string        `json:"outcome"`
	Changes      []TraceChange `json:"changes"`
	// Tenant is the tenant whose data holds the record, "" without tenants;
	// each tenant's records are kept in its own data, so readers set it.
	Tenant string `json:"tenant,omitempty"`
}

// AuditEntryOf is the AuditEntry of r.
func AuditEntryOf(r storage.AuditRecord) AuditEntry {
	e := AuditEntry{Seq: r.Seq, Time: r.Time, Credential: r.Credential, RequestID: r.RequestID, Operation: r.Operation,
		ResourceType: r.ResourceType, ResourceID: r.ResourceID, AbsorbID: r.AbsorbID, UserName: r.UserName,
		Outcome: r.Outcome, Changes: []TraceChange{}}
	for _, c := range r.Changes {
		e.Changes = append(e.Changes, TraceChange(c))
	}
	return e
}

// Record is the storage.AuditRecord e was made from.
func (e AuditEntry) Record() storage.AuditRecord {
	r := storage.AuditRecord{Seq: e.Seq, Time: e.Time, Credential: e.Credential, RequestID: e.RequestID, Operation: e.Operation,
		ResourceType: e.ResourceType, ResourceID: e.ResourceID, AbsorbID: e.AbsorbID, UserName: e.UserName, Outcome: e.Outcome}
	for _, c := range e.Changes {
		r.Changes = append(r.Changes, storage.FieldChange(c))
	}
	return r
}

// auditMembership appends, in the group write's transaction tx, an
// OpSCIMMembership record for each user the write added or removed, naming
// the group ("displayName (id)"): to for a join (the group as the write
// leaves it), from for a leave (the group as it was, ch.before, when the
// write changed it).
func (b *Bridge) auditMembership(ctx context.Context, tx storage.Tx, groupID string, ch membershipChange) error {
	if len(ch.added) == 0 && len(ch.removed) == 0 {
		return nil
	}
	actor := actorOf(ctx)
	now := b.now()
	name := func(g storage.Group) string { return g.DisplayName + " (" + g.ID + ")" }
	is := groupID
	if g, err := tx.Group(groupID); err == nil {
		is = name(g)
	}
	was := is
	if ch.before != nil {
		was = name(*ch.before)
	}
	add := func(userID, from, to string) error {
		rec := storage.AuditRecord{Time: now, Credential: actor.Credential, RequestID: actor.RequestID,
			Operation: OpSCIMMembership, ResourceType: "User", ResourceID: userID, Outcome: OutcomeAccepted,
			Changes: []storage.FieldChange{{Field: "group", From: from, To: to}}}
		if u, err := tx.User(userID); err == nil {
			rec.AbsorbID, rec.UserName = u.AbsorbID, u.UserName
		}
		_, err := tx.AppendAudit(rec)
		return err
	}
	for _, id := range ch.added {
		if err := add(id, "", is); err != nil {
			return err
		}
	}
	for _, id := range ch.removed {
		if err := add(id, was, ""); err != nil {
			return err
		}
	}
	return nil
}

// bulkRequestRecord is the record of the IdP's request among a bulk
// request's user writes, as the single-user use cases make it; it is
// committed with the user.
func (b *Bridge) bulkRequestRecord(ctx context.Context, e *bulkEntry) storage.AuditRecord {
	op := OpSCIMUpdate
	if e.create {
		op = OpSCIMCreate
	}
	return b.requestRecord(ctx, op, e.rec.ID, e.rec.AbsorbID, e.rec.UserName, e.before, flatAttributes(e.doc))
}
