package main

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeStopsPastItsGrace: a connection a client opened and never used
// keeps net/http's graceful shutdown waiting for five seconds. Past
// shutdownGrace the bridge closes what is still open, says so, and stops
// cleanly (startServe's cleanup fails the test when serve returns an error).
func TestServeStopsPastItsGrace(t *testing.T) {
	var (
		idle net.Conn
		s    *e2eServer
	)
	// Registered first, so they run after serve has stopped.
	t.Cleanup(func() {
		if idle != nil {
			_ = idle.Close()
		}
		if s != nil && !strings.Contains(s.stderr.String(), "shutdown grace over") {
			t.Errorf("no warning about the grace being over in:\n%s", s.stderr.String())
		}
	})
	fake := startFake(t)
	cfg := baseConfig(t, fake)
	cfg["shutdownGrace"] = "500ms"
	s = startServe(t, cfg)
	s.waitReady(t)
	var err error
	idle, err = net.DialTimeout("tcp", strings.TrimPrefix(s.base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// The server accepts connections in the order they arrived: once a
	// request on a new connection is answered, the idle one was accepted.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := fresh.Get(s.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
