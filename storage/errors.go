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
