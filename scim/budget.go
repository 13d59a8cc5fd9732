package scim

import (
	"context"
	"net/http"

	"golang.org/x/sync/semaphore"
)

// DefaultMaxBodyBytesInFlight is the zero value of
// Options.MaxBodyBytesInFlight: one bulk request of the default size.
const DefaultMaxBodyBytesInFlight = DefaultMaxBulkBodyBytes

// smallBody is the declared size up to which a request does not wait for
// the body budget: IdP traffic is nearly all far smaller, and a PATCH of a
// few hundred bytes never waits behind a bulk load.
const smallBody = 64 << 10

// bodyBudget bounds the bytes of large request bodies being read and
// processed at once. Decoding and processing a request costs memory in
// proportion to its body (a bulk request most of all), so bounding the
// bytes in flight bounds the memory a burst of the largest allowed
// requests takes: past the budget, a request waits until earlier ones are
// done.
type bodyBudget struct {
	sem   *semaphore.Weighted
	total int64
}

func newBodyBudget(total int64) *bodyBudget {
	return &bodyBudget{sem: semaphore.NewWeighted(total), total: total}
}

// acquire takes r's share of the budget: its declared length, or limit
// when it declares none, at most the whole budget. A small request takes
// nothing. It returns the function that gives the share back, or ctx's
// error when the request ends while it waits.
func (b *bodyBudget) acquire(ctx context.Context, r *http.Request, limit int64) (func(), error) {
	if r.Body == nil || r.Body == http.NoBody {
		return func() {}, nil
	}
	n := r.ContentLength
	if n < 0 {
		n = limit
	}
	n = min(n, limit, b.total)
	if n <= smallBody {
		return func() {}, nil
	}
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, err
	}
	return func() { b.sem.Release(n) }, nil
}
