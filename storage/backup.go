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

// Backup writes a consistent copy of the whole file to w, from one read
// transaction, while other transactions go on reading and writing. It returns
// the number of bytes written.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.View(func(tx *Tx) error {
		var err error
		n, err = tx.tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup store %s: %w", s.path, err)
	}
	return n, nil
}

// BackupToFile writes a consistent copy of the store to path, through a
// temporary file in the same directory that is synced and then renamed over
// path, so path never holds a partial copy. The copy has mode 0600.
func (s *Store) BackupToFile(path string) error {
	err := writeFileAtomic(path, func(f *os.File) error {
		_, err := s.Backup(f)
		return err
	})
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
