package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/storage"
)

// UploadUpdates is the UploadBehaviour of a portal whose POST /users/upload
// writes the existing account each element names, as doctor's write test
// finds out by moving a learner. Only then do the group rules send up to
// MaxUploadBatch department changes in one upload: a portal whose upload
// leaves existing accounts as they are would answer them as taken and
// change nothing, and where it is not known the rules send a PUT per user.
const UploadUpdates = "update"

// applyBatch does what applyUser does for up to MaxUploadBatch users, with
// their department changes sent in one upload, and returns the users whose
// work failed, with why. Each user is checked as a single one is before it
// enters the upload (an administrator's account is left alone), and each
// is sent by its id, so the upload never creates an account nor writes one
// the bridge does not hold. A user the upload does not take is sent again
// alone, with a PUT.
func (e *ruleEngine) applyBatch(ctx context.Context, ids []string) map[string]error {
	failed := make(map[string]error)
	works := make([]*ruleWork, 0, len(ids))
	err := e.b.store.View(func(tx storage.Tx) error {
		for _, id := range ids {
			w, err := e.loadWork(tx, id)
			if err != nil {
				return err
			}
			works = append(works, w)
		}
		return nil
	})
	if err != nil {
		for _, id := range ids {
			failed[id] = err
		}
		return failed
	}
	var owned []*ruleWork
	for _, w := range works {
		if !e.spare(w) && e.ownsDepartment(w) {
			owned = append(owned, w)
		}
	}
	if len(owned) > 0 {
		// All at once, as a Bulk run takes its users': two holders of
		// several never wait on each other.
		keys := make([]string, len(owned))
		for i, w := range owned {
			keys[i] = "user:" + w.id
		}
		unlock, err := e.b.locks.LockAll(ctx, keys)
		if err != nil {
			for _, w := range owned {
				failed[w.id] = err
			}
		} else {
			e.setDepartments(ctx, owned, failed)
			unlock()
		}
	}

	var done []*ruleWork
	for _, w := range works {
		if failed[w.id] != nil {
			continue
		}
		if !w.gone {
			if err := e.applyCourses(ctx, w.rec, w.st, w.groups); err != nil {
				failed[w.id] = err
				continue
			}
		}
		done = append(done, w)
	}
	// One transaction clears the batch's finished work: a restart then
	// resumes with the users after it, and sends none of these again.
	err = e.b.store.Update(func(tx storage.Tx) error {
		for _, w := range done {
			if err := finishWork(tx, w); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, w := range done {
			failed[w.id] = err
		}
	}
	return failed
}

// setDepartments plans the department of each user of owned (whose locks
// the caller holds), reads the accounts the local copy lacks or that must
// be read fresh, and sends the changes in one upload; the users it did not
// take are sent alone. Failures are added to failed.
func (e *ruleEngine) setDepartments(ctx context.Context, owned []*ruleWork, failed map[string]error) {
	var plan, unread []*ruleWork
	for _, w := range owned {
		if err := e.planDepartment(ctx, w); err != nil {
			failed[w.id] = err
			continue
		}
		if w.want == "" {
			continue
		}
		plan = append(plan, w)
		if w.local == nil || w.st.Fresh {
			unread = append(unread, w)
			continue
		}
		account, err := absorbUserOf(*w.local)
		if err != nil {
			failed[w.id] = err
			continue
		}
		w.account = account
	}
	if len(unread) > 0 {
		ids := make([]string, len(unread))
		for i, w := range unread {
			ids[i] = w.rec.AbsorbID
		}
		accounts, err := e.b.readAccounts(ctx, ids)
		for _, w := range unread {
			a, ok := accounts[strings.ToLower(w.rec.AbsorbID)]
			switch {
			case err != nil:
				failed[w.id] = upstreamError("read absorb users", err)
			case !ok:
				failed[w.id] = accountGone(w.rec.AbsorbID, fmt.Errorf("absorb user %s: %w", w.rec.AbsorbID, absorbapi.ErrNotFound))
			default:
				w.account = a
			}
		}
	}
	var batch []*ruleWork
	for _, w := range plan {
		if failed[w.id] != nil {
			continue
		}
		// The account as read now is checked too: it may have become an
		// administrator's since the local copy was made.
		if e.b.protected(w.account) {
			e.b.log.Warn("group rules: the account is an Absorb administrator's; left as it is", "user", w.id, "absorbId", w.account.ID)
			w.gone = true
			continue
		}
		if w.change = w.want != w.account.DepartmentID; w.change && w.account.ID != "" {
			batch = append(batch, w)
		}
	}
	if len(batch) == 0 {
		return
	}
	taken, err := e.uploadDepartments(ctx, batch)
	for _, w := range batch {
		switch {
		case taken[w.id]:
		case err != nil:
			failed[w.id] = err
		default:
			if err := e.putDepartment(ctx, w); err != nil {
				failed[w.id] = err
			}
		}
	}
}

// uploadDepartments sends the department changes of batch in one upload,
// saves what Absorb now holds for the users it took, with one audit record
// per user, and returns those users. The answer is the upload's outcome:
// the first one since start is also read back for one user, so a portal
// whose upload answers users it did not change (absorb.behaviour.upload
// pinned wrongly, or the portal changed since doctor ran) costs one
// upload, and the rules (and Bulk requests) send a PUT per user from then
// on. err is set when
// the upload failed as a whole for a reason a PUT would meet too (Absorb
// unavailable or throttling); then no user was taken.
func (e *ruleEngine) uploadDepartments(ctx context.Context, batch []*ruleWork) (map[string]bool, error) {
	users := make([]absorbapi.User, len(batch))
	scimIDs := make([]string, len(batch))
	for i, w := range batch {
		u := withoutSecrets(w.account)
		u.DepartmentID = w.want
		users[i], scimIDs[i] = u, w.rec.ID
	}
	results, audit, err := e.b.uploadUsers(ctx, users, scimIDs)
	e.mu.Lock()
	e.stats.UploadCalls++
	e.mu.Unlock()
	if err != nil {
		e.b.writeAudit(audit...)
		return nil, upstreamError("upload departments", err)
	}
	var ok []int
	for i, r := range results {
		if r.OK && strings.EqualFold(r.ID, users[i].ID) {
			ok = append(ok, i)
		}
	}
	if len(ok) > 0 && !e.checkUpload(ctx, users[ok[0]]) {
		for _, i := range ok {
			audit[i].Outcome = OutcomeFailed
		}
		ok = nil
	}
	mirrors := make([]storage.AbsorbUser, 0, len(ok))
	for _, i := range ok {
		m, err := mirrorRecord(merged(users[i], &absorbapi.User{ID: results[i].ID}))
		if err != nil {
			e.b.writeAudit(audit...)
			return nil, err
		}
		mirrors = append(mirrors, m)
	}
	err = e.b.store.Update(func(tx storage.Tx) error {
		for _, m := range mirrors {
			if err := tx.PutAbsorbUser(m); err != nil {
				return err
			}
		}
		return appendAuditRecords(tx, audit)
	})
	if err != nil {
		e.b.writeAudit(audit...)
		return nil, err
	}
	taken := make(map[string]bool, len(ok))
	for _, i := range ok {
		taken[batch[i].id] = true
	}
	e.mu.Lock()
	e.stats.DepartmentChanges += len(ok)
	e.stats.DepartmentChangesByUpload += len(ok)
	e.mu.Unlock()
	e.b.log.Info("group rules: departments set by upload", "users", len(batch), "taken", len(ok))
	return taken, nil
}

// checkUpload reads back u, whom an upload was answered as taking, the
// first time since start, and reports whether its department is the one
// sent. When it is not, the rules stop batching. A read that fails proves
// nothing: the answer is trusted and the next upload is checked.
func (e *ruleEngine) checkUpload(ctx context.Context, u absorbapi.User) bool {
	e.mu.Lock()
	checked := e.uploadChecked
	e.mu.Unlock()
	if checked || e.b.dryRun {
		return true
	}
	got, err := e.b.absorb.GetUser(ctx, u.ID)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			e.b.log.Warn("group rules: reading back an uploaded account failed; the upload's answer is trusted", "absorbId", u.ID, "error", err)
		}
		return true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if strings.EqualFold(got.DepartmentID, u.DepartmentID) {
		e.uploadChecked = true
		return true
	}
	e.batching = false
	e.b.uploadUpdates.Store(false) // a Bulk request's updates too
	e.b.log.Error("group rules: Absorb answered an upload as taken but the account's department did not change; "+
		"department changes and Bulk updates are sent one PUT per user from now on: run absorb-scim doctor -write-test again, "+
		"or set absorb.behaviour.upload to keep", "absorbId", u.ID)
	return false
}
