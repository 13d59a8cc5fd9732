package storage

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/text/unicode/norm"
)

func TestFoldUserName(t *testing.T) {
	twins := []struct{ name, a, b string }{
		{"ASCII case", "Jane.Doe@Example.com", "jane.doe@example.com"},
		{"precomposed and decomposed", "jos\u00e9", "jose\u0301"},
		{"full-width letters", "\uff4a\uff4f\uff53\uff45", "jose"},
		{"long s", "\u017fam", "sam"},
		{"sharp s", "Stra\u00dfe", "STRASSE"},
		{"Greek final sigma", "\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c2"},
		{"Kelvin sign", "\u212aim", "kim"},
	}
	for _, tt := range twins {
		t.Run(tt.name, func(t *testing.T) {
			if a, b := FoldUserName(tt.a), FoldUserName(tt.b); a != b {
				t.Errorf("FoldUserName(%q) = %q, FoldUserName(%q) = %q; want one key", tt.a, a, tt.b, b)
			}
		})
	}
	distinct := [][2]string{{"jose", "jos\u00e9"}, {"ann", "anne"}, {"a.b", "ab"}}
	for _, d := range distinct {
		if FoldUserName(d[0]) == FoldUserName(d[1]) {
			t.Errorf("%q and %q fold to one key", d[0], d[1])
		}
	}
	if got := FoldUserName("Bob@Example.COM"); got != strings.ToLower("Bob@Example.COM") {
		t.Errorf("an ASCII name folds to %q, want strings.ToLower of it", got)
	}
}

// FuzzFoldUserName checks the properties the indexes rely on: the key of a
// key is itself, every normal form of a name has the same key, an ASCII
// name's key is its lower case (what earlier builds wrote), and the key of
// valid UTF-8 is valid UTF-8.
func FuzzFoldUserName(f *testing.F) {
	for _, s := range []string{"", "jane@example.com", "jos\u00e9", "jose\u0301", "\uff4a\uff4f", "\u017fam", "Stra\u00dfe", "\u0130stanbul", "\u1e9e", "\ufb01le", "\u0345", "a\u0308\u0304"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		key := FoldUserName(s)
		if !utf8.ValidString(key) {
			t.Fatalf("FoldUserName(%q) = %q, not valid UTF-8", s, key)
		}
		if again := FoldUserName(key); again != key {
			t.Fatalf("FoldUserName(%q) = %q, but FoldUserName of that is %q", s, key, again)
		}
		for _, form := range []norm.Form{norm.NFC, norm.NFD} {
			if got := FoldUserName(form.String(s)); got != key {
				t.Fatalf("FoldUserName of a normal form of %q is %q, want %q", s, got, key)
			}
		}
		if isASCII(s) && key != strings.ToLower(s) {
			t.Fatalf("FoldUserName(%q) = %q, want %q as earlier builds indexed it", s, key, strings.ToLower(s))
		}
	})
}

func TestOpenRefoldsAFileIndexedTheOldWay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bridge.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	decomposed := "Jose\u0301@example.com"
	putUsers(t, s,
		User{ID: "u1", AbsorbID: "a1", UserName: "Jane@Example.com", Resource: []byte(`{}`)},
		User{ID: "u2", AbsorbID: "a2", UserName: decomposed, Resource: []byte(`{}`)},
		User{ID: "u3", AbsorbID: "a3", UserName: "\u017fam@example.com", Resource: []byte(`{}`)},
	)
	// A twin of u2 an earlier build let in: its key differs under
	// strings.ToLower. It is written under that key below.
	twin := "jos\u00e9@example.com"
	update(t, s, func(tx *boltTx) error {
		return tx.PutUser(User{ID: "u4", AbsorbID: "a4", UserName: "placeholder@example.com", Resource: []byte(`{}`)})
	})
	update(t, s, func(tx *boltTx) error {
		if err := tx.PutAbsorbUser(AbsorbUser{ID: "a9", Username: "\uff2b\uff49\uff4d", Raw: []byte(`{}`)}); err != nil {
			return err
		}
		// The copy of u3's account, which u3's value holds.
		if err := tx.PutAbsorbUser(AbsorbUser{ID: "a3", Username: "\u017fam@absorb.example", Raw: []byte(`{}`)}); err != nil {
			return err
		}
		return tx.PutIntent(Intent{Key: "Stra\u00dfe", SCIMID: "u8", Started: time.Unix(1, 0)})
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Write the indexes as earlier builds did: strings.ToLower of the
	// name, and no folding version.
	db, err := bolt.Open(path, fileMode, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, idx := range []struct {
			bucket bucketID
			keys   map[string]string
		}{
			{bUserName, map[string]string{"jane@example.com": "u1", strings.ToLower(decomposed): "u2", "\u017fam@example.com": "u3", twin: "u4"}},
			{bAbsorbUsername, map[string]string{strings.ToLower("\uff2b\uff49\uff4d"): "a9", "\u017fam@absorb.example": "a3"}},
		} {
			name := bucketNames[idx.bucket]
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			b, err := tx.CreateBucket(name)
			if err != nil {
				return err
			}
			for k, v := range idx.keys {
				if err := b.Put([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
		}
		// Rename u4 to the twin in its record, as the earlier build stored it.
		users := tx.Bucket(bucketNames[bUsers])
		st := &Bolt{}
		tw := st.newTx(tx)
		u4, names, _, err := tw.decodeUserRecord("u4", users.Get([]byte("u4")), true)
		if err != nil {
			return err
		}
		prev := u4
		u4.UserName = twin
		p, err := st.PrepareUser(u4)
		if err != nil {
			return err
		}
		if err := users.Put([]byte("u4"), p.v); err != nil {
			return err
		}
		if err := tw.putWalkKeys("u4", &prev, &names, p.walk, true); err != nil {
			return err
		}
		intents := tx.Bucket(bucketNames[bIntents])
		v := append([]byte(nil), intents.Get([]byte("strasse"))...)
		if err := intents.Delete([]byte("strasse")); err != nil {
			return err
		}
		if err := intents.Put([]byte(strings.ToLower("Stra\u00dfe")), v); err != nil {
			return err
		}
		return tx.Bucket(bucketNames[bMeta]).Delete(keyUserNameFold)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Read-only, the old file still finds ASCII names.
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	view(t, ro, func(tx *boltTx) error {
		u, err := tx.UserByUserName("JANE@example.com")
		if err != nil || u.ID != "u1" {
			t.Errorf("read-only lookup of an ASCII name in the old file: %v %v", u.ID, err)
		}
		return nil
	})
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}

	// A writable open rebuilds the indexes: every spelling finds its user.
	s, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkStore(t, s)
	view(t, s, func(tx *boltTx) error {
		for name, want := range map[string]string{
			"jane@example.com":      "u1",
			"jos\u00e9@example.com": "u2", // precomposed
			"sam@EXAMPLE.com":       "u3",
		} {
			if u, err := tx.UserByUserName(name); err != nil || u.ID != want {
				t.Errorf("UserByUserName(%q) = %q, %v; want %s", name, u.ID, err, want)
			}
		}
		if a, err := tx.AbsorbUserByUsername("kim"); err != nil || a.ID != "a9" {
			t.Errorf("AbsorbUserByUsername(kim) = %q, %v; want a9", a.ID, err)
		}
		if a, err := tx.AbsorbUserByUsername("sam@absorb.example"); err != nil || a.ID != "a3" {
			t.Errorf("AbsorbUserByUsername(sam@absorb.example) = %q, %v; want a3", a.ID, err)
		}
		if in, err := tx.Intent("STRASSE"); err != nil || in.SCIMID != "u8" {
			t.Errorf("Intent(STRASSE) = %q, %v; want u8", in.SCIMID, err)
		}
		if u, err := tx.User("u4"); err != nil || u.UserName != twin {
			t.Errorf("the twin u4: %q, %v", u.UserName, err)
		}
		if _, err := tx.UserByUserName("nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("UserByUserName(nobody): %v, want ErrNotFound", err)
		}
		return nil
	})
	if c := s.Stats(); c.Intents != 1 {
		t.Errorf("%d intents, want 1", c.Intents)
	}
}
