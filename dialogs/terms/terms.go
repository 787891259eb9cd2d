// Package terms is the class's own word list, its knowledge base: terms and conclusions
// the class agreed on, each with where it came from (a discussion prompt, a debate, a
// question) and the day it was saved. Anyone in the class looks a term up with
// /begrip (/term): exact, prefix and close matches, accents and case ignored. Teachers
// of the class add, edit and remove terms; a pupil proposes one and a teacher approves
// it. Other dialogs save a term with Save (one effect) and let a teacher name one from
// a pupil's answer with Naming.
//
// The list of a class is one shared record (terms:CLASS): approved terms are
// whole-record fields (a teacher's edit racing another is retried, never lost); a
// pupil's pending proposals are that pupil's member field, so they are found when the
// pupil's data is exported or erased.
package terms

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/prompt"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/dialogs/internal/talk"
)

// Name is the dialog's name, the prefix of its actions and its record kind.
const Name = "terms"

// Limits of the word list.
const (
	MaxWord = 40
	MaxText = 600
	// MaxTerms is the most terms one class keeps (one Redis hash).
	MaxTerms = 500
	// MaxProposals is the most proposals one pupil has waiting at once.
	MaxProposals = 5
	// MaxShown is the most matches one look-up lists.
	MaxShown = 8
)

// The sources of a term.
const (
	FromPrompt   = "prompt"
	FromDebate   = "debate"
	FromQuestion = "question"
	FromTeacher  = "teacher"
	FromPupil    = "pupil"
)

// Term is one entry of a class's word list.
type Term struct {
	Word string `json:"w"`
	Text string `json:"t"`
	// Source is where it came from (FromPrompt ...), From the title of that source
	// (the prompt's question, the debate's motion), Date the day it was saved.
	Source string `json:"s"`
	From   string `json:"f,omitempty"`
	Date   string `json:"d"`
	// By is who saved it (a teacher) and Proposer the pupil who proposed it, if any.
	By       string `json:"b,omitempty"`
	Proposer string `json:"p,omitempty"`
}

// Ref is the word list record of class.
func Ref(class string) dialog.Ref { return dialog.Ref{Kind: Name, ID: class} }

// Key is a word as the list compares it: lowercase letters and digits, accents dropped.
func Key(word string) string { return prompt.Normalize(word) }

// Save is the effect that puts t in class's word list, replacing a term with the same
// word. Any dialog may return it; it writes one field and reads nothing, so it never
// conflicts with other steps.
func Save(class string, t Term) dialog.Effect {
	doc, _ := json.Marshal(t)
	return dialog.SetShared{Ref: Ref(class), Fields: map[string]string{"t." + Key(t.Word): string(doc)}}
}

// Remove is the effect that takes word off class's word list.
func Remove(class, word string) dialog.Effect {
	return dialog.SetShared{Ref: Ref(class), Fields: map[string]string{"t." + Key(word): ""}}
}

// List returns the terms of a word list record, sorted by word.
func List(s dialog.Shared) []Term {
	var out []Term
	for k, v := range s.Fields {
		if !strings.HasPrefix(k, "t.") || v == "" {
			continue
		}
		var t Term
		if json.Unmarshal([]byte(v), &t) == nil && t.Word != "" {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return Key(out[i].Word) < Key(out[j].Word) })
	return out
}

// Proposals returns pupil's proposals waiting in the record.
func Proposals(s dialog.Shared, pupil string) []Term {
	var out []Term
	_ = json.Unmarshal([]byte(s.Members[pupil]), &out)
	return out
}

// Found is what a look-up found: the exact match, words that start with the query, and
// words spelled nearly the same.
type Found struct {
	Exact  []Term
	Prefix []Term
	Close  []Term
}

// Any reports whether anything was found.
func (f Found) Any() bool { return len(f.Exact)+len(f.Prefix)+len(f.Close) > 0 }

// Lookup finds q in list: case, accents, spaces and punctuation are ignored; a close
// match is one or two letters off (one for words up to five letters).
func Lookup(list []Term, q string) Found {
	var f Found
	k := Key(q)
	if k == "" {
		return f
	}
	for _, t := range list {
		w := Key(t.Word)
		switch {
		case w == k:
			f.Exact = append(f.Exact, t)
		case strings.HasPrefix(w, k):
			f.Prefix = append(f.Prefix, t)
		case distance(w, k) <= allowed(k) || (len([]rune(k)) >= 4 && strings.Contains(w, k)):
			f.Close = append(f.Close, t)
		}
	}
	return f
}

func allowed(k string) int {
	if len([]rune(k)) <= 5 {
		return 1
	}
	return 2
}

// distance is the Levenshtein distance of a and b in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Dialog is the word list.
type Dialog struct{}

// New returns the word list dialog.
func New() *Dialog { return &Dialog{} }

// Name implements dialog.Dialog.
func (*Dialog) Name() string { return Name }

// Commands implements dialog.Dialog: /term (/begrip) looks up; its first word can be a
// sub-command (add, edit, remove, propose, in the person's language or English).
func (*Dialog) Commands() []dialog.CommandSpec {
	return []dialog.CommandSpec{{Name: "term", Options: []dialog.OptionSpec{
		{Name: "term", Kind: dialog.OptText},
		{Name: "class", Kind: dialog.OptClass},
	}}}
}

// Records implements dialog.Recorder.
func (*Dialog) Records() []record.Kind {
	return []record.Kind{{Name: Name, Key: "terms:{id}", Shape: record.SharedRecord,
		Owners: record.OwnedByMembers, PupilWords: true, Readers: []string{"the class", "teacher of the class"}}}
}

// Reads implements dialog.Reader: the word list of the command's class, or of the
// class a button names.
func (*Dialog) Reads(in dialog.Input) []dialog.Ref {
	switch in.Kind {
	case dialog.Command:
		if c, ok := talk.ClassFor(in, in.Args["class"]); ok {
			return []dialog.Ref{Ref(c.ID)}
		}
	case dialog.Choice:
		if class, _, _ := strings.Cut(in.Value, "|"); class != "" {
			return []dialog.Ref{Ref(class)}
		}
	}
	return nil
}

// Step implements dialog.Dialog.
func (d *Dialog) Step(in dialog.Input) (dialog.Result, error) {
	t := &talk.Turn{In: in}
	switch in.Kind {
	case dialog.Command:
		command(t)
	case dialog.Choice:
		decide(t)
	}
	return t.Res, nil
}

// verb is the sub-command the text starts with ("" for a look-up), and the rest.
func verb(in dialog.Input, text string) (string, string) {
	first, rest, _ := strings.Cut(text, " ")
	for _, v := range []string{"add", "edit", "remove", "propose"} {
		if talk.Words(first, v, in.L.T("terms.verb."+v)) {
			return v, strings.TrimSpace(rest)
		}
	}
	return "", text
}

func command(t *talk.Turn) {
	in := t.In
	c, ok := talk.ClassFor(in, in.Args["class"])
	if !ok {
		t.Say("terms.no_class", "Command", in.L.T("cmd.term.name"))
		return
	}
	teacher := c.Teaches(in.Person)
	if !teacher && !in.Person.InClass(c.ID) {
		t.Say("terms.not_your_class", "Class", chat.Literal(c.Name))
		return
	}
	rec := in.Record(Ref(c.ID))
	list := List(rec)
	v, rest := verb(in, strings.TrimSpace(in.Args["term"]))
	switch v {
	case "":
		if rest == "" {
			index(t, c, list, teacher, rec)
			return
		}
		lookup(t, list, rest)
	case "add", "edit", "remove":
		if !teacher {
			t.Say("terms.only_teacher")
			return
		}
		change(t, c, list, v, rest)
	case "propose":
		propose(t, c, rec, list, rest)
	}
}

// parse splits "word = explanation" (or "word: explanation").
func parse(s string) (string, string) {
	i := strings.IndexAny(s, "=:")
	if i < 0 {
		return strings.TrimSpace(s), ""
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
}

func find(list []Term, word string) (Term, bool) {
	k := Key(word)
	for _, t := range list {
		if Key(t.Word) == k {
			return t, true
		}
	}
	return Term{}, false
}

// Check validates a new term's word and explanation and returns the catalog key and
// arguments of the problem ("" when it is fine).
func Check(word, text string) (string, []any) {
	if _, p, n := prompt.Text(word, MaxWord); p == prompt.TooLong {
		return "terms.word_too_long", []any{"Len", n, "Max", MaxWord}
	}
	if Key(word) == "" {
		return "terms.no_word", nil
	}
	if _, p, n := prompt.Text(text, MaxText); p == prompt.TooLong {
		return "terms.text_too_long", []any{"Len", n, "Max", MaxText}
	} else if p == prompt.Empty {
		return "terms.no_text", nil
	}
	return "", nil
}

func change(t *talk.Turn, c *config.Class, list []Term, v, rest string) {
	in := t.In
	word, text := parse(rest)
	usage := in.L.T("terms.usage_"+v, "Command", in.L.T("cmd.term.name"), "Verb", in.L.T("terms.verb."+v))
	if word == "" || (v != "remove" && text == "") {
		t.Say("terms.usage", "Usage", usage)
		return
	}
	old, exists := find(list, word)
	switch {
	case v == "remove" && !exists, v == "edit" && !exists:
		t.Say("terms.unknown", "Word", chat.Literal(word), "Usage", in.L.T("terms.usage_add", "Command", in.L.T("cmd.term.name"), "Verb", in.L.T("terms.verb.add")))
		return
	case v == "add" && exists:
		t.Say("terms.exists", "Word", chat.Literal(old.Word), "Usage", in.L.T("terms.usage_edit", "Command", in.L.T("cmd.term.name"), "Verb", in.L.T("terms.verb.edit")))
		return
	case v == "add" && len(list) >= MaxTerms:
		t.Say("terms.full", "Max", MaxTerms)
		return
	case v == "remove":
		t.Effect(Remove(c.ID, old.Word))
		t.Say("terms.removed", "Word", chat.Literal(old.Word))
		return
	}
	if key, kv := Check(word, text); key != "" {
		t.Say(key, kv...)
		return
	}
	nt := Term{Word: word, Text: text, Source: FromTeacher, Date: in.Today.String(), By: in.Person.ID}
	if v == "edit" {
		// An edit keeps where the term came from.
		nt.Source, nt.From, nt.Date, nt.Proposer = old.Source, old.From, old.Date, old.Proposer
		if Key(word) == Key(old.Word) {
			nt.Word = word
		}
	}
	t.Effect(Save(c.ID, nt))
	t.Say("terms."+v+"ed", "Word", chat.Literal(nt.Word), "Class", chat.Literal(c.Name))
}

// Render is a term as the list shows it, in the reader's language.
func Render(L interface {
	T(string, ...any) string
}, t Term) string {
	src := L.T("terms.source."+t.Source, "From", chat.Literal(talk.Shorten(t.From, 60)))
	return L.T("terms.entry", "Word", chat.Literal(t.Word), "Text", chat.Literal(t.Text), "Source", src, "Date", t.Date)
}

func lookup(t *talk.Turn, list []Term, q string) {
	in := t.In
	f := Lookup(list, q)
	if !f.Any() {
		t.Say("terms.not_found", "Query", chat.Literal(q), "Count", len(list))
		return
	}
	var b []string
	for _, x := range f.Exact {
		b = append(b, Render(in.L, x))
	}
	var more []Term
	more = append(more, f.Prefix...)
	more = append(more, f.Close...)
	if len(f.Exact) == 0 && len(more) == 1 {
		b = append(b, Render(in.L, more[0]))
		more = nil
	}
	if len(more) > 0 {
		var words []string
		for i, x := range more {
			if i == MaxShown {
				break
			}
			words = append(words, chat.Literal(x.Word))
		}
		key := "terms.also"
		if len(f.Exact) == 0 {
			key = "terms.did_you_mean"
		}
		b = append(b, in.L.T(key, "Words", strings.Join(words, ", ")))
	}
	t.Say("terms.found", "Body", strings.Join(b, "\n\n"))
}

func index(t *talk.Turn, c *config.Class, list []Term, teacher bool, rec dialog.Shared) {
	in := t.In
	if len(list) == 0 {
		t.Say("terms.empty", "Class", chat.Literal(c.Name), "Command", in.L.T("cmd.term.name"))
	} else {
		words := make([]string, len(list))
		for i, x := range list {
			words[i] = chat.Literal(x.Word)
		}
		t.Say("terms.index", "Class", chat.Literal(c.Name), "Count", len(list), "Words", strings.Join(words, ", "), "Command", in.L.T("cmd.term.name"))
	}
	if !teacher {
		return
	}
	pupils := make([]string, 0, len(rec.Members))
	for p := range rec.Members {
		pupils = append(pupils, p)
	}
	sort.Strings(pupils)
	for _, p := range pupils {
		for _, pr := range Proposals(rec, p) {
			askTeacher(t, in.Person.ID, c, p, pr)
		}
	}
}

func propose(t *talk.Turn, c *config.Class, rec dialog.Shared, list []Term, rest string) {
	in := t.In
	word, text := parse(rest)
	if word == "" || text == "" {
		t.Say("terms.usage", "Usage", in.L.T("terms.usage_propose", "Command", in.L.T("cmd.term.name"), "Verb", in.L.T("terms.verb.propose")))
		return
	}
	t.CheckAlerts(word+": "+text, "terms.alert")
	if key, kv := Check(word, text); key != "" {
		t.Say(key, kv...)
		return
	}
	if c.Teaches(in.Person) {
		t.Say("terms.teacher_adds", "Usage", in.L.T("terms.usage_add", "Command", in.L.T("cmd.term.name"), "Verb", in.L.T("terms.verb.add")))
		return
	}
	mine := Proposals(rec, in.Person.ID)
	for i, p := range mine {
		if Key(p.Word) == Key(word) {
			// Proposing the same word again replaces the waiting proposal.
			mine = append(mine[:i], mine[i+1:]...)
			break
		}
	}
	if len(mine) >= MaxProposals {
		t.Say("terms.too_many_proposals", "Max", MaxProposals)
		return
	}
	p := Term{Word: word, Text: text, Source: FromPupil, Date: in.Today.String(), Proposer: in.Person.ID}
	mine = append(mine, p)
	doc, _ := json.Marshal(mine)
	t.Effect(dialog.SetMember{Ref: Ref(c.ID), Member: in.Person.ID, Value: string(doc)})
	var told []string
	for _, tp := range in.School.People {
		if tp.Has(config.Teacher) && c.Teaches(tp) && in.CanReach(tp.ID) {
			askTeacher(t, tp.ID, c, in.Person.ID, p)
			told = append(told, tp.Name)
		}
	}
	if len(told) == 0 {
		t.Say("terms.proposed_waiting", "Word", chat.Literal(word), "Command", in.L.T("cmd.term.name"))
		return
	}
	t.Say("terms.proposed", "Word", chat.Literal(word), "Teachers", chat.Literal(strings.Join(told, ", ")))
}

// askTeacher shows teacher a pupil's proposal with approve and reject buttons.
func askTeacher(t *talk.Turn, teacher string, c *config.Class, pupil string, p Term) {
	L := t.In.For(teacher)
	name := pupil
	if pp, ok := t.In.School.Person(pupil); ok {
		name = pp.Name
	}
	v := c.ID + "|" + pupil + "|" + Key(p.Word)
	m := t.To(teacher, L.T("terms.proposal", "Name", chat.Literal(name), "Class", chat.Literal(c.Name), "Word", chat.Literal(p.Word), "Text", chat.Literal(p.Text)))
	m.Staff = true
	m.Choices = []chat.Choice{
		{Action: Name + ".approve", Value: v, Label: L.T("terms.approve"), Style: "primary"},
		{Action: Name + ".reject", Value: v, Label: L.T("terms.reject")},
	}
}

// decide handles a teacher's approve or reject of a proposal.
func decide(t *talk.Turn) {
	in := t.In
	parts := strings.SplitN(in.Value, "|", 3)
	if len(parts) != 3 || (in.Action != Name+".approve" && in.Action != Name+".reject") {
		t.Say("terms.gone")
		return
	}
	c, ok := in.School.Class(parts[0])
	if !ok {
		t.Say("terms.gone")
		return
	}
	if !c.Teaches(in.Person) {
		t.Say("terms.only_teacher")
		return
	}
	rec := in.Record(Ref(c.ID))
	mine := Proposals(rec, parts[1])
	idx := -1
	for i, p := range mine {
		if Key(p.Word) == parts[2] {
			idx = i
		}
	}
	if idx < 0 {
		// Another teacher, or an earlier press, already decided.
		t.Say("terms.already_decided")
		return
	}
	p := mine[idx]
	approve := in.Action == Name+".approve"
	if _, exists := find(List(rec), p.Word); approve && !exists && len(List(rec)) >= MaxTerms {
		t.Say("terms.full", "Max", MaxTerms)
		return
	}
	rest := append(append([]Term{}, mine[:idx]...), mine[idx+1:]...)
	val := ""
	if len(rest) > 0 {
		doc, _ := json.Marshal(rest)
		val = string(doc)
	}
	t.Effect(dialog.SetMember{Ref: Ref(c.ID), Member: parts[1], Value: val})
	PL := in.For(parts[1])
	if !approve {
		t.Say("terms.rejected", "Word", chat.Literal(p.Word))
		t.To(parts[1], PL.T("terms.rejected_pupil", "Word", chat.Literal(p.Word)))
		return
	}
	p.By = in.Person.ID
	p.Date = in.Today.String()
	t.Effect(Save(c.ID, p))
	t.Say("terms.approved", "Word", chat.Literal(p.Word))
	t.To(parts[1], PL.T("terms.approved_pupil", "Word", chat.Literal(p.Word), "Command", PL.T("cmd.term.name")))
}
