// Package storetest is the contract of storage.Store, as one suite that
// every engine runs: what Bolt does, PostgreSQL must do too, down to error
// values, folding, orders and walk positions.
package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/storage"
)

// Open returns a new, empty store that the test closes when it ends.
type Open func(t *testing.T) storage.Store

// Run runs the whole contract against the stores open returns, one fresh
// store per subtest.
func Run(t *testing.T, open Open) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, storage.Store)
	}{
		{"UserRoundTrip", testUserRoundTrip},
		{"UserLookups", testUserLookups},
		{"UserConflicts", testUserConflicts},
		{"UserSwapsUserNames", testUserSwapsUserNames},
		{"UserReindexes", testUserReindexes},
		{"DeleteUser", testDeleteUser},
		{"ForEachUserPages", testForEachUserPages},
		{"UserTooLarge", testUserTooLarge},
		{"Prepared", testPrepared},
		{"WalkRanges", testWalkRanges},
		{"WalkPositionsSurviveWrites", testWalkPositionsSurviveWrites},
		{"WalkTiesSortByID", testWalkTiesSortByID},
		{"SkipAndCount", testSkipAndCount},
		{"UsersEpoch", testUsersEpoch},
		{"AbsorbMirror", testAbsorbMirror},
		{"AbsorbMirrorLinkedUsers", testAbsorbMirrorLinkedUsers},
		{"Groups", testGroups},
		{"Members", testMembers},
		{"Intents", testIntents},
		{"Holds", testHolds},
		{"Audit", testAudit},
		{"AuditPrune", testAuditPrune},
		{"CursorsAndRuleStates", testCursorsAndRuleStates},
		{"Transactions", testTransactions},
		{"ReadsInsideForEach", testReadsInsideForEach},
		{"ConcurrentBatch", testConcurrentBatch},
		{"ConcurrentUpdatesLoseNothing", testConcurrentUpdatesLoseNothing},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

func update(t *testing.T, s storage.Store, fn func(storage.Tx) error) {
	t.Helper()
	if err := s.Update(fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s storage.Store, fn func(storage.Tx) error) {
	t.Helper()
	if err := s.View(fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func putUsers(t *testing.T, s storage.Store, users ...storage.User) {
	t.Helper()
	update(t, s, func(tx storage.Tx) error {
		for _, u := range users {
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	})
}

func isNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }

// t0 is a time with nanoseconds, which both engines must keep.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)

func ids[T any](list []T, id func(T) string) []string {
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, id(x))
	}
	return out
}

func userIDs(users []storage.User) []string {
	return ids(users, func(u storage.User) string { return u.ID })
}

func groupIDs(groups []storage.Group) []string {
	return ids(groups, func(g storage.Group) string { return g.ID })
}

func nth(prefix string, i int) string { return fmt.Sprintf("%s%04d", prefix, i) }
