package storage

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mirrorAccounts are n Absorb copies in no order of their ids, usernames or
// externalIds; every tenth shares its externalId with the one before (Absorb
// does not keep externalIds unique), and the usernames differ from their
// index keys in case.
func mirrorAccounts(n int) []AbsorbUser {
	r := rand.New(rand.NewPCG(7, 11))
	names, exts := r.Perm(n), r.Perm(n)
	var users []AbsorbUser
	for i := range n {
		id := fakeUUID(r)
		name := fmt.Sprintf("Learner%05d@Example.com", names[i])
		ext := fmt.Sprintf("emp-%05d", exts[i])
		if i%10 == 9 {
			ext = users[i-1].ExternalID
		}
		users = append(users, AbsorbUser{ID: id, Username: name, ExternalID: ext, DateEdited: "2025-03-01T08:09:10",
			Raw: absorbRaw(id, name, ext)})
	}
	return users
}

// startLoad starts a MirrorLoad whose runs and transactions are small, so
// that a few thousand accounts make many of each.
func startLoad(t *testing.T, s *Bolt, skip func(string) bool) *MirrorLoad {
	t.Helper()
	if skip == nil {
		skip = func(string) bool { return false }
	}
	l, err := s.LoadMirror(context.Background(), skip)
	if err != nil {
		t.Fatalf("LoadMirror: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	l.runBytes, l.txBytes = 64<<10, 32<<10
	return l
}

func addAll(t *testing.T, l *MirrorLoad, users []AbsorbUser) {
	t.Helper()
	for _, u := range users {
		if err := l.Add(PreparedAbsorbUser{User: u}); err != nil {
			t.Fatalf("Add %s: %v", u.ID, err)
		}
	}
}

// bucketContents is every key and value of the bucket id.
func bucketContents(t *testing.T, s *Bolt, id bucketID) map[string]string {
	t.Helper()
	kv := map[string]string{}
	view(t, s, func(tx *boltTx) error {
		return tx.b(id).ForEach(func(k, v []byte) error { kv[string(k)] = string(v); return nil })
	})
	return kv
}

// A load leaves the store as writing each copy in the order added would:
// the same copies, the same index entries (of two accounts sharing an
// externalId, the one added later), the same count; and no run file.
func TestMirrorLoadWritesWhatPuttingEachInTurnWould(t *testing.T) {
	users := mirrorAccounts(3000)
	loaded, oneByOne := openTest(t), openTest(t)
	update(t, oneByOne, func(tx *boltTx) error {
		for _, u := range users {
			if err := tx.PutAbsorbUser(u); err != nil {
				return err
			}
		}
		return nil
	})

	l := startLoad(t, loaded, nil)
	addAll(t, l, users)
	var progress []int
	res, err := l.Finish(context.Background(), func(written int) { progress = append(progress, written) })
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if res != (MirrorLoadResult{Written: len(users)}) {
		t.Errorf("Finish = %+v, want every copy written, none skipped", res)
	}
	if l.runs < 10 || len(progress) < 10 {
		t.Errorf("%d runs and %d transactions: the test meant many of each", l.runs, len(progress))
	}
	if last := progress[len(progress)-1]; last != len(users) {
		t.Errorf("progress ended at %d, want %d", last, len(users))
	}
	for _, b := range []bucketID{bAbsorbUsers, bAbsorbUsername, bAbsorbExternalID} {
		if diff := cmp.Diff(bucketContents(t, oneByOne, b), bucketContents(t, loaded, b)); diff != "" {
			t.Errorf("%s differs from writing each copy in turn (-in turn +loaded):\n%.2000s", bucketNames[b], diff)
		}
	}
	if got := loaded.Stats().AbsorbUsers; got != len(users) {
		t.Errorf("count %d, want %d", got, len(users))
	}
	view(t, loaded, func(tx *boltTx) error {
		u, err := tx.AbsorbUserByUsername("LEARNER00042@example.COM")
		if err != nil || FoldUserName(u.Username) != "learner00042@example.com" {
			t.Errorf("by username: %+v, %v", u.Username, err)
		}
		if tx.b(bMeta).Get(keyMirrorLoad) != nil {
			t.Error("the load's mark is left after it finished")
		}
		return nil
	})
	checkStore(t, loaded)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(loaded.path + ".mirror-load"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("run files left after Close: %v", err)
	}
}

// What the store holds when the load writes wins: a copy written after it
// was added keeps its own values and index entries, and an account skip
// names is not written at all.
func TestMirrorLoadKeepsWhatWasWrittenMeanwhile(t *testing.T) {
	s := openTest(t)
	users := mirrorAccounts(200)
	rewritten, skipped := users[10], users[20]
	l := startLoad(t, s, func(id string) bool { return id == skipped.ID })
	addAll(t, l, users)

	newer := rewritten
	newer.Username, newer.ExternalID = "renamed@example.com", "emp-renamed"
	newer.Raw = absorbRaw(newer.ID, newer.Username, newer.ExternalID)
	update(t, s, func(tx *boltTx) error { return tx.PutAbsorbUser(newer) })

	res, err := l.Finish(context.Background(), nil)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if res != (MirrorLoadResult{Written: len(users) - 2, Skipped: 2}) {
		t.Errorf("Finish = %+v, want all but two written", res)
	}
	view(t, s, func(tx *boltTx) error {
		if got, err := tx.AbsorbUser(rewritten.ID); err != nil || got.Username != newer.Username {
			t.Errorf("the copy written meanwhile: %q, %v; want it kept", got.Username, err)
		}
		if got, err := tx.AbsorbUserByUsername(newer.Username); err != nil || got.ID != newer.ID {
			t.Errorf("by its new username: %q, %v", got.ID, err)
		}
		for name, lookup := range map[string]func() (AbsorbUser, error){
			"the old username of the copy written meanwhile": func() (AbsorbUser, error) {
				return tx.AbsorbUserByUsername(rewritten.Username)
			},
			"the skipped account":            func() (AbsorbUser, error) { return tx.AbsorbUser(skipped.ID) },
			"the skipped account's username": func() (AbsorbUser, error) { return tx.AbsorbUserByUsername(skipped.Username) },
		} {
			if u, err := lookup(); !isNotFound(err) {
				t.Errorf("%s: found %q (%v), want ErrNotFound", name, u.ID, err)
			}
		}
		if got := tx.CountAbsorbUsers(); got != len(users)-1 {
			t.Errorf("count %d, want %d", got, len(users)-1)
		}
		return nil
	})
	checkStore(t, s)
}

// A load stopped after its copies and before its indexes leaves copies no
// index finds; the next load rebuilds both indexes before it starts.
func TestMirrorLoadInterruptedBeforeItsIndexesIsRepairedByTheNext(t *testing.T) {
	s := openTest(t)
	users := mirrorAccounts(1000)
	l := startLoad(t, s, nil)
	addAll(t, l, users)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := l.Finish(ctx, func(written int) {
		if written == len(users) {
			cancel() // every copy is written: stop before the indexes
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Finish = %v, want it cancelled", err)
	}
	_ = l.Close()
	lookups := func() (found int) {
		view(t, s, func(tx *boltTx) error {
			for _, u := range users {
				a, err1 := tx.AbsorbUserByUsername(u.Username)
				b, err2 := tx.AbsorbUserByExternalID(u.ExternalID)
				if err1 == nil && err2 == nil && a.ID == u.ID && b.ExternalID == u.ExternalID {
					found++
				}
			}
			return nil
		})
		return found
	}
	if got := lookups(); got != 0 {
		t.Fatalf("%d accounts found by their keys before the indexes were written: the test stopped too late", got)
	}
	checkStore(t, s)

	next := startLoad(t, s, nil)
	if got := lookups(); got != len(users) {
		t.Errorf("after the next load started, %d of %d accounts found by username and externalId", got, len(users))
	}
	if _, err := next.Finish(context.Background(), nil); err != nil {
		t.Fatalf("Finish of an empty load: %v", err)
	}
	view(t, s, func(tx *boltTx) error {
		if tx.b(bMeta).Get(keyMirrorLoad) != nil {
			t.Error("the mark of the interrupted load is left")
		}
		return nil
	})
	checkStore(t, s)
}

func TestMirrorLoadRefusesAReadOnlyStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bridge.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.LoadMirror(context.Background(), func(string) bool { return false }); err == nil {
		t.Error("LoadMirror on a read-only store succeeded")
	}
	if _, err := os.Stat(path + ".mirror-load"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a read-only store got a run directory: %v", err)
	}
}
