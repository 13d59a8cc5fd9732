package storage

// walkIndexes checks the walk indexes (userindex.go) against the users:
// every key a user should have is there, users/keys lists exactly those,
// no bucket holds a key of its own, and the count of active users is right.
func (c *checker) walkIndexes() {
	tx := c.tx
	want := map[bucketID]int{}
	active := 0
	_ = tx.b(bUsers).ForEach(func(k, v []byte) error {
		u, err := tx.decodeUser(string(k), v, true)
		if err != nil {
			return nil // reported by users()
		}
		if u.Active {
			active++
		}
		keys := walkKeysOf(u)
		for _, wk := range keys {
			want[wk.bucket]++
			if tx.b(wk.bucket).Get(wk.key) == nil {
				c.addf("%s: user %q has no key %q", bucketNames[wk.bucket], u.ID, wk.key)
			}
		}
		stored, err := tx.walkKeys(u.ID, &u)
		if err != nil {
			c.addf("%s: %v", bucketNames[bUserKeys], err)
		} else if !sameWalkKeys(stored, keys) {
			c.addf("%s: user %q lists other keys than its walk keys", bucketNames[bUserKeys], u.ID)
		}
		return nil
	})
	for _, b := range walkBuckets {
		if n := tx.b(b).Stats().KeyN; n != want[b] {
			c.addf("%s holds %d keys, the users have %d", bucketNames[b], n, want[b])
		}
	}
	if n, users := tx.b(bUserKeys).Stats().KeyN, tx.b(bUsers).Stats().KeyN; n != users {
		c.addf("%s holds %d users, there are %d", bucketNames[bUserKeys], n, users)
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
