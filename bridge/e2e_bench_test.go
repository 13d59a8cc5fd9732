package bridge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/scim"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// e2eUsers is how many users the end-to-end benchmarks load.
const e2eUsers = 100_000

// e2eFixture is a bridge with n users, as a bulk create leaves them, behind
// the SCIM HTTP handler.
type e2eFixture struct {
	rig     *bulkRig
	handler http.Handler
	ids     []string
	names   []string
	exts    []string
}

// loadE2E stores n users and their Absorb copies straight into the store,
// in transactions of a few thousand (the store is opened without fsync), and
// mounts the SCIM handler on the bridge. User i is load-<i>@example.com.
func loadE2E(b *testing.B, n int) *e2eFixture {
	b.Helper()
	start := time.Now()
	r := newBulkRig(b, unlimited())
	f := &e2eFixture{rig: r, ids: make([]string, n), names: make([]string, n), exts: make([]string, n)}
	now := time.Now().UTC()
	const batch = 5000
	for lo := 0; lo < n; lo += batch {
		err := r.store.Update(func(tx storage.Tx) error {
			for i := lo; i < min(lo+batch, n); i++ {
				name := fmt.Sprintf("load-%d@example.com", i)
				ext := fmt.Sprintf("ext-%d", i)
				doc := map[string]any{
					"schemas":    []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
					"userName":   name,
					"externalId": ext,
					"name":       map[string]any{"givenName": "Load", "familyName": fmt.Sprint("User", i)},
					"emails":     []any{map[string]any{"value": name, "type": "work", "primary": true}},
					"title":      "Tester",
					"active":     true,
				}
				raw, err := json.Marshal(doc)
				if err != nil {
					return err
				}
				id := fmt.Sprintf("%08x-0000-4000-8000-%012d", i*2654435761%(1<<32), i)
				absorbID := fmt.Sprintf("20000000-0000-4000-8000-%012d", i)
				f.ids[i], f.names[i], f.exts[i] = id, name, ext
				if err := tx.PutUser(storage.User{ID: id, AbsorbID: absorbID, UserName: name, ExternalID: ext,
					Emails: []string{name}, Active: true, Resource: raw, Created: now, LastModified: now, Version: 1}); err != nil {
					return err
				}
				account, err := json.Marshal(absorbapi.User{ID: absorbID, Username: name, FirstName: "Load",
					LastName: fmt.Sprint("User", i), EmailAddress: name, ExternalID: ext, JobTitle: "Tester",
					DepartmentID: fakeabsorb.DeptCompanyID, IsLearner: true, HasUsername: true})
				if err != nil {
					return err
				}
				if err := tx.PutAbsorbUser(storage.AbsorbUser{ID: absorbID, Username: name, ExternalID: ext, Raw: account}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("load users: %v", err)
		}
	}
	s, err := scim.New(scim.Options{BaseURL: "https://scim.example.com/scim/v2", Users: r.b, Groups: r.b, Bulk: r.b})
	if err != nil {
		b.Fatal(err)
	}
	f.handler = s
	b.Logf("loaded %d users in %s", n, time.Since(start).Round(time.Millisecond))
	return f
}

// serve runs one request through the handler and checks its status.
func (f *e2eFixture) serve(b *testing.B, method, target, body string, want int) {
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var req *http.Request
	if rd != nil {
		req = httptest.NewRequest(method, target, rd)
		req.Header.Set("Content-Type", "application/scim+json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, req)
	if w.Code != want {
		b.Fatalf("%s %s: status %d, want %d: %s", method, target, w.Code, want, w.Body)
	}
}

// BenchmarkHTTPUsers measures requests through the SCIM handler (routing,
// decoding, the use case, storage, rendering, JSON) with 100,000 users
// stored. Each iteration is one request; the users asked for are spread
// over the whole store.
func BenchmarkHTTPUsers(b *testing.B) {
	f := loadE2E(b, e2eUsers)
	pick := func(i int) int { return (i * 7919) % e2eUsers }
	b.Run("GetByID", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			f.serve(b, http.MethodGet, "/Users/"+f.ids[pick(i)], "", http.StatusOK)
		}
	})
	b.Run("FilterUserNameEq", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			q := url.QueryEscape(fmt.Sprintf("userName eq %q", f.names[pick(i)]))
			f.serve(b, http.MethodGet, "/Users?filter="+q, "", http.StatusOK)
		}
	})
	b.Run("FilterExternalIDEq", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			q := url.QueryEscape(fmt.Sprintf("externalId eq %q", f.exts[pick(i)]))
			f.serve(b, http.MethodGet, "/Users?filter="+q, "", http.StatusOK)
		}
	})
	// The PATCH writes Absorb (the fake, over loopback HTTP, unlimited) and
	// commits with the store's fsync off. Its users are 1,000 made through
	// Bulk, so that Absorb holds them.
	ops := make([]bridge.BulkOperation, 1000)
	for i := range ops {
		ops[i] = createOp(fmt.Sprintf("patch%d@example.com", i))
	}
	var ids []string
	for _, res := range f.rig.b.Bulk(context.Background(), ops, 0) {
		if res.Err != nil {
			b.Fatal(res.Err)
		}
		ids = append(ids, res.Resource.ID)
	}
	patchBody := func(i int64) string {
		return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],`+
			`"Operations":[{"op":"replace","path":"title","value":"Title %d"}]}`, i)
	}
	// One request at a time: each commit holds one PATCH.
	b.Run("PatchTitle", func(b *testing.B) {
		b.ReportAllocs()
		for i := int64(0); b.Loop(); i++ {
			f.serve(b, http.MethodPatch, "/Users/"+ids[i%int64(len(ids))], patchBody(i), http.StatusOK)
		}
	})
	// Sixteen requests at a time, as the load tool sends them: concurrent
	// PATCHes share commits (storage.Batch).
	b.Run("PatchTitleConcurrent", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(16 / runtime.GOMAXPROCS(0))
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				// Each user is patched by one request at a time, as in the
				// load tool; the bridge would serialise them anyway.
				i := next.Add(1)
				f.serve(b, http.MethodPatch, "/Users/"+ids[i%int64(len(ids))], patchBody(i), http.StatusOK)
			}
		})
	})
}

// BenchmarkGroupPatchOneMember compares adding or removing one member of a
// group of 20,000 members with the same change to a group of 2: a
// membership PATCH costs in proportion to the members it names, not to the
// group's size.
func BenchmarkGroupPatchOneMember(b *testing.B) {
	const big = 20_000
	f := loadE2E(b, big+3)
	ctx := context.Background()
	groupOf := func(name string, members []string) string {
		g, err := f.rig.b.CreateGroup(ctx, scimdoc.Document{
			"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": name})
		if err != nil {
			b.Fatal(err)
		}
		for lo := 0; lo < len(members); lo += 5000 {
			err := f.rig.store.Update(func(tx storage.Tx) error {
				for _, id := range members[lo:min(lo+5000, len(members))] {
					if _, err := tx.AddMember(g.ID, storage.Member{UserID: id}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		return g.ID
	}
	groups := []struct {
		name string
		id   string
	}{
		{"2members", groupOf("Small", f.ids[big:big+2])},
		{"20000members", groupOf("Big", f.ids[:big])},
	}
	mover := f.ids[big+2]
	add := scimdoc.Operation{Op: "add", Path: "members", Value: []any{map[string]any{"value": mover}}}
	remove := scimdoc.Operation{Op: "remove", Path: fmt.Sprintf("members[value eq %q]", mover)}
	for _, g := range groups {
		b.Run(g.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				op := add
				if i%2 == 1 {
					op = remove
				}
				if _, err := f.rig.b.PatchGroup(ctx, g.id, scimdoc.Precondition{}, []scimdoc.Operation{op}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBulkCreate measures creating users through Bridge.Bulk, 1,000
// per call (five uploads to the unlimited fake); ns/op is per call.
func BenchmarkBulkCreate(b *testing.B) {
	r := newBulkRig(b, unlimited())
	ctx := context.Background()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		ops := make([]bridge.BulkOperation, 1000)
		for i := range ops {
			ops[i] = createOp(fmt.Sprintf("bench%d@example.com", n))
			n++
		}
		for _, res := range r.b.Bulk(ctx, ops, 0) {
			if res.Err != nil {
				b.Fatal(res.Err)
			}
		}
	}
}

// BenchmarkSyncAfterBulk measures the first sync pass after 2,000 users
// were created through Bulk: every account reads back with the dates the
// upload answer lacked.
func BenchmarkSyncAfterBulk(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		r := newBulkRig(b, unlimited())
		ops := make([]bridge.BulkOperation, 2000)
		for i := range ops {
			ops[i] = createOp(fmt.Sprintf("sync%d@example.com", i))
		}
		for _, res := range r.b.Bulk(context.Background(), ops, 0) {
			if res.Err != nil {
				b.Fatal(res.Err)
			}
		}
		b.StartTimer()
		if err := r.b.SyncNow(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
