package fakeabsorb

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestListenAndServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- ListenAndServe(ctx, "127.0.0.1:0", Options{}, func(url string) { urls <- url })
	}()
	var base string
	select {
	case base = <-urls:
	case err := <-done:
		t.Fatalf("ListenAndServe returned early: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("ready was not called")
	}
	res, err := http.Get(base + "/_fake/stats")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("status = %d", res.StatusCode)
	}

	// The address is busy while serving.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := ListenAndServe(ctx, ln.Addr().String(), Options{}, nil); err == nil {
		t.Error("ListenAndServe on a busy address returned nil")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after cancel: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ListenAndServe did not return after cancel")
	}
	if err := ListenAndServe(context.Background(), "127.0.0.1:0", Options{Faults: "x=1"}, nil); !errors.Is(err, ErrBadFaults) {
		t.Errorf("bad faults: err = %v, want ErrBadFaults", err)
	}
}
