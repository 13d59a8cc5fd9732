package fakeabsorb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// shutdownGrace bounds how long a shutdown waits for requests in flight.
const shutdownGrace = 5 * time.Second

// ListenAndServe starts a Server built from opts on addr (such as
// "127.0.0.1:0") and serves until ctx is done; see Server.ListenAndServe.
// It returns an error wrapping ErrBadFaults for a bad opts.Faults.
func ListenAndServe(ctx context.Context, addr string, opts Options, ready func(url string)) error {
	s, err := New(opts)
	if err != nil {
		return fmt.Errorf("fake absorb: %w", err)
	}
	return s.ListenAndServe(ctx, addr, ready)
}

// ListenAndServe listens on addr, calls ready (if not nil) with the base URL
// (http://host:port) once the listener is open, and serves until ctx is done,
// then shuts down gracefully. It returns nil after a clean shutdown, and an
// error when the address cannot be listened on or serving fails.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(url string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("fake absorb: listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln, ready)
}

// Serve serves on ln until ctx is done, like ListenAndServe; it closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener, ready func(url string)) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready("http://" + ln.Addr().String())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("fake absorb: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("fake absorb: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("fake absorb: serve: %w", err)
	}
	return nil
}
