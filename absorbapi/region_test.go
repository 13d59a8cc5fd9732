package absorbapi

import (
	"strings"
	"testing"
)

func TestResolveBaseURL(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "us", in: "us", want: "https://rest.myabsorb.com"},
		{name: "ca", in: "ca", want: "https://rest.myabsorb.ca"},
		{name: "eu upper case", in: " EU ", want: "https://rest.myabsorb.eu"},
		{name: "au", in: "au", want: "https://rest.myabsorb.com.au"},
		{name: "us sandbox", in: "us-sandbox", want: "https://rest.sandbox.myabsorb.com"},
		{name: "au sandbox", in: "au-sandbox", want: "https://rest.sandbox.myabsorb.com.au"},
		{name: "url trailing slash", in: "http://127.0.0.1:8080/", want: "http://127.0.0.1:8080"},
		{name: "url with prefix", in: "https://proxy.example/absorb/", want: "https://proxy.example/absorb"},
		{name: "empty", in: "", wantErr: true},
		{name: "unknown region", in: "mars", wantErr: true},
		{name: "unknown sandbox", in: "mars-sandbox", wantErr: true},
		{name: "ftp", in: "ftp://example.com", wantErr: true},
		{name: "no host", in: "https://", wantErr: true},
		{name: "query", in: "https://example.com/?a=b", wantErr: true},
		{name: "credentials", in: "https://u:hunter2@example.com", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveBaseURL(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ResolveBaseURL(%q) = %q, want error", tt.in, got)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q repeats a password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ResolveBaseURL(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ResolveBaseURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
