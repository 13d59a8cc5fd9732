package storage

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when the record asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is matched by every *ConflictError: errors.Is(err, ErrConflict).
var ErrConflict = errors.New("conflict")

// ErrLocked is returned by Open and Restore when another process (or another
// Store in this process) holds the file.
var ErrLocked = errors.New("locked by another process")

// ErrCorrupt is returned by Open, Check and Restore when a file is not a bbolt
// file, is damaged, or is a bbolt file that is not a store of this package.
var ErrCorrupt = errors.New("corrupt or not a valid store file")

// ErrUnknownMember is returned by AddMember when the member is not a stored
// user. It is distinct from ErrNotFound, which there means the group.
var ErrUnknownMember = errors.New("member is not a known user")

// ConflictError reports a unique index that already holds the value for
// another record. errors.Is(err, ErrConflict) is true.
//
// Index is "userName" or "absorbId" for users and "externalId" for groups.
type ConflictError struct {
	Index      string
	Value      string
	ExistingID string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s %q is already used by %s", e.Index, e.Value, e.ExistingID)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// ErrTooLarge is matched by every *TooLargeError: errors.Is(err, ErrTooLarge).
var ErrTooLarge = errors.New("too large to index")

// TooLargeError reports a value that cannot be an index key: bbolt refuses
// keys over bolt.MaxKeySize bytes. It is returned before anything is
// written, so the transaction stays usable. errors.Is(err, ErrTooLarge) is
// true.
type TooLargeError struct {
	Index string // "userName", "externalId", "email", "username", "displayName"
	Bytes int    // the key's length
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s of %d bytes is beyond the %d bytes an index key may hold", e.Index, e.Bytes, maxIndexedBytes)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }
