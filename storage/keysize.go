package storage

import bolt "go.etcd.io/bbolt"

// maxIndexedBytes is the longest value, folded, an index key may hold: a
// composite key adds a length prefix and an id (lp(value) id), or a
// terminator and an id (sv(value) wid(id), 16 bytes for a canonical id, 16
// more than the id for any other: walkid.go) to it, and bbolt refuses keys
// over bolt.MaxKeySize.
const maxIndexedBytes = bolt.MaxKeySize - 128

// CheckIndexable returns a *TooLargeError when value, as index keys hold it
// (case-folded, since the userName, email, username and displayName indexes
// fold it), is too long to be a key. Callers check a value before writing
// anything elsewhere, as the sync checks an Absorb account before it takes
// it in; the Put methods check their values themselves.
func CheckIndexable(index, value string) error {
	if len(value) <= maxIndexedBytes/2 {
		return nil // folding at most grows a character from two bytes to three
	}
	if n := len(FoldCase(value)); n > maxIndexedBytes {
		return &TooLargeError{Index: index, Bytes: n}
	}
	return nil
}

// checkUserKeys checks the values of u that are index keys.
func checkUserKeys(u User) error {
	if err := CheckIndexable("userName", u.UserName); err != nil {
		return err
	}
	if err := CheckIndexable("externalId", u.ExternalID); err != nil {
		return err
	}
	for _, e := range u.Emails {
		if err := CheckIndexable("email", e); err != nil {
			return err
		}
	}
	return nil
}
