package bridge

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestFullSyncProgressLogsCountsAndEstimate(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := &Bridge{
		log:        slog.New(slog.NewTextHandler(&buf, nil)),
		now:        func() time.Time { return clock },
		countUsers: func(context.Context) (int, error) { return 400, nil },
	}
	p := newFullSyncProgress(context.Background(), b)
	for range 100 {
		clock = clock.Add(100 * time.Millisecond)
		p.accountRead()
	}
	// 100 accounts in 10s: one line, 300 left at 100ms each.
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log lines:\n%s\nwant the start line and one progress line", buf.String())
	}
	if !strings.Contains(lines[0], "full sync with Absorb started") || !strings.Contains(lines[0], "accounts=400") {
		t.Errorf("start line %q", lines[0])
	}
	for _, want := range []string{"read=100", "of=400", "elapsed=10s", "estimatedLeft=30s"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("progress line %q lacks %s", lines[1], want)
		}
	}
	for range 10 {
		p.accountRead() // the clock stands still: nothing more to say
	}
	if n := strings.Count(buf.String(), "in progress"); n != 1 {
		t.Errorf("%d progress lines within one interval, want 1", n)
	}
}
