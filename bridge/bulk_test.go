package bridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scim"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// The Bridge is the bulk backend of the HTTP layer.
var (
	_ scim.BulkBackend  = (*bridge.Bridge)(nil)
	_ scim.UserBackend  = (*bridge.Bridge)(nil)
	_ scim.GroupBackend = (*bridge.Bridge)(nil)
)

// bulkRig is a bridge on the fake Absorb over real HTTP, with its real
// client and storage, after the first full sync.
type bulkRig struct {
	b     *bridge.Bridge
	fake  *fakeabsorb.Server
	store storage.Store
}

// rigConfig sets the fake's and the client's rate limits (negative:
// unlimited), and the bridge's Governor (nil: none).
type rigConfig struct {
	fakeRate, clientRate   float64
	fakeBurst, clientBurst int
	gov                    *bridge.Governor
	// beforeUpload, when set, runs before each POST /users/upload is sent.
	beforeUpload func()
	// upload, when set, is the bridge's UploadBehaviour and the upload
	// variant the fake plays.
	upload string
	// createBehaviour is the bridge's CreateBehaviour (the fake refuses a
	// taken username, so CreateStrict is true of it).
	createBehaviour string
}

// hookedUpload is an Absorb client that runs a hook before each upload.
type hookedUpload struct {
	bridge.Absorb
	before func()
}

func (h hookedUpload) UploadUsers(ctx context.Context, users []absorbapi.User) ([]absorbapi.UploadResult, error) {
	h.before()
	return h.Absorb.UploadUsers(ctx, users)
}

func newBulkRig(t testing.TB, rc rigConfig) *bulkRig {
	t.Helper()
	variants := testVariants(t)
	if rc.upload != "" {
		variants.Upload = rc.upload
	}
	fake, err := fakeabsorb.New(fakeabsorb.Options{RateLimit: rc.fakeRate, Burst: rc.fakeBurst, RandSeed: 1, Variants: variants})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client, err := absorbapi.New(absorbapi.Config{
		BaseURL: srv.URL, PrivateKey: fakeabsorb.PrivateKey,
		Username: fakeabsorb.BridgeAdminUsername, Password: fakeabsorb.AdminPassword,
		RateLimit: rc.clientRate, Burst: rc.clientBurst,
		MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.Open(filepath.Join(t.TempDir(), "absorb-scim.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	mc := mapping.Default()
	mc.DefaultDepartment = "Company"
	m, err := mapping.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	var absorb bridge.Absorb = client
	if rc.beforeUpload != nil {
		absorb = hookedUpload{Absorb: client, before: rc.beforeUpload}
	}
	b, err := bridge.New(bridge.Config{Absorb: absorb, Store: store, Mapper: m, SyncInterval: time.Hour, Governor: rc.gov, UploadBehaviour: rc.upload, CreateBehaviour: rc.createBehaviour})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SyncNow(context.Background()); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	fake.ResetStats()
	return &bulkRig{b: b, fake: fake, store: store}
}

func unlimited() rigConfig { return rigConfig{fakeRate: -1, clientRate: -1} }

// accounts counts the fake's accounts by lower-case username.
func (r *bulkRig) accounts() map[string]int {
	out := map[string]int{}
	for _, u := range r.fake.Users() {
		out[strings.ToLower(u.Username)]++
	}
	return out
}

func bulkUserDoc(userName string, extra ...any) scimdoc.Document {
	doc := scimdoc.Document{
		"schemas":  []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": userName,
		"name":     map[string]any{"givenName": "Given", "familyName": "Family"},
		"emails":   []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"active":   true,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		doc[extra[i].(string)] = extra[i+1]
	}
	return doc
}

func createOp(userName string) bridge.BulkOperation {
	return bridge.BulkOperation{Method: http.MethodPost, Resource: "User", BulkID: userName, Doc: bulkUserDoc(userName)}
}

// failedOps lists "index status" of the failed results.
func failedOps(t *testing.T, results []bridge.BulkResult) []string {
	t.Helper()
	var out []string
	for i, r := range results {
		if r.Err == nil {
			continue
		}
		se, ok := scimdoc.AsError(r.Err)
		if !ok {
			t.Fatalf("operation %d: error is no SCIM error: %v", i, r.Err)
		}
		out = append(out, fmt.Sprintf("%d %d", i, se.Status))
	}
	return out
}

func TestBulkCoalescesCreates(t *testing.T) {
	r := newBulkRig(t, unlimited())
	ops := make([]bridge.BulkOperation, 450)
	for i := range ops {
		ops[i] = createOp(fmt.Sprintf("bulk%03d@example.com", i))
	}
	results := r.b.Bulk(context.Background(), ops, 0)
	if len(results) != len(ops) {
		t.Fatalf("%d results for %d operations", len(results), len(ops))
	}
	if failed := failedOps(t, results); len(failed) > 0 {
		t.Fatalf("failed operations: %v", failed)
	}
	st := r.fake.Stats()
	if got := st.Requests["POST /users/upload"]; got != 3 {
		t.Errorf("upload calls = %d, want 3", got)
	}
	if got := st.Requests["POST /users"]; got != 0 {
		t.Errorf("single creates = %d, want 0", got)
	}
	accounts := r.accounts()
	for i, res := range results {
		name := fmt.Sprintf("bulk%03d@example.com", i)
		if accounts[name] != 1 {
			t.Fatalf("%s has %d Absorb accounts, want 1", name, accounts[name])
		}
		got, err := r.b.GetUser(context.Background(), res.Resource.ID)
		if err != nil {
			t.Fatalf("GetUser %s: %v", name, err)
		}
		if got.Doc["userName"] != name || got.ETag() != res.Resource.ETag() {
			t.Fatalf("stored user %v (version %s), want %s version %s", got.Doc["userName"], got.ETag(), name, res.Resource.ETag())
		}
	}
	if c := r.store.Stats(); c.Users != 450 || c.Intents != 0 {
		t.Errorf("store holds %d users and %d intents, want 450 and 0", c.Users, c.Intents)
	}
}

func TestBulkInvalidUserFailsAlone(t *testing.T) {
	r := newBulkRig(t, unlimited())
	ops := []bridge.BulkOperation{
		createOp("a@example.com"),
		// Absorb refuses the address; the bridge sends it as it is.
		{Method: http.MethodPost, Resource: "User", Doc: bulkUserDoc("b@example.com",
			"emails", []any{map[string]any{"value": "not an address", "primary": true}})},
		createOp("c@example.com"),
		// The bridge itself refuses this one before anything is sent.
		{Method: http.MethodPost, Resource: "User", Doc: bulkUserDoc("  ")},
		createOp("d@example.com"),
	}
	results := r.b.Bulk(context.Background(), ops, 0)
	if diff := cmp.Diff([]string{"1 400", "3 400"}, failedOps(t, results)); diff != "" {
		t.Errorf("failed operations (-want +got):\n%s", diff)
	}
	if got := r.fake.Stats().Requests["POST /users/upload"]; got != 1 {
		t.Errorf("upload calls = %d, want 1", got)
	}
	accounts := r.accounts()
	for name, want := range map[string]int{"a@example.com": 1, "b@example.com": 0, "c@example.com": 1, "d@example.com": 1} {
		if accounts[name] != want {
			t.Errorf("%s has %d accounts, want %d", name, accounts[name], want)
		}
	}
	if c := r.store.Stats(); c.Users != 3 || c.Intents != 0 {
		t.Errorf("store holds %d users and %d intents, want 3 and 0", c.Users, c.Intents)
	}
}

func TestBulkFailOnErrors(t *testing.T) {
	badEmail := func(name string) bridge.BulkOperation {
		return bridge.BulkOperation{Method: http.MethodPost, Resource: "User", Doc: bulkUserDoc(name,
			"emails", []any{map[string]any{"value": "nope", "primary": true}})}
	}
	noName := bridge.BulkOperation{Method: http.MethodPost, Resource: "User", Doc: bulkUserDoc("")}
	tests := []struct {
		name      string
		ops       []bridge.BulkOperation
		maxErrors int
		results   int
		created   []string
	}{
		{
			name: "refused before sending", maxErrors: 1,
			ops:     []bridge.BulkOperation{createOp("a@example.com"), noName, createOp("b@example.com")},
			results: 2, created: []string{"a@example.com"},
		},
		{
			// b is refused by Absorb in the upload that carried c too: c was
			// carried out and is reported; d is not.
			name: "refused in an upload", maxErrors: 1,
			ops:     []bridge.BulkOperation{createOp("a@example.com"), badEmail("b@example.com"), createOp("c@example.com"), noName, createOp("d@example.com")},
			results: 3, created: []string{"a@example.com", "c@example.com"},
		},
		{
			name: "two allowed", maxErrors: 2,
			ops:     []bridge.BulkOperation{noName, createOp("a@example.com"), noName, createOp("b@example.com")},
			results: 3, created: []string{"a@example.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newBulkRig(t, unlimited())
			results := r.b.Bulk(context.Background(), tt.ops, tt.maxErrors)
			if len(results) != tt.results {
				t.Fatalf("%d results, want %d: %v", len(results), tt.results, failedOps(t, results))
			}
			accounts := r.accounts()
			for _, name := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"} {
				want := 0
				for _, c := range tt.created {
					if c == name {
						want = 1
					}
				}
				if accounts[name] != want {
					t.Errorf("%s has %d accounts, want %d", name, accounts[name], want)
				}
			}
			if c := r.store.Stats(); c.Users != len(tt.created) || c.Intents != 0 {
				t.Errorf("store holds %d users and %d intents, want %d and 0", c.Users, c.Intents, len(tt.created))
			}
		})
	}
}

// Updates travel in the upload only where it is known to write the
// accounts it names; elsewhere each is a PUT.
func TestBulkUpdates(t *testing.T) {
	for _, tt := range []struct {
		upload string
		want   map[string]int
	}{
		{bridge.UploadUpdates, map[string]int{"POST /users/upload": 1, "PUT /users/{id}": 2}}, // the rename, then the deactivation
		{"keep", map[string]int{"POST /users/upload": 0, "PUT /users/{id}": 4}},
	} {
		t.Run("upload="+tt.upload, func(t *testing.T) { testBulkUpdates(t, tt.upload, tt.want) })
	}
}

func testBulkUpdates(t *testing.T, upload string, want map[string]int) {
	rc := unlimited()
	rc.upload = upload
	r := newBulkRig(t, rc)
	ctx := context.Background()
	var ids []string
	for _, name := range []string{"u0@example.com", "u1@example.com", "u2@example.com", "u3@example.com"} {
		res, err := r.b.CreateUser(ctx, bulkUserDoc(name))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ID)
	}
	r.fake.ResetStats()
	setTitle := []scimdoc.Operation{{Op: "replace", Path: "title", Value: "Engineer"}}
	keep := []scimdoc.Operation{{Op: "replace", Path: "active", Value: true}} // the users are active
	rename := []scimdoc.Operation{{Op: "replace", Path: "userName", Value: "renamed@example.com"}}
	ops := []bridge.BulkOperation{
		{Method: http.MethodPut, Resource: "User", ID: ids[0], Doc: bulkUserDoc("u0@example.com", "title", "Lead")},
		{Method: http.MethodPatch, Resource: "User", ID: ids[1], Patch: setTitle},
		{Method: http.MethodPatch, Resource: "User", ID: ids[2], Patch: keep}, // changes nothing Absorb holds
		{Method: http.MethodPatch, Resource: "User", ID: ids[3], Patch: rename},
		{Method: http.MethodPatch, Resource: "User", ID: ids[1], Patch: keep, Pre: scimdoc.Precondition{IfMatch: `W/"1"`}},
		{Method: http.MethodDelete, Resource: "User", ID: ids[2]},
		{Method: http.MethodPatch, Resource: "User", ID: "no-such-user", Patch: keep},
	}
	results := r.b.Bulk(ctx, ops, 0)
	if diff := cmp.Diff([]string{"4 412", "6 404"}, failedOps(t, results)); diff != "" {
		t.Errorf("failed operations (-want +got):\n%s", diff)
	}
	st := r.fake.Stats()
	for route, n := range want {
		if st.Requests[route] != n {
			t.Errorf("%s called %d times, want %d (all: %v)", route, st.Requests[route], n, st.Requests)
		}
	}
	titles := map[string]string{}
	for _, u := range r.fake.Users() {
		titles[u.Username] = u.JobTitle
	}
	if diff := cmp.Diff(map[string]string{"u0@example.com": "Lead", "u1@example.com": "Engineer"},
		map[string]string{"u0@example.com": titles["u0@example.com"], "u1@example.com": titles["u1@example.com"]}); diff != "" {
		t.Errorf("Absorb job titles (-want +got):\n%s", diff)
	}
	if _, ok := titles["renamed@example.com"]; !ok {
		t.Errorf("the rename did not reach Absorb")
	}
	for i, v := range map[int]uint64{0: 2, 1: 2, 3: 2} {
		if got := results[i].Resource.Version; got != v {
			t.Errorf("operation %d: version %d, want %d", i, got, v)
		}
	}
}

func TestBulkAdoptsExistingAccount(t *testing.T) {
	r := newBulkRig(t, unlimited())
	results := r.b.Bulk(context.Background(), []bridge.BulkOperation{createOp("alice@example.com"), createOp("new@example.com")}, 0)
	if failed := failedOps(t, results); len(failed) > 0 {
		t.Fatalf("failed operations: %v", failed)
	}
	if n := r.accounts()["alice@example.com"]; n != 1 {
		t.Errorf("alice has %d accounts, want 1", n)
	}
	var absorbID string
	err := r.store.View(func(tx storage.Tx) error {
		u, err := tx.User(results[0].Resource.ID)
		absorbID = u.AbsorbID
		return err
	})
	if err != nil || absorbID != fakeabsorb.UserAliceID {
		t.Errorf("alice's SCIM user holds Absorb account %q (%v), want the seeded %s", absorbID, err, fakeabsorb.UserAliceID)
	}
}

// An upload whose outcome is unknown keeps its create intents, so the
// retried request answers with the same SCIM ids and adopts what the lost
// upload made instead of duplicating it.
func TestBulkRetryAfterLostUpload(t *testing.T) {
	// The upload alone is lost: the look-up of its usernames before it
	// answers.
	loseUpload := false
	var r *bulkRig
	rc := unlimited()
	rc.beforeUpload = func() {
		if loseUpload {
			if err := r.fake.SetFaults("reset=1"); err != nil {
				t.Error(err)
			}
		}
	}
	r = newBulkRig(t, rc)
	ctx := context.Background()
	// A first user resolves the default department while Absorb works.
	if failed := failedOps(t, r.b.Bulk(ctx, []bridge.BulkOperation{createOp("w@example.com")}, 0)); len(failed) > 0 {
		t.Fatalf("first user failed: %v", failed)
	}
	ops := []bridge.BulkOperation{createOp("x@example.com"), createOp("y@example.com")}
	loseUpload = true
	first := r.b.Bulk(ctx, ops, 0)
	loseUpload = false
	if diff := cmp.Diff([]string{"0 503", "1 503"}, failedOps(t, first)); diff != "" {
		t.Fatalf("failed operations (-want +got):\n%s", diff)
	}
	if c := r.store.Stats(); c.Intents != 2 {
		t.Fatalf("%d intents after the failed upload, want 2", c.Intents)
	}
	var intents []string
	_ = r.store.View(func(tx storage.Tx) error {
		return tx.ForEachIntent(func(in storage.Intent) (bool, error) {
			intents = append(intents, in.SCIMID)
			return true, nil
		})
	})
	for _, name := range []string{"x@example.com", "y@example.com"} {
		if n := r.accounts()[name]; n != 1 {
			t.Fatalf("%s has %d accounts after the lost upload, want 1 (the fake did the work)", name, n)
		}
	}
	if err := r.fake.SetFaults(""); err != nil {
		t.Fatal(err)
	}
	second := r.b.Bulk(ctx, ops, 0)
	if failed := failedOps(t, second); len(failed) > 0 {
		t.Fatalf("retry failed: %v", failed)
	}
	got := []string{second[0].Resource.ID, second[1].Resource.ID}
	if diff := cmp.Diff(intents, got); diff != "" {
		t.Errorf("SCIM ids of the retry (-intents +got):\n%s", diff)
	}
	for _, name := range []string{"x@example.com", "y@example.com"} {
		if n := r.accounts()[name]; n != 1 {
			t.Errorf("%s has %d accounts, want 1", name, n)
		}
	}
	if c := r.store.Stats(); c.Intents != 0 {
		t.Errorf("%d intents left, want 0", c.Intents)
	}
}

// Through the HTTP layer: a group names users created in the same request
// by bulkId, before them in the request.
func TestBulkGroupReferencesUsers(t *testing.T) {
	r := newBulkRig(t, unlimited())
	s, err := scim.New(scim.Options{BaseURL: "https://scim.example.com/scim/v2", Users: r.b, Groups: r.b, Bulk: r.b})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
	  {"method":"POST","path":"/Groups","bulkId":"team","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
	   "displayName":"Team","members":[{"value":"bulkId:ann"},{"value":"bulkId:ben"}]}},
	  {"method":"POST","path":"/Users","bulkId":"ann","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@example.com"}},
	  {"method":"POST","path":"/Users","bulkId":"ben","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ben@example.com"}}]}`
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/Bulk", strings.NewReader(body)))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var resp struct {
		Operations []struct {
			BulkID, Status, Location string
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, op := range resp.Operations {
		if op.Status != "201" {
			t.Fatalf("operation %s: status %s: %s", op.BulkID, op.Status, w.Body)
		}
		ids[op.BulkID] = op.Location[strings.LastIndex(op.Location, "/")+1:]
	}
	g, err := r.b.GetGroup(context.Background(), ids["team"], true)
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	for _, m := range g.Doc["members"].([]any) {
		members = append(members, m.(map[string]any)["value"].(string))
	}
	if diff := cmp.Diff([]string{ids["ann"], ids["ben"]}, members, sortStrings); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if got := r.fake.Stats().Requests["POST /users/upload"]; got != 1 {
		t.Errorf("upload calls = %d, want 1", got)
	}
}

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// A bulk request's upload waits its turn at the Governor like any write.
func TestBulkGovernedUploadRefused(t *testing.T) {
	gov := bridge.NewGovernor(bridge.GovernorConfig{Rate: 10, MaxQueue: 1})
	rc := unlimited()
	rc.gov = gov
	r := newBulkRig(t, rc)
	hold, err := gov.Admit(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	results := r.b.Bulk(context.Background(), []bridge.BulkOperation{createOp("g@example.com")}, 0)
	if diff := cmp.Diff([]string{"0 429"}, failedOps(t, results)); diff != "" {
		t.Errorf("failed operations (-want +got):\n%s", diff)
	}
	if c, n := r.store.Stats(), r.fake.Stats().Requests["POST /users/upload"]; c.Intents != 0 || n != 0 {
		t.Errorf("a refused upload left %d intents and made %d upload calls", c.Intents, n)
	}
	var se *scimdoc.Error
	if !errors.As(results[0].Err, &se) || se.RetryAfter < time.Second {
		t.Errorf("refusal %v has no Retry-After", results[0].Err)
	}
}

// TestSyncAfterBulkLoad: Absorb's answer to an upload carries no dates, so
// the first sync pass after a bulk load finds every uploaded account
// "changed" in its dates alone. It takes the dates into the local copies
// and leaves the SCIM users as they are.
func TestSyncAfterBulkLoad(t *testing.T) {
	r := newBulkRig(t, unlimited())
	ops := make([]bridge.BulkOperation, 300)
	for i := range ops {
		ops[i] = createOp(fmt.Sprintf("synced%d@example.com", i))
	}
	results := r.b.Bulk(context.Background(), ops, 0)
	if failed := failedOps(t, results); len(failed) > 0 {
		t.Fatalf("bulk failed: %v", failed)
	}
	if err := r.b.SyncNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := r.b.SyncStatus().Folded; n != 0 {
		t.Errorf("the pass changed %d SCIM users; want none", n)
	}
	err := r.store.View(func(tx storage.Tx) error {
		for _, res := range results {
			rec, err := tx.User(res.Resource.ID)
			if err != nil {
				return err
			}
			if rec.Version != 1 {
				t.Errorf("user %s is at version %d after the sync; want 1", rec.UserName, rec.Version)
			}
			copyRec, err := tx.AbsorbUser(rec.AbsorbID)
			if err != nil {
				return err
			}
			if copyRec.DateEdited == "" {
				t.Errorf("the copy of %s has no dateEdited after the sync", rec.UserName)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
