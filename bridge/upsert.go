package bridge

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// Absorb may answer POST /users for a username or externalId an account
// already holds by updating that account ("upsert", even one outside the
// admin's department scope) instead of refusing it. A create must never
// overwrite or rename an account the bridge did not decide to adopt, so:
// before creating, the externalId is checked against the accounts the
// admin can see (the username already is, by findAccount); after, the
// answer is checked for an account that is not a new one. Such a create is
// answered 409, audited with OutcomeWarning and never linked. An account
// hidden from the admin's scope cannot be seen before the create: Absorb
// has changed it by the time the answer tells, and the 409 says so.

// CreateStrict is the CreateBehaviour of a portal known to refuse a create
// of a username or externalId an account already holds. Under any other
// value (upsert, or not known) a create the local copy knows no account
// for asks Absorb before it posts: an account made since the last sync,
// an administrator's among them, would otherwise be updated by the POST
// before the check of its answer could refuse it.
const CreateStrict = "strict"

// addedSlack is how much earlier than the create an account's dateAdded
// may be and still be the account the create made: the portal's clock and
// the bridge's may differ.
const addedSlack = time.Hour

// ensureExternalIDFree refuses a create whose externalId another account
// the admin can see holds (adopted, the account the create adopts, may
// hold it). Absorb is asked when the local copy knows no holder and the
// portal may upsert. Errors: 409 uniqueness naming that account's username, and
// the upstream errors of the look-up.
func (b *Bridge) ensureExternalIDFree(ctx context.Context, u absorbapi.User, adopted *absorbapi.User) error {
	ext := u.ExternalID
	if ext == "" || (adopted != nil && adopted.ExternalID == ext) {
		return nil
	}
	holder, err := b.findAccountBy(ctx, ext, b.createMayUpsert, (storage.Tx).AbsorbUserByExternalID, b.absorb.FindUserByExternalID,
		func(a absorbapi.User) bool { return a.ExternalID == ext })
	if err != nil || holder == nil || (adopted != nil && holder.ID == adopted.ID) {
		return err
	}
	return scimdoc.Errorf(http.StatusConflict, scimdoc.TypeUniqueness,
		"externalId %q is already held by the Absorb account with username %q (id %s); change the externalId, or the userName to that account's to link it",
		ext, holder.Username, holder.ID)
}

// errNotCreated is the answer to a create Absorb turned into an update of
// an account the bridge did not choose: what happened, and that the
// account is not linked.
func errNotCreated(userName, what string) *scimdoc.Error {
	return scimdoc.Errorf(http.StatusConflict, scimdoc.TypeUniqueness,
		"Absorb did not create a new account for userName %q: it updated %s instead; that account is not linked to this user. Check it in Absorb, then change this user's userName or externalId",
		userName, what)
}

// checkCreated verifies that the account id Absorb answered a create of
// sent with is a new one: not an account the bridge already knows and,
// unless the portal is known strict (then a create that succeeds made a new
// account), visible to its admin, not an administrator's, with the username
// and externalId sent, added no earlier than started. It returns errNotCreated when it is
// not, and the upstream error (the intent then stays, for the retry) when
// Absorb cannot be read.
func (b *Bridge) checkCreated(ctx context.Context, sent absorbapi.User, id string, started time.Time) error {
	if b.dryRun || id == "" {
		return nil
	}
	if err := b.checkCreatedUnknown(sent, id, started); err != nil {
		return err
	}
	if !b.createMayUpsert {
		// A portal known to refuse a taken username made a new account
		// when it answered a create: nothing to read back.
		return nil
	}
	got, err := b.absorb.GetUser(ctx, id)
	if absorbapi.IsNotFound(err) {
		return errCreatedHidden(sent.Username, id)
	}
	if err != nil {
		return upstreamError("read the created absorb user", err)
	}
	return b.checkCreatedAccount(sent, *got, started)
}

// checkCreatedUnknown returns errNotCreated when the bridge already knows
// the account id a create of sent was answered with: a SCIM user holds it,
// or the local copy has it as an account added before started. A copy of an
// account added since may be the very account this create made, mirrored
// by a sync that ran meanwhile (another replica's, on a shared store).
func (b *Bridge) checkCreatedUnknown(sent absorbapi.User, id string, started time.Time) error {
	var (
		holder storage.User
		known  *absorbapi.User
	)
	_ = b.store.View(func(tx storage.Tx) error {
		holder, _ = tx.UserByAbsorbID(id)
		if rec, err := tx.AbsorbUser(id); err == nil {
			if u, err := absorbUserOf(rec); err == nil {
				known = &u
			}
		}
		return nil
	})
	switch {
	case holder.ID != "":
		return errNotCreated(sent.Username, fmt.Sprintf("the Absorb account %s, which SCIM user %s (userName %q) holds", id, holder.ID, holder.UserName))
	case known != nil && addedBefore(*known, started):
		return errNotCreated(sent.Username, fmt.Sprintf("the existing Absorb account %s (username %q)", id, known.Username))
	}
	return nil
}

// errCreatedHidden is errNotCreated for an answer naming an account the
// admin cannot see: it was not made by the create, which the admin would see.
func errCreatedHidden(userName, id string) error {
	return errNotCreated(userName, fmt.Sprintf("the existing Absorb account %s, which is outside the department scope of the bridge's Absorb admin", id))
}

// addedBefore reports whether u's dateAdded shows it was added before
// started, beyond the clocks' difference (addedSlack); false when unknown.
func addedBefore(u absorbapi.User, started time.Time) bool {
	added, err := absorbapi.ParseTime(u.DateAdded)
	return err == nil && added.Before(started.Add(-addedSlack))
}

// checkCreatedAccount returns errNotCreated when got, the account a create
// of sent was answered with as Absorb now holds it, is not the new one
// the create should have made: an administrator's (no create makes one),
// one with another username or externalId, or one added before started.
func (b *Bridge) checkCreatedAccount(sent, got absorbapi.User, started time.Time) error {
	if b.protected(got) {
		return errNotCreated(sent.Username, fmt.Sprintf("the Absorb administrator's account %s (username %q)", got.ID, got.Username))
	}
	if foldKey(got.Username) != foldKey(sent.Username) || (sent.ExternalID != "" && got.ExternalID != sent.ExternalID) {
		return errNotCreated(sent.Username, fmt.Sprintf("the existing Absorb account %s (username %q, externalId %q)", got.ID, got.Username, got.ExternalID))
	}
	if addedBefore(got, started) {
		return errNotCreated(sent.Username, fmt.Sprintf("the existing Absorb account %s (username %q, added %s)", got.ID, got.Username, got.DateAdded))
	}
	return nil
}
