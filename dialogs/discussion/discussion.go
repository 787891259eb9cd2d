// Package discussion is the whole-class discussion prompt. A teacher of the class posts
// a question, now or at a set time (class time zone), typed or from the school's prompt
// bank, to the class channel on every platform, in a thread with an "answer" button.
//
// Think first (the default): each pupil answers privately (a form where the platform
// has one, else a conversation in their DM that waits beside their other ones) and sees
// classmates' answers only after giving their own, or when the teacher reveals them.
// In open mode every answer appears in the thread at once. A pupil can change the answer
// until the prompt closes and, when the teacher allows it, answer anonymously to
// classmates (the teacher always sees names). The prompt closes at a set time or when
// the teacher says; the teacher then gets, privately, how many answered, who did not,
// and every answer with near-identical ones grouped, with one button per answer to save
// it on the class's word list. Once answers are in the thread, classmates react to one
// (agree, a question, building on it) in the thread.
//
// A prompt is one shared record: its question and status are whole-record fields, each
// pupil's answer is their member field (thirty pupils answering at once never conflict),
// and closing bumps the version, so an answer racing the close is retried and then told
// the truth. The class's open prompts are listed on a per-class board so a pupil can
// find them with /discuss (/discussie) without the channel.
package discussion

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/prompt"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/dialogs/internal/talk"
	"github.com/kring-school/kring/dialogs/terms"
)

// Name is the dialog's name: the prefix of its actions, threads and record kinds.
const Name = "discussion"

// Board is the record kind listing a class's open prompts.
const Board = "discboard"

// Limits.
const (
	MaxAnswer = 1000
	MaxReact  = 500
	// chunk is the most text one thread or digest message carries (Discord's limit is
	// 2000 characters; Slack's is higher).
	chunk = 1800
)

// The modes of a prompt.
const (
	Think = "think"
	Open  = "open"
)

// Dialog is the discussion prompt.
type Dialog struct{}

// New returns the discussion dialog.
func New() *Dialog { return &Dialog{} }

// Name implements dialog.Dialog.
func (*Dialog) Name() string { return Name }

// Commands implements dialog.Dialog: /discuss (/discussie). With a text or a bank item a
// teacher posts; without, anyone sees the class's open prompts.
func (*Dialog) Commands() []dialog.CommandSpec {
	return []dialog.CommandSpec{{Name: "discuss", Options: []dialog.OptionSpec{
		{Name: "prompt", Kind: dialog.OptText},
		{Name: "class", Kind: dialog.OptClass},
		{Name: "mode", Kind: dialog.OptChoice, Choices: []string{Think, Open}},
		{Name: "anonymous", Kind: dialog.OptChoice, Choices: []string{"yes", "no"}},
		{Name: "at", Kind: dialog.OptWord},
		{Name: "close", Kind: dialog.OptWord},
		{Name: "bank", Kind: dialog.OptWord},
	}}}
}

// Records implements dialog.Recorder.
func (*Dialog) Records() []record.Kind {
	return []record.Kind{
		{Name: Name, Key: "disc:{id}", Shape: record.SharedRecord, Owners: record.OwnedByMembers, PupilWords: true,
			Readers: []string{"teacher of the class", "the class (after answering or reveal; anonymous answers without name)"}},
		{Name: Board, Key: "discb:{id}", Shape: record.SharedRecord, Owners: record.OwnedByNone,
			Readers: []string{"the class"}},
	}
}

func ref(id string) dialog.Ref         { return dialog.Ref{Kind: Name, ID: id} }
func boardRef(class string) dialog.Ref { return dialog.Ref{Kind: Board, ID: class} }

// Reads implements dialog.Reader: the prompt a button, form, thread or timer names, or
// the class's board for a command.
func (*Dialog) Reads(in dialog.Input) []dialog.Ref {
	if in.Kind == dialog.Command || in.Action == Name+".bank" {
		class := in.Args["class"]
		if in.Action == Name+".bank" {
			class, _, _ = strings.Cut(in.Value, "|")
		}
		if c, ok := talk.ClassFor(in, class); ok {
			return []dialog.Ref{boardRef(c.ID)}
		}
		return nil
	}
	if id := promptID(in); id != "" {
		return []dialog.Ref{ref(id)}
	}
	return nil
}

// promptID is the prompt the event names ("" when it names none).
func promptID(in dialog.Input) string { return talk.RecordID(in, Name) }

// answer is one pupil's answer as kept in their member field.
type answer struct {
	Text string    `json:"t"`
	Anon bool      `json:"a,omitempty"`
	At   time.Time `json:"at"`
	// Edits counts changes after the first answer.
	Edits int `json:"e,omitempty"`
	// H names the answer on reaction and save buttons (see handle).
	H string `json:"h"`
}

// promptRec is the shared record as the dialog uses it.
type promptRec struct {
	ID       string
	Exists   bool
	Q        string
	Class    string
	By       string
	Mode     string
	Anon     bool
	Status   string // scheduled, open, closed
	Revealed bool
	Closes   time.Time
	Subject  string
	Answers  map[string]answer
	Agree    map[string][]string // answer handle -> pupils who agreed
}

func load(s dialog.Shared) promptRec {
	p := promptRec{ID: s.ID, Exists: s.Exists, Q: s.Fields["q"], Class: s.Fields["class"], By: s.Fields["by"],
		Mode: s.Fields["mode"], Anon: s.Fields["anon"] == "1", Status: s.Fields["status"], Revealed: s.Fields["revealed"] == "1",
		Subject: s.Fields["subject"], Answers: map[string]answer{}, Agree: map[string][]string{}}
	p.Closes, _ = time.Parse(time.RFC3339, s.Fields["closes"])
	for who, v := range s.Members {
		var a answer
		if json.Unmarshal([]byte(v), &a) == nil && a.Text != "" {
			p.Answers[who] = a
		}
	}
	for name, items := range s.Sets {
		if h, ok := strings.CutPrefix(name, "agree."); ok {
			p.Agree[h] = items
		}
	}
	return p
}

// public reports whether answers are visible in the thread.
func (p promptRec) public() bool { return p.Mode == Open || p.Revealed }

// order lists the pupils who answered, first answer first.
func (p promptRec) order() []string {
	out := make([]string, 0, len(p.Answers))
	for who := range p.Answers {
		out = append(out, who)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := p.Answers[out[i]], p.Answers[out[j]]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return out[i] < out[j]
	})
	return out
}

// handle names who's answer on buttons without giving their id away: a random-looking
// id drawn from the event of their first answer, not from their roster id (which a
// classmate could hash to unmask an anonymous answer).
func (p promptRec) handle(who string) string { return p.Answers[who].H }

func (p promptRec) byHandle(h string) (string, bool) {
	for who, a := range p.Answers {
		if h != "" && a.H == h {
			return who, true
		}
	}
	return "", false
}

type state struct {
	// Answering is the prompt whose answer the pupil is typing in the DM; Anon whether
	// they chose to answer anonymously.
	Answering string `json:"answering,omitempty"`
	Anon      bool   `json:"anon,omitempty"`
	// React is the answer (prompt:handle:kind) the pupil is typing a reaction to.
	React string `json:"react,omitempty"`
	// Naming is a teacher's answer being saved on the word list.
	Naming *terms.Naming `json:"naming,omitempty"`
}

func (s state) waiting() bool { return s.Answering != "" || s.React != "" || s.Naming != nil }

type turn struct {
	talk.Turn
	st state
}

// Step implements dialog.Dialog.
func (d *Dialog) Step(in dialog.Input) (dialog.Result, error) {
	t := &turn{Turn: talk.Turn{In: in}}
	if len(in.State) > 0 {
		_ = json.Unmarshal(in.State, &t.st)
	}
	had := t.st.waiting()
	switch in.Kind {
	case dialog.Command:
		t.command()
	case dialog.Choice:
		t.choice()
	case dialog.Form:
		t.form()
	case dialog.Text:
		t.text()
	case dialog.Wake:
		t.wake()
	}
	switch {
	case t.st.waiting():
		doc, _ := json.Marshal(t.st)
		t.Res.State = doc
		t.Res.Listen = true
		if t.Res.Topic == "" {
			t.Res.Topic = in.L.T("discussion.topic")
		}
		if id := t.waitingOn(); id != "" && t.Res.ListenRefs == nil {
			t.Res.ListenRefs = []dialog.Ref{ref(id)}
		}
	case had:
		t.Res.Clear = true
	}
	return t.Res, nil
}

func (t *turn) waitingOn() string {
	if t.st.Answering != "" {
		return t.st.Answering
	}
	id, _, _ := strings.Cut(t.st.React, ":")
	return id
}

func (t *turn) classL(c *config.Class) *i18n.Localizer { return talk.ClassL(t.In, c) }

func threadKey(id string) string { return Name + ":" + id }

// command posts a prompt (teacher, with a text or a bank item) or lists the open ones.
func (t *turn) command() {
	in := t.In
	c, ok := talk.ClassFor(in, in.Args["class"])
	if !ok {
		t.Say("discussion.no_class", "Command", in.L.T("cmd.discuss.name"))
		return
	}
	text := strings.TrimSpace(in.Args["prompt"])
	bank := strings.TrimSpace(in.Args["bank"])
	if text == "" && bank == "" {
		t.list(c)
		return
	}
	if !c.Teaches(in.Person) {
		if in.Person.Has(config.Teacher) {
			t.Say("discussion.not_your_class", "Class", chat.Literal(c.Name))
			return
		}
		t.Say("discussion.only_teacher")
		return
	}
	o := opts{class: c.ID, mode: in.Args["mode"], anon: in.Args["anonymous"] == "yes", at: in.Args["at"], close: in.Args["close"]}
	if bank != "" {
		subject, n, _ := strings.Cut(bank, "#")
		o.subject = strings.ToLower(subject)
		qs, ok := bankOf(in.School, o.subject)
		if !ok {
			t.Say("discussion.no_bank", "Subject", chat.Literal(subject), "Subjects", chat.Literal(subjects(in.School)))
			return
		}
		k, err := strconv.Atoi(n)
		if n == "" || err != nil || k < 1 || k > len(qs) {
			t.offerBank(o, qs)
			return
		}
		text = qs[k-1]
	}
	t.create(c, text, o)
}

// opts are a teacher's choices for a new prompt.
type opts struct {
	class, mode, at, close, subject string
	anon                            bool
}

// value packs opts for a bank button: class|subject|n|mode|anon|at|close.
func (o opts) value(n int) string {
	anon := "0"
	if o.anon {
		anon = "1"
	}
	return strings.Join([]string{o.class, o.subject, strconv.Itoa(n), o.mode, anon, o.at, o.close}, "|")
}

func bankOf(s *config.School, subject string) ([]string, bool) {
	for k, qs := range s.Prompts {
		if strings.EqualFold(k, subject) && len(qs) > 0 {
			return qs, true
		}
	}
	return nil, false
}

func subjects(s *config.School) string {
	out := make([]string, 0, len(s.Prompts))
	for k := range s.Prompts {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func (t *turn) offerBank(o opts, qs []string) {
	choices := make([]chat.Choice, len(qs))
	lines := make([]string, len(qs))
	for i, q := range qs {
		choices[i] = chat.Choice{Action: Name + ".bank", Value: o.value(i + 1), Label: strconv.Itoa(i + 1)}
		lines[i] = strconv.Itoa(i+1) + ". " + chat.Literal(q)
	}
	m := prompt.Ask(t.In.Person.ID, t.In.L.T("discussion.bank", "Subject", chat.Literal(o.subject), "Prompts", strings.Join(lines, "\n")), choices, t.In.Caps)
	t.Send(m)
}

// bankPick posts the bank prompt a teacher chose by button.
func (t *turn) bankPick() {
	f := strings.Split(t.In.Value, "|")
	if len(f) != 7 {
		t.Say("discussion.gone")
		return
	}
	c, ok := t.In.School.Class(f[0])
	if !ok {
		t.Say("discussion.gone")
		return
	}
	if !c.Teaches(t.In.Person) {
		t.Say("discussion.only_teacher")
		return
	}
	qs, ok := bankOf(t.In.School, f[1])
	k, _ := strconv.Atoi(f[2])
	if !ok || k < 1 || k > len(qs) {
		t.Say("discussion.gone")
		return
	}
	t.create(c, qs[k-1], opts{class: c.ID, subject: f[1], mode: f[3], anon: f[4] == "1", at: f[5], close: f[6]})
}

// when reads an HH:MM time today in the class's zone; it must lie ahead.
func (t *turn) when(c *config.Class, s string) (time.Time, bool) {
	tod, err := config.ParseTimeOfDay(s)
	if err != nil {
		return time.Time{}, false
	}
	now := t.In.Now.In(c.Location)
	return tod.On(config.DateOf(now), c.Location), true
}

func (t *turn) create(c *config.Class, text string, o opts) {
	in := t.In
	q, problem, n := prompt.Text(text, config.MaxPrompt)
	if problem == prompt.TooLong {
		t.Say("discussion.too_long", "Len", n, "Max", config.MaxPrompt)
		return
	}
	if o.mode == "" {
		o.mode = Think
	}
	now := in.Now
	postAt := now
	if o.at != "" {
		at, ok := t.when(c, o.at)
		if !ok {
			t.Say("discussion.bad_time", "Value", chat.Literal(o.at))
			return
		}
		if !at.After(now) {
			t.Say("discussion.past", "Time", at.Format("15:04"))
			return
		}
		postAt = at
	}
	var closes time.Time
	if o.close != "" {
		cl, ok := t.when(c, o.close)
		if !ok {
			t.Say("discussion.bad_time", "Value", chat.Literal(o.close))
			return
		}
		if !cl.After(postAt) {
			t.Say("discussion.close_before", "Close", cl.Format("15:04"), "Post", postAt.Format("15:04"))
			return
		}
		closes = cl
	}
	id := talk.ID(in.Event)
	anon := ""
	if o.anon {
		anon = "1"
	}
	fields := map[string]string{"q": q, "class": c.ID, "by": in.Person.ID, "mode": o.mode, "anon": anon,
		"subject": o.subject, "status": "scheduled"}
	if !closes.IsZero() {
		fields["closes"] = closes.UTC().Format(time.RFC3339)
	}
	t.Effect(dialog.SetShared{Ref: ref(id), Fields: fields})
	p := promptRec{ID: id, Exists: true, Q: q, Class: c.ID, By: in.Person.ID, Mode: o.mode, Anon: o.anon, Status: "scheduled", Closes: closes}
	if o.at != "" {
		t.Effect(dialog.SetTimer{Key: "post:" + id, At: postAt, Payload: "post:" + id})
		m := t.Say("discussion.scheduled", "Class", chat.Literal(c.Name), "Time", postAt.Format("15:04"), "Question", chat.Literal(q))
		m.Choices = []chat.Choice{{Action: Name + ".cancel", Value: id, Label: in.L.T("discussion.cancel"), Style: "danger"}}
		return
	}
	t.post(c, p)
}

// post puts a prompt in the class channel and opens it for answers.
func (t *turn) post(c *config.Class, p promptRec) {
	t.Effect(dialog.SetShared{Ref: ref(p.ID), Fields: map[string]string{"status": "open"}})
	entry, _ := json.Marshal(map[string]string{"q": p.Q, "anon": map[bool]string{true: "1"}[p.Anon]})
	t.Effect(dialog.SetShared{Ref: boardRef(c.ID), Fields: map[string]string{"p." + p.ID: string(entry)}})
	if !p.Closes.IsZero() {
		t.Effect(dialog.SetTimer{Key: "close:" + p.ID, Person: p.By, At: p.Closes, Payload: "close:" + p.ID})
	}
	L := t.classL(c)
	how := L.T("discussion.how_" + p.Mode)
	if !p.Closes.IsZero() {
		how += " " + L.T("discussion.closes_at", "Time", p.Closes.In(c.Location).Format("15:04"))
	}
	t.Post(c.ID, threadKey(p.ID), p.Q, L.T("discussion.post", "Question", chat.Literal(p.Q), "How", how), answerChoices(L, p)...)
	TL := t.In.For(p.By)
	m := t.To(p.By, TL.T("discussion.posted", "Class", chat.Literal(c.Name), "Question", chat.Literal(p.Q)))
	m.Choices = teacherChoices(TL, p)
}

func answerChoices(L *i18n.Localizer, p promptRec) []chat.Choice {
	cs := []chat.Choice{{Action: Name + ".answer", Value: p.ID, Label: L.T("discussion.answer"), Style: "primary"}}
	if p.Anon {
		cs = append(cs, chat.Choice{Action: Name + ".answer", Value: p.ID + ":anon", Label: L.T("discussion.answer_anon")})
	}
	return cs
}

func teacherChoices(L *i18n.Localizer, p promptRec) []chat.Choice {
	var cs []chat.Choice
	if !p.public() {
		cs = append(cs, chat.Choice{Action: Name + ".reveal", Value: p.ID, Label: L.T("discussion.reveal")})
	}
	return append(cs, chat.Choice{Action: Name + ".close", Value: p.ID, Label: L.T("discussion.close_now"), Style: "danger"})
}

// list shows the class's open prompts: answer buttons for pupils, reveal and close for
// its teachers.
func (t *turn) list(c *config.Class) {
	in := t.In
	b := in.Record(boardRef(c.ID))
	ids := make([]string, 0, len(b.Fields))
	for k, v := range b.Fields {
		if id, ok := strings.CutPrefix(k, "p."); ok && v != "" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	teacher := c.Teaches(in.Person)
	if len(ids) == 0 {
		key := "discussion.none_open"
		if teacher {
			key = "discussion.none_open_teacher"
		}
		t.Say(key, "Class", chat.Literal(c.Name), "Command", in.L.T("cmd.discuss.name"))
		return
	}
	for _, id := range ids {
		var e struct{ Q, Anon string }
		_ = json.Unmarshal([]byte(b.Fields["p."+id]), &e)
		p := promptRec{ID: id, Q: e.Q, Anon: e.Anon == "1"}
		switch {
		case teacher:
			m := t.Say("discussion.open_teacher", "Question", chat.Literal(e.Q))
			m.Choices = []chat.Choice{
				{Action: Name + ".reveal", Value: id, Label: in.L.T("discussion.reveal")},
				{Action: Name + ".close", Value: id, Label: in.L.T("discussion.close_now"), Style: "danger"},
			}
		case in.Person.Has(config.Pupil):
			t.Send(prompt.Ask(in.Person.ID, in.L.T("discussion.open_pupil", "Question", chat.Literal(e.Q)), answerChoices(in.L, p), in.Caps))
		default:
			t.Say("discussion.open_teacher", "Question", chat.Literal(e.Q))
		}
	}
}

func (t *turn) choice() {
	in := t.In
	if in.Action == Name+".bank" {
		t.bankPick()
		return
	}
	id, rest, _ := strings.Cut(in.Value, ":")
	p := load(in.Record(ref(id)))
	p.ID = id
	switch in.Action {
	case Name + ".answer":
		t.startAnswer(p, rest == "anon")
	case Name + ".edit":
		t.startAnswer(p, p.Answers[in.Person.ID].Anon)
	case Name + ".peek":
		t.peek(p)
	case Name + ".reveal":
		t.reveal(p)
	case Name + ".close":
		t.close(p, false)
	case Name + ".cancel":
		t.cancel(p)
	case Name + ".react":
		t.react(p, rest)
	case Name + ".save":
		t.save(p, rest)
	default:
		t.Say("discussion.gone")
	}
}

// usable says what stops the acting pupil from answering p ("" when nothing does).
func (t *turn) usable(p promptRec) string {
	switch {
	case !p.Exists:
		return "discussion.gone"
	case p.Status == "closed":
		return "discussion.closed"
	case p.Status != "open":
		return "discussion.not_yet"
	case !t.In.Person.Has(config.Pupil) || !t.In.Person.InClass(p.Class):
		return "discussion.for_pupils"
	}
	return ""
}

// startAnswer asks the pupil for their answer: a form where the platform has one,
// else a conversation in the DM.
func (t *turn) startAnswer(p promptRec, anon bool) {
	in := t.In
	if key := t.usable(p); key != "" {
		t.Say(key, "Question", chat.Literal(p.Q))
		return
	}
	anon = anon && p.Anon
	action := Name + ".answer." + p.ID
	if anon {
		action = Name + ".anon." + p.ID
	}
	ask := in.L.T("discussion.ask", "Question", chat.Literal(p.Q))
	if prev, ok := p.Answers[in.Person.ID]; ok {
		ask = in.L.T("discussion.ask_change", "Question", chat.Literal(p.Q), "Answer", chat.Literal(prev.Text))
	}
	if anon {
		ask += "\n" + in.L.T("discussion.anon_note")
	}
	f := chat.Form{Action: action, Title: in.L.T("discussion.form_title"), Open: in.L.T("discussion.answer"), Submit: in.L.T("discussion.form_submit"),
		Fields: []chat.Field{{ID: "answer", Label: talk.Shorten(p.Q, 45), Multiline: true, Required: true, MaxLen: MaxAnswer}}}
	t.Send(prompt.Form(in.Person.ID, ask, f, in.Caps))
	if !in.Caps.Forms {
		t.st.Answering, t.st.Anon = p.ID, anon
		t.Res.Topic = in.L.T("discussion.topic_answer", "Question", chat.Literal(talk.Shorten(p.Q, 40)))
		t.Res.ListenRefs = []dialog.Ref{ref(p.ID)}
	}
}

func (t *turn) form() {
	in := t.In
	id := promptID(in)
	p := load(in.Record(ref(id)))
	p.ID = id
	switch {
	case strings.HasPrefix(in.Action, Name+".answer."):
		t.giveAnswer(p, in.Fields["answer"], false)
	case strings.HasPrefix(in.Action, Name+".anon."):
		t.giveAnswer(p, in.Fields["answer"], true)
	case in.Action == Name+".name":
		t.finishNaming(in.Fields[terms.FieldWord], in.Fields[terms.FieldText])
	default:
		t.Say("discussion.gone")
	}
}

// text is typed text: in the DM for an answer, a reaction or a term's word; or in the
// prompt's thread.
func (t *turn) text() {
	in := t.In
	if in.Thread != "" {
		t.threadText()
		return
	}
	switch {
	case t.st.Naming != nil:
		t.finishNaming(in.Text, "")
	case t.st.React != "":
		id, rest, _ := strings.Cut(t.st.React, ":")
		p := load(in.Record(ref(id)))
		p.ID = id
		t.giveReaction(p, rest, in.Text)
	case t.st.Answering != "":
		p := load(in.Record(ref(t.st.Answering)))
		p.ID = t.st.Answering
		t.giveAnswer(p, in.Text, t.st.Anon)
	case !in.Channel:
		// Not waiting for anything (an old conversation): the words are for whoever
		// listens next, or the inbox, which checks them.
		t.Res.Pass = true
	default:
		t.CheckAlerts(in.Text, "discussion.alert")
		t.Say("discussion.not_waiting", "Command", in.L.T("cmd.discuss.name"))
	}
}

// threadText is text typed in the prompt's thread: a first answer in open mode is the
// pupil's answer; otherwise the pupil is told privately what happens with it.
func (t *turn) threadText() {
	in := t.In
	id := promptID(in)
	p := load(in.Record(ref(id)))
	p.ID = id
	t.CheckAlerts(in.Text, "discussion.alert")
	if key := t.usable(p); key != "" {
		if key == "discussion.for_pupils" {
			return // staff talk in the thread; nothing to do
		}
		m := t.Say(key, "Question", chat.Literal(p.Q))
		m.Ephemeral = true
		return
	}
	if _, answered := p.Answers[in.Person.ID]; answered {
		m := t.Say("discussion.thread_answered")
		m.Ephemeral = true
		m.Choices = []chat.Choice{{Action: Name + ".edit", Value: p.ID, Label: in.L.T("discussion.change")}}
		return
	}
	if p.Mode != Open {
		// Think first: classmates could read it in the thread already, but it still
		// counts as the pupil's answer (never lost); tell them the private way.
		t.giveAnswer(p, in.Text, false)
		t.Say("discussion.thread_think")
		return
	}
	t.giveAnswer(p, in.Text, false)
}

// giveAnswer stores a pupil's (new or changed) answer.
func (t *turn) giveAnswer(p promptRec, text string, anon bool) {
	in := t.In
	t.CheckAlerts(text, "discussion.alert")
	if key := t.usable(p); key != "" {
		t.st.Answering = ""
		if strings.TrimSpace(text) != "" && key == "discussion.closed" {
			// The words are not saved: give them back so nothing vanishes.
			t.Say("discussion.closed_text", "Question", chat.Literal(p.Q), "Text", chat.Literal(text))
			return
		}
		t.Say(key, "Question", chat.Literal(p.Q))
		return
	}
	body, problem, n := prompt.Text(text, MaxAnswer)
	switch problem {
	case prompt.Empty:
		t.Say("discussion.empty")
		t.keepAsking(p, anon)
		return
	case prompt.TooLong:
		t.Say("discussion.answer_too_long", "Len", n, "Max", MaxAnswer, "Text", chat.Literal(body))
		t.keepAsking(p, anon)
		return
	}
	prev, had := p.Answers[in.Person.ID]
	a := answer{Text: body, Anon: anon && p.Anon, At: in.Now.UTC(), H: talk.ID("answer/" + in.Event)[:8]}
	if had {
		a.Edits = prev.Edits + 1
		a.At = prev.At // keeps its place in the order
		a.H = prev.H   // and its reactions
	}
	doc, _ := json.Marshal(a)
	t.Effect(dialog.SetMember{Ref: ref(p.ID), Member: in.Person.ID, Value: string(doc)})
	p.Answers[in.Person.ID] = a // posted below with its handle
	t.st.Answering, t.st.Anon = "", false
	key := "discussion.saved"
	if had {
		key = "discussion.changed"
	}
	if a.Anon {
		key += "_anon"
	}
	m := t.Say(key, "Question", chat.Literal(p.Q))
	m.Choices = []chat.Choice{{Action: Name + ".edit", Value: p.ID, Label: in.L.T("discussion.change")}}
	if !p.public() {
		m.Choices = append(m.Choices, chat.Choice{Action: Name + ".peek", Value: p.ID, Label: in.L.T("discussion.peek")})
	}
	if p.public() {
		c, ok := in.School.Class(p.Class)
		if ok {
			t.postAnswer(c, p, in.Person.ID, a, had)
		}
	}
}

func (t *turn) keepAsking(p promptRec, anon bool) {
	if !t.In.Caps.Forms {
		t.st.Answering, t.st.Anon = p.ID, anon
		t.Res.ListenRefs = []dialog.Ref{ref(p.ID)}
	}
}

// label is how an answer's author is shown to classmates.
func label(L *i18n.Localizer, s *config.School, who string, a answer) string {
	if a.Anon {
		return L.T("discussion.anonymous")
	}
	if p, ok := s.Person(who); ok {
		return chat.Literal(p.Name)
	}
	return chat.Literal(who)
}

func reactChoices(L *i18n.Localizer, p promptRec, who string) []chat.Choice {
	h := p.ID + ":" + p.handle(who)
	return []chat.Choice{
		{Action: Name + ".react", Value: h + ":agree", Label: L.T("discussion.react_agree")},
		{Action: Name + ".react", Value: h + ":question", Label: L.T("discussion.react_question")},
		{Action: Name + ".react", Value: h + ":build", Label: L.T("discussion.react_build")},
	}
}

// postAnswer shows one answer in the thread with the reaction buttons.
func (t *turn) postAnswer(c *config.Class, p promptRec, who string, a answer, changed bool) {
	L := t.classL(c)
	key := "discussion.thread_answer"
	if changed {
		key = "discussion.thread_answer_changed"
	}
	t.Post(c.ID, threadKey(p.ID), p.Q, L.T(key, "Name", label(L, t.In.School, who, a), "Text", chat.Literal(a.Text)), reactChoices(L, p, who)...)
}

// peek shows a pupil who answered (or everyone, once revealed) the classmates' answers.
func (t *turn) peek(p promptRec) {
	in := t.In
	if !p.Exists {
		t.Say("discussion.gone")
		return
	}
	if !in.Person.InClass(p.Class) && !t.teaches(p) {
		t.Say("discussion.for_pupils")
		return
	}
	if _, ok := p.Answers[in.Person.ID]; !ok && !p.public() && !t.teaches(p) {
		t.Say("discussion.answer_first")
		return
	}
	var lines []string
	for _, who := range p.order() {
		if who == in.Person.ID {
			continue
		}
		a := p.Answers[who]
		lines = append(lines, in.L.T("discussion.peek_line", "Name", label(in.L, in.School, who, a), "Text", chat.Literal(a.Text)))
	}
	if len(lines) == 0 {
		t.Say("discussion.peek_none")
		return
	}
	for i, body := range talk.Chunks(lines, chunk) {
		if i == 0 {
			body = in.L.T("discussion.peek_head", "Question", chat.Literal(p.Q), "Count", len(lines)) + "\n" + body
		}
		t.To(in.Person.ID, body)
	}
}

func (t *turn) teaches(p promptRec) bool {
	c, ok := t.In.School.Class(p.Class)
	return ok && c.Teaches(t.In.Person)
}

// teacherGate checks that the acting person may run teacher action on p.
func (t *turn) teacherGate(p promptRec) (*config.Class, bool) {
	if !p.Exists {
		t.Say("discussion.gone")
		return nil, false
	}
	c, ok := t.In.School.Class(p.Class)
	if !ok {
		t.Say("discussion.gone")
		return nil, false
	}
	if !c.Teaches(t.In.Person) {
		t.Say("discussion.only_teacher")
		return nil, false
	}
	return c, true
}

// reveal shows every answer in the thread.
func (t *turn) reveal(p promptRec) {
	c, ok := t.teacherGate(p)
	if !ok {
		return
	}
	switch {
	case p.Status == "scheduled":
		t.Say("discussion.not_yet", "Question", chat.Literal(p.Q))
		return
	case p.public():
		t.Say("discussion.already_revealed")
		return
	}
	t.Effect(dialog.SetShared{Ref: ref(p.ID), Fields: map[string]string{"revealed": "1"}})
	L := t.classL(c)
	t.Post(c.ID, threadKey(p.ID), p.Q, L.T("discussion.revealed_post", "Question", chat.Literal(p.Q), "Count", len(p.Answers)))
	for _, who := range p.order() {
		t.postAnswer(c, p, who, p.Answers[who], false)
	}
	t.Say("discussion.revealed", "Count", len(p.Answers))
}

// cancel takes back a scheduled prompt before it is posted.
func (t *turn) cancel(p promptRec) {
	if _, ok := t.teacherGate(p); !ok {
		return
	}
	if p.Status != "scheduled" {
		t.Say("discussion.cancel_too_late")
		return
	}
	t.Effect(dialog.SetShared{Ref: ref(p.ID), Fields: map[string]string{"status": "closed"}},
		dialog.CancelTimer{Key: "post:" + p.ID, Person: p.By})
	t.Say("discussion.cancelled", "Question", chat.Literal(p.Q))
}

func (t *turn) wake() {
	in := t.In
	kind, id, _ := strings.Cut(in.Payload, ":")
	p := load(in.Record(ref(id)))
	p.ID = id
	c, ok := in.School.Class(p.Class)
	if !p.Exists || !ok {
		return
	}
	switch kind {
	case "post":
		if p.Status == "scheduled" {
			t.post(c, p)
		}
	case "close":
		t.close(p, true)
	}
}

// close ends a prompt: the thread says so, the teacher gets the digest privately.
func (t *turn) close(p promptRec, byTimer bool) {
	in := t.In
	var c *config.Class
	if byTimer {
		var ok bool
		if c, ok = in.School.Class(p.Class); !ok || !p.Exists {
			return
		}
	} else {
		var ok bool
		if c, ok = t.teacherGate(p); !ok {
			return
		}
	}
	switch p.Status {
	case "closed":
		if !byTimer {
			t.Say("discussion.already_closed")
		}
		return
	case "scheduled":
		if !byTimer {
			t.Say("discussion.not_yet", "Question", chat.Literal(p.Q))
		}
		return
	}
	t.Effect(dialog.SetShared{Ref: ref(p.ID), Fields: map[string]string{"status": "closed"}},
		dialog.SetShared{Ref: boardRef(c.ID), Fields: map[string]string{"p." + p.ID: ""}})
	if !byTimer {
		t.Effect(dialog.CancelTimer{Key: "close:" + p.ID, Person: p.By})
	}
	L := t.classL(c)
	t.Post(c.ID, threadKey(p.ID), p.Q, L.T("discussion.closed_post", "Question", chat.Literal(p.Q), "Count", len(p.Answers)))
	t.digest(c, p)
}

// digest tells the teacher who posted p (privately): how many answered, who did not,
// and every answer with near-identical ones grouped, each with a save button.
func (t *turn) digest(c *config.Class, p promptRec) {
	in := t.In
	to := p.By
	if !c.Teaches(mustPerson(in.School, to)) {
		to = in.Person.ID
	}
	L := in.For(to)
	pupils := in.School.Members(c.ID, config.Pupil)
	var missing []string
	for _, pp := range pupils {
		if _, ok := p.Answers[pp.ID]; !ok {
			missing = append(missing, pp.Name)
		}
	}
	head := L.T("discussion.digest", "Question", chat.Literal(p.Q), "Answered", len(p.Answers), "Total", len(pupils))
	if len(missing) > 0 {
		head += "\n" + L.T("discussion.missing", "Names", chat.Literal(strings.Join(missing, ", ")))
	}
	groups := Group(p)
	lines := []string{head}
	var choices []chat.Choice
	for i, g := range groups {
		var names []string
		for _, who := range g {
			n := mustPerson(in.School, who).Name
			if p.Answers[who].Anon {
				n = L.T("discussion.anon_to_class", "Name", n)
			}
			names = append(names, n)
		}
		first := p.Answers[g[0]]
		key := "discussion.digest_line"
		if len(g) > 1 {
			key = "discussion.digest_group"
		}
		line := L.T(key, "N", i+1, "Names", chat.Literal(strings.Join(names, ", ")), "Count", len(g), "Text", chat.Literal(first.Text))
		for _, who := range g[1:] {
			if a := p.Answers[who]; a.Text != first.Text {
				line += "\n" + L.T("discussion.digest_variant", "Name", chat.Literal(mustPerson(in.School, who).Name), "Text", chat.Literal(a.Text))
			}
		}
		if n := agreeCount(p, g); n > 0 {
			line += " " + L.T("discussion.digest_agree", "Count", n)
		}
		lines = append(lines, line)
		// A message holds at most 25 buttons (Discord): the first 24 answers get one;
		// later ones are saved with /term add.
		if i < 24 {
			choices = append(choices, chat.Choice{Action: Name + ".save", Value: p.ID + ":" + p.handle(g[0]), Label: L.T("discussion.save", "N", i+1)})
		}
	}
	chunks := talk.Chunks(lines, chunk)
	for i, body := range chunks {
		if i < len(chunks)-1 {
			m := t.To(to, body)
			m.Staff = true
			continue
		}
		if len(choices) > 0 {
			body += "\n" + L.T("discussion.save_hint")
		}
		if !p.public() {
			choices = append(choices, chat.Choice{Action: Name + ".reveal", Value: p.ID, Label: L.T("discussion.reveal")})
		}
		m := prompt.Ask(to, body, choices, in.Caps)
		m.Staff = true
		t.Send(m)
	}
}

func agreeCount(p promptRec, group []string) int {
	n := 0
	for _, who := range group {
		n += len(p.Agree[p.handle(who)])
	}
	return n
}

func mustPerson(s *config.School, id string) *config.Person {
	if p, ok := s.Person(id); ok {
		return p
	}
	return &config.Person{ID: id, Name: id}
}

// react handles a reaction button under a classmate's answer: agree at once; a question
// or building on it asks for the text.
func (t *turn) react(p promptRec, rest string) {
	in := t.In
	h, kind, _ := strings.Cut(rest, ":")
	if !p.Exists {
		t.Say("discussion.gone")
		return
	}
	if !in.Person.Has(config.Pupil) || !in.Person.InClass(p.Class) {
		t.Say("discussion.for_pupils")
		return
	}
	who, ok := p.byHandle(h)
	if !ok || !p.public() {
		t.Say("discussion.react_gone")
		return
	}
	if who == in.Person.ID {
		t.Say("discussion.react_own")
		return
	}
	c, ok := in.School.Class(p.Class)
	if !ok {
		t.Say("discussion.gone")
		return
	}
	a := p.Answers[who]
	switch kind {
	case "agree":
		for _, x := range p.Agree[h] {
			if x == in.Person.ID {
				t.Say("discussion.agreed_already")
				return
			}
		}
		t.Effect(dialog.AddToSet{Ref: ref(p.ID), Set: "agree." + h, Item: in.Person.ID})
		L := t.classL(c)
		t.Post(c.ID, threadKey(p.ID), p.Q, L.T("discussion.thread_agree", "Name", chat.Literal(in.Person.Name),
			"Author", label(L, in.School, who, a), "Text", chat.Literal(talk.Shorten(a.Text, 60))))
		t.Say("discussion.agreed")
	case "question", "build":
		// The reaction is typed in the DM: a form could not carry which answer it is about.
		t.Say("discussion.react_ask_"+kind, "Author", label(in.L, in.School, who, a), "Text", chat.Literal(talk.Shorten(a.Text, 200)))
		t.st.React = p.ID + ":" + h + ":" + kind
		t.Res.ListenRefs = []dialog.Ref{ref(p.ID)}
		t.Res.Topic = in.L.T("discussion.topic_react", "Question", chat.Literal(talk.Shorten(p.Q, 40)))
	default:
		t.Say("discussion.gone")
	}
}

// giveReaction posts a pupil's question about, or addition to, a classmate's answer.
func (t *turn) giveReaction(p promptRec, hk, text string) {
	in := t.In
	t.CheckAlerts(text, "discussion.alert")
	h, kind, _ := strings.Cut(hk, ":")
	body, problem, n := prompt.Text(text, MaxReact)
	who, ok := p.byHandle(h)
	switch {
	case !p.Exists || !ok:
		t.st.React = ""
		t.Say("discussion.react_gone_text", "Text", chat.Literal(text))
		return
	case problem == prompt.Empty:
		t.Say("discussion.empty")
		return
	case problem == prompt.TooLong:
		t.Say("discussion.answer_too_long", "Len", n, "Max", MaxReact, "Text", chat.Literal(body))
		return
	}
	t.st.React = ""
	c, ok := in.School.Class(p.Class)
	if !ok {
		t.Say("discussion.react_gone_text", "Text", chat.Literal(text))
		return
	}
	L := t.classL(c)
	a := p.Answers[who]
	t.Post(c.ID, threadKey(p.ID), p.Q, L.T("discussion.thread_"+kind, "Name", chat.Literal(in.Person.Name),
		"Author", label(L, in.School, who, a), "Quote", chat.Literal(talk.Shorten(a.Text, 60)), "Text", chat.Literal(body)))
	t.Say("discussion.reacted")
}

// save starts saving an answer on the class's word list: the teacher names the word.
func (t *turn) save(p promptRec, h string) {
	c, ok := t.teacherGate(p)
	if !ok {
		return
	}
	who, ok := p.byHandle(h)
	if !ok {
		t.Say("discussion.gone")
		return
	}
	t.st.Naming = terms.Begin(&t.Turn, terms.Naming{Class: c.ID, Source: terms.FromPrompt, From: p.Q, Text: p.Answers[who].Text, Proposer: who}, Name+".name")
}

func (t *turn) finishNaming(word, text string) {
	if terms.Complete(&t.Turn, t.st.Naming, word, text) {
		t.st.Naming = nil
	}
}
