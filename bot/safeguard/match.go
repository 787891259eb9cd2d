// Package safeguard finds words in what a pupil writes that a person should look at
// today: self-harm and suicide, bullying, abuse and feeling unsafe. The phrase lists
// are built in, per language (phrases/nl.yaml, phrases/en.yaml, embedded), and a
// school's policy.alert_words extend them; a school cannot switch them off.
//
// Matching works on words, after normalising case, accents ("suïcide" = "suicide"),
// apostrophes ("don't" = "dont") and repeated letters ("zooooo" = "zo", "dooood" =
// "dood"): a phrase matches whole words only ("dood" does not match "doodmoe"), and
// may have up to two other words between each of its words ("wil echt niet meer
// leven" matches "wil niet meer leven"). Every language's phrases are checked in every
// text, because pupils mix Dutch and English.
//
// Phrase syntax in the lists: words separated by spaces; "a|b" accepts either word at
// that place; a trailing "*" accepts any word starting with it ("zelfmoordgedacht*").
// An entry may carry "gap" (the most words allowed between two of its words, default
// 2) and "unless": phrases that, found at or right next to the match, mark it as an
// everyday expression ("ik ga dood" unless "dood van", as in "dood van het lachen").
// A missed alert costs more than a false one, so the lists lean towards alerting; the
// look-alikes that still alert are listed, with the reason, in match_test.go and
// docs/mentors.md.
//
// This package decides nothing about delivery: Respond builds the messages (a kind
// word with where to find help for the pupil, a private alert for the mentor and the
// care contacts), and the dialog or the Engine commits them.
package safeguard

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"unicode"

	"go.yaml.in/yaml/v3"
	"golang.org/x/text/unicode/norm"

	"github.com/kring-school/kring/bot/config"
)

// Category is the kind of concern a phrase signals.
type Category string

// The categories. School is the school's own alert words (policy.alert_words).
const (
	SelfHarm Category = "selfharm"
	Bullying Category = "bullying"
	Abuse    Category = "abuse"
	Unsafe   Category = "unsafe"
	School   Category = "school"
)

// Categories lists the built-in categories in the order alerts name them.
var Categories = []Category{SelfHarm, Abuse, Unsafe, Bullying, School}

// DefaultGap is how many other words may stand between two words of a phrase.
const DefaultGap = 2

// unlessReach is how many words before or after a match an "unless" phrase may start
// or end and still mark the match as an everyday expression.
const unlessReach = 2

// Hit is one phrase found in a text.
type Hit struct {
	Category Category
	// Lang is the list the phrase comes from ("nl", "en").
	Lang string
	// Phrase is the entry as written in the list or the school file.
	Phrase string
	// Words is the part of the text that matched, exactly as the pupil wrote it.
	Words string
	// Start and End are byte offsets of Words in the text.
	Start, End int
}

// Matcher finds alert phrases. It is immutable and safe for concurrent use.
type Matcher struct {
	first  map[string][]*phrase // by the exact normalised first word
	prefix []*phrase            // phrases whose first word has a prefix alternative
	n      int
}

type word struct {
	alts []string
	pre  []bool
}

func (w word) match(tok string) bool {
	for i, a := range w.alts {
		if tok == a || (w.pre[i] && strings.HasPrefix(tok, a)) {
			return true
		}
	}
	return false
}

type phrase struct {
	words  []word
	gap    int
	unless []*phrase
	text   string
	cat    Category
	lang   string
	order  int
}

//go:embed phrases/*.yaml
var phraseFS embed.FS

// entry is one list item: a phrase, or a phrase with options.
type entry struct {
	Phrase string   `yaml:"phrase"`
	Gap    *int     `yaml:"gap"`
	Unless []string `yaml:"unless"`
}

// UnmarshalYAML accepts a plain string or a mapping.
func (e *entry) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		e.Phrase = n.Value
		return nil
	}
	type plain entry
	return n.Decode((*plain)(e))
}

// Lists are phrase lists per language and category, as in phrases/LANG.yaml.
type Lists map[string]map[Category][]entry

// Builtin parses the embedded phrase lists.
func Builtin() (Lists, error) { return loadLists(phraseFS, "phrases") }

func loadLists(fsys fs.FS, dir string) (Lists, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list phrase files: %w", err)
	}
	out := Lists{}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		var m map[Category][]entry
		if err := yaml.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		for c := range m {
			if c == School || !known(c) {
				return nil, fmt.Errorf("%s: unknown category %q", f, c)
			}
		}
		out[strings.TrimSuffix(path.Base(f), ".yaml")] = m
	}
	return out, nil
}

func known(c Category) bool {
	for _, k := range Categories {
		if k == c {
			return true
		}
	}
	return false
}

// New compiles the built-in lists plus a school's own alert words (policy.alert_words,
// taken literally: no "|", "*" or options).
func New(lists Lists, school map[string][]string) (*Matcher, error) {
	m := &Matcher{first: map[string][]*phrase{}}
	langs := make([]string, 0, len(lists))
	for l := range lists {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, lang := range langs {
		for _, c := range Categories {
			for _, e := range lists[lang][c] {
				p, err := compile(e.Phrase, true)
				if err != nil {
					return nil, fmt.Errorf("%s list, %s: %w", lang, c, err)
				}
				p.gap = DefaultGap
				if e.Gap != nil {
					p.gap = *e.Gap
				}
				for _, u := range e.Unless {
					up, err := compile(u, true)
					if err != nil {
						return nil, fmt.Errorf("%s list, %s, %q unless: %w", lang, c, e.Phrase, err)
					}
					up.gap = 0
					p.unless = append(p.unless, up)
				}
				p.cat, p.lang = c, lang
				m.add(p)
			}
		}
	}
	langs = langs[:0]
	for l := range school {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, lang := range langs {
		for _, w := range school[lang] {
			p, err := compile(w, false)
			if err != nil {
				return nil, fmt.Errorf("policy.alert_words.%s: %w", lang, err)
			}
			p.gap, p.cat, p.lang = DefaultGap, School, lang
			m.add(p)
		}
	}
	return m, nil
}

// Len is the number of phrases the Matcher knows.
func (m *Matcher) Len() int { return m.n }

func (m *Matcher) add(p *phrase) {
	p.order = m.n
	m.n++
	w := p.words[0]
	pre := false
	for i, a := range w.alts {
		if w.pre[i] {
			pre = true
			continue
		}
		m.first[a] = append(m.first[a], p)
	}
	if pre {
		m.prefix = append(m.prefix, p)
	}
}

// compile turns a phrase into normalised words; with syntax, "a|b" and "x*" are
// alternatives and prefixes, without it they are ordinary punctuation.
func compile(s string, syntax bool) (*phrase, error) {
	p := &phrase{text: strings.TrimSpace(s)}
	if syntax {
		for _, f := range strings.Fields(s) {
			var w word
			for _, a := range strings.Split(f, "|") {
				pre := strings.HasSuffix(a, "*")
				toks := tokenize(strings.TrimSuffix(a, "*"))
				if len(toks) != 1 {
					return nil, fmt.Errorf("phrase %q: %q is not one word", s, a)
				}
				if pre && len([]rune(toks[0].norm)) < 3 {
					return nil, fmt.Errorf("phrase %q: prefix %q is too short", s, a)
				}
				w.alts = append(w.alts, toks[0].norm)
				w.pre = append(w.pre, pre)
			}
			p.words = append(p.words, w)
		}
	} else {
		for _, t := range tokenize(s) {
			p.words = append(p.words, word{alts: []string{t.norm}, pre: []bool{false}})
		}
	}
	if len(p.words) == 0 {
		return nil, fmt.Errorf("phrase %q has no words", s)
	}
	return p, nil
}

// Match returns every phrase found in text, in the order they occur. Overlapping
// phrases of one category are reported once, by the first (longest) match.
func (m *Matcher) Match(text string) []Hit {
	if m == nil {
		return nil
	}
	toks := tokenize(text)
	var hits []Hit
	type span struct{ start, end int }
	seen := map[Category][]span{}
	for i, t := range toks {
		cands := m.first[t.norm]
		for _, p := range m.prefix {
			if p.words[0].match(t.norm) {
				cands = append(cands[:len(cands):len(cands)], p)
			}
		}
		for _, p := range cands {
			end, ok := p.at(toks, i)
			if !ok || p.excused(toks, i, end) {
				continue
			}
			dup := false
			for _, s := range seen[p.cat] {
				if i <= s.end && end >= s.start {
					dup = true
					break
				}
			}
			if dup {
				continue
			}
			seen[p.cat] = append(seen[p.cat], span{i, end})
			hits = append(hits, Hit{
				Category: p.cat, Lang: p.lang, Phrase: p.text,
				Words: text[t.start:toks[end].end], Start: t.start, End: toks[end].end,
			})
		}
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].Start < hits[b].Start })
	return hits
}

// at reports whether p matches with its first word at token i, and the index of the
// token matching its last word.
func (p *phrase) at(toks []token, i int) (int, bool) {
	if !p.words[0].match(toks[i].norm) {
		return 0, false
	}
	return p.rest(toks, 1, i)
}

func (p *phrase) rest(toks []token, k, last int) (int, bool) {
	if k == len(p.words) {
		return last, true
	}
	for j := last + 1; j < len(toks) && j <= last+1+p.gap; j++ {
		if p.words[k].match(toks[j].norm) {
			if end, ok := p.rest(toks, k+1, j); ok {
				return end, true
			}
		}
	}
	return 0, false
}

// excused reports whether one of p's "unless" phrases overlaps the match [start, end]
// or stands right next to it.
func (p *phrase) excused(toks []token, start, end int) bool {
	for _, u := range p.unless {
		for s := max(0, start-unlessReach-len(u.words)+1); s < len(toks) && s <= end+unlessReach; s++ {
			if e, ok := u.at(toks, s); ok && e >= start-unlessReach {
				return true
			}
		}
	}
	return false
}

// token is one word of a text: its normalised form and where it stands.
type token struct {
	norm       string
	start, end int
}

// tokenize splits s into words (letters and digits; an apostrophe inside a word is
// dropped, so "don't" is one word) and normalises each.
func tokenize(s string) []token {
	var out []token
	start := -1
	flush := func(end int) {
		if start >= 0 {
			if n := normalize(s[start:end]); n != "" {
				out = append(out, token{norm: n, start: start, end: end})
			}
			start = -1
		}
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if start < 0 {
				start = i
			}
		case isApostrophe(r) && start >= 0:
			// inside a word: keep going; a trailing apostrophe is trimmed by normalize
		default:
			flush(i)
		}
	}
	flush(len(s))
	return out
}

func isApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == '‘' || r == '`' || r == '´'
}

// normalize lowercases a word, removes accents and apostrophes, and squeezes repeated
// letters to one ("Zooooo" and "zo" both become "zo"; "dood" becomes "dod").
func normalize(w string) string {
	var b strings.Builder
	var prev rune = -1
	if !ascii(w) {
		w = norm.NFD.String(w)
	}
	b.Grow(len(w))
	for _, r := range w {
		if unicode.Is(unicode.Mn, r) || isApostrophe(r) {
			continue
		}
		r = unicode.ToLower(r)
		if r == prev {
			continue
		}
		prev = r
		b.WriteRune(r)
	}
	return b.String()
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Cache holds the Matcher of one school, compiled on first use. The zero value is
// ready; it is safe for concurrent use.
type Cache struct {
	mu     sync.Mutex
	school *config.School
	m      *Matcher
}

// For returns the Matcher for school's alert words, compiling it the first time (and
// again if another School value is passed, as tests do).
func (c *Cache) For(school *config.School) (*Matcher, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m != nil && c.school == school {
		return c.m, nil
	}
	lists, err := Builtin()
	if err != nil {
		return nil, err
	}
	var words map[string][]string
	if school != nil {
		words = school.Policy.AlertWords
	}
	m, err := New(lists, words)
	if err != nil {
		return nil, err
	}
	c.school, c.m = school, m
	return m, nil
}
