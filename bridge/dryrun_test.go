package bridge_test

import (
	"context"
	"strings"
	"testing"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/bridge"
	"github.com/absorb-scim/absorb-scim/fakeabsorb"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// upstreamWrites counts the writes the fake received (logins aside).
func upstreamWrites(s fakeabsorb.Stats) map[string]int {
	out := map[string]int{}
	for k, n := range s.Requests {
		if (strings.HasPrefix(k, "POST ") || strings.HasPrefix(k, "PUT ")) && k != "POST /authenticate" {
			out[k] = n
		}
	}
	return out
}

func TestDryRunSendsNoWrite(t *testing.T) {
	r := newOpsRig(t, true)
	ctx := bridge.WithActor(context.Background(), bridge.Actor{Credential: "okta", RequestID: "dry-1"})
	res, err := r.b.CreateUser(ctx, opsUserDoc("yara@example.com", "Yara", "Young"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := r.b.GetUser(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Doc["userName"]; got != "yara@example.com" {
		t.Errorf("userName = %v, want the IdP's", got)
	}
	name := map[string]any{"givenName": "Yolanda", "familyName": "Young"}
	if _, err := r.b.PatchUser(ctx, res.ID, scimdoc.Precondition{}, opsSet("name", name)); err != nil {
		t.Fatal(err)
	}
	if err := r.b.DeleteUser(ctx, res.ID, scimdoc.Precondition{}); err != nil {
		t.Fatal(err)
	}
	// An existing account is adopted (reads still go to Absorb) but not written.
	if _, err := r.b.CreateUser(ctx, opsUserDoc("carol@example.com", "Carol", "Chen")); err != nil {
		t.Fatal(err)
	}

	if w := upstreamWrites(r.fake.Stats()); len(w) != 0 {
		t.Errorf("dry run sent writes to Absorb: %v", w)
	}
	if r.fake.Stats().Requests["GET /users"] == 0 {
		t.Error("dry run sent no read to Absorb either; reads should go through")
	}
	for _, u := range r.fake.Users() {
		if u.Username == "yara@example.com" {
			t.Errorf("Absorb holds %s after a dry run", u.Username)
		}
	}
	recs := opsAuditRecords(t, r.store)
	var ops []string
	for _, rec := range recs {
		if rec.Outcome != bridge.OutcomeDryRun {
			t.Errorf("record %d %s has outcome %q, want %q", rec.Seq, rec.Operation, rec.Outcome, bridge.OutcomeDryRun)
		}
		ops = append(ops, rec.Operation)
	}
	want := []string{bridge.OpCreate, bridge.OpUpdate, bridge.OpDeactivate, bridge.OpUpdate}
	if strings.Join(ops, ",") != strings.Join(want, ",") {
		t.Errorf("operations %v, want %v", ops, want)
	}
	if !strings.HasPrefix(recs[0].AbsorbID, bridge.DryRunIDPrefix) {
		t.Errorf("created account id %q is not made up", recs[0].AbsorbID)
	}
}

func TestDryRunAnswers(t *testing.T) {
	r := newOpsRig(t, false)
	d := bridge.NewDryRunAbsorb(r.client, nil)
	ctx := context.Background()
	u := absorbapi.User{Username: "Xavier@example.com", FirstName: "Xavier", Password: "pw-not-kept"}
	first, err := d.CreateUser(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	second, err := d.CreateUser(ctx, absorbapi.User{Username: "xavier@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"id is made up", strings.HasPrefix(first.ID, bridge.DryRunIDPrefix)},
		{"id is the same for the same username", first.ID == second.ID},
		{"password is not echoed", first.Password == ""},
		{"fields are echoed", first.FirstName == "Xavier"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Errorf("failed: %+v %+v", first, second)
			}
		})
	}
	if _, err := d.GetUser(ctx, first.ID); !absorbapi.IsNotFound(err) {
		t.Errorf("GetUser of a made-up id: %v, want not found", err)
	}
	if got, err := d.GetUser(ctx, fakeabsorb.UserAliceID); err != nil || got.Username != "alice@example.com" {
		t.Errorf("GetUser of a real id: %v, %v", got, err)
	}
	res, err := d.UploadUsers(ctx, []absorbapi.User{{ID: fakeabsorb.UserBobID, Username: "bob@example.com"}, {Username: "new@example.com"}})
	if err != nil || len(res) != 2 || !res[0].OK || res[0].ID != fakeabsorb.UserBobID || !strings.HasPrefix(res[1].ID, bridge.DryRunIDPrefix) {
		t.Errorf("UploadUsers = %+v, %v", res, err)
	}
	if w := upstreamWrites(r.fake.Stats()); len(w) != 0 {
		t.Errorf("dry run sent writes to Absorb: %v", w)
	}
}
