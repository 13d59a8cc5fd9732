package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// maxProblems bounds the problems one Check reports.
const maxProblems = 20

// Check verifies the whole file, from one read transaction: bbolt's own page
// consistency check, then that every record decodes, every index entry and
// membership key agrees with the records in both directions, and the kept
// counts are right. It reads every record, so its time grows with the
// store. It returns nil or an error wrapping ErrCorrupt that lists the first
// problems found.
func (s *Bolt) Check() error {
	return s.view(func(tx *boltTx) error { return tx.check() })
}

type checker struct {
	tx       *boltTx
	problems []string
	more     bool
	copies   map[string]AbsorbUser // the Absorb copies found so far, by Absorb id
}

func (c *checker) addf(format string, args ...any) {
	if len(c.problems) >= maxProblems {
		c.more = true
		return
	}
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func (tx *boltTx) check() (err error) {
	c := &checker{tx: tx, copies: map[string]AbsorbUser{}}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	for e := range tx.tx.Check() {
		c.addf("bbolt: %v", e)
	}
	if len(c.problems) == 0 {
		c.users()
		c.walkIndexes()
		c.absorbUsers()
		c.groups()
		c.memberships()
		c.intents()
		c.audit()
	}
	if len(c.problems) == 0 {
		return nil
	}
	msg := strings.Join(c.problems, "; ")
	if c.more {
		msg += "; and more"
	}
	return fmt.Errorf("%w: %s", ErrCorrupt, msg)
}

func (c *checker) counter(name counter, got int) {
	if want := c.tx.count(name); got != want {
		c.addf("%s is %d but there are %d", counterKeys[name], want, got)
	}
}

// uniqueIndex checks an index of key -> id against the records: every entry
// points at a record whose value folds to the key.
func (c *checker) uniqueIndex(idx bucketID, value func(id string) (string, bool)) {
	_ = c.tx.b(idx).ForEach(func(k, v []byte) error {
		got, ok := value(string(v))
		if !ok {
			c.addf("%s: %q points at missing %q", bucketNames[idx], k, v)
		} else if got != string(k) {
			c.addf("%s: %q points at %q, which holds %q", bucketNames[idx], k, v, got)
		}
		return nil
	})
}

func (c *checker) users() {
	tx := c.tx
	users := map[string]User{}
	n := 0
	_ = tx.b(bUsers).ForEach(func(k, v []byte) error {
		n++
		u, err := tx.decodeUser(string(k), v, true)
		if err != nil {
			c.addf("%v", err)
			return nil
		}
		u.Resource = nil
		users[u.ID] = u
		if _, absorbRec, _ := splitUserValue(v); absorbRec != nil {
			c.heldCopy(u, absorbRec)
		}
		for _, x := range []struct {
			idx bucketID
			key string
		}{{bUserName, FoldUserName(u.UserName)}, {bUserAbsorbID, u.AbsorbID}} {
			if got := tx.b(x.idx).Get([]byte(x.key)); x.key != "" && string(got) != u.ID {
				if x.idx == bUserName && tx.foldTwin(string(got), x.key) {
					continue // a twin an earlier build let in: the first keeps the key (fold.go)
				}
				c.addf("%s: %q does not point at user %q", bucketNames[x.idx], x.key, u.ID)
			}
		}
		return nil
	})
	c.counter(cUsers, n)
	field := func(get func(User) string) func(string) (string, bool) {
		return func(id string) (string, bool) {
			u, ok := users[id]
			return get(u), ok
		}
	}
	c.uniqueIndex(bUserName, field(func(u User) string { return FoldUserName(u.UserName) }))
	c.uniqueIndex(bUserAbsorbID, field(func(u User) string { return u.AbsorbID }))
}

// heldCopy checks the Absorb copy absorbRec that the value of user u holds:
// users/absorbId must lead to it, and absorb/users must hold no other copy
// of the account (a link of an older file to u is right).
func (c *checker) heldCopy(u User, absorbRec []byte) {
	tx := c.tx
	if u.AbsorbID == "" {
		c.addf("user %q holds an Absorb copy but is linked to no Absorb account", u.ID)
		return
	}
	if got := tx.b(bUserAbsorbID).Get([]byte(u.AbsorbID)); string(got) != u.ID {
		c.addf("user %q holds the copy of Absorb user %q, which %s does not map to it", u.ID, u.AbsorbID, bucketNames[bUserAbsorbID])
	}
	if v := tx.b(bAbsorbUsers).Get([]byte(u.AbsorbID)); v != nil {
		if userID, linked := linkedUser(v); !linked {
			c.addf("the copy of Absorb user %q is held twice: in %s and by user %q", u.AbsorbID, bucketNames[bAbsorbUsers], u.ID)
		} else if userID != u.ID {
			c.addf("user %q holds the copy of Absorb user %q, which links to user %q", u.ID, u.AbsorbID, userID)
		}
	}
	a, err := tx.decodeAbsorbRecord(u.AbsorbID, absorbRec, true)
	if err != nil {
		c.addf("user %q: %v", u.ID, err)
		return
	}
	if _, twice := c.copies[a.ID]; twice {
		c.addf("the copy of Absorb user %q is held twice: by user %q and another", a.ID, u.ID)
		return
	}
	a.Raw = nil
	c.copies[a.ID] = a
}

// absorbUsers checks the copies absorb/users holds and the links of an older
// file, then, with the copies the users hold (c.copies, from users), the
// kept count and the indexes.
func (c *checker) absorbUsers() {
	tx := c.tx
	users := c.copies
	_ = tx.b(bAbsorbUsers).ForEach(func(k, v []byte) error {
		if userID, linked := linkedUser(v); linked {
			// The copy is counted with the user that holds it.
			if _, err := tx.absorbRecord(string(k), v); err != nil {
				c.addf("%v", err)
			} else if holder, err := tx.user(userID, false); err != nil || holder.AbsorbID != string(k) {
				c.addf("absorb user %q links to user %q, who is linked to %q", k, userID, holder.AbsorbID)
			}
			return nil
		}
		u, err := tx.decodeAbsorbUser(string(k), v, true)
		if err != nil {
			c.addf("%v", err)
			return nil
		}
		if _, twice := users[u.ID]; twice {
			return nil // reported by heldCopy
		}
		u.Raw = nil
		users[u.ID] = u
		return nil
	})
	c.counter(cAbsorbUsers, len(users))
	// The indexes are last-write-wins, so only their entries are checked.
	c.uniqueIndex(bAbsorbUsername, func(id string) (string, bool) {
		u, ok := users[id]
		return FoldUserName(u.Username), ok
	})
	c.uniqueIndex(bAbsorbExternalID, func(id string) (string, bool) {
		u, ok := users[id]
		return u.ExternalID, ok
	})
}

func (c *checker) groups() {
	tx := c.tx
	// A file opened read-only may predate groups/externalIds.
	hasExternalIDs := tx.tx.Bucket(bucketNames[bGroupExternalIDs]) != nil
	groups := map[string]Group{}
	_ = tx.b(bGroups).ForEach(func(k, v []byte) error {
		g, err := tx.decodeGroup(string(k), v, true)
		if err != nil {
			c.addf("%v", err)
			return nil
		}
		g.Resource = nil
		groups[g.ID] = g
		if g.ExternalID != "" && hasExternalIDs && tx.b(bGroupExternalIDs).Get(pairKey(g.ExternalID, g.ID)) == nil {
			c.addf("%s: no entry for %q of group %q", bucketNames[bGroupExternalIDs], g.ExternalID, g.ID)
		}
		if name := FoldCase(g.DisplayName); name != "" && tx.b(bGroupDisplayName).Get(pairKey(name, g.ID)) == nil {
			c.addf("%s: no entry for group %q", bucketNames[bGroupDisplayName], g.ID)
		}
		n := 0
		prefix := prefixKey(g.ID)
		cur := tx.b(bMembers).Cursor()
		for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
			n++
		}
		if n != g.MemberCount {
			c.addf("group %q has %d members but records %d", g.ID, n, g.MemberCount)
		}
		return nil
	})
	c.counter(cGroups, len(groups))
	if hasExternalIDs {
		_ = tx.b(bGroupExternalIDs).ForEach(func(k, _ []byte) error {
			ext, id, ok := splitPair(k)
			if g, found := groups[id]; !ok || !found || g.ExternalID != ext {
				c.addf("%s: stale entry %q", bucketNames[bGroupExternalIDs], k)
			}
			return nil
		})
	}
	_ = tx.b(bGroupDisplayName).ForEach(func(k, _ []byte) error {
		name, id, ok := splitPair(k)
		if g, found := groups[id]; !ok || !found || FoldCase(g.DisplayName) != name {
			c.addf("%s: stale entry %q", bucketNames[bGroupDisplayName], k)
		}
		return nil
	})
}

func (c *checker) memberships() {
	tx := c.tx
	n := 0
	_ = tx.b(bMembers).ForEach(func(k, _ []byte) error {
		n++
		groupID, userID, ok := splitPair(k)
		switch {
		case !ok:
			c.addf("%s: malformed key %q", bucketNames[bMembers], k)
		case tx.b(bGroups).Get([]byte(groupID)) == nil:
			c.addf("%s: member %q of missing group %q", bucketNames[bMembers], userID, groupID)
		case tx.b(bUsers).Get([]byte(userID)) == nil:
			c.addf("%s: missing user %q in group %q", bucketNames[bMembers], userID, groupID)
		case tx.b(bMemberOf).Get(pairKey(userID, groupID)) == nil:
			c.addf("%s: no entry for user %q in group %q", bucketNames[bMemberOf], userID, groupID)
		}
		return nil
	})
	c.counter(cMemberships, n)
	_ = tx.b(bMemberOf).ForEach(func(k, _ []byte) error {
		userID, groupID, ok := splitPair(k)
		if !ok || tx.b(bMembers).Get(pairKey(groupID, userID)) == nil {
			c.addf("%s: stale entry %q", bucketNames[bMemberOf], k)
		}
		return nil
	})
}

func (c *checker) intents() {
	n := 0
	_ = c.tx.b(bIntents).ForEach(func(k, v []byte) error {
		n++
		if _, err := c.tx.decodeIntent(string(k), v); err != nil {
			c.addf("%v", err)
		}
		return nil
	})
	c.counter(cIntents, n)
}

func (c *checker) audit() {
	_ = c.tx.b(bAudit).ForEach(func(k, v []byte) error {
		if _, err := c.tx.decodeAudit(k, v); err != nil {
			c.addf("%v", err)
		}
		return nil
	})
}

// splitPair splits a key made by pairKey.
func splitPair(k []byte) (a, b string, ok bool) {
	n, w := binary.Uvarint(k)
	if w <= 0 || n > uint64(len(k)-w) {
		return "", "", false
	}
	return string(k[w : w+int(n)]), string(k[w+int(n):]), true
}
