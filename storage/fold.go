package storage

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// FoldUserName is the key under which userNames (users/userName), Absorb
// usernames (absorb/username) and create intents are indexed, so that the
// spellings of one name are one key: Unicode NFC normalisation (a
// precomposed "é" and "e" followed by a combining accent), width folding
// (full-width "ｊｏｓｅ" is "jose"), full case folding ("ſam" is "sam", "ß"
// is "ss") and NFC again, as RFC 8265's username profile does. For ASCII it
// is strings.ToLower, so keys written by earlier builds for ASCII names are
// unchanged.
func FoldUserName(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	s = norm.NFC.String(s)
	s = width.Fold.String(s)
	s = cases.Fold().String(s) // a Caser keeps state: one per call
	return norm.NFC.String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// userNameFoldVersion is the value of meta/"userNameFold": the folding
// FoldUserName does. A file without it was indexed with strings.ToLower,
// and a writable Open rebuilds those indexes (refoldUserNames). A read-only
// Open of such a file finds ASCII names as before.
const userNameFoldVersion = "2"

var keyUserNameFold = []byte("userNameFold")

// refoldUserNames rebuilds the indexes keyed by FoldUserName when the file
// was written with another folding, and records the folding it now has.
// Two users whose userNames fold to one key (twins an earlier build let
// through) keep the first in id order in users/userName; the other is
// found by its id, and Check accepts it (foldTwin).
func (tx *boltTx) refoldUserNames() error {
	meta := tx.b(bMeta)
	if string(meta.Get(keyUserNameFold)) == userNameFoldVersion {
		return nil
	}
	if err := tx.rebuildIndex(bUserName, func(put func(key, id string) error) error {
		return tx.b(bUsers).ForEach(func(k, v []byte) error {
			u, err := tx.decodeUser(string(k), v, false)
			if err != nil {
				return err
			}
			return put(FoldUserName(u.UserName), u.ID)
		})
	}, false); err != nil {
		return err
	}
	if err := tx.rebuildIndex(bAbsorbUsername, func(put func(key, id string) error) error {
		return tx.forEachAbsorbUser(false, func(u AbsorbUser) (bool, error) {
			return true, put(FoldUserName(u.Username), u.ID)
		})
	}, true); err != nil {
		return err
	}
	if err := tx.refoldIntents(); err != nil {
		return err
	}
	if err := meta.Put(keyUserNameFold, []byte(userNameFoldVersion)); err != nil {
		return fmt.Errorf("write userName folding version: %w", err)
	}
	return nil
}

// emptyBucket drops every key of the bucket id, freeing its pages at once.
func (tx *boltTx) emptyBucket(id bucketID) error {
	name := bucketNames[id]
	if err := tx.tx.DeleteBucket(name); err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	if _, err := tx.tx.CreateBucket(name); err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	tx.buckets[id] = nil
	return nil
}

// rebuildIndex empties the index idx and fills it with what each calls put
// with; lastWins says whether a later put replaces an earlier one.
func (tx *boltTx) rebuildIndex(idx bucketID, each func(put func(key, id string) error) error, lastWins bool) error {
	name := bucketNames[idx]
	if err := tx.emptyBucket(idx); err != nil {
		return err
	}
	b := tx.b(idx)
	err := each(func(key, id string) error {
		if key == "" || (!lastWins && b.Get([]byte(key)) != nil) {
			return nil
		}
		return b.Put([]byte(key), []byte(id))
	})
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	return nil
}

// refoldIntents moves each create intent to the key FoldUserName gives its
// old key; of two that meet, the one already there stays.
func (tx *boltTx) refoldIntents() error {
	b := tx.b(bIntents)
	type move struct{ from, to, v []byte }
	var moves []move
	if err := b.ForEach(func(k, v []byte) error {
		if to := FoldUserName(string(k)); to != string(k) {
			moves = append(moves, move{append([]byte(nil), k...), []byte(to), append([]byte(nil), v...)})
		}
		return nil
	}); err != nil {
		return fmt.Errorf("refold intents: %w", err)
	}
	for _, m := range moves {
		if err := b.Delete(m.from); err != nil {
			return fmt.Errorf("refold intents: %w", err)
		}
		if b.Get(m.to) != nil {
			if err := tx.addCount(cIntents, -1); err != nil {
				return err
			}
			continue
		}
		if err := b.Put(m.to, m.v); err != nil {
			return fmt.Errorf("refold intents: %w", err)
		}
	}
	return nil
}

// foldTwin reports whether the user id, which key names in users/userName,
// has a userName that folds to key: another user whose userName also folds
// to key is then its twin from an earlier build, not a broken index.
func (tx *boltTx) foldTwin(id, key string) bool {
	u, err := tx.user(id, false)
	return err == nil && FoldUserName(u.UserName) == key
}
