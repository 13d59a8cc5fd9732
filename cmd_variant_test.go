package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// TestVariantFlagRefusesUnknown: an unknown behaviour or value stops
// fake-absorb and demo before they listen, with one line naming it.
func TestVariantFlagRefusesUnknown(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"fake-absorb", "-listen", "127.0.0.1:0", "-variant", "sort=bogus"}, "-variant: bad variant sort=bogus: sort is any or limited"},
		{[]string{"fake-absorb", "-listen", "127.0.0.1:0", "-variant", "colour=red"}, `unknown behaviour "colour"`},
		{[]string{"demo", "-listen", "127.0.0.1:0", "-absorb-variant", "put=patch"}, "-absorb-variant: bad variant put=patch: put is replace or merge"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			err := run(context.Background(), tt.args, func(string) string { return "" }, io.Discard, io.Discard)
			if !errors.Is(err, fakeabsorb.ErrBadVariants) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("run = %v, want one line saying %q", err, tt.want)
			}
		})
	}
}
