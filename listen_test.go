package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestListenFD runs each serving command on a socket the test bound and
// handed over with -listen-fd, and reaches it at the address the test
// already knows, without reading the command's output.
func TestListenFD(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args func(t *testing.T) []string
		path string // answers 200 once serving
	}{
		{name: "fake-absorb", path: "/_fake/stats",
			args: func(*testing.T) []string { return []string{"fake-absorb", "-rate", "-1"} }},
		{name: "demo", path: "/healthz",
			args: func(t *testing.T) []string {
				return []string{"demo", "-absorb-listen", "127.0.0.1:0", "-data", t.TempDir(), "-log-level", "warn"}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr, fd := listenFD(t)
			args := append(tc.args(t), "-listen-fd", strconv.Itoa(fd))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			var stderr lockedBuffer
			go func() { done <- run(ctx, args, emptyEnv, &lockedBuffer{}, &stderr) }()
			client := &http.Client{Timeout: 10 * time.Second}
			resp, err := client.Get("http://" + addr + tc.path)
			if err != nil {
				t.Fatalf("GET %s: %v; stderr:\n%s", tc.path, err, stderr.String())
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %s", tc.path, resp.Status)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("%s returned %v; stderr:\n%s", tc.name, err, stderr.String())
			}
		})
	}
}

// TestListenFDRefusesWhatIsNoListener: a descriptor that is not a listening
// socket stops start-up with a line naming the flag.
func TestListenFDRefusesWhatIsNoListener(t *testing.T) {
	t.Parallel()
	file, err := os.Create(filepath.Join(t.TempDir(), "not-a-socket"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	fileFD, err := syscall.Dup(int(file.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	sock, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		fd   int
		want string
	}{
		{name: "regular file", fd: fileFD, want: "not a socket"},
		{name: "socket not listening", fd: sock, want: "not listening"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr lockedBuffer
			err := run(context.Background(), []string{"fake-absorb", "-listen-fd", strconv.Itoa(tc.fd)}, emptyEnv, &lockedBuffer{}, &stderr)
			if err == nil || !strings.Contains(err.Error(), "-listen-fd "+strconv.Itoa(tc.fd)) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to name -listen-fd %d and say %q", err, tc.fd, tc.want)
			}
		})
	}
}
