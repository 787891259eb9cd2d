// Package poll is a small class poll, the sample dialog of the core's shared
// conversations: a teacher posts a question with options to the class channel (every
// connected platform, in a thread), pupils answer by button, by typing in the thread,
// or privately in a DM conversation that waits beside their check-in; a timer closes it
// after PollDuration (or the teacher does), and the teacher gets the tally and who did
// not answer, privately. Answers are per-member fields of one shared record, so thirty
// pupils answering at once never conflict; closing bumps the record's version, so an
// answer racing the close is retried and told the poll closed.
package poll

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/prompt"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/safeguard"
)

// Name is the dialog's name, the prefix of its actions, threads and record kind.
const Name = "poll"

// Limits of a poll.
const (
	MaxQuestion  = 300
	MaxOption    = 80
	MinOptions   = 2
	MaxOptions   = 10
	PollDuration = 30 * time.Minute
)

// Dialog is the class poll. Its only state is the school's compiled safeguarding phrases.
type Dialog struct {
	guard safeguard.Cache
}

// New returns the poll dialog.
func New() *Dialog { return &Dialog{} }

// Name implements dialog.Dialog.
func (*Dialog) Name() string { return Name }

// Commands implements dialog.Dialog.
func (*Dialog) Commands() []dialog.CommandSpec {
	return []dialog.CommandSpec{{Name: "poll", Roles: []config.Role{config.Teacher}, Options: []dialog.OptionSpec{
		// The text takes the rest of the line; the class is named ("class:2B") or chosen.
		{Name: "poll", Kind: dialog.OptText, Required: true},
		{Name: "class", Kind: dialog.OptClass},
	}}}
}

// Records implements dialog.Recorder: a poll is a shared record whose members are the
// pupils who answered (their choice, never free text).
func (*Dialog) Records() []record.Kind {
	return []record.Kind{{Name: Name, Key: "poll:{id}", Shape: record.SharedRecord,
		Owners: record.OwnedByMembers, Readers: []string{"teacher of the class"}}}
}

func ref(id string) dialog.Ref { return dialog.Ref{Kind: Name, ID: id} }

// Reads implements dialog.Reader: the poll named by the button, thread or timer.
func (*Dialog) Reads(in dialog.Input) []dialog.Ref {
	if id := pollID(in); id != "" {
		return []dialog.Ref{ref(id)}
	}
	return nil
}

func pollID(in dialog.Input) string {
	switch {
	case in.Kind == dialog.Choice:
		id, _, _ := strings.Cut(in.Value, ":")
		return id
	case in.Kind == dialog.Wake:
		return in.Payload
	case in.Thread != "":
		return strings.TrimPrefix(in.Thread, Name+":")
	}
	return ""
}

type state struct {
	// Poll is the poll the person answers privately.
	Poll string `json:"poll"`
}

// poll is the shared record as the dialog uses it.
type poll struct {
	ID      string
	Exists  bool
	Q       string
	Options []string
	Class   string
	By      string
	Closed  bool
	Answers map[string]string // pupil -> option index (1-based)
}

func load(s dialog.Shared) poll {
	p := poll{ID: s.ID, Exists: s.Exists, Q: s.Fields["q"], Class: s.Fields["class"], By: s.Fields["by"],
		Closed: s.Fields["status"] == "closed", Answers: s.Members}
	_ = json.Unmarshal([]byte(s.Fields["options"]), &p.Options)
	return p
}

type turn struct {
	d   *Dialog
	in  dialog.Input
	res dialog.Result
	st  state
}

func (t *turn) to(person, text string) *chat.Message {
	t.res.Messages = append(t.res.Messages, chat.Message{To: chat.Target{Kind: chat.ToPerson, Person: person}, Text: text})
	return &t.res.Messages[len(t.res.Messages)-1]
}

func (t *turn) say(key string, kv ...any) { t.to(t.in.Person.ID, t.in.L.T(key, kv...)) }

func (t *turn) effect(e dialog.Effect) { t.res.Effects = append(t.res.Effects, e) }

// Step implements dialog.Dialog.
func (d *Dialog) Step(in dialog.Input) (dialog.Result, error) {
	t := &turn{d: d, in: in}
	if len(in.State) > 0 {
		_ = json.Unmarshal(in.State, &t.st)
	}
	before := t.st.Poll
	switch in.Kind {
	case dialog.Command:
		t.create()
	case dialog.Choice:
		t.choice()
	case dialog.Text:
		t.text()
	case dialog.Wake:
		t.close(true)
	}
	// The private question stays open (and on the person's conversation stack) until
	// it is answered, whatever else this step did.
	if t.st.Poll == "" {
		t.res.Clear = before != ""
		t.res.Listen = false
	} else {
		doc, _ := json.Marshal(t.st)
		t.res.State = doc
		t.res.Listen = true
		if t.res.ListenRefs == nil {
			t.res.ListenRefs = []dialog.Ref{ref(t.st.Poll)}
		}
	}
	return t.res, nil
}

// classL is the language of the class's own posts.
func classL(in dialog.Input, c *config.Class) *i18n.Localizer {
	if in.LocalizerFor == nil {
		return in.L
	}
	return in.LocalizerFor(config.ClassActor(c))
}

// create posts a new poll: "/poll Question | option | option".
func (t *turn) create() {
	parts := strings.Split(t.in.Args["poll"], "|")
	q := strings.TrimSpace(parts[0])
	var opts []string
	for _, o := range parts[1:] {
		if o = strings.TrimSpace(o); o != "" {
			opts = append(opts, o)
		}
	}
	cmd := t.in.L.T("cmd.poll.name")
	switch {
	case q == "" || len(opts) < MinOptions:
		t.say("poll.usage", "Command", cmd, "Min", MinOptions)
		return
	case len(opts) > MaxOptions:
		t.say("poll.too_many", "Count", len(opts), "Max", MaxOptions)
		return
	case len([]rune(q)) > MaxQuestion:
		t.say("poll.too_long", "Len", len([]rune(q)), "Max", MaxQuestion)
		return
	}
	for _, o := range opts {
		if len([]rune(o)) > MaxOption {
			t.say("poll.option_too_long", "Option", chat.Literal(o), "Max", MaxOption)
			return
		}
	}
	classID := t.in.Args["class"]
	if classID == "" {
		classID = t.in.Person.Class()
	}
	c, ok := t.in.School.Class(classID)
	if !ok {
		t.say("poll.no_class", "Command", cmd)
		return
	}
	if !c.Teaches(t.in.Person) {
		t.say("poll.not_your_class", "Class", chat.Literal(c.Name))
		return
	}
	id := shortID(t.in.Event)
	closes := t.in.Now.Add(PollDuration)
	optsDoc, _ := json.Marshal(opts)
	t.effect(dialog.SetShared{Ref: ref(id), Fields: map[string]string{
		"q": q, "options": string(optsDoc), "class": c.ID, "by": t.in.Person.ID, "status": "open",
		"closes": closes.UTC().Format(time.RFC3339),
	}})
	t.effect(dialog.SetTimer{Key: "close:" + id, At: closes, Payload: id})
	// The class post speaks the class's language.
	L := classL(t.in, c)
	choices := voteChoices(id, opts)
	choices = append(choices, chat.Choice{Action: Name + ".private", Value: id, Label: L.T("poll.answer_privately")})
	t.res.Messages = append(t.res.Messages, chat.Message{
		To:      chat.Target{Kind: chat.ToThread, Class: c.ID, Thread: Name + ":" + id, ThreadTitle: shorten(q, 90)},
		Text:    L.T("poll.post", "Question", chat.Literal(q), "Options", chat.Literal(prompt.Numbered(choices[:len(opts)])), "Closes", closes.Format("15:04")),
		Choices: choices,
	})
	m := t.to(t.in.Person.ID, t.in.L.T("poll.created", "Class", chat.Literal(c.Name), "Closes", closes.Format("15:04")))
	m.Choices = []chat.Choice{{Action: Name + ".close", Value: id, Label: t.in.L.T("poll.close_now"), Style: "danger"}}
}

func voteChoices(id string, opts []string) []chat.Choice {
	out := make([]chat.Choice, len(opts))
	for i, o := range opts {
		out[i] = chat.Choice{Action: Name + ".vote", Value: id + ":" + strconv.Itoa(i+1), Label: o}
	}
	return out
}

func (t *turn) choice() {
	id, val, _ := strings.Cut(t.in.Value, ":")
	p := load(t.in.Record(ref(id)))
	switch t.in.Action {
	case Name + ".vote":
		n, _ := strconv.Atoi(val)
		t.vote(p, n)
	case Name + ".private":
		t.private(p)
	case Name + ".close":
		t.close(false)
	default:
		t.say("poll.gone")
	}
}

// vote records pupil's answer n (1-based) to p.
func (t *turn) vote(p poll, n int) bool {
	switch {
	case !p.Exists:
		t.say("poll.gone")
		t.forget(p.ID)
		return true
	case p.Closed:
		t.say("poll.closed", "Question", chat.Literal(p.Q))
		t.forget(p.ID)
		return true
	case !t.in.Person.Has(config.Pupil) || !t.in.Person.InClass(p.Class):
		t.say("poll.not_for_you")
		return true
	case n < 1 || n > len(p.Options):
		return false
	}
	key := "poll.voted"
	if prev := p.Answers[t.in.Person.ID]; prev != "" && prev != strconv.Itoa(n) {
		key = "poll.changed"
	}
	t.effect(dialog.SetMember{Ref: ref(p.ID), Member: t.in.Person.ID, Value: strconv.Itoa(n)})
	t.say(key, "Option", chat.Literal(p.Options[n-1]), "Question", chat.Literal(p.Q))
	if t.st.Poll == p.ID {
		t.st.Poll = ""
	}
	return true
}

// forget drops the private question about poll id, which can no longer be answered.
func (t *turn) forget(id string) {
	if t.st.Poll == id {
		t.st.Poll = ""
	}
}

// private opens a DM conversation about p that waits beside the pupil's other ones.
func (t *turn) private(p poll) {
	if !p.Exists || p.Closed || !t.in.Person.InClass(p.Class) || !t.in.Person.Has(config.Pupil) {
		t.vote(p, 0)
		return
	}
	t.st.Poll = p.ID
	t.ask(p, "poll.ask")
}

func (t *turn) ask(p poll, key string) {
	t.res.Topic = t.in.L.T("poll.topic", "Question", chat.Literal(shorten(p.Q, 40)))
	t.res.ListenRefs = []dialog.Ref{ref(p.ID)}
	m := prompt.Ask(t.in.Person.ID, t.in.L.T(key, "Question", chat.Literal(p.Q)), voteChoices(p.ID, p.Options), t.in.Caps)
	t.res.Messages = append(t.res.Messages, m)
}

// text is an answer typed in the poll's thread or in the private conversation.
func (t *turn) text() {
	id := pollID(t.in)
	inThread := id != ""
	if !inThread {
		id = t.st.Poll
	}
	p := load(t.in.Record(ref(id)))
	p.ID = id
	if !inThread && (id == "" || !p.Exists || p.Closed) {
		if _, vote := prompt.Match(t.in.Text, voteChoices(p.ID, p.Options), prompt.By{Number: true}); id != "" && p.Exists && vote {
			t.vote(p, 0) // a late vote: told the poll closed
			return
		}
		// What this conversation waited for is gone, and the words are not a vote: they
		// were meant for someone else, so the next conversation (or the inbox) gets them.
		t.forget(id)
		t.res.Pass = true
		return
	}
	if t.in.Person.Has(config.Pupil) {
		t.alert()
	}
	if id == "" || !p.Exists || p.Closed {
		t.vote(p, 0)
		return
	}
	c, ok := prompt.Match(t.in.Text, voteChoices(p.ID, p.Options), prompt.By{Number: true})
	if !ok {
		if inThread {
			t.say("poll.unclear", "Options", chat.Literal(prompt.Numbered(voteChoices(p.ID, p.Options))))
			return
		}
		t.ask(p, "poll.reask")
		return
	}
	_, val, _ := strings.Cut(c.Value, ":")
	n, _ := strconv.Atoi(val)
	t.vote(p, n)
}

// alert checks a pupil's typed answer for safeguarding phrases (bot/safeguard): on a
// hit the pupil is told privately where to find help now, and their mentor and the
// care contacts get a private alert with the words.
func (t *turn) alert() {
	// A matcher that failed to compile is nil: the Engine's (in.Alerts) still counts.
	m, _ := t.d.guard.For(t.in.School)
	msgs, effects, _ := safeguard.Check(m, &t.in, t.in.Text, safeguard.WherePoll)
	t.res.Messages = append(t.res.Messages, msgs...)
	t.res.Effects = append(t.res.Effects, effects...)
}

// close ends the poll: the class sees the totals, the teacher privately the tally and
// who did not answer. byTimer is the poll's own timer; otherwise a teacher pressed
// "close now".
func (t *turn) close(byTimer bool) {
	id := pollID(t.in)
	p := load(t.in.Record(ref(id)))
	if !p.Exists {
		if !byTimer {
			t.say("poll.gone")
		}
		return
	}
	if p.Closed {
		if !byTimer {
			t.say("poll.already_closed")
		}
		return
	}
	c, ok := t.in.School.Class(p.Class)
	if !ok {
		return
	}
	if !byTimer {
		if !c.Teaches(t.in.Person) {
			t.say("poll.only_teacher")
			return
		}
		t.effect(dialog.CancelTimer{Key: "close:" + id, Person: p.By})
	}
	t.effect(dialog.SetShared{Ref: ref(id), Fields: map[string]string{"status": "closed"}})
	counts := make([]int, len(p.Options))
	for _, v := range p.Answers {
		if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= len(counts) {
			counts[n-1]++
		}
	}
	pupils := t.in.School.Members(c.ID, config.Pupil)
	var missing []string
	for _, pp := range pupils {
		if p.Answers[pp.ID] == "" {
			missing = append(missing, pp.Name)
		}
	}
	cl := classL(t.in, c)
	t.res.Messages = append(t.res.Messages, chat.Message{
		To:   chat.Target{Kind: chat.ToThread, Class: c.ID, Thread: Name + ":" + id, ThreadTitle: shorten(p.Q, 90)},
		Text: cl.T("poll.result", "Question", chat.Literal(p.Q), "Tally", tally(cl, p.Options, counts)),
	})
	teacher := p.By
	L := t.in.For(teacher)
	body := L.T("poll.report", "Question", chat.Literal(p.Q), "Tally", tally(L, p.Options, counts),
		"Answered", len(p.Answers), "Total", len(pupils))
	if len(missing) > 0 {
		body += "\n" + L.T("poll.missing", "Names", chat.Literal(strings.Join(missing, ", ")))
	}
	t.to(teacher, body)
}

func tally(L *i18n.Localizer, opts []string, counts []int) string {
	var b strings.Builder
	for i, o := range opts {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(L.T("poll.tally_line", "Option", chat.Literal(o), "Count", counts[i]))
	}
	return b.String()
}

func shortID(event string) string {
	h := sha256.Sum256([]byte(event))
	return hex.EncodeToString(h[:5])
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
