package postgres

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/internal/pgtest"
	"github.com/absorb-scim/absorb-scim/storage"
)

// fillTenant writes n users (and with them every kind of record) whose
// ids and names are the same in every tenant; only their documents say
// which tenant wrote them.
func fillTenant(t *testing.T, s *Store, n int) {
	t.Helper()
	mark := json.RawMessage(fmt.Sprintf(`{"tenant":%q}`, s.Tenant()))
	err := s.Update(func(tx storage.Tx) error {
		if err := tx.PutGroup(storage.Group{ID: "g1", DisplayName: "Staff", ExternalID: "G1", Resource: mark}); err != nil {
			return err
		}
		for i := range n {
			id := fmt.Sprintf("u%d", i)
			u := storage.User{ID: id, AbsorbID: "a" + id, UserName: "user" + id, ExternalID: "x" + id,
				Emails: []string{id + "@x.org"}, Active: true, Resource: mark}
			if err := tx.PutUser(u); err != nil {
				return err
			}
			if err := tx.PutAbsorbUser(storage.AbsorbUser{ID: "a" + id, Username: "user" + id, ExternalID: "x" + id, Raw: mark}); err != nil {
				return err
			}
			if _, err := tx.AddMember("g1", storage.Member{UserID: id, Display: s.Tenant()}); err != nil {
				return err
			}
			if err := tx.PutIntent(storage.Intent{Key: "user" + id, SCIMID: id, Resource: mark}); err != nil {
				return err
			}
			if err := tx.PutHold(storage.Hold{UserID: id, Kind: "deactivate", Resource: mark}); err != nil {
				return err
			}
			if err := tx.PutRuleState(id, mark); err != nil {
				return err
			}
			if _, err := tx.AppendAudit(storage.AuditRecord{ResourceID: id, Outcome: s.Tenant()}); err != nil {
				return err
			}
		}
		return tx.PutCursor("sync", s.Tenant())
	})
	if err != nil {
		t.Fatalf("fill tenant %s: %v", s.Tenant(), err)
	}
}

// checkTenant fails the test when any method of s returns a row of
// another tenant, or a count that is not its own n.
func checkTenant(t *testing.T, s *Store, n int) {
	t.Helper()
	mark := fmt.Sprintf(`{"tenant":%q}`, s.Tenant())
	own := func(what string, raw []byte) {
		t.Helper()
		if string(raw) != mark {
			t.Errorf("tenant %s: %s holds %s", s.Tenant(), what, raw)
		}
	}
	want := storage.Counts{Users: n, AbsorbUsers: n, Groups: 1, Memberships: n, Intents: n}
	if got := s.Stats(); got != want {
		t.Errorf("tenant %s: Stats = %+v, want %+v", s.Tenant(), got, want)
	}
	err := s.View(func(tx storage.Tx) error {
		if tx.CountUsers() != n || tx.CountAbsorbUsers() != n || tx.CountGroups() != 1 || tx.CountIntents() != n {
			t.Errorf("tenant %s: counts %d %d %d %d, want %d users", s.Tenant(), tx.CountUsers(), tx.CountAbsorbUsers(), tx.CountGroups(), tx.CountIntents(), n)
		}
		u, err := tx.User("u0")
		if err != nil {
			return err
		}
		own("User", u.Resource)
		for what, get := range map[string]func() (storage.User, error){
			"UserByUserName":   func() (storage.User, error) { return tx.UserByUserName("useru0") },
			"UserByExternalID": func() (storage.User, error) { return tx.UserByExternalID("xu0") },
			"UserByAbsorbID":   func() (storage.User, error) { return tx.UserByAbsorbID("au0") },
		} {
			u, err := get()
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			own(what, u.Resource)
		}
		for what, list := range map[string]func() ([]storage.User, error){
			"UsersByEmail":      func() ([]storage.User, error) { return tx.UsersByEmail("u0@x.org") },
			"UsersByExternalID": func() ([]storage.User, error) { return tx.UsersByExternalID("xu0") },
		} {
			users, err := list()
			if err != nil || len(users) != 1 {
				t.Errorf("tenant %s: %s = %d users, %v; want 1", s.Tenant(), what, len(users), err)
				continue
			}
			own(what, users[0].Resource)
		}
		for what, get := range map[string]func() (storage.AbsorbUser, error){
			"AbsorbUser":             func() (storage.AbsorbUser, error) { return tx.AbsorbUser("au0") },
			"AbsorbUserByUsername":   func() (storage.AbsorbUser, error) { return tx.AbsorbUserByUsername("useru0") },
			"AbsorbUserByExternalID": func() (storage.AbsorbUser, error) { return tx.AbsorbUserByExternalID("xu0") },
		} {
			a, err := get()
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			own(what, a.Raw)
		}
		g, err := tx.Group("g1")
		if err != nil {
			return err
		}
		own("Group", g.Resource)
		if g.MemberCount != n {
			t.Errorf("tenant %s: MemberCount = %d, want %d", s.Tenant(), g.MemberCount, n)
		}
		for what, list := range map[string]func() ([]storage.Group, error){
			"GroupsByDisplayName": func() ([]storage.Group, error) { return tx.GroupsByDisplayName("staff") },
			"GroupsByExternalID":  func() ([]storage.Group, error) { return tx.GroupsByExternalID("G1") },
		} {
			groups, err := list()
			if err != nil || len(groups) != 1 {
				t.Errorf("tenant %s: %s = %d groups, %v; want 1", s.Tenant(), what, len(groups), err)
				continue
			}
			own(what, groups[0].Resource)
		}
		in, err := tx.Intent("useru0")
		if err != nil {
			return err
		}
		own("Intent", in.Resource)
		h, err := tx.Hold("u0")
		if err != nil {
			return err
		}
		own("Hold", h.Resource)
		st, err := tx.RuleState("u0")
		if err != nil {
			return err
		}
		own("RuleState", st)
		if c, _ := tx.Cursor("sync"); c != s.Tenant() {
			t.Errorf("tenant %s: Cursor = %q", s.Tenant(), c)
		}
		if groups, err := tx.GroupsOfUser("u0"); err != nil || len(groups) != 1 {
			t.Errorf("tenant %s: GroupsOfUser = %v, %v", s.Tenant(), groups, err)
		}

		counted := map[string]int{}
		count := func(what string) { counted[what]++ }
		_ = tx.ForEachUser("", func(u storage.User) (bool, error) { own("ForEachUser", u.Resource); count("users"); return true, nil })
		_ = tx.ForEachAbsorbUser(func(a storage.AbsorbUser) (bool, error) {
			own("ForEachAbsorbUser", a.Raw)
			count("absorb")
			return true, nil
		})
		_ = tx.ForEachGroup("", func(g storage.Group) (bool, error) {
			own("ForEachGroup", g.Resource)
			count("groups")
			return true, nil
		})
		_ = tx.ForEachMember("g1", func(m storage.Member) (bool, error) {
			if m.Display != s.Tenant() {
				t.Errorf("tenant %s: member %+v", s.Tenant(), m)
			}
			count("members")
			return true, nil
		})
		_ = tx.ForEachIntent(func(in storage.Intent) (bool, error) {
			own("ForEachIntent", in.Resource)
			count("intents")
			return true, nil
		})
		_ = tx.ForEachHold(func(h storage.Hold) (bool, error) { own("ForEachHold", h.Resource); count("holds"); return true, nil })
		_ = tx.ForEachRuleState(func(_ string, raw json.RawMessage) (bool, error) {
			own("ForEachRuleState", raw)
			count("rules")
			return true, nil
		})
		audit := func(r storage.AuditRecord) (bool, error) {
			if r.Outcome != s.Tenant() {
				t.Errorf("tenant %s: audit record of %s", s.Tenant(), r.Outcome)
			}
			count("audit")
			return true, nil
		}
		_ = tx.ForEachAudit(0, audit)
		_ = tx.ForEachAuditBackward(0, audit)
		for _, idx := range []storage.UserIndex{storage.ByID, storage.ByUserName, storage.ByEmail, storage.ByActive, storage.ByLastModified} {
			_ = tx.ScanUsers(storage.UserRange{Index: idx}, false, nil, func([]byte, string) (bool, error) { count("walk"); return true, nil })
			if k, ok, err := tx.CountUserRange(storage.UserRange{Index: idx, Kind: storage.RangeAll}, 1000); k != n || !ok || err != nil {
				t.Errorf("tenant %s: CountUserRange(%d) = %d, %v, %v; want %d", s.Tenant(), idx, k, ok, err, n)
			}
		}
		if k, _, _ := tx.CountUserRange(storage.UserRange{Index: storage.ByActive, Kind: storage.RangeEqual, Active: true}, 1000); k != n {
			t.Errorf("tenant %s: active users = %d, want %d", s.Tenant(), k, n)
		}
		if p, _ := tx.SkipUsers(storage.UserRange{Index: storage.ByUserName}, false, n+1); p != nil {
			t.Errorf("tenant %s: SkipUsers past its %d users found %q", s.Tenant(), n, p)
		}
		wantCounts := map[string]int{"users": n, "absorb": n, "groups": 1, "members": n, "intents": n, "holds": n,
			"rules": n, "audit": 2 * n, "walk": 5 * n}
		if diff := cmp.Diff(wantCounts, counted); diff != "" {
			t.Errorf("tenant %s: rows read by walks (-want +got):\n%s", s.Tenant(), diff)
		}
		return nil
	})
	if err != nil {
		t.Errorf("tenant %s: %v", s.Tenant(), err)
	}
}

func TestTenantsNeverSeeEachOther(t *testing.T) {
	url := pgtest.URL(t)
	a := openTest(t, url, Options{Tenant: "portal-a"})
	b := openTest(t, url, Options{Tenant: "portal-b"})
	def := openTest(t, url, Options{})
	fillTenant(t, a, 3)
	fillTenant(t, b, 5)
	checkTenant(t, a, 3)
	checkTenant(t, b, 5)
	if c := def.Stats(); c != (storage.Counts{}) {
		t.Errorf("the default tenant counts %+v, want nothing", c)
	}

	// Writes and deletes in one tenant leave the other's rows alone.
	err := a.Update(func(tx storage.Tx) error {
		for i := range 3 {
			id := fmt.Sprintf("u%d", i)
			if err := tx.DeleteUser(id); err != nil {
				return err
			}
			if err := tx.DeleteAbsorbUser("a" + id); err != nil {
				return err
			}
			if err := tx.DeleteIntent("user" + id); err != nil {
				return err
			}
			if err := tx.DeleteHold(id); err != nil {
				return err
			}
		}
		if _, err := tx.PruneAudit(maxTime, 0); err != nil {
			return err
		}
		return tx.DeleteGroup("g1")
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := a.Stats(); c != (storage.Counts{}) {
		t.Errorf("tenant a after deleting everything: %+v", c)
	}
	checkTenant(t, b, 5)
}

var maxTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
