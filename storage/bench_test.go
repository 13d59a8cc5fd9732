package storage

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

const fixtureUsers = 100_000

// fixture is a store loaded with n users (and, with mirror, their Absorb
// copies), written in random id order as an IdP would create them.
type fixture struct {
	s         *Bolt
	ids       []string
	userNames []string
}

// batch is the number of users per transaction: large batches load fast,
// batches of a few users leave the pages as full as IdP traffic does.
func loadFixture(b *testing.B, n int, mirror bool, batch int) *fixture {
	b.Helper()
	start := time.Now()
	s := openTest(b)
	r := rand.New(rand.NewPCG(1, 2))
	f := &fixture{s: s, ids: make([]string, n), userNames: make([]string, n)}
	seen := make(map[string]struct{}, n)
	for lo := 0; lo < n; lo += batch {
		update(b, s, func(tx *boltTx) error {
			for i := lo; i < min(lo+batch, n); i++ {
				id := fakeUUID(r)
				// Names and externalIds in no particular order, as from an IdP.
				name := fmt.Sprintf("%s.%s%d@example-corp.com", firstNames[r.IntN(len(firstNames))],
					lastNames[r.IntN(len(lastNames))], r.IntN(1_000_000))
				if _, dup := seen[FoldCase(name)]; dup {
					name = fmt.Sprintf("%s.%d", id[:8], i) + name
				}
				seen[FoldCase(name)] = struct{}{}
				u := testUser(id, name, name)
				u.AbsorbID = fakeUUID(r)
				u.ExternalID = "00u" + fakeUUID(r)[:18]
				f.ids[i], f.userNames[i] = id, name
				if err := tx.PutUser(u); err != nil {
					return err
				}
				if mirror {
					a := AbsorbUser{ID: u.AbsorbID, Username: name, ExternalID: u.ExternalID,
						DateEdited: "2025-03-01T08:09:10.456", Raw: absorbRaw(u.AbsorbID, name, u.ExternalID)}
					if err := tx.PutAbsorbUser(a); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	b.Logf("loaded %d users in %s", n, time.Since(start).Round(time.Millisecond))
	return f
}

// BenchmarkRead measures lookups with 100,000 users loaded; the fixture is
// built once for all the sub-benchmarks.
func BenchmarkRead(b *testing.B) {
	f := loadFixture(b, fixtureUsers, false, 10_000)
	b.Run("UserByID", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			id := f.ids[i%len(f.ids)]
			i += 7919
			if err := f.s.view(func(tx *boltTx) error { _, err := tx.User(id); return err }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("UserByUserName", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			name := f.userNames[i%len(f.userNames)]
			i += 7919
			if err := f.s.view(func(tx *boltTx) error { _, err := tx.UserByUserName(name); return err }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("UsersByEmail", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			name := f.userNames[i%len(f.userNames)]
			i += 7919
			if err := f.s.view(func(tx *boltTx) error {
				us, err := tx.UsersByEmail(name)
				if err == nil && len(us) != 1 {
					err = fmt.Errorf("got %d users", len(us))
				}
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("UserByIDParallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := rand.IntN(len(f.ids))
			for pb.Next() {
				id := f.ids[i%len(f.ids)]
				i += 7919
				if err := f.s.view(func(tx *boltTx) error { _, err := tx.User(id); return err }); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkPutUser measures replacing a user (all its indexes) in its own
// transaction, without fsync, in a store of 10,000 users.
func BenchmarkPutUser(b *testing.B) {
	f := loadFixture(b, 10_000, false, 10_000)
	users := make([]User, len(f.ids))
	view(b, f.s, func(tx *boltTx) error {
		for i, id := range f.ids {
			u, err := tx.User(id)
			if err != nil {
				return err
			}
			users[i] = u
		}
		return nil
	})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		u := users[i%len(users)]
		i++
		u.Version++
		u.Emails = []string{fmt.Sprintf("renamed%d@example.com", i)}
		if err := f.s.update(func(tx *boltTx) error { return tx.PutUser(u) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddMember shows that a one-member change costs the same in a
// group of 20,000 members as in a group of 2. Each op adds or removes one
// member in its own transaction, without fsync.
func BenchmarkAddMember(b *testing.B) {
	f := loadFixture(b, 20_002, false, 10_000)
	putGroups(b, f.s, Group{ID: "big", DisplayName: "Big"}, Group{ID: "small", DisplayName: "Small"})
	update(b, f.s, func(tx *boltTx) error {
		for _, id := range f.ids[:20_000] {
			if _, err := tx.AddMember("big", Member{UserID: id}); err != nil {
				return err
			}
		}
		for _, id := range f.ids[20_000:] {
			if _, err := tx.AddMember("small", Member{UserID: id}); err != nil {
				return err
			}
		}
		return nil
	})
	for _, bm := range []struct {
		name, group, outsider string // outsider is in the other group only
	}{
		{"members=20000", "big", f.ids[len(f.ids)-1]},
		{"members=2", "small", f.ids[0]},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				err := f.s.update(func(tx *boltTx) error {
					var err error
					if i%2 == 0 {
						_, err = tx.AddMember(bm.group, Member{UserID: bm.outsider, Display: "Some One"})
					} else {
						_, err = tx.RemoveMember(bm.group, bm.outsider)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
			update(b, f.s, func(tx *boltTx) error { _, err := tx.RemoveMember(bm.group, bm.outsider); return err })
		})
	}
}

// BenchmarkFileSize reports the size of a file holding 100,000 users and
// their Absorb mirror, 100 groups with 1,000 members each and 100,000 audit
// records, written in transactions of 1,000 users. It takes a minute or two
// on disk (about 30 s with TMPDIR on tmpfs).
func BenchmarkFileSize(b *testing.B) {
	f := loadFixture(b, fixtureUsers, true, 1000)
	r := rand.New(rand.NewPCG(3, 4))
	for g := range 100 {
		id := fakeUUID(r)
		putGroups(b, f.s, Group{ID: id, DisplayName: fmt.Sprintf("Group %d", g), Resource: []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Group"}`)})
		update(b, f.s, func(tx *boltTx) error {
			for range 1000 {
				if _, err := tx.AddMember(id, Member{UserID: f.ids[r.IntN(len(f.ids))], Display: "Jennifer O'Connor-Smith"}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for lo := 0; lo < 100_000; lo += 5000 {
		update(b, f.s, func(tx *boltTx) error {
			for i := lo; i < lo+5000; i++ {
				_, err := tx.AppendAudit(AuditRecord{Credential: "okta", RequestID: fakeUUID(r), Operation: "replace",
					ResourceType: "User", ResourceID: f.ids[i%len(f.ids)], AbsorbID: "x", UserName: f.userNames[i%len(f.ids)],
					Outcome: "ok", Changes: []FieldChange{{Field: "title", From: "Engineer", To: "Senior Engineer"}}})
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	fi, err := os.Stat(f.s.Path())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
	b.Logf("%+v", f.s.Stats())
}
