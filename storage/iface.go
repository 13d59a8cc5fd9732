package storage

import (
	"encoding/json"
	"io"
	"time"
)

// Store is everything the bridge keeps, in one engine: the bbolt file of one
// replica (Bolt) or a PostgreSQL database that several replicas share. Both
// implement the same contract, which storetest checks against each of them.
// A Store is safe for concurrent use.
type Store interface {
	// View runs fn in a read-only transaction. fn's error is returned as it
	// is.
	View(fn func(Tx) error) error
	// Update runs fn in a read-write transaction, committed when fn returns
	// nil and rolled back otherwise. fn's error is returned as it is.
	Update(fn func(Tx) error) error
	// Batch is Update for many small concurrent writes: an engine may run
	// several calls in one transaction, so fn may run more than once and
	// must have no side effects outside the transaction.
	Batch(fn func(Tx) error) error

	// PrepareUser, PrepareAbsorbUser and PrepareAudit check and encode a
	// record before the write transaction that stores it, so the work runs
	// outside the engine's write lock. Changes made to the argument
	// afterwards are not seen.
	PrepareUser(u User) (PreparedUser, error)
	PrepareAbsorbUser(u AbsorbUser) (PreparedAbsorbUser, error)
	PrepareAudit(rec AuditRecord) PreparedAudit

	// Stats returns the kept totals; zero counts when the store is closed.
	Stats() Counts
	// BatchStats says how Batch calls were grouped.
	BatchStats() BatchStats
	// KeysScanned counts the index entries user walks have read.
	KeysScanned() uint64
	// UsersEpoch changes whenever a committed write changes a user; a walk
	// position remembered at one epoch is reused only at the same epoch.
	UsersEpoch() uint64
	// Backup writes a consistent copy of everything kept to w in the
	// engine's own backup format and returns its size.
	Backup(w io.Writer) (int64, error)
	// Describe names the store for messages ("/data/absorb-scim.db",
	// "postgres host:5432/db"); it never includes a secret.
	Describe() string
	Close() error
}

// Tx is one transaction of a Store. It is valid only inside the function
// given to View, Update or Batch, and must not be used from other
// goroutines. Values returned by its methods are copies and stay valid after
// it ends. Functions given to its ForEach methods must not write through the
// same Tx.
//
// A write method that fails with ErrNotFound, ErrUnknownMember or a
// *ConflictError has written nothing. Any other error may leave part of the
// change in the transaction: return it from the function so the transaction
// rolls back.
type Tx interface {
	// Writable reports whether the transaction may write.
	Writable() bool

	// Users. userName is unique as FoldUserName compares; AbsorbID is
	// unique when set; externalId is indexed exactly and not unique.
	User(id string) (User, error)
	UserByUserName(userName string) (User, error)
	UserByExternalID(externalID string) (User, error)
	UsersByExternalID(externalID string) ([]User, error)
	UserByAbsorbID(absorbID string) (User, error)
	UsersByEmail(email string) ([]User, error)
	PutUser(u User) error
	PutPreparedUser(p PreparedUser) error
	DeleteUser(id string) error
	ForEachUser(after string, fn func(User) (bool, error)) error
	CountUsers() int

	// Walks of the users in an index's order; see UserRange.
	ScanUsers(r UserRange, desc bool, after []byte, fn func(pos []byte, id string) (bool, error)) error
	SkipUsers(r UserRange, desc bool, n int) ([]byte, error)
	CountUserRange(r UserRange, limit int) (n int, ok bool, err error)

	// The mirror of Absorb users.
	AbsorbUser(id string) (AbsorbUser, error)
	AbsorbUserByUsername(username string) (AbsorbUser, error)
	AbsorbUserByExternalID(ext string) (AbsorbUser, error)
	PutAbsorbUser(u AbsorbUser) error
	PutPreparedAbsorbUser(p PreparedAbsorbUser) error
	DeleteAbsorbUser(id string) error
	ForEachAbsorbUser(fn func(AbsorbUser) (bool, error)) error
	CountAbsorbUsers() int

	// Groups and their members.
	Group(id string) (Group, error)
	GroupsByExternalID(ext string) ([]Group, error)
	GroupsByDisplayName(name string) ([]Group, error)
	PutGroup(g Group) error
	DeleteGroup(id string) error
	ForEachGroup(after string, fn func(Group) (bool, error)) error
	CountGroups() int
	AddMember(groupID string, m Member) (added bool, err error)
	RemoveMember(groupID, userID string) (removed bool, err error)
	ClearMembers(groupID string) (removed []string, err error)
	IsMember(groupID, userID string) (bool, error)
	ForEachMember(groupID string, fn func(Member) (bool, error)) error
	GroupsOfUser(userID string) ([]string, error)

	// Create intents.
	PutIntent(in Intent) error
	Intent(key string) (Intent, error)
	DeleteIntent(key string) error
	ForEachIntent(fn func(Intent) (bool, error)) error
	CountIntents() int

	// Held deactivations.
	PutHold(h Hold) error
	Hold(userID string) (Hold, error)
	DeleteHold(userID string) error
	ForEachHold(fn func(Hold) (bool, error)) error

	// The audit log.
	AppendAudit(rec AuditRecord) (uint64, error)
	AppendPreparedAudit(p PreparedAudit) (uint64, error)
	ForEachAudit(fromSeq uint64, fn func(AuditRecord) (bool, error)) error
	ForEachAuditBackward(beforeSeq uint64, fn func(AuditRecord) (bool, error)) error
	PruneAudit(before time.Time, limit int) (int, error)

	// Named values: sync cursors and other small state.
	Cursor(name string) (string, error)
	PutCursor(name, value string) error

	// Per-user rule state.
	RuleState(userID string) (json.RawMessage, error)
	PutRuleState(userID string, raw json.RawMessage) error
	ForEachRuleState(fn func(userID string, raw json.RawMessage) (bool, error)) error
}
