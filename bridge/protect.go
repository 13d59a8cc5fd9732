package bridge

import (
	"net/http"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// An Absorb administrator's account is never the bridge's to change: a SCIM
// PATCH active:false on the bridge's own admin would lock the bridge out of
// Absorb until a person repaired it, and a passthrough password would let an
// IdP set an administrator's password. So an account with any admin role,
// and the account the bridge logs in with, is never adopted, linked,
// updated, deactivated or given a password: a create that meets one, and a
// write to a SCIM user whose account became one later (the sync folds that
// in), is answered 409 uniqueness and never sent.

// protected reports whether u is an account the bridge must never write:
// one Absorb marks as an administrator (isAdmin, or any role id), or the
// bridge's own admin.
func (b *Bridge) protected(u absorbapi.User) bool {
	return u.IsAdmin || len(u.RoleIDs) > 0 || b.isOwnUsername(u.Username)
}

// isOwnUsername reports whether userName names the Absorb admin the bridge
// logs in as (absorb.username), compared as userNames are.
func (b *Bridge) isOwnUsername(userName string) bool {
	return b.adminUsername != "" && userName != "" && foldKey(userName) == foldKey(b.adminUsername)
}

// errAdministrator is the answer to a write that would touch an Absorb
// administrator's account.
func errAdministrator(userName string) *scimdoc.Error {
	return scimdoc.Errorf(http.StatusConflict, scimdoc.TypeUniqueness,
		"userName %q belongs to an Absorb administrator; the bridge never links or changes an administrator's account: use another userName, or remove the account's admin roles in Absorb", userName)
}

// refuseProtected returns errAdministrator when a write of u, over the
// account as the bridge knew it (before: its local copy, or what Absorb
// answered), would touch an administrator's account.
func (b *Bridge) refuseProtected(before, u absorbapi.User) error {
	name := u.Username
	if name == "" {
		name = before.Username
	}
	if b.protected(before) || b.protected(u) {
		return errAdministrator(name)
	}
	return nil
}

// protectedLink reports whether the local copy of the Absorb account
// absorbID is an administrator's.
func (b *Bridge) protectedLink(absorbID string) bool {
	return absorbID != "" && b.protected(b.localAccount(absorbID))
}
