package bridge_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// syncBuffer is a log destination safe for the bridge's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func languageDoc(userName, tag string) scimdoc.Document {
	doc := userDoc(userName, "Lang", "User")
	doc["preferredLanguage"] = tag
	return doc
}

func languageOf(t *testing.T, w *world, scimID string) int {
	t.Helper()
	u := w.absorbUser(w.absorbIDOf(scimID))
	if u.LanguageID == nil {
		return 0
	}
	return *u.LanguageID
}

// The fake's languages have ids no table could guess (French (Canada) is 9):
// the bridge reads them from the portal, once for many writes.
func TestLanguagesMapThroughThePortalsLanguages(t *testing.T) {
	logs := &syncBuffer{}
	w := newWorld(t, func(c *worldConfig) { c.log = logs })
	w.resetCalls()
	fr := w.create(languageDoc("fr@example.com", "fr-CA"))
	pt := w.create(languageDoc("pt@example.com", "pt_BR"))
	ja := w.create(languageDoc("ja@example.com", "ja-JP"))
	for _, c := range []struct {
		id   string
		want int
	}{{fr.ID, 9}, {pt.ID, 5}, {ja.ID, 12}} {
		if got := languageOf(t, w, c.id); got != c.want {
			t.Errorf("user %s: languageId %d, want %d", c.id, got, c.want)
		}
	}
	if got := w.calls()["GET /languages"]; got != 1 {
		t.Errorf("GET /languages sent %d times for three writes, want 1", got)
	}

	// A language the portal does not have leaves the account's as it is,
	// and is logged once, however many users name it.
	if _, err := w.patch(fr.ID, scimdoc.Precondition{}, scimdoc.Operation{Op: "replace", Path: "preferredLanguage", Value: "tlh"}); err != nil {
		t.Fatal(err)
	}
	w.create(languageDoc("k1@example.com", "tlh"))
	w.create(languageDoc("k2@example.com", "TLH"))
	if got := languageOf(t, w, fr.ID); got != 9 {
		t.Errorf("languageId %d after an unknown language, want 9 kept", got)
	}
	if n := strings.Count(logs.String(), "language not among the portal's languages"); n != 1 {
		t.Errorf("%d warnings for one unknown language, want 1; log:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "language=tlh") {
		t.Errorf("the warning does not name the language; log:\n%s", logs.String())
	}
}

// The portal's languages are read again after a day.
func TestLanguagesAreReadAgainDaily(t *testing.T) {
	now := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	w := newWorld(t, func(c *worldConfig) { c.now = clock })
	w.resetCalls()
	w.create(languageDoc("a@example.com", "fr"))
	mu.Lock()
	now = now.Add(23 * time.Hour)
	mu.Unlock()
	w.create(languageDoc("b@example.com", "fr"))
	if got := w.calls()["GET /languages"]; got != 1 {
		t.Fatalf("GET /languages sent %d times within a day, want 1", got)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	w.create(languageDoc("c@example.com", "fr"))
	if got := w.calls()["GET /languages"]; got != 2 {
		t.Errorf("GET /languages sent %d times after a day, want 2", got)
	}
}

// A configured mapping.languages table maps the tags it names over the
// portal's.
func TestConfiguredLanguagesOverThePortals(t *testing.T) {
	w := newWorld(t, func(c *worldConfig) {
		c.mapping = func(mc *mapping.Config) { mc.Languages = map[string]int{"fr-CA": 2} }
	})
	ca := w.create(languageDoc("ca@example.com", "fr-CA"))
	de := w.create(languageDoc("de@example.com", "de"))
	if got := languageOf(t, w, ca.ID); got != 2 {
		t.Errorf("fr-CA: languageId %d, want the configured 2", got)
	}
	if got := languageOf(t, w, de.ID); got != 4 {
		t.Errorf("de: languageId %d, want the portal's 4", got)
	}
}
