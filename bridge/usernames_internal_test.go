package bridge

import (
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// FuzzCleanUserName checks that a userName the bridge accepts is trimmed, in
// NFC, free of control and format characters, accepted again unchanged, and
// folds to the key of what the IdP sent.
func FuzzCleanUserName(f *testing.F) {
	for _, s := range []string{"jane@example.com", " jos\u00e9 ", "jose\u0301", "\uff4a\uff4f", "\u017fam", "a\u200bb", "a\x00b", "\t\n", "\u0085x\u00a0", "\u1e9e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		name, err := cleanUserName(raw)
		if err != nil {
			return
		}
		if name == "" || name != strings.TrimSpace(name) || !norm.NFC.IsNormalString(name) {
			t.Fatalf("cleanUserName(%q) = %q: empty, untrimmed or not NFC", raw, name)
		}
		for _, r := range name {
			if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("cleanUserName(%q) = %q keeps U+%04X", raw, name, r)
			}
		}
		if again, err := cleanUserName(name); err != nil || again != name {
			t.Fatalf("cleanUserName(%q) = %q, %v; want it unchanged", name, again, err)
		}
		if foldKey(name) != foldKey(raw) {
			t.Fatalf("foldKey(%q) = %q, foldKey(%q) = %q; want one key", name, foldKey(name), raw, foldKey(raw))
		}
	})
}
