package bridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/storage"
)

// Cursor names kept in storage.
const (
	cursorFullSync = "absorb/full-sync-done"
	cursorSince    = "absorb/edited-since"
)

// initialRetry is how soon a failed first full load is tried again.
const initialRetry = 5 * time.Second

// syncBatch is how many Absorb users one storage transaction folds in.
const syncBatch = 500

// syncer keeps the local copy of Absorb's users true: a full load on first
// start, then polling of dateEdited, folding changes made directly in
// Absorb into the SCIM users that hold those accounts.
type syncer struct {
	b        *Bridge
	interval time.Duration

	mu     sync.Mutex
	status SyncStatus
}

// SyncStatus reports the state of the sync with Absorb.
type SyncStatus struct {
	MirrorComplete bool
	LastSuccess    time.Time
	LastError      string
	Folded         int // SCIM users changed by edits made in Absorb, since start
}

func newSyncer(b *Bridge, interval time.Duration) *syncer {
	return &syncer{b: b, interval: interval}
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
	_ = s.b.store.View(func(tx *storage.Tx) error {
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
		if err := s.pass(ctx); err != nil && ctx.Err() == nil {
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
	var since string
	err := s.b.store.View(func(tx *storage.Tx) error {
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

// scan reads every Absorb user edited since the cursor (all when full) and
// folds them in, in batches.
func (s *syncer) scan(ctx context.Context, since string, full bool) error {
	started := s.b.now().UTC()
	filter := ""
	if since != "" {
		filter = fmt.Sprintf("dateEdited ge datetime'%s'", since)
	}
	var (
		batch  []absorbapi.User
		newest = since
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.fold(batch)
		batch = batch[:0]
		return err
	}
	err := s.b.absorb.ScanUsers(ctx, filter, func(u absorbapi.User) error {
		if u.DateEdited > newest {
			newest = u.DateEdited
		}
		batch = append(batch, u)
		if len(batch) >= syncBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("sync absorb users: %w", err)
	}
	if newest == "" {
		newest = started.Format(time.RFC3339)
	}
	err = s.b.store.Update(func(tx *storage.Tx) error {
		if err := tx.PutCursor(cursorSince, newest); err != nil {
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
		s.b.log.Info("full sync with Absorb done")
	}
	return nil
}

// fold writes Absorb's copy of each user and, for users a SCIM user holds
// whose account changed in Absorb, merges the change into the SCIM resource.
func (s *syncer) fold(users []absorbapi.User) error {
	var changed []string
	err := s.b.store.Update(func(tx *storage.Tx) error {
		changed = changed[:0]
		for _, u := range users {
			prev, err := tx.AbsorbUser(u.ID)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			if err == nil && prev.DateEdited == u.DateEdited && u.DateEdited != "" {
				continue
			}
			m, err := mirrorRecord(u)
			if err != nil {
				return err
			}
			if err := tx.PutAbsorbUser(m); err != nil {
				return err
			}
			if _, err := tx.UserByAbsorbID(u.ID); err == nil {
				changed = append(changed, u.ID)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, absorbID := range changed {
		if err := s.foldIntoSCIM(absorbID); err != nil {
			return err
		}
	}
	return nil
}

// foldIntoSCIM merges an account's Absorb values into its SCIM user, under
// the user's lock so it cannot race an IdP write.
func (s *syncer) foldIntoSCIM(absorbID string) error {
	var id string
	_ = s.b.store.View(func(tx *storage.Tx) error {
		u, err := tx.UserByAbsorbID(absorbID)
		id = u.ID
		return err
	})
	if id == "" {
		return nil
	}
	unlock := s.b.locks.Lock("user:" + id)
	defer unlock()
	return s.b.store.Update(func(tx *storage.Tx) error {
		rec, err := tx.User(id)
		if err != nil {
			return nil // deleted meanwhile
		}
		mrec, err := tx.AbsorbUser(absorbID)
		if err != nil {
			return err
		}
		account, err := absorbUserOf(mrec)
		if err != nil {
			return err
		}
		res, err := userResource(rec)
		if err != nil {
			return err
		}
		doc, changed := s.b.mapper.Merge(withoutServerAttributes(res.Doc), account)
		if !changed {
			return nil
		}
		next, err := userRecord(id, absorbID, doc, rec.Created, s.b.now(), rec.Version+1)
		if err != nil {
			return err
		}
		if err := tx.PutUser(next); err != nil {
			return err
		}
		s.mu.Lock()
		s.status.Folded++
		s.mu.Unlock()
		return nil
	})
}
