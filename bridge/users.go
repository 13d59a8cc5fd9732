package bridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"golang.org/x/text/unicode/norm"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// mirrorState tells whether the local copy of Absorb's users is complete (a
// full sync has finished). Until it is, a local miss is asked of Absorb.
type mirrorState struct{ complete atomic.Bool }

// CreateUser provisions a SCIM user (RFC 7644 §3.3). An Absorb account with
// the same username that no SCIM user holds yet is adopted (and reactivated
// when the IdP sends it active) instead of duplicated. The create is
// recorded as an intent before Absorb is called, so a crash or a retry after
// a timeout resolves to the same account. Errors: 409 uniqueness when the
// userName is already provisioned or hidden from the admin's scope, 400 for
// data Absorb refuses, 429/503 for upstream conditions, and 429 when the
// Governor turns the write away.
func (b *Bridge) CreateUser(ctx context.Context, doc scimdoc.Document) (scimdoc.Resource, error) {
	release, err := b.admit(ctx)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	defer release()
	userName, err := userNameOf(doc)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	if b.isOwnUsername(userName) {
		return scimdoc.Resource{}, errAdministrator(userName)
	}
	key := foldKey(userName)
	unlock, err := b.locks.Lock(ctx, "username:"+key)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	defer unlock()

	scimID := b.newID()
	unfinished := false
	var linked storage.User
	err = b.store.View(func(tx storage.Tx) error {
		var err error
		if linked, err = tx.UserByUserName(userName); err == nil || !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		in, err := tx.Intent(key)
		switch {
		case err == nil:
			// An earlier create of this userName did not finish: keep its id
			// so the retry answers with the same resource.
			scimID, unfinished = in.SCIMID, true
			return nil
		case errors.Is(err, storage.ErrNotFound):
			return nil
		}
		return err
	})
	if err == nil && linked.ID != "" {
		return scimdoc.Resource{}, scimdoc.Errorf(http.StatusConflict, scimdoc.TypeUniqueness,
			"userName %q is already provisioned as user %s", userName, linked.ID)
	}
	if err != nil {
		return scimdoc.Resource{}, fmt.Errorf("create user %q: %w", userName, err)
	}

	// After an unfinished create, Absorb may hold an account the local copy
	// has not seen yet: ask Absorb itself. So too on a portal that may
	// upsert: an account made since the last sync would be updated by the
	// POST, before its answer could be checked (upsert.go).
	account, err := b.findAccount(ctx, userName, unfinished || b.createMayUpsert)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	if account != nil {
		if b.protected(*account) {
			return scimdoc.Resource{}, errAdministrator(userName)
		}
		if err := b.ensureUnlinked(account.ID, userName); err != nil {
			return scimdoc.Resource{}, err
		}
	}
	u, err := b.absorbUserFor(ctx, "", doc, account)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	if err := b.ensureExternalIDFree(ctx, u, account); err != nil {
		return scimdoc.Resource{}, err
	}

	now := b.now()
	// Batch: concurrent creates share one commit (group commit).
	if err := b.store.Batch(func(tx storage.Tx) error {
		return tx.PutIntent(storage.Intent{Key: key, SCIMID: scimID, Started: now})
	}); err != nil {
		return scimdoc.Resource{}, fmt.Errorf("record create intent for %q: %w", userName, err)
	}

	saved, audit, err := b.writeAccount(ctx, scimID, u, account)
	if err != nil {
		b.writeAudit(audit...)
		if !retryable(err) {
			// Absorb definitely did not take the user: nothing to resolve later.
			_ = b.store.Update(func(tx storage.Tx) error { return tx.DeleteIntent(key) })
		}
		return scimdoc.Resource{}, err
	}
	rec, err := userRecord(scimID, saved.ID, doc, now, now, 1)
	if err != nil {
		b.writeAudit(audit...)
		return scimdoc.Resource{}, err
	}
	audit = append(audit, b.requestRecord(ctx, OpSCIMCreate, scimID, saved.ID, userName, nil, flatAttributes(doc))) // trace.go
	if err := b.commitUser(rec, saved, key, audit); err != nil {
		return scimdoc.Resource{}, err
	}
	if account != nil {
		b.cancelDeleteHold(ctx, saved.ID) // a held DELETE of this account is undone by the IdP (holds.go)
	}
	b.log.Info("user created", "id", scimID, "absorbId", saved.ID, "adopted", account != nil)
	return b.written(rec, doc)
}

// writeAccount creates u in Absorb for the SCIM user scimID, or updates
// adopted, the existing account it adopts (nil for none). A create that
// finds the username taken by an account the admin can see adopts that
// account instead (it was made by hand meanwhile). It returns what Absorb
// now holds and the audit records of the writes it sent, also on failure.
func (b *Bridge) writeAccount(ctx context.Context, scimID string, u absorbapi.User, adopted *absorbapi.User) (absorbapi.User, []storage.AuditRecord, error) {
	if adopted != nil {
		saved, audit, err := b.sendUser(ctx, scimID, *adopted, u)
		return saved, []storage.AuditRecord{audit}, upstreamError("update absorb user", err)
	}
	started := b.now()
	saved, audit, err := b.sendUser(ctx, scimID, absorbapi.User{}, u)
	if err == nil {
		// Absorb may have updated an existing account instead (upsert.go).
		if cerr := b.checkCreated(ctx, u, saved.ID, started); cerr != nil {
			if _, refused := scimdoc.AsError(cerr); refused && !retryable(cerr) {
				audit.Outcome = OutcomeWarning
				b.log.Warn("Absorb answered a create with an account the bridge did not choose; not linked",
					"userName", u.Username, "absorbId", saved.ID, "detail", cerr.Error())
			}
			return absorbapi.User{}, []storage.AuditRecord{audit}, cerr
		}
	}
	sent := []storage.AuditRecord{audit}
	var conflict *absorbapi.ConflictError
	if errors.As(err, &conflict) && !conflict.Hidden && conflict.ExistingID != "" {
		if lerr := b.ensureUnlinked(conflict.ExistingID, u.Username); lerr != nil {
			return absorbapi.User{}, sent, lerr
		}
		// The account was made meanwhile, so the local copy may not know
		// it: ask Absorb whether it is an administrator's.
		if existing, gerr := b.absorb.GetUser(ctx, conflict.ExistingID); gerr == nil && b.protected(*existing) {
			return absorbapi.User{}, sent, errAdministrator(u.Username)
		}
		u.ID = conflict.ExistingID
		u.Password = ""
		saved, audit, err = b.sendUser(ctx, scimID, b.localAccount(u.ID), u)
		sent = append(sent, audit)
	}
	if err != nil {
		return absorbapi.User{}, sent, upstreamError("create absorb user", err)
	}
	return saved, sent, nil
}

// merged is what Absorb now holds: what was sent, with the id and dates
// Absorb answered. The password is never kept.
func merged(sent absorbapi.User, answer *absorbapi.User) absorbapi.User {
	sent.Password = ""
	if answer != nil {
		if answer.ID != "" {
			sent.ID = answer.ID
		}
		if answer.DateAdded != "" {
			sent.DateAdded = answer.DateAdded
		}
		if answer.DateEdited != "" {
			sent.DateEdited = answer.DateEdited
		}
	}
	return sent
}

// commitUser writes a user's record and Absorb copy in one transaction,
// clears the create intent named by intentKey ("" for none), and appends
// audit, the records of the writes that made the change. When the commit
// fails, the records are appended on their own: the writes were sent.
// Errors: 409 uniqueness when another user holds an indexed value.
func (b *Bridge) commitUser(rec storage.User, account absorbapi.User, intentKey string, audit []storage.AuditRecord) error {
	c, err := b.prepareCommit(rec, account, intentKey, audit)
	if err == nil {
		// Batch: concurrent writes share one commit and one fsync; save
		// only writes in the transaction, so running it again is harmless.
		err = b.store.Batch(c.save)
	}
	if err != nil {
		b.writeAudit(audit...)
	}
	var conflict *storage.ConflictError
	if errors.As(err, &conflict) {
		return scimdoc.Errorf(http.StatusConflict, scimdoc.TypeUniqueness,
			"%s %q is already used by user %s", conflict.Index, conflict.Value, conflict.ExistingID)
	}
	if err != nil {
		return fmt.Errorf("save user %s: %w", rec.ID, err)
	}
	return nil
}

// userCommit is what one user write saves, encoded ahead of the
// transaction, which then holds bbolt's single writer only to store it: the
// SCIM user's record, the copy of its Absorb account, the end of its create
// intent ("" for none) and the audit records of the writes sent for it.
type userCommit struct {
	user   storage.PreparedUser
	copy   storage.PreparedAbsorbUser
	intent string
	audit  []storage.PreparedAudit
}

func (b *Bridge) prepareCommit(rec storage.User, account absorbapi.User, intentKey string, audit []storage.AuditRecord) (userCommit, error) {
	c := userCommit{intent: intentKey, audit: b.prepareAudit(audit)}
	mirror, err := mirrorRecord(account)
	if err != nil {
		return c, err
	}
	if c.user, err = b.store.PrepareUser(rec); err != nil {
		return c, err
	}
	c.copy, err = b.store.PrepareAbsorbUser(mirror)
	return c, err
}

// save writes the commit in tx.
func (c userCommit) save(tx storage.Tx) error {
	if err := tx.PutPreparedUser(c.user); err != nil {
		return err
	}
	if err := tx.PutPreparedAbsorbUser(c.copy); err != nil {
		return err
	}
	if c.intent != "" {
		if err := tx.DeleteIntent(c.intent); err != nil {
			return err
		}
	}
	return appendAudit(tx, c.audit)
}

// retryable reports whether err leaves it unknown if Absorb applied a write.
func retryable(err error) bool {
	if e, ok := scimdoc.AsError(err); ok {
		return e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable
	}
	return true
}

// ensureUnlinked refuses to adopt an Absorb account some SCIM user holds.
func (b *Bridge) ensureUnlinked(absorbID, userName string) error {
	return b.store.View(func(tx storage.Tx) error {
		holder, err := tx.UserByAbsorbID(absorbID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return scimdoc.Errorf(http.StatusConflict, scimdoc.TypeUniqueness,
			"the Absorb account for userName %q is already provisioned as user %s", userName, holder.ID)
	})
}

// findAccount returns the Absorb account with this username, or nil; see
// findAccountBy.
func (b *Bridge) findAccount(ctx context.Context, userName string, askAbsorb bool) (*absorbapi.User, error) {
	return b.findAccountBy(ctx, userName, askAbsorb, (storage.Tx).AbsorbUserByUsername, b.findUserByUsername,
		func(u absorbapi.User) bool { return foldKey(u.Username) == foldKey(userName) })
}

// findUserByUsername asks Absorb for the account with this username, and
// when there is none, for its other spellings where they differ: the folded
// one (storage.FoldUserName) and the decomposed one (NFD). Absorb may
// compare usernames ignoring case only, so "ſam" would not find "sam", nor
// a precomposed "josé" a decomposed one.
func (b *Bridge) findUserByUsername(ctx context.Context, userName string) (*absorbapi.User, error) {
	u, err := b.absorb.FindUserByUsername(ctx, userName)
	tried := []string{strings.ToLower(userName)}
	for _, other := range []string{foldKey(userName), norm.NFD.String(userName)} {
		if !absorbapi.IsNotFound(err) || slices.Contains(tried, strings.ToLower(other)) {
			continue
		}
		tried = append(tried, strings.ToLower(other))
		u, err = b.absorb.FindUserByUsername(ctx, other)
	}
	return u, err
}

// absorbUserFor maps a SCIM document onto the Absorb user to send, starting
// from the account Absorb holds (nil on create) and resolving the department.
func (b *Bridge) absorbUserFor(ctx context.Context, userID string, doc scimdoc.Document, current *absorbapi.User) (absorbapi.User, error) {
	currentDept := ""
	if current != nil {
		currentDept = current.DepartmentID
	}
	dept, err := b.departmentFor(ctx, userID, doc, currentDept)
	if err != nil {
		return absorbapi.User{}, err
	}
	b.langs.prepare(ctx, doc) // languages.go
	u, err := b.mapper.ToAbsorb(doc, current)
	if err != nil {
		return absorbapi.User{}, scimdoc.BadRequest(scimdoc.TypeInvalidValue, "%v", err)
	}
	b.langs.warnUnknown(doc)
	if current != nil {
		u.ID = current.ID
		u.Username = keepAbsorbSpelling(u.Username, current.Username)
	}
	u.DepartmentID = dept
	return u, nil
}

// GetUser returns a user from the local copy; it never calls Absorb.
// Errors: 404 when no such user.
func (b *Bridge) GetUser(ctx context.Context, id string) (scimdoc.Resource, error) {
	var res scimdoc.Resource
	err := b.store.View(func(tx storage.Tx) error {
		rec, err := tx.User(id)
		if err != nil {
			return err
		}
		res, err = userWithGroups(tx, rec)
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		return scimdoc.Resource{}, scimdoc.NotFound("User", id)
	}
	if err != nil {
		return scimdoc.Resource{}, fmt.Errorf("get user %s: %w", id, err)
	}
	return res, nil
}

// decorate renders a stored record as a resource with its read-only
// "groups".
func (b *Bridge) decorate(rec storage.User) (scimdoc.Resource, error) {
	var res scimdoc.Resource
	err := b.store.View(func(tx storage.Tx) error {
		var err error
		res, err = userWithGroups(tx, rec)
		return err
	})
	return res, err
}

// written is the resource a write answers with: doc, the document just
// committed as rec, rather than rec read back and decoded, with the user's
// read-only "groups".
func (b *Bridge) written(rec storage.User, doc scimdoc.Document) (scimdoc.Resource, error) {
	out := withoutServerAttributes(doc)
	out["id"] = rec.ID
	res := scimdoc.Resource{ID: rec.ID, Doc: out, Created: rec.Created, LastModified: rec.LastModified, Version: rec.Version}
	err := b.store.View(func(tx storage.Tx) error { return addGroups(tx, res) })
	return res, err
}

// userWithGroups is decorate inside a transaction the caller already holds,
// so a list renders every user in one read.
func userWithGroups(tx storage.Tx, rec storage.User) (scimdoc.Resource, error) {
	res, err := userResource(rec)
	if err != nil {
		return res, err
	}
	return res, addGroups(tx, res)
}

// addGroups sets res's read-only "groups" to the groups the user is a
// direct member of, when there are any.
func addGroups(tx storage.Tx, res scimdoc.Resource) error {
	ids, err := tx.GroupsOfUser(res.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // deleted since it was read
	}
	if err != nil {
		return fmt.Errorf("groups of user %s: %w", res.ID, err)
	}
	var groups []any
	for _, gid := range ids {
		g, err := tx.Group(gid)
		if err != nil {
			continue
		}
		groups = append(groups, map[string]any{"value": gid, "display": g.DisplayName, "type": "direct"})
	}
	if len(groups) > 0 {
		res.Doc["groups"] = groups
	}
	return nil
}

// ListUsers answers a list or search from the local copy (RFC 7644 §3.4.2).
// Equality filters on userName, externalId, emails and id use indexes. A
// read never writes: an Absorb account no SCIM user holds is not listed,
// and is adopted only by a create (CreateUser, Bulk POST), so a read-only
// credential changes nothing and a user deleted through SCIM stays omitted
// from later queries (RFC 7644 §3.6). Every other list is walked one page
// at a time through the walk indexes (userwalk.go); one that would read
// more than limits.maxFilterScan users is refused with 400 tooMany.
func (b *Bridge) ListUsers(ctx context.Context, q scimdoc.Query) (scimdoc.Page, error) {
	var (
		matches []scimdoc.Resource
		indexed bool
	)
	if q.Filter != nil {
		var err error
		matches, indexed, err = b.usersByHints(q.Filter)
		if err != nil {
			return scimdoc.Page{}, err
		}
	}
	if !indexed {
		return b.walkUsers(q)
	}
	sortResources(b.users, "User", matches, q)
	return pageOf(matches, q), nil
}

// sortResources orders matches by q.SortBy (RFC 7644 §3.4.2.3); without
// one they stay in id order, which is stable across pages.
func sortResources(rs *scimdoc.ResourceSchema, resourceType string, matches []scimdoc.Resource, q scimdoc.Query) {
	if q.SortBy == "" {
		return
	}
	sort.SliceStable(matches, func(i, j int) bool {
		c := scimdoc.Compare(rs, withMeta(matches[i], resourceType), withMeta(matches[j], resourceType), q.SortBy)
		if q.Descending {
			return c > 0
		}
		return c < 0
	})
}

// pageOf cuts one page out of the ordered matches.
func pageOf(matches []scimdoc.Resource, q scimdoc.Query) scimdoc.Page {
	total := len(matches)
	start := q.StartIndex
	if start < 1 {
		start = 1
	}
	from := start - 1
	if from > total {
		from = total
	}
	to := total
	if q.Count >= 0 && from+q.Count < to {
		to = from + q.Count
	}
	return scimdoc.Page{TotalResults: total, Resources: matches[from:to]}
}

// usersByHints answers a filter from an index when it has an indexable
// equality term; indexed is false when it has none.
func (b *Bridge) usersByHints(f *scimdoc.Filter) (matches []scimdoc.Resource, indexed bool, err error) {
	for _, h := range f.EqualityHints() {
		switch h.Attr {
		case "id", "username", "externalid", "emails.value":
		default:
			continue
		}
		// The look-up and the users' groups are read in one transaction:
		// one snapshot, and one round trip fewer on PostgreSQL.
		var found []scimdoc.Resource
		err := b.store.View(func(tx storage.Tx) error {
			found = found[:0]
			var (
				recs []storage.User
				u    storage.User
				err  error
			)
			switch h.Attr {
			case "id":
				u, err = tx.User(h.Value)
			case "username":
				u, err = tx.UserByUserName(h.Value)
			case "externalid":
				recs, err = tx.UsersByExternalID(h.Value)
			case "emails.value":
				recs, err = tx.UsersByEmail(h.Value)
			}
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if h.Attr == "id" || h.Attr == "username" {
				recs = append(recs, u)
			}
			for _, rec := range recs {
				res, err := userWithGroups(tx, rec)
				if err != nil {
					return err
				}
				found = append(found, res)
			}
			return nil
		})
		if err != nil {
			return nil, true, fmt.Errorf("look up users by %s: %w", h.Attr, err)
		}
		for _, res := range found {
			if f.Match(b.users, withMeta(res, "User")) {
				matches = append(matches, res)
			}
		}
		return matches, true, nil
	}
	return nil, false, nil
}

// findAccountBy returns the Absorb account a unique key names, or nil. The
// local copy answers; Absorb is asked only while that copy is incomplete (or
// when askAbsorb), and a found account is read fresh so adoption starts from
// Absorb's truth. holds tells whether an account still has the key: one
// changed in Absorb since the last sync is not taken (Absorb is asked who
// has the key now), so a stale copy never makes the bridge adopt, or rename
// back, an account that moved on. A key several accounts share (Absorb does
// not keep externalId unique) names none.
func (b *Bridge) findAccountBy(ctx context.Context, value string, askAbsorb bool,
	local func(storage.Tx, string) (storage.AbsorbUser, error),
	remote func(context.Context, string) (*absorbapi.User, error),
	holds func(absorbapi.User) bool) (*absorbapi.User, error) {
	var absorbID string
	err := b.store.View(func(tx storage.Tx) error {
		rec, err := local(tx, value)
		if err == nil {
			absorbID = rec.ID
		} else if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up %q locally: %w", value, err)
	}
	var u *absorbapi.User
	switch {
	case absorbID != "":
		u, err = b.absorb.GetUser(ctx, absorbID)
		if err == nil && !holds(*u) {
			u, err = remote(ctx, value)
		}
	case b.mirrorC.complete.Load() && !askAbsorb:
		return nil, nil
	default:
		u, err = remote(ctx, value)
	}
	if absorbapi.IsNotFound(err) { // none, or gone from the admin's view since the last sync
		return nil, nil
	}
	if errors.Is(err, absorbapi.ErrAmbiguous) {
		b.log.Warn("several Absorb accounts share the key; none is adopted", "value", value)
		return nil, nil
	}
	if err != nil {
		return nil, upstreamError("find absorb user", err)
	}
	return u, nil
}

// ReplaceUser replaces a user with doc (RFC 7644 §3.5.1) and sends the full
// mapped user to Absorb in one call (none when nothing Absorb holds changed).
// Errors: 404, 412 on a stale If-Match, 409 when the new userName is taken,
// 429/503 for upstream conditions, and 429 when the Governor turns the
// write away.
func (b *Bridge) ReplaceUser(ctx context.Context, id string, doc scimdoc.Document, pre scimdoc.Precondition) (scimdoc.Resource, error) {
	return b.updateUser(ctx, id, pre, doc, nil)
}

// PatchUser applies PATCH operations (RFC 7644 §3.5.2) to a user, in order
// and all or none, while it holds the user, so concurrent writers never
// lose each other's changes. Errors: those of ReplaceUser, and the 400s of
// scimdoc.ApplyPatch for operations the user schema refuses.
func (b *Bridge) PatchUser(ctx context.Context, id string, pre scimdoc.Precondition, ops []scimdoc.Operation) (scimdoc.Resource, error) {
	return b.updateUser(ctx, id, pre, nil, ops)
}

// updateUser writes a user's new document: replacement when it is not nil,
// else the current document with ops applied.
func (b *Bridge) updateUser(ctx context.Context, id string, pre scimdoc.Precondition, replacement scimdoc.Document, ops []scimdoc.Operation) (scimdoc.Resource, error) {
	release, err := b.admit(ctx)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	defer release()
	unlock, err := b.locks.Lock(ctx, "user:"+id)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	defer unlock()
	rec, res, local, err := b.loadUserWithCopy(id)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	if err := pre.Check(res); err != nil {
		return scimdoc.Resource{}, err
	}
	before := flatAttributes(res.Doc) // for the request's audit record (trace.go)
	doc, err := b.nextUserDoc(ctx, res.Doc, replacement, ops)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	// An account that became an Absorb administrator is refused even a
	// write that would send nothing, so the IdP hears of it at once.
	if b.protectedLink(rec.AbsorbID) {
		return scimdoc.Resource{}, errAdministrator(b.localAccount(rec.AbsorbID).Username)
	}
	if unchanged(res.Doc, doc) { // RFC 7644 §3.5.2: nothing to write, version kept
		return b.written(rec, res.Doc)
	}
	userName, err := userNameOf(doc)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	if foldKey(userName) != foldKey(rec.UserName) {
		unlockName, err := b.locks.LockNested(ctx, "username:"+foldKey(userName)) // the user's lock is held
		if err != nil {
			return scimdoc.Resource{}, err
		}
		defer unlockName()
		if err := b.ensureUserNameFree(userName, id); err != nil {
			return scimdoc.Resource{}, err
		}
	}
	account, err := b.currentAccount(ctx, rec.AbsorbID, local)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	if b.protected(account) {
		return scimdoc.Resource{}, errAdministrator(account.Username)
	}
	if b.isOwnUsername(userName) {
		return scimdoc.Resource{}, errAdministrator(userName)
	}
	u, err := b.absorbUserFor(ctx, id, doc, &account)
	if err != nil {
		return scimdoc.Resource{}, err
	}
	// The brake on mass deactivation may keep the account active (holds.go).
	if u, err = b.holdUpdate(ctx, rec, res, account, u); err != nil {
		return scimdoc.Resource{}, err
	}
	saved := account
	var audit []storage.AuditRecord
	if len(mapping.Diff(account, u)) > 0 || u.Password != "" {
		var sent storage.AuditRecord
		saved, sent, err = b.sendUser(ctx, id, account, u)
		audit = append(audit, sent)
		if err != nil {
			b.writeAudit(audit...)
		}
		if absorbapi.IsNotFound(err) {
			return scimdoc.Resource{}, accountGone(rec.AbsorbID, err)
		}
		if err != nil {
			if foldKey(userName) != foldKey(rec.UserName) {
				if cerr := b.renameConflict(ctx, err, userName, rec.AbsorbID); cerr != nil {
					return scimdoc.Resource{}, cerr
				}
			}
			return scimdoc.Resource{}, upstreamError("update absorb user", err)
		}
	}
	next, err := userRecord(id, rec.AbsorbID, doc, rec.Created, b.now(), rec.Version+1)
	if err != nil {
		b.writeAudit(audit...)
		return scimdoc.Resource{}, err
	}
	audit = append(audit, b.requestRecord(ctx, OpSCIMUpdate, id, rec.AbsorbID, userName, before, flatAttributes(doc))) // trace.go
	if err := b.commitUser(next, saved, "", audit); err != nil {
		return scimdoc.Resource{}, err
	}
	return b.written(next, doc)
}

// nextUserDoc is the document a replace or PATCH leaves: replacement when
// it is not nil, else the current document with ops applied. The errors of
// scimdoc.ApplyPatch are already the client's 400s.
func (b *Bridge) nextUserDoc(ctx context.Context, current, replacement scimdoc.Document, ops []scimdoc.Operation) (scimdoc.Document, error) {
	if replacement != nil {
		return replacement, nil
	}
	return scimdoc.ApplyPatchWith(b.users, withoutServerAttributes(current), ops, patchOptions(ctx))
}

// renameConflict explains a PUT that Absorb refused after a rename: when
// another Absorb account holds the new username (one the admin can see, or
// one its department scope hides, as Absorb's message then names the
// username), the answer is 409 uniqueness rather than 400. It returns nil
// when the refusal is about something else.
func (b *Bridge) renameConflict(ctx context.Context, err error, userName, absorbID string) error {
	var val *absorbapi.ValidationError
	if !errors.As(err, &val) {
		return nil
	}
	holder, ferr := b.absorb.FindUserByUsername(ctx, userName)
	switch {
	case ferr == nil && holder.ID != absorbID:
		return upstreamError("rename absorb user", &absorbapi.ConflictError{Username: userName, ExistingID: holder.ID})
	case absorbapi.IsNotFound(ferr) && mentionsUserName(val, userName):
		return upstreamError("rename absorb user", &absorbapi.ConflictError{Username: userName, Hidden: true})
	}
	return nil
}

// mentionsUserName reports whether a refusal's messages name userName.
func mentionsUserName(val *absorbapi.ValidationError, userName string) bool {
	want := strings.ToLower(userName)
	for _, m := range append([]string{val.Message}, val.Messages...) {
		if strings.Contains(strings.ToLower(m), want) {
			return true
		}
	}
	return false
}

func (b *Bridge) ensureUserNameFree(userName, id string) error {
	return b.store.View(func(tx storage.Tx) error {
		other, err := tx.UserByUserName(userName)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if other.ID != id {
			return scimdoc.Errorf(http.StatusConflict, scimdoc.TypeUniqueness,
				"userName %q is already provisioned as user %s", userName, other.ID)
		}
		return nil
	})
}

// loadUser reads a user's record and resource. Errors: 404.
func (b *Bridge) loadUser(id string) (storage.User, scimdoc.Resource, error) {
	rec, res, _, err := b.readUser(id, false)
	return rec, res, err
}

// loadUserWithCopy is loadUser that also reads, in the same transaction, the
// local copy of the user's Absorb account, for currentAccount (nil when the
// local copy lacks it). Errors: 404.
func (b *Bridge) loadUserWithCopy(id string) (storage.User, scimdoc.Resource, *storage.AbsorbUser, error) {
	return b.readUser(id, true)
}

func (b *Bridge) readUser(id string, withCopy bool) (storage.User, scimdoc.Resource, *storage.AbsorbUser, error) {
	var (
		rec   storage.User
		local *storage.AbsorbUser
	)
	err := b.store.View(func(tx storage.Tx) error {
		var err error
		if rec, err = tx.User(id); err != nil || !withCopy {
			return err
		}
		c, err := tx.AbsorbUser(rec.AbsorbID)
		switch {
		case err == nil:
			local = &c
		case !errors.Is(err, storage.ErrNotFound):
			return fmt.Errorf("read absorb user %s: %w", rec.AbsorbID, err)
		}
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return rec, scimdoc.Resource{}, nil, scimdoc.NotFound("User", id)
	}
	if err != nil {
		return rec, scimdoc.Resource{}, nil, fmt.Errorf("load user %s: %w", id, err)
	}
	res, err := userResource(rec)
	return rec, res, local, err
}

// currentAccount is the Absorb user as the bridge last knew it: local, the
// copy loadUserWithCopy read; Absorb is read only when there is none.
func (b *Bridge) currentAccount(ctx context.Context, absorbID string, local *storage.AbsorbUser) (absorbapi.User, error) {
	if local != nil {
		u, err := absorbUserOf(*local)
		if err != nil {
			return u, fmt.Errorf("read absorb user %s: %w", absorbID, err)
		}
		return u, nil
	}
	fresh, err := b.absorb.GetUser(ctx, absorbID)
	if err != nil {
		if absorbapi.IsNotFound(err) {
			return absorbapi.User{}, accountGone(absorbID, err)
		}
		return absorbapi.User{}, upstreamError("get absorb user", err)
	}
	return *fresh, nil
}

// accountGone is the 409 for a user whose Absorb account the bridge's admin
// can no longer see (moved out of its department scope in Absorb).
func accountGone(absorbID string, err error) error {
	se := scimdoc.Errorf(http.StatusConflict, "",
		"the Absorb account %s of this user is no longer visible to the bridge's admin; widen the admin's department scope", absorbID)
	se.Err = err
	return se
}

// DeleteUser deprovisions a user (RFC 7644 §3.6): the Absorb account is
// deactivated, never deleted, and the SCIM resource and its group
// memberships are removed. The account's id stays in the local copy, so a
// later create of the same userName reactivates the same account. Errors:
// 404, 412 on a stale If-Match, 409 when the account is out of the admin's
// sight, 429/503 for upstream conditions, and 429 when the Governor turns
// the write away.
func (b *Bridge) DeleteUser(ctx context.Context, id string, pre scimdoc.Precondition) error {
	release, err := b.admit(ctx)
	if err != nil {
		return err
	}
	defer release()
	unlock, err := b.locks.Lock(ctx, "user:"+id)
	if err != nil {
		return err
	}
	defer unlock()
	rec, res, local, err := b.loadUserWithCopy(id)
	if err != nil {
		return err
	}
	if err := pre.Check(res); err != nil {
		return err
	}
	account, err := b.currentAccount(ctx, rec.AbsorbID, local)
	if err != nil {
		return err
	}
	if b.protected(account) {
		return errAdministrator(account.Username)
	}
	// The brake on mass deactivation may keep the account active (holds.go).
	held, err := b.holdDelete(ctx, rec, res, account)
	if err != nil {
		return err
	}
	var audit []storage.AuditRecord
	if account.Active() && !held {
		off := account
		off.ActiveStatus = absorbapi.StatusInactive
		saved, sent, err := b.sendUser(ctx, id, account, off)
		audit = append(audit, sent)
		if err != nil {
			b.writeAudit(audit...)
		}
		if absorbapi.IsNotFound(err) {
			return accountGone(account.ID, err)
		}
		if err != nil {
			return upstreamError("deactivate absorb user", err)
		}
		account = saved
	}
	audit = append(audit, b.requestRecord(ctx, OpSCIMDelete, id, rec.AbsorbID, rec.UserName, nil, nil)) // trace.go
	if err := b.commitDelete(id, account, audit); err != nil {
		return err
	}
	b.log.Info("user deleted", "id", id, "absorbId", rec.AbsorbID)
	return nil
}

// commitDelete removes a user and its memberships, keeps the copy of its
// deactivated account, and appends audit, in one transaction; when that
// fails the records are appended on their own.
func (b *Bridge) commitDelete(id string, account absorbapi.User, audit []storage.AuditRecord) error {
	mirror, err := mirrorRecord(account)
	if err == nil {
		err = b.store.Update(func(tx storage.Tx) error {
			if err := tx.DeleteUser(id); err != nil {
				return err
			}
			if err := tx.PutAbsorbUser(mirror); err != nil {
				return err
			}
			return appendAuditRecords(tx, audit)
		})
	}
	if err != nil {
		b.writeAudit(audit...)
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	return nil
}
