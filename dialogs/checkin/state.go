package checkin

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/kring-school/kring/bot/record"
)

// The steps of the conversation. A step names the question currently open; its
// buttons carry the action "checkin.<step>".
const (
	stepOpen   = "open"   // what is on your mind? (text, skip, away)
	stepMood   = "mood"   // 1 to 5
	stepPrev   = "prev"   // how did your last goal go? met / partly / not
	stepCarry  = "carry"  // keep the unfinished goal or drop it
	stepPlan   = "plan"   // teacher-led: confirm the day plan
	stepChoose = "choose" // shared: choose one of the plan's items, or an own goal
	stepGoal   = "goal"   // write a goal
	stepHelp   = "help"   // anything you need help with?
	stepDone   = "done"   // finished for today
	stepAway   = "away"   // the pupil said they are away today
)

// actionStart is the "check in anyway" button shown to a pupil who said they were away.
const actionStart = Name + ".start"

// state is what the dialog keeps per pupil between inputs.
type state struct {
	// Date is the school day the state belongs to, YYYY-MM-DD.
	Date string `json:"date"`
	Step string `json:"step"`
	// Rec is the check-in record under construction.
	Rec record.CheckIn `json:"rec"`
	// Reminded is set once the day's reminder went out, so there is never a second.
	Reminded bool `json:"reminded,omitempty"`
	// Alerted is set when the pupil's words raised a safeguarding alert today: no
	// reminder nags them afterwards.
	Alerted bool `json:"alerted,omitempty"`
	// Items are the plan items offered at the plan or choose step, kept so a re-ask
	// shows the same options and a button maps to the same item even if the teacher
	// changes the plan meanwhile.
	Items []string `json:"items,omitempty"`
	// GoalAsk is the catalog key of the goal question, which depends on how the pupil
	// got there (self-led, chose "my own goal", no plan today).
	GoalAsk string `json:"goalAsk,omitempty"`
	// Confirm is a goal typed as a bare number ("1") right after a numbered question,
	// held while the pupil is asked whether they meant that choice.
	Confirm string `json:"confirm,omitempty"`
}

// open reports whether a question is waiting for the pupil's answer.
func (s *state) open() bool {
	return s != nil && s.Step != stepDone && s.Step != stepAway
}

// answered reports whether the pupil answered anything yet (skipping the open
// question counts: they were there).
func (s *state) answered() bool {
	return s.Step != stepOpen || s.Rec.Open != ""
}

// wire is the saved form of state: flat, with the start time as Unix milliseconds.
// Encoding time.Time through its JSON marshaller cost a quarter of a step, and the
// record's person, class and date are known from the state around them.
type wire struct {
	Date       string            `json:"date"`
	Step       string            `json:"step"`
	Reminded   bool              `json:"reminded,omitempty"`
	Alerted    bool              `json:"alerted,omitempty"`
	Items      []string          `json:"items,omitempty"`
	GoalAsk    string            `json:"goalAsk,omitempty"`
	Confirm    string            `json:"confirm,omitempty"`
	Person     string            `json:"person"`
	Class      string            `json:"class,omitempty"`
	Status     record.Status     `json:"status,omitempty"`
	Open       string            `json:"open,omitempty"`
	Mood       int               `json:"mood,omitempty"`
	PrevGoal   string            `json:"prevGoal,omitempty"`
	PrevResult record.GoalResult `json:"prevResult,omitempty"`
	Goal       string            `json:"goal,omitempty"`
	Level      string            `json:"level,omitempty"`
	Help       string            `json:"help,omitempty"`
	Started    int64             `json:"started,omitempty"`
}

// decodeState reads saved state. Unreadable state is dropped rather than reported:
// an error would make every later input of the pupil fail the same way, while starting
// afresh only loses an unfinished day.
func decodeState(b []byte) *state {
	if len(b) == 0 {
		return nil
	}
	var w wire
	if err := json.Unmarshal(b, &w); err != nil || w.Date == "" || !knownStep(w.Step) {
		return nil
	}
	s := &state{
		Date: w.Date, Step: w.Step, Reminded: w.Reminded, Alerted: w.Alerted, Items: w.Items, GoalAsk: w.GoalAsk, Confirm: w.Confirm,
		Rec: record.CheckIn{
			Person: w.Person, Class: w.Class, Date: w.Date, Status: w.Status,
			Open: w.Open, Mood: w.Mood, PrevGoal: w.PrevGoal, PrevResult: w.PrevResult,
			Goal: w.Goal, Level: w.Level, Help: w.Help,
		},
	}
	if w.Started != 0 {
		s.Rec.Started = time.UnixMilli(w.Started)
	}
	return s
}

func knownStep(step string) bool {
	switch step {
	case stepOpen, stepMood, stepPrev, stepCarry, stepPlan, stepChoose, stepGoal, stepHelp, stepDone, stepAway:
		return true
	}
	return false
}

func (s *state) encode() ([]byte, error) {
	r := &s.Rec
	w := wire{
		Date: s.Date, Step: s.Step, Reminded: s.Reminded, Alerted: s.Alerted, Items: s.Items, GoalAsk: s.GoalAsk, Confirm: s.Confirm,
		Person: r.Person, Class: r.Class, Status: r.Status,
		Open: r.Open, Mood: r.Mood, PrevGoal: r.PrevGoal, PrevResult: r.PrevResult,
		Goal: r.Goal, Level: r.Level, Help: r.Help,
	}
	if !r.Started.IsZero() {
		w.Started = r.Started.UnixMilli()
	}
	b, err := json.Marshal(&w)
	if err != nil {
		return nil, fmt.Errorf("checkin: encode state of %s for %s: %w", r.Person, s.Date, err)
	}
	return b, nil
}
