package terms

import (
	"strings"
	"testing"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/dialogs/internal/dialogtest"
)

func newSim(t *testing.T) *dialogtest.Sim {
	return dialogtest.New(t, dialogtest.School(t, 3), New())
}

func term(s *dialogtest.Sim, who, text string) chat.Message {
	s.T.Helper()
	s.Command(Name, who, "term", map[string]string{"term": text})
	return s.Last(who)
}

func TestTeacherAddsEditsRemoves(t *testing.T) {
	s := newSim(t)
	if got := term(s, "p01", "").Text; !strings.Contains(got, "nog leeg") {
		t.Errorf("empty list: %q", got)
	}
	term(s, "bakker", "toevoegen Fotosynthese = Planten maken suiker uit licht")
	term(s, "bakker", "add Démocratie: het volk beslist")
	list := List(*s.Shared[Ref("2B")])
	if len(list) != 2 || list[0].Word != "Démocratie" || list[1].Source != FromTeacher || list[1].Date != "2026-11-23" {
		t.Fatalf("list = %+v", list)
	}
	if got := term(s, "bakker", "toevoegen fotosynthese = iets anders").Text; !strings.Contains(got, "staat al") {
		t.Errorf("add twice: %q", got)
	}
	term(s, "bakker", "wijzig fotosynthese = Planten maken met licht suiker en zuurstof")
	if got := Lookup(List(*s.Shared[Ref("2B")]), "fotosynthese").Exact; len(got) != 1 || !strings.Contains(got[0].Text, "zuurstof") || got[0].Word != "fotosynthese" {
		t.Errorf("edited = %+v", got)
	}
	if got := term(s, "bakker", "wijzig bestaatniet = x").Text; !strings.Contains(got, "staat niet") {
		t.Errorf("edit unknown: %q", got)
	}
	term(s, "bakker", "verwijder democratie")
	if n := len(List(*s.Shared[Ref("2B")])); n != 1 {
		t.Errorf("%d terms after remove, want 1", n)
	}
	if got := term(s, "bakker", "toevoegen zonder uitleg").Text; !strings.Contains(got, "Schrijf het zo") {
		t.Errorf("no explanation: %q", got)
	}
	if got := term(s, "bakker", "toevoegen "+strings.Repeat("w", MaxWord+1)+" = x").Text; !strings.Contains(got, "hooguit 40") {
		t.Errorf("long word: %q", got)
	}
	// Pupils and other teachers can't change the list.
	for _, who := range []string{"p01"} {
		if got := term(s, who, "verwijder fotosynthese").Text; got != "Alleen je docent kan dat." {
			t.Errorf("%s remove: %q", who, got)
		}
	}
	s.Command(Name, "jansen", "term", map[string]string{"term": "add x = y", "class": "2B"})
	if got := s.Last("jansen").Text; !strings.Contains(got, "is voor die klas") {
		t.Errorf("other teacher: %q", got)
	}
}

func TestLookup(t *testing.T) {
	list := []Term{{Word: "Fotosynthese"}, {Word: "Foto"}, {Word: "Democratie"}, {Word: "Ecosysteem"}, {Word: "Zuurstof"}}
	cases := []struct {
		q                     string
		exact, prefix, closeM int
	}{
		{"foto", 1, 1, 0},         // exact and prefix
		{"FOTOSYNTHESE", 1, 0, 0}, // case
		{"démocratie", 1, 0, 0},   // accents
		{"democracie", 0, 0, 1},   // one letter off
		{"ecosystem", 0, 0, 1},    // English spelling, one letter off
		{"zuurstf", 0, 0, 1},      // a typo
		{"synthese", 0, 0, 1},     // part of a word
		{"xyz", 0, 0, 0},          // nothing
		{"!!", 0, 0, 0},           // nothing to look for
	}
	for _, c := range cases {
		f := Lookup(list, c.q)
		if len(f.Exact) != c.exact || len(f.Prefix) != c.prefix || len(f.Close) != c.closeM {
			t.Errorf("%q: %d/%d/%d, want %d/%d/%d", c.q, len(f.Exact), len(f.Prefix), len(f.Close), c.exact, c.prefix, c.closeM)
		}
	}
}

func TestLookUpByCommandInBothLanguages(t *testing.T) {
	s := newSim(t)
	term(s, "bakker", "toevoegen Fotosynthese = Planten maken suiker uit licht")
	got := term(s, "p01", "fotosynthése").Text
	if !strings.Contains(got, chat.Literal("Planten maken suiker uit licht")) || !strings.Contains(got, "toegevoegd door de docent") {
		t.Errorf("look-up: %q", got)
	}
	if got := term(s, "p01", "fotosyn").Text; !strings.Contains(got, "Planten") {
		t.Errorf("a single prefix match is shown in full: %q", got)
	}
	if got := term(s, "p01", "fotosinthese").Text; !strings.Contains(got, "Planten") {
		t.Errorf("a single close match is shown in full: %q", got)
	}
	if got := term(s, "p01", "gravitatie").Text; !strings.Contains(got, "staat niet op de woordenlijst") {
		t.Errorf("not found: %q", got)
	}
	// The mentor reads English; English sub-commands work for everyone.
	s.School.People[1].Classes = []string{"2B"}
	if got := term(s, "devries", "").Text; !strings.Contains(got, "word list of "+chat.Literal("2B")+" (1)") {
		t.Errorf("English index: %q", got)
	}
}

func TestPupilProposesTeacherApproves(t *testing.T) {
	s := newSim(t)
	term(s, "p01", "voorstel Ecosysteem = Planten en dieren samen")
	if got := s.Last("p01").Text; !strings.Contains(got, "Mevr. Bakker") {
		t.Errorf("pupil told %q", got)
	}
	ask := s.Last("bakker")
	if !ask.Staff || len(ask.Choices) != 2 || !strings.Contains(ask.Text, "Pupil 01") {
		t.Fatalf("teacher asked %+v", ask)
	}
	if n := len(List(*s.Shared[Ref("2B")])); n != 0 {
		t.Errorf("a proposal reached the list before approval")
	}
	s.Press("p02", ask.Choices[0])
	if got := s.Last("p02").Text; got != "Alleen je docent kan dat." {
		t.Errorf("pupil approving: %q", got)
	}
	s.Press("bakker", ask.Choices[0])
	list := List(*s.Shared[Ref("2B")])
	if len(list) != 1 || list[0].Proposer != "p01" || list[0].By != "bakker" || list[0].Source != FromPupil {
		t.Fatalf("list = %+v", list)
	}
	if got := s.Last("p01").Text; !strings.Contains(got, "staat nu op de woordenlijst") {
		t.Errorf("pupil told %q", got)
	}
	// A double press is answered, not applied twice.
	s.Press("bakker", ask.Choices[1])
	if got := s.Last("bakker").Text; got != s.Tr("bakker", "terms.already_decided") {
		t.Errorf("late reject: %q", got)
	}
	// A rejected proposal goes away, and the pupil hears it.
	term(s, "p02", "voorstel Atoom = heel klein deeltje")
	s.Press("bakker", s.Last("bakker").Choices[1])
	if got := s.Last("p02").Text; !strings.Contains(got, "niet op de woordenlijst gezet") {
		t.Errorf("rejected: %q", got)
	}
	if _, left := s.Shared[Ref("2B")].Members["p02"]; left {
		t.Errorf("rejected proposal still kept")
	}
	// Worrying words in a proposal reach the mentor.
	term(s, "p03", "voorstel pesten = ik word gepest")
	if m := s.Last("devries"); !m.Staff || !strings.Contains(m.Text, "Alert") {
		t.Errorf("mentor alert = %+v", m)
	}
	// Proposals wait when no teacher can be reached; the teacher sees them on /term.
	s.Unreachable["bakker"] = true
	term(s, "p01", "propose Ion = geladen deeltje")
	if got := s.Last("p01").Text; !strings.Contains(got, "kan nu geen van je docenten bereiken") {
		t.Errorf("unreachable teacher: pupil told %q", got)
	}
	delete(s.Unreachable, "bakker")
	before := len(s.To("bakker"))
	term(s, "bakker", "")
	shown := false
	for _, m := range s.To("bakker")[before:] {
		shown = shown || (strings.Contains(m.Text, "Ion") && len(m.Choices) == 2)
	}
	if !shown {
		t.Errorf("waiting proposal not shown to the teacher: %+v", s.To("bakker")[before:])
	}
}

func TestSaveFromOtherDialogs(t *testing.T) {
	ef := Save("2B", Term{Word: "Motie", Text: "Een stelling", Source: FromDebate, From: "Scholen moeten…", Date: "2026-11-23"})
	set, ok := ef.(dialog.SetShared)
	if !ok || set.Ref != Ref("2B") || !strings.Contains(set.Fields["t.motie"], "Een stelling") {
		t.Fatalf("Save = %+v", ef)
	}
	if r := Remove("2B", "MOTIE").(dialog.SetShared); r.Fields["t.motie"] != "" {
		t.Fatalf("Remove = %+v", r)
	}
}
