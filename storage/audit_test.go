package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
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

// createAudit is the record the Absorb side of a SCIM create leaves, as a
// file of schema version 4 and one of version 5 hold it below.
var createAudit = AuditRecord{
	Seq: 1, Time: time.Date(2026, 12, 6, 20, 26, 47, 666680083, time.UTC), Credential: "load",
	RequestID: "058450e7ea1e7a2c", Operation: "upload", ResourceType: "User",
	ResourceID: "01a24d09-a5bb-7265-95fc-2bf91a42d18a", AbsorbID: "8728633a-7501-4d8a-a685-a08d1c656aa9",
	UserName: "load-8ec71bf6-0@example.com", Outcome: "ok",
	Changes: []FieldChange{
		{Field: "departmentId", To: "d0000000-0000-4000-8000-000000000001"},
		{Field: "firstName", To: "Load"},
		{Field: "lastName", To: "User0"},
		{Field: "username", To: "load-8ec71bf6-0@example.com"},
		{Field: "emailAddress", To: "load-8ec71bf6-0@example.com"},
		{Field: "externalId", To: "load-8ec71bf6-0"},
		{Field: "jobTitle", To: "Tester"},
		{Field: "isLearner", From: "false", To: "true"},
		{Field: "hasUsername", From: "false", To: "true"},
	},
}

// TestAuditStoredForms: a record as schema version 4 wrote it (format 1, its
// strings as they are, dictV1) and one as version 5 writes it (format 2, id
// strings, dictV2) both read back. The second also pins dictV2: the encoder
// may change with the library, what it wrote must stay readable.
func TestAuditStoredForms(t *testing.T) {
	tests := []struct {
		name, hex string
	}{
		{"schema version 4", "0102940390920394f6f2bd028e94aeb10d046c6f6164103035383435306537656131653761326306757001180004210ef04a243031613234" +
			"6430392d613562622d373236352d393566632d3262663931613432643138612438373238363333612d373530312d346438612d613638352d" +
			"6130386431633635366161391b0154482d38656337316266362d30406578616d706c6501a610026f6b090c7916144964002464300901002d" +
			"050514343030302d38110f0d04043109d5a01800044c6f616408d19104000501bc043008d19300006e7d00000c2eab06722a00000a591004" +
			"000f3a28000008d17a20000654657374657209f5aa0005a5360004219c000bfd771d17"},
		{"schema version 5", "0203d10230cf0294f6f2bd028e94aeb10d042102240108058450e7ea1e7a2c2e1301880001a24d09a5bb726595fc2bf91a42d18a00872863" +
			"3a75014d8aa685a08d1c656aa91b013d482d38656337316266362d30406578616d706c65a1370c026f6b0936e6000800d000010108400080" +
			"0107080000011df710064c6f616419fc000701b600303902001d6a6900361e016e2a002e3a0100113a2800394a1408546573746561a72151" +
			"150018100674727565"},
	}
	s := openTest(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := hex.DecodeString(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			view(t, s, func(tx *boltTx) error {
				got, err := tx.decodeAudit(seqKey(1), v)
				if err != nil {
					return err
				}
				if diff := cmp.Diff(createAudit, got); diff != "" {
					t.Errorf("record (-want +got):\n%s", diff)
				}
				return nil
			})
		})
	}
	if got, want := fmt.Sprintf("%x", sha256.Sum256([]byte(dictV2))), "3c8cf4918dc904b63fb760c3bdec01c4b5a33efa8b54d2686e35c406d7c550b5"; got != want {
		t.Errorf("dictV2 changed: sha256 %s, want %s; a new dictionary is a new blob kind", got, want)
	}
	if got := len(dictV1); got != s2DictV2Repeat {
		t.Errorf("dictV1 is %d bytes; s2DictV2Repeat, where the words of audit records begin, is %d", got, s2DictV2Repeat)
	}
}

// TestAuditWritesCompactForm: a new record is of format 2 and smaller than
// it is in format 1.
func TestAuditWritesCompactForm(t *testing.T) {
	s := openTest(t)
	p := s.PrepareAudit(createAudit)
	if p.v[0] != recordFormatAudit2 || p.v[1] != blobS2Dict2 {
		t.Errorf("format %d kind %d, want %d %d", p.v[0], p.v[1], recordFormatAudit2, blobS2Dict2)
	}
	if old := auditV4(createAudit); len(p.v) >= len(old) {
		t.Errorf("record of %d bytes, not smaller than the %d of format 1", len(p.v), len(old))
	}
}

// auditV4 encodes rec as a file of schema version 4 held it.
func auditV4(rec AuditRecord) []byte {
	var e encoder
	e.time(rec.Time)
	for _, s := range []string{rec.Credential, rec.RequestID, rec.Operation, rec.ResourceType,
		rec.ResourceID, rec.AbsorbID, rec.UserName, rec.Outcome} {
		e.str(s)
	}
	e.uint(uint64(len(rec.Changes)))
	for _, c := range rec.Changes {
		e.str(c.Field)
		e.str(c.From)
		e.str(c.To)
	}
	var c codec
	return c.record(&e, nil)
}

// TestAuditTrickyStrings: whatever the ids and values, a record reads back
// byte for byte, from a file that holds records of both forms, read forward,
// backward and pruned; Check finds nothing wrong.
func TestAuditTrickyStrings(t *testing.T) {
	const uuid = "8728633a-7501-4d8a-a685-a08d1c656aa9"
	tricky := []string{"", uuid, strings.ToUpper(uuid), "{" + uuid + "}", "058450e7ea1e7a2c", "058450E7EA1E7A2C",
		"ghijklmnopqrstuv", strings.Repeat("wxyz", 8), "gggggggg-gggg-gggg-gggg-gggggggggggg", "\x00\x00\x00\x00",
		"a\x00b", "\xff", strings.Repeat("0123456789abcdef", 5000), strings.Repeat("Zoë ", 5000)}
	var want []AuditRecord
	for i, x := range tricky {
		y := tricky[(i+1)%len(tricky)]
		want = append(want, AuditRecord{
			Time: t0.Add(time.Duration(i) * time.Minute), Credential: x, RequestID: x, Operation: y, ResourceType: x,
			ResourceID: x, AbsorbID: y, UserName: x, Outcome: y,
			Changes: []FieldChange{{Field: x, From: x, To: y}, {Field: "id", From: y, To: x}},
		})
	}
	s := openTest(t)
	// Odd records in the form of schema version 4, straight through bbolt.
	for i, rec := range want {
		rec.Seq = uint64(i + 1)
		want[i] = rec
		if i%2 == 0 {
			update(t, s, func(tx *boltTx) error {
				seq, err := tx.AppendAudit(rec)
				if seq != rec.Seq {
					t.Fatalf("AppendAudit = %d, want %d", seq, rec.Seq)
				}
				return err
			})
			continue
		}
		if err := s.db.Update(func(btx *bolt.Tx) error {
			b := btx.Bucket(bucketNames[bAudit])
			if _, err := b.NextSequence(); err != nil {
				return err
			}
			return b.Put(seqKey(rec.Seq), auditV4(rec))
		}); err != nil {
			t.Fatal(err)
		}
	}
	checkStore(t, s)

	var forward, backward []AuditRecord
	view(t, s, func(tx *boltTx) error {
		if err := tx.ForEachAudit(0, func(r AuditRecord) (bool, error) { forward = append(forward, r); return true, nil }); err != nil {
			return err
		}
		return tx.ForEachAuditBackward(0, func(r AuditRecord) (bool, error) {
			backward = append([]AuditRecord{r}, backward...)
			return true, nil
		})
	})
	if diff := cmp.Diff(want, forward); diff != "" {
		t.Errorf("ForEachAudit (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, backward); diff != "" {
		t.Errorf("ForEachAuditBackward (-want +got):\n%s", diff)
	}

	update(t, s, func(tx *boltTx) error {
		n, err := tx.PruneAudit(t0.Add(5*time.Minute), 0)
		if n != 5 {
			t.Errorf("PruneAudit removed %d records, want 5", n)
		}
		return err
	})
	var left []uint64
	view(t, s, func(tx *boltTx) error {
		return tx.ForEachAudit(0, func(r AuditRecord) (bool, error) { left = append(left, r.Seq); return true, nil })
	})
	if len(left) != len(want)-5 || left[0] != 6 {
		t.Errorf("after pruning: %v, want %d.. %d", left, 6, len(want))
	}
	checkStore(t, s)
}

// TestAuditDamage: Check reports an audit record whose compact strings were
// cut short, or of a format no build wrote.
func TestAuditDamage(t *testing.T) {
	var e encoder
	e.time(t0)
	e.str("okta")
	e.b = append(e.b, idTagUUID, 1, 2, 3) // a UUID of 3 bytes
	var c codec
	cut := c.recordAs(recordFormatAudit2, blobS2Dict2, &e, nil)
	tests := []struct {
		name string
		v    []byte
		want string
	}{
		{"UUID cut short", cut, "decode audit record 7: truncated record"},
		{"unknown format", append([]byte{9}, cut[1:]...), "decode audit record 7: unknown record format 9"},
		{"format 2 kind unknown", []byte{recordFormatAudit2, 7, 0}, "decode audit record 7: unknown blob kind 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			update(t, s, func(tx *boltTx) error { _, err := tx.AppendAudit(createAudit); return err })
			checkStore(t, s)
			if err := s.db.Update(func(btx *bolt.Tx) error {
				return btx.Bucket(bucketNames[bAudit]).Put(seqKey(7), tt.v)
			}); err != nil {
				t.Fatal(err)
			}
			wantCorrupt(t, s, tt.want)
		})
	}
}
