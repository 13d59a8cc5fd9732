package storage

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestForEachAuditBackward(t *testing.T) {
	s := openTest(t)
	update(t, s, func(tx *boltTx) error {
		for range 5 {
			if _, err := tx.AppendAudit(AuditRecord{Time: t0, Operation: "update", Outcome: "ok"}); err != nil {
				return err
			}
		}
		return nil
	})
	walk := func(before uint64, limit int) []uint64 {
		var got []uint64
		view(t, s, func(tx *boltTx) error {
			return tx.ForEachAuditBackward(before, func(r AuditRecord) (bool, error) {
				got = append(got, r.Seq)
				return len(got) < limit, nil
			})
		})
		return got
	}
	tests := []struct {
		name   string
		before uint64
		limit  int
		want   []uint64
	}{
		{"all, newest first", 0, 10, []uint64{5, 4, 3, 2, 1}},
		{"a page", 0, 2, []uint64{5, 4}},
		{"the next page", 4, 2, []uint64{3, 2}},
		{"before the first", 1, 10, nil},
		{"past the newest", 99, 10, []uint64{5, 4, 3, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, walk(tt.before, tt.limit)); diff != "" {
				t.Errorf("seqs (-want +got):\n%s", diff)
			}
		})
	}
}
