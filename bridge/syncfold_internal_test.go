package bridge

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/absorb-scim/absorb-scim/absorbapi"
)

// TestFoldingKeepsOrderAndStopsAtAnError: batches are folded in the order
// they were sent, and once one fails, nothing after it is folded and both
// send and close report the error instead of blocking.
func TestFoldingKeepsOrderAndStopsAtAnError(t *testing.T) {
	batch := func(n int) *preparing {
		return &preparing{accounts: []pendingAccount{{u: absorbapi.User{ID: fmt.Sprint(n)}}}}
	}
	t.Run("in order", func(t *testing.T) {
		var got []string
		f := startFolding(func(b []pendingAccount) error {
			got = append(got, b[0].u.ID)
			return nil
		})
		for n := range 20 {
			if err := f.send(batch(n)); err != nil {
				t.Fatalf("send %d: %v", n, err)
			}
		}
		if err := f.close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		var want []string
		for n := range 20 {
			want = append(want, fmt.Sprint(n))
		}
		if !slices.Equal(got, want) { // got is read after close, which waits for the folder
			t.Errorf("folded %v, want %v", got, want)
		}
	})
	t.Run("an error stops it", func(t *testing.T) {
		failed := errors.New("disk full")
		var got []string
		f := startFolding(func(b []pendingAccount) error {
			got = append(got, b[0].u.ID)
			if b[0].u.ID == "2" {
				return failed
			}
			return nil
		})
		var sendErr error
		for n := 0; n < 100 && sendErr == nil; n++ {
			sendErr = f.send(batch(n))
		}
		if !errors.Is(sendErr, failed) {
			t.Errorf("send after the failure: %v, want %v", sendErr, failed)
		}
		if err := f.close(); !errors.Is(err, failed) {
			t.Errorf("close: %v, want %v", err, failed)
		}
		if !slices.Equal(got, []string{"0", "1", "2"}) {
			t.Errorf("folded %v, want [0 1 2]", got)
		}
	})
}
