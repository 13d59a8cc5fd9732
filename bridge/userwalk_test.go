package bridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// seedUsers stores n users straight into the store (no Absorb account), in
// random userName and family name order; every tenth is inactive. It
// returns their ids.
func seedUsers(t testing.TB, s storage.Store, n int) map[string]bool {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	perm := rng.Perm(n)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := make(map[string]bool, n)
	err := s.Update(func(tx storage.Tx) error {
		for i := range n {
			u := seededUser(fmt.Sprintf("seed-%06d", i), fmt.Sprintf("user%06d@example.com", perm[i]), i%10 != 9,
				t0.Add(time.Duration(perm[(i+7)%n])*time.Second))
			if err := tx.PutUser(u); err != nil {
				return err
			}
			ids[u.ID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return ids
}

func seededUser(id, userName string, active bool, modified time.Time) storage.User {
	doc := userDoc(userName, "Given", fmt.Sprintf("Family%x", modified.Unix()%97))
	doc["active"] = active
	res, _ := json.Marshal(doc)
	return storage.User{ID: id, UserName: userName, Emails: []string{userName}, Active: active,
		Resource: res, Created: modified, LastModified: modified}
}

// walkAll pages through q as Okta's import does, 100 at a time, and
// returns the ids in the order seen and the most index keys a page after
// the first read.
func walkAll(t *testing.T, w *world, q scimdoc.Query, during func(page int)) (ids []string, maxKeys uint64, total int) {
	t.Helper()
	q.Count = 100
	for start, page := 1, 0; ; start, page = start+100, page+1 {
		if during != nil {
			during(page)
		}
		q.StartIndex = start
		before := w.store.KeysScanned()
		p, err := w.b.ListUsers(context.Background(), q)
		if err != nil {
			t.Fatalf("page at %d: %v", start, err)
		}
		if page > 0 {
			// The first page may count totalResults in the index; the
			// count is kept until a user is written.
			maxKeys = max(maxKeys, w.store.KeysScanned()-before)
		}
		seen := map[string]bool{}
		for _, r := range p.Resources {
			if seen[r.ID] {
				t.Fatalf("page at %d holds %s twice", start, r.ID)
			}
			seen[r.ID] = true
			ids = append(ids, r.ID)
		}
		total = p.TotalResults
		if len(p.Resources) < 100 {
			return ids, maxKeys, total
		}
	}
}

func TestListUsersWalkReadsBoundedKeysPerPage(t *testing.T) {
	w := newWorld(t)
	const n = 3000
	ids := seedUsers(t, w.store, n)
	active := 0
	for id := range ids {
		var u storage.User
		_ = w.store.View(func(tx storage.Tx) (err error) { u, err = tx.User(id); return })
		if u.Active {
			active++
		}
	}
	tests := []struct {
		name      string
		q         scimdoc.Query
		want      int
		sorted    string
		maxPerKey uint64 // index keys a page of 100 may read
	}{
		{"in id order", scimdoc.Query{}, n, "", 100},
		{"active eq true", scimdoc.Query{Filter: parseFilter(t, "active eq true")}, active, "", 100},
		{"active eq \"True\", as Entra sends it", scimdoc.Query{Filter: parseFilter(t, `active eq "True"`)}, active, "", 100},
		{"sorted by userName", scimdoc.Query{SortBy: "userName"}, n, "userName", 100},
		{"sorted by userName descending", scimdoc.Query{SortBy: "userName", Descending: true}, n, "userName", 100},
		{"sorted by family name", scimdoc.Query{SortBy: "name.familyName"}, n, "name.familyName", 100},
		{"sorted by lastModified", scimdoc.Query{SortBy: "meta.lastModified"}, n, "meta.lastModified", 100},
		// Nine in ten match: a page reads about 111 keys, never all before it.
		{"active, sorted by userName", scimdoc.Query{Filter: parseFilter(t, "active eq true"), SortBy: "userName"}, active, "userName", 130},
		{"userName sw, in its order", scimdoc.Query{Filter: parseFilter(t, `userName sw "user001"`)}, 1000, "userName", 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, maxKeys, total := walkAll(t, w, tt.q, nil)
			if total != tt.want || len(got) != tt.want {
				t.Fatalf("walk gave %d users, totalResults %d; want %d", len(got), total, tt.want)
			}
			if maxKeys > tt.maxPerKey {
				t.Errorf("a page read %d index keys, want at most %d", maxKeys, tt.maxPerKey)
			}
			seen := map[string]bool{}
			for _, id := range got {
				if seen[id] {
					t.Fatalf("%s returned twice", id)
				}
				seen[id] = true
			}
			if tt.sorted != "" {
				checkSorted(t, w, got, tt.q.Filter, tt.sorted, tt.q.Descending)
			}
		})
	}

	// A page no walk led to still answers, counting from the start.
	p, err := w.b.ListUsers(context.Background(), scimdoc.Query{SortBy: "userName", StartIndex: 2001, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := str(p.Resources[0].Doc, "userName"), "user002000@example.com"; got != want {
		t.Errorf("startIndex 2001 by userName = %s, want %s", got, want)
	}
}

// checkSorted fails unless ids are in the order of sortBy, by
// scimdoc.Compare.
func checkSorted(t *testing.T, w *world, ids []string, f *scimdoc.Filter, sortBy string, desc bool) {
	t.Helper()
	p, err := w.b.ListUsers(context.Background(), scimdoc.Query{Filter: f, StartIndex: 1, Count: -1, SortBy: "id"})
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]scimdoc.Document{}
	for _, r := range p.Resources {
		docs[r.ID] = withMetaForTest(r)
	}
	for i := 1; i < len(ids); i++ {
		c := scimdoc.Compare(w.b.UserSchema(), docs[ids[i-1]], docs[ids[i]], sortBy)
		if (!desc && c > 0) || (desc && c < 0) {
			t.Fatalf("%s before %s breaks the order of %s", ids[i-1], ids[i], sortBy)
		}
	}
}

func TestListUsersWalkDuringCreatesAndDeletes(t *testing.T) {
	w := newWorld(t)
	stable := seedUsers(t, w.store, 1500)
	t0 := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, q := range []scimdoc.Query{
		{},
		{Filter: parseFilter(t, "active eq true")},
		{SortBy: "userName"},
		{SortBy: "meta.lastModified", Descending: true},
		{Filter: parseFilter(t, `name.familyName sw "family"`), SortBy: "name.familyName"},
	} {
		t.Run(fmt.Sprintf("%s by %s", q.Filter.String(), q.SortBy), func(t *testing.T) {
			// Between pages, users come and go, before and after the
			// walk's position; the seeded users stay.
			var churn []string
			during := func(page int) {
				err := w.store.Update(func(tx storage.Tx) error {
					for i := range 7 {
						id := fmt.Sprintf("churn-%s-%03d-%d", t.Name(), page, i)
						name := fmt.Sprintf("user%06d-%d@example.com", (page*131+i*977)%1500, page)
						if err := tx.PutUser(seededUser(id, name, true, t0.Add(time.Duration(page*10+i)*time.Second))); err != nil {
							return err
						}
						churn = append(churn, id)
					}
					for len(churn) > 10 {
						if err := tx.DeleteUser(churn[0]); err != nil {
							return err
						}
						churn = churn[1:]
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			got, _, _ := walkAll(t, w, q, during)
			seen := map[string]int{}
			for _, id := range got {
				seen[id]++
			}
			for id := range stable {
				var u storage.User
				_ = w.store.View(func(tx storage.Tx) (err error) { u, err = tx.User(id); return })
				if q.Filter != nil && !u.Active {
					continue
				}
				if seen[id] != 1 {
					t.Fatalf("a user present throughout was returned %d times", seen[id])
				}
			}
			_ = w.store.Update(func(tx storage.Tx) error {
				for _, id := range churn {
					_ = tx.DeleteUser(id)
				}
				return nil
			})
		})
	}
}

func TestListUsersRefusesAnUnboundedFilter(t *testing.T) {
	w := newWorld(t, func(c *worldConfig) { c.maxFilterScan = 500 })
	seedUsers(t, w.store, 1000)
	_, err := w.b.ListUsers(context.Background(), scimdoc.Query{Filter: parseFilter(t, `title eq "x"`), StartIndex: 1, Count: 10})
	e, ok := errors.AsType[*scimdoc.Error](err)
	if !ok || e.Status != 400 || e.ScimType != scimdoc.TypeTooMany {
		t.Fatalf("unindexed filter over 1000 users with a scan limit of 500: %v, want 400 tooMany", err)
	}
	// Narrowed by an index, the same condition is answered.
	p, err := w.b.ListUsers(context.Background(), scimdoc.Query{Filter: parseFilter(t, `userName sw "user0001" and title eq "x"`), StartIndex: 1, Count: 10})
	if err != nil || p.TotalResults != 0 {
		t.Fatalf("narrowed filter: %v, %d results", err, p.TotalResults)
	}
	p, err = w.b.ListUsers(context.Background(), scimdoc.Query{Filter: parseFilter(t, `name.givenName eq "given" and active eq false`), StartIndex: 1, Count: 1000})
	if err == nil {
		t.Fatalf("givenName eq matching every user and a rarer condition answered %d results; want 400 tooMany past 500 reads", p.TotalResults)
	}
}

// withMetaForTest is the document a filter and sortBy see: the resource with
// its id and meta.
func withMetaForTest(r scimdoc.Resource) scimdoc.Document {
	doc := scimdoc.Document{}
	for k, v := range r.Doc {
		doc[k] = v
	}
	doc["id"] = r.ID
	doc["meta"] = map[string]any{"lastModified": r.LastModified.UTC().Format(time.RFC3339Nano)}
	return doc
}
