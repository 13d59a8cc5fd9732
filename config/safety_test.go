package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDeactivationLimit(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		max     int
		window  time.Duration
		problem string // a line the error must hold; "" for none
	}{
		{"default", "", 50, 10 * time.Minute, ""},
		{"set", "safety:\n  deactivationLimit:\n    max: 200\n    window: 1h\n", 200, time.Hour, ""},
		{"off", "safety:\n  deactivationLimit:\n    max: 0\n", 0, 10 * time.Minute, ""},
		{"negative max", "safety:\n  deactivationLimit:\n    max: -1\n", -1, 10 * time.Minute,
			"safety.deactivationLimit.max: -1 must be 0 (no brake) or more"},
		{"no window", "safety:\n  deactivationLimit:\n    window: 0s\n", 50, 0,
			"safety.deactivationLimit.window: 0s must be positive (e.g. 10m)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(writeFile(t, "c.yaml", validYAML+tt.yaml), noEnv)
			var ce *Error
			switch {
			case tt.problem == "" && err != nil:
				t.Fatalf("Load: %v", err)
			case tt.problem != "" && (!errors.As(err, &ce) || !strings.Contains(strings.Join(ce.Problems, "\n"), tt.problem)):
				t.Fatalf("Load error %v, want the line %q", err, tt.problem)
			}
			got := cfg.BridgeDeactivationLimit()
			if got.Max != tt.max || got.Window != tt.window {
				t.Errorf("limit = %+v, want max %d window %s", got, tt.max, tt.window)
			}
		})
	}
}
