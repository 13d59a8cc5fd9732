package bridge

import (
	"context"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// Actor is who asked for a change: the name of the credential that
// authenticated the SCIM request (never its secret) and the request's id.
type Actor struct {
	Credential string
	RequestID  string
	// StrictPatch is the credential's strictPatch option: its PATCH
	// requests are applied with scimdoc.PatchOptions{Strict: true}.
	StrictPatch bool
}

// Credentials recorded for work no SCIM request asked for.
const (
	// ActorRules is the group rules' background work.
	ActorRules = "bridge:rules"
	// ActorReconcile is a reconcile run without a requesting credential.
	ActorReconcile = "bridge:reconcile"
	// ActorBackground is any other work whose context carries no Actor.
	ActorBackground = "bridge:background"
)

type actorKey struct{}

// WithActor returns a copy of ctx that carries a; changes made in Absorb
// under that context are audited as a's.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// patchOptions are the PATCH semantics the credential of ctx's Actor asked
// for.
func patchOptions(ctx context.Context) scimdoc.PatchOptions {
	a, _ := ActorFrom(ctx)
	return scimdoc.PatchOptions{Strict: a.StrictPatch}
}

// ActorFrom returns the Actor stored in ctx by WithActor, and false when
// there is none.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// Audit outcomes.
const (
	OutcomeOK     = "ok"      // Absorb took the change
	OutcomeFailed = "failed"  // Absorb refused it, or it is unknown whether Absorb applied it
	OutcomeDryRun = "dry-run" // nothing was sent: the bridge runs in dry-run mode
	// OutcomeRefused: nothing was sent, as the write would have touched an
	// Absorb administrator's account (protect.go).
	OutcomeRefused = "refused"
	// OutcomeWarning: Absorb took a create but applied it to an account the
	// bridge did not choose (an upsert); the account is not linked.
	OutcomeWarning = "warning"
)

// Audit operations.
const (
	OpCreate     = "create"
	OpUpdate     = "update"
	OpDeactivate = "deactivate"
	OpReactivate = "reactivate"
	OpUpload     = "upload"
	OpEnroll     = "enroll"
	OpUnenroll   = "unenroll"
)

// auditRecord starts the record of a write of op about the Absorb user u
// (its id and username as sent) and the SCIM resource resourceID ("" when
// none is known), by ctx's Actor, or ActorBackground when it carries none.
func (b *Bridge) auditRecord(ctx context.Context, op, resourceID string, u absorbapi.User) storage.AuditRecord {
	actor := actorOf(ctx)
	return storage.AuditRecord{
		Time:         b.now(),
		Credential:   actor.Credential,
		RequestID:    actor.RequestID,
		Operation:    op,
		ResourceType: "User",
		ResourceID:   resourceID,
		AbsorbID:     u.ID,
		UserName:     u.Username,
	}
}

// outcome is the audit outcome of a write that ended with err.
func (b *Bridge) outcome(err error) string {
	switch {
	case err != nil:
		return OutcomeFailed
	case b.dryRun:
		return OutcomeDryRun
	}
	return OutcomeOK
}

// writeAudit appends records that no other commit carries (the write failed
// before its change was saved, or it changes nothing the store keeps) in a
// transaction of their own. A failure is only logged: the change itself
// stands, it was made in Absorb.
func (b *Bridge) writeAudit(recs ...storage.AuditRecord) {
	if len(recs) == 0 {
		return
	}
	// Batch lets concurrent writes share one commit (one fsync); a rerun of
	// fn after a failed batch starts from a rolled-back transaction, so no
	// record is written twice.
	err := b.store.Batch(func(tx storage.Tx) error { return appendAuditRecords(tx, recs) })
	if err != nil {
		b.log.Error("audit record not written", "operation", recs[0].Operation, "absorbId", recs[0].AbsorbID, "error", err)
	}
}

// prepareAudit encodes records ahead of the transaction that appends them
// with appendAudit, so the shared commit holds bbolt's single writer only to
// store them.
func (b *Bridge) prepareAudit(recs []storage.AuditRecord) []storage.PreparedAudit {
	out := make([]storage.PreparedAudit, len(recs))
	for i, r := range recs {
		out[i] = b.store.PrepareAudit(r)
	}
	return out
}

// appendAudit appends prepared records in tx.
func appendAudit(tx storage.Tx, recs []storage.PreparedAudit) error {
	for _, p := range recs {
		if _, err := tx.AppendPreparedAudit(p); err != nil {
			return err
		}
	}
	return nil
}

// auditSubject is what the store says of the Absorb account absorbID (or,
// without one, of the username userName) for an audit record: the bridge's
// copy of the account (the zero user with only the id when it holds none,
// never the password) and the SCIM user holding it, else the create in
// flight for the username: what a write that no SCIM request names (an
// enrollment of the group rules, an upload's users) says of itself.
func auditSubject(tx storage.Tx, absorbID, userName string) (before absorbapi.User, scimID, scimUserName string) {
	before = absorbapi.User{ID: absorbID}
	if absorbID == "" && userName != "" {
		if rec, err := tx.AbsorbUserByUsername(userName); err == nil {
			absorbID = rec.ID
			before.ID = rec.ID
		}
	}
	if absorbID != "" {
		if rec, err := tx.AbsorbUser(absorbID); err == nil {
			if got, err := absorbUserOf(rec); err == nil {
				before = got
			}
		}
		before.Password = ""
		if u, err := tx.UserByAbsorbID(absorbID); err == nil {
			return before, u.ID, u.UserName
		}
	}
	if userName != "" {
		if in, err := tx.Intent(foldKey(userName)); err == nil {
			scimID = in.SCIMID
		}
	}
	return before, scimID, ""
}

// localAccount is the bridge's copy of the Absorb account absorbID, for an
// audit record's "before"; see auditSubject.
func (b *Bridge) localAccount(absorbID string) absorbapi.User {
	before := absorbapi.User{ID: absorbID}
	_ = b.store.View(func(tx storage.Tx) error {
		before, _, _ = auditSubject(tx, absorbID, "")
		return nil
	})
	return before
}

// updateOp names an update by what it does to the account's status.
func updateOp(before, after absorbapi.User) string {
	switch {
	case before.Active() && !after.Active():
		return OpDeactivate
	case !before.Active() && after.Active():
		return OpReactivate
	}
	return OpUpdate
}

// changes lists the fields that differ, as mapping.Diff renders them
// (never the password), without the dates Absorb keeps itself.
func changes(before, after absorbapi.User) []storage.FieldChange {
	var out []storage.FieldChange
	for _, c := range mapping.Diff(before, after) {
		switch c.Field {
		case "dateAdded", "dateEdited", "lastLoginDate": // Absorb sets these itself
			continue
		}
		out = append(out, storage.FieldChange{Field: c.Field, From: c.From, To: c.To})
	}
	return out
}

// withoutSecrets is u without its password.
func withoutSecrets(u absorbapi.User) absorbapi.User {
	u.Password = ""
	return u
}

// appendAuditRecords appends recs in tx, in order.
func appendAuditRecords(tx storage.Tx, recs []storage.AuditRecord) error {
	for _, rec := range recs {
		if _, err := tx.AppendAudit(rec); err != nil {
			return err
		}
	}
	return nil
}
