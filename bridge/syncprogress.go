package bridge

import (
	"context"
	"log/slog"
	"time"
)

// syncProgressEvery is how often the first full sync says how far it got:
// on a portal of many thousand accounts it takes minutes, and a silent log
// looks like a hang.
const syncProgressEvery = 10 * time.Second

// fullSyncProgress logs the counts of the first full sync with Absorb at
// intervals, with an estimate of the time left when the total is known.
type fullSyncProgress struct {
	log   *slog.Logger
	now   func() time.Time
	total int // accounts Absorb reports, 0 when unknown
	start time.Time
	last  time.Time
	read  int
}

func newFullSyncProgress(ctx context.Context, b *Bridge) *fullSyncProgress {
	p := &fullSyncProgress{log: b.log, now: b.now, start: b.now()}
	p.last = p.start
	if b.countUsers != nil {
		if n, err := b.countUsers(ctx); err == nil {
			p.total = n
		}
	}
	attrs := []any{}
	if p.total > 0 {
		attrs = append(attrs, "accounts", p.total)
	}
	p.log.Info("full sync with Absorb started: reading every account the bridge's admin can see", attrs...)
	return p
}

// accountRead counts one account and logs when syncProgressEvery has passed
// since the last line.
func (p *fullSyncProgress) accountRead() {
	p.read++
	now := p.now()
	if now.Sub(p.last) < syncProgressEvery {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start)
	attrs := []any{"read", p.read, "elapsed", elapsed.Round(time.Second).String()}
	if p.total > 0 {
		attrs = append(attrs, "of", p.total)
		if left := p.total - p.read; left > 0 && p.read > 0 {
			perAccount := elapsed / time.Duration(p.read)
			attrs = append(attrs, "estimatedLeft", (perAccount * time.Duration(left)).Round(time.Second).String())
		}
	}
	p.log.Info("full sync with Absorb in progress", attrs...)
}

// copiesWritten logs, at most every syncProgressEvery, how many of the
// total copies the scan read are written to the local copy.
func (p *fullSyncProgress) copiesWritten(written, total int) {
	now := p.now()
	if now.Sub(p.last) < syncProgressEvery && written < total {
		return
	}
	p.last = now
	p.log.Info("full sync with Absorb: writing the local copy", "written", written, "of", total,
		"elapsed", now.Sub(p.start).Round(time.Second).String())
}
