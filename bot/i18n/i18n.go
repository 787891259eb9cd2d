// Package i18n holds Kring's message catalogs (Dutch and English) and renders catalog
// messages for one locale. Every text a person sees comes from here; code paths never
// carry user-facing strings.
//
// Catalog files live in locales/ as AREA.LANG.yaml (checkin.nl.yaml, core.en.yaml ...),
// one pair per area, so each part of Kring owns its own texts. A message is either a
// plain string or a map with one/other for plurals; templates use {{.Name}} fields.
// Callers wrap person-written values with chat.Literal before passing them in.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

//go:embed locales/*.yaml
var localeFS embed.FS

// Languages are the locales every catalog must cover.
var Languages = []string{"nl", "en"}

// Catalog is the loaded set of messages for all languages.
type Catalog struct {
	bundle *goi18n.Bundle
	ids    map[string]map[string]bool // lang -> ids
}

// Load parses the embedded catalogs.
func Load() (*Catalog, error) {
	return LoadFS(localeFS, "locales")
}

// LoadFS parses AREA.LANG.yaml files from dir in fsys.
func LoadFS(fsys fs.FS, dir string) (*Catalog, error) {
	b := goi18n.NewBundle(language.Dutch)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	c := &Catalog{bundle: b, ids: map[string]map[string]bool{}}
	files, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list catalogs: %w", err)
	}
	for _, f := range files {
		buf, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("read catalog %s: %w", f, err)
		}
		mf, err := b.ParseMessageFileBytes(buf, path.Base(f))
		if err != nil {
			return nil, fmt.Errorf("parse catalog %s: %w", f, err)
		}
		lang := mf.Tag.String()
		if c.ids[lang] == nil {
			c.ids[lang] = map[string]bool{}
		}
		for _, m := range mf.Messages {
			c.ids[lang][m.ID] = true
		}
	}
	return c, nil
}

// IDs returns the message ids defined for lang, sorted.
func (c *Catalog) IDs(lang string) []string {
	var out []string
	for id := range c.ids[lang] {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Has reports whether id exists in lang.
func (c *Catalog) Has(lang, id string) bool { return c.ids[lang][id] }

// For returns a Localizer for lang ("nl" or "en"; anything else falls back to Dutch).
func (c *Catalog) For(lang string) *Localizer {
	if lang != "en" {
		lang = "nl"
	}
	return &Localizer{lang: lang, l: goi18n.NewLocalizer(c.bundle, lang)}
}

// Localizer renders messages in one language. It is safe for concurrent use.
type Localizer struct {
	lang string
	l    *goi18n.Localizer
}

// Lang returns the language code.
func (l *Localizer) Lang() string { return l.lang }

// T renders message id with optional key/value template data: T("checkin.mood", "Name", n).
// A missing message renders as "[id]" so a gap is visible, never a crash; the catalog
// tests keep that from shipping.
func (l *Localizer) T(id string, kv ...any) string {
	return l.render(id, nil, kv)
}

// N renders a plural message for count n; the template sees .Count as well.
func (l *Localizer) N(id string, n int, kv ...any) string {
	return l.render(id, n, append(kv, "Count", n))
}

func (l *Localizer) render(id string, count any, kv []any) string {
	var data map[string]any
	if len(kv) > 0 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	s, err := l.l.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil || s == "" {
		return "[" + id + "]"
	}
	return strings.TrimRight(s, "\n")
}

// Positional makes the template data of a catalog message from a fmt format and its
// arguments: .V1, .V2 ... in the order format uses them. Code that keeps its English
// sentence as a format (for Error(), logs and tests) gets a message in any language
// without naming every value twice. A %c argument becomes its character: a template
// would print a rune as a number.
func Positional(format string, args []any) []any {
	var verbs []byte
	for i := 0; i < len(format)-1; i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if format[i] != '%' {
			verbs = append(verbs, format[i])
		}
	}
	kv := make([]any, 0, 2*len(args))
	for i, a := range args {
		if i < len(verbs) && verbs[i] == 'c' {
			switch r := a.(type) {
			case rune:
				a = string(r)
			case byte:
				a = string(rune(r))
			}
		}
		kv = append(kv, fmt.Sprintf("V%d", i+1), a)
	}
	return kv
}
