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

// Writing the local copy after the scan is logged every interval, and when
// the last copy is written.
func TestFullSyncProgressLogsCopiesWritten(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := &Bridge{log: slog.New(slog.NewTextHandler(&buf, nil)), now: func() time.Time { return clock }}
	p := newFullSyncProgress(context.Background(), b)
	for written := 1000; written <= 5000; written += 1000 {
		clock = clock.Add(4 * time.Second)
		p.copiesWritten(written, 5000)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")[1:]
	// At 12s (3,000 written: 10s since the start) and at the last copy.
	if len(lines) != 2 {
		t.Fatalf("log lines:\n%s\nwant two about the copies", buf.String())
	}
	for i, want := range []string{"written=3000 of=5000 elapsed=12s", "written=5000 of=5000 elapsed=20s"} {
		if !strings.Contains(lines[i], "writing the local copy") || !strings.Contains(lines[i], want) {
			t.Errorf("line %q, want %q", lines[i], want)
		}
	}
}
