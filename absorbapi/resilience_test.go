package absorbapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/fakeabsorb"
)

// runConcurrently calls fn(i) for i in [0, n) on workers goroutines and
// returns the errors, indexed by i.
func runConcurrently(n, workers int, fn func(i int) error) []error {
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				errs[i] = fn(i)
			}
		})
	}
	wg.Wait()
	return errs
}

func firstError(errs []error) error {
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("call %d: %w", i, err)
		}
	}
	return nil
}

func TestFakeStolenTokenOneLogin(t *testing.T) {
	f := startFake(t, fakeabsorb.Options{})
	var unauthorized atomic.Int32
	obs := observerFunc(func(method, endpoint string, status int) {
		if status == 401 {
			unauthorized.Add(1)
		}
	})
	c := f.client(t, "", func(c *Config) { c.Observer = obs })
	ctx := context.Background()
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	f.srv.StealToken(fakeabsorb.BridgeAdminUsername)
	before := f.srv.Stats().Logins

	const n = 50
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = c.GetUser(ctx, fakeabsorb.UserAliceID)
		})
	}
	close(start)
	wg.Wait()
	if err := firstError(errs); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.Stats().Logins - before; got != 1 {
		t.Errorf("logins after the theft = %d, want exactly 1", got)
	}
	if unauthorized.Load() == 0 {
		t.Error("no call saw the stolen token refused; the test proves nothing")
	}
}

// observerFunc adapts a function to Observer, ignoring logins and waits.
type observerFunc func(method, endpoint string, status int)

func (f observerFunc) ObserveRequest(_ context.Context, method, endpoint string, status int, _ time.Duration) {
	f(method, endpoint, status)
}
func (observerFunc) ObserveLogin(bool, error)         {}
func (observerFunc) ObserveLimiterWait(time.Duration) {}

func TestFakeThrottleStorm(t *testing.T) {
	f := startFake(t, fakeabsorb.Options{Faults: "throttle=0.5,error5xx=0.1", RandSeed: 7})
	c := f.client(t, "", func(c *Config) {
		c.MinBackoff, c.MaxBackoff, c.MaxAttempts = 2*time.Millisecond, 50*time.Millisecond, 30
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := runConcurrently(100, 10, func(int) error {
		_, err := c.GetUser(ctx, fakeabsorb.UserBobID)
		return err
	})
	if err := firstError(errs); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("the storm outlasted the deadline")
	}
	st := f.srv.Stats()
	if st.Faults.Throttle < 20 || st.Faults.Error5xx < 2 {
		t.Errorf("faults injected = %+v; too few for a storm", st.Faults)
	}
}

func TestFakeLimiterPreventsThrottling(t *testing.T) {
	tests := []struct {
		name          string
		fakeRate      float64
		fakeBurst     int
		rate          float64 // client
		burst         int     // client
		calls         int
		wantThrottled bool
	}{
		// Same rate; the client's burst is smaller than the fake's, leaving
		// room for requests that reach the fake bunched up after uneven
		// delays (50 requests: 250ms of jitter at 200/s on a busy machine).
		// 250 calls are a second of pacing past the burst: without the
		// limiter, 40 callers spend the fake's burst in a few milliseconds.
		{name: "limiter at the fake's rate", fakeRate: 200, fakeBurst: 100, rate: 200, burst: 50, calls: 250},
		// The control: without the limiter the same kind of burst is
		// throttled (a slower fake keeps this true on a slow machine), and
		// the retries still carry every call through.
		{name: "no limiter", fakeRate: 50, fakeBurst: 20, rate: -1, calls: 80, wantThrottled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, fakeabsorb.Options{RateLimit: tt.fakeRate, Burst: tt.fakeBurst})
			c := f.client(t, "", func(c *Config) {
				c.RateLimit, c.Burst = tt.rate, tt.burst
				c.MaxAttempts, c.MinBackoff, c.MaxBackoff = 100, 10*time.Millisecond, 500*time.Millisecond
			})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			errs := runConcurrently(tt.calls, 40, func(int) error {
				_, err := c.GetUser(ctx, fakeabsorb.UserCarolID)
				return err
			})
			if err := firstError(errs); err != nil {
				t.Fatal(err)
			}
			throttled := f.srv.Stats().Throttled
			if got := throttled > 0; got != tt.wantThrottled {
				t.Errorf("fake answered 429 %d times; want throttling %v", throttled, tt.wantThrottled)
			}
			if tt.rate > 0 {
				// The calls and the login, at the rate, after the burst.
				pacing := time.Duration(float64(tt.calls+1-tt.burst) / tt.rate * float64(time.Second))
				if elapsed := time.Since(start); elapsed < pacing*9/10 {
					t.Errorf("%d calls took %v, less than the %v the limiter needs", tt.calls, elapsed, pacing)
				}
			}
		})
	}
}

func TestFakeUpload450(t *testing.T) {
	f := startFake(t, fakeabsorb.Options{})
	c := f.client(t, "", nil)
	ctx := context.Background()
	users := make([]User, 450)
	for i := range users {
		users[i] = newLearner(fmt.Sprintf("upload-%03d", i), fakeabsorb.DeptEngineeringID)
	}
	const invalid = 321
	users[invalid].LastName = "" // required
	// Two existing users are updated, one matched by id, one by username.
	users[10] = User{ID: fakeabsorb.UserAliceID, Username: "alice@example.com", FirstName: "Alice", LastName: "Anderson",
		DepartmentID: fakeabsorb.DeptEngineeringID, JobTitle: "Staff Engineer", EmailAddress: "alice@example.com"}
	users[11] = User{Username: "CAROL@example.com", FirstName: "Carol", LastName: "Chen", DepartmentID: fakeabsorb.DeptSupportID,
		JobTitle: "Support Lead", EmailAddress: "carol@example.com"}
	f.srv.ResetStats()

	res, err := c.UploadUsers(ctx, users)
	if err != nil {
		t.Fatalf("UploadUsers: %v", err)
	}
	st := f.srv.Stats()
	if got := st.Requests["POST /users/upload"]; got != 3 {
		t.Errorf("upload calls = %d, want 3", got)
	}
	if len(res) != len(users) {
		t.Fatalf("%d results for %d users", len(res), len(users))
	}
	byID := map[string]fakeabsorb.User{}
	for _, u := range f.srv.Users() {
		byID[u.ID] = u
	}
	for i, r := range res {
		if i == invalid {
			if r.OK || !errors.Is(r.Err, ErrUploadRejected) || r.Username != users[i].Username {
				t.Errorf("result %d = %+v, want rejected", i, r)
			}
			continue
		}
		stored, ok := byID[r.ID]
		if !r.OK || r.Err != nil || !ok {
			t.Errorf("result %d = %+v, want OK with a stored id", i, r)
			continue
		}
		if !strings.EqualFold(stored.Username, users[i].Username) {
			t.Errorf("result %d: id %s holds %q, want %q", i, r.ID, stored.Username, users[i].Username)
		}
	}
	if res[10].ID != fakeabsorb.UserAliceID || res[11].ID != fakeabsorb.UserCarolID {
		t.Errorf("existing users not matched: %+v, %+v", res[10], res[11])
	}
	if got := byID[fakeabsorb.UserCarolID].JobTitle; got != "Support Lead" {
		t.Errorf("carol's job title = %q, want the uploaded one", got)
	}
	if n := f.usersNamed(users[invalid].Username); n != 0 {
		t.Errorf("invalid user stored %d times", n)
	}
}

func TestFakeScanDuringEdits(t *testing.T) {
	for _, spec := range []string{"", "sort=limited,filterpaging=broken,dates=absorb"} {
		t.Run("variant "+spec, func(t *testing.T) {
			v, err := fakeabsorb.ParseVariants(spec)
			if err != nil {
				t.Fatal(err)
			}
			testScanDuringEdits(t, startFake(t, fakeabsorb.Options{Variants: v}))
		})
	}
}

func testScanDuringEdits(t *testing.T, f *fakeAbsorb) {
	// Pages of 100 (instead of 1000) give the same walk more page
	// boundaries for edits to fall between, at a fraction of the cost.
	c := f.client(t, "", func(c *Config) { c.ScanPageSize = 100 })
	ctx := context.Background()
	seedUsers := make([]User, 450)
	for i := range seedUsers {
		seedUsers[i] = newLearner(fmt.Sprintf("scan-%04d", i), fakeabsorb.DeptSupportID)
	}
	uploaded, err := c.UploadUsers(ctx, seedUsers)
	if err != nil {
		t.Fatal(err)
	}
	before := f.srv.Users()
	if len(before) != 457 {
		t.Fatalf("portal holds %d users, want 457", len(before))
	}

	// Another worker keeps editing users while the scan runs; the scan
	// itself creates users and edits others between its pages.
	stop := make(chan struct{})
	var edits atomic.Int32
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			got, err := c.GetUser(ctx, uploaded[i%len(uploaded)].ID)
			if err != nil {
				t.Errorf("editor: %v", err)
				return
			}
			got.JobTitle = fmt.Sprintf("title %d", i)
			got.LastName = fmt.Sprintf("Edited%d", i)
			if _, err := c.UpdateUser(ctx, *got); err != nil {
				t.Errorf("editor: %v", err)
				return
			}
			edits.Add(1)
			// A deliberately slow editor, not a wait for an event: it leaves
			// the machine to the scan, which must meet edits between its
			// pages rather than be starved by them.
			time.Sleep(2 * time.Millisecond)
		}
	})

	seen := map[string]int{}
	created := 0
	err = c.ScanUsers(ctx, "", func(u User) error {
		seen[u.ID]++
		if len(seen)%70 == 0 {
			// Inserts ahead of the cursor shift later users onto the next page.
			created++
			if _, err := c.CreateUser(ctx, newLearner(fmt.Sprintf("scan-new-%d", created), fakeabsorb.DeptSalesID)); err != nil {
				return err
			}
			if err := c.SetActive(ctx, before[len(seen)%len(before)].ID, false); err != nil {
				return err
			}
		}
		return nil
	})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("ScanUsers: %v", err)
	}
	if edits.Load() == 0 || created == 0 {
		t.Fatalf("no edits (%d) or creates (%d) during the scan; the test proves nothing", edits.Load(), created)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("user %s passed %d times", id, n)
		}
	}
	for _, u := range before {
		if seen[u.ID] != 1 {
			t.Errorf("user %s (%s) passed %d times, want once", u.ID, u.Username, seen[u.ID])
		}
	}
}

func TestFakeScanStopsAtCallbackError(t *testing.T) {
	f := startFake(t, fakeabsorb.Options{})
	c := f.client(t, "", nil)
	stop := errors.New("enough")
	n := 0
	err := c.ScanUsers(context.Background(), "departmentId eq guid"+Quote(fakeabsorb.DeptEngineeringID), func(u User) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("ScanUsers = %v after %d users, want the callback's error after 1", err, n)
	}
}

// TestFakeCreateNotDuplicated: a create whose answer is lost after the fake
// committed it is looked up, not sent again.
func TestFakeCreateNotDuplicated(t *testing.T) {
	tests := []struct {
		name   string
		faults string
	}{
		{name: "client timeout after commit", faults: "latency=1500ms"},
		{name: "connection reset after commit", faults: "reset=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, fakeabsorb.Options{})
			// Once the create has failed on the client side, the fault ends,
			// so that the lookup that follows gets through.
			var postFailures atomic.Int32
			obs := observerFunc(func(method, endpoint string, status int) {
				if method == "POST" && endpoint == "/users" && status == 0 {
					postFailures.Add(1)
					if err := f.srv.SetFaults(""); err != nil {
						t.Error(err)
					}
				}
			})
			c := f.client(t, "", func(c *Config) {
				c.Observer = obs
				// Long enough for the lookup after the failure to get
				// through on a busy machine (a second timeout would send
				// the POST again), far shorter than the fault's latency.
				c.HTTPClient = &http.Client{Timeout: 500 * time.Millisecond}
			})
			ctx := context.Background()
			if err := c.Login(ctx); err != nil {
				t.Fatal(err)
			}
			if err := f.srv.SetFaults(tt.faults); err != nil {
				t.Fatal(err)
			}
			f.srv.ResetStats()
			got, err := c.CreateUser(ctx, newLearner("lost-answer", fakeabsorb.DeptSalesID))
			if err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			if postFailures.Load() != 1 {
				t.Fatalf("POST failures seen = %d, want 1; the fault did not bite", postFailures.Load())
			}
			if n := f.usersNamed("lost-answer"); n != 1 {
				t.Errorf("%d users named lost-answer, want exactly 1", n)
			}
			if got.ID == "" || got.Username != "lost-answer" || got.Password != "" {
				t.Errorf("CreateUser = %+v", got)
			}
			if posts := f.srv.Stats().Requests["POST /users"]; posts != 1 {
				t.Errorf("POST /users sent %d times, want 1", posts)
			}
		})
	}
}

func TestFakeCreateConflicts(t *testing.T) {
	f := startFake(t, fakeabsorb.Options{})
	tests := []struct {
		name  string
		admin string
		user  User
		want  ConflictError
	}{
		{
			name:  "visible holder",
			admin: fakeabsorb.BridgeAdminUsername,
			user:  newLearner("ALICE@example.com", fakeabsorb.DeptSalesID),
			want:  ConflictError{Username: "ALICE@example.com", ExistingID: fakeabsorb.UserAliceID},
		},
		{
			// The scope trap: alice is in Engineering, which scoped-admin
			// cannot see; her username is still taken.
			name:  "holder outside the admin's scope",
			admin: fakeabsorb.ScopedAdminUsername,
			user:  newLearner("alice@example.com", fakeabsorb.DeptSalesID),
			want:  ConflictError{Username: "alice@example.com", Hidden: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.client(t, tt.admin, nil)
			_, err := c.CreateUser(context.Background(), tt.user)
			var ce *ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("CreateUser error = %v, want *ConflictError", err)
			}
			if *ce != tt.want {
				t.Errorf("conflict = %+v, want %+v", *ce, tt.want)
			}
			if IsNotFound(err) {
				t.Errorf("conflict %v also reads as not found", err)
			}
			if n := f.usersNamed(tt.user.Username); n != 1 {
				t.Errorf("%d users named %q, want 1", n, tt.user.Username)
			}
		})
	}
}

func TestFakeRefreshBeforeExpiry(t *testing.T) {
	clock := &manualClock{now: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)}
	f := startFake(t, fakeabsorb.Options{Now: clock.Now, TokenTTL: 4 * time.Hour})
	var refused atomic.Int32
	obs := observerFunc(func(_, _ string, status int) {
		if status == 401 {
			refused.Add(1)
		}
	})
	c := f.client(t, "", func(c *Config) {
		c.Now, c.TokenTTL, c.RefreshMargin, c.Observer = clock.Now, 4*time.Hour, 10*time.Minute, obs
	})
	ctx := context.Background()
	steps := []struct {
		advance    time.Duration
		wantLogins int
	}{
		{0, 1},                            // first call logs in
		{3*time.Hour + 49*time.Minute, 1}, // 11 minutes left: keep the token
		{2 * time.Minute, 2},              // 9 minutes left: log in again first
		{3*time.Hour + 45*time.Minute, 2},
		{5 * time.Hour, 3}, // long idle: the token has expired; log in first
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if _, err := c.GetUser(ctx, fakeabsorb.UserAliceID); err != nil {
			t.Fatalf("step %d: GetUser: %v", i, err)
		}
		if got := f.srv.Stats().Logins; got != s.wantLogins {
			t.Errorf("step %d: logins = %d, want %d", i, got, s.wantLogins)
		}
	}
	if n := refused.Load(); n != 0 {
		t.Errorf("%d requests were refused; the token should be replaced before it expires", n)
	}
}

func TestFakeDeadline(t *testing.T) {
	f := startFake(t, fakeabsorb.Options{})
	c := f.client(t, "", func(c *Config) {
		c.MinBackoff, c.MaxBackoff, c.MaxAttempts = 20*time.Millisecond, 80*time.Millisecond, 1000
	})
	if err := c.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		faults       string
		wantDeadline bool
	}{
		{name: "slow answers", faults: "latency=5s", wantDeadline: true},
		{name: "endless 5xx", faults: "error5xx=1"},
		{name: "endless 429", faults: "throttle=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.srv.SetFaults(tt.faults); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := c.GetUser(ctx, fakeabsorb.UserAliceID)
			// Generous slack, as the machine may be busy: a call that
			// ignored the deadline would take 5s or retry for a minute.
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("GetUser returned after %v with a 300ms deadline", elapsed)
			}
			if !IsRetryable(err) {
				t.Errorf("GetUser error = %v, want rate limited or unavailable", err)
			}
			if tt.wantDeadline && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("GetUser error = %v, want it to wrap context.DeadlineExceeded", err)
			}
			_ = f.srv.SetFaults("")
		})
	}
}

// TestDefaultClientReusesConnections: concurrent callers share a pool of kept
// connections instead of opening one (a TCP and TLS handshake against the
// real Absorb) per request, as net/http's default of two idle connections per
// host would make them.
func TestDefaultClientReusesConnections(t *testing.T) {
	srv, err := fakeabsorb.New(fakeabsorb.Options{RateLimit: -1, RandSeed: 42})
	if err != nil {
		t.Fatal(err)
	}
	var opened atomic.Int32
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	f := &fakeAbsorb{srv: srv, url: ts.URL}
	c := f.client(t, "", func(c *Config) { c.RateLimit = -1 })
	ctx := context.Background()
	dept, err := c.FindDepartmentByName(ctx, "Company")
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.CreateUser(ctx, newLearner("pool.user", dept.ID))
	if err != nil {
		t.Fatal(err)
	}
	// 2,000 calls: a pool of two idle connections, net/http's default,
	// opens over sixty here.
	const workers, calls = 16, 2000
	errs := runConcurrently(calls, workers, func(int) error {
		_, err := c.GetUser(ctx, u.ID)
		return err
	})
	if err := firstError(errs); err != nil {
		t.Fatal(err)
	}
	// About one connection per worker: a request that finds none idle dials,
	// and may then be served by one freed meanwhile, so allow twice that.
	if n := opened.Load(); n > 2*workers {
		t.Errorf("%d calls from %d workers opened %d connections; want at most %d", calls, workers, n, 2*workers)
	}
}
