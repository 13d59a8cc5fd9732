package bridge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/storage"
)

// A create records its intent before it calls Absorb and clears it with
// the mapping. An intent left behind (the bridge crashed, or the IdP got a
// 503 and never retried) may stand for an active Absorb account no SCIM user
// holds. After DefaultAbandonedCreateAfter the background pass that follows
// each sync resolves it: the account the create made is deactivated (an
// IdP that retries later still gets it back, reactivated, as a re-hire),
// and the resolution is logged and audited. An account that existed before
// the create (one it was adopting) is left as it is, and an administrator's
// is never touched. A create still running holds its userName's lock, so it
// is never taken for an abandoned one.

// DefaultAbandonedCreateAfter is how old an unfinished create must be before
// the background pass resolves it: longer than any IdP's retry of a failed
// create within one provisioning cycle.
const DefaultAbandonedCreateAfter = 10 * time.Minute

// ActorAbandonedCreate is the credential recorded for the deactivation of
// an account an abandoned create left behind.
const ActorAbandonedCreate = "bridge:abandoned-create"

// madeSlack is how much earlier than its intent an account may have been
// added and still be the account that create made (the portal's clock and
// the bridge's may differ).
const madeSlack = 5 * time.Minute

// AbandonedCreate is what the background pass did with one unfinished
// create.
type AbandonedCreate struct {
	UserName string // the intent's key: the folded userName
	SCIMID   string // the id the create had chosen
	AbsorbID string // the account found, "" when Absorb holds none
	// Outcome is "deactivated", "inactive" (the account was already),
	// "kept" (an account older than the create, or an administrator's: left
	// as it is), "linked" (a SCIM user holds the name or the account now) or
	// "none" (Absorb never took the create).
	Outcome string
}

// ResolveAbandonedCreates resolves every create intent older than
// olderThan whose create is no longer running (see the comment above) and
// returns what it did. An intent whose account cannot be read or written
// now is left for the next pass; the first such error is returned.
func (b *Bridge) ResolveAbandonedCreates(ctx context.Context, olderThan time.Duration) ([]AbandonedCreate, error) {
	var stale []storage.Intent
	cutoff := b.now().Add(-olderThan)
	err := b.store.View(func(tx storage.Tx) error {
		return tx.ForEachIntent(func(in storage.Intent) (bool, error) {
			if in.Started.Before(cutoff) {
				stale = append(stale, in)
			}
			return true, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read create intents: %w", err)
	}
	if _, ok := ActorFrom(ctx); !ok {
		ctx = WithActor(ctx, Actor{Credential: ActorAbandonedCreate})
	}
	var (
		done     []AbandonedCreate
		firstErr error
	)
	for _, in := range stale {
		if ctx.Err() != nil {
			return done, ctx.Err()
		}
		res, err := b.resolveAbandoned(ctx, in)
		if err != nil {
			b.log.Warn("an abandoned create could not be resolved; will retry", "userName", in.Key, "error", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if res.Outcome != "" {
			done = append(done, res)
			b.log.Warn("an abandoned create was resolved", "userName", res.UserName, "id", res.SCIMID,
				"absorbId", res.AbsorbID, "outcome", res.Outcome)
		}
	}
	return done, firstErr
}

// resolveAbandoned resolves one intent while it holds its userName's lock;
// the zero result means a create finished or renewed it meanwhile.
func (b *Bridge) resolveAbandoned(ctx context.Context, in storage.Intent) (AbandonedCreate, error) {
	unlock, err := b.locks.Lock(ctx, "username:"+in.Key)
	if err != nil {
		return AbandonedCreate{}, err
	}
	defer unlock()
	res := AbandonedCreate{UserName: in.Key, SCIMID: in.SCIMID}
	var held bool
	err = b.store.View(func(tx storage.Tx) error {
		now, err := tx.Intent(in.Key)
		if err != nil {
			return err
		}
		if !now.Started.Equal(in.Started) {
			return storage.ErrNotFound // a create took it up again
		}
		_, err = tx.UserByUserName(in.Key)
		held = err == nil
		return nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return AbandonedCreate{}, nil
	}
	if err != nil {
		return res, err
	}
	if held {
		res.Outcome = "linked"
		return res, b.dropIntent(in.Key, nil, nil)
	}
	account, err := b.findAccount(ctx, in.Key, true)
	if err != nil {
		return res, err
	}
	if account == nil {
		res.Outcome = "none"
		return res, b.dropIntent(in.Key, nil, nil)
	}
	res.AbsorbID = account.ID
	added, perr := absorbapi.ParseTime(account.DateAdded)
	made := perr == nil && !added.Before(in.Started.Add(-madeSlack))
	switch {
	case b.knownHolder(account.ID):
		res.Outcome = "linked"
		return res, b.dropIntent(in.Key, nil, nil)
	case b.protected(*account) || !made:
		res.Outcome = "kept"
		return res, b.dropIntent(in.Key, nil, nil)
	case !account.Active():
		res.Outcome = "inactive"
		return res, b.dropIntent(in.Key, account, nil)
	}
	off := *account
	off.ActiveStatus = absorbapi.StatusInactive
	saved, audit, err := b.sendUser(ctx, in.SCIMID, *account, off)
	if err != nil {
		b.writeAudit(audit)
		return res, upstreamError("deactivate absorb user", err)
	}
	res.Outcome = "deactivated"
	return res, b.dropIntent(in.Key, &saved, []storage.AuditRecord{audit})
}

// knownHolder reports whether a SCIM user holds the Absorb account id.
func (b *Bridge) knownHolder(id string) bool {
	held := false
	_ = b.store.View(func(tx storage.Tx) error {
		_, err := tx.UserByAbsorbID(id)
		held = err == nil
		return nil
	})
	return held
}

// dropIntent deletes the intent key and, in the same transaction, keeps
// account (when not nil) as the local copy and appends audit.
func (b *Bridge) dropIntent(key string, account *absorbapi.User, audit []storage.AuditRecord) error {
	err := b.store.Update(func(tx storage.Tx) error {
		if account != nil {
			if err := putMirror(tx, *account); err != nil {
				return err
			}
		}
		if err := appendAuditRecords(tx, audit); err != nil {
			return err
		}
		return tx.DeleteIntent(key)
	})
	if err != nil {
		b.writeAudit(audit...)
		return fmt.Errorf("clear create intent %q: %w", key, err)
	}
	return nil
}
