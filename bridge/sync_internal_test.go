package bridge

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/storage"
)

func TestPutMirrorIfChanged(t *testing.T) {
	const id = "b0000000-0000-4000-8000-000000000009"
	user := func(edited, title string) absorbapi.User {
		return absorbapi.User{ID: id, Username: "u@example.com", FirstName: "U", LastName: "V", JobTitle: title, DateEdited: edited}
	}
	tests := []struct {
		name      string
		prev      *absorbapi.User
		read      absorbapi.User
		wantWrite bool
		wantTitle string
	}{
		{"no copy yet", nil, user("2025-01-01T10:00:00Z", "new"), true, "new"},
		{"copy edited earlier", userRef(user("2025-01-01T09:59:59Z", "old")), user("2025-01-01T10:00:00Z", "new"), true, "new"},
		{"copy edited later: the read is stale", userRef(user("2025-01-01T10:00:01Z", "bridge")), user("2025-01-01T10:00:00Z", "stale"), false, "bridge"},
		{"same second, same content", userRef(user("2025-01-01T10:00:00Z", "same")), user("2025-01-01T10:00:00Z", "same"), false, "same"},
		{"same second, other content", userRef(user("2025-01-01T10:00:00Z", "bridge")), user("2025-01-01T10:00:00Z", "edited"), true, "edited"},
		{"copy without a date (made by a create)", userRef(user("", "sent")), user("2025-01-01T10:00:00Z", "sent"), true, "sent"},
		{"date written back in Absorb's form", func() *absorbapi.User {
			u := user("2025-01-01T10:00:00Z", "same")
			u.DateHired = "2024-03-01"
			u.CustomFields = map[string]any{"datetime1": "2024-03-01T10:00:00+02:00"}
			return &u
		}(), func() absorbapi.User {
			u := user("2025-01-01T10:00:00Z", "same")
			u.DateHired = "2024-03-01T00:00:00Z"
			u.CustomFields = map[string]any{"datetime1": "2024-03-01T08:00:00Z"}
			return u
		}(), false, "same"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := storage.Open(filepath.Join(t.TempDir(), "db"), storage.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			err = s.Update(func(tx storage.Tx) error {
				if tt.prev != nil {
					m, err := mirrorRecord(*tt.prev)
					if err != nil {
						return err
					}
					if err := tx.PutAbsorbUser(m); err != nil {
						return err
					}
				}
				_, wrote, err := putMirrorIfChanged(tx, tt.read)
				if err != nil {
					return err
				}
				if wrote != tt.wantWrite {
					t.Errorf("wrote %v, want %v", wrote, tt.wantWrite)
				}
				rec, err := tx.AbsorbUser(id)
				if err != nil {
					return err
				}
				got, err := absorbUserOf(rec)
				if err != nil {
					return err
				}
				if got.JobTitle != tt.wantTitle {
					t.Errorf("copy holds %q, want %q", got.JobTitle, tt.wantTitle)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func userRef(u absorbapi.User) *absorbapi.User { return &u }

func TestNextCursor(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := absorbapi.ParseTime(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	started := at("2025-01-01T12:00:00Z")
	tests := []struct {
		name   string
		from   string // "" for a full load
		newest string // "" when the scan read no dated user
		want   string
	}{
		{"the newest edit read", "2025-01-01T11:00:00Z", "2025-01-01T11:30:00.72", "2025-01-01T11:30:00.72Z"},
		{"never later than the scan's start less the allowance", "2025-01-01T11:00:00Z", "2025-01-01T11:59:30", "2025-01-01T11:58:00Z"},
		{"never before the cursor read from", "2025-01-01T11:59:00Z", "2025-01-01T11:59:30Z", "2025-01-01T11:59:00Z"},
		{"nothing read: the cursor stays", "2025-01-01T11:00:00Z", "", "2025-01-01T11:00:00Z"},
		{"a full load of nothing", "", "", "2025-01-01T11:58:00Z"},
		{"a full load", "", "2024-06-30T08:00:00", "2024-06-30T08:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var from, newest time.Time
			if tt.from != "" {
				from = at(tt.from)
			}
			if tt.newest != "" {
				newest = at(tt.newest)
			}
			got := nextCursor(from, tt.from != "", newest, started)
			if want := at(tt.want); !got.Equal(want) {
				t.Errorf("nextCursor = %s, want %s", got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
			}
		})
	}
}
