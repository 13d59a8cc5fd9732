package bridge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/storage"
)

// pageFeeder is an Absorb whose ScanUsers hands out a portal's accounts in
// pages of 1,000 at once: each page is JSON as Absorb sends it, decoded as
// the client decodes it, so what a benchmark measures is the bridge's own
// work on a page, not the time Absorb takes to send it. The bridge's first
// full sync calls nothing else.
type pageFeeder struct {
	bridge.Absorb // nil: any other call panics
	pages         [][]byte
}

func (f *pageFeeder) ScanUsers(ctx context.Context, filter string, fn func(absorbapi.User) error) error {
	for _, p := range f.pages {
		var env struct{ Users []absorbapi.User }
		if err := json.Unmarshal(p, &env); err != nil {
			return err
		}
		for _, u := range env.Users {
			if err := fn(u); err != nil {
				return err
			}
		}
	}
	return nil
}

// portalPages makes n accounts of a portal, in the order a scan reads them
// (dateEdited, then username), as pages of 1,000 in Absorb's envelope. A
// real portal's accounts were edited in no order of their usernames or
// externalIds, so these are shuffled against the scan's order: in order, the
// local copy's indexes of both would take each page's keys at their end,
// which a real portal never does.
func portalPages(tb testing.TB, n int) [][]byte {
	tb.Helper()
	edited := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(19, 1000))
	nameOf, extOf := r.Perm(n), r.Perm(n)
	var pages [][]byte
	for lo := 0; lo < n; lo += 1000 {
		var users []absorbapi.User
		for i := lo; i < min(lo+1000, n); i++ {
			name := fmt.Sprintf("learner%07d@example.com", nameOf[i])
			users = append(users, absorbapi.User{
				ID:           fmt.Sprintf("%08x-5e1f-4c2a-9d3b-%012d", uint32(i)*2654435761, i),
				DepartmentID: fakeabsorb.DeptCompanyID, FirstName: "Pat", LastName: fmt.Sprint("Learner", i),
				Username: name, EmailAddress: name, ExternalID: fmt.Sprintf("emp-%07d", extOf[i]),
				JobTitle: "Associate", IsLearner: true, HasUsername: true,
				DateAdded:  edited.Add(time.Duration(i) * time.Second).Format(time.RFC3339),
				DateEdited: edited.Add(time.Duration(i) * time.Second).Format(time.RFC3339),
			})
		}
		page, err := json.Marshal(map[string]any{"totalItems": n, "returnedItems": len(users), "limit": 1000, "offset": 0, "users": users})
		if err != nil {
			tb.Fatal(err)
		}
		pages = append(pages, page)
	}
	return pages
}

// BenchmarkInitialMirror measures the first full sync of a portal of
// 100,000 accounts (ABSORB_SCIM_BENCH_MIRROR_ACCOUNTS sets another number)
// into an empty bridge (its store written with fsync, as serve writes it),
// pages handed over at once: the bridge's side of the initial mirror. It
// reports accounts a second, the CPU time the process spent per account (on
// a machine other programs share, elapsed time also counts their turns and
// their use of the disk), the sync's peak live heap and the data file's
// size after it.
func BenchmarkInitialMirror(b *testing.B) {
	n := 100_000
	if s := os.Getenv("ABSORB_SCIM_BENCH_MIRROR_ACCOUNTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("ABSORB_SCIM_BENCH_MIRROR_ACCOUNTS=%q: want a positive number of accounts", s)
		}
		n = v
	}
	feeder := &pageFeeder{pages: portalPages(b, n)}
	mc := mapping.Default()
	mc.DefaultDepartment = "Company"
	m, err := mapping.New(mc)
	if err != nil {
		b.Fatal(err)
	}
	var elapsed, cpu time.Duration
	var peakHeap uint64
	var fileSize int64
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "absorb-scim.db")
		store, err := storage.Open(path, storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		br, err := bridge.New(bridge.Config{Absorb: feeder, Store: store, Mapper: m, SyncInterval: time.Hour,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		base := liveHeapBytes()
		stopSampling := sampleHeap(func(v uint64) { peakHeap = max(peakHeap, v-min(v, base)) })
		b.StartTimer()
		start, startCPU := time.Now(), processCPU()
		if err := br.SyncNow(context.Background()); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		cpu += processCPU() - startCPU
		b.StopTimer()
		stopSampling()
		var mirrored int
		_ = store.View(func(tx storage.Tx) error { mirrored = tx.CountAbsorbUsers(); return nil })
		if mirrored != n {
			b.Fatalf("mirrored %d accounts, want %d", mirrored, n)
		}
		if err := store.Close(); err != nil {
			b.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		fileSize = st.Size()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "accounts/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n*b.N), "cpu-µs/account")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-live-heap-MiB")
	b.ReportMetric(float64(fileSize)/(1<<20), "file-MiB")
}

// liveHeapBytes is the Go heap's live bytes as the last collection marked
// them. The benchmark holds the portal's pages, so the collector lets as much
// garbage again pile up before it runs; bytes in objects would count that
// garbage, which a process without the pages (or with GOMEMLIMIT) collects
// sooner, while live bytes are what the sync itself keeps.
func liveHeapBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// sampleHeap calls fn with liveHeapBytes every 20 ms until the function it
// returns is called, which waits for the last call to return. The peak of a
// sync's live heap above what the benchmark itself holds (the portal's pages)
// is the bridge's.
func sampleHeap(fn func(uint64)) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			fn(liveHeapBytes())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-stopped }
}
