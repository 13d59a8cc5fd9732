package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scim"
	"github.com/absorb-scim/absorb-scim/storage"
)

func TestParseMix(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]int
		wantErr bool
	}{
		{in: "get=70,filter=20,patch=10", want: map[string]int{"get": 70, "filter": 20, "patch": 10}},
		{in: " GET = 1 , create=0,get=2", want: map[string]int{"get": 3, "create": 0}},
		{in: "delete=1", wantErr: true},
		{in: "get", wantErr: true},
		{in: "get=-1", wantErr: true},
		{in: "get=0", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMix(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); !tt.wantErr && diff != "" {
				t.Errorf("mix (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080/scim/v2", true},
		{"http://localhost:8080/scim/v2", true},
		{"https://[::1]:8443/scim/v2", true},
		{"http://127.8.9.10/scim/v2", true},
		{"http://10.0.0.1:8080/scim/v2", false},
		{"http://example.com/scim/v2", false},
		{"ftp://127.0.0.1/", false},
		{"127.0.0.1:8080", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			if err := CheckLoopback(tt.url); (err == nil) != tt.ok {
				t.Errorf("CheckLoopback = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestConfigBounds(t *testing.T) {
	base := Config{BaseURL: "http://127.0.0.1:1/scim/v2", Mix: map[string]int{"get": 1}, Concurrency: 1, Duration: time.Second, Requests: 1}
	tests := []struct {
		name   string
		change func(*Config)
	}{
		{"remote", func(c *Config) { c.BaseURL = "http://192.0.2.1/scim/v2" }},
		{"remote stats", func(c *Config) { c.AbsorbStatsURL = "http://192.0.2.1/_fake/stats" }},
		{"too long", func(c *Config) { c.Duration = MaxDuration + time.Second }},
		{"too many requests", func(c *Config) { c.Requests = MaxRequests + 1 }},
		{"too many workers", func(c *Config) { c.Concurrency = MaxConcurrency + 1 }},
		{"no workers", func(c *Config) { c.Concurrency = 0 }},
		{"too many users", func(c *Config) { c.Users = MaxUsers + 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.change(&c)
			if _, err := Run(context.Background(), c); err == nil {
				t.Errorf("Run accepted %+v", c)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 200; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[int]time.Duration{50: 100 * time.Millisecond, 95: 190 * time.Millisecond, 99: 198 * time.Millisecond, 100: 200 * time.Millisecond} {
		if got := percentile(ds, p); got != want {
			t.Errorf("p%d = %s, want %s", p, got, want)
		}
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("p99 of one = %s, want 7ns", got)
	}
}

// TestRawClient reads every framing net/http's server uses, over one
// keep-alive connection, and follows a server that closes it.
func TestRawClient(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer tok" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/base/length":
			w.Write([]byte("hello"))
		case "/base/chunked":
			for range 3 {
				w.Write(bytes.Repeat([]byte("x"), 5000))
				w.(http.Flusher).Flush()
			}
		case "/base/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/base/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		case "/base/post":
			b := new(bytes.Buffer)
			b.ReadFrom(r.Body)
			if b.String() != `{"a":1}` {
				http.Error(w, "bad body", http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusCreated)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := newRawClient(srv.URL+"/base", "tok", 5*time.Second)
	if err != nil || c == nil {
		t.Fatalf("newRawClient: %v", err)
	}
	defer c.close()
	steps := []struct {
		method, path string
		body         []byte
		want         int
	}{
		{"GET", "/length", nil, 200},
		{"GET", "/chunked", nil, 200},
		{"GET", "/empty", nil, 204},
		{"POST", "/post", []byte(`{"a":1}`), 201},
		{"GET", "/close", nil, 200},
		{"GET", "/length", nil, 200},
	}
	for _, s := range steps {
		got, err := c.do(s.method, s.path, s.body)
		if err != nil || got != s.want {
			t.Fatalf("%s %s: %d, %v; want %d", s.method, s.path, got, err, s.want)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (one kept alive, one after the close)", n)
	}
}

// TestRun runs the tool against the bridge on the fake Absorb: a preload
// through /Bulk, then every operation, bounded by the request count.
// startBridge serves a bridge in front of a fake Absorb and returns its
// SCIM base URL and the fake's stats URL.
func startBridge(t *testing.T) (scimURL, statsURL string) {
	t.Helper()
	fake, err := fakeabsorb.New(fakeabsorb.Options{RateLimit: -1, RandSeed: 1})
	if err != nil {
		t.Fatal(err)
	}
	fsrv := httptest.NewServer(fake)
	t.Cleanup(fsrv.Close)
	client, err := absorbapi.New(absorbapi.Config{BaseURL: fsrv.URL, PrivateKey: fakeabsorb.PrivateKey,
		Username: fakeabsorb.BridgeAdminUsername, Password: fakeabsorb.AdminPassword, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.Open(filepath.Join(t.TempDir(), "db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	mc := mapping.Default()
	mc.DefaultDepartment = "Company"
	m, err := mapping.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bridge.New(bridge.Config{Absorb: client, Store: store, Mapper: m})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SyncNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s, err := scim.New(scim.Options{BaseURL: "http://127.0.0.1/scim/v2", Users: b, Groups: b, Bulk: b})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", s))
	mux.Handle("/_fake/", fake)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/scim/v2", fsrv.URL + "/_fake/stats"
}

func TestRun(t *testing.T) {
	scimURL, statsURL := startBridge(t)
	var progress strings.Builder
	rep, err := Run(context.Background(), Config{
		BaseURL: scimURL, Mix: map[string]int{"get": 3, "filter": 1, "extfilter": 1, "patch": 1, "create": 1},
		Concurrency: 4, Duration: 20 * time.Second, Requests: 140, Users: 45, BulkSize: 20,
		AbsorbStatsURL: statsURL, Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Preload == nil || rep.Preload.Users != 45 || rep.Preload.Requests != 3 || rep.Preload.Failed != 0 {
		t.Errorf("preload = %+v, want 45 users in 3 requests", rep.Preload)
	}
	if got := rep.Total.Requests; got != 140 {
		t.Errorf("%d requests, want the 140 allowed", got)
	}
	sum := 0
	for _, op := range rep.Ops {
		sum += op.Requests
		if op.Errors != 0 || op.Requests == 0 {
			t.Errorf("%s: %d requests, %d errors", op.Op, op.Requests, op.Errors)
		}
		if op.P50 > op.P95 || op.P95 > op.P99 || op.P99 > op.Max {
			t.Errorf("%s: percentiles out of order: %+v", op.Op, op)
		}
	}
	if sum != rep.Total.Requests {
		t.Errorf("operations add up to %d, total says %d", sum, rep.Total.Requests)
	}
	if rep.Absorb == nil || rep.Absorb.Requests["POST /users/upload"] != 3 {
		t.Errorf("absorb cost = %+v, want 3 uploads", rep.Absorb)
	}
	var out strings.Builder
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"preload: 45 users", "extfilter", "total", "POST /users/upload: 3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Count(progress.String(), "\n") != 3 {
		t.Errorf("progress:\n%s", progress.String())
	}
}

func TestRunWalk(t *testing.T) {
	scimURL, _ := startBridge(t)
	for _, w := range []Walk{
		{Count: 7},
		{Count: 10, SortBy: "userName", Descending: true},
		{Count: 10, Filter: "active eq true", SortBy: "name.familyName"},
	} {
		t.Run(fmt.Sprintf("%+v", w), func(t *testing.T) {
			rep, err := RunWalk(context.Background(), Config{
				BaseURL: scimURL, Concurrency: 1, Duration: 20 * time.Second, Requests: 1, Users: 45, BulkSize: 20,
			}, w)
			if err != nil {
				t.Fatal(err)
			}
			// Each subtest preloads 45 more users: the walk sees them all.
			if rep.Users != rep.TotalResults || rep.Users < 45 || rep.Repeated != 0 {
				t.Errorf("walk saw %d users (totalResults %d, %d repeated), want every user once", rep.Users, rep.TotalResults, rep.Repeated)
			}
			if want := rep.Users/w.Count + 1; rep.Pages != want {
				t.Errorf("%d pages, want %d", rep.Pages, want)
			}
			if rep.Slowest <= 0 || rep.SlowestStart < 1 || rep.P50 > rep.Slowest {
				t.Errorf("slowest page %s at %d, p50 %s", rep.Slowest, rep.SlowestStart, rep.P50)
			}
			var out strings.Builder
			if err := rep.WriteText(&out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "slowest") {
				t.Errorf("report:\n%s", out.String())
			}
		})
	}
	if _, err := RunWalk(context.Background(), Config{BaseURL: "http://example.com/scim/v2", Concurrency: 1, Duration: time.Second, Requests: 1}, Walk{}); err == nil {
		t.Error("a walk of a remote server was not refused")
	}
}
