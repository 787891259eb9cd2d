// Package nod is how a mentor answers a pupil's check-in as a person: the nod ("your
// mentor has seen your check-in", with the mentor's own words, from a button in the
// digest or /nod, /knik) and the relayed reply (/reply, /antwoord): the mentor's words
// reach the pupil, and what the pupil types back goes to the mentor, through the
// pupil's conversation stack. The mentor may also keep a note for the progress
// conversation (/note, /notitie). All three are kept in the pupil's record (kinds
// "nod", "relay" and "note"), and every word the pupil types back is checked for
// safeguarding phrases.
package nod

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/safeguard"
)

// Name is the dialog's name.
const Name = "nod"

// The dialog's actions and timer.
const (
	// ActionNod is the nod button (Value: the pupil's id).
	ActionNod = Name + ".nod"
	// TimerRelay wakes the pupil's side of a relayed message.
	TimerRelay = "relay"
	// MaxWords limits a nod's or reply's words.
	MaxWords = 1000
)

// The record kinds (declared in bot/record, which the period report reads).
const (
	KindNod   = record.KindNod
	KindRelay = record.KindRelay
	KindNote  = record.KindNote
)

// Note is a nod, one relayed message or a mentor's note, kept in the pupil's record.
type Note = record.Note

// Dialog is the nod and the relayed reply.
type Dialog struct {
	guard safeguard.Cache
}

// New returns the dialog.
func New() *Dialog { return &Dialog{} }

// Name implements dialog.Dialog.
func (*Dialog) Name() string { return Name }

// Commands implements dialog.Dialog.
func (*Dialog) Commands() []dialog.CommandSpec {
	staff := []config.Role{config.Mentor, config.Care}
	return []dialog.CommandSpec{
		{Name: "nod", Roles: staff, Options: []dialog.OptionSpec{
			{Name: "pupil", Kind: dialog.OptPerson, Required: true}, {Name: "words", Kind: dialog.OptText}}},
		{Name: "reply", Roles: staff, Options: []dialog.OptionSpec{
			{Name: "pupil", Kind: dialog.OptPerson, Required: true}, {Name: "words", Kind: dialog.OptText, Required: true}}},
		{Name: "note", Roles: staff, Options: []dialog.OptionSpec{
			{Name: "pupil", Kind: dialog.OptPerson, Required: true}, {Name: "words", Kind: dialog.OptText, Required: true}}},
	}
}

// Records implements dialog.Recorder: nods, relayed messages and notes are the pupil's.
func (*Dialog) Records() []record.Kind { return record.MentorKinds() }

type state struct {
	// Mentor is who the pupil's next typed text goes back to.
	Mentor string `json:"mentor,omitempty"`
}

type turn struct {
	d   *Dialog
	in  dialog.Input
	res dialog.Result
	st  state
}

func (t *turn) to(id, text string, staff bool) {
	t.res.Messages = append(t.res.Messages, chat.Message{To: chat.Target{Kind: chat.ToPerson, Person: id}, Text: text, Staff: staff})
}

func (t *turn) say(key string, kv ...any) {
	t.to(t.in.Person.ID, t.in.L.T(key, kv...), !t.in.Person.Has(config.Pupil))
}

func (t *turn) effect(e ...dialog.Effect) { t.res.Effects = append(t.res.Effects, e...) }

// Step implements dialog.Dialog.
func (d *Dialog) Step(in dialog.Input) (dialog.Result, error) {
	t := &turn{d: d, in: in}
	if len(in.State) > 0 {
		_ = json.Unmarshal(in.State, &t.st)
	}
	before := t.st.Mentor
	switch {
	case in.Kind == dialog.Command && in.Command == "nod":
		t.nod(in.Args["pupil"], in.Args["words"])
	case in.Kind == dialog.Choice && in.Action == ActionNod:
		t.nod(in.Value, "")
	case in.Kind == dialog.Command && in.Command == "reply":
		t.relayOut()
	case in.Kind == dialog.Command && in.Command == "note":
		t.note()
	case in.Kind == dialog.Wake && in.Timer == TimerRelay:
		t.deliver()
	case in.Kind == dialog.Text:
		t.relayBack()
	}
	if t.st.Mentor != "" {
		doc, _ := json.Marshal(t.st)
		t.res.State = doc
		t.res.Listen = true
		t.res.Topic = in.L.T("nod.topic")
	} else {
		t.res.Clear = before != ""
	}
	return t.res, nil
}

// pupil resolves the pupil a staff member names, or says why not.
func (t *turn) pupil(id string) (*config.Person, bool) {
	p, ok := t.in.School.Person(id)
	if !ok || !p.Has(config.Pupil) {
		t.say("nod.unknown", "Ref", chat.Literal(id))
		return nil, false
	}
	if p.Mentor != t.in.Person.ID && !t.in.Person.Has(config.Care) {
		t.say("nod.not_yours", "Name", chat.Literal(p.Name))
		return nil, false
	}
	return p, true
}

func (t *turn) words(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if n := len([]rune(s)); n > MaxWords {
		t.say("nod.too_long", "Len", n, "Max", MaxWords)
		return "", false
	}
	return s, true
}

func (t *turn) id() string {
	h := sha256.Sum256([]byte(t.in.Event))
	return hex.EncodeToString(h[:6])
}

// nod tells the pupil their mentor saw their check-in, with the mentor's words.
func (t *turn) nod(pupilID, words string) {
	p, ok := t.pupil(pupilID)
	if !ok {
		return
	}
	w, ok := t.words(words)
	if !ok {
		return
	}
	if !t.in.CanReach(p.ID) {
		t.say("nod.unreachable", "Name", chat.Literal(p.Name))
		return
	}
	L := t.in.For(p.ID)
	text := L.T("nod.pupil", "Mentor", chat.Literal(t.in.Person.Name))
	if w != "" {
		text += "\n" + L.T("nod.pupil.words", "Words", chat.Literal(w))
	}
	t.to(p.ID, text, false)
	t.effect(dialog.Put{Kind: KindNod, Owner: p.ID, ID: t.id(), Score: float64(t.in.Now.UnixMilli()),
		Doc: Note{From: t.in.Person.ID, To: p.ID, Text: w, Time: t.in.Now}})
	t.say("nod.sent", "Name", chat.Literal(p.Name))
}

// pupilAndWords resolves the command's pupil and its required words, or says what is
// wrong: an unknown or other mentor's pupil, words too long, or no words (the usage
// line usage, naming the command cmd in the reader's language).
func (t *turn) pupilAndWords(usage, cmd string) (*config.Person, string, bool) {
	p, ok := t.pupil(t.in.Args["pupil"])
	if !ok {
		return nil, "", false
	}
	w, ok := t.words(t.in.Args["words"])
	if ok && w == "" {
		t.say(usage, "Command", t.in.L.T(cmd))
		ok = false
	}
	return p, w, ok
}

// relayOut is the mentor's /reply: kept in the pupil's record, and a timer wakes the
// pupil's side now, so the conversation sits on the pupil's stack and their typed
// answer comes back here.
func (t *turn) relayOut() {
	p, w, ok := t.pupilAndWords("nod.reply_usage", "cmd.reply.name")
	if !ok {
		return
	}
	if !t.in.CanReach(p.ID) {
		t.say("nod.unreachable", "Name", chat.Literal(p.Name))
		return
	}
	note := Note{From: t.in.Person.ID, To: p.ID, Text: w, Time: t.in.Now}
	doc, _ := json.Marshal(note)
	t.effect(
		dialog.Put{Kind: KindRelay, Owner: p.ID, ID: t.id(), Score: float64(t.in.Now.UnixMilli()), Doc: note},
		dialog.SetTimer{Key: TimerRelay, Person: p.ID, At: t.in.Now, Payload: string(doc)},
	)
	t.say("nod.reply_sent", "Name", chat.Literal(p.Name))
}

// note keeps the mentor's note in the pupil's record, for the progress conversation.
// Nothing is sent to the pupil now; the mentor is told the note appears in the period
// report, which the pupil and their parents read.
func (t *turn) note() {
	p, w, ok := t.pupilAndWords("nod.note_usage", "cmd.note.name")
	if !ok {
		return
	}
	t.effect(dialog.Put{Kind: KindNote, Owner: p.ID, ID: t.id(), Score: float64(t.in.Now.UnixMilli()),
		Doc: Note{From: t.in.Person.ID, To: p.ID, Text: w, Time: t.in.Now}})
	t.say("nod.note_saved", "Name", chat.Literal(p.Name))
}

// deliver is the pupil's side: the mentor's words, and the conversation waits for the
// pupil's answer.
func (t *turn) deliver() {
	var note Note
	if err := json.Unmarshal([]byte(t.in.Payload), &note); err != nil || note.From == "" {
		return
	}
	mentor, ok := t.in.School.Person(note.From)
	if !ok {
		return
	}
	t.st.Mentor = mentor.ID
	t.say("nod.relay.pupil", "Mentor", chat.Literal(mentor.Name), "Words", chat.Literal(note.Text))
}

// relayBack sends the pupil's typed answer to the mentor, after the safeguarding check;
// the pupil is told the truth about whether it reached them.
func (t *turn) relayBack() {
	p := t.in.Person
	mentor, ok := t.in.School.Person(t.st.Mentor)
	if !ok || !p.Has(config.Pupil) {
		// The mentor left the roster: nobody to relay to, so the words go on to the
		// next conversation or the inbox instead of ending here.
		t.st.Mentor = ""
		t.res.Pass = true
		return
	}
	text := strings.TrimSpace(t.in.Text)
	if text == "" {
		return
	}
	m, _ := t.d.guard.For(t.in.School)
	msgs, effects, _ := safeguard.Check(m, &t.in, text, safeguard.WhereStray)
	t.res.Messages = append(t.res.Messages, msgs...)
	t.effect(effects...)
	t.effect(dialog.Put{Kind: KindRelay, Owner: p.ID, ID: t.id(), Score: float64(t.in.Now.UnixMilli()),
		Doc: Note{From: p.ID, To: mentor.ID, Text: text, Time: t.in.Now}})
	t.st.Mentor = ""
	if !t.in.CanReach(mentor.ID) {
		t.say("nod.relay.unreachable", "Mentor", chat.Literal(mentor.Name))
		return
	}
	ML := t.in.For(mentor.ID)
	t.to(mentor.ID, ML.T("nod.relay.mentor", "Name", chat.Literal(p.Name), "Words", chat.Literal(text),
		"Command", ML.T("cmd.reply.name"), "Pupil", p.ID), true)
	t.say("nod.relay.passed", "Mentor", chat.Literal(mentor.Name))
}
