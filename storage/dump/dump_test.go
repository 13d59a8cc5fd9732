package dump_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/storage"
	"github.com/absorb-scim/absorb-scim/storage/dump"
)

// engine opens a new, empty store of one kind.
type engine struct {
	name string
	open func(t *testing.T) storage.Store
}

func openBolt(t *testing.T) storage.Store {
	t.Helper()
	s, err := storage.Open(filepath.Join(t.TempDir(), "absorb-scim.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fill writes some of every kind of record into s and returns its counts.
func fill(t *testing.T, s storage.Store, users int) dump.Counts {
	t.Helper()
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)
	err := s.Update(func(tx storage.Tx) error {
		for i := range users {
			id := fmt.Sprintf("0190-%04d", i)
			u := storage.User{ID: id, UserName: fmt.Sprintf("user%d@example.com", i), Active: i%3 != 0,
				Emails:   []string{fmt.Sprintf("User%d@Example.com", i)},
				Resource: json.RawMessage(fmt.Sprintf(`{"userName":"user%d@example.com","name":{"givenName":"Zoë <%d>"}}`, i, i)),
				Created:  t0, LastModified: t0.Add(time.Duration(i) * time.Second), Version: uint64(i + 1)}
			if i%2 == 0 {
				u.AbsorbID = fmt.Sprintf("abs-%d", i)
				u.ExternalID = fmt.Sprintf("ext-%d", i)
			}
			if err := tx.PutUser(u); err != nil {
				return err
			}
			if u.AbsorbID != "" {
				if err := tx.PutAbsorbUser(storage.AbsorbUser{ID: u.AbsorbID, Username: u.UserName, ExternalID: u.ExternalID,
					DateEdited: "2026-03-04T05:06:07.123", Raw: json.RawMessage(`{"id":"` + u.AbsorbID + `","isActive":true}`)}); err != nil {
					return err
				}
			}
		}
		// An Absorb account no user is linked to.
		if err := tx.PutAbsorbUser(storage.AbsorbUser{ID: "abs-orphan", Username: "orphan", Raw: json.RawMessage(`{"id":"abs-orphan"}`)}); err != nil {
			return err
		}
		for g := range 3 {
			gid := fmt.Sprintf("g-%d", g)
			if err := tx.PutGroup(storage.Group{ID: gid, DisplayName: fmt.Sprintf("Group %d", g), ExternalID: "gx",
				Resource: json.RawMessage(`{"displayName":"Group"}`), Created: t0, LastModified: t0, Version: 2}); err != nil {
				return err
			}
			for i := g; i < users; i += 2 {
				if _, err := tx.AddMember(gid, storage.Member{UserID: fmt.Sprintf("0190-%04d", i), Display: "member"}); err != nil {
					return err
				}
			}
		}
		if err := tx.PutIntent(storage.Intent{Key: "Pending@Example.com", SCIMID: "0190-pending", Resource: json.RawMessage(`{"userName":"pending"}`), Started: t0}); err != nil {
			return err
		}
		if err := tx.PutHold(storage.Hold{UserID: "0190-0001", AbsorbID: "abs-1", UserName: "user1@example.com", Kind: "deactivate",
			Time: t0, Credential: "okta", RequestID: "req-1", Resource: json.RawMessage(`{"active":true}`)}); err != nil {
			return err
		}
		if err := tx.PutRuleState("0190-0002", json.RawMessage(`{"sales":true}`)); err != nil {
			return err
		}
		for i := range 5 {
			if _, err := tx.AppendAudit(storage.AuditRecord{Time: t0.Add(time.Duration(i) * time.Minute), Credential: "okta",
				RequestID: fmt.Sprintf("r%d", i), Operation: "update", ResourceType: "User", ResourceID: "0190-0000",
				AbsorbID: "abs-0", UserName: "user0@example.com", Outcome: "ok",
				Changes: []storage.FieldChange{{Field: "jobTitle", From: "a", To: "b"}}}); err != nil {
				return err
			}
		}
		if err := tx.PutCursor("absorb/edited-since", "2026-03-04T05:06:07Z"); err != nil {
			return err
		}
		return tx.PutCursor("absorb/full-sync-done", "2026-03-04T05:00:00Z")
	})
	if err != nil {
		t.Fatalf("fill: %v", err)
	}
	members := 0
	for g := range 3 {
		for i := g; i < users; i += 2 {
			members++
		}
	}
	return dump.Counts{Users: users, AbsorbUsers: (users+1)/2 + 1, Groups: 3, Members: members, Intents: 1, Holds: 1,
		RuleStates: 1, Audit: 5, Cursors: 2}
}

// comparable is a dump without what a copy may change: the time it was
// made and the audit sequence numbers.
func comparable(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		delete(m, "dump")
		if a, ok := m["audit"].(map[string]any); ok {
			delete(a, "seq")
		}
		if len(m) > 0 {
			out = append(out, m)
		}
	}
	return out
}

func TestExportImportRoundTrip(t *testing.T) {
	for _, from := range engines(t) {
		for _, to := range engines(t) {
			t.Run(from.name+" to "+to.name, func(t *testing.T) {
				ctx := context.Background()
				src := from.open(t)
				want := fill(t, src, 40)
				var first bytes.Buffer
				got, err := dump.Export(ctx, src, &first)
				if err != nil {
					t.Fatalf("Export: %v", err)
				}
				if got != want {
					t.Errorf("Export counted %+v, want %+v", got, want)
				}
				dst := to.open(t)
				imported, err := dump.Import(ctx, dst, bytes.NewReader(first.Bytes()))
				if err != nil {
					t.Fatalf("Import: %v", err)
				}
				if imported != want {
					t.Errorf("Import counted %+v, want %+v", imported, want)
				}
				counted, err := dump.Count(ctx, dst)
				if err != nil || counted != want {
					t.Errorf("Count(destination) = %+v, %v; want %+v", counted, err, want)
				}
				var second bytes.Buffer
				if _, err := dump.Export(ctx, dst, &second); err != nil {
					t.Fatalf("Export of the copy: %v", err)
				}
				if diff := cmp.Diff(comparable(t, first.Bytes()), comparable(t, second.Bytes())); diff != "" {
					t.Errorf("the copy differs from the source (-source +copy):\n%s", diff)
				}
				if b, ok := dst.(*storage.Bolt); ok {
					// Every index and counter of the file agrees with its records.
					if err := b.Check(); err != nil {
						t.Errorf("Check of the bbolt copy: %v", err)
					}
				}
				if st := dst.Stats(); st.Users != want.Users || st.Groups != want.Groups || st.Memberships != want.Members ||
					st.AbsorbUsers != want.AbsorbUsers || st.Intents != want.Intents {
					t.Errorf("the copy's kept counts %+v disagree with %+v", st, want)
				}
				// The indexes were built by the writes, not copied: the
				// lookups the bridge makes answer.
				err = dst.View(func(tx storage.Tx) error {
					if u, err := tx.UserByUserName("USER4@example.com"); err != nil || u.ID != "0190-0004" {
						return fmt.Errorf("UserByUserName = %+v, %v", u, err)
					}
					if u, err := tx.UserByAbsorbID("abs-6"); err != nil || u.ID != "0190-0006" {
						return fmt.Errorf("UserByAbsorbID = %+v, %v", u, err)
					}
					if us, err := tx.UsersByEmail("user8@example.COM"); err != nil || len(us) != 1 {
						return fmt.Errorf("UsersByEmail = %+v, %v", us, err)
					}
					if ok, err := tx.IsMember("g-1", "0190-0003"); err != nil || !ok {
						return fmt.Errorf("IsMember = %t, %v", ok, err)
					}
					if a, err := tx.AbsorbUserByUsername("orphan"); err != nil || a.ID != "abs-orphan" {
						return fmt.Errorf("AbsorbUserByUsername = %+v, %v", a, err)
					}
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
	}
}

func TestClearEmptiesAStore(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			ctx := context.Background()
			s := e.open(t)
			fill(t, s, 25)
			if err := dump.Clear(ctx, s); err != nil {
				t.Fatalf("Clear: %v", err)
			}
			c, err := dump.Count(ctx, s)
			if err != nil || !c.Empty() {
				t.Errorf("Count after Clear = %+v, %v; want empty", c, err)
			}
			if st := s.Stats(); st != (storage.Counts{}) {
				t.Errorf("Stats after Clear = %+v", st)
			}
			// A cleared store takes a copy again.
			want := fill(t, s, 3)
			if c, err := dump.Count(ctx, s); err != nil || c != want {
				t.Errorf("Count after refill = %+v, %v; want %+v", c, err, want)
			}
		})
	}
}

func TestImportRefusesADamagedDump(t *testing.T) {
	ctx := context.Background()
	src := openBolt(t)
	fill(t, src, 5)
	var buf bytes.Buffer
	if _, err := dump.Export(ctx, src, &buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(buf.String(), "\n"), "\n")
	whole := buf.String()
	for _, tc := range []struct {
		name, dump, want string
	}{
		{"empty", "", "it is empty"},
		{"cut short", strings.Join(lines[:len(lines)-3], ""), "cut short"},
		{"cut mid-line", whole[:len(whole)-20], "line"},
		{"not a dump", "{\"users\":[]}\n", "does not begin as an absorb-scim dump"},
		{"a bbolt file", "\x00\x00\x00\x00bolt", "does not begin as an absorb-scim dump"},
		{"newer version", strings.Replace(whole, `"version":1`, `"version":9`, 1), "format version 9"},
		{"unknown key", strings.Replace(whole, `{"cursor":`, `{"colour":`, 1), "unknown field"},
		{"counts disagree", strings.Replace(whole, `"holds":1`, `"holds":2`, 1), "counts"},
		{"trailing data", whole + lines[1], "more follows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dump.Import(ctx, openBolt(t), strings.NewReader(tc.dump))
			if !errors.Is(err, dump.ErrDamaged) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Import = %v, want ErrDamaged saying %q", err, tc.want)
			}
		})
	}
}

func TestExportStopsWithItsContext(t *testing.T) {
	src := openBolt(t)
	fill(t, src, 1500)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := dump.Export(ctx, src, &bytes.Buffer{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Export with an ended context = %v, want context.Canceled", err)
	}
}

func TestVerifyReadsWithoutWriting(t *testing.T) {
	ctx := context.Background()
	src := openBolt(t)
	want := fill(t, src, 7)
	var buf bytes.Buffer
	if _, err := dump.Export(ctx, src, &buf); err != nil {
		t.Fatal(err)
	}
	got, err := dump.Verify(ctx, bytes.NewReader(buf.Bytes()))
	if err != nil || got != want {
		t.Errorf("Verify = %+v, %v; want %+v", got, err, want)
	}
	if _, err := dump.Verify(ctx, bytes.NewReader(buf.Bytes()[:buf.Len()/2])); !errors.Is(err, dump.ErrDamaged) {
		t.Errorf("Verify of half a dump = %v, want ErrDamaged", err)
	}
}
