package bridge

import (
	"slices"
	"testing"

	"github.com/absorb-scim/absorb-scim/storage/dump"
)

// TestDumpCopiesTheSyncCursors guards the copy of a store whose
// transactions cannot list their cursors: the dump copies them by name.
func TestDumpCopiesTheSyncCursors(t *testing.T) {
	for _, name := range []string{cursorFullSync, cursorSince} {
		if !slices.Contains(dump.KnownCursors(), name) {
			t.Errorf("cursor %q is not in dump.KnownCursors() %q: a copy of a PostgreSQL store would lose it", name, dump.KnownCursors())
		}
	}
}
