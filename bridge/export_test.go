package bridge

import (
	"context"

	"github.com/absorb-scim/absorb-scim/absorbapi"
)

// The steps that send background writes, for the tests of their audit
// records: each sends one write and appends its records as the bridge does.

// Enroll enrolls an account in a course, as the group rules do.
func (b *Bridge) Enroll(ctx context.Context, absorbID, courseID string) error {
	rec, err := b.enroll(ctx, absorbID, courseID)
	b.writeAudit(rec)
	return err
}

// Unenroll removes enrollments, as the group rules do.
func (b *Bridge) Unenroll(ctx context.Context, enrollmentIDs []string) error {
	rec, err := b.unenroll(ctx, "", enrollmentIDs)
	b.writeAudit(rec)
	return err
}

// UploadUsers uploads accounts no SCIM request names.
func (b *Bridge) UploadUsers(ctx context.Context, users []absorbapi.User) ([]absorbapi.UploadResult, error) {
	res, recs, err := b.uploadUsers(ctx, users, nil)
	b.writeAudit(recs...)
	return res, err
}

// SetSyncBatch sets how many accounts a sync pass folds in a transaction, so
// a test reaches a second batch with a few hundred accounts.
func (b *Bridge) SetSyncBatch(n int) { b.syncer.batch = n }
