package bridge_test

import (
	"context"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// RFC 7644 §3.5.2: a PUT or PATCH that changes nothing leaves meta.version
// and meta.lastModified as they are and sends nothing to Absorb.
func TestWriteThatChangesNothingKeepsTheVersion(t *testing.T) {
	w := newWorld(t)
	doc := userDoc("nora@example.com", "Nora", "North")
	doc["title"] = "Engineer"
	nora := w.create(doc)
	w.advance(time.Minute)
	w.resetCalls()
	tests := []struct {
		name  string
		write func() (scimdoc.Resource, error)
	}{
		{"PATCH of the same title", func() (scimdoc.Resource, error) {
			return w.patch(nora.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "title", Value: "Engineer"})
		}},
		{"PATCH adding an email the user has", func() (scimdoc.Resource, error) {
			email := w.get(nora.ID).Doc["emails"]
			return w.patch(nora.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "add", Path: "emails", Value: email})
		}},
		{"PUT of the same document", func() (scimdoc.Resource, error) {
			return w.b.ReplaceUser(context.Background(), nora.ID, w.norm(doc), scimdoc.Precondition{})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.write()
			if err != nil {
				t.Fatal(err)
			}
			if res.Version != nora.Version || !res.LastModified.Equal(nora.LastModified) {
				t.Errorf("version %d, lastModified %s; want %d, %s", res.Version, res.LastModified, nora.Version, nora.LastModified)
			}
			if got := w.get(nora.ID); got.Version != nora.Version {
				t.Errorf("stored version %d, want %d", got.Version, nora.Version)
			}
			assertCalls(t, w, nil)
		})
	}
	// The same in a bulk request: the PATCH that changes nothing keeps the
	// version, the one beside it that changes something does not.
	w.resetCalls()
	other := w.create(userDoc("olaf@example.com", "Olaf", "Oak"))
	results := w.b.Bulk(context.Background(), []scimdoc.BulkOperation{
		{Method: "PATCH", Resource: "User", ID: nora.ID, Patch: []scimdoc.Operation{{Op: "replace", Path: "title", Value: "Engineer"}}},
		{Method: "PATCH", Resource: "User", ID: other.ID, Patch: []scimdoc.Operation{{Op: "replace", Path: "title", Value: "Chef"}}},
	}, 0)
	if len(results) != 2 || results[0].Err != nil || results[1].Err != nil {
		t.Fatalf("bulk results %+v", results)
	}
	if got := results[0].Resource.Version; got != nora.Version {
		t.Errorf("bulk PATCH that changes nothing: version %d, want %d", got, nora.Version)
	}
	if got := results[1].Resource.Version; got != other.Version+1 {
		t.Errorf("bulk PATCH that changes the title: version %d, want %d", got, other.Version+1)
	}
	if got := w.get(nora.ID); got.Version != nora.Version {
		t.Errorf("stored version after the bulk %d, want %d", got.Version, nora.Version)
	}

	// A change still writes.
	res, err := w.patch(nora.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "title", Value: "Manager"})
	if err != nil || res.Version != nora.Version+1 {
		t.Fatalf("a real change: version %d, %v; want %d", res.Version, err, nora.Version+1)
	}

	g := w.createGroup("Unchanged")
	same, err := scimdoc.Normalize(w.b.GroupSchema(), scimdoc.Document{"displayName": "Unchanged"})
	if err != nil {
		t.Fatal(err)
	}
	res, err = w.b.ReplaceGroup(context.Background(), g.ID, same, scimdoc.Precondition{})
	if err != nil || res.Version != g.Version || !res.LastModified.Equal(g.LastModified) {
		t.Fatalf("PUT of the same group: version %d, %v; want %d", res.Version, err, g.Version)
	}
}
