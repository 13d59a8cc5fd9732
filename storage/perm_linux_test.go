package storage

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// unprivilegedUID is the file-system identity the permission tests take when
// they run as root, whose DAC override would let every open succeed.
const unprivilegedUID = 65534

// asUnprivileged runs fn with file-system permission checks made as an
// unprivileged user. As root it switches the file-system uid of the current
// thread only (setfsuid(2)), which also drops the DAC override capability for
// that thread, and restores it afterwards.
func asUnprivileged(t *testing.T, fn func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		fn()
		return
	}
	runtime.LockOSThread()
	prev, _, _ := syscall.RawSyscall(syscall.SYS_SETFSUID, unprivilegedUID, 0, 0)
	// An invalid uid changes nothing and returns the current one.
	cur, _, _ := syscall.RawSyscall(syscall.SYS_SETFSUID, ^uintptr(0), 0, 0)
	if cur != unprivilegedUID {
		syscall.RawSyscall(syscall.SYS_SETFSUID, prev, 0, 0)
		runtime.UnlockOSThread()
		t.Skipf("cannot switch the file-system uid (got %d)", cur)
	}
	defer func() {
		syscall.RawSyscall(syscall.SYS_SETFSUID, prev, 0, 0)
		if back, _, _ := syscall.RawSyscall(syscall.SYS_SETFSUID, ^uintptr(0), 0, 0); back != prev {
			// Leave the thread locked: it exits with the goroutine.
			t.Errorf("could not restore the file-system uid")
			return
		}
		runtime.UnlockOSThread()
	}()
	fn()
}

// permDir returns a directory that the unprivileged identity can traverse.
func permDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestOpenPermissions(t *testing.T) {
	t.Run("read-only directory", func(t *testing.T) {
		dir := filepath.Join(permDir(t), "ro")
		if err := os.Mkdir(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		path := filepath.Join(dir, "bridge.db")
		var err error
		asUnprivileged(t, func() {
			var s *Bolt
			if s, err = Open(path, Options{}); err == nil {
				s.Close()
			}
		})
		wantPermissionError(t, err, path)
	})

	t.Run("read-only file", func(t *testing.T) {
		path := filepath.Join(permDir(t), "bridge.db")
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		putUsers(t, s, testUser("u1", "ada@example.com"))
		s.Close()
		if err := os.Chmod(path, 0o444); err != nil {
			t.Fatal(err)
		}

		var rwErr, roErr, readErr error
		asUnprivileged(t, func() {
			if s, err := Open(path, Options{}); err == nil {
				s.Close()
			} else {
				rwErr = err
			}
			// The same file opens read-only.
			s, err := Open(path, Options{ReadOnly: true})
			if err != nil {
				roErr = err
				return
			}
			defer s.Close()
			readErr = s.view(func(tx *boltTx) error {
				_, err := tx.User("u1")
				return err
			})
		})
		wantPermissionError(t, rwErr, path)
		if roErr != nil {
			t.Fatalf("read-only Open of a read-only file: %v", roErr)
		}
		if readErr != nil {
			t.Errorf("read through a read-only Open: %v", readErr)
		}
	})
}

func wantPermissionError(t *testing.T, err error, path string) {
	t.Helper()
	if err == nil {
		t.Fatal("Open succeeded, want a permission error")
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Open error = %v, want errors.Is fs.ErrPermission", err)
	}
	for _, want := range []string{path, "permission denied", "read-only"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open error %q does not contain %q", err, want)
		}
	}
}
