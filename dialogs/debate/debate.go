// Package debate is a class debate on a motion. A teacher of the class starts it; sides
// are chosen by the pupils or divided by Kring (even sides, nobody moved twice, the
// teacher can move a pupil); every pupil votes privately before the first round and
// after the last (agree, disagree, not sure) and the class sees only the totals and the
// shift. Three rounds (opening, rebuttal, closing) run until their end times; pupils post
// arguments for their side in the debate's thread, and an argument can answer another
// one. At the close the class gets a summary: the motion, the vote before and after,
// and the arguments per side in order; the teacher privately gets who took part.
//
// A debate is one shared record. Sides and votes are sets (joining, voting or changing a
// vote never conflicts with classmates and is idempotent: a double press is never a
// second vote); each pupil's arguments are their own member field; the phase and round
// are whole-record fields, so a vote racing the end of voting is retried and told.
package debate

import (
	"encoding/json"
	"fmt"
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

// Name is the dialog's name, the prefix of its actions, threads and record kinds.
const Name = "debate"

// Board is the record kind naming a class's current debate.
const Board = "debboard"

// Limits and defaults.
const (
	MaxMotion   = 300
	MaxArgument = 700
	// MaxPerRound is the most arguments one pupil posts in one round.
	MaxPerRound = 3
	// DefaultRound is how long a round lasts unless the teacher says (minutes:N).
	DefaultRound = 10 * time.Minute
	chunk        = 1800
)

// The sides, votes and rounds.
const (
	For     = "for"
	Against = "against"
)

// Votes are the private vote's options.
var Votes = []string{"agree", "disagree", "unsure"}

// Rounds are the debate's rounds, in order.
var Rounds = []string{"opening", "rebuttal", "closing"}

// The phases.
const (
	phaseOpen   = "open"   // sides and the first vote, before round 1
	phaseRound  = "round"  // a round runs (field round = 1..3)
	phaseVote   = "vote"   // the vote after the last round
	phaseClosed = "closed" // over
)

// Dialog is the debate.
type Dialog struct{}

// New returns the debate dialog.
func New() *Dialog { return &Dialog{} }

// Name implements dialog.Dialog.
func (*Dialog) Name() string { return Name }

// Commands implements dialog.Dialog: /debate (/debat). With a motion a teacher starts
// one; with move and side a teacher moves a pupil; without, anyone sees the current one.
func (*Dialog) Commands() []dialog.CommandSpec {
	return []dialog.CommandSpec{{Name: "debate", Options: []dialog.OptionSpec{
		{Name: "motion", Kind: dialog.OptText},
		{Name: "class", Kind: dialog.OptClass},
		{Name: "sides", Kind: dialog.OptChoice, Choices: []string{"choose", "balance"}},
		{Name: "minutes", Kind: dialog.OptWord},
		{Name: "move", Kind: dialog.OptPerson},
		{Name: "side", Kind: dialog.OptChoice, Choices: []string{For, Against}},
	}}}
}

// Records implements dialog.Recorder.
func (*Dialog) Records() []record.Kind {
	return []record.Kind{
		{Name: Name, Key: "deb:{id}", Shape: record.SharedRecord, Owners: record.OwnedByMembers, PupilWords: true,
			Readers: []string{"teacher of the class", "the class (arguments and vote totals, never who voted what)"}},
		{Name: Board, Key: "debb:{id}", Shape: record.SharedRecord, Owners: record.OwnedByNone, Readers: []string{"the class"}},
	}
}

func ref(id string) dialog.Ref         { return dialog.Ref{Kind: Name, ID: id} }
func boardRef(class string) dialog.Ref { return dialog.Ref{Kind: Board, ID: class} }
func threadKey(id string) string       { return Name + ":" + id }

// Reads implements dialog.Reader.
func (*Dialog) Reads(in dialog.Input) []dialog.Ref {
	switch in.Kind {
	case dialog.Command:
		if c, ok := talk.ClassFor(in, in.Args["class"]); ok {
			return []dialog.Ref{boardRef(c.ID)}
		}
		return nil
	}
	if id := debateID(in); id != "" {
		return []dialog.Ref{ref(id)}
	}
	return nil
}

func debateID(in dialog.Input) string { return talk.RecordID(in, Name) }

// argument is one pupil's argument.
type argument struct {
	ID    string    `json:"id"`
	Round int       `json:"r"`
	Side  string    `json:"s"`
	Text  string    `json:"t"`
	At    time.Time `json:"at"`
	// Re is the argument this one answers ("" for none).
	Re string `json:"re,omitempty"`
	// By is filled in when loaded (the member field's person).
	By string `json:"-"`
}

type debate struct {
	ID      string
	Exists  bool
	Motion  string
	Class   string
	By      string
	Mode    string // choose or balance
	Phase   string
	Round   int
	Ends    time.Time
	Minutes time.Duration
	Sets    map[string][]string
	Args    map[string][]argument
}

func load(s dialog.Shared) debate {
	d := debate{ID: s.ID, Exists: s.Exists, Motion: s.Fields["motion"], Class: s.Fields["class"], By: s.Fields["by"],
		Mode: s.Fields["sides"], Phase: s.Fields["phase"], Sets: s.Sets, Args: map[string][]argument{}}
	d.Round, _ = strconv.Atoi(s.Fields["round"])
	d.Ends, _ = time.Parse(time.RFC3339, s.Fields["ends"])
	m, _ := strconv.Atoi(s.Fields["minutes"])
	d.Minutes = time.Duration(m) * time.Minute
	if d.Sets == nil {
		d.Sets = map[string][]string{}
	}
	for who, v := range s.Members {
		var as []argument
		if json.Unmarshal([]byte(v), &as) == nil {
			for i := range as {
				as[i].By = who
			}
			d.Args[who] = as
		}
	}
	return d
}

func (d debate) in(set, who string) bool {
	for _, x := range d.Sets[set] {
		if x == who {
			return true
		}
	}
	return false
}

func (d debate) side(who string) string {
	switch {
	case d.in("side."+For, who):
		return For
	case d.in("side."+Against, who):
		return Against
	}
	return ""
}

// all lists every argument in the order posted.
func (d debate) all() []argument {
	var out []argument
	for _, as := range d.Args {
		out = append(out, as...)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func (d debate) find(id string) (argument, bool) {
	for _, a := range d.all() {
		if a.ID == id {
			return a, true
		}
	}
	return argument{}, false
}

// tally counts votes of round n (1 before, 2 after).
func (d debate) tally(n int) map[string]int {
	out := map[string]int{}
	for _, v := range Votes {
		out[v] = len(d.Sets[fmt.Sprintf("v%d.%s", n, v)])
	}
	return out
}

type state struct {
	// Arguing is the debate:round:re the pupil is typing an argument for.
	Arguing string `json:"arguing,omitempty"`
	// Naming is a teacher's argument being saved on the word list.
	Naming *terms.Naming `json:"naming,omitempty"`
}

type turn struct {
	talk.Turn
	st state
}

// Step implements dialog.Dialog.
func (dl *Dialog) Step(in dialog.Input) (dialog.Result, error) {
	t := &turn{Turn: talk.Turn{In: in}}
	if len(in.State) > 0 {
		_ = json.Unmarshal(in.State, &t.st)
	}
	had := t.st.Arguing != "" || t.st.Naming != nil
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
	case t.st.Arguing != "" || t.st.Naming != nil:
		doc, _ := json.Marshal(t.st)
		t.Res.State = doc
		t.Res.Listen = true
		if t.Res.Topic == "" {
			t.Res.Topic = in.L.T("debate.topic")
		}
		if id, _, _ := strings.Cut(t.st.Arguing, ":"); id != "" && t.Res.ListenRefs == nil {
			t.Res.ListenRefs = []dialog.Ref{ref(id)}
		}
	case had:
		t.Res.Clear = true
	}
	return t.Res, nil
}

func (t *turn) classL(c *config.Class) *i18n.Localizer { return talk.ClassL(t.In, c) }

func (t *turn) command() {
	in := t.In
	c, ok := talk.ClassFor(in, in.Args["class"])
	if !ok {
		t.Say("debate.no_class", "Command", in.L.T("cmd.debate.name"))
		return
	}
	motion := strings.TrimSpace(in.Args["motion"])
	board := in.Record(boardRef(c.ID))
	current := board.Fields["current"]
	if motion == "" && in.Args["move"] == "" {
		t.current(c, current, board.Fields["motion"])
		return
	}
	if !c.Teaches(in.Person) {
		if in.Person.Has(config.Teacher) {
			t.Say("debate.not_your_class", "Class", chat.Literal(c.Name))
			return
		}
		t.Say("debate.only_teacher")
		return
	}
	if who := in.Args["move"]; who != "" {
		t.override(c, current, who, in.Args["side"])
		return
	}
	t.start(c, motion)
}

// current shows the class's debate with a button to take part.
func (t *turn) current(c *config.Class, id, motion string) {
	in := t.In
	if id == "" {
		key := "debate.none"
		if c.Teaches(in.Person) {
			key = "debate.none_teacher"
		}
		t.Say(key, "Class", chat.Literal(c.Name), "Command", in.L.T("cmd.debate.name"))
		return
	}
	action, label := Name+".join", in.L.T("debate.take_part")
	if c.Teaches(in.Person) {
		action, label = Name+".panel", in.L.T("debate.panel")
	}
	m := t.Say("debate.current", "Motion", chat.Literal(motion))
	m.Choices = []chat.Choice{{Action: action, Value: id, Label: label, Style: "primary"}}
}

func (t *turn) start(c *config.Class, motion string) {
	in := t.In
	motion, _, n := prompt.Text(motion, MaxMotion)
	if n > MaxMotion {
		t.Say("debate.too_long", "Len", n, "Max", MaxMotion)
		return
	}
	minutes := DefaultRound
	if s := in.Args["minutes"]; s != "" {
		m, err := strconv.Atoi(s)
		if err != nil || m < 1 || m > 120 {
			t.Say("debate.bad_minutes", "Value", chat.Literal(s))
			return
		}
		minutes = time.Duration(m) * time.Minute
	}
	mode := in.Args["sides"]
	if mode == "" {
		mode = "balance"
	}
	id := talk.ID(in.Event)
	t.Effect(dialog.SetShared{Ref: ref(id), Fields: map[string]string{"motion": motion, "class": c.ID, "by": in.Person.ID,
		"sides": mode, "phase": phaseOpen, "round": "0", "minutes": strconv.Itoa(int(minutes / time.Minute))}},
		dialog.SetShared{Ref: boardRef(c.ID), Fields: map[string]string{"current": id, "motion": motion}})
	d := debate{ID: id, Exists: true, Motion: motion, Class: c.ID, By: in.Person.ID, Mode: mode, Phase: phaseOpen, Minutes: minutes, Sets: map[string][]string{}}
	L := t.classL(c)
	text := L.T("debate.post", "Motion", chat.Literal(motion), "Sides", L.T("debate.sides_"+mode))
	choices := voteChoices(L, id, 1)
	if mode == "choose" {
		choices = append(choices, sideChoices(L, id)...)
	} else {
		// Kring divides the class now, alternating in roster order.
		for i, p := range in.School.Members(c.ID, config.Pupil) {
			side := For
			if i%2 == 1 {
				side = Against
			}
			t.Effect(dialog.AddToSet{Ref: ref(id), Set: "side." + side, Item: p.ID})
			d.Sets["side."+side] = append(d.Sets["side."+side], p.ID)
		}
		text += "\n" + t.sideLists(L, d)
	}
	t.Post(c.ID, threadKey(id), motion, text, choices...)
	m := t.Say("debate.started", "Class", chat.Literal(c.Name), "Motion", chat.Literal(motion), "Minutes", int(minutes/time.Minute))
	m.Choices = teacherChoices(in.L, d)
}

func voteChoices(L *i18n.Localizer, id string, n int) []chat.Choice {
	out := make([]chat.Choice, len(Votes))
	for i, v := range Votes {
		out[i] = chat.Choice{Action: Name + ".vote", Value: fmt.Sprintf("%s:%d:%s", id, n, v), Label: L.T("debate.vote_" + v)}
	}
	return out
}

func sideChoices(L *i18n.Localizer, id string) []chat.Choice {
	return []chat.Choice{
		{Action: Name + ".side", Value: id + ":" + For, Label: L.T("debate.join_" + For)},
		{Action: Name + ".side", Value: id + ":" + Against, Label: L.T("debate.join_" + Against)},
	}
}

func teacherChoices(L *i18n.Localizer, d debate) []chat.Choice {
	var cs []chat.Choice
	switch d.Phase {
	case phaseOpen:
		cs = append(cs, chat.Choice{Action: Name + ".balance", Value: d.ID, Label: L.T("debate.balance")},
			chat.Choice{Action: Name + ".next", Value: d.ID + ":1", Label: L.T("debate.start_round", "Round", L.T("debate.round_"+Rounds[0])), Style: "primary"})
	case phaseRound:
		label := L.T("debate.to_vote")
		if d.Round < len(Rounds) {
			label = L.T("debate.start_round", "Round", L.T("debate.round_"+Rounds[d.Round]))
		}
		cs = append(cs, chat.Choice{Action: Name + ".next", Value: fmt.Sprintf("%s:%d", d.ID, d.Round+1), Label: label, Style: "primary"})
	}
	return append(cs, chat.Choice{Action: Name + ".close", Value: d.ID, Label: L.T("debate.close_now"), Style: "danger"})
}

func name(s *config.School, id string) string {
	if p, ok := s.Person(id); ok {
		return p.Name
	}
	return id
}

func (t *turn) sideLists(L *i18n.Localizer, d debate) string {
	list := func(side string) string {
		var ns []string
		for _, p := range t.In.School.Members(d.Class, config.Pupil) {
			if d.in("side."+side, p.ID) {
				ns = append(ns, p.Name)
			}
		}
		if len(ns) == 0 {
			return "-"
		}
		return chat.Literal(strings.Join(ns, ", "))
	}
	return L.T("debate.side_lists", "For", list(For), "Against", list(Against),
		"NFor", len(d.Sets["side."+For]), "NAgainst", len(d.Sets["side."+Against]))
}

func (t *turn) choice() {
	in := t.In
	id, rest, _ := strings.Cut(in.Value, ":")
	d := load(in.Record(ref(id)))
	d.ID = id
	if !d.Exists {
		t.Say("debate.gone")
		return
	}
	switch in.Action {
	case Name + ".vote":
		t.vote(d, rest)
	case Name + ".side":
		t.choose(d, rest)
	case Name + ".join":
		t.join(d)
	case Name + ".argue":
		t.askArgument(d, rest)
	case Name + ".panel":
		if c, ok := t.gate(d); ok {
			m := t.Say("debate.panel_text", "Motion", chat.Literal(d.Motion), "Sides", t.sideLists(t.In.L, d))
			m.Choices = teacherChoices(t.In.L, d)
			_ = c
		}
	case Name + ".balance":
		if c, ok := t.gate(d); ok {
			t.balance(c, d, true)
		}
	case Name + ".next":
		if c, ok := t.gate(d); ok {
			n, _ := strconv.Atoi(rest)
			t.advance(c, d, n)
		}
	case Name + ".close":
		if c, ok := t.gate(d); ok {
			t.close(c, d)
		}
	case Name + ".save":
		t.save(d, rest)
	default:
		t.Say("debate.gone")
	}
}

// gate lets only the class's teachers run a teacher action.
func (t *turn) gate(d debate) (*config.Class, bool) {
	c, ok := t.In.School.Class(d.Class)
	if !ok {
		t.Say("debate.gone")
		return nil, false
	}
	if !c.Teaches(t.In.Person) {
		t.Say("debate.only_teacher")
		return nil, false
	}
	return c, true
}

func (t *turn) pupil(d debate) bool {
	if !t.In.Person.Has(config.Pupil) || !t.In.Person.InClass(d.Class) {
		t.Say("debate.for_pupils")
		return false
	}
	return true
}

// vote records a private vote; n is 1 (before) or 2 (after).
func (t *turn) vote(d debate, rest string) {
	in := t.In
	ns, v, _ := strings.Cut(rest, ":")
	n, _ := strconv.Atoi(ns)
	if !t.pupil(d) {
		return
	}
	open := (n == 1 && d.Phase == phaseOpen) || (n == 2 && d.Phase == phaseVote)
	valid := false
	for _, x := range Votes {
		valid = valid || x == v
	}
	if !open || !valid {
		t.Say("debate.vote_closed")
		return
	}
	key := "debate.voted"
	for _, x := range Votes {
		set := fmt.Sprintf("v%d.%s", n, x)
		if x == v {
			if d.in(set, in.Person.ID) {
				t.Say("debate.voted_already", "Vote", in.L.T("debate.vote_"+v))
				return
			}
			t.Effect(dialog.AddToSet{Ref: ref(d.ID), Set: set, Item: in.Person.ID})
		} else if d.in(set, in.Person.ID) {
			t.Effect(dialog.RemoveFromSet{Ref: ref(d.ID), Set: set, Item: in.Person.ID})
			key = "debate.vote_changed"
		}
	}
	t.Say(key, "Vote", in.L.T("debate.vote_"+v), "Motion", chat.Literal(d.Motion))
}

// choose puts a pupil on the side they chose (choose mode, before round 1).
func (t *turn) choose(d debate, side string) {
	in := t.In
	if !t.pupil(d) {
		return
	}
	switch {
	case d.Mode != "choose":
		t.Say("debate.kring_divides")
		return
	case d.Phase != phaseOpen:
		t.Say("debate.sides_fixed", "Side", in.L.T("debate.side_"+orNone(d.side(in.Person.ID))))
		return
	case side != For && side != Against:
		t.Say("debate.gone")
		return
	case d.side(in.Person.ID) == side:
		t.Say("debate.side_already", "Side", in.L.T("debate.side_"+side))
		return
	}
	other := For
	if side == For {
		other = Against
	}
	t.Effect(dialog.RemoveFromSet{Ref: ref(d.ID), Set: "side." + other, Item: in.Person.ID},
		dialog.AddToSet{Ref: ref(d.ID), Set: "side." + side, Item: in.Person.ID})
	t.Say("debate.side_chosen", "Side", in.L.T("debate.side_"+side))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// join shows a pupil what they can do now, privately.
func (t *turn) join(d debate) {
	in := t.In
	if !t.pupil(d) {
		return
	}
	side := d.side(in.Person.ID)
	var cs []chat.Choice
	key := "debate.join_closed"
	switch d.Phase {
	case phaseOpen:
		key = "debate.join_open"
		cs = voteChoices(in.L, d.ID, 1)
		if d.Mode == "choose" {
			cs = append(cs, sideChoices(in.L, d.ID)...)
		}
	case phaseRound:
		key = "debate.join_round"
		cs = []chat.Choice{{Action: Name + ".argue", Value: fmt.Sprintf("%s:%d", d.ID, d.Round), Label: in.L.T("debate.argue"), Style: "primary"}}
	case phaseVote:
		key = "debate.join_vote"
		cs = voteChoices(in.L, d.ID, 2)
	}
	round := ""
	if d.Round >= 1 && d.Round <= len(Rounds) {
		round = in.L.T("debate.round_" + Rounds[d.Round-1])
	}
	t.Send(prompt.Ask(in.Person.ID, in.L.T(key, "Motion", chat.Literal(d.Motion), "Side", in.L.T("debate.side_"+orNone(side)),
		"Round", round, "Ends", d.Ends.In(loc(in, d)).Format("15:04")), cs, in.Caps))
}

func loc(in dialog.Input, d debate) *time.Location {
	if c, ok := in.School.Class(d.Class); ok && c.Location != nil {
		return c.Location
	}
	return time.UTC
}

// balance evens the sides: pupils without a side join the smaller one, then pupils are
// moved from the larger side (never one who was moved before, or whom the teacher
// placed) until the sides differ by at most one.
func (t *turn) balance(c *config.Class, d debate, tell bool) debate {
	in := t.In
	if d.Phase != phaseOpen {
		if tell {
			t.Say("debate.sides_fixed_teacher")
		}
		return d
	}
	sides := map[string][]string{For: nil, Against: nil}
	var free []string
	for _, p := range in.School.Members(c.ID, config.Pupil) {
		if s := d.side(p.ID); s != "" {
			sides[s] = append(sides[s], p.ID)
		} else {
			free = append(free, p.ID)
		}
	}
	put := func(who, side string, moved bool) {
		other := For
		if side == For {
			other = Against
		}
		t.Effect(dialog.RemoveFromSet{Ref: ref(d.ID), Set: "side." + other, Item: who},
			dialog.AddToSet{Ref: ref(d.ID), Set: "side." + side, Item: who})
		if moved {
			t.Effect(dialog.AddToSet{Ref: ref(d.ID), Set: "moved", Item: who})
			d.Sets["moved"] = append(d.Sets["moved"], who)
		}
		PL := in.For(who)
		t.To(who, PL.T("debate.placed", "Side", PL.T("debate.side_"+side), "Motion", chat.Literal(d.Motion)))
		sides[other] = remove(sides[other], who)
		sides[side] = append(sides[side], who)
	}
	smaller := func() (string, string) {
		if len(sides[For]) <= len(sides[Against]) {
			return For, Against
		}
		return Against, For
	}
	for _, who := range free {
		s, _ := smaller()
		put(who, s, false)
	}
	stuck := false
	for {
		small, big := smaller()
		if len(sides[big])-len(sides[small]) <= 1 {
			break
		}
		// The last to join the larger side moves first.
		cand := ""
		for i := len(sides[big]) - 1; i >= 0; i-- {
			if w := sides[big][i]; !d.in("moved", w) && !d.in("fixed", w) {
				cand = w
				break
			}
		}
		if cand == "" {
			stuck = true
			break
		}
		put(cand, small, true)
	}
	d.Sets["side."+For], d.Sets["side."+Against] = sides[For], sides[Against]
	if tell {
		key := "debate.balanced"
		if stuck {
			key = "debate.balance_stuck"
		}
		t.Say(key, "Sides", t.sideLists(in.L, d))
	}
	return d
}

func remove(xs []string, x string) []string {
	var out []string
	for _, y := range xs {
		if y != x {
			out = append(out, y)
		}
	}
	return out
}

// override is the teacher moving one pupil to a side.
func (t *turn) override(c *config.Class, id, who, side string) {
	in := t.In
	p, ok := in.School.Person(who)
	switch {
	case id == "":
		t.Say("debate.none_teacher", "Class", chat.Literal(c.Name), "Command", in.L.T("cmd.debate.name"))
		return
	case !ok || !p.Has(config.Pupil) || !p.InClass(c.ID):
		t.Say("debate.not_in_class", "Name", chat.Literal(who), "Class", chat.Literal(c.Name))
		return
	case side != For && side != Against:
		t.Say("debate.move_usage", "Command", in.L.T("cmd.debate.name"))
		return
	}
	other := For
	if side == For {
		other = Against
	}
	t.Effect(dialog.RemoveFromSet{Ref: ref(id), Set: "side." + other, Item: p.ID},
		dialog.AddToSet{Ref: ref(id), Set: "side." + side, Item: p.ID},
		dialog.AddToSet{Ref: ref(id), Set: "fixed", Item: p.ID})
	t.Say("debate.moved", "Name", chat.Literal(p.Name), "Side", in.L.T("debate.side_"+side))
	PL := in.For(p.ID)
	t.To(p.ID, PL.T("debate.placed_by_teacher", "Side", PL.T("debate.side_"+side)))
}

// advance starts round n (1..3), or the final vote after the last round. A press for a
// round that already began is answered, not repeated.
func (t *turn) advance(c *config.Class, d debate, n int) {
	in := t.In
	cur := d.Round
	if d.Phase == phaseVote {
		cur = len(Rounds) + 1
	}
	if d.Phase == phaseClosed || n != cur+1 {
		if t.In.Kind != dialog.Wake {
			t.Say("debate.already_moved_on")
		}
		return
	}
	L := t.classL(c)
	if n == 1 {
		// Pupils still without a side (or who joined the class since) are placed now.
		d = t.balance(c, d, false)
		before := d.tally(1)
		t.Post(c.ID, threadKey(d.ID), d.Motion, L.T("debate.before", "Tally", tallyText(L, before), "Sides", t.sideLists(L, d)))
	}
	if n <= len(Rounds) {
		ends := in.Now.Add(d.Minutes)
		t.Effect(dialog.SetShared{Ref: ref(d.ID), Fields: map[string]string{"phase": phaseRound, "round": strconv.Itoa(n), "ends": ends.UTC().Format(time.RFC3339)}},
			dialog.SetTimer{Key: "round:" + d.ID, Person: d.By, At: ends, Payload: fmt.Sprintf("round:%s", d.ID)})
		t.Post(c.ID, threadKey(d.ID), d.Motion, L.T("debate.round_post", "N", n, "Round", L.T("debate.round_"+Rounds[n-1]), "Ends", ends.In(loc(in, d)).Format("15:04")),
			chat.Choice{Action: Name + ".argue", Value: fmt.Sprintf("%s:%d", d.ID, n), Label: L.T("debate.argue"), Style: "primary"})
	} else {
		ends := in.Now.Add(d.Minutes)
		t.Effect(dialog.SetShared{Ref: ref(d.ID), Fields: map[string]string{"phase": phaseVote, "round": strconv.Itoa(n), "ends": ends.UTC().Format(time.RFC3339)}},
			dialog.SetTimer{Key: "round:" + d.ID, Person: d.By, At: ends, Payload: fmt.Sprintf("round:%s", d.ID)})
		t.Post(c.ID, threadKey(d.ID), d.Motion, L.T("debate.vote_again", "Ends", ends.In(loc(in, d)).Format("15:04")), voteChoices(L, d.ID, 2)...)
	}
	// The teacher who started it gets the buttons for the next step, also when a timer
	// moved the debate on.
	d.Phase, d.Round = phaseRound, n
	key := "debate.advanced"
	if n > len(Rounds) {
		d.Phase, key = phaseVote, "debate.voting"
	}
	TL := in.For(d.By)
	m := t.To(d.By, TL.T(key, "N", n))
	m.Choices = teacherChoices(TL, d)
}

func tallyText(L *i18n.Localizer, tl map[string]int) string {
	return L.T("debate.tally", "Agree", tl["agree"], "Disagree", tl["disagree"], "Unsure", tl["unsure"])
}

func (t *turn) wake() {
	in := t.In
	d := load(in.Record(ref(debateID(in))))
	d.ID = debateID(in)
	c, ok := in.School.Class(d.Class)
	if !d.Exists || !ok {
		return
	}
	switch d.Phase {
	case phaseRound:
		t.advance(c, d, d.Round+1)
	case phaseVote:
		t.close(c, d)
	}
}

// askArgument opens the pupil's argument for round n (answering argument re, if set).
func (t *turn) askArgument(d debate, rest string) {
	in := t.In
	ns, re, _ := strings.Cut(rest, ":")
	n, _ := strconv.Atoi(ns)
	if re != "" {
		// A reply is posted in the round that runs now, whichever round it answers.
		n = d.Round
	}
	if !t.pupil(d) {
		return
	}
	if key := t.canArgue(d, n); key != "" {
		t.Say(key, "Max", MaxPerRound)
		return
	}
	ask := in.L.T("debate.ask_argument", "Side", in.L.T("debate.side_"+d.side(in.Person.ID)), "Round", in.L.T("debate.round_"+Rounds[n-1]), "Motion", chat.Literal(d.Motion))
	if a, ok := d.find(re); ok {
		ask = in.L.T("debate.ask_reply", "Name", chat.Literal(name(in.School, a.By)), "Text", chat.Literal(talk.Shorten(a.Text, 200)), "Side", in.L.T("debate.side_"+d.side(in.Person.ID)))
	}
	f := chat.Form{Action: Name + ".argument." + d.ID + ":" + strconv.Itoa(n) + ":" + re, Title: in.L.T("debate.argue"), Open: in.L.T("debate.argue"), Submit: in.L.T("debate.send"),
		Fields: []chat.Field{{ID: "text", Label: talk.Shorten(d.Motion, 45), Multiline: true, Required: true, MaxLen: MaxArgument}}}
	t.Send(prompt.Form(in.Person.ID, ask, f, in.Caps))
	if !in.Caps.Forms {
		t.st.Arguing = fmt.Sprintf("%s:%d:%s", d.ID, n, re)
		t.Res.ListenRefs = []dialog.Ref{ref(d.ID)}
		t.Res.Topic = in.L.T("debate.topic_argument", "Motion", chat.Literal(talk.Shorten(d.Motion, 40)))
	}
}

// canArgue says what stops the pupil from arguing in round n ("" for nothing).
func (t *turn) canArgue(d debate, n int) string {
	who := t.In.Person.ID
	switch {
	case d.Phase != phaseRound || d.Round != n:
		return "debate.round_over"
	case d.side(who) == "":
		return "debate.no_side"
	}
	count := 0
	for _, a := range d.Args[who] {
		if a.Round == n {
			count++
		}
	}
	if count >= MaxPerRound {
		return "debate.enough"
	}
	return ""
}

func (t *turn) form() {
	in := t.In
	if in.Action == Name+".name" {
		t.finishNaming(in.Fields[terms.FieldWord], in.Fields[terms.FieldText])
		return
	}
	parts := strings.SplitN(in.Action, ".", 3)
	if len(parts) != 3 || parts[1] != "argument" {
		t.Say("debate.gone")
		return
	}
	t.giveArgument(parts[2], in.Fields["text"])
}

func (t *turn) text() {
	in := t.In
	switch {
	case in.Thread != "":
		t.CheckAlerts(in.Text, "debate.alert")
		m := t.Say("debate.use_button")
		m.Ephemeral = true
	case t.st.Naming != nil:
		t.finishNaming(in.Text, "")
	case t.st.Arguing != "":
		t.giveArgument(t.st.Arguing, in.Text)
	case !in.Channel:
		// Not waiting for anything (an old conversation): the words are for whoever
		// listens next, or the inbox, which checks them.
		t.Res.Pass = true
	default:
		t.CheckAlerts(in.Text, "debate.alert")
		t.Say("debate.not_waiting", "Command", in.L.T("cmd.debate.name"))
	}
}

// giveArgument posts a pupil's argument (key debate:round:re) in the thread.
func (t *turn) giveArgument(key, text string) {
	in := t.In
	id, rest, _ := strings.Cut(key, ":")
	ns, re, _ := strings.Cut(rest, ":")
	n, _ := strconv.Atoi(ns)
	d := load(in.Record(ref(id)))
	d.ID = id
	t.CheckAlerts(text, "debate.alert")
	if !d.Exists {
		t.st.Arguing = ""
		t.Say("debate.gone")
		return
	}
	if k := t.canArgue(d, n); k != "" {
		t.st.Arguing = ""
		t.Say("debate.argument_late", "Text", chat.Literal(text))
		return
	}
	body, problem, ln := prompt.Text(text, MaxArgument)
	switch problem {
	case prompt.Empty:
		t.Say("debate.empty")
		return
	case prompt.TooLong:
		t.Say("debate.too_long_argument", "Len", ln, "Max", MaxArgument, "Text", chat.Literal(body))
		return
	}
	// "#anna-1 my answer" or "anna-1: my answer" answers that argument where no
	// button said so (platforms without buttons, the terminal).
	if re == "" {
		w, after, _ := strings.Cut(strings.TrimPrefix(body, "#"), " ")
		w = strings.TrimSuffix(w, ":")
		if _, ok := d.find(w); ok && strings.TrimSpace(after) != "" {
			re, body = w, strings.TrimSpace(after)
		}
	}
	c, ok := in.School.Class(d.Class)
	if !ok {
		t.st.Arguing = ""
		t.Say("debate.argument_late", "Text", chat.Literal(body))
		return
	}
	side := d.side(in.Person.ID)
	// The id names the author and their count: unique without coordination (a pupil's
	// own steps never run at once) and short enough to type ("#anna-2 ...").
	a := argument{ID: fmt.Sprintf("%s-%d", in.Person.ID, len(d.Args[in.Person.ID])+1), Round: n, Side: side, Text: body, At: in.Now.UTC(), Re: re}
	mine := append(append([]argument{}, d.Args[in.Person.ID]...), a)
	doc, _ := json.Marshal(mine)
	t.Effect(dialog.SetMember{Ref: ref(d.ID), Member: in.Person.ID, Value: string(doc)})
	t.st.Arguing = ""
	L := t.classL(c)
	a.By = in.Person.ID
	t.Post(c.ID, threadKey(d.ID), d.Motion, t.argLine(L, d, a),
		chat.Choice{Action: Name + ".argue", Value: fmt.Sprintf("%s:%d:%s", d.ID, n, a.ID), Label: L.T("debate.reply")})
	t.Say("debate.argument_posted", "ID", a.ID)
}

// argLine renders one argument for the thread or the summary.
func (t *turn) argLine(L *i18n.Localizer, d debate, a argument) string {
	line := L.T("debate.argument", "Side", L.T("debate.side_"+orNone(a.Side)), "Round", L.T("debate.round_"+Rounds[a.Round-1]),
		"Name", chat.Literal(name(t.In.School, a.By)), "ID", a.ID, "Text", chat.Literal(a.Text))
	if r, ok := d.find(a.Re); ok {
		line += " " + L.T("debate.answers", "ID", r.ID, "Name", chat.Literal(name(t.In.School, r.By)))
	}
	return line
}

// close ends the debate: the class gets the summary, the teacher who took part.
func (t *turn) close(c *config.Class, d debate) {
	in := t.In
	if d.Phase == phaseClosed {
		if in.Kind != dialog.Wake {
			t.Say("debate.already_closed")
		}
		return
	}
	t.Effect(dialog.SetShared{Ref: ref(d.ID), Fields: map[string]string{"phase": phaseClosed}},
		dialog.SetShared{Ref: boardRef(c.ID), Fields: map[string]string{"current": "", "motion": ""}},
		dialog.CancelTimer{Key: "round:" + d.ID, Person: d.By})
	L := t.classL(c)
	before, after := d.tally(1), d.tally(2)
	lines := []string{L.T("debate.summary", "Motion", chat.Literal(d.Motion), "Before", tallyText(L, before), "After", tallyText(L, after),
		"Shift", shift(L, before, after))}
	args := d.all()
	for _, side := range []string{For, Against} {
		lines = append(lines, L.T("debate.summary_side", "Side", L.T("debate.side_"+side)))
		any := false
		for _, a := range args {
			if a.Side == side {
				lines = append(lines, t.argLine(L, d, a))
				any = true
			}
		}
		if !any {
			lines = append(lines, L.T("debate.summary_none"))
		}
	}
	for _, body := range talk.Chunks(lines, chunk) {
		t.Post(c.ID, threadKey(d.ID), d.Motion, body)
	}
	// The teacher, privately: who took part and who did not.
	TL := in.For(d.By)
	var took, not, novote []string
	for _, p := range in.School.Members(c.ID, config.Pupil) {
		if len(d.Args[p.ID]) > 0 {
			took = append(took, p.Name)
		} else {
			not = append(not, p.Name)
		}
		voted := false
		for _, v := range Votes {
			voted = voted || d.in("v1."+v, p.ID) || d.in("v2."+v, p.ID)
		}
		if !voted {
			novote = append(novote, p.Name)
		}
	}
	body := TL.T("debate.report", "Motion", chat.Literal(d.Motion), "Took", chat.Literal(join(took)), "Not", chat.Literal(join(not)), "NoVote", chat.Literal(join(novote)),
		"NTook", len(took), "NNot", len(not))
	var cs []chat.Choice
	for i, a := range args {
		if i == 20 {
			break
		}
		cs = append(cs, chat.Choice{Action: Name + ".save", Value: d.ID + ":" + a.ID, Label: TL.T("debate.save", "ID", a.ID)})
	}
	if len(cs) > 0 {
		body += "\n" + TL.T("debate.save_hint")
	}
	m := prompt.Ask(d.By, body, cs, in.Caps)
	m.Staff = true
	t.Send(m)
	if in.Person.ID != d.By && in.Kind != dialog.Wake {
		t.Say("debate.closed_by_you")
	}
}

func join(ns []string) string {
	if len(ns) == 0 {
		return "-"
	}
	return strings.Join(ns, ", ")
}

// shift renders how the vote moved, per option (+3 agree, −2 disagree).
func shift(L *i18n.Localizer, before, after map[string]int) string {
	var parts []string
	for _, v := range Votes {
		d := after[v] - before[v]
		sign := "±"
		if d > 0 {
			sign = "+"
		} else if d < 0 {
			sign = "−"
			d = -d
		}
		parts = append(parts, fmt.Sprintf("%s%d %s", sign, d, L.T("debate.vote_"+v)))
	}
	return strings.Join(parts, ", ")
}

// save starts saving an argument on the class's word list.
func (t *turn) save(d debate, argID string) {
	c, ok := t.gate(d)
	if !ok {
		return
	}
	a, found := d.find(argID)
	if !found {
		t.Say("debate.gone")
		return
	}
	t.st.Naming = terms.Begin(&t.Turn, terms.Naming{Class: c.ID, Source: terms.FromDebate, From: d.Motion, Text: a.Text, Proposer: a.By}, Name+".name")
}

func (t *turn) finishNaming(word, text string) {
	if terms.Complete(&t.Turn, t.st.Naming, word, text) {
		t.st.Naming = nil
	}
}
