package bridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// Kinds of drift Reconcile reports.
const (
	// DriftMissing: the SCIM user's Absorb account no longer exists, or is
	// outside the bridge's admin's scope.
	DriftMissing = "missing-account"
	// DriftFields: Absorb holds values other than those the SCIM resource
	// maps to.
	DriftFields = "fields"
	// DriftDuplicateUsername: the username is held by more than one Absorb
	// account, or by an account other than the SCIM user's own.
	DriftDuplicateUsername = "duplicate-username"
	// DriftStaleCopy: the bridge's local copy of the account is behind
	// Absorb, so its next update would start from old values.
	DriftStaleCopy = "stale-copy"
	// DriftUnmapped: the SCIM user has no Absorb account recorded.
	DriftUnmapped = "unmapped"
	// DriftError: the user could not be compared; Detail says why.
	DriftError = "error"
)

// ReconcileReport is what Reconcile found and did.
type ReconcileReport struct {
	Users   int     `json:"users"`   // SCIM users compared
	Drifted int     `json:"drifted"` // SCIM users with at least one drift
	Fixed   int     `json:"fixed"`   // drifts fixed
	Drift   []Drift `json:"drift"`
}

// Drift is one difference between the bridge's SCIM users and Absorb.
type Drift struct {
	Kind     string `json:"kind"`
	UserID   string `json:"userId,omitempty"` // SCIM id
	UserName string `json:"userName,omitempty"`
	AbsorbID string `json:"absorbId,omitempty"`
	// Changes are the fields that differ: From is what Absorb holds, To what
	// the SCIM resource maps to. Never the password.
	Changes []mapping.Change `json:"changes,omitempty"`
	Fixed   bool             `json:"fixed"`
	Detail  string           `json:"detail,omitempty"`
}

// Reconcile compares every SCIM user with its Absorb account, as Absorb
// holds it now (one scan of the users visible to the bridge's admin), and
// reports the drift: accounts gone or out of scope, fields that differ from
// what the SCIM resource maps to, usernames held twice, and a local copy
// behind Absorb. With fix, the SCIM truth is pushed to Absorb, one PUT per
// drifted user, under that user's lock; the local copy of a missing account
// is removed (the SCIM user is kept and reported: a person must decide
// whether to delete it or widen the admin's scope); a stale local copy is
// refreshed; duplicate usernames are only reported. Without fix nothing is
// written, so it may run on storage opened read-only.
//
// Changes are audited as the context's Actor, or ActorReconcile. It returns
// an error when Absorb cannot be scanned or storage cannot be read; a user
// that cannot be compared or fixed is reported as DriftError and the run
// goes on.
func (b *Bridge) Reconcile(ctx context.Context, fix bool) (ReconcileReport, error) {
	var rep ReconcileReport
	if a, ok := ActorFrom(ctx); !ok || a.Credential == "" {
		ctx = WithActor(ctx, Actor{Credential: ActorReconcile})
	}
	progress := progressFrom(ctx)
	byID := map[string]absorbapi.User{}
	byName := map[string][]string{} // folded username -> account ids
	err := b.absorb.ScanUsers(ctx, "", func(u absorbapi.User) error {
		byID[u.ID] = u
		progress("read Absorb accounts", len(byID), 0)
		key := foldKey(u.Username)
		byName[key] = append(byName[key], u.ID)
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("reconcile: scan absorb users: %w", err)
	}
	var ids []string
	err = b.store.View(func(tx storage.Tx) error {
		return tx.ForEachUser("", func(u storage.User) (bool, error) {
			ids = append(ids, u.ID)
			return true, nil
		})
	})
	if err != nil {
		return rep, fmt.Errorf("reconcile: list users: %w", err)
	}
	keys := make([]string, 0, len(byName))
	for key := range byName {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if accounts := byName[key]; key != "" && len(accounts) > 1 {
			sort.Strings(accounts)
			rep.Drift = append(rep.Drift, Drift{Kind: DriftDuplicateUsername, UserName: byID[accounts[0]].Username,
				AbsorbID: strings.Join(accounts, ","), Detail: fmt.Sprintf("%d Absorb accounts share this username", len(accounts))})
		}
	}
	drifted := map[string]bool{}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.Users++
		progress("compared users", rep.Users, len(ids))
		for _, d := range b.reconcileUser(ctx, id, byID, byName, fix) {
			drifted[id] = true
			if d.Fixed {
				rep.Fixed++
			}
			rep.Drift = append(rep.Drift, d)
		}
	}
	rep.Drifted = len(drifted)
	b.log.Info("reconcile done", "users", rep.Users, "drifted", rep.Drifted, "fixed", rep.Fixed, "fix", fix)
	return rep, nil
}

// reconcileUser compares one SCIM user with its account and, with fix,
// brings the account in line. It holds the user's lock throughout.
func (b *Bridge) reconcileUser(ctx context.Context, id string, byID map[string]absorbapi.User, byName map[string][]string, fix bool) []Drift {
	unlock, err := b.locks.Lock(ctx, "user:"+id)
	if err != nil {
		return []Drift{{Kind: DriftError, UserID: id, Detail: err.Error()}}
	}
	defer unlock()
	rec, res, err := b.loadUser(id)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) || isNotFoundSCIM(err) {
			return nil // deleted since the list was read
		}
		return []Drift{{Kind: DriftError, UserID: id, Detail: err.Error()}}
	}
	base := Drift{UserID: id, UserName: rec.UserName, AbsorbID: rec.AbsorbID}
	if rec.AbsorbID == "" {
		d := base
		d.Kind = DriftUnmapped
		d.Detail = "no Absorb account is recorded for this user"
		return []Drift{d}
	}
	account, seen := byID[rec.AbsorbID]
	if !seen {
		// Not in the scan: perhaps created since it started; ask for it.
		fresh, err := b.absorb.GetUser(ctx, rec.AbsorbID)
		switch {
		case absorbapi.IsNotFound(err):
			return []Drift{b.missing(base, fix)}
		case err != nil:
			return []Drift{errorDrift(base, upstreamError("get absorb user", err))}
		}
		account = *fresh
	}
	want, err := b.absorbUserFor(ctx, id, withoutServerAttributes(res.Doc), &account)
	if err != nil {
		return []Drift{errorDrift(base, err)}
	}
	want.Password = ""
	want = b.keepHeld(id, account, want) // a held deactivation waits for an operator: not drift
	diff := mapping.Diff(account, want)
	if len(diff) > 0 && seen {
		// The scan may predate a write the bridge made since: confirm
		// against Absorb before reporting.
		fresh, err := b.absorb.GetUser(ctx, rec.AbsorbID)
		switch {
		case absorbapi.IsNotFound(err):
			return []Drift{b.missing(base, fix)}
		case err != nil:
			return []Drift{errorDrift(base, upstreamError("get absorb user", err))}
		}
		account = *fresh
		if want, err = b.absorbUserFor(ctx, id, withoutServerAttributes(res.Doc), &account); err != nil {
			return []Drift{errorDrift(base, err)}
		}
		want.Password = ""
		want = b.keepHeld(id, account, want)
		diff = mapping.Diff(account, want)
	}
	if holders := otherHolders(byName[foldKey(want.Username)], rec.AbsorbID); len(holders) > 0 {
		d := base
		d.Kind = DriftDuplicateUsername
		d.Detail = fmt.Sprintf("username %q is held by Absorb account %s, not by this user's account", want.Username, strings.Join(holders, ","))
		return []Drift{d}
	}
	if len(diff) > 0 {
		d := base
		d.Kind = DriftFields
		d.Changes = diff
		if fix {
			// The local copy first takes what Absorb holds, so it is true
			// whether or not the update lands; the update is audited from
			// those values.
			if err := b.saveCopy(account); err != nil {
				d.Detail = "not fixed: " + err.Error()
				return []Drift{d}
			}
			saved, audit, err := b.sendUser(ctx, rec.ID, account, want)
			if err != nil {
				b.writeAudit(audit)
				d.Detail = "not fixed: " + upstreamError("update absorb user", err).Error()
				return []Drift{d}
			}
			if err := b.commitUser(rec, saved, "", []storage.AuditRecord{audit}); err != nil {
				d.Detail = "fixed in Absorb; local copy not saved: " + err.Error()
				return []Drift{d}
			}
			d.Fixed = true
		}
		return []Drift{d}
	}
	stale := b.staleCopy(rec.AbsorbID, account)
	if len(stale) == 0 {
		return nil
	}
	d := base
	d.Kind = DriftStaleCopy
	d.Changes = stale
	if fix {
		if err := b.saveCopy(account); err != nil {
			d.Detail = "not fixed: " + err.Error()
		} else {
			d.Fixed = true
		}
	}
	return []Drift{d}
}

// missing reports an account that is gone and, with fix, removes its local
// copy so the next write to the user asks Absorb and fails clearly.
func (b *Bridge) missing(d Drift, fix bool) Drift {
	d.Kind = DriftMissing
	d.Detail = "the Absorb account no longer exists or is outside the scope of the bridge's admin; delete the SCIM user in the identity provider or widen the admin's scope"
	if fix {
		err := b.store.Update(func(tx storage.Tx) error {
			err := tx.DeleteAbsorbUser(d.AbsorbID)
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			return err
		})
		if err != nil {
			d.Detail += "; local copy not removed: " + err.Error()
		} else {
			d.Fixed = true
		}
	}
	return d
}

// staleCopy lists how the local copy of an account differs from Absorb's,
// nothing when the local copy is newer (a write since the scan).
func (b *Bridge) staleCopy(absorbID string, account absorbapi.User) []mapping.Change {
	var local absorbapi.User
	found := false
	_ = b.store.View(func(tx storage.Tx) error {
		rec, err := tx.AbsorbUser(absorbID)
		if err != nil {
			return nil
		}
		local, err = absorbUserOf(rec)
		found = err == nil
		return nil
	})
	if !found {
		return []mapping.Change{{Field: "id", To: absorbID}}
	}
	if local.DateEdited != "" && account.DateEdited != "" && editedAfter(local.DateEdited, account.DateEdited) {
		return nil
	}
	account.Password = ""
	// The dates Absorb keeps itself are not compared: the copy has them as
	// of the last read, and the bridge's own writes do not learn them (an
	// answer may carry nothing but the id). The sync brings them in.
	var out []mapping.Change
	for _, c := range mapping.Diff(local, account) {
		switch c.Field {
		case "dateAdded", "dateEdited", "lastLoginDate":
			continue
		}
		out = append(out, c)
	}
	return out
}

// saveCopy replaces the local copy of an account.
func (b *Bridge) saveCopy(account absorbapi.User) error {
	m, err := mirrorRecord(account)
	if err != nil {
		return err
	}
	return b.store.Update(func(tx storage.Tx) error { return tx.PutAbsorbUser(m) })
}

// otherHolders lists the accounts other than own in holders.
func otherHolders(holders []string, own string) []string {
	var out []string
	for _, h := range holders {
		if h != own {
			out = append(out, h)
		}
	}
	return out
}

func errorDrift(d Drift, err error) Drift {
	d.Kind = DriftError
	d.Detail = err.Error()
	return d
}

// isNotFoundSCIM reports a SCIM 404 from loadUser.
func isNotFoundSCIM(err error) bool {
	se, ok := scimdoc.AsError(err)
	return ok && se.Status == http.StatusNotFound
}
