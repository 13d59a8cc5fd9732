package storage

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Backup writes a consistent copy of the whole file to w while other
// transactions go on reading and writing, and returns the number of bytes
// written. The copy is first taken, in one read transaction, into an
// unlinked temporary file beside the store, and only then sent to w: bbolt
// grows its file only when no read transaction is open, so a transaction
// held for as long as a slow reader of w takes would stall every write.
// It needs free space for one copy of the file while it runs.
func (s *Bolt) Backup(w io.Writer) (int64, error) {
	snap, err := s.snapshot()
	if err != nil {
		return 0, fmt.Errorf("backup store %s: %w", s.path, err)
	}
	defer snap.Close()
	n, err := io.Copy(w, snap)
	if err != nil {
		return n, fmt.Errorf("backup store %s: %w", s.path, err)
	}
	return n, nil
}

// snapshot copies the store into a temporary file that is unlinked at once,
// so nothing is left behind whatever happens, and returns it positioned at
// its start.
func (s *Bolt) snapshot() (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(s.path), "."+filepath.Base(s.path)+".backup-*")
	if err != nil {
		// A store opened read-only may sit in a directory it cannot write.
		if f, err = os.CreateTemp("", "absorb-scim-backup-*"); err != nil {
			return nil, err
		}
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	err = s.writeTo(f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// writeTo writes a consistent copy of the store to f from one read
// transaction.
func (s *Bolt) writeTo(f *os.File) error {
	return s.view(func(tx *boltTx) error {
		_, err := tx.tx.WriteTo(f)
		return err
	})
}

// BackupToFile writes a consistent copy of the store to path, through a
// temporary file in the same directory that is synced and then renamed over
// path, so path never holds a partial copy. The copy has mode 0600.
func (s *Bolt) BackupToFile(path string) error {
	err := writeFileAtomic(path, s.writeTo)
	if err != nil {
		return fmt.Errorf("backup store to %s: %w", path, err)
	}
	return nil
}

// Restore replaces the store file at dbPath with a copy of the backup at
// backupPath. The copy is made next to dbPath, opened read-only and checked
// (Check) before it is renamed over dbPath, so dbPath is either the old file
// or the whole backup. It returns an error wrapping ErrCorrupt when the
// backup is not a valid store, and ErrLocked when dbPath is open in a Store
// (in this or another process): close it first.
func Restore(backupPath, dbPath string) error {
	dir := filepath.Dir(dbPath)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dbPath)+".restore-*")
	if err != nil {
		return fmt.Errorf("restore %s: %w", dbPath, err)
	}
	tmpPath := tmp.Name()
	defer os.Remove(tmpPath) // a no-op once renamed
	err = copyFrom(tmp, backupPath)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("restore %s: copy backup: %w", dbPath, err)
	}
	if err := verifyFile(tmpPath); err != nil {
		return fmt.Errorf("restore %s: backup %s: %w", dbPath, backupPath, err)
	}

	// Hold the current file's lock while renaming, so a Store that has it
	// open makes Restore fail rather than keep writing to a replaced file.
	if _, err := os.Stat(dbPath); err == nil {
		cur, err := lockExisting(dbPath)
		if err != nil {
			return fmt.Errorf("restore %s: %w", dbPath, err)
		}
		if cur != nil {
			defer cur.Close()
		}
	}
	if err := os.Rename(tmpPath, dbPath); err != nil {
		return fmt.Errorf("restore %s: %w", dbPath, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("restore %s: %w", dbPath, err)
	}
	return nil
}

// lockExisting takes the bbolt lock of the file at path. It returns ErrLocked
// when someone holds it, and a nil *bolt.DB when the file cannot be opened as
// bbolt (it is being replaced, so a damaged file is no obstacle).
func lockExisting(path string) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, nil
		}
	}()
	db, err = bolt.Open(path, fileMode, &bolt.Options{Timeout: DefaultTimeout, NoFreelistSync: true})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%w: close the store before restoring", ErrLocked)
	default:
		return nil, nil
	}
}

// verifyFile opens the file as a store, read-only, and checks it.
func verifyFile(path string) error {
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		return err
	}
	err = s.Check()
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

func copyFrom(dst *os.File, srcPath string) error {
	src, err := os.Open(srcPath)
	if err != nil {
		return err
	}
	defer src.Close()
	if _, err := io.Copy(dst, src); err != nil {
		return err
	}
	return dst.Sync()
}

// writeFileAtomic writes path through a synced temporary file and a rename.
func writeFileAtomic(path string, write func(*os.File) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmpPath := f.Name()
	defer os.Remove(tmpPath) // a no-op once renamed
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmpPath, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
