package safeguard

import (
	"sort"
	"strings"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
)

// The places a pupil's words can come from; each has a catalog text
// "safeguard.where.PLACE" that tells the staff member where the pupil wrote them.
const (
	WhereOpen   = "open"   // the check-in's open question
	WhereGoal   = "goal"   // the check-in's goal
	WhereHelp   = "help"   // the check-in's help question
	WhereChoice = "choice" // typed at a check-in question that wanted a button
	WhereStray  = "stray"  // typed when no conversation expected it
	WherePoll   = "poll"   // an answer typed to a class poll
	WhereAsk    = "ask"    // a question (or follow-up) to a teacher
)

// Recipients are the people who get a pupil's alert: their mentor and every care
// contact of the school, each once, never the pupil.
func Recipients(school *config.School, pupil *config.Person) []string {
	var out []string
	seen := map[string]bool{pupil.ID: true}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	add(pupil.Mentor)
	for _, p := range school.People {
		if p.Has(config.Care) {
			add(p.ID)
		}
	}
	return out
}

// reachable splits Recipients into those Kring can reach and the names of those it
// cannot; when it can reach none of them, the school's admins are next in line.
func reachable(in *dialog.Input) (to []string, skipped []string) {
	for _, id := range Recipients(in.School, in.Person) {
		if in.CanReach(id) {
			to = append(to, id)
		} else if p, ok := in.School.Person(id); ok {
			skipped = append(skipped, p.Name)
		}
	}
	if len(to) == 0 {
		for _, p := range in.School.People {
			if p.Has(config.Admin) && p.ID != in.Person.ID && in.CanReach(p.ID) {
				to = append(to, p.ID)
			}
		}
	}
	return to, skipped
}

// Respond builds what Kring does when hits were found in text the pupil in.Person
// wrote at where: a kind message to the pupil with where to find help right now
// (first, so it comes before anything else the step says), a private alert to each
// recipient in their own language with the words that triggered it, and an audit
// entry (without the pupil's words) so the alert can be traced. It returns nothing
// for no hits.
func Respond(in *dialog.Input, hits []Hit, text, where string) ([]chat.Message, []dialog.Effect) {
	if len(hits) == 0 || in.Person == nil || in.School == nil {
		return nil, nil
	}
	p := in.Person
	to, skipped := reachable(in)
	var msgs []chat.Message
	msgs = append(msgs, chat.Message{
		To:   chat.Target{Kind: chat.ToPerson, Person: p.ID},
		Text: PupilText(in.L, in.School, p, to),
	})
	class := p.Class()
	if in.Class != nil {
		class = in.Class.ID
		if in.Class.Name != "" {
			class = in.Class.Name
		}
	}
	for _, id := range to {
		L := in.For(id)
		msgs = append(msgs, chat.Message{
			To: chat.Target{Kind: chat.ToPerson, Person: id},
			Text: L.T("safeguard.alert",
				"Name", chat.Literal(p.Name),
				"Class", chat.Literal(class),
				"Where", L.T("safeguard.where."+where),
				"Text", chat.Literal(text),
				"Words", words(hits),
				"Concern", concerns(L, hits),
				"Others", others(L, in.School, to, id)),
			Staff: true,
		})
		if len(skipped) > 0 {
			last := &msgs[len(msgs)-1]
			last.Text += "\n" + L.T("safeguard.skipped", "Names", chat.Literal(strings.Join(skipped, ", ")))
		}
	}
	var cats []string
	for _, c := range categories(hits) {
		cats = append(cats, string(c))
	}
	audit := dialog.Audit{Entry: record.Audit{
		Time: in.Now, Actor: "kring", Action: "safeguard-alert", Subject: p.ID,
		Detail: where + ": " + strings.Join(cats, ",") + " to " + strings.Join(to, ","),
	}}
	return msgs, []dialog.Effect{audit}
}

// PupilText is the pupil's message: thanks, who will hear about it (only those in to,
// the people Kring can reach), and where to find help right now (the school's help_now
// lines for the pupil's language, else the catalog's).
func PupilText(L *i18n.Localizer, school *config.School, pupil *config.Person, to []string) string {
	help := HelpLines(L, school, school.LocaleFor(pupil))
	if len(to) == 0 {
		return L.T("safeguard.pupil.nobody", "Help", help)
	}
	mentor, care := "", false
	for _, id := range to {
		if p, ok := school.Person(id); ok {
			switch {
			case id == pupil.Mentor:
				mentor = p.Name
			case p.Has(config.Care):
				care = true
			}
		}
	}
	key := "safeguard.pupil"
	switch {
	case mentor != "" && !care:
		key = "safeguard.pupil.mentor"
	case mentor == "" && care:
		key = "safeguard.pupil.care"
	case mentor == "" && !care:
		key = "safeguard.pupil.school"
	}
	return L.T(key, "Mentor", chat.Literal(mentor), "Help", help)
}

// HelpLines lists where to find help right now, one bulleted line each.
func HelpLines(L *i18n.Localizer, school *config.School, lang string) string {
	lines := school.Policy.HelpNow[lang]
	if len(lines) == 0 {
		return L.T("safeguard.help.default")
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("• ")
		b.WriteString(chat.Literal(strings.TrimSpace(l)))
	}
	return b.String()
}

// words quotes each distinct triggering part of the text, as the pupil wrote it.
func words(hits []Hit) string {
	var out []string
	seen := map[string]bool{}
	for _, h := range hits {
		k := strings.ToLower(h.Words)
		if !seen[k] {
			seen[k] = true
			out = append(out, "“"+chat.Literal(h.Words)+"”")
		}
	}
	return strings.Join(out, ", ")
}

func categories(hits []Hit) []Category {
	seen := map[Category]bool{}
	var out []Category
	for _, h := range hits {
		if !seen[h.Category] {
			seen[h.Category] = true
			out = append(out, h.Category)
		}
	}
	rank := map[Category]int{}
	for i, c := range Categories {
		rank[c] = i
	}
	sort.Slice(out, func(a, b int) bool { return rank[out[a]] < rank[out[b]] })
	return out
}

func concerns(L *i18n.Localizer, hits []Hit) string {
	var names []string
	for _, c := range categories(hits) {
		names = append(names, L.T("safeguard.category."+string(c)))
	}
	return strings.Join(names, ", ")
}

// others names the other recipients of the same alert, so each knows who else knows.
func others(L *i18n.Localizer, school *config.School, to []string, self string) string {
	var names []string
	for _, id := range to {
		if id == self {
			continue
		}
		if p, ok := school.Person(id); ok {
			names = append(names, chat.Literal(p.Name))
		}
	}
	if len(names) == 0 {
		return L.T("safeguard.others.none")
	}
	return strings.Join(names, ", ")
}

// Check matches the text a pupil wrote with m and with the Engine's matcher
// (in.Alerts, when set), and on a hit returns Respond's messages and effects; ok is
// false when nothing matched. Every dialog that receives a pupil's words calls it.
func Check(m *Matcher, in *dialog.Input, text, where string) (msgs []chat.Message, effects []dialog.Effect, ok bool) {
	hits := m.Match(text)
	if len(hits) == 0 {
		// The Engine's matcher may know more (a test's, or a deployment's own).
		for _, w := range in.AlertsIn(text) {
			hits = append(hits, Hit{Category: School, Phrase: w, Words: w})
		}
	}
	if len(hits) == 0 {
		return nil, nil, false
	}
	msgs, effects = Respond(in, hits, text, where)
	return msgs, effects, true
}

// Words returns the parts of text that match school's phrases, as the pupil wrote them
// (nil: none): the Engine's dialog.Input.Alerts.
func (c *Cache) Words(school *config.School, text string) []string {
	m, err := c.For(school)
	if err != nil {
		// The built-in lists are embedded and tested; should they ever fail to load,
		// every text counts as worrying rather than none.
		return []string{text}
	}
	var out []string
	for _, h := range m.Match(text) {
		out = append(out, h.Words)
	}
	return out
}
