package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

func TestOpenCreatesAndReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bridge.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got := s.Path(); got != path {
		t.Errorf("Path() = %q, want %q", got, path)
	}
	if got := s.Stats(); got != (Counts{}) {
		t.Errorf("Stats() of a new store = %+v, want zero", got)
	}
	putUsers(t, s, testUser("u1", "ada@example.com"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("file mode = %o, want 600", got)
	}

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if got, want := s.Stats(), (Counts{Users: 1}); got != want {
		t.Errorf("Stats() after reopen = %+v, want %+v", got, want)
	}
	view(t, s, func(tx *boltTx) error {
		_, err := tx.User("u1")
		return err
	})
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, path string) // prepares path
		opts    Options
		wantIs  error
		wantMsg string
	}{
		{
			name: "locked by another store",
			setup: func(t *testing.T, path string) {
				s, err := Open(path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
			},
			opts:    Options{Timeout: 50 * time.Millisecond},
			wantIs:  ErrLocked,
			wantMsg: "locked by another process",
		},
		{
			name: "read-only open of a locked file",
			setup: func(t *testing.T, path string) {
				s, err := Open(path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
			},
			opts:   Options{Timeout: 50 * time.Millisecond, ReadOnly: true},
			wantIs: ErrLocked,
		},
		{
			name:    "garbage file",
			setup:   writeFile(bytes.Repeat([]byte("not a database "), 1000)),
			wantIs:  ErrCorrupt,
			wantMsg: "not a valid store file",
		},
		{
			name:   "short garbage file",
			setup:  writeFile([]byte("hello")),
			wantIs: ErrCorrupt,
		},
		{
			name: "damaged meta pages",
			setup: func(t *testing.T, path string) {
				s, err := Open(path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				pageSize := os.Getpagesize()
				for _, off := range []int{64, pageSize + 64} { // inside both meta pages
					b[off] ^= 0xff
				}
				writeFile(b)(t, path)
			},
			wantIs: ErrCorrupt,
		},
		{
			name:    "empty file read-only",
			setup:   writeFile(nil),
			opts:    Options{ReadOnly: true},
			wantIs:  ErrCorrupt,
			wantMsg: "empty",
		},
		{
			name: "bbolt file of something else",
			setup: func(t *testing.T, path string) {
				db, err := bolt.Open(path, 0o600, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if err := db.Update(func(tx *bolt.Tx) error {
					_, err := tx.CreateBucket([]byte("widgets"))
					return err
				}); err != nil {
					t.Fatal(err)
				}
			},
			wantIs:  ErrCorrupt,
			wantMsg: `"widgets"`,
		},
		{
			name: "newer schema",
			setup: func(t *testing.T, path string) {
				s, err := Open(path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if err := s.db.Update(func(tx *bolt.Tx) error {
					return tx.Bucket(bucketNames[bMeta]).Put(keySchema, []byte("99"))
				}); err != nil {
					t.Fatal(err)
				}
			},
			wantMsg: `unsupported schema version "99"`,
		},
		{
			name:   "read-only open of a missing file",
			opts:   Options{ReadOnly: true},
			wantIs: fs.ErrNotExist,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bridge.db")
			if tt.setup != nil {
				tt.setup(t, path)
			}
			s, err := Open(path, tt.opts)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Open error = %v, want errors.Is %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("Open error %q does not name the path", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Open error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

func writeFile(content []byte) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		t.Helper()
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bridge.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	putUsers(t, s, testUser("u1", "ada@example.com"))
	s.Close()

	// Read-only opens share the lock.
	r1, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("first read-only Open: %v", err)
	}
	defer r1.Close()
	r2, err := Open(path, Options{ReadOnly: true, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("second read-only Open: %v", err)
	}
	defer r2.Close()

	view(t, r2, func(tx *boltTx) error {
		_, err := tx.UserByUserName("ADA@example.com")
		return err
	})
	err = r1.update(func(tx *boltTx) error { return tx.PutCursor("x", "y") })
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Update on a read-only store = %v, want a read-only error", err)
	}
	if err := r1.Check(); err != nil {
		t.Errorf("Check on a read-only store: %v", err)
	}
}

func TestWriteInViewFails(t *testing.T) {
	s := openTest(t)
	err := s.view(func(tx *boltTx) error {
		if tx.Writable() {
			t.Error("Writable() = true in View")
		}
		return tx.PutUser(testUser("u1", "ada@example.com"))
	})
	if !errors.Is(err, bolt.ErrTxNotWritable) {
		t.Errorf("PutUser in View = %v, want ErrTxNotWritable", err)
	}
}

func TestUpdateRollsBackOnError(t *testing.T) {
	s := openTest(t)
	boom := errors.New("boom")
	err := s.update(func(tx *boltTx) error {
		if err := tx.PutUser(testUser("u1", "ada@example.com")); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update = %v, want fn's error as it is", err)
	}
	if got := s.Stats(); got != (Counts{}) {
		t.Errorf("Stats() after rollback = %+v, want zero", got)
	}
}

func TestBatch(t *testing.T) {
	s := openTest(t)
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("u%02d", i)
			errs <- s.Batch(func(tx Tx) error {
				return tx.PutUser(testUser(id, id+"@example.com"))
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Batch: %v", err)
		}
	}
	// A failing fn fails alone.
	putUsers(t, s, testUser("taken", "taken@example.com"))
	err := s.Batch(func(tx Tx) error { return tx.PutUser(testUser("other", "TAKEN@example.com")) })
	if !errors.Is(err, ErrConflict) {
		t.Errorf("conflicting Batch = %v, want ErrConflict", err)
	}
	if got, want := s.Stats().Users, n+1; got != want {
		t.Errorf("Stats().Users = %d, want %d", got, want)
	}
	checkStore(t, s)
}

func TestStats(t *testing.T) {
	s := openTest(t)
	putUsers(t, s, testUser("u1", "a@example.com"), testUser("u2", "b@example.com"))
	putGroups(t, s, Group{ID: "g1", DisplayName: "G1"})
	update(t, s, func(tx *boltTx) error {
		if _, err := tx.AddMember("g1", Member{UserID: "u1"}); err != nil {
			return err
		}
		if _, err := tx.AddMember("g1", Member{UserID: "u2"}); err != nil {
			return err
		}
		if err := tx.PutAbsorbUser(AbsorbUser{ID: "a1", Username: "a@example.com"}); err != nil {
			return err
		}
		return tx.PutIntent(Intent{Key: "c@example.com", SCIMID: "u3"})
	})
	want := Counts{Users: 2, AbsorbUsers: 1, Groups: 1, Memberships: 2, Intents: 1}
	if diff := cmp.Diff(want, s.Stats()); diff != "" {
		t.Errorf("Stats() (-want +got):\n%s", diff)
	}
	view(t, s, func(tx *boltTx) error {
		got := Counts{Users: tx.CountUsers(), AbsorbUsers: tx.CountAbsorbUsers(), Groups: tx.CountGroups(),
			Memberships: want.Memberships, Intents: tx.CountIntents()}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Count methods (-want +got):\n%s", diff)
		}
		return nil
	})
	s.Close()
	if got := s.Stats(); got != (Counts{}) {
		t.Errorf("Stats() on a closed store = %+v, want zero", got)
	}
}

// TestBatchSharesCommits pins the group commit: writers that arrive while a
// commit runs share the next transaction, and one that fails there fails
// alone without losing the others' writes.
func TestBatchSharesCommits(t *testing.T) {
	s := openTest(t)
	putUsers(t, s, testUser("taken", "taken@example.com"))

	release := make(chan struct{})
	started := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- s.Batch(func(tx Tx) error {
			close(started)
			<-release
			return tx.PutUser(testUser("first", "first@example.com"))
		})
	}()
	<-started

	const n = 10
	var (
		mu    sync.Mutex
		txIDs = map[int]bool{}
		wg    sync.WaitGroup
	)
	errs := make([]error, n+1)
	queued := make(chan struct{}, n+1)
	for i := range n + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("q%02d@example.com", i)
			if i == n {
				name = "TAKEN@example.com" // conflicts: must fail alone
			}
			queued <- struct{}{}
			errs[i] = s.Batch(func(tx Tx) error {
				if i < n {
					mu.Lock()
					txIDs[tx.(*boltTx).tx.ID()] = true
					mu.Unlock()
				}
				return tx.PutUser(testUser(fmt.Sprintf("q%02d", i), name))
			})
		}()
	}
	for range n + 1 {
		<-queued
	}
	// Wait for the writers to reach the queue; the first commit holds it.
	// Joining the queue signals nothing a test could wait on (a writer
	// just appends itself and blocks), so this reads the queue's length
	// under its lock until all are in.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		s.group.mu.Lock()
		waiting := len(s.group.pending)
		s.group.mu.Unlock()
		if waiting == n+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writers queued, want %d", waiting, n+1)
		}
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatalf("first Batch: %v", err)
	}
	wg.Wait()
	for i, err := range errs[:n] {
		if err != nil {
			t.Errorf("Batch %d: %v", i, err)
		}
	}
	if !errors.Is(errs[n], ErrConflict) {
		t.Errorf("conflicting Batch = %v, want ErrConflict", errs[n])
	}
	// The queued writers that succeed shared one transaction: the attempt
	// that rolled back with the failing writer leaves the next transaction
	// the same id, so separate commits would show as more ids.
	if len(txIDs) != 1 {
		t.Errorf("queued writers ran in %d transactions, want them to share one", len(txIDs))
	}
	if got := s.BatchStats(); got.Commits != 2 || got.Writes != n+1 || got.CommitTime <= 0 {
		t.Errorf("BatchStats() = %+v, want 2 commits of %d writes in all, and their time", got, n+1)
	}
	if got, want := s.Stats().Users, n+2; got != want {
		t.Errorf("Stats().Users = %d, want %d", got, want)
	}
	checkStore(t, s)
}
