package checkin

import (
	"encoding/json"
	"strings"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/record"
)

// ProfileLevel is the profile field holding a pupil's steering level.
const ProfileLevel = "level"

// dayplan sets the class day plan for today.
func (t *turn) dayplan() {
	p := t.in.Person
	if !p.Has(config.Teacher) {
		t.say(t.T("checkin.dayplan.not_allowed"))
		return
	}
	cmd := t.T("cmd.dayplan.name")
	id := strings.TrimSpace(t.in.Args["class"])
	if id == "" {
		id = p.Class()
	}
	if id == "" {
		t.say(t.T("checkin.dayplan.no_class", "Command", cmd, "Option", t.T("cmd.dayplan.arg.class")))
		return
	}
	c, ok := t.in.School.Class(id)
	if !ok {
		t.say(t.T("checkin.dayplan.unknown_class", "Class", chat.Literal(id)))
		return
	}
	name := c.Name
	if name == "" {
		name = c.ID
	}
	if !teaches(p, c) {
		t.say(t.T("checkin.dayplan.not_your_class", "Class", chat.Literal(name)))
		return
	}
	text := strings.TrimSpace(t.in.Args["plan"])
	items := ParsePlan(text)
	if len(items) == 0 {
		t.say(t.T("checkin.dayplan.usage", "Command", cmd))
		return
	}
	if n := runeCount(text); n > MaxPlan {
		t.say(t.T("checkin.dayplan.too_long", "Len", n, "Max", MaxPlan))
		return
	}
	if len(items) > MaxPlanItems {
		t.say(t.T("checkin.dayplan.too_many", "Count", len(items), "Max", MaxPlanItems))
		return
	}
	// Marshalling two strings cannot fail.
	b, _ := json.Marshal(DayPlan{Date: t.today, Text: text})
	t.effect(dialog.SetClass{Class: c.ID, Fields: map[string]string{ClassField: string(b)}})
	t.say(t.in.L.N("checkin.dayplan.saved", len(items),
		"Class", chat.Literal(name), "Date", t.today, "Items", numbered(items)))
}

// teaches reports whether teacher p belongs to class c or teaches one of its subjects.
func teaches(p *config.Person, c *config.Class) bool {
	if p.InClass(c.ID) {
		return true
	}
	for _, id := range c.Subjects {
		if id == p.ID {
			return true
		}
	}
	return false
}

// setLevel sets a pupil's steering level: mentors for their own mentees, care and
// admins for any pupil. Every change is audited.
func (t *turn) setLevel() {
	actor := t.in.Person
	if !actor.Has(config.Mentor) && !actor.Has(config.Care) && !actor.Has(config.Admin) {
		t.say(t.T("checkin.level.not_allowed"))
		return
	}
	ref := strings.TrimSpace(t.in.Args["pupil"])
	pupil, ok := t.in.School.Person(ref)
	if !ok || !pupil.Has(config.Pupil) {
		t.say(t.T("checkin.level.unknown_pupil", "Ref", chat.Literal(ref)))
		return
	}
	level := t.levelArg(t.in.Args["level"])
	if level == "" {
		t.say(t.T("checkin.level.bad_level", "Command", t.T("cmd.level.name"), "Pupil", chat.Literal(pupil.ID)))
		return
	}
	if !actor.Has(config.Care) && !actor.Has(config.Admin) && pupil.Mentor != actor.ID {
		t.say(t.T("checkin.level.not_yours", "Name", chat.Literal(pupil.Name)))
		return
	}
	t.effect(dialog.SetProfile{Person: pupil.ID, Fields: map[string]string{ProfileLevel: level}})
	t.effect(dialog.Audit{Entry: record.Audit{
		Time: t.in.Now, Actor: actor.ID, Action: "set-level", Subject: pupil.ID, Detail: level,
	}})
	t.say(t.T("checkin.level.saved", "Name", chat.Literal(pupil.Name), "Level", t.T("checkin.level."+level)))
}

// levelArg reads a level option: the canonical value, or its word in the person's
// language ("gedeeld"), in any case and with or without accents. The Engine has already
// mapped the words of both languages to the canonical value.
func (t *turn) levelArg(v string) string {
	for _, l := range config.Levels {
		if sameWord(v, string(l)) || sameWord(v, t.T("choice."+string(l))) {
			return string(l)
		}
	}
	return ""
}
