package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/absorb-scim/absorb-scim/internal/pgtest"
	"github.com/absorb-scim/absorb-scim/storage"
)

func openTest(t testing.TB, url string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestOpenMigratesOnceWhenReplicasStartTogether(t *testing.T) {
	url := pgtest.URL(t)
	const replicas = 4
	stores := make([]*Store, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), url, Options{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: Open: %v", i, err)
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	var applied int
	if err := stores[0].Pool().QueryRow(context.Background(), "SELECT count(*) FROM schema_migrations").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if want := len(mustMigrations(t)); applied != want {
		t.Errorf("schema_migrations holds %d rows, want %d (one per migration)", applied, want)
	}
	current, latest, err := SchemaVersion(context.Background(), stores[0].Pool())
	if err != nil || current != latest || latest != LatestSchemaVersion() || latest < 1 {
		t.Errorf("SchemaVersion = %d, %d, %v; want both %d", current, latest, err, LatestSchemaVersion())
	}
}

func mustMigrations(t *testing.T) []migration {
	t.Helper()
	list, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestSchemaVersionOfAnEmptyDatabase(t *testing.T) {
	s := openTest(t, pgtest.URL(t), Options{})
	if _, err := s.Pool().Exec(context.Background(), "DROP TABLE schema_migrations"); err != nil {
		t.Fatal(err)
	}
	current, latest, err := SchemaVersion(context.Background(), s.Pool())
	if err != nil || current != 0 || latest != LatestSchemaVersion() {
		t.Errorf("SchemaVersion = %d, %d, %v; want 0, %d, nil", current, latest, err, LatestSchemaVersion())
	}
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	url := pgtest.URL(t)
	s := openTest(t, url, Options{})
	if _, err := s.Pool().Exec(context.Background(), "INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future')"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), url, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer than this build") {
		t.Errorf("Open of a newer schema: %v, want an error saying it is newer", err)
	}
}

func TestDescribeNeverHoldsThePassword(t *testing.T) {
	url := pgtest.URL(t)
	s := openTest(t, url, Options{Tenant: "portal-b"})
	if _, err := s.Pool().Exec(context.Background(), "CREATE ROLE describe_test LOGIN PASSWORD 's3cret-pw'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = s.Pool().Exec(context.Background(), "DROP ROLE IF EXISTS describe_test") })
	withPassword := strings.Replace(url, "://postgres@", "://describe_test:s3cret-pw@", 1)
	if withPassword == url {
		t.Skipf("test URL %s names no user postgres to replace", url)
	}
	o, err := Open(context.Background(), withPassword, Options{Tenant: "portal-b"})
	if err != nil {
		// The role may lack rights on the schema; Describe is what is
		// tested, and the error must not hold the password either.
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Fatalf("Open error holds the password: %v", err)
		}
		return
	}
	defer o.Close()
	if d := o.Describe(); strings.Contains(d, "s3cret-pw") || !strings.HasPrefix(d, "postgres ") || !strings.Contains(d, "portal-b") {
		t.Errorf("Describe() = %q, want the host, database and tenant and no password", d)
	}
	if _, err := Open(context.Background(), "postgres://u:s3cret-pw@127.0.0.1:1/x?connect_timeout=5", Options{}); err == nil || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("Open of an unreachable database: %v, want an error without the password", err)
	}
	if _, err := Open(context.Background(), "postgres://u:s3cret-pw@[::1/x", Options{}); err == nil || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("Open of a malformed URL: %v, want an error without the password", err)
	}
}

func TestBackupSaysWhatToUse(t *testing.T) {
	s := openTest(t, pgtest.URL(t), Options{})
	var w strings.Builder
	if _, err := s.Backup(&w); !errors.Is(err, ErrBackupUnsupported) || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("Backup: %v, want ErrBackupUnsupported naming pg_dump", err)
	}
}

func TestSmokeUser(t *testing.T) {
	s := openTest(t, pgtest.URL(t), Options{})
	err := s.Update(func(tx storage.Tx) error {
		return tx.PutUser(storage.User{ID: "u1", UserName: "Ann", Emails: []string{"A@x"}, Active: true, Resource: []byte(`{"a":1}`)})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(func(tx storage.Tx) error {
		u, err := tx.UserByUserName("ANN")
		if err != nil || u.ID != "u1" || string(u.Resource) != `{"a":1}` {
			t.Errorf("UserByUserName = %+v, %v", u, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUsersEpochMovesFromAFreshDatabase(t *testing.T) {
	s := openTest(t, pgtest.URL(t), Options{})
	e0 := s.UsersEpoch()
	if e0 == 0 {
		t.Fatal("UsersEpoch = 0 on a readable database")
	}
	err := s.Update(func(tx storage.Tx) error { return tx.PutUser(storage.User{ID: "u1", UserName: "ann"}) })
	if err != nil {
		t.Fatal(err)
	}
	e1 := s.UsersEpoch()
	if e1 == e0 {
		t.Errorf("UsersEpoch stayed %d across the first user write", e0)
	}
	// Another replica's write moves it too.
	other := openTest(t, s.Pool().Config().ConnString(), Options{})
	if err := other.Update(func(tx storage.Tx) error { return tx.DeleteUser("u1") }); err != nil {
		t.Fatal(err)
	}
	if e2 := s.UsersEpoch(); e2 == e1 {
		t.Errorf("UsersEpoch stayed %d across another replica's write", e1)
	}
	// A write of anything else leaves it.
	if err := other.Update(func(tx storage.Tx) error { return tx.PutCursor("c", "v") }); err != nil {
		t.Fatal(err)
	}
	if e3, e2 := s.UsersEpoch(), s.UsersEpoch(); e3 != e2 {
		t.Errorf("UsersEpoch moved without a write")
	}
}

func TestCountUserRangeWithoutLimit(t *testing.T) {
	s := openTest(t, pgtest.URL(t), Options{})
	err := s.Update(func(tx storage.Tx) error { return tx.PutUser(storage.User{ID: "u1", UserName: "ann"}) })
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(func(tx storage.Tx) error {
		n, ok, err := tx.CountUserRange(storage.UserRange{Index: storage.ByUserName, Kind: storage.RangePrefix, Value: "a"}, math.MaxInt)
		if n != 1 || !ok || err != nil {
			t.Errorf("CountUserRange(limit MaxInt) = %d, %v, %v; want 1, true, nil", n, ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A transaction uses the one connection it holds: with a pool of one,
// concurrent writers and readers take turns instead of waiting for a
// second connection forever.
func TestOneConnectionIsEnough(t *testing.T) {
	s := openTest(t, pgtest.URL(t), Options{MaxConns: 1})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			err := s.Batch(func(tx storage.Tx) error {
				return tx.PutUser(storage.User{ID: fmt.Sprintf("u%d", i), UserName: fmt.Sprintf("n%d", i)})
			})
			if err != nil {
				t.Errorf("Batch: %v", err)
			}
			_ = s.Stats()
			_ = s.UsersEpoch()
		})
	}
	wg.Wait()
	if c := s.Stats(); c.Users != 8 {
		t.Errorf("Stats().Users = %d, want 8", c.Users)
	}
}

func TestClosedStoreCountsNothing(t *testing.T) {
	s, err := Open(context.Background(), pgtest.URL(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(tx storage.Tx) error { return tx.PutUser(storage.User{ID: "u1", UserName: "ann"}) }); err != nil {
		t.Fatal(err)
	}
	if c := s.Stats(); c.Users != 1 {
		t.Fatalf("Stats().Users = %d, want 1", c.Users)
	}
	_ = s.Close()
	if c := s.Stats(); c != (storage.Counts{}) {
		t.Errorf("Stats of a closed store = %+v, want zero", c)
	}
	if err := s.View(func(storage.Tx) error { return nil }); err == nil {
		t.Error("View on a closed store succeeded")
	}
}

func TestForEachCursorListsTheTenantsNamesInOrder(t *testing.T) {
	url := pgtest.URL(t)
	s := openTest(t, url, Options{Tenant: "a"})
	other := openTest(t, url, Options{Tenant: "b"})
	for st, names := range map[*Store][]string{s: {"z", "absorb/edited-since", "b"}, other: {"only-b"}} {
		err := st.Update(func(tx storage.Tx) error {
			for _, n := range names {
				if err := tx.PutCursor(n, "v-"+n); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	err := s.View(func(tx storage.Tx) error {
		return tx.(interface {
			ForEachCursor(func(name, value string) (bool, error)) error
		}).ForEachCursor(func(name, value string) (bool, error) {
			got = append(got, name+"="+value)
			return true, nil
		})
	})
	want := []string{"absorb/edited-since=v-absorb/edited-since", "b=v-b", "z=v-z"}
	if err != nil || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ForEachCursor = %v, %v; want %v", got, err, want)
	}
}
