package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultTimeout is how long Open waits for the file lock when
// Options.Timeout is zero.
const DefaultTimeout = time.Second

// fileMode is the mode of a new store file: it holds personal data.
const fileMode = 0o600

// Options configure Open.
type Options struct {
	// Timeout is how long to wait for the file lock held by another process;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// ReadOnly opens the file with a shared lock; write transactions fail.
	ReadOnly bool
	// NoSync skips fsync after each commit. Only for tests and benchmarks:
	// a crash can lose or corrupt the file.
	NoSync bool
}

// Store is the bbolt file of the bridge. It is safe for concurrent use.
type Bolt struct {
	db       *bolt.DB
	path     string
	readOnly bool
	codec    codec
	group    groupCommit
	order    keyOrder // used by writable transactions only

	keysScanned atomic.Uint64 // walk index keys read (KeysScanned)
	usersEpoch  atomic.Uint64 // committed user writes (UsersEpoch)
}

// Counts are the kept totals of a store.
type Counts struct {
	Users       int
	AbsorbUsers int
	Groups      int
	Memberships int
	Intents     int
}

// Open opens or creates the store at path and creates its buckets.
//
// Errors name the path and can be told apart: errors.Is(err, ErrLocked) when
// another process holds the file past opts.Timeout; errors.Is(err, ErrCorrupt)
// when the file is not a bbolt file, is damaged, or is a bbolt file of
// something else; errors.Is(err, fs.ErrPermission) when the file or its
// directory may not be opened or created; errors.Is(err, syscall.EROFS) on a
// read-only file system; errors.Is(err, fs.ErrNotExist) when ReadOnly and the
// file does not exist.
func Open(path string, opts Options) (*Bolt, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.ReadOnly {
		// bbolt would try to initialise an empty file, which a read-only
		// open cannot do.
		if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
			return nil, fmt.Errorf("open store %s: %w: the file is empty", path, ErrCorrupt)
		}
	}
	db, err := openBolt(path, opts)
	if err != nil {
		return nil, err
	}
	s := &Bolt{db: db, path: path, readOnly: opts.ReadOnly}
	if opts.ReadOnly {
		err = db.View(func(tx *bolt.Tx) error { return checkLayout(tx) })
	} else if err = s.migrate(); err == nil {
		err = db.Update(func(tx *bolt.Tx) error {
			if err := initLayout(tx); err != nil {
				return err
			}
			return s.newTx(tx).refoldUserNames()
		})
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// openBolt opens the bbolt file and turns its errors into ones that say what
// to do about them. A damaged file can make bbolt panic; that is reported as
// ErrCorrupt.
func openBolt(path string, opts Options) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("open store %s: %w: %v", path, ErrCorrupt, r)
		}
	}()
	db, err = bolt.Open(path, fileMode, &bolt.Options{
		Timeout:      opts.Timeout,
		ReadOnly:     opts.ReadOnly,
		NoSync:       opts.NoSync,
		FreelistType: bolt.FreelistMapType,
		// The free-page list is written at each commit (a page or two)
		// rather than rebuilt at open, which reads the header of every
		// page of the file: seconds for a file of a million users.
		NoFreelistSync: false,
	})
	if err == nil {
		return db, nil
	}
	// The path is already in the message; keep only what went wrong.
	cause := err
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		cause = pe.Err
	}
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("open store %s: %w (waited %s for the file lock)", path, ErrLocked, opts.Timeout)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
		return nil, fmt.Errorf("open store %s: %w: %w", path, ErrCorrupt, err)
	case errors.Is(err, syscall.EROFS):
		return nil, fmt.Errorf("open store %s: %w: the file system is read-only; open the store read-only or move it", path, cause)
	case errors.Is(err, fs.ErrPermission):
		if opts.ReadOnly {
			return nil, fmt.Errorf("open store %s: %w: the file must be readable", path, cause)
		}
		return nil, fmt.Errorf("open store %s: %w: the file must be readable and writable and its directory writable (or open the store read-only)", path, cause)
	}
	return nil, fmt.Errorf("open store %s: %w", path, cause)
}

// initLayout creates the buckets of a new store and checks an existing one.
func initLayout(tx *bolt.Tx) error {
	if tx.Bucket(bucketNames[bMeta]) == nil {
		var other []byte
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			other = name
			return errors.New("stop")
		})
		if other != nil {
			return fmt.Errorf("%w: a bbolt file of something else (it holds bucket %q)", ErrCorrupt, other)
		}
		for _, name := range bucketNames {
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		if err := tx.Bucket(bucketNames[bMeta]).Put(keySchema, []byte(schemaVersion)); err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
		return nil
	}
	for id, name := range bucketNames {
		if laterBuckets[id] && tx.Bucket(name) == nil {
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
			if bucketID(id) == bGroupExternalIDs {
				if err := moveGroupExternalIDs(tx); err != nil {
					return err
				}
			}
		}
	}
	return checkLayout(tx)
}

// checkLayout verifies the schema version and that every bucket exists.
func checkLayout(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketNames[bMeta])
	if meta == nil {
		return fmt.Errorf("%w: no meta bucket", ErrCorrupt)
	}
	if v := meta.Get(keySchema); string(v) != schemaVersion {
		if v == nil {
			return fmt.Errorf("%w: no schema version", ErrCorrupt)
		}
		if string(v) == "2" || string(v) == "3" || string(v) == "4" || string(v) == convertingVersion {
			return fmt.Errorf("schema version %s must be upgraded to %s: open the store writable once (serve does)", v, schemaVersion)
		}
		return fmt.Errorf("unsupported schema version %q (this build reads %s)", v, schemaVersion)
	}
	for id, name := range bucketNames {
		if tx.Bucket(name) == nil && !laterBuckets[id] {
			return fmt.Errorf("%w: bucket %s is missing", ErrCorrupt, name)
		}
	}
	return nil
}

// Close closes the file and releases its lock.
func (s *Bolt) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}

// Path returns the path the store was opened with.
func (s *Bolt) Path() string { return s.path }

// View runs fn in a read-only transaction. fn's error is returned as it is.
func (s *Bolt) View(fn func(Tx) error) error {
	return s.view(func(tx *boltTx) error { return fn(tx) })
}

func (s *Bolt) view(fn func(*boltTx) error) error {
	return s.wrapErr(s.db.View(func(btx *bolt.Tx) error { return fn(s.newTx(btx)) }))
}

// Update runs fn in a read-write transaction, committed when fn returns nil
// and rolled back otherwise. fn's error is returned as it is.
func (s *Bolt) Update(fn func(Tx) error) error {
	return s.update(func(tx *boltTx) error { return fn(tx) })
}

func (s *Bolt) update(fn func(*boltTx) error) error {
	return s.wrapErr(s.db.Update(func(btx *bolt.Tx) error { return fn(s.newTx(btx)) }))
}

// Batch is Update with group commit: concurrent calls share one transaction
// and one fsync (see groupCommit). fn may run more than once, so it must have
// no side effects outside the transaction; an fn that fails is retried alone.
func (s *Bolt) Batch(fn func(Tx) error) error {
	return s.wrapErr(s.group.batch(s.db, func(btx *bolt.Tx) error { return fn(s.newTx(btx)) }))
}

func (s *Bolt) wrapErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseReadOnly) {
		return fmt.Errorf("store %s is open read-only: %w", s.path, err)
	}
	return err
}

// Stats returns the kept totals. It reads five keys; on a closed store it
// returns zero counts.
func (s *Bolt) Stats() Counts {
	var c Counts
	_ = s.view(func(tx *boltTx) error {
		c = Counts{
			Users:       tx.count(cUsers),
			AbsorbUsers: tx.count(cAbsorbUsers),
			Groups:      tx.count(cGroups),
			Memberships: tx.count(cMemberships),
			Intents:     tx.count(cIntents),
		}
		return nil
	})
	return c
}

// Tx is one bbolt transaction. It is valid only inside the function given to
// View, Update or Batch, and must not be used from other goroutines. Values
// returned by its methods are copies and stay valid after it ends. Functions
// given to its ForEach methods must not write through the same Tx.
//
// A write method that fails with ErrNotFound, ErrUnknownMember or a
// *ConflictError has written nothing. Any other error (a key over bbolt's
// 32 KiB limit, a damaged record) may leave part of the change in the
// transaction: return it from the function so the transaction rolls back.
type boltTx struct {
	tx      *bolt.Tx
	s       *Bolt
	buckets [numBuckets]*bolt.Bucket
}

func (s *Bolt) newTx(btx *bolt.Tx) *boltTx { return &boltTx{tx: btx, s: s} }

// b returns the bucket; Open has checked that every bucket exists.
func (tx *boltTx) b(id bucketID) *bolt.Bucket {
	if b := tx.buckets[id]; b != nil {
		return b
	}
	b := tx.tx.Bucket(bucketNames[id])
	if tx.tx.Writable() {
		b.FillPercent = tx.s.fillPercent(tx.tx, id)
	}
	tx.buckets[id] = b
	return b
}

// Writable reports whether the transaction may write.
func (tx *boltTx) Writable() bool { return tx.tx.Writable() }

func (tx *boltTx) count(c counter) int {
	v := tx.b(bMeta).Get(counterKeys[c])
	if len(v) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(v))
}

func (tx *boltTx) addCount(c counter, delta int) error {
	if delta == 0 {
		return nil
	}
	n := tx.count(c) + delta
	if n < 0 {
		n = 0
	}
	if err := tx.b(bMeta).Put(counterKeys[c], binary.BigEndian.AppendUint64(nil, uint64(n))); err != nil {
		return fmt.Errorf("update %s: %w", counterKeys[c], err)
	}
	return nil
}

// Describe names the store for messages: its path.
func (s *Bolt) Describe() string { return s.path }

var _ Store = (*Bolt)(nil)
var _ Tx = (*boltTx)(nil)
