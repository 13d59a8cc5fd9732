package bridge_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// world is a bridge wired to the fake Absorb over real HTTP, the real
// absorbapi client and a real storage file.
type world struct {
	t      testing.TB
	b      *bridge.Bridge
	fake   *fakeabsorb.Server
	url    string
	client *absorbapi.Client
	store  storage.Store
	dbPath string
	cfg    worldConfig
	// skew is added to the fake's clock (nanoseconds). That clock stands
	// still otherwise, so every edit falls in the same second (the case
	// Absorb's whole-second dateEdited makes hard) until a test advances it.
	skew *atomic.Int64
}

// worldConfig says how newWorld builds a world.
type worldConfig struct {
	admin   string                    // Absorb admin the bridge logs in as; default bridge-admin
	rules   []bridge.Rule             // group rules
	mapping func(*mapping.Config)     // changes to mapping.Default()
	fake    func(*fakeabsorb.Options) // changes to the fake's options
	// wrap, when set, wraps the Absorb client the bridge is given.
	wrap func(bridge.Absorb) bridge.Absorb
	// log, when set, receives the bridge's log as text.
	log io.Writer
	// limit is the brake on mass deactivation; off when zero.
	limit bridge.DeactivationLimit
	// abandonAfter is the bridge's AbandonedCreateAfter; its default when zero.
	abandonAfter time.Duration
	// scanPage is the client's ScanPageSize; zero means its default.
	scanPage int
	// now is the bridge's clock; nil means time.Now.
	now func() time.Time
	// maxFilterScan is limits.maxFilterScan; the default when zero.
	maxFilterScan int
	// createBehaviour is the bridge's CreateBehaviour; "" means unknown.
	createBehaviour string
	// pendingRescan is the bridge's PendingRescan; zero means never.
	pendingRescan time.Duration
	// sharedStore is the bridge's SharedStore.
	sharedStore bool
	// uploadBehaviour is the bridge's UploadBehaviour; "" means unknown.
	uploadBehaviour string
	// clientRate and clientBurst are the rate limit of the bridge's
	// client; unlimited when clientRate is zero.
	clientRate  float64
	clientBurst int
	// wrapStore, when set, wraps the store the bridge is given.
	wrapStore func(storage.Store) storage.Store
}

// newWorld starts a fake Absorb and a bridge in front of it; everything is
// closed when the test ends.
func newWorld(t testing.TB, opts ...func(*worldConfig)) *world {
	t.Helper()
	cfg := worldConfig{admin: "bridge-admin"}
	for _, o := range opts {
		o(&cfg)
	}
	skew := new(atomic.Int64)
	start := time.Now().UTC().Truncate(time.Second)
	fo := fakeabsorb.Options{RateLimit: -1, RandSeed: 1, Now: func() time.Time {
		return start.Add(time.Duration(skew.Load()))
	}, Variants: testVariants(t)}
	if cfg.fake != nil {
		cfg.fake(&fo)
	}
	fake, err := fakeabsorb.New(fo)
	if err != nil {
		t.Fatalf("fakeabsorb.New: %v", err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	w := &world{t: t, fake: fake, url: srv.URL, cfg: cfg, skew: skew}
	w.client = w.newClient(cfg.admin)
	if cfg.clientRate != 0 {
		w.client = w.newLimitedClient(cfg.admin, cfg.clientRate, cfg.clientBurst)
	}
	w.dbPath = filepath.Join(t.TempDir(), "absorb-scim.db")
	w.store = w.openStore()
	w.b = w.newBridge()
	return w
}

// upserts reports whether the fake Absorb plays create=upsert: a create of
// a username an account holds updates that account.
func (w *world) upserts() bool { return w.fake.Variants().Create == "upsert" }

// variantEnv names the environment variable that sets the behaviours the
// fake Absorb plays in every test world: a list ParseVariants reads
// ("create=upsert,dates=absorb"), or "all" for every non-default behaviour
// at once. Unset, the fake plays its defaults; a test that sets Variants
// itself wins.
const variantEnv = "ABSORB_SCIM_TEST_VARIANT"

// testVariants returns the behaviours variantEnv asks for.
func testVariants(t testing.TB) fakeabsorb.Variants {
	t.Helper()
	spec := os.Getenv(variantEnv)
	if strings.EqualFold(strings.TrimSpace(spec), "all") {
		return fakeabsorb.NonDefaultVariants()
	}
	v, err := fakeabsorb.ParseVariants(spec)
	if err != nil {
		t.Fatalf("%s: %v", variantEnv, err)
	}
	return v
}

// advance moves the fake Absorb's clock forward.
func (w *world) advance(d time.Duration) { w.skew.Add(int64(d)) }

// asAdmin makes the bridge log in as another Absorb admin.
func asAdmin(name string) func(*worldConfig) {
	return func(c *worldConfig) { c.admin = name }
}

// strictCreates tells the bridge the portal refuses a create of a taken
// username, so a create the local copy knows nothing of sends POST /users
// as its first call to Absorb.
func strictCreates(c *worldConfig) { createBehaviour(bridge.CreateStrict)(c) }

// createBehaviour gives the bridge this CreateBehaviour.
func createBehaviour(b string) func(*worldConfig) {
	return func(c *worldConfig) { c.createBehaviour = b }
}

// withRules gives the bridge group rules.
func withRules(rules ...bridge.Rule) func(*worldConfig) {
	return func(c *worldConfig) { c.rules = rules }
}

// newClient returns an Absorb client logged in (lazily) as admin, with quick
// retries so faults do not slow the tests down.
func (w *world) newClient(admin string) *absorbapi.Client {
	w.t.Helper()
	return w.newClientWithPassword(admin, fakeabsorb.AdminPassword)
}

// newClientWithPassword is newClient with the given password.
func (w *world) newClientWithPassword(admin, password string) *absorbapi.Client {
	w.t.Helper()
	return w.clientFor(admin, password, -1, 0)
}

// newLimitedClient is newClient with a rate limit.
func (w *world) newLimitedClient(admin string, rate float64, burst int) *absorbapi.Client {
	w.t.Helper()
	return w.clientFor(admin, fakeabsorb.AdminPassword, rate, burst)
}

func (w *world) clientFor(admin, password string, rate float64, burst int) *absorbapi.Client {
	w.t.Helper()
	c, err := absorbapi.New(absorbapi.Config{
		BaseURL:     w.url,
		PrivateKey:  fakeabsorb.PrivateKey,
		Username:    admin,
		Password:    password,
		RateLimit:   rate,
		Burst:       burst,
		MaxAttempts: 3,
		MinBackoff:  time.Millisecond,
		MaxBackoff:  5 * time.Millisecond,

		ScanPageSize: w.cfg.scanPage,
	})
	if err != nil {
		w.t.Fatalf("absorbapi.New: %v", err)
	}
	return c
}

func (w *world) openStore() storage.Store {
	w.t.Helper()
	s, err := storage.Open(w.dbPath, storage.Options{NoSync: true})
	if err != nil {
		w.t.Fatalf("storage.Open: %v", err)
	}
	w.t.Cleanup(func() {
		// Whatever a test did, the records, indexes and counts it left agree
		// (a store restart closed earlier is skipped: it is not ErrCorrupt).
		if err := s.Check(); errors.Is(err, storage.ErrCorrupt) {
			w.t.Errorf("the store is inconsistent after the test: %v", err)
		}
		_ = s.Close()
	})
	return s
}

// mapper returns the world's mapper: the default mapping with the default
// department "Company".
func (w *world) mapper() *mapping.Mapper {
	w.t.Helper()
	mc := mapping.Default()
	mc.DefaultDepartment = "Company"
	if w.cfg.mapping != nil {
		w.cfg.mapping(&mc)
	}
	m, err := mapping.New(mc)
	if err != nil {
		w.t.Fatalf("mapping.New: %v", err)
	}
	return m
}

// newBridge builds a Bridge on the world's client and store.
func (w *world) newBridge() *bridge.Bridge {
	w.t.Helper()
	var absorb bridge.Absorb = w.client
	if w.cfg.wrap != nil {
		absorb = w.cfg.wrap(absorb)
	}
	store := w.store
	if w.cfg.wrapStore != nil {
		store = w.cfg.wrapStore(store)
	}
	var logger *slog.Logger
	if w.cfg.log != nil {
		logger = slog.New(slog.NewTextHandler(w.cfg.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	b, err := bridge.New(bridge.Config{
		Absorb:       absorb,
		Logger:       logger,
		Store:        store,
		Mapper:       w.mapper(),
		Rules:        w.cfg.rules,
		SyncInterval: time.Hour, // tests sync with SyncNow
		Now:          w.cfg.now,

		DeactivationLimit: w.cfg.limit,
		AdminUsername:     w.cfg.admin,

		AbandonedCreateAfter: w.cfg.abandonAfter,
		MaxFilterScan:        w.cfg.maxFilterScan,
		CreateBehaviour:      w.cfg.createBehaviour,
		PendingRescan:        w.cfg.pendingRescan,
		SharedStore:          w.cfg.sharedStore,
		UploadBehaviour:      w.cfg.uploadBehaviour,
	})
	if err != nil {
		w.t.Fatalf("bridge.New: %v", err)
	}
	return b
}

// restart closes the store and opens a new Bridge on the same file, as a
// process restart would.
func (w *world) restart() {
	w.t.Helper()
	if err := w.store.Close(); err != nil {
		w.t.Fatalf("close store: %v", err)
	}
	w.store = w.openStore()
	w.b = w.newBridge()
}

// run runs the bridge's background work until the test ends, and waits for
// it to stop.
func (w *world) run() {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b := w.b
	go func() { done <- b.Run(ctx) }()
	w.t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				w.t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			w.t.Errorf("Run did not stop after its context ended")
		}
	})
}

// waitRules waits for the group rules to finish their queued work.
func (w *world) waitRules() {
	w.t.Helper()
	w.waitRulesWithin(20 * time.Second)
}

// waitRulesWithin is waitRules with another deadline.
func (w *world) waitRulesWithin(d time.Duration) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := w.b.WaitRules(ctx); err != nil {
		w.t.Fatalf("WaitRules: %v", err)
	}
}

// warm logs the client in, so that request counts that follow do not
// include the login and faults do not hit it.
func (w *world) warm() {
	w.t.Helper()
	if err := w.client.Login(context.Background()); err != nil {
		w.t.Fatalf("login: %v", err)
	}
}

// sync runs one sync pass.
func (w *world) sync() {
	w.t.Helper()
	if err := w.b.SyncNow(context.Background()); err != nil {
		w.t.Fatalf("SyncNow: %v", err)
	}
}

// calls returns the upstream request counts by route, since the last reset.
func (w *world) calls() map[string]int { return w.fake.Stats().Requests }

// resetCalls sets the upstream counters to zero.
func (w *world) resetCalls() { w.fake.ResetStats() }

// absorbUser returns the fake's copy of an Absorb user.
func (w *world) absorbUser(id string) fakeabsorb.User {
	w.t.Helper()
	for _, u := range w.fake.Users() {
		if u.ID == id {
			return u
		}
	}
	w.t.Fatalf("no Absorb user %s", id)
	return fakeabsorb.User{}
}

// absorbUsersNamed returns the fake's users with this username (any case).
func (w *world) absorbUsersNamed(username string) []fakeabsorb.User {
	var out []fakeabsorb.User
	for _, u := range w.fake.Users() {
		if strings.EqualFold(u.Username, username) {
			out = append(out, u)
		}
	}
	return out
}

// storedUser reads a user's storage record.
func (w *world) storedUser(id string) (storage.User, error) {
	var rec storage.User
	err := w.store.View(func(tx storage.Tx) error {
		var err error
		rec, err = tx.User(id)
		return err
	})
	return rec, err
}

// absorbIDOf returns the Absorb id mapped to a SCIM user.
func (w *world) absorbIDOf(id string) string {
	w.t.Helper()
	rec, err := w.storedUser(id)
	if err != nil {
		w.t.Fatalf("stored user %s: %v", id, err)
	}
	return rec.AbsorbID
}

// counts returns the store's totals.
func (w *world) counts() storage.Counts { return w.store.Stats() }

// create provisions a user and fails the test on error.
func (w *world) create(doc scimdoc.Document) scimdoc.Resource {
	w.t.Helper()
	res, err := w.b.CreateUser(context.Background(), w.norm(doc))
	if err != nil {
		w.t.Fatalf("CreateUser(%v): %v", doc["userName"], err)
	}
	return res
}

// norm normalises a user document as the HTTP layer does before the bridge
// sees it.
func (w *world) norm(doc scimdoc.Document) scimdoc.Document {
	w.t.Helper()
	out, err := scimdoc.Normalize(w.b.UserSchema(), doc)
	if err != nil {
		w.t.Fatalf("Normalize: %v", err)
	}
	return out
}

// patch applies PATCH operations to a user as the HTTP layer does.
func (w *world) patch(id string, pre scimdoc.Precondition, ops ...scimdoc.Operation) (scimdoc.Resource, error) {
	return w.b.PatchUser(context.Background(), id, pre, ops)
}

// get reads a user and fails the test on error.
func (w *world) get(id string) scimdoc.Resource {
	w.t.Helper()
	res, err := w.b.GetUser(context.Background(), id)
	if err != nil {
		w.t.Fatalf("GetUser(%s): %v", id, err)
	}
	return res
}

// list runs a user query with a filter and fails the test on error.
func (w *world) list(filter string) scimdoc.Page {
	w.t.Helper()
	q := scimdoc.Query{Count: -1, StartIndex: 1}
	if filter != "" {
		q.Filter = parseFilter(w.t, filter)
	}
	page, err := w.b.ListUsers(context.Background(), q)
	if err != nil {
		w.t.Fatalf("ListUsers(%s): %v", filter, err)
	}
	return page
}

func parseFilter(t testing.TB, s string) *scimdoc.Filter {
	t.Helper()
	f, err := scimdoc.ParseFilter(s)
	if err != nil {
		t.Fatalf("ParseFilter(%s): %v", s, err)
	}
	return f
}

// userDoc is a SCIM user with a name and a work email.
func userDoc(userName, given, family string) scimdoc.Document {
	return scimdoc.Document{
		"schemas":  []any{mapping.UserURN},
		"userName": userName,
		"name":     map[string]any{"givenName": given, "familyName": family},
		"emails":   []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"active":   true,
	}
}

// logEvent is a log destination that tells when the bridge logs a line
// holding want: tests wait on seen rather than poll for what the line
// reports.
type logEvent struct {
	want []byte
	once sync.Once
	seen chan struct{}
}

func newLogEvent(want string) *logEvent {
	return &logEvent{want: []byte(want), seen: make(chan struct{})}
}

func (l *logEvent) Write(p []byte) (int, error) {
	if bytes.Contains(p, l.want) {
		l.once.Do(func() { close(l.seen) })
	}
	return len(p), nil
}

// wait waits until the line was logged, failing the test after d.
func (l *logEvent) wait(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case <-l.seen:
	case <-time.After(d):
		t.Fatalf("the bridge did not log %q within %v", l.want, d)
	}
}

// scimError asserts that err is a *scimdoc.Error with the given status.
func scimError(t *testing.T, err error, status int) *scimdoc.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want SCIM %d", status)
	}
	se, ok := scimdoc.AsError(err)
	if !ok {
		t.Fatalf("got plain error %v (%T), want *scimdoc.Error %d", err, err, status)
	}
	if se.Status != status {
		t.Fatalf("got SCIM %d (%v), want %d", se.Status, err, status)
	}
	return se
}

// str reads a string at a top-level key or a dotted sub-attribute.
func str(doc scimdoc.Document, key string, sub ...string) string {
	v := any(doc[key])
	for _, s := range sub {
		m, _ := v.(map[string]any)
		v = m[s]
	}
	s, _ := v.(string)
	return s
}
