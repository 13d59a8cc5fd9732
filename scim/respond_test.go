package scim

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// TestListResponseJSON: the list answer writes itself exactly as
// encoding/json writes the struct.
func TestListResponseJSON(t *testing.T) {
	for _, resources := range [][]map[string]any{
		nil,
		{{"id": "1", "userName": "a<b>&c@example.com", "active": true}, {"id": "2", "emails": []any{map[string]any{"value": "x"}}}},
	} {
		l := newListResponse(42, 3, resources)
		got, err := scimdoc.AppendJSON(nil, l)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(l); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(append(got, '\n'), want.Bytes()) {
			t.Errorf("AppendJSON:\n got %s\nwant %s", got, want.Bytes())
		}
	}
}
