package mapping

import (
	"sort"
	"strings"
)

// DefaultLanguages returns the language table used when Config.Languages is
// nil: language tags (RFC 5646, as SCIM preferredLanguage and locale carry
// them, RFC 7643 §4.1.1) to Absorb languageId. A tag with a region that is
// not listed falls back to its language ("en-US" → "en").
//
// Absorb's public documentation does not list its language ids, so these
// are assumed values: check them against the portal before relying on them,
// and set Config.Languages to replace the table.
func DefaultLanguages() map[string]int {
	return map[string]int{
		"en":    1,
		"fr":    2,
		"es":    3,
		"de":    4,
		"pt":    5,
		"it":    6,
		"nl":    7,
		"zh":    8,
		"ja":    9,
		"ko":    10,
		"ru":    11,
		"pl":    12,
		"sv":    13,
		"tr":    14,
		"ar":    15,
		"fr-CA": 16,
		"pt-BR": 17,
	}
}

// normalizeTag folds a language tag for lookup: lower case, "_" as "-".
func normalizeTag(tag string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(tag)), "_", "-")
}

// languageTables builds the lookup table (normalized tag → id) and the
// reverse table (id → the shortest tag, then the first in sort order), and
// lists what is wrong with the configured table.
func languageTables(langs map[string]int) (map[string]int, map[int]string, []string) {
	keys := make([]string, 0, len(langs))
	for k := range langs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	byTag := make(map[string]int, len(langs))
	byID := make(map[int]string, len(langs))
	var problems []string
	for _, k := range keys {
		id := langs[k]
		n := normalizeTag(k)
		switch {
		case n == "":
			problems = append(problems, "languages: empty language tag")
			continue
		case id <= 0:
			problems = append(problems, "languages: "+quote(k)+": language id must be positive")
			continue
		}
		if prev, ok := byTag[n]; ok && prev != id {
			problems = append(problems, "languages: "+quote(k)+" given twice with different ids")
			continue
		}
		byTag[n] = id
		if cur, ok := byID[id]; !ok || len(k) < len(cur) {
			byID[id] = k
		}
	}
	return byTag, byID, problems
}

// language returns the Absorb languageId for a tag, trying the tag and then
// its primary language subtag.
func (m *Mapper) language(tag string) (int, bool) {
	n := normalizeTag(tag)
	if id, ok := m.langs[n]; ok {
		return id, true
	}
	if i := strings.IndexByte(n, '-'); i > 0 {
		id, ok := m.langs[n[:i]]
		return id, ok
	}
	return 0, false
}
