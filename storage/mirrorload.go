package storage

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// A first full sync reads every account of a portal in the order Absorb
// edited them, which is no order of their ids, usernames or externalIds.
// Written as they arrive, each account lands on a page of its own in each
// of absorb/users, absorb/username and absorb/externalId, and every
// transaction rewrites (and holds in memory until it commits) a page per
// account per tree: at a million accounts the commits, not the accounts,
// set the pace. A MirrorLoad instead sorts the copies and their index
// entries in runs it spills to files beside the store, then merges the runs
// into each tree in key order, so a page is written about once.

const (
	// mirrorLoadRunBytes is how much a MirrorLoad holds in memory before it
	// sorts it and spills it to a run file.
	mirrorLoadRunBytes = 32 << 20
	// mirrorLoadTxBytes bounds what one merge transaction writes; its pages
	// are held in memory until it commits.
	mirrorLoadTxBytes = 16 << 20
)

// keyMirrorLoad is the meta key a MirrorLoad sets while it merges: copies
// written before its indexes are may have no index entries yet. The next
// MirrorLoad finds it and rebuilds both indexes first.
var keyMirrorLoad = []byte("mirrorLoad")

// MirrorLoad writes the Absorb copies of a first full sync, and their index
// entries, in key order; see LoadMirror.
type MirrorLoad struct {
	s    *Bolt
	dir  string
	skip func(id string) bool

	// runBytes and txBytes are mirrorLoadRunBytes and mirrorLoadTxBytes,
	// smaller in tests.
	runBytes, txBytes int

	mem      [numMirrorTrees][]loadEntry // not yet spilled
	memBytes int
	runs     int // run files spilled, numbered from 0
	added    int
	seq      int // index entries added
}

// The trees a MirrorLoad writes, in the order it merges them: every copy
// before any index entry, so an entry never points at a copy not written.
const (
	treeCopies = iota
	treeUsernames
	treeExternalIDs
	numMirrorTrees
)

var mirrorTreeBuckets = [numMirrorTrees]bucketID{bAbsorbUsers, bAbsorbUsername, bAbsorbExternalID}

// loadEntry is a key and its value: an Absorb id and its record, or an
// index key and the Absorb id it points at. seq orders the entries of one
// key as they were added.
type loadEntry struct {
	key, value []byte
	seq        int
}

// MirrorLoadResult says what Finish wrote.
type MirrorLoadResult struct {
	Written int // copies written
	Skipped int // copies left as they were: written meanwhile, or skip said so
}

// LoadMirror starts a MirrorLoad. Copies given to Add are written by Finish,
// all of them after every one the scan read, so an account Add is given must
// be one the store holds no copy of and no user is linked to. What the
// store holds when Finish writes wins: a copy written meanwhile (the bridge
// writes what it sent or just read, newer than the scan's read), or an
// account skip names, is left as it is, with its index entries. skip is
// called inside the merge's write transactions.
//
// A store whose last load stopped between its copies and its indexes (a
// crash, a cancelled sync) has both indexes rebuilt from its copies here,
// before LoadMirror returns.
func (s *Bolt) LoadMirror(ctx context.Context, skip func(id string) bool) (*MirrorLoad, error) {
	if s.readOnly {
		return nil, fmt.Errorf("load mirror: store %s is open read-only", s.path)
	}
	l := &MirrorLoad{s: s, dir: s.path + ".mirror-load", skip: skip,
		runBytes: mirrorLoadRunBytes, txBytes: mirrorLoadTxBytes}
	if err := l.clearRuns(); err != nil {
		return nil, err
	}
	if err := l.recover(ctx); err != nil {
		_ = l.Close()
		return nil, err
	}
	return l, nil
}

// recover rebuilds both indexes from the copies when a load stopped before
// its indexes were whole.
func (l *MirrorLoad) recover(ctx context.Context) error {
	var interrupted bool
	_ = l.s.view(func(tx *boltTx) error {
		interrupted = tx.b(bMeta).Get(keyMirrorLoad) != nil
		return nil
	})
	if !interrupted {
		return nil
	}
	err := l.s.update(func(tx *boltTx) error {
		if err := tx.emptyBucket(bAbsorbUsername); err != nil {
			return err
		}
		return tx.emptyBucket(bAbsorbExternalID)
	})
	if err != nil {
		return err
	}
	err = l.s.view(func(tx *boltTx) error {
		return tx.forEachAbsorbUser(false, func(u AbsorbUser) (bool, error) {
			return true, l.addIndexEntries(u)
		})
	})
	if err != nil {
		return fmt.Errorf("load mirror: rebuild the indexes of an interrupted load: %w", err)
	}
	if err := l.spill(); err != nil {
		return err
	}
	if err := l.mergeIndexes(ctx, nil); err != nil {
		return err
	}
	return l.clearRuns()
}

// clearRuns empties the run directory (a crashed load's runs included).
func (l *MirrorLoad) clearRuns() error {
	if err := os.RemoveAll(l.dir); err != nil {
		return fmt.Errorf("load mirror: clear %s: %w", l.dir, err)
	}
	if err := os.Mkdir(l.dir, 0o700); err != nil {
		return fmt.Errorf("load mirror: %w", err)
	}
	l.runs = 0
	return nil
}

// Add takes the copy of an account the store holds none of; see LoadMirror.
// Each account is added once.
func (l *MirrorLoad) Add(p PreparedAbsorbUser) error {
	if p.v == nil {
		var err error
		if p, err = l.s.PrepareAbsorbUser(p.User); err != nil {
			return err
		}
	}
	l.mem[treeCopies] = append(l.mem[treeCopies], loadEntry{key: []byte(p.User.ID), value: p.v})
	l.memBytes += len(p.User.ID) + len(p.v)
	l.added++
	return l.addIndexEntries(p.User)
}

func (l *MirrorLoad) addIndexEntries(u AbsorbUser) error {
	id := []byte(u.ID)
	l.addEntry(treeUsernames, FoldUserName(u.Username), id)
	l.addEntry(treeExternalIDs, u.ExternalID, id)
	if l.memBytes >= l.runBytes {
		return l.spill()
	}
	return nil
}

func (l *MirrorLoad) addEntry(tree int, key string, id []byte) {
	if key != "" {
		l.seq++
		l.mem[tree] = append(l.mem[tree], loadEntry{key: []byte(key), value: id, seq: l.seq})
		l.memBytes += len(key) + len(id)
	}
}

// Added is the number of copies Add has taken.
func (l *MirrorLoad) Added() int { return l.added }

// spill sorts what is held in memory and writes it as the next run: a file
// per tree.
func (l *MirrorLoad) spill() error {
	if l.memBytes == 0 {
		return nil
	}
	for tree := range numMirrorTrees {
		entries := l.mem[tree]
		// Of two index entries with one key, the one added later is
		// written later, and wins.
		slices.SortFunc(entries, func(a, b loadEntry) int {
			if c := bytes.Compare(a.key, b.key); c != 0 {
				return c
			}
			return cmp.Compare(a.seq, b.seq)
		})
		if err := writeRun(l.runPath(l.runs, tree), entries); err != nil {
			return fmt.Errorf("load mirror: %w", err)
		}
		l.mem[tree] = nil
	}
	l.memBytes = 0
	l.runs++
	return nil
}

func (l *MirrorLoad) runPath(run, tree int) string {
	return filepath.Join(l.dir, fmt.Sprintf("run-%05d.%d", run, tree))
}

func writeRun(path string, entries []loadEntry) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var n [binary.MaxVarintLen64]byte
	for _, e := range entries {
		_, _ = w.Write(n[:binary.PutUvarint(n[:], uint64(len(e.key)))])
		_, _ = w.Write(e.key)
		_, _ = w.Write(n[:binary.PutUvarint(n[:], uint64(len(e.value)))])
		_, _ = w.Write(e.value)
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// Finish writes every copy Add took, then their index entries, each tree in
// key order, in transactions of a bounded size; progress, when not nil, is
// called after each transaction of copies with the copies written so far.
// Cancelled or failed, it leaves the copies it wrote, and the next load
// rebuilds the indexes (LoadMirror).
func (l *MirrorLoad) Finish(ctx context.Context, progress func(written int)) (MirrorLoadResult, error) {
	if err := l.spill(); err != nil {
		return MirrorLoadResult{}, err
	}
	skipped, written, err := l.mergeCopies(ctx, progress)
	res := MirrorLoadResult{Written: written, Skipped: len(skipped)}
	if err != nil {
		return res, err
	}
	return res, l.mergeIndexes(ctx, func(id []byte) bool { return skipped[string(id)] })
}

// Close removes the run files. It is safe to call more than once, and
// after Finish.
func (l *MirrorLoad) Close() error {
	return os.RemoveAll(l.dir)
}

// mergeCopies writes the copies of every run into absorb/users in id order,
// and returns the ids it left as they were.
func (l *MirrorLoad) mergeCopies(ctx context.Context, progress func(int)) (map[string]bool, int, error) {
	skipped := map[string]bool{}
	written, inTx := 0, 0
	err := l.merge(ctx, treeCopies, func(tx *boltTx, b *bolt.Bucket, e loadEntry) error {
		id := string(e.key)
		if l.skip(id) || b.Get(e.key) != nil || tx.b(bUserAbsorbID).Get(e.key) != nil {
			skipped[id] = true
			return nil
		}
		inTx++
		return b.Put(e.key, e.value)
	}, func(tx *boltTx) error {
		return tx.addCount(cAbsorbUsers, inTx)
	}, func() {
		written += inTx
		inTx = 0
		if progress != nil {
			progress(written)
		}
	})
	return skipped, written, err
}

// mergeIndexes writes the index entries of every run, leaving out those of
// the ids skipped names, and clears the mark of an unfinished load.
func (l *MirrorLoad) mergeIndexes(ctx context.Context, skipped func(id []byte) bool) error {
	for _, tree := range []int{treeUsernames, treeExternalIDs} {
		err := l.merge(ctx, tree, func(tx *boltTx, b *bolt.Bucket, e loadEntry) error {
			if (skipped != nil && skipped(e.value)) || l.skip(string(e.value)) || bytes.Equal(b.Get(e.key), e.value) {
				return nil
			}
			return b.Put(e.key, e.value)
		}, nil, nil)
		if err != nil {
			return err
		}
	}
	return l.s.update(func(tx *boltTx) error { return tx.b(bMeta).Delete(keyMirrorLoad) })
}

// merge reads the runs of a tree in key order (of equal keys, the one added
// last last) and calls put for each entry, in write transactions of about
// mirrorLoadTxBytes that mark the store as loading; endTx, when not nil,
// ends each transaction, and committed is called after each commit.
func (l *MirrorLoad) merge(ctx context.Context, tree int, put func(*boltTx, *bolt.Bucket, loadEntry) error,
	endTx func(*boltTx) error, committed func()) error {
	runs, err := l.openRuns(tree)
	if err != nil {
		return err
	}
	defer runs.close()
	name := bucketNames[mirrorTreeBuckets[tree]]
	for runs.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := l.s.update(func(tx *boltTx) error {
			if err := tx.b(bMeta).Put(keyMirrorLoad, []byte{1}); err != nil {
				return err
			}
			b := tx.b(mirrorTreeBuckets[tree])
			b.FillPercent = orderedFillPercent // the keys arrive in order
			for size := 0; size < l.txBytes && runs.Len() > 0; {
				e, err := runs.next()
				if err != nil {
					return err
				}
				if err := put(tx, b, e); err != nil {
					return err
				}
				size += len(e.key) + len(e.value)
			}
			if endTx != nil {
				return endTx(tx)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("load mirror: write %s: %w", name, err)
		}
		if committed != nil {
			committed()
		}
	}
	return nil
}

// runReader reads one run file's entries in order.
type runReader struct {
	f    *os.File
	r    *bufio.Reader
	head loadEntry
	run  int
}

func (rr *runReader) advance() (bool, error) {
	key, err := readChunk(rr.r)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	value, err := readChunk(rr.r)
	if err != nil {
		return false, fmt.Errorf("%s: %w", rr.f.Name(), err)
	}
	rr.head = loadEntry{key: key, value: value}
	return true, nil
}

func readChunk(r *bufio.Reader) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > maxRecordBody {
		return nil, fmt.Errorf("run entry of %d bytes: %w", n, ErrCorrupt)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("run entry: %w", err)
	}
	return b, nil
}

// runMerge is a heap of run readers by their next entry's key, then run.
type runMerge []*runReader

func (m runMerge) Len() int { return len(m) }
func (m runMerge) Less(i, j int) bool {
	if c := bytes.Compare(m[i].head.key, m[j].head.key); c != 0 {
		return c < 0
	}
	return m[i].run < m[j].run
}
func (m runMerge) Swap(i, j int) { m[i], m[j] = m[j], m[i] }
func (m *runMerge) Push(x any)   { *m = append(*m, x.(*runReader)) }
func (m *runMerge) Pop() any {
	old := *m
	rr := old[len(old)-1]
	*m = old[:len(old)-1]
	return rr
}

func (l *MirrorLoad) openRuns(tree int) (*runMerge, error) {
	m := &runMerge{}
	for run := range l.runs {
		f, err := os.Open(l.runPath(run, tree))
		if err != nil {
			m.close()
			return nil, fmt.Errorf("load mirror: %w", err)
		}
		rr := &runReader{f: f, r: bufio.NewReaderSize(f, 256<<10), run: run}
		ok, err := rr.advance()
		if err != nil {
			_ = f.Close()
			m.close()
			return nil, fmt.Errorf("load mirror: %w", err)
		}
		if !ok {
			_ = f.Close()
			continue
		}
		*m = append(*m, rr)
	}
	heap.Init(m)
	return m, nil
}

// next returns the least entry and moves its run on.
func (m *runMerge) next() (loadEntry, error) {
	rr := (*m)[0]
	e := rr.head
	ok, err := rr.advance()
	if err != nil {
		return e, err
	}
	if ok {
		heap.Fix(m, 0)
	} else {
		_ = rr.f.Close()
		heap.Pop(m)
	}
	return e, nil
}

func (m *runMerge) close() {
	for _, rr := range *m {
		_ = rr.f.Close()
	}
	*m = nil
}
