package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// editInAbsorb changes an Absorb user as another admin would, directly in
// Absorb, and returns it as Absorb answers.
func (w *world) editInAbsorb(absorbID string, change func(*absorbapi.User)) *absorbapi.User {
	w.t.Helper()
	admin := w.newClient("auditor")
	ctx := context.Background()
	u, err := admin.GetUser(ctx, absorbID)
	if err != nil {
		w.t.Fatalf("GetUser as auditor: %v", err)
	}
	change(u)
	out, err := admin.UpdateUser(ctx, *u)
	if err != nil {
		w.t.Fatalf("UpdateUser as auditor: %v", err)
	}
	return out
}

func TestSyncFoldsAbsorbEditsIntoSCIMUsers(t *testing.T) {
	tests := []struct {
		name   string
		change func(*absorbapi.User)
		check  func(t *testing.T, doc scimdoc.Document)
	}{
		{"job title and last name", func(u *absorbapi.User) {
			u.JobTitle, u.LastName = "Edited in Absorb", "Doe-Smith"
		}, func(t *testing.T, doc scimdoc.Document) {
			if str(doc, "title") != "Edited in Absorb" || str(doc, "name", "familyName") != "Doe-Smith" {
				t.Errorf("title %q familyName %q", str(doc, "title"), str(doc, "name", "familyName"))
			}
		}},
		{"deactivation", func(u *absorbapi.User) {
			u.ActiveStatus = absorbapi.StatusInactive
		}, func(t *testing.T, doc scimdoc.Document) {
			if active, ok := doc["active"].(bool); !ok || active {
				t.Errorf("active %v, want false", doc["active"])
			}
		}},
		{"cleared phone", func(u *absorbapi.User) {
			u.Phone = ""
		}, func(t *testing.T, doc scimdoc.Document) {
			if _, ok := doc["phoneNumbers"]; ok {
				t.Errorf("phoneNumbers %v, want none", doc["phoneNumbers"])
			}
		}},
	}
	for _, tt := range tests {
		for _, sameSecond := range []bool{false, true} {
			name := tt.name
			if sameSecond {
				name += ", in the same second as the bridge's own write"
			}
			t.Run(name, func(t *testing.T) {
				w := newWorld(t)
				doc := userDoc("jane@example.com", "Jane", "Doe")
				doc["phoneNumbers"] = []any{map[string]any{"value": "+1 555 0100", "type": "work"}}
				jane := w.create(doc)
				w.sync()
				if !sameSecond {
					w.advance(2 * time.Second) // Absorb dates edits to the second
				}
				before := w.get(jane.ID)
				w.editInAbsorb(w.absorbIDOf(jane.ID), tt.change)

				w.sync()

				after := w.get(jane.ID)
				tt.check(t, after.Doc)
				if after.Version != before.Version+1 {
					t.Errorf("version %d, want %d", after.Version, before.Version+1)
				}
				if st := w.b.SyncStatus(); st.Folded != 1 || !st.MirrorComplete || st.LastError != "" {
					t.Errorf("status %+v, want one fold", st)
				}
				// A further pass changes nothing more.
				w.sync()
				if got := w.get(jane.ID).Version; got != after.Version {
					t.Errorf("version %d after another pass, want %d", got, after.Version)
				}
			})
		}
	}
}

func TestSyncLeavesTheBridgesOwnWritesAlone(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	joe := w.create(userDoc("joe@example.com", "Joe", "Doe"))
	dave := w.create(userDoc("dave@example.com", "Dave", "Davis")) // adopted and reactivated
	if _, err := w.patch(jane.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "title", Value: "Engineer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.patch(joe.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "active", Value: false}); err != nil {
		t.Fatal(err)
	}
	bob := w.create(userDoc("bob@example.com", "Bob", "Brown")) // adopted by its create
	// Absorb writes dates back in its own form; read back, they are no change.
	datedDoc := userDoc("dated@example.com", "Dated", "User")
	datedDoc["schemas"] = []any{mapping.UserURN, mapping.AbsorbURN}
	datedDoc[mapping.AbsorbURN] = map[string]any{
		"dateHired":    "2024-03-01",
		"customFields": map[string]any{"datetime1": "2024-03-01T10:00:00+02:00", "decimal1": 3},
	}
	dated := w.create(datedDoc)
	if _, err := w.patch(dated.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: mapping.AbsorbURN + ":dateTerminated", Value: "2030-01-31"}); err != nil {
		t.Fatal(err)
	}
	gone := w.create(userDoc("gone@example.com", "Gone", "User"))
	if err := w.b.DeleteUser(ctx, gone.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	versions := map[string]uint64{}
	docs := map[string]scimdoc.Document{}
	for _, id := range []string{jane.ID, joe.ID, dave.ID, bob.ID, dated.ID} {
		versions[id] = w.get(id).Version
		docs[id] = w.get(id).Doc
	}

	w.sync() // full
	w.sync() // incremental
	w.advance(2 * time.Second)
	w.sync() // incremental, in a later second

	for id, doc := range docs {
		if diff := cmp.Diff(doc, w.get(id).Doc); diff != "" {
			t.Errorf("user %s changed by the sync (-before +after):\n%s", str(doc, "userName"), diff)
		}
	}

	for id, v := range versions {
		if got := w.get(id); got.Version != v {
			t.Errorf("user %s: version %d after sync, want %d: %v", str(got.Doc, "userName"), got.Version, v, got.Doc)
		}
	}
	if st := w.b.SyncStatus(); st.Folded != 0 {
		t.Errorf("%d folds of the bridge's own writes, want 0", st.Folded)
	} // The copy still matches what the IdP sends, so a write that changes
	// nothing Absorb holds still costs nothing.
	w.resetCalls()
	if _, err := w.patch(dated.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "add", Path: "nickName", Value: "D"}); err != nil {
		t.Fatal(err)
	}
	assertCalls(t, w, nil)
}

func TestSyncClashDoesNotStopTheSync(t *testing.T) {
	// Jane's account is renamed in Absorb to the userName another SCIM user
	// holds (that user's account was renamed first). The clash is left out;
	// the rest of the sync goes on.
	w := newWorld(t)
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	joe := w.create(userDoc("joe@example.com", "Joe", "Doe"))
	w.sync()
	w.editInAbsorb(w.absorbIDOf(joe.ID), func(u *absorbapi.User) { u.Username = "joseph@example.com" })
	w.editInAbsorb(w.absorbIDOf(jane.ID), func(u *absorbapi.User) { u.Username = "joe@example.com"; u.JobTitle = "Renamed" })
	carol := w.editInAbsorb(fakeabsorb.UserCarolID, func(u *absorbapi.User) { u.JobTitle = "Carol's new title" })

	if err := w.b.SyncNow(context.Background()); err != nil {
		t.Fatalf("SyncNow: %v", err)
	}
	if got := str(w.get(joe.ID).Doc, "userName"); got != "joseph@example.com" {
		t.Errorf("joe's userName %q, want the Absorb rename", got)
	}
	// Carol's account is not provisioned, but her copy is fresh.
	err := w.store.View(func(tx storage.Tx) error {
		rec, err := tx.AbsorbUserByUsername("carol@example.com")
		if err != nil {
			return err
		}
		if !strings.Contains(string(rec.Raw), carol.JobTitle) {
			t.Errorf("carol's copy after the sync: %s", rec.Raw)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMirrorStateSurvivesRestart(t *testing.T) {
	w := newWorld(t)
	w.sync()
	w.restart()
	if !w.b.SyncStatus().MirrorComplete {
		t.Errorf("the local copy is not complete after a restart, though a full sync finished before")
	}
	w.warm()
	w.resetCalls()
	if page := w.list(`userName eq "nobody@example.com"`); page.TotalResults != 0 {
		t.Errorf("found %v", userNames(page))
	}
	assertCalls(t, w, nil)
}

func TestRunStopsWhenItsContextEnds(t *testing.T) {
	w := newWorld(t, withRules(testRules...))
	jane := w.create(userDoc("jane@example.com", "Jane", "Doe"))
	w.createGroup("Sales Team", jane.ID) // pending rule work for Run
	closeIdleConnections(w.client)
	baseline := goleak.IgnoreCurrent()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.b.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := w.b.WaitRules(wctx); err != nil {
		t.Fatal(err)
	}
	if got := w.department(jane.ID); got != fakeabsorb.DeptSalesID {
		t.Errorf("department %s, want Sales", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	// Every goroutine Run started has ended (HTTP keep-alive connections
	// aside, which the transport closes when idle). goleak waits for
	// goroutines that are still on their way out.
	closeIdleConnections(w.client)
	if err := goleak.Find(baseline); err != nil {
		t.Fatalf("goroutines left after Run returned: %v", err)
	}
}

// closeIdleConnections closes the idle HTTP connections of the client and
// of the default transport, whose goroutines then end.
func closeIdleConnections(c *absorbapi.Client) {
	c.CloseIdleConnections()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

// scanHook is an Absorb client that calls each with every user a scan
// passes, before the bridge sees it.
type scanHook struct {
	bridge.Absorb
	each func(absorbapi.User)
}

func (h scanHook) ScanUsers(ctx context.Context, filter string, fn func(absorbapi.User) error) error {
	return h.Absorb.ScanUsers(ctx, filter, func(u absorbapi.User) error {
		h.each(u)
		return fn(u)
	})
}

// An account edited while a sync pass reads, after the pass read it, is
// folded by the next pass, even when the pass read a later edit of another
// account: the cursor is never later than the pass's start.
func TestSyncReadsAnEditMadeDuringTheScanAfterItPassed(t *testing.T) {
	var mid atomic.Pointer[func(absorbapi.User)]
	w := newWorld(t, func(c *worldConfig) {
		c.scanPage = 1 // a scan of many pages
		c.wrap = func(a bridge.Absorb) bridge.Absorb {
			return scanHook{Absorb: a, each: func(u absorbapi.User) {
				if f := mid.Load(); f != nil {
					(*f)(u)
				}
			}}
		}
	})
	ann := w.create(userDoc("ann.mid@example.com", "Ann", "Early"))
	zed := w.create(userDoc("zed.mid@example.com", "Zed", "Late"))
	w.sync()
	annID, zedID := w.absorbIDOf(ann.ID), w.absorbIDOf(zed.ID)

	var once sync.Once
	edit := func(u absorbapi.User) {
		if u.ID != annID {
			return
		}
		once.Do(func() {
			// Ann, just read, is edited; then Zed, not read yet, a second
			// later: the pass reads Zed's edit but not Ann's.
			w.advance(time.Second)
			w.editInAbsorb(annID, func(u *absorbapi.User) { u.JobTitle = "Edited mid-scan" })
			w.advance(time.Second)
			w.editInAbsorb(zedID, func(u *absorbapi.User) { u.JobTitle = "Edited later" })
		})
	}
	mid.Store(&edit)
	w.sync()
	mid.Store(nil)
	if got := str(w.get(zed.ID).Doc, "title"); got != "Edited later" {
		t.Fatalf("the pass did not fold Zed's edit: title %q", got)
	}

	w.sync()

	if got := str(w.get(ann.ID).Doc, "title"); got != "Edited mid-scan" {
		t.Errorf("Ann's title %q after the next pass, want the edit made while the pass before read", got)
	}
}

// stepAfterUpdate is a store that runs step once, after the first write
// transaction that ends once it is armed.
type stepAfterUpdate struct {
	*storage.Bolt
	armed atomic.Bool
	step  func()
}

func (s *stepAfterUpdate) Update(fn func(storage.Tx) error) error {
	err := s.Bolt.Update(fn)
	if s.armed.CompareAndSwap(true, false) {
		s.step()
	}
	return err
}

// seedPortal adds n learners to the fake Absorb that no SCIM user holds:
// learner i is portal<i, 4 digits>@example.com with externalId emp-<i>.
func (w *world) seedPortal(n int) {
	seed := make([]fakeabsorb.User, n)
	for i := range seed {
		name := fmt.Sprintf("portal%04d@example.com", i)
		seed[i] = fakeabsorb.User{Username: name, FirstName: "Portal", LastName: "Learner", EmailAddress: name,
			ExternalID: fmt.Sprint("emp-", i), DepartmentID: fakeabsorb.DeptCompanyID, IsLearner: true, HasUsername: true}
	}
	w.fake.AddUsers(seed...)
}

// The first full sync writes the copies of the accounts no SCIM user holds
// after its scan, in key order (storage.MirrorLoad). An account the bridge
// adopts while the scan goes on, after the sync chose to load its copy,
// keeps the copy the bridge wrote, not the older one the scan read; and
// every account is found by its username and externalId afterwards.
func TestFirstFullSyncKeepsAnAccountAdoptedWhileItRan(t *testing.T) {
	const accounts, batch = 520, 100
	var read atomic.Int64
	var first atomic.Pointer[absorbapi.User]
	var adopted scimdoc.Resource
	var w *world
	store := &stepAfterUpdate{step: func() {
		adopted = w.create(userDoc(first.Load().Username, "Adopted", "During-Sync"))
	}}
	w = newWorld(t, func(c *worldConfig) {
		c.wrap = func(a bridge.Absorb) bridge.Absorb {
			return scanHook{Absorb: a, each: func(u absorbapi.User) {
				if strings.HasPrefix(u.Username, "portal") { // not the fake's own accounts, administrators among them
					first.CompareAndSwap(nil, &u)
				}
				if read.Add(1) == batch {
					// The first batch is handed over after this account; its
					// fold's transaction is the next write.
					store.armed.Store(true)
				}
			}}
		}
		c.wrapStore = func(s storage.Store) storage.Store {
			store.Bolt = s.(*storage.Bolt)
			return store
		}
	})
	w.seedPortal(accounts)
	w.b.SetSyncBatch(batch)

	w.sync()

	if adopted.ID == "" {
		t.Fatal("no account was adopted during the sync")
	}
	absorbID := w.absorbIDOf(adopted.ID)
	if absorbID != first.Load().ID {
		t.Fatalf("the SCIM user holds %s, want the account read first, %s", absorbID, first.Load().ID)
	}
	err := w.store.View(func(tx storage.Tx) error {
		cp, err := tx.AbsorbUser(absorbID)
		if err != nil {
			return err
		}
		var u absorbapi.User
		if err := json.Unmarshal(cp.Raw, &u); err != nil {
			return err
		}
		if u.FirstName != "Adopted" || u.LastName != "During-Sync" {
			t.Errorf("local copy of the adopted account: %s %s, want the names the bridge sent (Adopted During-Sync)", u.FirstName, u.LastName)
		}
		if n := tx.CountAbsorbUsers(); n != int(read.Load()) {
			t.Errorf("%d accounts in the local copy, want the %d read", n, read.Load())
		}
		for i := range accounts {
			name := fmt.Sprintf("portal%04d@example.com", i)
			if a, err := tx.AbsorbUserByUsername(name); err != nil || a.Username != name {
				t.Fatalf("by username %s: %q, %v", name, a.Username, err)
			}
			if name == first.Load().Username {
				continue // the bridge's write left it the SCIM user's externalId: none
			}
			if a, err := tx.AbsorbUserByExternalID(fmt.Sprint("emp-", i)); err != nil || a.Username != name {
				t.Fatalf("by externalId emp-%d: %q, %v", i, a.Username, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !w.b.SyncStatus().MirrorComplete {
		t.Error("the mirror is not complete after the first full sync")
	}
}

// cancelOnLog is a log destination that calls cancel once the bridge logs a
// line holding want.
type cancelOnLog struct {
	want   []byte
	cancel func()
}

func (c cancelOnLog) Write(p []byte) (int, error) {
	if bytes.Contains(p, c.want) {
		c.cancel()
	}
	return len(p), nil
}

// A first full sync stopped after it wrote the local copies and before their
// index entries (a shutdown there; a crash leaves the same) is not done: the
// next start syncs in full again and rebuilds the indexes first, so every
// account is found by its username and externalId, and an IdP's create of
// one adopts it rather than making another.
func TestFirstFullSyncStoppedBeforeItsIndexesIsRepairedAtTheNextStart(t *testing.T) {
	const accounts = 300
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := newWorld(t, func(c *worldConfig) {
		c.log = cancelOnLog{want: []byte("writing the local copy"), cancel: cancel}
	})
	w.seedPortal(accounts)

	if err := w.b.SyncNow(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("SyncNow = %v, want it stopped after the copies were written", err)
	}
	if w.b.SyncStatus().MirrorComplete {
		t.Fatal("a stopped first sync counts as done")
	}
	found := func() (copies, byUsername, byExternalID int) {
		t.Helper()
		err := w.store.View(func(tx storage.Tx) error {
			copies = tx.CountAbsorbUsers()
			for i := range accounts {
				if _, err := tx.AbsorbUserByUsername(fmt.Sprintf("portal%04d@example.com", i)); err == nil {
					byUsername++
				}
				if _, err := tx.AbsorbUserByExternalID(fmt.Sprint("emp-", i)); err == nil {
					byExternalID++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return copies, byUsername, byExternalID
	}
	if copies, byName, byExt := found(); copies < accounts || byName != 0 || byExt != 0 {
		t.Fatalf("after the stop: %d copies, %d found by username, %d by externalId; want every copy and no index entry", copies, byName, byExt)
	}

	w.restart()
	w.sync()

	if copies, byName, byExt := found(); copies < accounts || byName != accounts || byExt != accounts {
		t.Errorf("after the next start's sync: %d copies, %d found by username, %d by externalId; want %d of each", copies, byName, byExt, accounts)
	}
	if !w.b.SyncStatus().MirrorComplete {
		t.Error("the next start's full sync did not complete the mirror")
	}
	adopted := w.create(userDoc("portal0042@example.com", "Portal", "Adopted"))
	if n := len(w.absorbUsersNamed("portal0042@example.com")); n != 1 {
		t.Errorf("Absorb accounts named portal0042@example.com after the IdP's create: %d, want the one adopted", n)
	}
	if w.absorbIDOf(adopted.ID) == "" {
		t.Error("the created user is linked to no account")
	}
}
