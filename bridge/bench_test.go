package bridge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// benchUsers is how many users the read benchmarks load.
const benchUsers = 10000

// loadUsers stores n provisioned users, as CreateUser leaves them, straight
// into the world's store, and returns their SCIM ids; user i is named
// user<i>@example.com.
func loadUsers(tb testing.TB, w *world, n int) []string {
	tb.Helper()
	ids := make([]string, n)
	now := time.Now()
	err := w.store.Update(func(tx storage.Tx) error {
		for i := range n {
			name := fmt.Sprintf("user%d@example.com", i)
			doc := userDoc(name, "Given", fmt.Sprint("Family", i))
			doc["externalId"] = fmt.Sprint("ext-", i)
			raw, err := json.Marshal(doc)
			if err != nil {
				return err
			}
			ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
			err = tx.PutUser(storage.User{
				ID: ids[i], AbsorbID: fmt.Sprintf("10000000-0000-4000-8000-%012d", i), UserName: name,
				ExternalID: fmt.Sprint("ext-", i), Emails: []string{name}, Active: true,
				Resource: raw, Created: now, LastModified: now, Version: 1,
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("load users: %v", err)
	}
	return ids
}

func BenchmarkGetUser(b *testing.B) {
	w := newWorld(b)
	ids := loadUsers(b, w, benchUsers)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		res, err := w.b.GetUser(ctx, ids[i%len(ids)])
		if err != nil || res.ID == "" {
			b.Fatalf("GetUser: %v", err)
		}
	}
}

func BenchmarkListUsersUserNameEq(b *testing.B) {
	w := newWorld(b)
	loadUsers(b, w, benchUsers)
	w.sync() // a local miss would otherwise ask Absorb
	filters := make([]*scimdoc.Filter, 1000)
	for i := range filters {
		filters[i] = parseFilter(b, fmt.Sprintf(`userName eq "USER%d@example.com"`, i*(benchUsers/len(filters))))
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		page, err := w.b.ListUsers(ctx, scimdoc.Query{Filter: filters[i%len(filters)], StartIndex: 1, Count: 100})
		if err != nil || page.TotalResults != 1 {
			b.Fatalf("ListUsers: %d results, %v", page.TotalResults, err)
		}
	}
}

// BenchmarkListUsersWalk pages through every user 100 at a time, as Okta's
// import does, with the walk's sortBy or filter; one op is one page. With
// the cursors a page's cost does not grow with the number of users: compare
// the users=1000 and users=30000 results.
func BenchmarkListUsersWalk(b *testing.B) {
	for _, n := range []int{1000, 30000} {
		w := newWorld(b)
		loadUsers(b, w, n)
		for _, q := range []struct {
			name string
			q    scimdoc.Query
		}{
			{"id", scimdoc.Query{}},
			{"active", scimdoc.Query{Filter: parseFilter(b, "active eq true")}},
			{"userName", scimdoc.Query{SortBy: "userName"}},
			{"familyName", scimdoc.Query{SortBy: "name.familyName"}},
		} {
			b.Run(fmt.Sprintf("users=%d/%s", n, q.name), func(b *testing.B) {
				ctx := context.Background()
				query := q.q
				query.Count = 100
				start := 1
				b.ReportAllocs()
				for b.Loop() {
					query.StartIndex = start
					page, err := w.b.ListUsers(ctx, query)
					if err != nil || page.TotalResults != n {
						b.Fatalf("ListUsers at %d: %d results, %v", start, page.TotalResults, err)
					}
					if start += 100; start > n {
						start = 1
					}
				}
			})
		}
	}
}
