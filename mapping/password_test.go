package mapping

import "testing"

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 500; i++ {
		pw, err := GeneratePassword()
		if err != nil {
			t.Fatalf("GeneratePassword: %v", err)
		}
		checkStrong(t, pw)
		if seen[pw] {
			t.Fatalf("GeneratePassword repeated %q", pw)
		}
		seen[pw] = true
	}
}

func TestGeneratePasswordSpreadsClasses(t *testing.T) {
	// The four guaranteed characters are shuffled in: over many passwords the
	// first character is not always an upper-case letter.
	kinds := map[string]bool{}
	for i := 0; i < 200; i++ {
		pw, err := GeneratePassword()
		if err != nil {
			t.Fatalf("GeneratePassword: %v", err)
		}
		for _, class := range []string{pwUpper, pwLower, pwDigits, pwSymbols} {
			for _, c := range class {
				if rune(pw[0]) == c {
					kinds[class] = true
				}
			}
		}
	}
	if len(kinds) < 3 {
		t.Errorf("first characters came from %d classes, want them spread", len(kinds))
	}
}
