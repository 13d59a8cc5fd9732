package mapping

import (
	"testing"

	"github.com/absorb-scim/absorb-scim/absorbapi"
)

func TestLanguagesComeFromThePortal(t *testing.T) {
	m, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	doc := decode(t, `{"userName":"u","preferredLanguage":"ja-JP"}`)
	current := &absorbapi.User{LanguageID: intp(1)}
	if m.HasLanguages() {
		t.Fatal("HasLanguages before SetLanguages")
	}
	// No table is guessed: before the portal's languages, a tag maps to
	// nothing and the account keeps its language.
	if got, _ := m.ToAbsorb(doc, current); got.LanguageID == nil || *got.LanguageID != 1 {
		t.Errorf("languageId %v before the portal's languages, want 1 kept", got.LanguageID)
	}
	if tag, known := m.LanguageValue(doc); tag != "ja-JP" || known {
		t.Errorf("LanguageValue = %q, %v; want ja-JP, unknown", tag, known)
	}

	m.SetLanguages(testLanguages())
	if got, _ := m.ToAbsorb(doc, current); got.LanguageID == nil || *got.LanguageID != 12 {
		t.Errorf("languageId %v, want the portal's 12 for ja", got.LanguageID)
	}
	if tag, known := m.LanguageValue(doc); tag != "ja-JP" || !known {
		t.Errorf("LanguageValue = %q, %v; want ja-JP, known", tag, known)
	}
	if doc := m.FromAbsorb(absorbapi.User{Username: "u", LanguageID: intp(9)}); doc["preferredLanguage"] != "fr-CA" {
		t.Errorf("languageId 9 reads back as %v, want the portal's code fr-CA", doc["preferredLanguage"])
	}

	// Another portal, other ids.
	m.SetLanguages([]absorbapi.Language{{ID: 30, Name: "日本語", Code: "ja"}})
	if got, _ := m.ToAbsorb(doc, current); got.LanguageID == nil || *got.LanguageID != 30 {
		t.Errorf("languageId %v after new languages, want 30", got.LanguageID)
	}
	if tag, known := m.LanguageValue(decode(t, `{"userName":"u","preferredLanguage":"tlh","locale":"ja"}`)); tag != "ja" || !known {
		t.Errorf("LanguageValue = %q, %v; want the known locale ja", tag, known)
	}
	if tag, known := m.LanguageValue(decode(t, `{"userName":"u"}`)); tag != "" || known {
		t.Errorf("LanguageValue of no language = %q, %v", tag, known)
	}
}
