package storage

// Another engine keeps the walk index keys of Bolt, so that both walk users
// in one order, resume at positions alike and sort missing values last in
// the same way; these export the encoding of userindex.go. Its keys end with
// the user's id as it is where Bolt's end with wid(id) (walkid.go), which
// sorts alike: the keys of both engines order users the same way.

// WalkKey is one key of a user walk index: the bytes that order the user
// in Index (the value, escaped and terminated, or the missing-value mark,
// followed by the user's id).
type WalkKey struct {
	Index UserIndex
	Key   []byte
}

// UserWalkKeys returns the keys of u in every walk index but ByID, as Bolt
// writes them but for the id they end with, which is u.ID as it is.
func UserWalkKeys(u User) []WalkKey {
	keys := walkKeysOf(u)
	idLen := walkIDLen(u.ID)
	out := make([]WalkKey, len(keys))
	for i, k := range keys {
		head := k.key[:len(k.key)-idLen]
		key := append(make([]byte, 0, len(head)+len(u.ID)), head...)
		out[i] = WalkKey{Index: walkIndexOf(k.bucket), Key: append(key, u.ID...)}
	}
	return out
}

// Bounds returns the keys of the range's index that it covers, as [lo, hi);
// nil means unbounded. It fails for a range its index cannot answer.
func (r UserRange) Bounds() (lo, hi []byte, err error) { return r.bounds() }
