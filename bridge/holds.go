package bridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// The brake on mass deactivation. An IdP misconfigured (a scoping filter
// removed, a group unassigned) can deactivate thousands of learners in
// minutes, and Absorb has no undo. Beyond DeactivationLimit.Max
// deactivations within DeactivationLimit.Window, the bridge accepts further
// deactivations from the IdP (the answer is a success and the SCIM resource
// shows them) but keeps them from Absorb: each is a storage.Hold, kept in the
// store across restarts, until an operator releases it (it is sent) or
// discards it (the SCIM resource is restored, active).
//
// While a user is held, Absorb still holds the account active, and so does
// the bridge's local copy of it, which always says what Absorb holds. The SCIM
// resource says what the IdP asked for. The sync and reconcile compare the
// two as though the hold had been sent, so neither folds the active account
// back over the held resource nor pushes the deactivation past the brake.
//
// Once tripped the brake stays on until no hold is left: every deactivation
// meanwhile is held too, however slowly it comes, so an IdP still
// misconfigured cannot leak deactivations through one window at a time.
//
// The window and the holds are in the store, and the brake decides inside
// one write transaction: replicas sharing a store share one brake, and an
// IdP spreading its requests over them gets Max deactivations per Window in
// all, not per replica. A replica on a shared store reads the holds through
// the store, so a hold made on one is listed, released and discarded on any.

// DeactivationLimit configures the brake on mass deactivation.
type DeactivationLimit struct {
	// Max is how many deactivations (PATCH or PUT active false, DELETE)
	// Window lets through to Absorb; zero turns the brake off.
	Max int
	// Window is the sliding time window Max counts over.
	Window time.Duration
}

// Hold kinds: what the held request asked for.
const (
	HoldDeactivate = "deactivate" // PATCH or PUT with active false
	HoldDelete     = "delete"     // DELETE
)

// Audit operations and outcome of the brake.
const (
	OpHold       = "hold"        // a deactivation was held
	OpRelease    = "release"     // a hold was released: its deactivation is sent
	OpDiscard    = "discard"     // a hold was discarded: the SCIM resource is active again
	OpCancelHold = "cancel-hold" // the IdP reactivated a held user
	OutcomeHeld  = "held"        // accepted from the IdP, not sent to Absorb
)

// cursorBrakeWindow names the store value that holds the times of the
// deactivations the brake let through within its window, the latest Max,
// as decimal Unix nanoseconds separated by spaces.
const cursorBrakeWindow = "brake/recent-deactivations"

// brake keeps the holds in memory, beside the store, so the write paths of a
// bridge alone on its store ask it without a read transaction. On a shared
// store the map is only a copy, read again from the store where it is used.
type brake struct {
	limit  DeactivationLimit
	store  storage.Store
	shared bool // other replicas write the store's holds too

	mu   sync.Mutex
	held map[string]storage.Hold // by SCIM user id; what the holds bucket holds
}

// loadBrake reads the holds an earlier run left.
func loadBrake(store storage.Store, limit DeactivationLimit, shared bool) (*brake, error) {
	br := &brake{limit: limit, store: store, shared: shared, held: map[string]storage.Hold{}}
	if err := br.reload(); err != nil {
		return nil, err
	}
	return br, nil
}

// reload replaces the holds in memory with the store's. The caller holds
// br.mu, or is loadBrake.
func (br *brake) reload() error {
	held := map[string]storage.Hold{}
	err := br.store.View(func(tx storage.Tx) error {
		clear(held) // an engine may run fn again
		return tx.ForEachHold(func(h storage.Hold) (bool, error) {
			held[h.UserID] = h
			return true, nil
		})
	})
	if err != nil {
		return fmt.Errorf("read held deactivations: %w", err)
	}
	br.held = held
	return nil
}

// refresh reads the holds again when other replicas may have changed them.
// A failure is returned to callers that can report it; the others keep what
// they knew.
func (br *brake) refresh() error {
	if !br.shared {
		return nil
	}
	br.mu.Lock()
	defer br.mu.Unlock()
	return br.reload()
}

func (br *brake) holdOf(userID string) (storage.Hold, bool) {
	br.mu.Lock()
	defer br.mu.Unlock()
	if br.shared {
		var h storage.Hold
		err := br.store.View(func(tx storage.Tx) error {
			var err error
			h, err = tx.Hold(userID)
			return err
		})
		switch {
		case err == nil:
			br.held[userID] = h
			return h, true
		case errors.Is(err, storage.ErrNotFound):
			delete(br.held, userID)
			return storage.Hold{}, false
		}
		// The store failed: answer from the copy in memory.
	}
	h, ok := br.held[userID]
	return h, ok
}

// HeldDeactivations returns how many deactivations are held.
func (b *Bridge) HeldDeactivations() int {
	_ = b.brake.refresh() // on failure, the count last read
	b.brake.mu.Lock()
	defer b.brake.mu.Unlock()
	return len(b.brake.held)
}

// holdUpdate is the brake's check on a PUT or PATCH of rec, which the bridge
// is about to send to Absorb as u (account being what Absorb holds now). It
// returns the user to send: u, or u with the account's status kept when the
// deactivation is held (now, or by an earlier hold the user still has). A
// reactivation of a held user cancels its hold.
func (b *Bridge) holdUpdate(ctx context.Context, rec storage.User, before scimdoc.Resource, account, u absorbapi.User) (absorbapi.User, error) {
	if _, ok := b.brake.holdOf(rec.ID); ok {
		if u.Active() {
			return u, b.cancelHold(ctx, rec.ID)
		}
		u.ActiveStatus = account.ActiveStatus
		return u, nil
	}
	if !account.Active() || u.Active() {
		return u, nil
	}
	held, err := b.brakeDeactivation(ctx, rec, before, HoldDeactivate)
	if held {
		u.ActiveStatus = account.ActiveStatus
	}
	return u, err
}

// holdDelete is the brake's check on a DELETE of rec: held reports that the
// account must stay as it is in Absorb.
func (b *Bridge) holdDelete(ctx context.Context, rec storage.User, before scimdoc.Resource, account absorbapi.User) (held bool, err error) {
	if _, ok := b.brake.holdOf(rec.ID); !ok && !account.Active() {
		return false, nil
	}
	return b.brakeDeactivation(ctx, rec, before, HoldDelete)
}

// asHeld is account as it will be once the hold of userID is released:
// what the sync and reconcile compare the SCIM user with.
func (b *Bridge) asHeld(userID string, account absorbapi.User) absorbapi.User {
	if _, ok := b.brake.holdOf(userID); ok {
		account.ActiveStatus = absorbapi.StatusInactive
	}
	return account
}

// keepHeld is want with account's status when userID is held: what
// reconcile compares and pushes leaves a held deactivation to an operator.
func (b *Bridge) keepHeld(userID string, account, want absorbapi.User) absorbapi.User {
	if _, ok := b.brake.holdOf(userID); ok {
		want.ActiveStatus = account.ActiveStatus
	}
	return want
}

// brakeDeactivation counts a deactivation of rec and reports whether it is
// held; when it is, the hold (and its audit record) is in the store. A user
// already held stays held, a DELETE taking the place of its deactivation.
//
// The window, the holds and the decision are read and written in one
// transaction, so replicas sharing the store cannot together let more than
// Max through: the PostgreSQL engine runs it serializable and retries it.
func (b *Bridge) brakeDeactivation(ctx context.Context, rec storage.User, before scimdoc.Resource, kind string) (bool, error) {
	br := b.brake
	if br.limit.Max <= 0 {
		if _, ok := br.holdOf(rec.ID); !ok {
			return false, nil
		}
	}
	now := b.now()
	actor := actorOf(ctx)
	audit := storage.AuditRecord{Time: now, Credential: actor.Credential, RequestID: actor.RequestID, Operation: OpHold,
		ResourceType: "User", ResourceID: rec.ID, AbsorbID: rec.AbsorbID, UserName: rec.UserName, Outcome: OutcomeHeld,
		Changes: []storage.FieldChange{{Field: "request", To: kind}}}
	br.mu.Lock()
	defer br.mu.Unlock()
	var (
		h       storage.Hold
		held    bool
		tripped bool // this hold is the first: the brake trips now
	)
	err := b.store.Update(func(tx storage.Tx) error {
		held, tripped = false, false // an engine may run fn again
		h = storage.Hold{UserID: rec.ID, AbsorbID: rec.AbsorbID, UserName: rec.UserName, Kind: kind, Time: now,
			Credential: actor.Credential, RequestID: actor.RequestID, Resource: rec.Resource}
		prev, err := tx.Hold(rec.ID)
		switch {
		case err == nil:
			h.Time = prev.Time // a hold keeps its place in the queue
		case !errors.Is(err, storage.ErrNotFound):
			return err
		default:
			pass, first, err := br.count(tx, now)
			if err != nil || pass {
				return err
			}
			tripped = first
		}
		if err := tx.PutHold(h); err != nil {
			return err
		}
		held = true
		_, err = tx.AppendAudit(audit)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("hold deactivation of user %s: %w", rec.ID, err)
	}
	if !held {
		return false, nil
	}
	if tripped {
		b.log.Error("mass deactivation brake tripped: further deactivations are accepted but not sent to Absorb until released or discarded (GET /admin/holds)",
			"max", br.limit.Max, "window", br.limit.Window.String(), "user", rec.ID, "userName", rec.UserName)
	}
	br.held[rec.ID] = h
	b.log.Warn("deactivation held", "user", rec.ID, "userName", rec.UserName, "absorbId", rec.AbsorbID, "request", kind)
	return true, nil
}

// count is the brake's decision, in tx, on a deactivation at now of a user
// not held: pass when no hold is left and the window has room, in which case
// the deactivation is recorded in the window; otherwise first reports that
// no hold was left (the window is full: the brake trips).
func (br *brake) count(tx storage.Tx, now time.Time) (pass, first bool, err error) {
	raw, err := tx.Cursor(cursorBrakeWindow)
	if err != nil {
		return false, false, fmt.Errorf("read the brake's window: %w", err)
	}
	cut := now.Add(-br.limit.Window)
	var recent []string
	for _, f := range strings.Fields(raw) {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			continue // unreadable: not a deactivation in the window
		}
		if time.Unix(0, n).After(cut) {
			recent = append(recent, f)
		}
	}
	anyHeld := false
	err = tx.ForEachHold(func(storage.Hold) (bool, error) {
		anyHeld = true
		return false, nil
	})
	if err != nil {
		return false, false, err
	}
	if anyHeld {
		return false, false, nil
	}
	if len(recent) >= br.limit.Max {
		return false, true, nil
	}
	recent = append(recent, strconv.FormatInt(now.UnixNano(), 10))
	if len(recent) > br.limit.Max {
		recent = recent[len(recent)-br.limit.Max:] // only whether Max fit counts
	}
	if err := tx.PutCursor(cursorBrakeWindow, strings.Join(recent, " ")); err != nil {
		return false, false, fmt.Errorf("record the brake's window: %w", err)
	}
	return true, false, nil
}

// actorOf is ctx's Actor, ActorBackground when it carries none.
func actorOf(ctx context.Context) Actor {
	a, ok := ActorFrom(ctx)
	if !ok || a.Credential == "" {
		a.Credential = ActorBackground
	}
	return a
}

// cancelHold drops the hold of a user the IdP reactivated.
func (b *Bridge) cancelHold(ctx context.Context, userID string) error {
	b.brake.mu.Lock()
	defer b.brake.mu.Unlock()
	h, ok := b.brake.held[userID]
	if !ok {
		return nil
	}
	if err := b.dropHold(ctx, h, OpCancelHold, OutcomeOK, "the identity provider reactivated the user"); err != nil {
		return err
	}
	delete(b.brake.held, userID)
	return nil
}

// cancelDeleteHold drops the hold of a user deleted while held when the
// IdP provisions the same account again (a create adopts it): the IdP wants
// it active, as it still is in Absorb. A failure is only logged: a release
// would find the account provisioned again and drop the hold anyway.
func (b *Bridge) cancelDeleteHold(ctx context.Context, absorbID string) {
	b.brake.mu.Lock()
	defer b.brake.mu.Unlock()
	if b.brake.shared {
		if err := b.brake.reload(); err != nil {
			b.log.Warn("holds not read", "error", err)
		}
	}
	for id, h := range b.brake.held {
		if h.Kind != HoldDelete || h.AbsorbID != absorbID {
			continue
		}
		if err := b.dropHold(ctx, h, OpCancelHold, OutcomeOK, "the identity provider provisioned the account again"); err != nil {
			b.log.Warn("hold not cancelled", "user", id, "error", err)
			continue
		}
		delete(b.brake.held, id)
	}
}

// dropHold deletes h from the store with an audit record of why; the caller
// holds the brake's lock and removes h from memory once it returns nil.
func (b *Bridge) dropHold(ctx context.Context, h storage.Hold, op, outcome, why string) error {
	actor := actorOf(ctx)
	rec := storage.AuditRecord{Time: b.now(), Credential: actor.Credential, RequestID: actor.RequestID, Operation: op,
		ResourceType: "User", ResourceID: h.UserID, AbsorbID: h.AbsorbID, UserName: h.UserName, Outcome: outcome,
		Changes: []storage.FieldChange{{Field: "request", From: h.Kind}, {Field: "reason", To: why}}}
	err := b.store.Update(func(tx storage.Tx) error {
		if err := tx.DeleteHold(h.UserID); err != nil {
			return err
		}
		_, err := tx.AppendAudit(rec)
		return err
	})
	if err != nil {
		return fmt.Errorf("drop hold of user %s: %w", h.UserID, err)
	}
	return nil
}

// HeldDeactivation is one deactivation the brake keeps from Absorb, as
// GET /admin/holds lists it.
type HeldDeactivation struct {
	// ID names the hold in release and discard: the SCIM id of its user.
	ID       string    `json:"id"`
	UserName string    `json:"userName"`
	AbsorbID string    `json:"absorbId"`
	Request  string    `json:"request"` // HoldDeactivate or HoldDelete
	Time     time.Time `json:"time"`    // when the IdP asked
	// Credential and RequestID name the IdP request that was held.
	Credential string `json:"credential"`
	RequestID  string `json:"requestId,omitempty"`
}

func heldOf(h storage.Hold) HeldDeactivation {
	return HeldDeactivation{ID: h.UserID, UserName: h.UserName, AbsorbID: h.AbsorbID, Request: h.Kind, Time: h.Time,
		Credential: h.Credential, RequestID: h.RequestID}
}

// ListHolds returns the held deactivations, oldest first.
func (b *Bridge) ListHolds() []HeldDeactivation {
	if err := b.brake.refresh(); err != nil {
		b.log.Warn("holds not read again; listing those last read", "error", err)
	}
	b.brake.mu.Lock()
	out := make([]HeldDeactivation, 0, len(b.brake.held))
	for _, h := range b.brake.held {
		out = append(out, heldOf(h))
	}
	b.brake.mu.Unlock()
	sortHolds(out)
	return out
}

// ReadHolds lists the held deactivations of a store the bridge does not
// run on (a stopped bridge's, opened read-only), oldest first.
func ReadHolds(store storage.Store) ([]HeldDeactivation, error) {
	out := []HeldDeactivation{}
	err := store.View(func(tx storage.Tx) error {
		return tx.ForEachHold(func(h storage.Hold) (bool, error) {
			out = append(out, heldOf(h))
			return true, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read held deactivations: %w", err)
	}
	sortHolds(out)
	return out, nil
}

func sortHolds(hs []HeldDeactivation) {
	sort.SliceStable(hs, func(i, j int) bool {
		if !hs[i].Time.Equal(hs[j].Time) {
			return hs[i].Time.Before(hs[j].Time)
		}
		return hs[i].ID < hs[j].ID
	})
}

// Results of ReleaseHolds and DiscardHolds, per hold.
const (
	HoldReleased  = "released"  // the deactivation was sent to Absorb
	HoldDiscarded = "discarded" // the SCIM resource is active again
	HoldDropped   = "dropped"   // nothing left to do: the user changed since
	HoldFailed    = "failed"    // Absorb or storage failed; the hold stays
	HoldNotFound  = "not-found" // no hold has this id
)

// HoldResult is what release or discard did with one hold.
type HoldResult struct {
	ID       string `json:"id"`
	UserName string `json:"userName,omitempty"`
	AbsorbID string `json:"absorbId,omitempty"`
	Result   string `json:"result"`
	Detail   string `json:"detail,omitempty"`
}

// HoldsReport is the answer of POST /admin/holds/release and discard.
type HoldsReport struct {
	Released  int          `json:"released"`
	Discarded int          `json:"discarded"`
	Dropped   int          `json:"dropped"`
	Failed    int          `json:"failed"`
	Holds     []HoldResult `json:"holds"`
	Remaining int          `json:"remaining"` // holds left afterwards
}

func (r *HoldsReport) add(res HoldResult) {
	switch res.Result {
	case HoldReleased:
		r.Released++
	case HoldDiscarded:
		r.Discarded++
	case HoldDropped:
		r.Dropped++
	case HoldFailed, HoldNotFound:
		r.Failed++
	}
	r.Holds = append(r.Holds, res)
}

// ReleaseHolds sends the held deactivations named by ids (all when ids is
// empty) to Absorb, oldest first, past the brake. A hold whose user the IdP
// changed since (reactivated, re-created after a DELETE) is dropped without
// a write. The writes are audited as ctx's Actor. It fails only when ctx
// ends; each hold's outcome is in the report.
func (b *Bridge) ReleaseHolds(ctx context.Context, ids []string) (HoldsReport, error) {
	return b.settleHolds(ctx, ids, b.releaseHold)
}

// DiscardHolds drops the held deactivations named by ids (all when ids is
// empty) and makes their SCIM resources active again: a held deactivation's
// user is set active, a held DELETE's user is re-created with its SCIM id
// (without its group memberships, which the IdP sends again). Absorb is not
// called: its accounts were never deactivated.
func (b *Bridge) DiscardHolds(ctx context.Context, ids []string) (HoldsReport, error) {
	return b.settleHolds(ctx, ids, b.discardHold)
}

func (b *Bridge) settleHolds(ctx context.Context, ids []string, settle func(context.Context, storage.Hold) HoldResult) (HoldsReport, error) {
	rep := HoldsReport{Holds: []HoldResult{}}
	var todo []HeldDeactivation
	all := b.ListHolds()
	if len(ids) == 0 {
		todo = all
	} else {
		for _, id := range ids {
			i := slices.IndexFunc(all, func(h HeldDeactivation) bool { return h.ID == id })
			if i < 0 {
				rep.add(HoldResult{ID: id, Result: HoldNotFound, Detail: "no held deactivation has this id"})
				continue
			}
			todo = append(todo, all[i])
		}
	}
	for _, h := range todo {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.add(b.settleHold(ctx, h.ID, settle))
	}
	rep.Remaining = b.HeldDeactivations()
	return rep, nil
}

// settleHold runs settle on the hold of userID under the user's lock, and
// forgets the hold unless it failed.
func (b *Bridge) settleHold(ctx context.Context, userID string, settle func(context.Context, storage.Hold) HoldResult) HoldResult {
	unlock, err := b.locks.Lock(ctx, "user:"+userID)
	if err != nil {
		return HoldResult{ID: userID, Result: HoldFailed, Detail: err.Error()}
	}
	defer unlock()
	h, ok := b.brake.holdOf(userID)
	if !ok {
		return HoldResult{ID: userID, Result: HoldNotFound, Detail: "no held deactivation has this id"}
	}
	res := settle(ctx, h)
	res.ID, res.UserName, res.AbsorbID = h.UserID, h.UserName, h.AbsorbID
	if res.Result == HoldFailed {
		b.log.Warn("held deactivation not settled", "user", h.UserID, "detail", res.Detail)
		return res
	}
	b.brake.mu.Lock()
	delete(b.brake.held, userID)
	b.brake.mu.Unlock()
	b.log.Info("held deactivation settled", "user", h.UserID, "result", res.Result, "detail", res.Detail)
	return res
}

// releaseHold sends one held deactivation, unless the IdP changed its user
// since. The caller holds the user's lock.
func (b *Bridge) releaseHold(ctx context.Context, h storage.Hold) HoldResult {
	stale := ""
	var local *storage.AbsorbUser
	err := b.store.View(func(tx storage.Tx) error {
		u, err := tx.UserByAbsorbID(h.AbsorbID)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			if h.Kind == HoldDeactivate {
				stale = "the user no longer holds the account"
			}
		case err != nil:
			return err
		case h.Kind == HoldDelete:
			stale = "the account was provisioned again, as user " + u.ID
		case u.ID != h.UserID:
			stale = "the account is held by another user, " + u.ID
		case u.Active:
			stale = "the user is active again"
		}
		if c, err := tx.AbsorbUser(h.AbsorbID); err == nil {
			local = &c
		}
		return nil
	})
	if err != nil {
		return HoldResult{Result: HoldFailed, Detail: err.Error()}
	}
	if stale != "" {
		return b.dropped(ctx, h, OpRelease, stale)
	}
	account, err := b.currentAccount(ctx, h.AbsorbID, local)
	if err != nil {
		return HoldResult{Result: HoldFailed, Detail: err.Error()}
	}
	var audit []storage.AuditRecord
	if account.Active() {
		subject := "" // a deleted user's account is no SCIM user's now
		if h.Kind == HoldDeactivate {
			subject = h.UserID
		}
		off := account
		off.ActiveStatus = absorbapi.StatusInactive
		saved, sent, err := b.sendUser(ctx, subject, account, off)
		audit = append(audit, sent)
		if err != nil {
			b.writeAudit(audit...)
			return HoldResult{Result: HoldFailed, Detail: upstreamError("deactivate absorb user", err).Error()}
		}
		account = saved
	}
	mirror, err := mirrorRecord(account)
	if err == nil {
		err = b.store.Update(func(tx storage.Tx) error {
			if err := tx.PutAbsorbUser(mirror); err != nil {
				return err
			}
			return appendAuditRecords(tx, audit)
		})
	}
	if err != nil {
		b.writeAudit(audit...)
		return HoldResult{Result: HoldFailed, Detail: "deactivated in Absorb; local copy not saved: " + err.Error()}
	}
	if err := b.dropHold(ctx, h, OpRelease, OutcomeOK, "sent to Absorb"); err != nil {
		return HoldResult{Result: HoldFailed, Detail: "deactivated in Absorb; hold not cleared: " + err.Error()}
	}
	return HoldResult{Result: HoldReleased}
}

// discardHold makes the SCIM resource of a hold active again. The caller
// holds the user's lock.
func (b *Bridge) discardHold(ctx context.Context, h storage.Hold) HoldResult {
	var (
		rec    storage.User
		exists bool
		stale  string
		local  *storage.AbsorbUser
	)
	err := b.store.View(func(tx storage.Tx) error {
		var err error
		rec, err = tx.User(h.UserID)
		switch {
		case err == nil:
			exists = true
			if rec.AbsorbID != h.AbsorbID {
				stale = "the user holds another account now"
			}
		case !errors.Is(err, storage.ErrNotFound):
			return err
		case h.Kind == HoldDeactivate:
			stale = "the user was deleted"
		default:
			if other, err := tx.UserByAbsorbID(h.AbsorbID); err == nil {
				stale = "the account was provisioned again, as user " + other.ID
			} else if other, err := tx.UserByUserName(h.UserName); err == nil {
				stale = "the userName was provisioned again, as user " + other.ID
			}
		}
		if c, err := tx.AbsorbUser(h.AbsorbID); err == nil {
			local = &c
		}
		return nil
	})
	if err != nil {
		return HoldResult{Result: HoldFailed, Detail: err.Error()}
	}
	if stale != "" {
		return b.dropped(ctx, h, OpDiscard, stale)
	}
	raw := h.Resource
	if exists {
		raw = rec.Resource
	}
	doc, err := scimdoc.DecodeDocument(raw)
	if err != nil || doc == nil {
		return HoldResult{Result: HoldFailed, Detail: fmt.Sprintf("read the SCIM resource of user %s: %v", h.UserID, err)}
	}
	doc["active"] = true
	now := b.now()
	created, version := now, uint64(1)
	if exists {
		created, version = rec.Created, rec.Version+1
	}
	next, err := userRecord(h.UserID, h.AbsorbID, doc, created, now, version)
	if err != nil {
		return HoldResult{Result: HoldFailed, Detail: err.Error()}
	}
	if local == nil {
		err = b.store.Update(func(tx storage.Tx) error { return tx.PutUser(next) })
	} else {
		var account absorbapi.User
		if account, err = absorbUserOf(*local); err == nil {
			err = b.commitUser(next, account, "", nil)
		}
	}
	if err != nil {
		return HoldResult{Result: HoldFailed, Detail: "restore the SCIM user: " + err.Error()}
	}
	if err := b.dropHold(ctx, h, OpDiscard, OutcomeOK, "the SCIM user is active again"); err != nil {
		return HoldResult{Result: HoldFailed, Detail: "the SCIM user is active again; hold not cleared: " + err.Error()}
	}
	return HoldResult{Result: HoldDiscarded}
}

// dropped clears a hold there is nothing left to do for.
func (b *Bridge) dropped(ctx context.Context, h storage.Hold, op, why string) HoldResult {
	if err := b.dropHold(ctx, h, op, OutcomeOK, "nothing to do: "+why); err != nil {
		return HoldResult{Result: HoldFailed, Detail: err.Error()}
	}
	return HoldResult{Result: HoldDropped, Detail: why}
}
