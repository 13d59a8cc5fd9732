package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/storage"
)

func testTransactions(t *testing.T, s storage.Store) {
	boom := errors.New("boom")
	err := s.Update(func(tx storage.Tx) error {
		if !tx.Writable() {
			t.Error("Update's Tx is not writable")
		}
		if err := tx.PutUser(storage.User{ID: "u1", UserName: "ann"}); err != nil {
			return err
		}
		if _, err := tx.AppendAudit(storage.AuditRecord{Operation: "x"}); err != nil {
			return err
		}
		// The transaction sees its own writes.
		if _, err := tx.UserByUserName("ANN"); err != nil {
			t.Errorf("own write not seen: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Update returned %v, want fn's error", err)
	}
	if c := s.Stats(); c.Users != 0 {
		t.Errorf("a failed Update left %d users", c.Users)
	}
	if got := auditSeqs(t, s, false, 0); len(got) != 0 {
		t.Errorf("a failed Update left audit records %v", got)
	}
	err = s.View(func(tx storage.Tx) error {
		if tx.Writable() {
			t.Error("View's Tx is writable")
		}
		if err := tx.PutUser(storage.User{ID: "u1", UserName: "ann"}); err == nil {
			t.Error("PutUser in a View succeeded")
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("View returned %v, want fn's error", err)
	}
	if c := s.Stats(); c.Users != 0 {
		t.Errorf("a View wrote %d users", c.Users)
	}
}

// Functions given to ForEach methods may read through the same Tx.
func testReadsInsideForEach(t *testing.T, s storage.Store) {
	update(t, s, func(tx storage.Tx) error {
		for i := range 300 {
			if err := tx.PutUser(storage.User{ID: nth("u", i), UserName: nth("n", i)}); err != nil {
				return err
			}
		}
		for i := range 3 {
			g := nth("g", i)
			if err := tx.PutGroup(storage.Group{ID: g, DisplayName: g}); err != nil {
				return err
			}
			for j := range 280 {
				if _, err := tx.AddMember(g, storage.Member{UserID: nth("u", j)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	members, users := 0, 0
	view(t, s, func(tx storage.Tx) error {
		err := tx.ForEachGroup("", func(g storage.Group) (bool, error) {
			return true, tx.ForEachMember(g.ID, func(m storage.Member) (bool, error) {
				if _, err := tx.User(m.UserID); err != nil {
					return false, err
				}
				members++
				return true, nil
			})
		})
		if err != nil {
			return err
		}
		return tx.ScanUsers(storage.UserRange{Index: storage.ByUserName}, false, nil, func(_ []byte, id string) (bool, error) {
			g, err := tx.GroupsOfUser(id)
			if err == nil {
				users++
				if i, _ := strconv.Atoi(id[1:]); (i < 280) != (len(g) == 3) {
					t.Errorf("GroupsOfUser(%s) = %v", id, g)
				}
			}
			return true, err
		})
	})
	if members != 3*280 || users != 300 {
		t.Errorf("read %d members and %d users, want %d and 300", members, users, 3*280)
	}
	// Long walks both ways, over more keys than one query of any engine
	// reads.
	for _, desc := range []bool{false, true} {
		got, _ := scanIDs(t, s, storage.UserRange{Index: storage.ByUserName, Kind: storage.RangePrefix, Value: "N"}, desc, nil)
		var want []string
		for i := range 300 {
			want = append(want, nth("u", i))
		}
		if desc {
			slices.Reverse(want)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("walk of 300 users, desc %v (-want +got):\n%s", desc, diff)
		}
	}
}

// Many writers at once, through Batch: nothing lost, counts exact.
func testConcurrentBatch(t *testing.T, s storage.Store) {
	update(t, s, func(tx storage.Tx) error { return tx.PutGroup(storage.Group{ID: "g", DisplayName: "all"}) })
	const writers = 24
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			id := nth("u", i)
			errs <- s.Batch(func(tx storage.Tx) error {
				if err := tx.PutUser(storage.User{ID: id, UserName: "name-" + id, Emails: []string{"same@x.org"}, Active: true}); err != nil {
					return err
				}
				if _, err := tx.AddMember("g", storage.Member{UserID: id}); err != nil {
					return err
				}
				_, err := tx.AppendAudit(storage.AuditRecord{Operation: "create", ResourceID: id})
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Batch: %v", err)
		}
	}
	if c := s.Stats(); c.Users != writers || c.Memberships != writers {
		t.Errorf("Stats = %+v, want %d users and memberships", c, writers)
	}
	view(t, s, func(tx storage.Tx) error {
		g, err := tx.Group("g")
		if err != nil || g.MemberCount != writers {
			t.Errorf("MemberCount = %d, %v; want %d", g.MemberCount, err, writers)
		}
		users, err := tx.UsersByEmail("same@x.org")
		if err != nil || len(users) != writers {
			t.Errorf("UsersByEmail = %d users, %v; want %d", len(users), err, writers)
		}
		n, _, err := tx.CountUserRange(storage.UserRange{Index: storage.ByActive, Kind: storage.RangeEqual, Active: true}, 100)
		if err != nil || n != writers {
			t.Errorf("active users = %d, %v; want %d", n, err, writers)
		}
		return nil
	})
	seen := map[uint64]bool{}
	for _, seq := range auditSeqs(t, s, false, 0) {
		if seen[seq] {
			t.Errorf("audit number %d given twice", seq)
		}
		seen[seq] = true
	}
	if len(seen) != writers {
		t.Errorf("%d audit records, want %d", len(seen), writers)
	}
	if st := s.BatchStats(); st.Writes < writers || st.Commits < 1 {
		t.Errorf("BatchStats = %+v, want at least %d writes", st, writers)
	}
}

// Read-modify-write from many goroutines: each sees the state the previous
// one committed, as if they ran one after another, and the same userName
// is taken by exactly one of those racing for it.
func testConcurrentUpdatesLoseNothing(t *testing.T, s storage.Store) {
	update(t, s, func(tx storage.Tx) error {
		if err := tx.PutCursor("n", "0"); err != nil {
			return err
		}
		return tx.PutGroup(storage.Group{ID: "g", DisplayName: "g"})
	})
	const writers = 16
	var wg sync.WaitGroup
	conflicts := make(chan string, writers)
	for i := range writers {
		wg.Go(func() {
			err := s.Update(func(tx storage.Tx) error {
				v, err := tx.Cursor("n")
				if err != nil {
					return err
				}
				n, _ := strconv.Atoi(v)
				return tx.PutCursor("n", strconv.Itoa(n+1))
			})
			if err != nil {
				t.Errorf("increment: %v", err)
			}
			id := fmt.Sprintf("racer%02d", i)
			err = s.Update(func(tx storage.Tx) error {
				if err := tx.PutUser(storage.User{ID: id, UserName: "Taken"}); err != nil {
					return err
				}
				_, err := tx.AddMember("g", storage.Member{UserID: id})
				return err
			})
			var ce *storage.ConflictError
			switch {
			case errors.As(err, &ce):
				conflicts <- ce.ExistingID
			case err != nil:
				t.Errorf("racing PutUser: %v", err)
			}
		})
	}
	wg.Wait()
	close(conflicts)
	view(t, s, func(tx storage.Tx) error {
		if v, _ := tx.Cursor("n"); v != strconv.Itoa(writers) {
			t.Errorf("counter = %s after %d increments", v, writers)
		}
		winner, err := tx.UserByUserName("taken")
		if err != nil {
			return err
		}
		var holders []string
		for id := range conflicts {
			holders = append(holders, id)
		}
		if len(holders) != writers-1 {
			t.Errorf("%d writers saw a conflict, want %d", len(holders), writers-1)
		}
		for _, h := range holders {
			if h != winner.ID {
				t.Errorf("conflict names %s, but %s holds the userName", h, winner.ID)
			}
		}
		g, _ := tx.Group("g")
		var members []string
		_ = tx.ForEachMember("g", func(m storage.Member) (bool, error) {
			members = append(members, m.UserID)
			return true, nil
		})
		if g.MemberCount != 1 || !cmp.Equal(members, []string{winner.ID}) {
			t.Errorf("group holds %v (count %d), want only the winner %s", members, g.MemberCount, winner.ID)
		}
		return nil
	})
	if c := s.Stats(); c.Users != 1 {
		t.Errorf("Stats().Users = %d, want 1", c.Users)
	}
}
