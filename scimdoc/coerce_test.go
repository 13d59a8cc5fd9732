package scimdoc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestApplyPatchValueTypes(t *testing.T) {
	rs := widgetSchema()
	tests := []struct {
		name  string
		path  string
		value any
		want  any // nil: want invalidValue
	}{
		{"integer", "count", 3.0, 3.0},
		{"integer from string", "count", " 42 ", 42.0},
		{"integer from Go int", "count", 7, 7.0},
		{"fraction is not an integer", "count", 1.5, nil},
		{"boolean is not an integer", "count", true, nil},
		{"decimal", "score", 1.5, 1.5},
		{"decimal from string", "score", "2.25", 2.25},
		{"decimal not a number", "score", "abc", nil},
		{"dateTime", "since", "2015-10-10T14:38:21.8617979-07:00", "2015-10-10T14:38:21.8617979-07:00"},
		{"dateTime without zone", "since", "2015-10-10T14:38:21", "2015-10-10T14:38:21"},
		{"dateTime garbage", "since", "yesterday", nil},
		{"binary", "blob", "YWJjZA==", "YWJjZA=="},
		{"binary not base64", "blob", "not base64!", nil},
		{"simple multi-valued from one value", "tags", "a", []any{"a"}},
		{"simple multi-valued", "tags", []any{"a", nil, "b"}, []any{"a", "b"}},
		{"simple multi-valued wrong element", "tags", []any{"a", 1.0}, nil},
		{"complex element with decimal", "parts", []any{map[string]any{"value": "p", "Weight": "0.5"}}, []any{map[string]any{"value": "p", "weight": 0.5}}},
		{"complex element from string", "parts", "p", []any{map[string]any{"value": "p"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ApplyPatch(rs, Document{"label": "w"}, []Operation{{Op: "replace", Path: tt.path, Value: tt.value}})
			if tt.want == nil {
				wantSCIMError(t, err, 400, TypeInvalidValue)
				return
			}
			if err != nil {
				t.Fatalf("ApplyPatch: %v", err)
			}
			if diff := cmp.Diff(tt.want, got[tt.path]); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestApplyPatchImmutable(t *testing.T) {
	rs := widgetSchema()
	tests := []struct {
		name  string
		start Document
		op    Operation
		ok    bool
	}{
		{"set when unassigned", Document{"label": "w"}, Operation{Op: "add", Path: "code", Value: "C1"}, true},
		{"same value again", Document{"label": "w", "code": "C1"}, Operation{Op: "replace", Path: "code", Value: "C1"}, true},
		{"change", Document{"label": "w", "code": "C1"}, Operation{Op: "replace", Path: "code", Value: "C2"}, false},
		{"change by add", Document{"label": "w", "code": "C1"}, Operation{Op: "add", Path: "code", Value: "C2"}, false},
		{"remove", Document{"label": "w", "code": "C1"}, Operation{Op: "remove", Path: "code"}, false},
		{"remove when unassigned", Document{"label": "w"}, Operation{Op: "remove", Path: "code"}, true},
		{"no-path change", Document{"label": "w", "code": "C1"}, Operation{Op: "replace", Value: map[string]any{"code": "C2"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ApplyPatch(rs, tt.start, []Operation{tt.op})
			if tt.ok {
				if err != nil {
					t.Errorf("ApplyPatch = %v, want success", err)
				}
				return
			}
			wantSCIMError(t, err, 400, TypeMutability)
		})
	}
}

func TestMatchTypes(t *testing.T) {
	rs := widgetSchema()
	d := Document{
		"label": "w", "count": 3.0, "score": 1.5, "since": "2015-10-10T14:38:21.8617979-07:00",
		"tags": []any{"red", "Blue"}, "code": "AbC",
		"parts": []any{map[string]any{"value": "p1", "weight": 2.0}, map[string]any{"value": "p2", "weight": 0.5}},
	}
	tests := []struct {
		filter string
		want   bool
	}{
		{`count eq 3`, true},
		{`count eq "3"`, true},
		{`count gt 2`, true},
		{`count ge 3.0`, true},
		{`count lt 3`, false},
		{`count le 2.5`, false},
		{`count co 3`, false},
		{`score gt 1.25`, true},
		{`score eq 1.5e0`, true},
		{`since eq "2015-10-10T21:38:21.8617979Z"`, true},
		{`since gt 2015-10-10T21:38:21Z`, true},
		{`since lt 2015-10-10`, false},
		{`tags eq "blue"`, true},
		{`tags[value eq "RED"]`, true},
		{`tags[value sw "gr"]`, false},
		{`tags[type eq "x"]`, false},
		{`code eq "abc"`, false},
		{`code eq "AbC"`, true},
		{`code co "bC"`, true},
		{`code co "bc"`, false},
		{`parts[weight lt 1].value eq "p2"`, true},
		{`parts[weight lt 1].value eq "p1"`, false},
		{`parts.weight gt 1.9`, true},
		{`parts eq "P1"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(rs, d); got != tt.want {
				t.Errorf("Match(%s) = %v, want %v", f, got, tt.want)
			}
		})
	}
}
