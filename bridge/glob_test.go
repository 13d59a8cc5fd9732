package bridge

import "testing"

func TestRulePatternMatchesAnyCharacter(t *testing.T) {
	cases := []struct {
		glob, name string
		want       bool
	}{
		{"Engineering*", "Engineering/Backend", true}, // path.Match stopped at '/'
		{"Engineering*", "engineering", true},
		{"Engineering*", "Sales Engineering", false},
		{"*/Backend", "Engineering/Backend", true},
		{"*", "", true},
		{"Team ?", "Team A", true},
		{"Team ?", "Team /", true},
		{"Team ?", "Team AB", false},
		{"Team [A-C]", "team b", true},
		{"Team [^A-C]", "Team D", true},
		{"Team [^A-C]", "Team B", false},
		{`100\*`, "100*", true},
		{`100\*`, "1000", false},
		{"a.b", "axb", false}, // regexp metacharacters are literal
		{"Ünïcode*", "üNÏCODE group", true},
		{"Sales*", "Sales\nTeam", true},
	}
	for _, c := range cases {
		if got := patternMatches(c.glob, c.name); got != c.want {
			t.Errorf("patternMatches(%q, %q) = %v, want %v", c.glob, c.name, got, c.want)
		}
	}
}

func TestRulePatternRefusesMalformed(t *testing.T) {
	for _, glob := range []string{"[abc", `trailing\`, "[]"} {
		if _, err := compileRulePattern(glob); err == nil {
			t.Errorf("compileRulePattern(%q) accepted a malformed pattern", glob)
		}
		if err := ValidateRules([]Rule{{DisplayNamePattern: glob, Department: "d"}}); err == nil {
			t.Errorf("ValidateRules accepted pattern %q", glob)
		}
	}
}
