package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
)

// largestBulk is a /Bulk body as large as the limits allow: nearly
// bodyBytes of ops POST operations, each a user filled with short values
// (which cost the most memory per byte sent), at most bridge.MaxValues in
// each multi-valued attribute.
func largestBulk(t testing.TB, bodyBytes, ops, tag int) []byte {
	t.Helper()
	per := bodyBytes/ops - 64 // the operation's own members
	operations := make([]any, 0, ops)
	for i := range ops {
		name := fmt.Sprintf("mem-%d-%d@example.com", tag, i)
		user := map[string]any{
			"schemas":  []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": name,
			"name":     map[string]any{"givenName": "Mem", "familyName": fmt.Sprint("User", i)},
		}
		size := 200
		for _, attr := range []string{"emails", "phoneNumbers", "ims", "photos", "entitlements", "roles"} {
			var values []any
			for j := 0; j < bridge.MaxValues && size+40 < per; j++ {
				v := fmt.Sprintf("%d.%d@x.io", i, j)
				values = append(values, map[string]any{"value": v, "type": "work"})
				size += len(v) + 28
			}
			if values != nil {
				user[attr] = values
			}
		}
		operations = append(operations, map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint("b", i), "data": user})
	}
	body, err := json.Marshal(map[string]any{
		"schemas":    []any{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
		"Operations": operations,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > bodyBytes || len(body) < bodyBytes*9/10 {
		t.Fatalf("the bulk body is %d bytes, not just under the limit of %d", len(body), bodyBytes)
	}
	return body
}

// heapSampler records the most memory the Go runtime holds for the heap
// while it runs: what the container's memory limit sees of it.
type heapSampler struct {
	stop chan struct{}
	done chan uint64
}

func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}, {Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64() + s[2].Value.Uint64()
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan uint64, 1)}
	go func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		peak := heapInUse()
		for {
			select {
			case <-h.stop:
				h.done <- max(peak, heapInUse())
				return
			case <-tick.C:
				peak = max(peak, heapInUse())
			}
		}
	}()
	return h
}

func (h *heapSampler) peak() uint64 { close(h.stop); return <-h.done }

// burstHeapBound is the most heap a burst of the largest allowed requests
// may add to a running bridge with the default limits: the figure
// docs/deploy.md gives for sizing the container.
const burstHeapBound = 96 << 20

// BenchmarkBurstOfLargestRequests sends, to a real server with the default
// limits, several of the largest /Bulk requests the limits allow at once
// (limits.maxBulkBodyBytes of limits.bulkMaxOperations user creates) and
// measures the most heap the Go runtime held meanwhile, above what it held
// before. It fails when that passes burstHeapBound. It is a benchmark, not
// a test, because it sends tens of megabytes. BURST_IN_FLIGHT=<bytes> runs
// it with another limits.maxBodyBytesInFlight, to see what the budget saves.
func BenchmarkBurstOfLargestRequests(b *testing.B) {
	const parallel = 3
	var worst uint64
	for n := range b.N {
		b.StopTimer()
		fake := startFake(b)
		cfg := baseConfig(b, fake)
		if v, err := strconv.Atoi(os.Getenv("BURST_IN_FLIGHT")); err == nil { // to compare with another budget
			cfg["limits"] = map[string]any{"maxBodyBytesInFlight": v}
		}
		s := startServe(b, cfg)
		s.waitReady(b)
		bodies := make([][]byte, parallel)
		for i := range bodies {
			bodies[i] = largestBulk(b, 8<<20, 1000, n*parallel+i)
		}
		runtime.GC()
		base := heapInUse()
		// As a container's GOMEMLIMIT would (docs/deploy.md): the runtime
		// collects harder as the heap nears the bound, so what is measured
		// is the memory the requests hold, not garbage the collector was
		// allowed to leave.
		was := debug.SetMemoryLimit(int64(base + burstHeapBound))
		h := sampleHeap()
		b.StartTimer()
		var wg sync.WaitGroup
		for i := range parallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodPost, s.base+"/scim/v2/Bulk", bytes.NewReader(bodies[i]))
				req.Header.Set("Authorization", "Bearer "+oktaToken)
				req.Header.Set("Content-Type", "application/scim+json")
				resp, err := s.client.Do(req)
				if err != nil {
					b.Errorf("bulk %d: %v", i, err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("bulk %d: status %d", i, resp.StatusCode)
				}
			}()
		}
		wg.Wait()
		b.StopTimer()
		worst = max(worst, h.peak()-base)
		debug.SetMemoryLimit(was)
	}
	b.ReportMetric(float64(worst)/(1<<20), "MiB-heap-growth")
	if worst > burstHeapBound {
		b.Fatalf("a burst of %d of the largest bulk requests added %d MiB of heap, more than the %d MiB docs/deploy.md promises",
			parallel, worst>>20, burstHeapBound>>20)
	}
}
