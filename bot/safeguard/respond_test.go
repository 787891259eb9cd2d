package safeguard

import (
	"strings"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
)

func respondSchool(t *testing.T) (*config.School, *i18n.Catalog) {
	t.Helper()
	s := &config.School{ID: "s", Classes: []*config.Class{{ID: "2B", Name: "Klas 2B", Locale: "nl"}},
		People: []*config.Person{
			{ID: "anna", Name: "Anna", Roles: []config.Role{config.Pupil}, Classes: []string{"2B"}, Mentor: "devries"},
			{ID: "devries", Name: "Dhr. De Vries", Roles: []config.Role{config.Mentor}, Classes: []string{"2B"}, Locale: "en"},
			{ID: "mulder", Name: "Mw. Mulder", Roles: []config.Role{config.Care}},
			{ID: "root", Name: "Ria Admin", Roles: []config.Role{config.Admin}},
		}}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s, cat
}

// TestRespondTellsTheTruthAboutWhoHears: the pupil is told only the people Kring can
// reach; those it cannot are named in the alert; with neither mentor nor care reachable
// the admin gets it; with nobody, the pupil is told so.
func TestRespondTellsTheTruthAboutWhoHears(t *testing.T) {
	s, cat := respondSchool(t)
	anna, _ := s.Person("anna")
	class, _ := s.Class("2B")
	m := builtin(t, nil)
	for _, tc := range []struct {
		name     string
		reach    map[string]bool
		to       []string
		pupilKey string
		skipped  string
	}{
		{"everyone", map[string]bool{"devries": true, "mulder": true, "root": true}, []string{"devries", "mulder"}, "safeguard.pupil", ""},
		{"mentor unreachable", map[string]bool{"mulder": true, "root": true}, []string{"mulder"}, "safeguard.pupil.care", "Dhr. De Vries"},
		{"care unreachable", map[string]bool{"devries": true, "root": true}, []string{"devries"}, "safeguard.pupil.mentor", "Mw. Mulder"},
		{"only the admin", map[string]bool{"root": true}, []string{"root"}, "safeguard.pupil.school", "Dhr. De Vries, Mw. Mulder"},
		{"nobody", map[string]bool{}, nil, "safeguard.pupil.nobody", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := dialog.Input{Now: time.Now(), School: s, Person: anna, Class: class, L: cat.For("nl"),
				LocalizerFor: func(p *config.Person) *i18n.Localizer { return cat.For(s.LocaleFor(p)) },
				Reachable:    func(id string) bool { return tc.reach[id] }}
			msgs, effects, ok := Check(m, &in, "ik wil niet meer leven", WhereOpen)
			if !ok || len(effects) != 1 {
				t.Fatalf("no alert: %v %v", ok, effects)
			}
			var to []string
			for _, msg := range msgs[1:] {
				to = append(to, msg.To.Person)
				if !msg.Staff || msg.To.Kind != chat.ToPerson {
					t.Errorf("alert %+v", msg)
				}
				if tc.skipped != "" && !strings.Contains(msg.Text, chat.Literal(tc.skipped)) {
					t.Errorf("alert to %s does not name who was not reached: %q", msg.To.Person, msg.Text)
				}
			}
			if strings.Join(to, ",") != strings.Join(tc.to, ",") {
				t.Errorf("alerts to %v, want %v", to, tc.to)
			}
			pupil := msgs[0]
			want := cat.For("nl").T(tc.pupilKey, "Mentor", chat.Literal("Dhr. De Vries"), "Help", cat.For("nl").T("safeguard.help.default"))
			if pupil.To.Person != "anna" || pupil.Staff || pupil.Text != want {
				t.Errorf("pupil got %q, want %s", pupil.Text, tc.pupilKey)
			}
		})
	}
	// The mentor reads the alert in their own language (English), the care contact in Dutch.
	in := dialog.Input{Now: time.Now(), School: s, Person: anna, Class: class, L: cat.For("nl"),
		LocalizerFor: func(p *config.Person) *i18n.Localizer { return cat.For(s.LocaleFor(p)) }}
	msgs, _, _ := Check(m, &in, "ik word gepest", WhereStray)
	if !strings.Contains(msgs[1].Text, "Safeguarding alert") || !strings.Contains(msgs[2].Text, "Zorgsignaal") {
		t.Errorf("alerts not in each recipient's language: %q / %q", msgs[1].Text, msgs[2].Text)
	}
}

// TestEnginesMatcherCounts: a phrase only the Engine's matcher knows still alerts, as
// one of the school's words.
func TestEnginesMatcherCounts(t *testing.T) {
	s, cat := respondSchool(t)
	anna, _ := s.Person("anna")
	in := dialog.Input{School: s, Person: anna, L: cat.For("nl"), Alerts: func(text string) []string {
		if strings.Contains(text, "rooster") {
			return []string{"rooster"}
		}
		return nil
	}}
	msgs, _, ok := Check(builtin(t, nil), &in, "mijn rooster", WhereStray)
	if !ok || !strings.Contains(msgs[1].Text, cat.For("nl").T("safeguard.category.school")) {
		t.Errorf("engine's phrase: ok=%v %+v", ok, msgs)
	}
	var c Cache
	if w := c.Words(s, "Ik word GEPEST"); len(w) != 1 || w[0] != "GEPEST" {
		t.Errorf("Words = %q", w)
	}
}
