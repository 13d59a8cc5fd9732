package main

import (
	"context"
	"errors"

	"github.com/absorb-scim/absorb-scim/storage"
)

// placeholder until storage/postgres is on this branch
func openPostgres(ctx context.Context, url string) (storage.Store, error) {
	return nil, errors.New("postgres: not built")
}

func probePostgres(ctx context.Context, url string, st storeStatus) storeStatus {
	st.Err = errors.New("postgres: not built")
	return st
}
