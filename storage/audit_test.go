package storage

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAudit(t *testing.T) {
	s := openTest(t)
	rec := AuditRecord{
		Seq: 42, Time: t0, Credential: "okta", RequestID: "req-1", Operation: "replace",
		ResourceType: "User", ResourceID: "u1", AbsorbID: "a1", UserName: "ada@example.com", Outcome: "ok",
		Changes: []FieldChange{{Field: "title", From: "Engineer", To: "Senior Engineer"}, {Field: "active", From: "true", To: "false"}},
	}
	var seqs []uint64
	update(t, s, func(tx *boltTx) error {
		for i := range 5 {
			r := rec
			r.ResourceID = fmt.Sprintf("u%d", i+1)
			seq, err := tx.AppendAudit(r)
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	if diff := cmp.Diff([]uint64{1, 2, 3, 4, 5}, seqs); diff != "" {
		t.Errorf("sequence numbers (-want +got):\n%s", diff)
	}

	var got []AuditRecord
	view(t, s, func(tx *boltTx) error {
		return tx.ForEachAudit(3, func(r AuditRecord) (bool, error) {
			got = append(got, r)
			return true, nil
		})
	})
	if len(got) != 3 {
		t.Fatalf("ForEachAudit(3) returned %d records, want 3", len(got))
	}
	want := rec
	want.Seq, want.ResourceID = 3, "u3"
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("record 3 (-want +got):\n%s", diff)
	}
	for i, r := range got {
		if r.Seq != uint64(i+3) {
			t.Errorf("record %d has Seq %d, want %d", i, r.Seq, i+3)
		}
	}

	var n int
	view(t, s, func(tx *boltTx) error {
		return tx.ForEachAudit(0, func(AuditRecord) (bool, error) { n++; return n < 2, nil })
	})
	if n != 2 {
		t.Errorf("ForEachAudit stopped after %d calls, want 2", n)
	}
	boom := errors.New("boom")
	if err := s.view(func(tx *boltTx) error {
		return tx.ForEachAudit(0, func(AuditRecord) (bool, error) { return true, boom })
	}); err != boom {
		t.Errorf("ForEachAudit = %v, want boom", err)
	}
}

func TestAuditTimeDefaultsToNow(t *testing.T) {
	s := openTest(t)
	before := time.Now()
	update(t, s, func(tx *boltTx) error { _, err := tx.AppendAudit(AuditRecord{Operation: "create"}); return err })
	view(t, s, func(tx *boltTx) error {
		return tx.ForEachAudit(0, func(r AuditRecord) (bool, error) {
			if r.Time.Before(before.Add(-time.Second)) || r.Time.After(time.Now().Add(time.Second)) {
				t.Errorf("Time = %v, want about now", r.Time)
			}
			return true, nil
		})
	})
}

func TestPruneAudit(t *testing.T) {
	s := openTest(t)
	update(t, s, func(tx *boltTx) error {
		for i := range 10 {
			if _, err := tx.AppendAudit(AuditRecord{Time: t0.Add(time.Duration(i) * time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name      string
		before    time.Time
		limit     int
		wantN     int
		wantFirst uint64
	}{
		{"limited", t0.Add(5 * time.Hour), 2, 2, 3},
		{"up to a time", t0.Add(5 * time.Hour), 0, 3, 6},
		{"nothing older", t0, 0, 0, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n int
			update(t, s, func(tx *boltTx) error {
				var err error
				n, err = tx.PruneAudit(tt.before, tt.limit)
				return err
			})
			if n != tt.wantN {
				t.Errorf("PruneAudit removed %d, want %d", n, tt.wantN)
			}
			var first uint64
			view(t, s, func(tx *boltTx) error {
				return tx.ForEachAudit(0, func(r AuditRecord) (bool, error) { first = r.Seq; return false, nil })
			})
			if first != tt.wantFirst {
				t.Errorf("first record after pruning = %d, want %d", first, tt.wantFirst)
			}
		})
	}
	// Numbers are not reused after pruning.
	update(t, s, func(tx *boltTx) error {
		seq, err := tx.AppendAudit(AuditRecord{})
		if seq != 11 {
			t.Errorf("next Seq = %d, want 11", seq)
		}
		return err
	})
}
