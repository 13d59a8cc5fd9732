package bridge_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// BenchmarkRulesAssignBigGroup measures a group of many members assigned
// at once, whose rule moves every member to another department, against
// the fake Absorb over HTTP at Absorb's rate limit (200 requests/s, burst
// 100, on the fake and on the bridge's client): the time from the group's
// create until the rules have caught up, and the upstream calls spent.
// "upload" sends the moves 200 users per POST /users/upload (the upload is
// known to update existing accounts); "put" sends one PUT per user, as
// where it is not known. Run with -benchtime=1x: each iteration sets up
// its own portal.
//
//	go test ./bridge -run XXX -bench RulesAssignBigGroup -benchtime 1x
func BenchmarkRulesAssignBigGroup(b *testing.B) {
	for _, bc := range []struct {
		method string
		users  int
	}{{"upload", 50000}, {"put", 2000}} {
		b.Run(fmt.Sprintf("%s/%d", bc.method, bc.users), func(b *testing.B) {
			known := ""
			if bc.method == "upload" {
				known = bridge.UploadUpdates
			}
			for range b.N {
				b.StopTimer()
				w := newWorld(b, withRules(moverRule), uploadBehaviour(known), func(c *worldConfig) {
					c.clientRate, c.clientBurst = 200, fakeabsorb.DefaultBurst
					c.fake = func(o *fakeabsorb.Options) {
						o.Variants.Upload = "update"
						// The wall clock: the world's clock stands still, and
						// every sync pass would read every edited account again.
						o.Now = nil
					}
				})
				ids := w.provision(bc.users)
				w.sync()
				synced := w.b.SyncStatus().LastSuccess
				w.run()
				w.warm()
				// Run starts with a sync pass, which reads the accounts just
				// provisioned again; the rules' calls are counted after it.
				for deadline := time.Now().Add(5 * time.Minute); !w.b.SyncStatus().LastSuccess.After(synced); {
					if time.Now().After(deadline) {
						b.Fatal("the first sync pass of Run did not finish")
					}
					time.Sleep(10 * time.Millisecond)
				}
				w.fake.SetRateLimit(200, fakeabsorb.DefaultBurst)
				w.resetCalls()
				start, cpu := time.Now(), processCPU()
				b.StartTimer()
				w.createGroup("Movers", ids...)
				w.waitRulesWithin(10 * time.Minute)
				b.StopTimer()
				elapsed, cpu := time.Since(start), processCPU()-cpu
				st := w.fake.Stats()
				if rs := w.b.RuleStats(); rs.DepartmentChanges != bc.users || rs.Pending != 0 {
					b.Fatalf("rule stats %+v, want %d changes and nothing pending", rs, bc.users)
				}
				b.Logf("%d users: upstream calls by route %v", bc.users, st.Requests)
				b.ReportMetric(float64(st.Total), "upstream-calls/op")
				b.ReportMetric(float64(st.Requests["POST /users/upload"]), "uploads/op")
				b.ReportMetric(float64(st.Requests["PUT /users/{id}"]), "puts/op")
				b.ReportMetric(float64(st.Throttled), "throttled/op")
				b.ReportMetric(float64(bc.users)/elapsed.Seconds(), "users/s")
				// The bridge and the fake Absorb share the process: this is
				// the CPU both spent, which a busy machine does not inflate
				// as it does the wall time.
				b.ReportMetric(cpu.Seconds(), "cpu-s/op")
			}
		})
	}
}
