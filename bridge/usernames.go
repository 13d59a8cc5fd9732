package bridge

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/absorb-scim/absorb-scim/scimdoc"
	"github.com/absorb-scim/absorb-scim/storage"
)

// userNames that differ only in Unicode normalisation, width or case are
// one name (storage.FoldUserName): a precomposed and a decomposed "josé",
// full-width letters and "ſam" all used to become accounts of their own.
// Characters no one can see or type (controls, NUL, zero-width and other
// format characters) are refused, and surrounding spaces trimmed, before
// anything is sent to Absorb.

// foldKey is the key under which a userName is looked up and locked: the
// store's folding of the name without surrounding spaces.
func foldKey(s string) string { return storage.FoldUserName(strings.TrimSpace(s)) }

// cleanUserName returns the userName to store and send: raw without
// surrounding white space, in Unicode NFC. Errors: 400 invalidValue when it
// is empty, not valid UTF-8, or holds a control character (NUL included) or
// a format character such as a zero-width space.
func cleanUserName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" {
		return "", scimdoc.BadRequest(scimdoc.TypeInvalidValue, "userName is required")
	}
	if !utf8.ValidString(name) {
		return "", scimdoc.BadRequest(scimdoc.TypeInvalidValue, "userName is not valid UTF-8")
	}
	for _, r := range name {
		if r == utf8.RuneError || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return "", scimdoc.BadRequest(scimdoc.TypeInvalidValue,
				"userName %q holds the invisible character U+%04X (a control, zero-width or format character); remove it", name, r)
		}
	}
	return norm.NFC.String(name), nil
}

// userNameOf cleans the userName of doc (cleanUserName) and puts the clean
// value back, so that what is stored and sent is the same name.
func userNameOf(doc scimdoc.Document) (string, error) {
	name, err := cleanUserName(stringAt(doc, "userName"))
	if err != nil {
		return "", err
	}
	doc["userName"] = name
	return name, nil
}

// keepAbsorbSpelling keeps the account's own spelling of its username when
// the IdP's is a twin of it that is more than a change of case (another
// width, "ſ" for "s", "ß" for "ss"): Absorb's login name does not change
// behind the user's back. A change of case alone is sent, as a rename.
func keepAbsorbSpelling(sent, current string) string {
	if sent != current && foldKey(sent) == foldKey(current) && strings.ToLower(sent) != strings.ToLower(current) {
		return current
	}
	return sent
}
