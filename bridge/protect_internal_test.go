package bridge

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// countingAbsorb fails every call and counts the writes it was asked for.
type countingAbsorb struct {
	Absorb
	writes int
}

func (a *countingAbsorb) CreateUser(context.Context, absorbapi.User) (*absorbapi.User, error) {
	a.writes++
	return nil, absorbapi.ErrUnauthorized
}

func (a *countingAbsorb) UpdateUser(context.Context, absorbapi.User) (*absorbapi.User, error) {
	a.writes++
	return nil, absorbapi.ErrUnauthorized
}

// TestSendUserRefusesAdministrators pins the last guard before Absorb:
// whichever use case asks, sendUser never sends a write of an
// administrator's account or of the bridge's own, and audits the refusal.
func TestSendUserRefusesAdministrators(t *testing.T) {
	store, err := storage.Open(filepath.Join(t.TempDir(), "db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	mapper, err := mapping.New(mapping.Default())
	if err != nil {
		t.Fatal(err)
	}
	absorb := &countingAbsorb{}
	b, err := New(Config{Absorb: absorb, Store: store, Mapper: mapper, AdminUsername: "scim-bridge"})
	if err != nil {
		t.Fatal(err)
	}
	learner := absorbapi.User{ID: "a1", Username: "jane@example.com", IsLearner: true}
	tests := []struct {
		name      string
		before, u absorbapi.User
	}{
		{"an admin's account", absorbapi.User{ID: "a1", Username: "boss", IsAdmin: true}, absorbapi.User{ID: "a1", Username: "boss"}},
		{"an account with a role", absorbapi.User{ID: "a1", Username: "r", RoleIDs: []string{"x"}}, absorbapi.User{ID: "a1", Username: "r"}},
		{"a rename onto the bridge's own admin", learner, absorbapi.User{ID: "a1", Username: "SCIM-Bridge"}},
		{"a create of the bridge's own admin", absorbapi.User{}, absorbapi.User{Username: "scim-bridge", Password: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rec, err := b.sendUser(context.Background(), "id", tt.before, tt.u)
			se, ok := scimdoc.AsError(err)
			if !ok || se.Status != http.StatusConflict || se.ScimType != scimdoc.TypeUniqueness {
				t.Errorf("err = %v, want 409 uniqueness", err)
			}
			if rec.Outcome != OutcomeRefused {
				t.Errorf("audit outcome %q, want %q", rec.Outcome, OutcomeRefused)
			}
		})
	}
	if absorb.writes != 0 {
		t.Errorf("%d writes reached Absorb", absorb.writes)
	}
	if _, _, err := b.sendUser(context.Background(), "id", learner, learner); err == nil || absorb.writes != 1 {
		t.Errorf("a learner's write was not sent (err %v, %d writes)", err, absorb.writes)
	}
}
