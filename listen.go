package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
)

// listenFDUsage is the help of -listen-fd, the same for every command that
// serves.
const listenFDUsage = "serve on this inherited, already-listening socket (file descriptor N) instead of listening; for a supervisor that hands the socket over, and for the tests"

// registerListenFD adds -listen-fd to fs; -1, its default, means none.
func registerListenFD(fs *flag.FlagSet) *int {
	return fs.Int("listen-fd", -1, listenFDUsage)
}

// listen returns the socket to serve on: the inherited one when fd is not
// negative (-listen-fd), else a new one bound to addr.
func listen(ctx context.Context, addr string, fd int) (net.Listener, error) {
	if fd >= 0 {
		return inheritedListener(fd)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// inheritedListener takes over the listening socket fd. The descriptor is
// closed once net has its own copy, so it is not left open twice.
func inheritedListener(fd int) (net.Listener, error) {
	f := os.NewFile(uintptr(fd), fmt.Sprintf("listen-fd %d", fd))
	if f == nil {
		return nil, fmt.Errorf("-listen-fd %d: not a valid file descriptor", fd)
	}
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("-listen-fd %d: not a socket this program can serve on: %w", fd, err)
	}
	if err := checkListening(ln); err != nil {
		ln.Close()
		return nil, fmt.Errorf("-listen-fd %d: %w", fd, err)
	}
	return ln, nil
}
