package checkin

import (
	"strconv"
	"strings"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/record"
)

// turn is one Step in progress: the input, the pupil's state as it evolves, and the
// result being built.
type turn struct {
	d     *Dialog
	in    *dialog.Input
	today string
	// st is the pupil's state; after rollover it is nil or today's.
	st      *state
	changed bool
	// alerted is set when the input's text raised a safeguarding alert.
	alerted bool
	res     dialog.Result
	// helpTo says who got today's help request: "mentor", "care", "admin", or "" for
	// nobody reachable (then the pupil is told so).
	helpTo string
	// asker takes the help question as a question to a teacher (nil: to the mentor).
	asker dialog.Asker
}

// finish turns the evolved state into the Result. The dialog keeps listening to the
// pupil exactly while one of today's questions is open.
func (t *turn) finish() (dialog.Result, error) {
	if t.changed {
		if t.st == nil {
			t.res.Clear = true
		} else {
			b, err := t.st.encode()
			if err != nil {
				return dialog.Result{}, err
			}
			t.res.State = b
		}
	}
	t.res.Listen = t.st != nil && t.st.Date == t.today && t.st.open()
	if t.res.Listen {
		t.res.Topic = t.T("checkin.topic")
	}
	return t.res, nil
}

// T renders a catalog text in the person's language.
func (t *turn) T(id string, kv ...any) string { return t.in.L.T(id, kv...) }

// say sends a message to the person who is checking in (or who gave the command).
func (t *turn) say(text string, choices ...chat.Choice) {
	t.res.Messages = append(t.res.Messages, chat.Message{
		To:      chat.Target{Kind: chat.ToPerson, Person: t.in.Person.ID},
		Text:    text,
		Choices: choices,
	})
}

func (t *turn) effect(e dialog.Effect) { t.res.Effects = append(t.res.Effects, e) }

// awayToday reports whether the pupil said they are away today.
func (t *turn) awayToday() bool {
	return t.in.Profile["away"] == t.today || (t.st != nil && t.st.Step == stepAway)
}

func (t *turn) classID() string {
	if t.in.Class != nil {
		return t.in.Class.ID
	}
	return t.in.Person.Class()
}

func (t *turn) className() string {
	if t.in.Class != nil && t.in.Class.Name != "" {
		return t.in.Class.Name
	}
	return t.classID()
}

// rollover closes a check-in left open on an earlier day: it is recorded as partial
// when the pupil answered anything, as missed otherwise.
func (t *turn) rollover() {
	if t.st == nil || t.st.Date == t.today {
		return
	}
	if t.st.open() {
		rec := t.st.Rec
		rec.Status = record.Missed
		if t.st.answered() {
			rec.Status = record.Partial
		}
		t.effect(dialog.SaveCheckIn(rec))
	}
	t.st = nil
	t.changed = true
}

// start begins today's check-in with a greeting and the open question.
func (t *turn) start(remind bool) {
	p := t.in.Person
	t.st = &state{
		Date:     t.today,
		Step:     stepOpen,
		Reminded: remind,
		Rec: record.CheckIn{
			Person:  p.ID,
			Class:   t.classID(),
			Date:    t.today,
			Started: t.in.Now,
		},
	}
	t.changed = true
	key := "checkin.greeting"
	if remind {
		key = "checkin.remind.start"
	}
	t.ask(t.T(key, "Name", chat.Literal(firstName(p))))
}

// onStart handles the morning job: only a pupil with nothing yet today gets a check-in.
func (t *turn) onStart() {
	if t.st != nil || t.awayToday() {
		return
	}
	t.start(false)
}

// onRemind sends the day's one reminder to a pupil who has not finished.
func (t *turn) onRemind() {
	if t.awayToday() {
		return
	}
	if t.st == nil {
		t.start(true)
		return
	}
	if !t.st.open() || t.st.Reminded || t.st.Alerted {
		// After a safeguarding alert a person follows up; a reminder would only nag.
		return
	}
	if t.in.Now.Sub(t.st.Rec.Started) < FreshCheckIn {
		// The check-in went out moments ago (a late start ran both jobs): a reminder
		// now would only nag.
		return
	}
	t.st.Reminded = true
	t.changed = true
	if !t.st.answered() {
		t.ask(t.T("checkin.remind.start", "Name", chat.Literal(firstName(t.in.Person))))
		return
	}
	t.ask(t.T("checkin.remind.intro"))
}

// onCheckin is the checkin command: start, pick up where the pupil was, or say it is done.
func (t *turn) onCheckin() {
	switch {
	case t.st.open():
		t.ask(t.T("checkin.resume"))
	case t.st != nil && t.st.Step == stepDone:
		t.alreadyDone()
	case t.awayToday():
		t.say(t.T("checkin.away.is_away"), chat.Choice{Action: actionStart, Value: "1", Label: t.T("checkin.away.checkin_anyway")})
	default:
		t.start(false)
	}
}

func (t *turn) alreadyDone() {
	t.say(t.T("checkin.already_done", "Goal", chat.Literal(t.st.Rec.Goal)))
}

// onAway records that the pupil is away today; no question and no reminder follow.
func (t *turn) onAway() {
	if t.st != nil && t.st.Step == stepDone {
		t.say(t.T("checkin.away.after_done"))
		return
	}
	rec := record.CheckIn{Person: t.in.Person.ID, Class: t.classID(), Date: t.today}
	if t.st != nil {
		// Keep what the pupil already answered today.
		rec = t.st.Rec
	}
	rec.Status = record.Away
	t.effect(dialog.SaveCheckIn(rec))
	t.effect(dialog.SetProfile{Person: t.in.Person.ID, Fields: map[string]string{"away": t.today}})
	t.st = &state{Date: t.today, Step: stepAway, Rec: rec, Reminded: t.st != nil && t.st.Reminded}
	t.changed = true
	t.say(t.T("checkin.away.noted"))
}

// onText handles typed text: the answer to an open question, or a stray message.
func (t *turn) onText() {
	if !t.st.open() {
		t.say(t.T("checkin.idle", "Command", t.T("cmd.checkin.name"), "Help", t.T("cmd.help.name")))
		return
	}
	switch t.st.Step {
	case stepOpen:
		t.textAnswer(MaxAnswer, func(s string) {
			t.st.Rec.Open = s
			t.toStep(stepMood)
		})
	case stepGoal:
		if t.didYouMean() {
			return
		}
		t.textAnswer(MaxGoal, t.setGoal)
	case stepHelp:
		t.textAnswer(MaxAnswer, func(s string) {
			t.st.Rec.Help = s
			p := t.in.Person
			if t.asker != nil {
				// The help question becomes a question to the right teacher: the pupil
				// picks its subject after the check-in's closing line.
				t.done()
				q := t.asker.TakeQuestion(*t.in, s, "checkin")
				t.res.Messages = append(t.res.Messages, q.Messages...)
				t.res.Effects = append(t.res.Effects, q.Effects...)
				return
			}
			t.effect(dialog.SaveHelp(record.HelpRequest{
				ID:      p.ID + "-" + t.today,
				Person:  p.ID,
				Class:   t.classID(),
				Text:    s,
				Source:  "checkin",
				Created: t.in.Now,
				State:   "open",
			}))
			if !t.alerted {
				// Without the questions dialog the mentor gets the request (or the next
				// person in line), so it reaches a person today. (An alert already
				// quoted it to the mentor and the care contacts.)
				t.helpTo = t.toMentor(func(L *i18n.Localizer) string {
					return L.T("checkin.help.to_mentor",
						"Name", chat.Literal(p.Name), "Class", chat.Literal(t.className()), "Text", chat.Literal(s))
				})
			}
			t.done()
		})
	default:
		_, choices := t.question()
		v, ok := matchChoice(t.in.Text, choices, true)
		if !ok {
			v, ok = t.matchStepWords(t.in.Text)
		}
		if ok && t.answer(v) {
			return
		}
		t.reaskChoice()
	}
}

// setGoal takes the pupil's own words as today's goal.
func (t *turn) setGoal(s string) {
	t.st.Confirm = ""
	t.st.Rec.Goal = s
	t.toStep(stepHelp)
}

// didYouMean catches a goal that is only a number, typed right after a numbered
// question (every way to the goal question passes one): the pupil most likely meant a
// choice. It asks once; the same number again is taken as the goal.
func (t *turn) didYouMean() bool {
	text := strings.TrimSpace(t.in.Text)
	if _, ok := bareNumber(text); !ok || t.st.Confirm == text {
		if t.st.Confirm != "" {
			t.st.Confirm = ""
			t.changed = true
		}
		return false
	}
	t.st.Confirm = text
	t.changed = true
	t.ask("")
	return true
}

// textAnswer validates a free-text answer; a typed button label (or one of the step's
// catalog words such as "no thanks") counts as pressing that button. Too long or empty
// answers are re-asked, never stored cut short.
func (t *turn) textAnswer(limit int, accept func(string)) {
	s := strings.TrimSpace(t.in.Text)
	if s == "" {
		t.ask(t.T("checkin.reask.empty"))
		return
	}
	_, choices := t.question()
	if v, ok := matchChoice(s, choices, false); ok {
		t.answer(v)
		return
	}
	if v, ok := t.matchStepWords(s); ok {
		t.answer(v)
		return
	}
	if n := runeCount(s); n > limit {
		t.ask(t.T("checkin.reask.too_long", "Max", limit, "Len", n))
		return
	}
	accept(s)
}

// matchStepWords maps the catalog's short answers of a step ("nee", "niks") to its button.
func (t *turn) matchStepWords(s string) (string, bool) {
	switch t.st.Step {
	case stepOpen:
		if inWords(s, t.T("checkin.open.skip_words")) {
			return "skip", true
		}
	case stepHelp:
		if inWords(s, t.T("checkin.help.none_words")) {
			return "no", true
		}
	case stepPlan:
		if inWords(s, t.T("checkin.plan.ok_words")) {
			return "ok", true
		}
	}
	return "", false
}

// onChoice handles a pressed button.
func (t *turn) onChoice() {
	if t.in.Action == actionStart {
		switch {
		case t.st.open():
			t.ask(t.T("checkin.resume"))
		case t.st != nil && t.st.Step == stepDone:
			t.alreadyDone()
		default:
			t.start(false)
		}
		return
	}
	if !t.st.open() {
		if t.st != nil && t.st.Step == stepDone {
			t.alreadyDone()
			return
		}
		t.say(t.T("checkin.old_button", "Command", t.T("cmd.checkin.name")))
		return
	}
	if t.in.Action != Name+"."+t.st.Step {
		t.ask(t.T("checkin.reask.old_button"))
		return
	}
	if !t.answer(t.in.Value) {
		t.reaskChoice()
	}
}

// onOther handles inputs the check-in has no use for (forms): re-ask or point the way.
func (t *turn) onOther() {
	if t.st.open() {
		t.ask(t.T("checkin.reask.choose"))
		return
	}
	t.say(t.T("checkin.idle", "Command", t.T("cmd.checkin.name"), "Help", t.T("cmd.help.name")))
}

func (t *turn) reaskChoice() {
	if t.st.Step == stepMood {
		t.ask(t.T("checkin.reask.mood"))
		return
	}
	t.ask(t.T("checkin.reask.choose"))
}

// answer applies a button value at the current step; false means the value is not
// one of the step's options.
func (t *turn) answer(v string) bool {
	st := t.st
	switch st.Step {
	case stepOpen:
		switch v {
		case "skip":
			t.toStep(stepMood)
		case "away":
			t.onAway()
		default:
			return false
		}
	case stepMood:
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 5 {
			return false
		}
		t.setMood(m)
	case stepPrev:
		switch record.GoalResult(v) {
		case record.GoalMet:
			st.Rec.PrevResult = record.GoalMet
			t.toGoal()
		case record.GoalPartly, record.GoalNot:
			st.Rec.PrevResult = record.GoalResult(v)
			t.toStep(stepCarry)
		default:
			return false
		}
	case stepCarry:
		switch v {
		case "keep":
			st.Rec.Goal = st.Rec.PrevGoal
			st.Rec.Level = t.level()
			t.toStep(stepHelp)
		case "drop":
			t.toGoal()
		default:
			return false
		}
	case stepPlan:
		if v != "ok" {
			return false
		}
		st.Rec.Goal = strings.Join(st.Items, "; ")
		t.toStep(stepHelp)
	case stepChoose:
		if v == "own" {
			st.GoalAsk = "checkin.goal.own"
			t.toStep(stepGoal)
			return true
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > len(st.Items) {
			return false
		}
		st.Rec.Goal = st.Items[n-1]
		t.toStep(stepHelp)
	case stepGoal:
		return t.confirmed(v)
	case stepHelp:
		if v != "no" {
			return false
		}
		t.done()
	default:
		return false
	}
	return true
}

// confirmed answers "did you mean choice N?": the plan item after all, or the number
// as the goal.
func (t *turn) confirmed(v string) bool {
	st := t.st
	if st.Confirm == "" {
		return false
	}
	if v == "keep" {
		t.setGoal(st.Confirm)
		return true
	}
	n, ok := t.confirmItem()
	if v != "pick" || !ok {
		return false
	}
	st.Confirm = ""
	st.Rec.Goal = st.Items[n-1]
	t.toStep(stepHelp)
	return true
}

// confirmItem is the plan item the pending number names, when the pupil came to the
// goal question from the list of plan items.
func (t *turn) confirmItem() (int, bool) {
	n, ok := bareNumber(t.st.Confirm)
	return n, ok && t.st.GoalAsk == "checkin.goal.own" && n >= 1 && n <= len(t.st.Items)
}

// toStep moves to step and asks its question.
func (t *turn) toStep(step string) {
	t.st.Step = step
	t.changed = true
	t.ask("")
}

// setMood records the mood, keeps the run of very low moods and moves on.
func (t *turn) setMood(m int) {
	t.st.Rec.Mood = m
	t.lowMoodRun(m)
	goal, date := t.in.Profile["goal"], t.in.Profile["goal_date"]
	if goal != "" && date != "" && date < t.today {
		t.st.Rec.PrevGoal = goal
		t.toStep(stepPrev)
		return
	}
	t.toGoal()
}

// level is the pupil's steering level: the mentor's setting, the roster's, teacher-led.
func (t *turn) level() string {
	if l := t.in.Profile["level"]; validLevel(l) {
		return l
	}
	if l := string(t.in.Person.Level); validLevel(l) {
		return l
	}
	return string(config.TeacherLed)
}

func validLevel(l string) bool {
	for _, x := range config.Levels {
		if string(x) == l {
			return true
		}
	}
	return false
}

// toGoal asks for today's goal the way the pupil's steering level wants it.
func (t *turn) toGoal() {
	st := t.st
	level := t.level()
	st.Rec.Level = level
	items := todayPlan(t.in.ClassData, t.today)
	switch {
	case level == string(config.TeacherLed) && len(items) > 0:
		st.Items = items
		t.toStep(stepPlan)
	case level == string(config.Shared) && len(items) > 0:
		st.Items = items
		t.toStep(stepChoose)
	case level == string(config.SelfLed):
		st.GoalAsk = "checkin.goal.question"
		t.toStep(stepGoal)
	default:
		st.GoalAsk = "checkin.goal.noplan"
		t.toStep(stepGoal)
	}
}

// done finishes today's check-in: the record, the pupil's current goal, a closing line.
func (t *turn) done() {
	st := t.st
	st.Step = stepDone
	st.Rec.Status = record.Done
	st.Rec.Finished = t.in.Now
	t.changed = true
	t.effect(dialog.SaveCheckIn(st.Rec))
	t.effect(dialog.SetProfile{Person: t.in.Person.ID, Fields: map[string]string{
		"goal": st.Rec.Goal, "goal_date": t.today, "away": "",
	}})
	// The closing line varies by day and pupil (deterministically: no randomness in a step).
	n := t.in.Today.Day
	for i := 0; i < len(t.in.Person.ID); i++ {
		n += int(t.in.Person.ID[i])
	}
	text := t.T("checkin.done."+strconv.Itoa(n%3+1), "Name", chat.Literal(firstName(t.in.Person)), "Goal", chat.Literal(st.Rec.Goal))
	if t.alerted {
		// The pupil just got the safeguarding message: no cheerful "good luck", and it
		// already said who hears about it.
		t.say(t.T("checkin.done.after_alert", "Name", chat.Literal(firstName(t.in.Person))))
		return
	}
	switch {
	case st.Rec.Help != "" && t.asker != nil:
		text += "\n" + t.T("checkin.done.help_question")
	case st.Rec.Help != "":
		switch t.helpTo {
		case "mentor":
			text += "\n" + t.T("checkin.done.help")
		case "care", "admin":
			text += "\n" + t.T("delivery.help_to_"+t.helpTo)
		default:
			text += "\n" + t.T("delivery.help_nobody")
		}
	}
	if st.Rec.Mood > 0 && st.Rec.Mood <= 2 {
		text += "\n" + t.T("checkin.done.lowmood")
	}
	t.say(text)
}

// ask sends the current question, after an optional line (a re-ask reason, a reminder).
func (t *turn) ask(prefix string) {
	q, choices := t.question()
	if prefix == "" && t.alerted {
		// Right after the safeguarding message: the check-in may go on, not must.
		prefix = t.T("checkin.after_alert")
	}
	if prefix != "" {
		q = prefix + "\n\n" + q
	}
	t.say(q, choices...)
	if f := t.form(); f != nil {
		t.res.Messages[len(t.res.Messages)-1].Form = f
	}
}

// textSteps are the steps answered in the pupil's own words, with their limits.
var textSteps = map[string]int{stepOpen: MaxAnswer, stepGoal: MaxGoal, stepHelp: MaxAnswer}

// form offers a text step's answer as a form where the platform has them: a modal is
// private even when the check-in was opened from the class channel, where a typed
// answer would be public.
func (t *turn) form() *chat.Form {
	limit, ok := textSteps[t.st.Step]
	if !ok || !t.in.Caps.Forms {
		return nil
	}
	return &chat.Form{
		Action: Name + "." + t.st.Step,
		Title:  t.T("checkin.form.title"),
		Open:   t.T("checkin.form.open"),
		Submit: t.T("checkin.form.submit"),
		Fields: []chat.Field{{
			ID: FormField, Label: t.T("checkin.form.label." + t.st.Step),
			Multiline: t.st.Step != stepGoal, Required: true, MaxLen: limit,
		}},
	}
}

// onForm takes a submitted answer form as the typed answer of its step.
func (t *turn) onForm() {
	if t.st.open() && t.in.Action == Name+"."+t.st.Step {
		if _, ok := textSteps[t.st.Step]; ok {
			t.in.Text = t.in.Fields[FormField]
			t.onText()
			return
		}
	}
	t.onOther()
}

func (t *turn) button(value, labelKey, style string) chat.Choice {
	return chat.Choice{Action: Name + "." + t.st.Step, Value: value, Label: t.T(labelKey), Style: style}
}

// question renders the open question of the current step with its buttons.
func (t *turn) question() (string, []chat.Choice) {
	st := t.st
	switch st.Step {
	case stepOpen:
		return t.T("checkin.open.question"), []chat.Choice{
			t.button("skip", "checkin.open.skip", ""),
			t.button("away", "checkin.open.away", ""),
		}
	case stepMood:
		cs := make([]chat.Choice, 5)
		for i := range cs {
			v := strconv.Itoa(i + 1)
			cs[i] = t.button(v, "checkin.mood."+v, "")
		}
		return t.T("checkin.mood.question"), cs
	case stepPrev:
		return t.T("checkin.prev.question", "Goal", chat.Literal(st.Rec.PrevGoal)), []chat.Choice{
			t.button(string(record.GoalMet), "checkin.prev.met", ""),
			t.button(string(record.GoalPartly), "checkin.prev.partly", ""),
			t.button(string(record.GoalNot), "checkin.prev.not", ""),
		}
	case stepCarry:
		return t.T("checkin.carry.question", "Goal", chat.Literal(st.Rec.PrevGoal)), []chat.Choice{
			t.button("keep", "checkin.carry.keep", "primary"),
			t.button("drop", "checkin.carry.drop", ""),
		}
	case stepPlan:
		return t.T("checkin.plan.question", "Plan", bullets(st.Items)), []chat.Choice{
			t.button("ok", "checkin.plan.ok", "primary"),
		}
	case stepChoose:
		cs := make([]chat.Choice, 0, len(st.Items)+1)
		for i, item := range st.Items {
			// Platforms cap button labels (Discord: 80); the full items are in the plan.
			cs = append(cs, chat.Choice{Action: Name + "." + stepChoose, Value: strconv.Itoa(i + 1), Label: clip(item, 80)})
		}
		cs = append(cs, t.button("own", "checkin.choose.own", ""))
		return t.T("checkin.choose.question"), cs
	case stepGoal:
		if st.Confirm != "" {
			n, _ := bareNumber(st.Confirm)
			keep := chat.Choice{Action: Name + "." + stepGoal, Value: "keep", Label: t.T("checkin.goal.keep", "N", st.Confirm)}
			if i, ok := t.confirmItem(); ok {
				return t.T("checkin.goal.did_you_mean_item", "N", n, "Item", chat.Literal(st.Items[i-1])), []chat.Choice{
					{Action: Name + "." + stepGoal, Value: "pick", Label: t.T("checkin.goal.pick", "N", n), Style: "primary"}, keep,
				}
			}
			return t.T("checkin.goal.did_you_mean", "N", n, "Max", MaxGoal), []chat.Choice{keep}
		}
		key := st.GoalAsk
		if key == "" {
			key = "checkin.goal.question"
		}
		return t.T(key, "Max", MaxGoal), nil
	case stepHelp:
		return t.T("checkin.help.question"), []chat.Choice{
			t.button("no", "checkin.help.no", ""),
		}
	}
	return "", nil
}

// bullets lists plan items, one per line, each as the teacher's literal text.
func bullets(items []string) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("• ")
		b.WriteString(chat.Literal(it))
	}
	return b.String()
}

// numbered lists plan items as "1. item" lines.
func numbered(items []string) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". ")
		b.WriteString(chat.Literal(it))
	}
	return b.String()
}

func firstName(p *config.Person) string {
	if f := strings.Fields(p.Name); len(f) > 0 {
		return f[0]
	}
	return p.ID
}
