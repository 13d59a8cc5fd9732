package storage

// walkIndexes checks the walk indexes (userindex.go) against the users:
// every key a user should have is there, the names a user's record holds
// are its resource's, users/keys lists exactly the keys of each user whose
// record holds no names and has no entry for the others, no bucket holds a
// key of its own or one whose id part is not in the form of this version
// (walkid.go), and the count of active users is right.
func (c *checker) walkIndexes() {
	tx := c.tx
	want := map[bucketID]int{}
	active, withoutNames := 0, 0
	_ = tx.b(bUsers).ForEach(func(k, v []byte) error {
		u, names, hasNames, err := tx.decodeUserRecord(string(k), v, true)
		if err != nil {
			return nil // reported by users()
		}
		if u.Active {
			active++
		}
		resNames := resourceNames(u.Resource)
		keys := append(headerWalkKeys(u), nameWalkKeys(u.ID, resNames)...)
		for _, wk := range keys {
			want[wk.bucket]++
			if tx.b(wk.bucket).Get(wk.key) == nil {
				c.addf("%s: user %q has no key %q", bucketNames[wk.bucket], u.ID, wk.key)
			}
		}
		if hasNames {
			if names != resNames {
				c.addf("user %q: its record holds other names than its resource", u.ID)
			}
			if tx.b(bUserKeys).Get(k) != nil {
				c.addf("%s: user %q, whose record holds its names, has an entry", bucketNames[bUserKeys], u.ID)
			}
			return nil
		}
		withoutNames++
		stored, found, err := tx.walkKeys(u.ID, &u, nil)
		switch {
		case err != nil:
			c.addf("%s: %v", bucketNames[bUserKeys], err)
		case !found:
			c.addf("%s: user %q, whose record holds no names, has no entry", bucketNames[bUserKeys], u.ID)
		case !sameWalkKeys(stored, keys):
			c.addf("%s: user %q lists other keys than its walk keys", bucketNames[bUserKeys], u.ID)
		}
		return nil
	})
	for _, b := range walkBuckets {
		idx, n := walkIndexOf(b), 0
		_ = tx.b(b).ForEach(func(k, _ []byte) error {
			n++
			if !validWalkID(k[walkIDStart(idx, k):]) {
				c.addf("%s: key %q does not end with a user id as schema version %s writes it", bucketNames[b], k, schemaVersion)
			}
			return nil
		})
		if n != want[b] {
			c.addf("%s holds %d keys, the users have %d", bucketNames[b], n, want[b])
		}
	}
	if n := tx.b(bUserKeys).Stats().KeyN; n != withoutNames {
		c.addf("%s holds %d users, %d users' records hold no names", bucketNames[bUserKeys], n, withoutNames)
	}
	if got := tx.countActive(); got != active {
		c.addf("%s is %d but %d users are active", keyActiveUsers, got, active)
	}
}

// sameWalkKeys reports whether a and b hold the same keys, in any order.
func sameWalkKeys(a, b []walkKey) bool {
	if len(a) != len(b) {
		return false
	}
	for _, k := range a {
		if !containsKey(b, k) {
			return false
		}
	}
	return true
}
