package fakeabsorb

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// BenchmarkListUsersPage is one page of a sync pass over 20,000 accounts,
// sorted by id: "all" with a dateEdited filter that matches them all (the
// pass after a bulk load; the documents of the page alone are built), and
// "none" with one that matches none (a poll that finds nothing new);
// "byName" is "all" sorted by firstName (the same for every account, in
// mixed case), then lastName descending.
func BenchmarkListUsersPage(b *testing.B) {
	s, err := New(Options{RateLimit: -1, RandSeed: 1})
	if err != nil {
		b.Fatal(err)
	}
	since := time.Now().UTC().Add(-time.Hour)
	s.mu.Lock()
	for i := range 20_000 {
		name := fmt.Sprintf("bench%d@example.com", i)
		err := s.st.putUser(&User{ID: newGUID(), DepartmentID: DeptSalesID, FirstName: "Bench", LastName: fmt.Sprint(i),
			Username: name, EmailAddress: name, DateAdded: since, DateEdited: since.Add(time.Minute),
			ActiveStatus: 0, IsLearner: true, HasUsername: true})
		if err != nil {
			b.Fatal(err)
		}
	}
	s.mu.Unlock()
	ts := httptest.NewServer(s)
	b.Cleanup(ts.Close)
	login, _ := json.Marshal(map[string]string{"username": BridgeAdminUsername, "password": AdminPassword, "privateKey": PrivateKey})
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/authenticate", strings.NewReader(string(login)))
	req.Header.Set("x-api-key", PrivateKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var tok string
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	for _, tc := range []struct {
		name  string
		since time.Time
		sort  string
		total int
	}{{"all", since, "id", 20_000}, {"none", since.Add(2 * time.Minute), "id", 0}, {"byName", since, "firstName,-lastName", 20_000}} {
		q := url.Values{
			"_filter": {fmt.Sprintf("dateEdited ge datetime'%s'", tc.since.Format(time.RFC3339))},
			"_sort":   {tc.sort}, "_limit": {"1000"}, "_offset": {"5"},
		}
		target := ts.URL + "/users?" + q.Encode()
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, target, nil)
				req.Header.Set("x-api-key", PrivateKey)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var page struct {
					TotalItems int `json:"totalItems"`
				}
				err = json.NewDecoder(resp.Body).Decode(&page)
				resp.Body.Close()
				if err != nil || page.TotalItems != tc.total {
					b.Fatalf("page: %v, %d items, want %d", err, page.TotalItems, tc.total)
				}
			}
		})
	}
}
