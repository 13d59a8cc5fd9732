package bridge

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"sync"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// Cursor names kept in storage.
const (
	cursorFullSync = "absorb/full-sync-done"
	cursorSince    = "absorb/edited-since"
)

// initialRetry is how soon a failed first full load is tried again.
const initialRetry = 5 * time.Second

// syncBatch is how many Absorb users one storage transaction folds in. A
// commit waits for the disk twice, so on a slow or busy disk the first full
// sync of a large portal goes as fast as commits allow: five pages of a scan
// to a commit. Larger transactions go faster with a large portal, whose
// accounts each change pages of their own, but hold every page they change
// in memory until the commit, so the heap grows with them
// (BenchmarkInitialMirror reports the sync's peak). The file grows by about
// what one transaction rewrites (see "File growth" in storage/doc.go), a few
// megabytes here.
const syncBatch = 5000

// syncer keeps the local copy of Absorb's users true: a full load on first
// start, then polling of dateEdited, folding changes made directly in
// Absorb into the SCIM users that hold those accounts.
type syncer struct {
	b        *Bridge
	interval time.Duration
	batch    int // syncBatch; smaller in tests
	// passing is held through a pass: one runs at a time (the loop's and
	// SyncNow's), so a first full sync is never loaded twice at once.
	passing sync.Mutex

	mu     sync.Mutex
	status SyncStatus
	// skipped are the accounts the local copy cannot hold (skipAccount), so
	// each is reported once, not on every pass.
	skipped map[string]bool
}

// SyncStatus reports the state of the sync with Absorb.
type SyncStatus struct {
	MirrorComplete bool
	LastSuccess    time.Time
	LastError      string
	Folded         int // SCIM users changed by edits made in Absorb, since start
	// Skipped counts the Absorb accounts the sync found but cannot keep in
	// the local copy (a username, external id or email too long to index),
	// since start. Each is logged once; the pass goes on without it.
	Skipped int
}

func newSyncer(b *Bridge, interval time.Duration) *syncer {
	return &syncer{b: b, interval: interval, batch: syncBatch}
}

// loadState reads from storage whether a full load has finished, so a
// restarted bridge trusts its local copy (and SyncNow polls rather than
// loads everything again) before Run starts.
func (s *syncer) loadState() error {
	var done string
	err := s.b.store.View(func(tx storage.Tx) error {
		var err error
		done, err = tx.Cursor(cursorFullSync)
		return err
	})
	if err != nil {
		return fmt.Errorf("read sync state: %w", err)
	}
	if done != "" {
		s.b.mirrorC.complete.Store(true)
	}
	return nil
}

// SyncStatus returns the state of the sync with Absorb.
func (b *Bridge) SyncStatus() SyncStatus {
	b.syncer.mu.Lock()
	defer b.syncer.mu.Unlock()
	s := b.syncer.status
	s.MirrorComplete = b.mirrorC.complete.Load()
	return s
}

// SyncNow runs one sync pass (a full load if none has finished yet).
func (b *Bridge) SyncNow(ctx context.Context) error { return b.syncer.pass(ctx) }

func (s *syncer) run(ctx context.Context) {
	var done string
	_ = s.b.store.View(func(tx storage.Tx) error {
		done, _ = tx.Cursor(cursorFullSync)
		return nil
	})
	if done != "" {
		s.b.mirrorC.complete.Store(true)
	}
	wait := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = s.interval
		err := s.pass(ctx)
		// Creates nobody finished are resolved once Absorb answers again;
		// the pass logs what it does (abandoned.go).
		if err == nil {
			_, _ = s.b.ResolveAbandonedCreates(ctx, s.b.abandonAfter)
		}
		if err != nil && ctx.Err() == nil {
			s.b.log.Warn("sync with Absorb failed; will retry", "error", err)
			if !s.b.mirrorC.complete.Load() && wait > initialRetry {
				// Not ready until the first full load: retry it sooner, so a
				// bridge started while Absorb was down recovers quickly.
				wait = initialRetry
			}
		}
	}
}

func (s *syncer) pass(ctx context.Context) error {
	s.passing.Lock()
	defer s.passing.Unlock()
	var since string
	err := s.b.store.View(func(tx storage.Tx) error {
		var err error
		since, err = tx.Cursor(cursorSince)
		return err
	})
	if err == nil {
		full := !s.b.mirrorC.complete.Load()
		if full {
			since = ""
		}
		err = s.scan(ctx, since, full)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.status.LastError = err.Error()
		return err
	}
	s.status.LastError = ""
	s.status.LastSuccess = s.b.now()
	return nil
}

// syncClockAllowance is how far behind the bridge's clock Absorb's may run
// without a poll missing an edit made during the scan before it (doctor
// warns of a larger skew). Each poll rereads at least this much.
const syncClockAllowance = 2 * time.Minute

// scan reads every Absorb user edited since the cursor (all when full) and
// folds them in, in batches.
//
// The next cursor is the newest dateEdited read, compared as an instant
// whatever its form, but never later than this scan's start less
// syncClockAllowance, and never earlier than the cursor it started from.
// An account edited while the scan runs, after the scan passed it, may be
// dated before the newest date the scan read and is not read again by this
// scan (absorbapi.ScanUsers passes each user once); a cursor no later than
// the scan's start makes the next poll read it. The accounts the next poll
// reads again are told apart by content, not by date (Absorb may date two
// edits in one second alike): one unchanged since its local copy changes
// nothing (mirrorChange).
func (s *syncer) scan(ctx context.Context, since string, full bool) error {
	started := s.b.now().UTC()
	passStart := time.Now()
	s.b.wrote.forget(passStart.Add(-time.Minute))
	var (
		from    time.Time // the cursor this scan reads from; zero: everything
		fromSet bool
	)
	if since != "" {
		if t, err := absorbapi.ParseTime(since); err == nil {
			from, fromSet = t, true
		} else {
			s.b.log.Warn("sync cursor unreadable; reading every Absorb user", "cursor", since, "error", err)
		}
	}
	filter := ""
	if fromSet {
		filter = absorbapi.Ge("dateEdited", from)
	}
	var (
		batch    []absorbapi.User
		newest   time.Time
		progress *fullSyncProgress
	)
	if full {
		progress = newFullSyncProgress(ctx, s.b)
	}
	load, err := s.startMirrorLoad(ctx, full, passStart)
	if err != nil {
		return fmt.Errorf("sync absorb users: %w", err)
	}
	if load != nil {
		defer func() { _ = load.Close() }()
	}
	folding := startFolding(func(batch []pendingAccount) error { return s.fold(ctx, batch, passStart, load) })
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := folding.send(s.prepare(batch))
		batch = nil
		return err
	}
	err = s.b.absorb.ScanUsers(ctx, filter, func(u absorbapi.User) error {
		if edited, err := absorbapi.ParseTime(u.DateEdited); err == nil && edited.After(newest) {
			newest = edited
		}
		if progress != nil {
			progress.accountRead()
		}
		batch = append(batch, u)
		if len(batch) >= s.batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if ferr := folding.close(); err == nil {
		err = ferr
	}
	if err == nil && load != nil {
		err = s.finishMirrorLoad(ctx, load, progress)
	}
	if err != nil {
		return fmt.Errorf("sync absorb users: %w", err)
	}
	next := nextCursor(from, fromSet, newest, started)
	err = s.b.store.Update(func(tx storage.Tx) error {
		if err := tx.PutCursor(cursorSince, next.Format(time.RFC3339Nano)); err != nil {
			return err
		}
		if full {
			return tx.PutCursor(cursorFullSync, started.Format(time.RFC3339))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save sync cursor: %w", err)
	}
	if full {
		s.b.mirrorC.complete.Store(true)
		s.b.log.Info("full sync with Absorb done", "read", progress.read, "took", s.b.now().Sub(progress.start).Round(time.Second).String())
	}
	return nil
}

// nextCursor is where the poll after a scan starts: the newest dateEdited
// the scan read (the cursor it read from when it read none), no later than
// the scan's start less syncClockAllowance, and never before the cursor it
// read from.
func nextCursor(from time.Time, fromSet bool, newest, started time.Time) time.Time {
	next := newest
	if next.IsZero() {
		next = from
		if !fromSet {
			next = started
		}
	}
	if limit := started.Add(-syncClockAllowance); next.After(limit) {
		next = limit
	}
	if fromSet && next.Before(from) {
		next = from
	}
	return next.UTC()
}

// pendingAccount is an account a scan read, with its local copy encoded
// ahead of the transaction that writes it (ready), as it is written when
// the bridge holds no copy of it yet.
type pendingAccount struct {
	u        absorbapi.User
	prepared storage.PreparedAbsorbUser
	ready    bool
}

// preparing is a batch of accounts whose local copies are being encoded.
type preparing struct {
	accounts []pendingAccount
	wg       sync.WaitGroup
}

// prepare starts encoding the local copy of each account in users, outside
// the store's single writer and spread over the machine's cores, while the
// scan reads on. An account it cannot encode is left for fold, which
// reports why.
func (s *syncer) prepare(users []absorbapi.User) *preparing {
	p := &preparing{accounts: make([]pendingAccount, len(users))}
	size := max(1, (len(users)+runtime.GOMAXPROCS(0)-1)/runtime.GOMAXPROCS(0))
	for lo := 0; lo < len(users); lo += size {
		hi := min(lo+size, len(users))
		p.wg.Go(func() { s.prepareInto(p.accounts[lo:hi], users[lo:hi]) })
	}
	return p
}

// wait waits for the batch to be encoded and returns it.
func (p *preparing) wait() []pendingAccount {
	p.wg.Wait()
	return p.accounts
}

func (s *syncer) prepareInto(batch []pendingAccount, users []absorbapi.User) {
	for i, u := range users {
		batch[i].u = u
		if storableAccount(u) != nil {
			continue
		}
		m, err := mirrorRecord(u)
		if err != nil {
			continue
		}
		if batch[i].prepared, err = s.b.store.PrepareAbsorbUser(m); err == nil {
			batch[i].ready = true
		}
	}
}

// folding folds the batches of a scan in on a goroutine of its own, one
// at a time and in order, so that the scan reads and encodes the next page
// while a batch is written and its commit waits for the disk.
type folding struct {
	batches chan *preparing
	done    chan struct{}
	err     error // set before done is closed
}

// startFolding starts folding batches in with fold until one fails.
func startFolding(fold func([]pendingAccount) error) *folding {
	f := &folding{batches: make(chan *preparing, 1), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for batch := range f.batches {
			if err := fold(batch.wait()); err != nil {
				f.err = err
				return
			}
		}
	}()
	return f
}

// send hands a batch over, waiting while the one before is still queued;
// it returns the error that stopped the folding, if it stopped.
func (f *folding) send(batch *preparing) error {
	select {
	case f.batches <- batch:
		return nil
	case <-f.done:
		return f.err
	}
}

// close waits until every batch sent is folded in and returns the error
// that stopped the folding, if any.
func (f *folding) close() error {
	close(f.batches)
	<-f.done
	return f.err
}

// fold writes Absorb's copy of each user and, for users a SCIM user holds
// whose account changed in Absorb in a way that changes the SCIM user,
// merges the change into the SCIM resource. Copies whose SCIM user stays as
// it is (no SCIM user holds the account, or what changed is not mapped, as
// the dates Absorb keeps itself) are written in one transaction; each other
// one is written together with its SCIM user, under that user's lock, so a
// failure leaves both as they were and the next pass folds it again.
//
// With load (a first full sync into a store that loads in key order), the
// copies of accounts the store holds nothing of are handed to load instead,
// which writes them after the scan.
func (s *syncer) fold(ctx context.Context, users []pendingAccount, passStart time.Time, load *storage.MirrorLoad) error {
	var held []absorbapi.User
	var toLoad []storage.PreparedAbsorbUser
	err := s.b.store.Update(func(tx storage.Tx) error {
		held, toLoad = held[:0], toLoad[:0]
		for _, p := range users {
			u := p.u
			if s.b.wrote.since(u.ID, passStart) {
				continue // read before the bridge's own later write: the copy is newer
			}
			if err := storableAccount(u); err != nil {
				s.skipAccount(u, err)
				continue
			}
			account, asRead, changed, err := mirrorChangeOf(tx, u)
			if err != nil {
				return err
			}
			if !changed {
				continue
			}
			rec, err := tx.UserByAbsorbID(u.ID)
			linked := err == nil
			switch {
			case linked:
				if _, folds, err := s.mergedDoc(rec, account); err != nil {
					return err
				} else if folds {
					held = append(held, u)
					continue
				}
			case !errors.Is(err, storage.ErrNotFound):
				return err
			}
			if asRead && p.ready && !linked && load != nil {
				toLoad = append(toLoad, p.prepared)
				continue
			}
			if asRead && p.ready {
				if err := tx.PutPreparedAbsorbUser(p.prepared); err != nil {
					return err
				}
				continue
			}
			if err := putMirror(tx, account); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range toLoad {
		if err := load.Add(p); err != nil {
			return err
		}
	}
	for _, u := range held {
		if err := s.foldIntoSCIM(ctx, u, passStart); err != nil {
			return err
		}
	}
	return nil
}

// storableAccount returns a storage.ErrTooLarge error when the local copy
// cannot hold u, or a SCIM user folding it in could not be stored: one of
// the values kept as index keys is too long to be one.
func storableAccount(u absorbapi.User) error {
	for _, v := range []struct{ name, value string }{
		{"username", u.Username}, {"externalId", u.ExternalID}, {"emailAddress", u.EmailAddress},
	} {
		if err := storage.CheckIndexable(v.name, v.value); err != nil {
			return err
		}
	}
	return nil
}

// skipAccount leaves u out of the local copy, so one account Absorb holds
// that the bridge cannot store does not fail every sync pass (and keep
// /readyz failing). It is logged the first time only and counted in
// SyncStatus.Skipped.
func (s *syncer) skipAccount(u absorbapi.User, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.skipped[u.ID] {
		return
	}
	if s.skipped == nil {
		s.skipped = map[string]bool{}
	}
	s.skipped[u.ID] = true
	s.status.Skipped++
	s.b.log.Warn("Absorb account left out of the local copy: it cannot be stored; shorten the value in Absorb",
		"absorbId", u.ID, "error", err)
}

// mergedDoc is the SCIM user of rec with account's values merged in, and
// whether that changes it.
func (s *syncer) mergedDoc(rec storage.User, account absorbapi.User) (scimdoc.Document, bool, error) {
	res, err := userResource(rec)
	if err != nil {
		return nil, false, err
	}
	// A held user is compared with its account as the hold will leave it,
	// so the active account is not folded back over the held deactivation.
	doc, changed := s.b.mapper.Merge(withoutServerAttributes(res.Doc), s.b.asHeld(rec.ID, account))
	return doc, changed, nil
}

// putMirrorIfChanged writes u, as read from Absorb, as the local copy of its
// account when mirrorChange finds it newer, and returns what it wrote.
func putMirrorIfChanged(tx storage.Tx, u absorbapi.User) (absorbapi.User, bool, error) {
	u, changed, err := mirrorChange(tx, u)
	if err != nil || !changed {
		return u, false, err
	}
	return u, true, putMirror(tx, u)
}

// mirrorChange reports whether u, as read from Absorb, is newer than the
// local copy of its account, and returns it as it would be written. It is
// not newer when the copy was edited later (u was read before the bridge's
// own write landed) or is the same in every field. Absorb dates edits to
// the second, so an edit made in the same second as the bridge's last write
// is told apart by its content; the polling re-reads that second, so a copy
// overwritten by a same-second read is set right by the next pass. Values
// Absorb writes back in another form (dates) keep the copy's form; see
// withSentForms.
func mirrorChange(tx storage.Tx, u absorbapi.User) (absorbapi.User, bool, error) {
	u, _, changed, err := mirrorChangeOf(tx, u)
	return u, changed, err
}

// mirrorChangeOf is mirrorChange, and also reports whether the account to
// write is u exactly as read (asRead: there is no copy to take forms from).
func mirrorChangeOf(tx storage.Tx, u absorbapi.User) (account absorbapi.User, asRead, changed bool, err error) {
	prev, err := tx.AbsorbUser(u.ID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return u, true, true, nil
	case err != nil:
		return u, false, false, err
	case editedAfter(prev.DateEdited, u.DateEdited):
		return u, false, false, nil
	default:
		if old, err := absorbUserOf(prev); err == nil {
			u = withSentForms(old, u)
			if len(mapping.Diff(old, u)) == 0 {
				return u, false, false, nil
			}
		}
	}
	return u, false, true, nil
}

func putMirror(tx storage.Tx, u absorbapi.User) error {
	m, err := mirrorRecord(u)
	if err != nil {
		return err
	}
	return tx.PutAbsorbUser(m)
}

// withSentForms returns read with each date Absorb wrote back in another
// form than the copy holds (2024-03-01 as 2024-03-01T00:00:00Z, an offset
// turned into UTC) in the copy's form, when both name the same instant. The
// copy holds what the bridge sent, in the IdP's form, so the bridge's own
// writes never read back as changes to fold into its users.
func withSentForms(prev, read absorbapi.User) absorbapi.User {
	read.DateHired = sameInstant(prev.DateHired, read.DateHired)
	read.DateTerminated = sameInstant(prev.DateTerminated, read.DateTerminated)
	if len(read.CustomFields) > 0 && len(prev.CustomFields) > 0 {
		custom := maps.Clone(read.CustomFields)
		for k, v := range custom {
			sent, ok1 := prev.CustomFields[k].(string)
			got, ok2 := v.(string)
			if ok1 && ok2 {
				custom[k] = sameInstant(sent, got)
			}
		}
		read.CustomFields = custom
	}
	return read
}

// sameInstant returns sent when sent and read are dates or date-times of
// the same instant, else read.
func sameInstant(sent, read string) string {
	if sent != "" && read != "" && absorbapi.SameInstant(sent, read) {
		return sent
	}
	return read
}

// editedAfter reports whether the dateEdited a is a later instant than b,
// whatever the form of each; a date that does not parse is earlier than
// every one that does.
func editedAfter(a, b string) bool { return absorbapi.CompareTimes(a, b) > 0 }

// foldIntoSCIM writes the local copy of an account a SCIM user holds and
// merges its Absorb values into that user, in one transaction under the
// user's lock so it cannot race an IdP write. A merge that would give the
// user a userName another SCIM user holds is not applied (the copy is still
// written): the IdP's userName stands and is sent back on its next write.
func (s *syncer) foldIntoSCIM(ctx context.Context, account absorbapi.User, passStart time.Time) error {
	var id string
	_ = s.b.store.View(func(tx storage.Tx) error {
		u, err := tx.UserByAbsorbID(account.ID)
		id = u.ID
		return err
	})
	if id != "" {
		unlock, err := s.b.locks.Lock(ctx, "user:"+id)
		if err != nil {
			return err
		}
		defer unlock()
	}
	if s.b.wrote.since(account.ID, passStart) {
		return nil // the bridge wrote it while this pass waited for the lock
	}
	folded := false
	err := s.b.store.Update(func(tx storage.Tx) error {
		folded = false // a transaction PostgreSQL refuses runs again: count once
		if s.b.sharedStore && id != "" {
			// Another process's writes are not in this one's write log;
			// the record they left says when they wrote.
			if rec, err := tx.User(id); err == nil && rec.LastModified.After(passStart) {
				return nil
			}
		}
		account, wrote, err := putMirrorIfChanged(tx, account)
		if err != nil || !wrote {
			return err
		}
		rec, err := tx.User(id)
		if err != nil || rec.AbsorbID != account.ID {
			return nil // deleted or relinked meanwhile: only the copy changes
		}
		doc, changed, err := s.mergedDoc(rec, account)
		if err != nil || !changed {
			return err
		}
		next, err := userRecord(id, account.ID, doc, rec.Created, s.b.now(), rec.Version+1)
		if err != nil {
			return err
		}
		var conflict *storage.ConflictError
		if err := tx.PutUser(next); errors.As(err, &conflict) {
			s.b.log.Warn("change made in Absorb not folded in: it clashes with another user",
				"user", id, "absorbId", account.ID, "attribute", conflict.Index, "holder", conflict.ExistingID)
			return nil
		} else if err != nil {
			return err
		}
		if err := s.b.auditFold(tx, rec, next); err != nil { // trace.go
			return err
		}
		folded = true
		return nil
	})
	if err == nil && folded {
		s.mu.Lock()
		s.status.Folded++
		s.mu.Unlock()
	}
	return err
}

// mirrorLoader is a store that writes the copies of a first full sync in
// key order (storage.Bolt); see storage.MirrorLoad.
type mirrorLoader interface {
	LoadMirror(ctx context.Context, skip func(id string) bool) (*storage.MirrorLoad, error)
}

// startMirrorLoad starts a MirrorLoad for a first full sync when the store
// has them, else returns nil. An account the bridge writes while the load
// runs keeps what the bridge wrote: it is newer than the scan's read.
func (s *syncer) startMirrorLoad(ctx context.Context, full bool, passStart time.Time) (*storage.MirrorLoad, error) {
	loader, ok := s.b.store.(mirrorLoader)
	if !full || !ok || s.b.sharedStore {
		return nil, nil
	}
	return loader.LoadMirror(ctx, func(id string) bool { return s.b.wrote.since(id, passStart) })
}

// finishMirrorLoad writes the copies load holds, logging progress, and
// removes its run files before the sync is recorded as done.
func (s *syncer) finishMirrorLoad(ctx context.Context, load *storage.MirrorLoad, progress *fullSyncProgress) error {
	total := load.Added()
	res, err := load.Finish(ctx, func(written int) { progress.copiesWritten(written, total) })
	if cerr := load.Close(); err == nil && cerr != nil {
		s.b.log.Warn("full sync with Absorb: run files not removed", "error", cerr)
	}
	if err != nil {
		return fmt.Errorf("write the local copy: %w", err)
	}
	if res.Skipped > 0 {
		s.b.log.Info("full sync with Absorb: accounts the bridge wrote during the sync keep what it wrote",
			"accounts", res.Skipped)
	}
	return nil
}
