package scimdoc

import "testing"

func TestLookup(t *testing.T) {
	m := map[string]any{"userName": "a", "Title": "b", "title ": "c"}
	tests := []struct {
		name, wantKey string
		want          any
		wantOK        bool
	}{
		{"userName", "userName", "a", true},
		{"USERNAME", "userName", "a", true},
		{"title", "Title", "b", true},
		{"title ", "title ", "c", true},
		{"nickName", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, v, ok := Lookup(m, tt.name)
			if k != tt.wantKey || v != tt.want || ok != tt.wantOK {
				t.Errorf("Lookup(%q) = %q, %v, %v; want %q, %v, %v", tt.name, k, v, ok, tt.wantKey, tt.want, tt.wantOK)
			}
		})
	}
	if k, v, ok := Lookup(nil, "x"); k != "" || v != nil || ok {
		t.Errorf("Lookup(nil) = %q, %v, %v", k, v, ok)
	}
}
