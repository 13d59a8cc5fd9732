package conformance

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStorageFaultsAtStart starts `serve` on a data directory it cannot
// use. It must exit non-zero within seconds (not crash-loop, not serve
// without its data) and say on stderr, in one line, which file is wrong
// and how.
func TestStorageFaultsAtStart(t *testing.T) {
	if onPostgres(t) {
		t.Skip("the faults of the bbolt file; TestPostgresFaultsAtStart has PostgreSQL's")
	}
	t.Parallel()
	const dbName = "absorb-scim.db"
	for _, tc := range []struct {
		name string
		// setup prepares the data directory (and may start a bridge on it);
		// it returns whom to run the bridge as, nil for this process's user.
		setup func(t *testing.T, dir string) *runAs
		// want are words the one line must hold, besides the file's path.
		want []string
	}{
		{
			name: "locked by a running bridge",
			setup: func(t *testing.T, dir string) *runAs {
				first := startServe(t, serveOptions{absorbURL: downURL(t), dataDir: dir})
				t.Cleanup(func() {
					// The running bridge is not disturbed by the second.
					if status, body := probe(first.base + "/healthz"); status != 200 {
						t.Errorf("the first bridge after the second failed: /healthz %d %s", status, body)
					}
					first.mustTerminate(t, 20*time.Second)
				})
				return nil
			},
			want: []string{"locked"},
		},
		{
			name: "corrupt file",
			setup: func(t *testing.T, dir string) *runAs {
				junk := make([]byte, 64<<10)
				_, _ = rand.Read(junk)
				writeFile(t, filepath.Join(dir, dbName), junk, 0o600)
				return nil
			},
			want: []string{"corrupt"},
		},
		{
			name: "text file",
			setup: func(t *testing.T, dir string) *runAs {
				writeFile(t, filepath.Join(dir, dbName), []byte("users: []\n"), 0o600)
				return nil
			},
			want: []string{"corrupt"},
		},
		{
			name: "read-only directory",
			setup: func(t *testing.T, dir string) *runAs {
				return readOnly(t, dir, "")
			},
			want: []string{"permission denied"},
		},
		{
			name: "read-only file",
			setup: func(t *testing.T, dir string) *runAs {
				return readOnly(t, dir, filepath.Join(dir, dbName))
			},
			want: []string{"permission denied"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := shareableTempDir(t)
			as := tc.setup(t, dir)
			start := time.Now()
			s := launchServe(t, serveOptions{absorbURL: downURL(t), dataDir: dir}, as)
			code, ok := s.wait(15 * time.Second)
			if !ok {
				t.Fatalf("serve still runs %s after start:\n%s", time.Since(start), s.logs)
			}
			took := time.Since(start)
			if code == 0 {
				t.Fatalf("serve exited 0:\n%s", s.logs)
			}
			if took > 5*time.Second {
				t.Errorf("serve took %s to give up", took)
			}
			// serve logs its start (version and commit) before anything
			// can fail; past that record, one line must say it all.
			lines := stderrLines(s.stderr.String())
			if len(lines) != 1 {
				t.Fatalf("stderr has %d lines besides the start record, want 1:\n%s", len(lines), s.stderr)
			}
			line := lines[0]
			for _, w := range append(tc.want, filepath.Join(dir, dbName)) {
				if !strings.Contains(line, w) {
					t.Errorf("stderr line lacks %q: %s", w, line)
				}
			}
			t.Logf("exit %d after %s: %s", code, took.Round(time.Millisecond), line)
		})
	}
}

func writeFile(t *testing.T, path string, b []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
}

// readOnly makes dir (and file, when given, an existing valid store)
// read-only for the bridge. Permission bits do not bind root, so as root
// the bridge runs as nobody, from a copy of the binary nobody may execute.
func readOnly(t *testing.T, dir, file string) *runAs {
	t.Helper()
	if file != "" {
		// A valid store, made by a bridge that ran and stopped.
		first := startServe(t, serveOptions{absorbURL: downURL(t), dataDir: dir})
		if code := first.mustTerminate(t, 20*time.Second); code != 0 {
			t.Fatalf("making a store: exit %d", code)
		}
		if err := os.Chmod(file, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return nil
	}
	const nobody = 65534
	exe := filepath.Join(shareableTempDir(t), "absorb-scim")
	if out, err := exec.Command("cp", binary, exe).CombinedOutput(); err != nil {
		t.Fatalf("copy the binary: %v %s", err, out)
	}
	if err := os.Chmod(exe, 0o755); err != nil {
		t.Fatal(err)
	}
	return &runAs{exe: exe, attr: &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}}
}
