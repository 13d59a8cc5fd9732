package bridge

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/storage"
)

// DryRunIDPrefix starts every Absorb id a dry-run client makes up.
const DryRunIDPrefix = "dry-run-"

// dryRunAbsorb answers writes as Absorb would, without sending them.
type dryRunAbsorb struct {
	Absorb
	log *slog.Logger
}

var _ Absorb = (*dryRunAbsorb)(nil)

// NewDryRunAbsorb returns an Absorb client over inner that sends no write:
// CreateUser answers with the user and a made-up id (DryRunIDPrefix and a
// UUID derived from the username, so a retry gets the same id), UpdateUser
// echoes the user, UploadUsers, EnrollUser and UnenrollUser succeed; each
// logs one line
// naming the call it did not send. Reads go to inner, except reads of
// made-up ids, which Absorb has never seen: GetUser answers not found and
// ListUserEnrollments an empty list. A Bridge given it audits each write
// with OutcomeDryRun.
func NewDryRunAbsorb(inner Absorb, log *slog.Logger) Absorb {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &dryRunAbsorb{Absorb: inner, log: log}
}

// DryRun reports that writes are not sent.
func (d *dryRunAbsorb) DryRun() bool { return true }

// CreateUser returns u with a made-up id; nothing is sent.
func (d *dryRunAbsorb) CreateUser(ctx context.Context, u absorbapi.User) (*absorbapi.User, error) {
	u.Password = ""
	u.ID = dryRunID("user", storage.FoldUserName(u.Username))
	d.log.InfoContext(ctx, "dry run: not sent to Absorb", "call", "POST /users", "absorbId", u.ID,
		"fields", fieldNames(mapping.Diff(absorbapi.User{}, u)))
	return &u, nil
}

// UpdateUser returns u as Absorb would; nothing is sent.
func (d *dryRunAbsorb) UpdateUser(ctx context.Context, u absorbapi.User) (*absorbapi.User, error) {
	u.Password = ""
	d.log.InfoContext(ctx, "dry run: not sent to Absorb", "call", "PUT /users/{id}", "absorbId", u.ID, "active", u.Active())
	return &u, nil
}

// UploadUsers reports every user as taken; nothing is sent.
func (d *dryRunAbsorb) UploadUsers(ctx context.Context, users []absorbapi.User) ([]absorbapi.UploadResult, error) {
	out := make([]absorbapi.UploadResult, len(users))
	for i, u := range users {
		id := u.ID
		if id == "" {
			id = dryRunID("user", storage.FoldUserName(u.Username))
		}
		out[i] = absorbapi.UploadResult{Username: u.Username, ID: id, OK: true}
	}
	d.log.InfoContext(ctx, "dry run: not sent to Absorb", "call", "POST /users/upload", "users", len(users))
	return out, nil
}

// EnrollUser returns an enrollment with a made-up id; nothing is sent.
func (d *dryRunAbsorb) EnrollUser(ctx context.Context, userID, courseID string) (*absorbapi.Enrollment, error) {
	en := &absorbapi.Enrollment{ID: dryRunID("enrollment", userID+"/"+courseID), UserID: userID, CourseID: courseID}
	d.log.InfoContext(ctx, "dry run: not sent to Absorb", "call", "POST /users/{id}/enrollments/{courseId}", "absorbId", userID, "courseId", courseID)
	return en, nil
}

// UnenrollUser succeeds; nothing is sent.
func (d *dryRunAbsorb) UnenrollUser(ctx context.Context, enrollmentIDs []string) error {
	d.log.InfoContext(ctx, "dry run: not sent to Absorb", "call", "unenroll", "enrollments", len(enrollmentIDs))
	return nil
}

// GetUser reads from Absorb, except made-up ids, which are not found.
func (d *dryRunAbsorb) GetUser(ctx context.Context, id string) (*absorbapi.User, error) {
	if strings.HasPrefix(id, DryRunIDPrefix) {
		return nil, fmt.Errorf("get user %s: made up by dry run: %w", id, absorbapi.ErrNotFound)
	}
	return d.Absorb.GetUser(ctx, id)
}

// ListUserEnrollments reads from Absorb, except for made-up ids, which
// have none.
func (d *dryRunAbsorb) ListUserEnrollments(ctx context.Context, userID string) ([]absorbapi.Enrollment, error) {
	if strings.HasPrefix(userID, DryRunIDPrefix) {
		return nil, nil
	}
	return d.Absorb.ListUserEnrollments(ctx, userID)
}

// dryRunID is DryRunIDPrefix and a UUID (version 5 layout) derived from kind
// and key, so the same input always gets the same id.
func dryRunID(kind, key string) string {
	h := sha256.Sum256([]byte("absorb-scim dry run\x00" + kind + "\x00" + key))
	u := h[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%s%x-%x-%x-%x-%x", DryRunIDPrefix, u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// fieldNames lists the fields of changes.
func fieldNames(changes []mapping.Change) []string {
	out := make([]string, 0, len(changes))
	for _, c := range changes {
		out = append(out, c.Field)
	}
	return out
}
