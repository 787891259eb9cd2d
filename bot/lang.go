package bot

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/store"
)

// ProfileLocale is the profile field holding the language a person chose themselves
// (/language en, /taal nl). It comes before the school file's locale for that person.
const ProfileLocale = "locale"

// langRefresh is how old the Engine's copy of everyone's chosen languages may get. A
// step reads the acting person's own choice from their profile at no cost; messages to
// others (a pupil's alert to the mentor) use this copy, so another process sees a
// change within this time.
const langRefresh = time.Minute

// langCache is the Engine's copy of the school-wide hash "lang" (person → language),
// which mirrors every person's ProfileLocale so one read serves all recipients.
type langCache struct {
	mu sync.RWMutex
	// m is the language of each person who chose one, as far as this process knows.
	m map[string]string
	// stored is what the hash held at the last read, plus this process's writes since:
	// a step writes the mirror only where it differs, so a hash that expired (its TTL
	// is the retention, renewed at each write) is filled again as people act.
	stored map[string]string
	loaded time.Time
}

// langKey is the hash mirroring the chosen languages.
func langKey(st *store.Store) string { return st.Key("lang") }

// refreshLangs reloads the chosen languages when the copy is older than langRefresh:
// one HGETALL a minute per process, not one per step. A failure keeps the old copy.
func (e *Engine) refreshLangs(ctx context.Context) {
	now := e.clk.Now()
	e.langs.mu.RLock()
	fresh := !e.langs.loaded.IsZero() && now.Sub(e.langs.loaded) < langRefresh && now.After(e.langs.loaded.Add(-langRefresh))
	e.langs.mu.RUnlock()
	if fresh {
		return
	}
	m, err := e.st.Client().HGetAll(ctx, langKey(e.st)).Result()
	e.langs.mu.Lock()
	defer e.langs.mu.Unlock()
	// After a failure too: Redis being away is reported by the step itself, and is not
	// worth a second wait on every event until it is back.
	e.langs.loaded = now
	if err != nil {
		e.log.Warn("read chosen languages; using the last copy", "err", err)
		return
	}
	e.langs.m, e.langs.stored = m, maps.Clone(m)
}

// LocaleOf is the language of everything written to p: their own choice (/language),
// else the school file's. Adapters use it for their own texts (forms, home pages).
func (e *Engine) LocaleOf(p *config.Person) string { return e.localeOf(p) }

// localeOf is the language of a person's messages: their own choice, else the school
// file's (person, class, school).
func (e *Engine) localeOf(p *config.Person) string {
	e.langs.mu.RLock()
	l := e.langs.m[p.ID]
	e.langs.mu.RUnlock()
	if slices.Contains(i18n.Languages, l) {
		return l
	}
	return e.school.LocaleFor(p)
}

// actorLocalizer is the acting person's localizer given their freshly loaded profile,
// which is authoritative for their own choice; it also brings the copy up to date.
func (e *Engine) actorLocalizer(r stepRequest, profile map[string]string) *i18n.Localizer {
	l := profile[ProfileLocale]
	if !slices.Contains(i18n.Languages, l) {
		l = e.school.LocaleFor(r.person)
	}
	e.rememberLang(r.person.ID, profile[ProfileLocale])
	if r.L != nil && r.L.Lang() == l {
		return r.L
	}
	return e.cat.For(l)
}

func (e *Engine) rememberLang(person, lang string) {
	e.langs.mu.Lock()
	defer e.langs.mu.Unlock()
	if e.langs.m == nil {
		e.langs.m = map[string]string{}
	}
	if lang == "" {
		delete(e.langs.m, person)
	} else {
		e.langs.m[person] = lang
	}
}

// mirrorLang keeps the school-wide hash in step with the actor's profile, in the same
// atomic commit: on a change of their language, and when the hash lacks their choice
// (it expired, or was written before the mirror existed).
func (e *Engine) mirrorLang(b *store.Batch, person string, own, profile map[string]string) {
	l, changed := own[ProfileLocale]
	if !changed {
		l = profile[ProfileLocale]
	}
	e.langs.mu.Lock()
	defer e.langs.mu.Unlock()
	if (!changed && l == "") || e.langs.stored[person] == l {
		return
	}
	b.SetFields(langKey(e.st), map[string]string{person: l})
	if e.langs.stored == nil {
		e.langs.stored = map[string]string{}
	}
	e.langs.stored[person] = l
	if e.langs.m == nil {
		e.langs.m = map[string]string{}
	}
	if l == "" {
		delete(e.langs.m, person)
	} else {
		e.langs.m[person] = l
	}
}
