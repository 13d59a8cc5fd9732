package mapping

import (
	"sort"
	"strings"

	"github.com/absorb-scim/absorb-scim/absorbapi"
)

// Languages come from the portal: its GET /languages lists each language's
// id and code, and ids differ between portals (absorbapi.ListLanguages).
// The bridge reads them and gives them to the Mapper (SetLanguages);
// Config.Languages, when set, maps the tags it names over the portal's.

// normalizeTag folds a language tag for lookup: lower case, "_" as "-".
func normalizeTag(tag string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(tag)), "_", "-")
}

// primarySubtag is a normalized tag's language ("pt-br" → "pt").
func primarySubtag(n string) string {
	if i := strings.IndexByte(n, '-'); i > 0 {
		return n[:i]
	}
	return n
}

// languageTable is a lookup table (normalized tag → id) and its reverse
// (id → the tag written back to SCIM).
type languageTable struct {
	byTag map[string]int
	byID  map[int]string
}

// languageTables builds the table of a configured Config.Languages (the
// reverse maps an id to its shortest tag, then the first in sort order),
// and lists what is wrong with it.
func languageTables(langs map[string]int) (languageTable, []string) {
	keys := make([]string, 0, len(langs))
	for k := range langs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t := languageTable{byTag: make(map[string]int, len(langs)), byID: make(map[int]string, len(langs))}
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
		if prev, ok := t.byTag[n]; ok && prev != id {
			problems = append(problems, "languages: "+quote(k)+" given twice with different ids")
			continue
		}
		t.byTag[n] = id
		if cur, ok := t.byID[id]; !ok || len(k) < len(cur) {
			t.byID[id] = k
		}
	}
	return t, problems
}

// portalTable builds the table of a portal's languages: each code maps to
// its id, and a language the portal lists only with a region ("pt-BR") is
// also found by the language alone ("pt"), the lowest id winning. Each id
// is written back as its code. Languages without a code are left out.
func portalTable(langs []absorbapi.Language) languageTable {
	sorted := append([]absorbapi.Language(nil), langs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	t := languageTable{byTag: map[string]int{}, byID: map[int]string{}}
	for _, l := range sorted {
		n := normalizeTag(l.Code)
		if n == "" || l.ID <= 0 {
			continue
		}
		if _, ok := t.byTag[n]; !ok {
			t.byTag[n] = l.ID
		}
		if _, ok := t.byID[l.ID]; !ok {
			t.byID[l.ID] = strings.TrimSpace(l.Code)
		}
	}
	for _, l := range sorted {
		n := normalizeTag(l.Code)
		if n == "" || l.ID <= 0 {
			continue
		}
		if p := primarySubtag(n); p != n {
			if _, ok := t.byTag[p]; !ok {
				t.byTag[p] = l.ID
			}
		}
	}
	return t
}

// SetLanguages gives the Mapper the portal's languages, as GET /languages
// lists them: preferredLanguage and locale values map through their codes,
// after Config.Languages. It replaces the languages given before and is safe
// to call while the Mapper is in use.
func (m *Mapper) SetLanguages(langs []absorbapi.Language) {
	t := portalTable(langs)
	m.portal.Store(&t)
}

// HasLanguages reports whether SetLanguages was called.
func (m *Mapper) HasLanguages() bool { return m.portal.Load() != nil }

// language returns the Absorb languageId for a tag: the configured table's
// entry for the tag, else the portal's; then the same for its primary
// language subtag.
func (m *Mapper) language(tag string) (int, bool) {
	n := normalizeTag(tag)
	if n == "" {
		return 0, false
	}
	portal := m.portal.Load()
	for _, k := range []string{n, primarySubtag(n)} {
		if id, ok := m.langs.byTag[k]; ok {
			return id, true
		}
		if portal != nil {
			if id, ok := portal.byTag[k]; ok {
				return id, true
			}
		}
	}
	return 0, false
}

// languageTag returns the tag written back to SCIM for a languageId: the
// configured table's, else the portal's code.
func (m *Mapper) languageTag(id int) (string, bool) {
	if tag, ok := m.langs.byID[id]; ok {
		return tag, true
	}
	if portal := m.portal.Load(); portal != nil {
		tag, ok := portal.byID[id]
		return tag, ok
	}
	return "", false
}

// LanguageValue returns the first language tag doc gives at the mapped
// languageId paths ("" when none, or when languageId is not mapped), and
// whether it, or a tag at a later path, maps to a languageId. A tag that
// does not map leaves the user's language as it is (ToAbsorb).
func (m *Mapper) LanguageValue(doc map[string]any) (string, bool) {
	first := ""
	for i := range m.bindings {
		b := &m.bindings[i]
		if b.kind != kindLanguage {
			continue
		}
		for j := range b.alts {
			s, _ := b.alts[j].get(doc).(string)
			if strings.TrimSpace(s) == "" {
				continue
			}
			if first == "" {
				first = s
			}
			if _, ok := m.language(s); ok {
				return s, true
			}
		}
	}
	return first, false
}
