package bridge

import (
	"context"
	"fmt"
	"time"

	"github.com/absorb-scim/absorb-scim/storage"
)

// auditPruneEvery is how often records past the retention are deleted.
const auditPruneEvery = time.Hour

// auditPruneChunk is how many records one transaction deletes, so the
// writers waiting behind it are never held up for long.
const auditPruneChunk = 5000

// PruneAudit deletes the audit records made before before, a chunk per
// transaction, and returns how many it deleted.
func PruneAudit(store storage.Store, before time.Time) (int, error) {
	total := 0
	for {
		var n int
		err := store.Update(func(tx storage.Tx) error {
			var err error
			n, err = tx.PruneAudit(before, auditPruneChunk)
			return err
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("prune audit log: %w", err)
		}
		if n < auditPruneChunk {
			return total, nil
		}
	}
}

// runAuditRetention deletes the audit records older than the retention
// now and then every auditPruneEvery, until ctx ends.
func (b *Bridge) runAuditRetention(ctx context.Context) {
	t := time.NewTicker(auditPruneEvery)
	defer t.Stop()
	for {
		n, err := PruneAudit(b.store, b.now().Add(-b.auditRetention))
		switch {
		case err != nil:
			b.log.Error("audit records past their retention not deleted", "error", err)
		case n > 0:
			b.log.Info("audit records past their retention deleted", "records", n, "retention", b.auditRetention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
