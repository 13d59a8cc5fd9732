package scim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func sized(n int64) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/Bulk", strings.NewReader("x"))
	r.ContentLength = n
	return r
}

// The budget holds the declared bytes of large requests until they are
// released; small requests and requests without a body take nothing, and a
// request larger than the budget takes all of it.
func TestBodyBudget(t *testing.T) {
	ctx := context.Background()
	b := newBodyBudget(10 << 20)
	release, err := b.acquire(ctx, sized(8<<20), 8<<20)
	if err != nil {
		t.Fatal(err)
	}
	if b.sem.TryAcquire(3 << 20) {
		t.Fatal("3 MiB more fit beside 8 MiB in a budget of 10 MiB")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.acquire(canceled, sized(4<<20), 8<<20); err == nil {
		t.Fatal("a request that does not fit did not wait")
	}
	small, err := b.acquire(canceled, sized(smallBody), 8<<20)
	if err != nil {
		t.Fatalf("a small request waited: %v", err)
	}
	small()
	release()
	// Unknown length: the endpoint's limit, at most the whole budget.
	r := sized(-1)
	all, err := b.acquire(ctx, r, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	if b.sem.TryAcquire(1) {
		t.Fatal("a request of unknown length beyond the budget left room")
	}
	all()
	if !b.sem.TryAcquire(10 << 20) {
		t.Fatal("the budget was not given back")
	}
}

// Requests above the budget still run, one at a time, over real HTTP.
func TestLargeRequestBeyondTheBudgetRuns(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxBodyBytesInFlight = 100 << 10; o.MaxBodyBytes = 1 << 20 })
	body := `{"userName":"big","title":"` + strings.Repeat("t", 200<<10) + `"}`
	expect(t, e.do(t, http.MethodPost, "/Users", body), http.StatusCreated)
}
