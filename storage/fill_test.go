package storage

import (
	"fmt"
	"math/rand/v2"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestPagesOfOrderedKeysStayFull: a bulk load whose usernames and ids
// arrive in order leaves the pages of those buckets nearly full, not half
// empty as bbolt's default fill would.
func TestPagesOfOrderedKeysStayFull(t *testing.T) {
	s := openTest(t)
	// Two thousand keys are dozens of leaf pages in each bucket, enough for
	// the fill to settle: a load ten times larger fills them the same to
	// within a percent, and bbolt's default split fails this test alike.
	const n, perTx = 2_000, 500
	for lo := 0; lo < n; lo += perTx {
		update(t, s, func(tx *boltTx) error {
			for i := lo; i < lo+perTx; i++ {
				// Ids that begin with the time, as the bridge makes them.
				id := fmt.Sprintf("019a%08x-0000-7000-8000-000000000000", i)
				name := fmt.Sprintf("employee%06d@example.com", i)
				if err := tx.PutUser(testUser(id, name, name)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	err := s.db.View(func(btx *bolt.Tx) error {
		for _, id := range []bucketID{bUsers, bUserName, bUserSortEmail} {
			st := btx.Bucket(bucketNames[id]).Stats()
			if fill := float64(st.LeafInuse) / float64(st.LeafAlloc); fill < 0.8 {
				t.Errorf("bucket %s: leaf pages %.0f%% full after an ordered load; want at least 80%%", bucketNames[id], fill*100)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPagesOfRandomKeysStayFair: userNames and emails that arrive in no order,
// a few in each transaction as an IdP creates users, leave the index pages
// at least half full (a split at 90 % left them a third full), while new
// SCIM ids, which begin with the time, still fill the users bucket's pages
// although those made in the same millisecond are in no order.
func TestPagesOfRandomKeysStayFair(t *testing.T) {
	s := openTest(t)
	r := rand.New(rand.NewPCG(5, 6))
	// As above, two thousand keys give the fill of larger loads, and a 90 %
	// split of random keys fails this test alike.
	const n, perTx = 2_000, 5
	for lo := 0; lo < n; lo += perTx {
		update(t, s, func(tx *boltTx) error {
			for i := lo; i < lo+perTx; i++ {
				id := fmt.Sprintf("019a%08x-%04x-7000-8000-000000000000", lo, r.Uint32N(1<<16))
				name := fmt.Sprintf("%08x.user@example.com", r.Uint32())
				if err := tx.PutUser(testUser(id, name, name)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	err := s.db.View(func(btx *bolt.Tx) error {
		for id, want := range map[bucketID]float64{bUserName: 0.5, bUserSortEmail: 0.5, bUsers: 0.8} {
			st := btx.Bucket(bucketNames[id]).Stats()
			if fill := float64(st.LeafInuse) / float64(st.LeafAlloc); fill < want {
				t.Errorf("bucket %s: leaf pages %.0f%% full; want at least %.0f%%", bucketNames[id], fill*100, want*100)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
