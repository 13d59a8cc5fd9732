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
)

// writeRelated keeps writing transactions that each add a user, its
// membership of group "g" and an audit record, until stop is closed.
func writeRelated(t *testing.T, s *Bolt, writer int, stop <-chan struct{}, wrote *writeCount) {
	t.Helper()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		id := fmt.Sprintf("w%d-%05d", writer, i)
		err := s.update(func(tx *boltTx) error {
			if err := tx.PutUser(testUser(id, id+"@example.com", id+"@example.com")); err != nil {
				return err
			}
			if _, err := tx.AddMember("g", Member{UserID: id}); err != nil {
				return err
			}
			if _, err := tx.AppendAudit(AuditRecord{Operation: "create", ResourceID: id}); err != nil {
				return err
			}
			return tx.PutCursor("last", id)
		})
		if err != nil {
			t.Errorf("writer %d: %v", writer, err)
			wrote.fail()
			return
		}
		wrote.add()
	}
}

// writeCount counts committed writes; reach blocks until there are n, or
// a writer has failed.
type writeCount struct {
	mu     sync.Mutex
	cond   sync.Cond
	n      int64
	failed bool
}

func newWriteCount() *writeCount {
	c := &writeCount{}
	c.cond.L = &c.mu
	return c
}

func (c *writeCount) add() {
	c.mu.Lock()
	c.n++
	c.cond.Broadcast()
	c.mu.Unlock()
}

func (c *writeCount) fail() {
	c.mu.Lock()
	c.failed = true
	c.cond.Broadcast()
	c.mu.Unlock()
}

// reach reports false when a writer failed before there were n writes.
func (c *writeCount) reach(n int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.n < n && !c.failed {
		c.cond.Wait()
	}
	return c.n >= n
}

// checkCopy opens a backup and checks that it holds whole transactions only.
func checkCopy(t *testing.T, path string) int {
	t.Helper()
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open copy: %v", err)
	}
	defer s.Close()
	if err := s.Check(); err != nil {
		t.Fatalf("copy: %v", err)
	}
	var users, members, audits int
	view(t, s, func(tx *boltTx) error {
		users = tx.CountUsers()
		g, err := tx.Group("g")
		if err != nil {
			return err
		}
		members = g.MemberCount
		return tx.ForEachAudit(0, func(AuditRecord) (bool, error) { audits++; return true, nil })
	})
	if users != members || users != audits {
		t.Errorf("copy holds %d users, %d members, %d audit records; want them equal", users, members, audits)
	}
	return users
}

func TestBackupWhileWriting(t *testing.T) {
	s := openTest(t)
	putGroups(t, s, Group{ID: "g", DisplayName: "All"})
	stop := make(chan struct{})
	wrote := newWriteCount()
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			writeRelated(t, s, w, stop, wrote)
		}()
	}
	// Readers go on too.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.view(func(tx *boltTx) error { _, err := tx.Cursor("last"); return err }); err != nil {
				t.Errorf("reader: %v", err)
				return
			}
		}
	}()

	dir := t.TempDir()
	var counts []int
	for i := range 4 {
		if !wrote.reach(int64(20 * (i + 1))) {
			break // a writer failed and said why
		}
		path := filepath.Join(dir, fmt.Sprintf("copy%d.db", i))
		if i%2 == 0 {
			if err := s.BackupToFile(path); err != nil {
				t.Fatalf("BackupToFile: %v", err)
			}
		} else {
			var buf bytes.Buffer
			n, err := s.Backup(&buf)
			if err != nil {
				t.Fatalf("Backup: %v", err)
			}
			if n != int64(buf.Len()) {
				t.Errorf("Backup returned %d, wrote %d bytes", n, buf.Len())
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		counts = append(counts, checkCopy(t, path))
	}
	close(stop)
	wg.Wait()
	for i := 1; i < len(counts); i++ {
		if counts[i] < counts[i-1] {
			t.Errorf("later copy holds fewer users: %v", counts)
		}
	}
	if counts[0] == 0 {
		t.Error("first copy is empty; writers did not run during the backup")
	}
	checkStore(t, s)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("backup directory holds %d files, want the 4 copies only", len(entries))
	}
}

func TestRestore(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "bridge.db")
	backupPath := filepath.Join(dir, "backup.db")
	s, err := Open(dbPath, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	putUsers(t, s, testUser("u1", "ada@example.com"))
	if err := s.BackupToFile(backupPath); err != nil {
		t.Fatal(err)
	}
	putUsers(t, s, testUser("u2", "bob@example.com"))

	t.Run("refused while the store is open", func(t *testing.T) {
		err := Restore(backupPath, dbPath)
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("Restore = %v, want ErrLocked", err)
		}
		if got := s.Stats().Users; got != 2 {
			t.Errorf("open store has %d users after a refused restore, want 2", got)
		}
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("junk"), 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	badCounter := filepath.Join(dir, "bad-counter.db")
	func() {
		b, err := Open(badCounter, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		putUsers(t, b, User{ID: "x", UserName: "x"})
		update(t, b, func(tx *boltTx) error { return tx.addCount(cUsers, 5) })
	}()

	refused := []struct {
		name   string
		backup string
		want   error
	}{
		{"garbage backup", garbage, ErrCorrupt},
		{"inconsistent backup", badCounter, ErrCorrupt},
		{"missing backup", filepath.Join(dir, "nope.db"), fs.ErrNotExist},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if err := Restore(tt.backup, dbPath); !errors.Is(err, tt.want) {
				t.Fatalf("Restore = %v, want %v", err, tt.want)
			}
			if got := usersIn(t, dbPath); got != 2 {
				t.Errorf("store holds %d users after a refused restore, want 2", got)
			}
		})
	}

	t.Run("replaces the store", func(t *testing.T) {
		if err := Restore(backupPath, dbPath); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if got := usersIn(t, dbPath); got != 1 {
			t.Errorf("restored store holds %d users, want 1", got)
		}
	})

	t.Run("new path", func(t *testing.T) {
		path := filepath.Join(dir, "new.db")
		if err := Restore(backupPath, path); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if got := usersIn(t, path); got != 1 {
			t.Errorf("restored store holds %d users, want 1", got)
		}
	})

	t.Run("over a damaged store", func(t *testing.T) {
		path := filepath.Join(dir, "damaged.db")
		if err := os.WriteFile(path, []byte("damaged"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := Restore(backupPath, path); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if got := usersIn(t, path); got != 1 {
			t.Errorf("restored store holds %d users, want 1", got)
		}
	})

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".restore-") || strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func usersIn(t *testing.T, path string) int {
	t.Helper()
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer s.Close()
	checkStore(t, s)
	return s.Stats().Users
}
