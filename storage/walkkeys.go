package storage

// Another engine keeps the same walk index keys as Bolt, so that both walk
// users in one order, resume at positions alike and sort missing values
// last in the same way; these export the encoding of userindex.go without
// changing it.

// WalkKey is one key of a user walk index: the bytes that order the user
// in Index (the value, escaped and terminated, or the missing-value mark,
// followed by the user's id).
type WalkKey struct {
	Index UserIndex
	Key   []byte
}

// UserWalkKeys returns the keys of u in every walk index but ByID, as Bolt
// writes them.
func UserWalkKeys(u User) []WalkKey {
	keys := walkKeysOf(u)
	out := make([]WalkKey, len(keys))
	for i, k := range keys {
		out[i] = WalkKey{Index: walkIndexOf(k.bucket), Key: k.key}
	}
	return out
}

// Bounds returns the keys of the range's index that it covers, as [lo, hi);
// nil means unbounded. It fails for a range its index cannot answer.
func (r UserRange) Bounds() (lo, hi []byte, err error) { return r.bounds() }
