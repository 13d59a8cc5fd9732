package fakeabsorb

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// BenchmarkLoadAccounts loads 100,000 users through the handler of POST
// /users/upload, 200 a batch as the bridge sends them, and reports the live
// heap the accounts take once loaded: objects and MiB in use after a
// collection, less those of a freshly seeded server, and the time of one
// forced collection with them loaded. Every GC cycle of a process holding the
// fake marks what these count. ns/op is the load.
func BenchmarkLoadAccounts(b *testing.B) {
	const n = 100_000
	bodies := make([][]byte, 0, n/maxUpload)
	for batch := range n / maxUpload {
		elems := make([]map[string]any, maxUpload)
		for j := range elems {
			i := batch*maxUpload + j
			name := fmt.Sprintf("load.user%d@example.com", i)
			elems[j] = map[string]any{
				"username": name, "emailAddress": name, "password": "Load#User2024",
				"firstName": "Load", "lastName": fmt.Sprintf("User%d", i), "externalId": fmt.Sprintf("ext-%07d", i),
				"jobTitle": "Tester", "departmentId": DeptEngineeringID,
				"activeStatus": 0, "isLearner": true, "hasUsername": true,
			}
		}
		body, err := json.Marshal(elems)
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, body)
	}
	var objects, bytes uint64
	var gc time.Duration
	for b.Loop() {
		b.StopTimer()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s, err := New(Options{RateLimit: -1, RandSeed: 1})
		if err != nil {
			b.Fatal(err)
		}
		c := &call{r: httptest.NewRequest("POST", "/users/upload", nil), who: caller{userID: UserBridgeAdminID},
			now: time.Date(2025, time.June, 2, 8, 30, 0, 0, time.UTC)}
		b.StartTimer()
		s.mu.Lock()
		for _, body := range bodies {
			c.body = body
			if r := s.uploadUsers(c); r.status != 200 || len(r.body.(keyValues)) != maxUpload {
				b.Fatalf("upload: %d %v", r.status, r.body)
			}
		}
		s.mu.Unlock()
		b.StopTimer()
		runtime.GC()
		start := time.Now()
		runtime.GC()
		gc = time.Since(start)
		runtime.ReadMemStats(&after)
		if got := len(s.Users()); got != n+7 {
			b.Fatalf("%d users, want %d", got, n+7)
		}
		objects, bytes = after.HeapObjects-before.HeapObjects, after.HeapAlloc-before.HeapAlloc
		b.StartTimer()
	}
	b.ReportMetric(float64(objects), "live-objects")
	b.ReportMetric(float64(bytes)/(1<<20), "live-MiB")
	b.ReportMetric(float64(gc.Microseconds())/1000, "gc-ms")
}
