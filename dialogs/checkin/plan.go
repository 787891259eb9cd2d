package checkin

import (
	"encoding/json"
	"strings"
)

// ClassField is the class field that holds the day plan, as JSON DayPlan.
const ClassField = "dayplan"

// DayPlan is what a teacher set for a class's day: teacher-led pupils confirm the
// whole plan, pupils at the shared level choose one of its items.
type DayPlan struct {
	// Date is the school day the plan is for, YYYY-MM-DD.
	Date string `json:"date"`
	// Text is the plan as the teacher wrote it.
	Text string `json:"text"`
}

// Items splits the plan into its items.
func (p DayPlan) Items() []string { return ParsePlan(p.Text) }

// ParsePlan splits a plan into items at ";" and line breaks. List markers a teacher
// may type in front of lines ("-", "*", "•") are dropped, and so are empty items.
func ParsePlan(text string) []string {
	var items []string
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == ';' || r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(line)
		line = strings.TrimLeft(line, "-*•· \t")
		line = strings.TrimSpace(line)
		if line != "" {
			items = append(items, line)
		}
	}
	return items
}

// todayPlan returns the items of the class's day plan if it is for today.
func todayPlan(classData map[string]string, today string) []string {
	raw := classData[ClassField]
	if raw == "" {
		return nil
	}
	var p DayPlan
	if err := json.Unmarshal([]byte(raw), &p); err != nil || p.Date != today {
		return nil
	}
	return p.Items()
}
