package bridge

import (
	"context"
	"sync"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/storage"
)

// auditStage carries the audit records of one SCIM write from the audit
// decorator to the bridge, which commits them in the transaction that saves
// the change they describe: one commit (and one fsync) per write instead of
// two. It also tells the decorator what the bridge already holds (the SCIM
// user and the local copy of its Absorb account), so the audit does not read
// them again. Records the bridge does not commit (the write failed before its
// commit, or the commit failed) are written on their own by flush.
type auditStage struct {
	mu      sync.Mutex
	scimID  string
	before  *absorbapi.User
	pending []storage.AuditRecord
	// write appends records in a transaction of their own, with the
	// decorator's error logging; set by the decorator that stages them.
	write func([]storage.AuditRecord)
}

type auditStageKey struct{}

// withAuditStage returns ctx carrying a new stage for the write of the SCIM
// user scimID ("" when not known yet) whose account the bridge holds as
// before (nil for a new account; a copy is kept). The caller must call flush
// when done.
func withAuditStage(ctx context.Context, scimID string, before *absorbapi.User) (context.Context, *auditStage) {
	s := &auditStage{scimID: scimID}
	if before != nil {
		copied := *before // the caller goes on changing its own
		s.before = &copied
	}
	return context.WithValue(ctx, auditStageKey{}, s), s
}

func auditStageFrom(ctx context.Context) *auditStage {
	s, _ := ctx.Value(auditStageKey{}).(*auditStage)
	return s
}

// subject is the SCIM user and the bridge's copy of the account a write with
// Absorb id absorbID is about; ok is false when the bridge told nothing, and
// before is nil when its copy is not of that account.
func (s *auditStage) subject(absorbID string) (scimID string, before *absorbapi.User, ok bool) {
	if s == nil || s.scimID == "" {
		return "", nil, false
	}
	if s.before != nil && s.before.ID == absorbID && absorbID != "" {
		b := *s.before
		b.Password = ""
		return s.scimID, &b, true
	}
	return s.scimID, nil, true
}

// add stages records; write is how to append them if the bridge does not.
func (s *auditStage) add(recs []storage.AuditRecord, write func([]storage.AuditRecord)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = append(s.pending, recs...)
	s.write = write
}

// stagedAudit is the staged records of a write, encoded ahead of the
// transaction that appends them (storage.PreparedAudit).
type stagedAudit []storage.PreparedAudit

// prepare encodes the records staged so far for appendTo.
func (s *auditStage) prepare(store *storage.Store) stagedAudit {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	recs := s.pending
	s.mu.Unlock()
	staged := make(stagedAudit, 0, len(recs))
	for _, r := range recs {
		staged = append(staged, store.PrepareAudit(r))
	}
	return staged
}

// appendTo appends the prepared records in tx and returns how many; call the
// stage's committed with that number once tx has committed. Running it again
// in a new transaction (a retried batch) appends the same records again, once.
func (staged stagedAudit) appendTo(tx *storage.Tx) (int, error) {
	for _, p := range staged {
		if _, err := tx.AppendPreparedAudit(p); err != nil {
			return 0, err
		}
	}
	return len(staged), nil
}

// committed drops the first n staged records: they are in the store.
func (s *auditStage) committed(n int) {
	if s == nil || n == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = s.pending[n:]
}

// flush writes the records no commit took.
func (s *auditStage) flush() {
	s.mu.Lock()
	recs, write := s.pending, s.write
	s.pending = nil
	s.mu.Unlock()
	if len(recs) > 0 && write != nil {
		write(recs)
	}
}
