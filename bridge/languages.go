package bridge

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/absorb-scim/absorb-scim/mapping"
	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// languageRefresh is how long the portal's languages are trusted before
// they are read again: a portal's languages change rarely, and ids are the
// portal's own.
const languageRefresh = 24 * time.Hour

// languageRetry is how soon a failed read of the portal's languages is tried
// again, so a portal that refuses GET /languages is not asked on every write.
const languageRetry = time.Minute

// portalLanguages gives the mapper the portal's languages (GET /languages):
// read the first time a user names a language, then again once a day. A
// language the portal does not list leaves the user's language as it is,
// with one warning per language for the operator.
type portalLanguages struct {
	absorb Absorb
	mapper *mapping.Mapper
	now    func() time.Time
	log    *slog.Logger

	mu     sync.Mutex // held while reading, so one read serves every waiting write
	next   time.Time  // when to read again; zero: not read yet
	warned sync.Map   // lower-case tag → struct{}: warned of already
}

// prepare reads the portal's languages when doc names a language and they
// are not read yet or are older than languageRefresh. A failed read is
// logged and leaves the languages read before (the write goes on: its
// language is left unchanged).
func (l *portalLanguages) prepare(ctx context.Context, doc scimdoc.Document) {
	if tag, _ := l.mapper.LanguageValue(doc); tag == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !l.next.IsZero() && now.Before(l.next) {
		return
	}
	langs, err := l.absorb.ListLanguages(ctx)
	if err != nil {
		if ctx.Err() == nil {
			l.next = now.Add(languageRetry)
			l.log.Warn("reading the portal's languages failed; users' languages are left as they are until they are read", "error", err)
		}
		return
	}
	l.mapper.SetLanguages(langs)
	l.next = now.Add(languageRefresh)
}

// warnUnknown logs, once per language, that the language doc names is not
// one of the portal's.
func (l *portalLanguages) warnUnknown(doc scimdoc.Document) {
	tag, known := l.mapper.LanguageValue(doc)
	if tag == "" || known || !l.mapper.HasLanguages() {
		return
	}
	if _, seen := l.warned.LoadOrStore(strings.ToLower(strings.TrimSpace(tag)), struct{}{}); seen {
		return
	}
	l.log.Warn("language not among the portal's languages; users naming it keep the language they have in Absorb",
		"language", tag, "fix", "add the language to the portal, or map the tag under mapping.languages")
}
