package storage

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// stalledWriter takes the first write, then blocks every later one until
// release is closed: a backup client that stopped reading.
type stalledWriter struct {
	started chan struct{}
	release chan struct{}
	buf     bytes.Buffer
	writes  int
}

func (w *stalledWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.writes == 2 {
		close(w.started)
		<-w.release
	}
	return w.buf.Write(p)
}

// A backup whose client stops reading must not hold up writes, even those
// that make bbolt grow (and so remap) the file.
func TestBackupDoesNotStallWrites(t *testing.T) {
	s := openTest(t)
	// Enough data that the copy takes several writes to the client.
	fill(t, s, "before", 200)
	w := &stalledWriter{started: make(chan struct{}), release: make(chan struct{})}
	backupDone := make(chan error, 1)
	go func() {
		_, err := s.Backup(w)
		backupDone <- err
	}()
	<-w.started

	// Grow the file well past its current size while the client is stalled:
	// a commit that grows it remaps it, which is what a read transaction
	// held for the download would block. A hundred users a transaction grow
	// it as much as one each, in a fraction of the commits.
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		fillBatched(t, s, "during", 2000, 100)
	}()
	// Writes held up by the stalled download would wait for ever: the
	// bound only ends a failing run, so it is generous enough for a busy
	// machine under -race.
	select {
	case <-wrote:
	case <-time.After(2 * time.Minute):
		close(w.release)
		<-wrote
		t.Fatal("writes waited for a stalled backup download")
	}
	close(w.release)
	if err := <-backupDone; err != nil {
		t.Fatalf("Backup: %v", err)
	}
	// The copy is whole and holds what was there when it was taken.
	path := t.TempDir() + "/copy.db"
	if err := os.WriteFile(path, w.buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	copied, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open copy: %v", err)
	}
	defer copied.Close()
	if err := copied.Check(); err != nil {
		t.Fatalf("copy: %v", err)
	}
	view(t, copied, func(tx *boltTx) error {
		if n := tx.CountUsers(); n != 200 {
			t.Errorf("copy holds %d users, want the 200 written before the backup", n)
		}
		return nil
	})
}

// fill writes n users with large documents, one transaction each.
func fill(t *testing.T, s *Bolt, prefix string, n int) {
	t.Helper()
	fillBatched(t, s, prefix, n, 1)
}

// fillBatched writes n users with large documents, perTx a transaction.
func fillBatched(t *testing.T, s *Bolt, prefix string, n, perTx int) {
	t.Helper()
	pad := strings.Repeat("x", 400)
	for lo := 0; lo < n; lo += perTx {
		err := s.update(func(tx *boltTx) error {
			for i := lo; i < min(lo+perTx, n); i++ {
				id := fmt.Sprintf("%s-%05d", prefix, i)
				u := testUser(id, id+"@example.com")
				u.UserName = id + pad
				if err := tx.PutUser(u); err != nil {
					return fmt.Errorf("write %s: %w", id, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Error(err)
			return
		}
	}
}
