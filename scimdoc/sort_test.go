package scimdoc

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompare(t *testing.T) {
	users := userSchema()
	docs := []Document{
		{"id": "1", "userName": "bob", "name": map[string]any{"familyName": "Zed"}, "emails": []any{map[string]any{"value": "z@x.com"}, map[string]any{"value": "a@x.com", "primary": true}}, "active": true, "meta": map[string]any{"created": "2020-01-01T00:00:00Z"}},
		{"id": "2", "userName": "Alice", "name": map[string]any{"familyName": "adams"}, "emails": []any{map[string]any{"value": "m@x.com"}}, "active": false, "meta": map[string]any{"created": "2019-06-01T02:00:00+02:00"}},
		{"id": "3", "userName": "carol", "emails": []any{map[string]any{"value": "b@x.com"}, map[string]any{"value": "c@x.com"}}, "externalId": "B", enterpriseURN: map[string]any{"manager": map[string]any{"value": "m2"}}},
		{"id": "4", "userName": "alice2", "externalId": "a", "meta": map[string]any{"created": "2019-06-01T00:00:00Z"}, enterpriseURN: map[string]any{"manager": map[string]any{"value": "M1"}}},
	}
	tests := []struct {
		sortBy string
		want   []string // ids in ascending order
	}{
		{"userName", []string{"2", "4", "1", "3"}},
		{"USERNAME", []string{"2", "4", "1", "3"}},
		{"name.familyName", []string{"2", "1", "3", "4"}}, // missing last
		{"emails", []string{"1", "3", "2", "4"}},          // primary value, else first
		{"emails.value", []string{"1", "3", "2", "4"}},
		{"externalId", []string{"3", "4", "1", "2"}},   // caseExact: "B" < "a"
		{"active", []string{"2", "1", "3", "4"}},       // false < true
		{"meta.created", []string{"2", "4", "1", "3"}}, // as instants
		{"manager", []string{"4", "3", "1", "2"}},      // manager.value, case-insensitive
		{enterpriseURN + ":manager.value", []string{"4", "3", "1", "2"}},
		{"nope", []string{"1", "2", "3", "4"}},
		{"", []string{"1", "2", "3", "4"}},
	}
	for _, tt := range tests {
		t.Run(tt.sortBy, func(t *testing.T) {
			got := slices.Clone(docs)
			slices.SortStableFunc(got, func(a, b Document) int { return Compare(users, a, b, tt.sortBy) })
			var ids []string
			for _, d := range got {
				ids = append(ids, d["id"].(string))
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("order mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompareNumbersAndTies(t *testing.T) {
	rs := widgetSchema()
	a := Document{"id": "a", "count": 10.0, "score": 2.5}
	b := Document{"id": "b", "count": 9.0, "score": 2.5}
	if got := Compare(rs, a, b, "count"); got != 1 {
		t.Errorf("Compare count 10 vs 9 = %d, want 1 (numeric, not textual)", got)
	}
	if got := Compare(rs, a, b, "score"); got != -1 {
		t.Errorf("Compare equal scores = %d, want -1 (tie broken by id)", got)
	}
	if got := Compare(rs, a, a, "score"); got != 0 {
		t.Errorf("Compare with itself = %d, want 0", got)
	}
	if got := Compare(rs, Document{"id": "z", "count": 1.0}, Document{"id": "a"}, "count"); got != -1 {
		t.Errorf("value vs missing = %d, want -1", got)
	}
	if got := Compare(nil, Document{"id": "b"}, Document{"id": "a"}, "count"); got != 1 {
		t.Errorf("nil schema = %d, want id order", got)
	}
}
