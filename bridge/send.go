package bridge

import (
	"context"
	"strings"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/storage"
)

// The steps in this file are the only places the bridge writes to Absorb.
// Each sends one write and returns its audit record as a value, whatever
// the outcome; the caller commits the record in the transaction that saves
// the change it describes, or alone with writeAudit when nothing is saved.
// The user writes also note the account in the write log, so a sync pass
// that read the account before the write landed does not undo it.

// sendUser sends one user write to Absorb: a create when u has no id, else
// an update of the account the bridge knew as before (the zero user when it
// knows nothing). scimID is the SCIM user the write is for. It returns what
// Absorb now holds (u as sent, without the password, with the id and dates
// Absorb answered) and the audit record, which lists the fields changed and
// never the password. Errors: those of the Absorb client, unchanged, and
// errAdministrator, without sending, when the account is an Absorb
// administrator's or the bridge's own.
func (b *Bridge) sendUser(ctx context.Context, scimID string, before, u absorbapi.User) (absorbapi.User, storage.AuditRecord, error) {
	sent := withoutSecrets(u)
	var (
		rec    storage.AuditRecord
		answer *absorbapi.User
		err    error
	)
	// The last guard before Absorb: an administrator's account is never
	// written, whichever use case asks (protect.go).
	if perr := b.refuseProtected(before, u); perr != nil {
		op := OpCreate
		if u.ID != "" {
			op = updateOp(withoutSecrets(before), sent)
		}
		rec = b.auditRecord(ctx, op, scimID, sent)
		rec.Outcome = OutcomeRefused
		return absorbapi.User{}, rec, perr
	}
	if u.ID == "" {
		rec = b.auditRecord(ctx, OpCreate, scimID, sent)
		answer, err = b.absorb.CreateUser(ctx, u)
		if answer != nil {
			b.wrote.record(answer.ID) // a failed create may still have landed
		}
		if err == nil && answer != nil {
			sent.ID = answer.ID
			rec.AbsorbID = answer.ID
		}
		rec.Changes = changes(absorbapi.User{}, sent)
	} else {
		before = withoutSecrets(before)
		rec = b.auditRecord(ctx, updateOp(before, sent), scimID, sent)
		rec.Changes = changes(before, sent)
		answer, err = b.absorb.UpdateUser(ctx, u)
		b.wrote.record(u.ID) // failed ones included: a timeout may still have landed
	}
	rec.Outcome = b.outcome(err)
	if err != nil {
		return absorbapi.User{}, rec, err
	}
	return merged(u, answer), rec, nil
}

// uploadUsers sends users in one POST /users/upload and returns Absorb's
// answer and one audit record per user, with that user's own outcome.
// scimIDs, when not nil, names the SCIM user of each; otherwise the store
// says who holds each account. Errors: those of the Absorb client.
func (b *Bridge) uploadUsers(ctx context.Context, users []absorbapi.User, scimIDs []string) ([]absorbapi.UploadResult, []storage.AuditRecord, error) {
	recs := make([]storage.AuditRecord, len(users))
	_ = b.store.View(func(tx storage.Tx) error {
		for i, u := range users {
			sent := withoutSecrets(u)
			before, scimID, _ := auditSubject(tx, u.ID, u.Username)
			if scimIDs != nil && scimIDs[i] != "" {
				scimID = scimIDs[i]
			}
			if before.ID != "" && sent.ID == "" {
				sent.ID = before.ID
			}
			recs[i] = b.auditRecord(ctx, OpUpload, scimID, sent)
			recs[i].Changes = changes(before, sent)
		}
		return nil
	})
	results, err := b.absorb.UploadUsers(ctx, users)
	for _, r := range results {
		b.wrote.record(r.ID)
	}
	for i, u := range users {
		b.wrote.record(u.ID)
		var userErr error
		switch {
		case i < len(results) && results[i].OK:
			if recs[i].AbsorbID == "" {
				recs[i].AbsorbID = results[i].ID
			}
		case i < len(results) && results[i].Err != nil:
			userErr = results[i].Err
		case err != nil:
			userErr = err
		default:
			userErr = absorbapi.ErrUploadRejected
		}
		recs[i].Outcome = b.outcome(userErr)
	}
	return results, recs, err
}

// enroll enrolls the Absorb account absorbID in a course and returns the
// audit record. Errors: those of the Absorb client.
func (b *Bridge) enroll(ctx context.Context, absorbID, courseID string) (storage.AuditRecord, error) {
	rec := b.auditRecord(ctx, OpEnroll, "", absorbapi.User{ID: absorbID})
	_ = b.store.View(func(tx storage.Tx) error {
		var before absorbapi.User
		var scimUserName string
		before, rec.ResourceID, scimUserName = auditSubject(tx, absorbID, "")
		rec.UserName = before.Username
		if rec.UserName == "" {
			rec.UserName = scimUserName
		}
		return nil
	})
	rec.Changes = []storage.FieldChange{{Field: "courseId", To: courseID}}
	_, err := b.absorb.EnrollUser(ctx, absorbID, courseID)
	rec.Outcome = b.outcome(err)
	return rec, err
}

// unenroll removes enrollments and returns their one audit record, about
// the SCIM user scimID when it is given, else about the enrollments:
// Absorb's call names enrollments, not users. Errors: those of the Absorb
// client.
func (b *Bridge) unenroll(ctx context.Context, scimID string, enrollmentIDs []string) (storage.AuditRecord, error) {
	rec := b.auditRecord(ctx, OpUnenroll, strings.Join(enrollmentIDs, ","), absorbapi.User{})
	rec.ResourceType = "Enrollment"
	if scimID != "" {
		rec.ResourceType, rec.ResourceID = "User", scimID
		_ = b.store.View(func(tx storage.Tx) error {
			if u, err := tx.User(scimID); err == nil {
				rec.AbsorbID, rec.UserName = u.AbsorbID, u.UserName
			}
			return nil
		})
	}
	for _, id := range enrollmentIDs {
		rec.Changes = append(rec.Changes, storage.FieldChange{Field: "enrollment", From: id})
	}
	err := b.absorb.UnenrollUser(ctx, enrollmentIDs)
	rec.Outcome = b.outcome(err)
	return rec, err
}
