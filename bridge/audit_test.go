package bridge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// opsRig is a bridge on a fake Absorb with audited (and optionally dry-run)
// writes, on a real bbolt file.
type opsRig struct {
	b      *bridge.Bridge
	fake   *fakeabsorb.Server
	store  storage.Store
	client *absorbapi.Client
	url    string
}

// opsPassword is sent by the IdP in the tests; it must never be recorded.
const opsPassword = "Tr0ub4dor&3-never-logged"

func newOpsRig(t *testing.T, dryRun bool, now ...func() time.Time) *opsRig {
	t.Helper()
	fake, err := fakeabsorb.New(fakeabsorb.Options{RateLimit: -1, Variants: testVariants(t)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	client := newFakeClient(t, ts.URL, fakeabsorb.BridgeAdminUsername)
	store, err := storage.Open(filepath.Join(t.TempDir(), "absorb-scim.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	mcfg := mapping.Default()
	mcfg.DefaultDepartment = "Company"
	mcfg.Password = mapping.PasswordPassthrough
	mapper, err := mapping.New(mcfg)
	if err != nil {
		t.Fatal(err)
	}
	var absorb bridge.Absorb = client
	if dryRun {
		absorb = bridge.NewDryRunAbsorb(absorb, nil)
	}
	cfg := bridge.Config{Absorb: absorb, Store: store, Mapper: mapper}
	if len(now) > 0 {
		cfg.Now = now[0]
	}
	b, err := bridge.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &opsRig{b: b, fake: fake, store: store, client: client, url: ts.URL}
}

// newFakeClient logs in to the fake as admin (each admin has its own token).
func newFakeClient(t *testing.T, url, admin string) *absorbapi.Client {
	t.Helper()
	c, err := absorbapi.New(absorbapi.Config{
		BaseURL: url, PrivateKey: fakeabsorb.PrivateKey, Username: admin, Password: fakeabsorb.AdminPassword,
		RateLimit: -1, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func opsUserDoc(userName, given, family string) scimdoc.Document {
	return scimdoc.Document{
		"schemas":  []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": userName,
		"name":     map[string]any{"givenName": given, "familyName": family},
		"emails":   []any{map[string]any{"value": userName, "primary": true, "type": "work"}},
		"active":   true,
		"password": opsPassword,
	}
}

// opsSet returns the PATCH operations that set one top-level attribute.
func opsSet(key string, value any) []scimdoc.Operation {
	return []scimdoc.Operation{{Op: "replace", Path: key, Value: value}}
}

// opsAuditRecords returns the audit records of writes to Absorb, without
// those of the IdP's requests (allAuditRecords has every record).
func opsAuditRecords(t *testing.T, s storage.Store) []storage.AuditRecord {
	t.Helper()
	var out []storage.AuditRecord
	for _, r := range allAuditRecords(t, s) {
		switch r.Operation {
		case bridge.OpSCIMCreate, bridge.OpSCIMUpdate, bridge.OpSCIMDelete:
			continue
		}
		out = append(out, r)
	}
	return out
}

func allAuditRecords(t *testing.T, s storage.Store) []storage.AuditRecord {
	t.Helper()
	var out []storage.AuditRecord
	err := s.View(func(tx storage.Tx) error {
		return tx.ForEachAudit(0, func(r storage.AuditRecord) (bool, error) {
			out = append(out, r)
			return true, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// changeOf returns the change of field in rec, and false when none.
func opsChangeOf(rec storage.AuditRecord, field string) (storage.FieldChange, bool) {
	for _, c := range rec.Changes {
		if c.Field == field {
			return c, true
		}
	}
	return storage.FieldChange{}, false
}

func TestAuditedAbsorbRecordsCreatePatchDeactivate(t *testing.T) {
	r := newOpsRig(t, false)
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta", RequestID: "req-create"})
	res, err := r.b.CreateUser(ctx, opsUserDoc("zed@example.com", "Zed", "Zimmer"))
	if err != nil {
		t.Fatal(err)
	}
	ctx = bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta", RequestID: "req-patch"})
	name := map[string]any{"givenName": "Zack", "familyName": "Zimmer"}
	if _, err := r.b.PatchUser(ctx, res.ID, scimdoc.Precondition{}, opsSet("name", name)); err != nil {
		t.Fatal(err)
	}
	ctx = bridge.WithActor(context.Background(), bridge.Actor{Credential: "entra", RequestID: "req-off"})
	if _, err := r.b.PatchUser(ctx, res.ID, scimdoc.Precondition{}, opsSet("active", false)); err != nil {
		t.Fatal(err)
	}

	recs := opsAuditRecords(t, r.store)
	if len(recs) != 3 {
		t.Fatalf("got %d audit records, want 3: %+v", len(recs), recs)
	}
	absorbID := recs[0].AbsorbID
	if absorbID == "" {
		t.Fatal("create record has no Absorb id")
	}
	type head struct{ Credential, RequestID, Operation, ResourceType, ResourceID, AbsorbID, UserName, Outcome string }
	var got []head
	for _, rec := range recs {
		got = append(got, head{rec.Credential, rec.RequestID, rec.Operation, rec.ResourceType, rec.ResourceID, rec.AbsorbID, rec.UserName, rec.Outcome})
	}
	want := []head{
		{"okta", "req-create", bridge.OpCreate, "User", res.ID, absorbID, "zed@example.com", bridge.OutcomeOK},
		{"okta", "req-patch", bridge.OpUpdate, "User", res.ID, absorbID, "zed@example.com", bridge.OutcomeOK},
		{"entra", "req-off", bridge.OpDeactivate, "User", res.ID, absorbID, "zed@example.com", bridge.OutcomeOK},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}

	tests := []struct {
		name   string
		rec    int
		field  string
		change storage.FieldChange
	}{
		{"create sets the first name", 0, "firstName", storage.FieldChange{Field: "firstName", From: "", To: "Zed"}},
		{"create sets the username", 0, "username", storage.FieldChange{Field: "username", From: "", To: "zed@example.com"}},
		{"patch changes the first name", 1, "firstName", storage.FieldChange{Field: "firstName", From: "Zed", To: "Zack"}},
		{"deactivate changes the status", 2, "activeStatus", storage.FieldChange{Field: "activeStatus", From: "active", To: "inactive"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := opsChangeOf(recs[tc.rec], tc.field)
			if !ok {
				t.Fatalf("record %d has no change of %s: %+v", tc.rec, tc.field, recs[tc.rec].Changes)
			}
			if c != tc.change {
				t.Errorf("got %+v, want %+v", c, tc.change)
			}
		})
	}
	if _, ok := opsChangeOf(recs[1], "lastName"); ok {
		t.Error("patch record lists lastName, which did not change")
	}
	raw, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.ToLower(string(raw)); strings.Contains(s, strings.ToLower(opsPassword)) || strings.Contains(s, "password") {
		t.Errorf("audit records mention the password: %s", raw)
	}
}

func TestAuditedAbsorbFailedAndBackground(t *testing.T) {
	r := newOpsRig(t, false, func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) })
	audited := r.b
	// No actor: background work. Enrolling an account Absorb does not know fails.
	err := audited.Enroll(context.Background(), "b0000000-0000-4000-8000-0000000000ff", fakeabsorb.CourseSecurityAwarenessID)
	if err == nil {
		t.Fatal("enrolling an unknown account succeeded")
	}
	if err := audited.Unenroll(context.Background(), []string{fakeabsorb.EnrollmentBobSalesID}); err != nil {
		t.Fatal(err)
	}
	recs := opsAuditRecords(t, r.store)
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	tests := []struct {
		name                     string
		rec                      storage.AuditRecord
		op, outcome, field, from string
	}{
		{"failed enroll", recs[0], bridge.OpEnroll, bridge.OutcomeFailed, "courseId", ""},
		{"unenroll", recs[1], bridge.OpUnenroll, bridge.OutcomeOK, "enrollment", fakeabsorb.EnrollmentBobSalesID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rec.Operation != tc.op || tc.rec.Outcome != tc.outcome || tc.rec.Credential != bridge.ActorBackground {
				t.Errorf("got %s/%s by %s, want %s/%s by %s", tc.rec.Operation, tc.rec.Outcome, tc.rec.Credential, tc.op, tc.outcome, bridge.ActorBackground)
			}
			c, ok := opsChangeOf(tc.rec, tc.field)
			if !ok || c.From != tc.from {
				t.Errorf("change of %s = %+v, %v; want from %q", tc.field, c, ok, tc.from)
			}
			if !tc.rec.Time.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
				t.Errorf("time %v is not the injected clock", tc.rec.Time)
			}
		})
	}
}

func TestActorFrom(t *testing.T) {
	if _, ok := bridge.ActorFrom(context.Background()); ok {
		t.Error("empty context has an actor")
	}
	want := bridge.Actor{Credential: "okta", RequestID: "abc"}
	got, ok := bridge.ActorFrom(bridge.WithActor(context.Background(), want))
	if !ok || got != want {
		t.Errorf("got %+v, %v; want %+v", got, ok, want)
	}
}

func TestAuditedAbsorbUpload(t *testing.T) {
	r := newOpsRig(t, false)
	up := r.b
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta", RequestID: "bulk-1"})
	users := []absorbapi.User{
		{Username: "uma@example.com", FirstName: "Uma", LastName: "Upton", EmailAddress: "uma@example.com",
			DepartmentID: fakeabsorb.DeptCompanyID, Password: opsPassword, IsLearner: true},
	}
	res, err := up.UploadUsers(ctx, users)
	if err != nil || len(res) != 1 || !res[0].OK {
		t.Fatalf("upload: %+v, %v", res, err)
	}
	recs := opsAuditRecords(t, r.store)
	if len(recs) != 1 {
		t.Fatalf("got %d records, want 1", len(recs))
	}
	rec := recs[0]
	if rec.Operation != bridge.OpUpload || rec.Outcome != bridge.OutcomeOK || rec.AbsorbID != res[0].ID || rec.RequestID != "bulk-1" {
		t.Errorf("record %+v, want an ok upload of %s", rec, res[0].ID)
	}
	if c, ok := opsChangeOf(rec, "lastName"); !ok || c.To != "Upton" {
		t.Errorf("lastName change %+v", c)
	}
	raw, _ := json.Marshal(rec)
	if strings.Contains(string(raw), opsPassword) {
		t.Error("the upload record holds the password")
	}
}

// TestAuditedAbsorbRecordsFailedWriteAndDelete: a write Absorb does not take
// is recorded although the bridge never commits it, and a delete's
// deactivation is recorded with the user it was about.
func TestAuditedAbsorbRecordsFailedWriteAndDelete(t *testing.T) {
	r := newOpsRig(t, false)
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta", RequestID: "req-create"})
	res, err := r.b.CreateUser(ctx, opsUserDoc("yan@example.com", "Yan", "Young"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.fake.SetFaults("error5xx=1"); err != nil {
		t.Fatal(err)
	}
	ctx = bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta", RequestID: "req-fail"})
	name := map[string]any{"givenName": "Yannick", "familyName": "Young"}
	if _, err := r.b.PatchUser(ctx, res.ID, scimdoc.Precondition{}, opsSet("name", name)); err == nil {
		t.Fatal("PATCH succeeded while Absorb answers 500")
	}
	if err := r.fake.SetFaults(""); err != nil {
		t.Fatal(err)
	}
	ctx = bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta", RequestID: "req-delete"})
	if err := r.b.DeleteUser(ctx, res.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}

	recs := opsAuditRecords(t, r.store)
	type head struct{ RequestID, Operation, ResourceID, Outcome string }
	var got []head
	for _, rec := range recs {
		got = append(got, head{rec.RequestID, rec.Operation, rec.ResourceID, rec.Outcome})
	}
	want := []head{
		{"req-create", bridge.OpCreate, res.ID, bridge.OutcomeOK},
		{"req-fail", bridge.OpUpdate, res.ID, bridge.OutcomeFailed},
		{"req-delete", bridge.OpDeactivate, res.ID, bridge.OutcomeOK},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("records (-want +got):\n%s", diff)
	}
	if c, ok := opsChangeOf(recs[1], "firstName"); !ok || c.From != "Yan" || c.To != "Yannick" {
		t.Errorf("failed update's change of firstName = %+v, %v; want Yan -> Yannick", c, ok)
	}
	if c, ok := opsChangeOf(recs[2], "activeStatus"); !ok || c.From != "active" || c.To != "inactive" {
		t.Errorf("delete's change of activeStatus = %+v, %v; want active -> inactive", c, ok)
	}
}

// TestAuditRetention: with AuditRetention set, Run deletes the records
// older than it, in chunks, and keeps the newer ones.
func TestAuditRetention(t *testing.T) {
	r := newOpsRig(t, false)
	now := time.Now()
	const old = 12_000 // more than one chunk
	err := r.store.Update(func(tx storage.Tx) error {
		for i := range old + 1 {
			at := now.Add(-48 * time.Hour)
			if i == old {
				at = now.Add(-time.Hour)
			}
			if _, err := tx.AppendAudit(storage.AuditRecord{Time: at, Credential: "okta", Operation: bridge.OpUpdate,
				ResourceType: "User", UserName: fmt.Sprintf("u%d@example.com", i), Outcome: bridge.OutcomeOK}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mapper, err := mapping.New(mapping.Config{DefaultDepartment: "Company"})
	if err != nil {
		t.Fatal(err)
	}
	pruned := newLogEvent("audit records past their retention deleted")
	b, err := bridge.New(bridge.Config{Absorb: r.client, Store: r.store, Mapper: mapper, SyncInterval: time.Hour,
		AuditRetention: 24 * time.Hour, Logger: slog.New(slog.NewTextHandler(pruned, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	pruned.wait(t, 10*time.Second)
	recs := opsAuditRecords(t, r.store)
	if len(recs) != 1 {
		t.Fatalf("%d records left after the pruning; want 1", len(recs))
	}
	if recs[0].UserName != fmt.Sprintf("u%d@example.com", old) {
		t.Errorf("kept %s; want the recent record", recs[0].UserName)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
