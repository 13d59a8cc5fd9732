package fakeabsorb

import (
	"net/http"
	"sync"
	"testing"
)

func TestConcurrentCreatesOfOneUsername(t *testing.T) {
	f := setup(t, Options{})
	tok := f.login(BridgeAdminUsername)
	const n = 16
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := f.request("POST", "/users", newUser("racer", DeptSalesID))
			req.Header.Set("x-api-key", PrivateKey)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
			// Readers run beside the writers.
			r2, err := http.DefaultClient.Do(func() *http.Request {
				r := f.request("GET", "/users?_filter=username%20eq%20'racer'", nil)
				r.Header.Set("x-api-key", PrivateKey)
				r.Header.Set("Authorization", tok)
				return r
			}())
			if err == nil {
				r2.Body.Close()
			}
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusUnprocessableEntity:
		default:
			t.Errorf("unexpected status %d", s)
		}
	}
	if created != 1 {
		t.Errorf("created %d users named racer, want exactly 1", created)
	}
}
