package bridge

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/storage"
)

// Actor is who asked for a change: the name of the credential that
// authenticated the SCIM request (never its secret) and the request's id.
type Actor struct {
	Credential string
	RequestID  string
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

// UserUploader is the bulk upload of an Absorb client; the audit and
// dry-run decorators offer it when their inner client does.
type UserUploader interface {
	UploadUsers(ctx context.Context, users []absorbapi.User) ([]absorbapi.UploadResult, error)
}

// errNoUpload is returned by UploadUsers when the inner client cannot upload.
var errNoUpload = errors.New("the absorb client does not support uploads")

// AuditOption configures NewAuditedAbsorb.
type AuditOption func(*auditedAbsorb)

// AuditLogger sets the logger told when an audit record cannot be written
// (the change itself stands: it was made in Absorb).
func AuditLogger(l *slog.Logger) AuditOption {
	return func(a *auditedAbsorb) {
		if l != nil {
			a.log = l
		}
	}
}

// auditedAbsorb records every write made in Absorb in the audit log.
type auditedAbsorb struct {
	Absorb
	store  *storage.Store
	now    func() time.Time
	log    *slog.Logger
	dryRun bool
}

var (
	_ Absorb       = (*auditedAbsorb)(nil)
	_ UserUploader = (*auditedAbsorb)(nil)
)

// NewAuditedAbsorb wraps inner so that each write (CreateUser, UpdateUser,
// UploadUsers, EnrollUser, UnenrollUser) appends one storage.AuditRecord per
// user: when (now), who (the context's Actor, or ActorBackground), what
// (the Absorb fields changed, from the local copy of Absorb to what was
// sent, per mapping.Diff: the password is never recorded) and the outcome
// (OutcomeOK, OutcomeFailed, or OutcomeDryRun when inner is a dry-run
// decorator). Reads pass through. The write's own result and error are
// returned unchanged; a failure to append the record is only logged.
func NewAuditedAbsorb(inner Absorb, store *storage.Store, now func() time.Time, opts ...AuditOption) Absorb {
	if now == nil {
		now = time.Now
	}
	a := &auditedAbsorb{Absorb: inner, store: store, now: now, log: slog.New(slog.DiscardHandler)}
	if d, ok := inner.(interface{ DryRun() bool }); ok {
		a.dryRun = d.DryRun()
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

// CreateUser creates u through the inner client and audits it.
func (a *auditedAbsorb) CreateUser(ctx context.Context, u absorbapi.User) (*absorbapi.User, error) {
	sent := withoutSecrets(u)
	rec := a.base(ctx, OpCreate, sent)
	if scimID, _, ok := auditStageFrom(ctx).subject(""); ok {
		rec.ResourceID = scimID
	} else {
		a.lookupUser(&rec, "", u.Username)
	}
	answer, err := a.Absorb.CreateUser(ctx, u)
	if err == nil && answer != nil {
		sent.ID = answer.ID
		rec.AbsorbID = answer.ID
	}
	rec.Changes = changes(absorbapi.User{}, sent)
	a.append(ctx, rec, err)
	return answer, err
}

// UpdateUser updates u through the inner client and audits it against the
// local copy of the account.
func (a *auditedAbsorb) UpdateUser(ctx context.Context, u absorbapi.User) (*absorbapi.User, error) {
	sent := withoutSecrets(u)
	scimID, known, ok := auditStageFrom(ctx).subject(u.ID)
	var before absorbapi.User
	if known != nil {
		before = *known
	} else {
		before = a.before(u.ID)
	}
	rec := a.base(ctx, updateOp(before, sent), sent)
	if ok {
		rec.ResourceID = scimID
	} else {
		a.lookupUser(&rec, u.ID, u.Username)
	}
	rec.Changes = changes(before, sent)
	answer, err := a.Absorb.UpdateUser(ctx, u)
	a.append(ctx, rec, err)
	return answer, err
}

// UploadUsers uploads users through the inner client and audits one record
// per user, with that user's own outcome.
func (a *auditedAbsorb) UploadUsers(ctx context.Context, users []absorbapi.User) ([]absorbapi.UploadResult, error) {
	up, ok := a.Absorb.(UserUploader)
	if !ok {
		return nil, errNoUpload
	}
	recs := make([]storage.AuditRecord, len(users))
	for i, u := range users {
		sent := withoutSecrets(u)
		before := a.before(u.ID)
		if u.ID == "" {
			before = a.beforeByUsername(u.Username)
		}
		recs[i] = a.base(ctx, OpUpload, sent)
		a.lookupUser(&recs[i], u.ID, u.Username)
		if before.ID != "" && sent.ID == "" {
			sent.ID = before.ID
			recs[i].AbsorbID = before.ID
		}
		recs[i].Changes = changes(before, sent)
	}
	results, err := up.UploadUsers(ctx, users)
	errs := make([]error, len(users))
	for i := range users {
		switch {
		case i < len(results) && results[i].OK:
			if recs[i].AbsorbID == "" {
				recs[i].AbsorbID = results[i].ID
			}
		case i < len(results) && results[i].Err != nil:
			errs[i] = results[i].Err
		case err != nil:
			errs[i] = err
		default:
			errs[i] = absorbapi.ErrUploadRejected
		}
	}
	a.appendAll(ctx, recs, errs)
	return results, err
}

// EnrollUser enrolls through the inner client and audits it.
func (a *auditedAbsorb) EnrollUser(ctx context.Context, userID, courseID string) (*absorbapi.Enrollment, error) {
	rec := a.base(ctx, OpEnroll, absorbapi.User{ID: userID})
	rec.UserName = a.before(userID).Username
	a.lookupUser(&rec, userID, rec.UserName)
	rec.Changes = []storage.FieldChange{{Field: "courseId", To: courseID}}
	en, err := a.Absorb.EnrollUser(ctx, userID, courseID)
	a.append(ctx, rec, err)
	return en, err
}

// UnenrollUser removes enrollments through the inner client and audits
// them in one record: Absorb's call names enrollments, not users.
func (a *auditedAbsorb) UnenrollUser(ctx context.Context, enrollmentIDs []string) error {
	rec := a.base(ctx, OpUnenroll, absorbapi.User{})
	rec.ResourceType = "Enrollment"
	rec.ResourceID = strings.Join(enrollmentIDs, ",")
	if scimID, _, ok := auditStageFrom(ctx).subject(""); ok {
		// The bridge said whose enrollments these are.
		rec.ResourceType, rec.ResourceID = "User", scimID
		_ = a.store.View(func(tx *storage.Tx) error {
			if u, err := tx.User(scimID); err == nil {
				rec.AbsorbID, rec.UserName = u.AbsorbID, u.UserName
			}
			return nil
		})
	}
	for _, id := range enrollmentIDs {
		rec.Changes = append(rec.Changes, storage.FieldChange{Field: "enrollment", From: id})
	}
	err := a.Absorb.UnenrollUser(ctx, enrollmentIDs)
	a.append(ctx, rec, err)
	return err
}

// DryRun reports whether the inner client sends no writes.
func (a *auditedAbsorb) DryRun() bool { return a.dryRun }

// base starts a record of op on u by the context's actor.
func (a *auditedAbsorb) base(ctx context.Context, op string, u absorbapi.User) storage.AuditRecord {
	actor, ok := ActorFrom(ctx)
	if !ok || actor.Credential == "" {
		actor.Credential = ActorBackground
	}
	return storage.AuditRecord{
		Time:         a.now(),
		Credential:   actor.Credential,
		RequestID:    actor.RequestID,
		Operation:    op,
		ResourceType: "User",
		AbsorbID:     u.ID,
		UserName:     u.Username,
	}
}

// lookupUser fills in the SCIM id of the user a record is about: the user
// holding the Absorb account, else the create in flight for the username.
func (a *auditedAbsorb) lookupUser(rec *storage.AuditRecord, absorbID, userName string) {
	_ = a.store.View(func(tx *storage.Tx) error {
		if absorbID != "" {
			if u, err := tx.UserByAbsorbID(absorbID); err == nil {
				rec.ResourceID = u.ID
				if rec.UserName == "" {
					rec.UserName = u.UserName
				}
				return nil
			}
		}
		if in, err := tx.Intent(userName); err == nil {
			rec.ResourceID = in.SCIMID
		}
		return nil
	})
}

// before is the local copy of an Absorb account, or a user with only the
// id when there is none.
func (a *auditedAbsorb) before(absorbID string) absorbapi.User {
	u := absorbapi.User{ID: absorbID}
	if absorbID == "" {
		return u
	}
	_ = a.store.View(func(tx *storage.Tx) error {
		rec, err := tx.AbsorbUser(absorbID)
		if err != nil {
			return nil
		}
		if got, err := absorbUserOf(rec); err == nil {
			u = got
		}
		return nil
	})
	u.Password = ""
	return u
}

// beforeByUsername is before for an account known by its username.
func (a *auditedAbsorb) beforeByUsername(username string) absorbapi.User {
	var id string
	_ = a.store.View(func(tx *storage.Tx) error {
		if rec, err := tx.AbsorbUserByUsername(username); err == nil {
			id = rec.ID
		}
		return nil
	})
	if id == "" {
		return absorbapi.User{}
	}
	return a.before(id)
}

// append records one write with the outcome of err.
func (a *auditedAbsorb) append(ctx context.Context, rec storage.AuditRecord, err error) {
	a.appendAll(ctx, []storage.AuditRecord{rec}, []error{err})
}

// appendAll records writes with their outcomes: staged for the bridge to
// commit with its change when ctx carries a stage, else written now.
func (a *auditedAbsorb) appendAll(ctx context.Context, recs []storage.AuditRecord, errs []error) {
	for i := range recs {
		recs[i].Outcome = a.outcome(errs[i])
	}
	if stage := auditStageFrom(ctx); stage != nil {
		stage.add(recs, a.write)
		return
	}
	a.write(recs)
}

// write appends records in a transaction of their own.
func (a *auditedAbsorb) write(recs []storage.AuditRecord) {
	// Batch lets concurrent writes share one commit (one fsync); a rerun of
	// fn after a failed batch starts from a rolled-back transaction, so no
	// record is written twice.
	werr := a.store.Batch(func(tx *storage.Tx) error {
		for _, rec := range recs {
			if _, err := tx.AppendAudit(rec); err != nil {
				return err
			}
		}
		return nil
	})
	if werr != nil {
		a.log.Error("audit record not written", "operation", recs[0].Operation, "absorbId", recs[0].AbsorbID, "error", werr)
	}
}

func (a *auditedAbsorb) outcome(err error) string {
	switch {
	case err != nil:
		return OutcomeFailed
	case a.dryRun:
		return OutcomeDryRun
	}
	return OutcomeOK
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
