package scimdoc

import "testing"

func TestLookup(t *testing.T) {
	m := map[string]any{"userName": "a", "Title": "b", "title ": "c", "nickName": nil}
	tests := []struct {
		name, wantKey string
		want          any
		wantOK        bool
	}{
		{"userName", "userName", "a", true},
		{"USERNAME", "userName", "a", true},
		{"title", "Title", "b", true},
		{"title ", "title ", "c", true},
		{"nickname", "nickName", nil, true},
		{"displayName", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Lookup(m, tt.name); got != tt.want {
				t.Errorf("Lookup(%q) = %v, want %v", tt.name, got, tt.want)
			}
			if k, ok := LookupKey(m, tt.name); k != tt.wantKey || ok != tt.wantOK {
				t.Errorf("LookupKey(%q) = %q, %v; want %q, %v", tt.name, k, ok, tt.wantKey, tt.wantOK)
			}
		})
	}
	if v := Lookup(nil, "x"); v != nil {
		t.Errorf("Lookup(nil) = %v", v)
	}
	if k, ok := LookupKey(nil, "x"); k != "" || ok {
		t.Errorf("LookupKey(nil) = %q, %v", k, ok)
	}
}
