package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func date(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func ids(ps []*Person) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// TestExampleLoads proves the shipped template is valid and that Prepare builds the
// indexes the rest of Kring looks people and days up with.
func TestExampleLoads(t *testing.T) {
	s, err := Load("../../examples/school.yaml")
	if err != nil {
		t.Fatalf("examples/school.yaml: %v", err)
	}
	if s.ID != "demo" || s.Name != "Demo College" || s.Locale != "nl" || s.Timezone != "Europe/Amsterdam" {
		t.Errorf("school = %q %q %q %q", s.ID, s.Name, s.Locale, s.Timezone)
	}
	if time.Duration(s.Retention) != 365*24*time.Hour {
		t.Errorf("retention = %v, want 365 days", time.Duration(s.Retention))
	}
	pol := s.Policy
	if pol.TeachersSeeCheckins || pol.TeacherSeesAnonymousName || pol.LowMoodRun != 3 || pol.SilentDays != 3 {
		t.Errorf("policy = %+v", pol)
	}
	if got := pol.AlertWords["nl"]; !reflect.DeepEqual(got, []string{"niet meer naar school", "thuiszitten"}) {
		t.Errorf("alert_words.nl = %q", got)
	}
	if got := pol.AlertWords["en"]; !reflect.DeepEqual(got, []string{"not going to school anymore"}) {
		t.Errorf("alert_words.en = %q", got)
	}

	c, ok := s.Class("2B")
	if !ok || len(s.Classes) != 1 {
		t.Fatalf("class 2B missing (classes: %d)", len(s.Classes))
	}
	if c.Name != "Klas 2B" || c.Locale != "nl" || c.Location == nil || c.Location.String() != "Europe/Amsterdam" {
		t.Errorf("class = %q %q %v", c.Name, c.Locale, c.Location)
	}
	if c.Schedule.CheckIn.String() != "08:15" || c.Schedule.Reminder.String() != "10:00" {
		t.Errorf("schedule = %s / %s", c.Schedule.CheckIn, c.Schedule.Reminder)
	}
	wantDays := []Weekday{Weekday(time.Monday), Weekday(time.Tuesday), Weekday(time.Wednesday), Weekday(time.Thursday), Weekday(time.Friday)}
	if !reflect.DeepEqual(c.Schedule.Days, wantDays) {
		t.Errorf("days = %v", c.Schedule.Days)
	}
	wantHolidays := []Holiday{
		{Name: "kerstvakantie", From: date("2026-12-19"), To: date("2027-01-03")},
		{Name: "voorjaarsvakantie", From: date("2027-02-13"), To: date("2027-02-21")},
	}
	if !reflect.DeepEqual(c.Schedule.Holidays, wantHolidays) {
		t.Errorf("holidays = %+v", c.Schedule.Holidays)
	}
	if want := map[string]string{"wiskunde": "bakker", "nederlands": "bakker", "geschiedenis": "devries"}; !reflect.DeepEqual(c.Subjects, want) {
		t.Errorf("subjects = %v", c.Subjects)
	}
	if c.Discord.Channel != "" || c.Slack.Channel != "" {
		t.Errorf("channels should be left empty in the template: %q %q", c.Discord.Channel, c.Slack.Channel)
	}

	for _, ref := range []string{"anna", "ANNA", "Anna de Boer", "anna DE boer"} {
		if p, ok := s.FindPerson(ref); !ok || p.ID != "anna" {
			t.Errorf("FindPerson(%q) = %v, %v", ref, p, ok)
		}
	}
	if p, ok := s.FindPerson("yusuf öztürk"); !ok || p.ID != "yusuf" {
		t.Errorf("FindPerson with non-ASCII name = %v, %v", p, ok)
	}
	if _, ok := s.FindPerson("nobody"); ok {
		t.Error("FindPerson(nobody) found someone")
	}
	if p, ok := s.ByPlatform("shell", "devries"); !ok || p.Name != "Dhr. De Vries" {
		t.Errorf("ByPlatform(shell, devries) = %v, %v", p, ok)
	}
	if _, ok := s.ByPlatform("discord", ""); ok {
		t.Error("an empty Discord id resolved to a person")
	}

	if got, want := ids(s.Members("2B", Pupil)), []string{"anna", "daan", "sanne", "milan", "fleur", "yusuf"}; !reflect.DeepEqual(got, want) {
		t.Errorf("pupils of 2B = %v, want %v", got, want)
	}
	if got, want := ids(s.Members("2B", Teacher)), []string{"bakker", "devries"}; !reflect.DeepEqual(got, want) {
		t.Errorf("teachers of 2B = %v, want %v", got, want)
	}
	if got := ids(s.Members("2B", Care)); len(got) != 0 {
		t.Errorf("care in 2B = %v, want none (mulder has no class)", got)
	}
	if got := len(s.Mentees("devries")); got != 6 {
		t.Errorf("mentees of devries = %d, want 6", got)
	}
	if got := s.Mentees("bakker"); len(got) != 0 {
		t.Errorf("mentees of bakker = %v, want none", ids(got))
	}
	levels := map[string]Level{"anna": TeacherLed, "daan": Shared, "sanne": SelfLed, "milan": TeacherLed, "fleur": Shared, "yusuf": SelfLed}
	for id, want := range levels {
		if p, _ := s.Person(id); p.Level != want {
			t.Errorf("%s level = %q, want %q", id, p.Level, want)
		}
	}
	if p, _ := s.Person("mulder"); !p.Has(Care) || p.Has(Pupil) {
		t.Errorf("mulder roles = %v", p.Roles)
	}
	if p, _ := s.Person("devries"); !p.Has(Mentor) || !p.Has(Teacher) {
		t.Errorf("devries roles = %v", p.Roles)
	}

	days := []struct {
		day    string
		school bool
		why    string
	}{
		{"2026-12-18", true, "Friday before the Christmas holiday"},
		{"2026-12-21", false, "Monday in the Christmas holiday"},
		{"2027-01-01", false, "Friday in the Christmas holiday"},
		{"2027-01-04", true, "Monday after the Christmas holiday"},
		{"2027-02-15", false, "Monday in the spring holiday"},
		{"2027-02-22", true, "Monday after the spring holiday"},
		{"2027-03-06", false, "a Saturday"},
		{"2027-03-07", false, "a Sunday"},
		{"2027-03-08", true, "a Monday"},
	}
	for _, d := range days {
		if got := c.IsSchoolDay(date(d.day)); got != d.school {
			t.Errorf("IsSchoolDay(%s) = %v, want %v (%s)", d.day, got, d.school, d.why)
		}
	}
	if Check("../../examples/school.yaml") != nil {
		t.Error("Check reports problems in a file Load accepts")
	}
}

// TestPlatformIdentities proves Discord and Slack ids from YAML reach ByPlatform.
func TestPlatformIdentities(t *testing.T) {
	s, err := Parse([]byte(doc(
		"id: t",
		"discord:",
		`  guild: "100000000000000000"`,
		"slack:",
		"  team: T0001",
		"classes:",
		"  - id: 1A",
		"    discord:",
		`      channel: "100000000000000001"`,
		"    slack:",
		"      channel: C0001",
		"people:",
		"  - id: m",
		"    name: Mentor",
		"    roles: [mentor]",
		"    discord: 100000000000000002",
		"    slack: U0002",
		"  - id: p",
		"    name: Pupil",
		"    roles: [pupil]",
		"    classes: [1A]",
		"    mentor: m",
		`    discord: "100000000000000003"`,
		"    slack: W0003",
	)), "school.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ platform, user, want string }{
		{"discord", "100000000000000002", "m"},
		{"discord", "100000000000000003", "p"},
		{"slack", "U0002", "m"},
		{"slack", "W0003", "p"},
		{"shell", "p", "p"},
	} {
		p, ok := s.ByPlatform(c.platform, c.user)
		if !ok || p.ID != c.want {
			t.Errorf("ByPlatform(%s, %s) = %v, %v; want %s", c.platform, c.user, p, ok, c.want)
		}
	}
	if _, ok := s.ByPlatform("slack", "100000000000000002"); ok {
		t.Error("a Discord id resolved on Slack")
	}
	if s.Discord.Guild != "100000000000000000" || s.Slack.Team != "T0001" {
		t.Errorf("workspace = %q %q", s.Discord.Guild, s.Slack.Team)
	}
	if s.Classes[0].Discord.Channel != "100000000000000001" || s.Classes[0].Slack.Channel != "C0001" {
		t.Errorf("channels = %+v", s.Classes[0])
	}
}

func doc(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

const (
	head    = "id: t"
	class1A = "classes:\n  - id: 1A"
	people  = "people:\n  - id: m\n    name: Mentor\n    roles: [mentor]\n  - id: p\n    name: Pupil\n    roles: [pupil]\n    classes: [1A]\n    mentor: m"
)

// TestBaseIsValid keeps the table below honest: each bad case differs from a valid file.
func TestBaseIsValid(t *testing.T) {
	if _, err := Parse([]byte(doc(head, class1A, people)), "school.yaml"); err != nil {
		t.Fatal(err)
	}
}

// TestBadFiles feeds one mistake per file and asserts the single problem it yields:
// its line (the line marked #<), its field path and the gist of its message.
func TestBadFiles(t *testing.T) {
	cases := []struct {
		name, yaml, field, msg string
	}{
		{"missing school id", doc("name: Demo College  #<", class1A, people), "id", "school id is missing; add e.g. id: demo-college"},
		{"bad school id", doc("id: Demo College  #<", class1A, people), "id", `"Demo College" is not a valid school id`},
		{"school locale", doc(head, "locale: de  #<", class1A, people), "locale", `"de" is not a supported language; use nl or en`},
		{"school time zone", doc(head, "timezone: Europe/Amsterdm  #<", class1A, people), "timezone", `"Europe/Amsterdm" is not a time zone`},
		{"class locale", doc(head, class1A, "    locale: fr  #<", people), "classes[0].locale", `"fr" is not a supported language`},
		{"class time zone", doc(head, class1A, "    timezone: Mars/Olympus  #<", people), "classes[0].timezone", "is not a time zone"},
		{"person locale", doc(head, class1A, people, "    locale: DE  #<"), "people[1].locale", `"DE" is not a supported language`},
		{"duplicate class id", doc(head, class1A, "  - id: 1a  #<", people), "classes[1].id", `class id "1a" is used twice (first on line 3`},
		{"class id with space", doc(head, "classes:\n  - id: klas 1  #<", "people: []"), "classes[0].id", "not a valid class id"},
		{"class without id", doc(head, "classes:\n  - name: Klas 1  #<", "people: []"), "classes[0].id", "class id is missing"},
		{"duplicate person id", doc(head, class1A, people, "  - id: M  #<", "    name: Other", "    roles: [care]"), "people[2].id", `id "M" is used twice (first at line 5`},
		{"person without id", doc(head, class1A, people, "  - name: Nobody  #<", "    roles: [care]"), "people[2].id", "id is missing"},
		{"person without name", doc(head, class1A, people, "  - id: x  #<", "    roles: [care]"), "people[2].name", "the name is missing"},
		{"no roles", doc(head, class1A, people, "  - id: x  #<", "    name: X"), "people[2].roles", "no roles; give one or more of pupil, teacher, mentor, care or admin"},
		{"bad role", doc(head, class1A, people, "  - id: x", "    name: X", "    roles: [care, techer]  #<"), "people[2].roles[1]", `"techer" is not a role; use pupil, teacher, mentor, care or admin (did you mean teacher?)`},
		{"role as a single value", doc(head, class1A, people, "  - id: x", "    name: X", "    roles: admn  #<"), "people[2].roles[0]", `"admn" is not a role`},
		{"pupil without class", doc(head, class1A, "people:\n  - id: m\n    name: M\n    roles: [mentor]\n  - id: p  #<\n    name: P\n    roles: [pupil]\n    mentor: m"), "people[1].classes", "a pupil needs exactly one class"},
		{"pupil in two classes", doc(head, class1A, "  - id: 1B", "people:\n  - id: m\n    name: M\n    roles: [mentor]\n  - id: p\n    name: P\n    roles: [pupil]\n    classes: [1A, 1B]  #<\n    mentor: m"), "people[1].classes", "a pupil belongs to exactly one class, found 2 (1A, 1B)"},
		{"unknown class", doc(head, class1A, people, "  - id: t1", "    name: T", "    roles: [teacher]", "    classes: [1A, 9Z]  #<"), "people[2].classes[1]", `class "9Z" is not defined under classes`},
		{"unknown class near miss", doc(head, class1A, people, "  - id: t1", "    name: T", "    roles: [teacher]", "    classes: [1a]  #<"), "people[2].classes[0]", `class "1a" is not defined under classes (did you mean 1A?)`},
		{"pupil without mentor", doc(head, class1A, "people:\n  - id: p  #<\n    name: P\n    roles: [pupil]\n    classes: [1A]"), "people[0].mentor", "a pupil needs a mentor (their check-in summaries and alerts go to the mentor)"},
		{"unknown mentor", doc(head, class1A, "people:\n  - id: devries\n    name: M\n    roles: [mentor]\n  - id: p\n    name: P\n    roles: [pupil]\n    classes: [1A]\n    mentor: devris  #<"), "people[1].mentor", `"devris" is not on the roster (did you mean devries?)`},
		{"mentor without role", doc(head, class1A, "people:\n  - id: m\n    name: M\n    roles: [teacher]\n  - id: p\n    name: P\n    roles: [pupil]\n    classes: [1A]\n    mentor: m  #<"), "people[1].mentor", "m is not a mentor; add the role mentor to m"},
		{"mentor on non-pupil", doc(head, class1A, people, "  - id: x", "    name: X", "    roles: [care]", "    mentor: m  #<"), "people[2].mentor", "only pupils have a mentor"},
		{"bad level", doc(head, class1A, people, "    level: shred  #<"), "people[1].level", `"shred" is not a steering level; use teacher, shared or self (did you mean shared?)`},
		{"level on teacher", doc(head, class1A, people, "  - id: x", "    name: X", "    roles: [teacher]", "    level: self  #<"), "people[2].level", "only pupils have a steering level"},
		{"empty prompt bank subject", doc(head, "prompts:", "  wiskunde: []  #<", class1A, people), "prompts.wiskunde", "the subject wiskunde has no prompts"},
		{"empty bank prompt", doc(head, "prompts:", "  wiskunde:", "    - \"Wat is x?\"", "    - \"\"  #<", class1A, people), "prompts.wiskunde[1]", "an empty prompt"},
		{"bank prompt too long", doc(head, "prompts:", "  wiskunde:", "    - \""+strings.Repeat("x", 501)+"\"  #<", class1A, people), "prompts.wiskunde[0]", "the prompt has 501 characters; at most 500"},
		{"subject teacher unknown", doc(head, class1A, "    subjects:", "      wiskunde: bakkr  #<", people), "classes[0].subjects.wiskunde", `"bakkr" is not on the roster`},
		{"subject teacher not a teacher", doc(head, class1A, "    subjects:", "      wiskunde: m  #<", people), "classes[0].subjects.wiskunde", "m is not a teacher; add the role teacher to m"},
		{"subject teacher not in class", doc(head, class1A, "  - id: 1B", "    subjects:", "      wiskunde: t1  #<", people, "  - id: t1", "    name: T", "    roles: [teacher]", "    classes: [1A]"), "classes[1].subjects.wiskunde", "t1 does not teach in class 1B; add 1B to t1's classes"},
		{"subject without teacher", doc(head, class1A, "    subjects:", "      wiskunde:  #<", people), "classes[0].subjects.wiskunde", "no teacher given for wiskunde"},
		{"time of day", doc(head, class1A, "    schedule:", "      checkin: 8.15  #<", people), "classes[0].schedule.checkin", `"8.15" is not a time of day; write HH:MM, e.g. 08:15`},
		{"reminder before check-in", doc(head, class1A, "    schedule:", `      checkin: "09:00"`, `      reminder: "08:30"  #<`, people), "classes[0].schedule.reminder", "the reminder (08:30) must come after the check-in (09:00)"},
		{"reminder before default check-in", doc(head, class1A, "    schedule:", `      reminder: "08:15"  #<`, people), "classes[0].schedule.reminder", "must come after the check-in (08:15)"},
		{"reminder too soon", doc(head, class1A, "    schedule:", `      checkin: "09:00"`, `      reminder: "09:20"  #<`, people), "classes[0].schedule.reminder", "the reminder (09:20) is only 20 minutes after the check-in (09:00), and a reminder is never sent within 30 minutes of the check-in (pupils get that long to answer); set it at 09:30 or later"},
		{"reminder too soon after default", doc(head, class1A, "    schedule:", `      reminder: "08:30"  #<`, people), "classes[0].schedule.reminder", "only 15 minutes after the check-in (08:15)"},
		{"bad day", doc(head, class1A, "    schedule:", "      days: [ma, di, woe]  #<", people), "classes[0].schedule.days[2]", `"woe" is not a day`},
		{"holiday reversed", doc(head, class1A, "    schedule:", "      holidays:", "        - name: kerst", "          from: 2027-01-03", "          to: 2026-12-19  #<", people), "classes[0].schedule.holidays[0].to", "the holiday ends (2026-12-19) before it starts (2027-01-03)"},
		{"holiday without name", doc(head, class1A, "    schedule:", "      holidays:", "        - from: 2027-01-03  #<", "          to: 2027-01-03", people), "classes[0].schedule.holidays[0].name", "a holiday needs a name"},
		{"holiday without end", doc(head, class1A, "    schedule:", "      holidays:", "        - name: studiedag  #<", "          from: 2027-01-03", people), "classes[0].schedule.holidays[0].to", "a holiday needs a last day"},
		{"bad date", doc(head, class1A, "    schedule:", "      holidays:", "        - name: kerst", "          from: 2026-12-32  #<", "          to: 2027-01-03", people), "classes[0].schedule.holidays[0].from", `"2026-12-32" is not a date; write YYYY-MM-DD`},
		{"discord id not digits", doc(head, class1A, people, "    discord: anna#1234  #<"), "people[1].discord", `"anna#1234" is not a Discord user id`},
		{"discord id twice", doc(head, class1A, "people:\n  - id: m\n    name: M\n    roles: [mentor]\n    discord: \"42\"\n  - id: p\n    name: P\n    roles: [pupil]\n    classes: [1A]\n    mentor: m\n    discord: 42  #<"), "people[1].discord", "Discord user id 42 is also given to m (at line 5)"},
		{"slack id malformed", doc(head, class1A, people, "    slack: anna  #<"), "people[1].slack", `"anna" is not a Slack user id; it starts with U or W`},
		{"slack id twice", doc(head, class1A, "people:\n  - id: m\n    name: M\n    roles: [mentor]\n    slack: U42\n  - id: p\n    name: P\n    roles: [pupil]\n    classes: [1A]\n    mentor: m\n    slack: U42  #<"), "people[1].slack", "Slack user id U42 is also given to m"},
		{"discord guild", doc(head, "discord:", "  guild: my-server  #<", class1A, people), "discord.guild", "is not a Discord server id"},
		{"slack team", doc(head, "slack:", "  team: myschool  #<", class1A, people), "slack.team", "is not a Slack workspace id"},
		{"discord channel", doc(head, class1A, "    discord:", "      channel: \"#klas-1a\"  #<", people), "classes[0].discord.channel", "is not a Discord channel id"},
		{"slack channel", doc(head, class1A, "    slack:", "      channel: klas-1a  #<", people), "classes[0].slack.channel", "is not a Slack channel id"},
		{"retention too short", doc(head, "retention: 12h  #<", class1A, people), "retention", "12h is too short; keep records at least 1 day"},
		{"retention zero days", doc(head, "retention: 0d  #<", class1A, people), "retention", `"0d" is not a number of days`},
		{"retention words", doc(head, "retention: forever  #<", class1A, people), "retention", `"forever" is not a duration`},
		{"question reminder too soon", doc(head, "questions:\n  remind_after: 5m  #<", class1A, people), "questions.remind_after", "5m is too short"},
		{"escalation before the reminder", doc(head, "questions:\n  remind_after: 4h\n  escalate_after: 2h  #<", class1A, people), "questions.escalate_after", "must be longer than remind_after"},
		{"negative low mood run", doc(head, "policy:", "  low_mood_run: -1  #<", class1A, people), "policy.low_mood_run", "-1 is negative"},
		{"negative silent days", doc(head, "policy:", "  silent_days: -2  #<", class1A, people), "policy.silent_days", "-2 is negative"},
		{"number in words", doc(head, "policy:", "  silent_days: three  #<", class1A, people), "policy.silent_days", `"three" is not a whole number`},
		{"unknown digest frequency", doc(head, "policy:", "  digest: monthly  #<", class1A, people), "policy.digest", `"monthly" is not a digest frequency; use daily, weekly or off`},
		{"alert re-sent too soon", doc(head, "policy:", "  alert_resend: 10s  #<", class1A, people), "policy.alert_resend", "too short"},
		{"bool in Dutch", doc(head, "policy:", "  teachers_see_checkins: ja  #<", class1A, people), "policy.teachers_see_checkins", `"ja" is not true or false`},
		{"alert word language", doc(head, "policy:", "  alert_words:", "    de: [angst]  #<", class1A, people), "policy.alert_words.de", `"de" is not a supported language; alert words are listed under nl or en`},
		{"empty alert word", doc(head, "policy:", "  alert_words:", `    nl: [pesten, ""]  #<`, class1A, people), "policy.alert_words.nl[1]", "an alert word is empty"},
		{"help line language", doc(head, "policy:", "  help_now:", "    fr: [SOS]  #<", class1A, people), "policy.help_now.fr", `"fr" is not a supported language; help lines are listed under nl or en`},
		{"empty help line", doc(head, "policy:", "  help_now:", `    en: ["Childline 0800 1111", " "]  #<`, class1A, people), "policy.help_now.en[1]", "a help line is empty"},
		{"key given twice", doc(head, class1A, people, "    mentor: m  #<"), "people[1].mentor", "mentor is given twice (first on line 12); keep one"},
		{"list expected", doc(head, "classes: 1A  #<", "people: []"), "classes", "expected a list (lines starting with -)"},
		{"single value expected", doc(head, "name:  #<", "  nl: School", class1A, people), "name", "expected a single value, found a mapping"},
		{"mapping expected", doc(head, "policy: strict  #<", class1A, people), "policy", `expected a mapping (key: value lines), found the value "strict"`},
		{"unknown field typo", doc(head, class1A, people, "    mentr: m  #<"), "people[1].mentr", `unknown field "mentr" (did you mean mentor?)`},
		{"typo of a required field", doc(head, class1A, "people:\n  - id: m\n    name: M\n    roles: [mentor]\n  - id: p\n    name: P\n    roles: [pupil]\n    classes: [1A]\n    mentr: m  #<"), "people[1].mentr", `unknown field "mentr" (did you mean mentor?)`},
		{"typo of the school id", doc("ID: t  #<", class1A, people), "ID", `unknown field "ID" (did you mean id?)`},
		{"unknown field misplaced", doc(head, class1A, `    checkin: "08:30"  #<`, people), "classes[0].checkin", `unknown field "checkin" (checkin belongs under classes[].schedule)`},
		{"unknown field far off", doc(head, "colour: blue  #<", class1A, people), "colour", `unknown field "colour"; known fields here: classes, discord, id, locale, name, people, policy, prompts, questions, retention, roster, slack, timezone`},
		{"roster missing", doc(head, "roster: nowhere.csv  #<", class1A, people), "roster", "cannot read the roster nowhere.csv: no such file or directory"},
		{"yaml syntax", doc(head, "name: a: b  #<", class1A, people), "", `this value contains ": ", which YAML reads as a second key; put the whole value in quotes, e.g. "a: b"`},
		{"tab indent", doc(head, "classes:", "\t- id: 1A  #<"), "", "this line is indented with a tab"},
		{"empty file", "", "", "the file is empty"},
		{"empty person", doc(head, class1A, people, "  -  #<"), "people[2]", "a person is empty"},
		{"empty class", doc(head, class1A, "  -  #<", people), "classes[1]", "a class is empty"},
		{"classes not a list", doc(head, class1A, people, "  - id: x", "    name: X", "    roles: [teacher]", "    classes:  #<", "      a: b"), "people[2].classes", "expected a list"},
		{"pupil classes unreadable", doc(head, class1A, "people:\n  - id: m\n    name: M\n    roles: [mentor]\n  - id: p\n    name: P\n    roles: [pupil]\n    classes: {a: b}  #<\n    mentor: m"), "people[1].classes", "expected a list"},
		{"not a mapping", "- a  #<\n- b\n", "", "the file must be a mapping of fields"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantLine := 0
			for i, l := range strings.Split(c.yaml, "\n") {
				if strings.HasSuffix(l, "#<") {
					wantLine = i + 1
				}
			}
			_, err := Parse([]byte(c.yaml), "school.yaml")
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("err = %v, want Problems", err)
			}
			if len(ps) != 1 {
				t.Fatalf("want 1 problem, got %d:\n%v", len(ps), ps)
			}
			p := ps[0]
			if p.File != "school.yaml" || p.Line != wantLine || p.Field != c.field || !strings.Contains(p.Msg, c.msg) {
				t.Errorf("got  %s\nwant school.yaml:%d: %s: ...%s...", p, wantLine, c.field, c.msg)
			}
		})
	}
}

// TestManyProblemsAtOnce proves every problem of a file is reported in one run, in
// line order, in the documented format (docs/configuration.md quotes this output).
func TestManyProblemsAtOnce(t *testing.T) {
	ps := Check("testdata/many.yaml")
	want := []string{
		`testdata/many.yaml:1: id: "Demo College" is not a valid school id; use lowercase letters, digits, '-' and '_', e.g. demo-college`,
		`testdata/many.yaml:2: locale: "de" is not a supported language; use nl or en`,
		`testdata/many.yaml:3: timezone: "Europe/Amsterdm" is not a time zone; use an IANA name such as Europe/Amsterdam`,
		`testdata/many.yaml:4: retention: 12h is too short; keep records at least 1 day (e.g. 365d)`,
		`testdata/many.yaml:6: policy.low_mood_run: -1 is negative; use a number of check-ins, e.g. 3`,
		`testdata/many.yaml:8: policy.alert_words.fr: "fr" is not a supported language; alert words are listed under nl or en`,
		`testdata/many.yaml:11: classes[0].checkin: unknown field "checkin" (checkin belongs under classes[].schedule)`,
		`testdata/many.yaml:13: classes[0].schedule.checkin: "8.15" is not a time of day; write HH:MM, e.g. 08:15`,
		`testdata/many.yaml:15: classes[0].schedule.days[1]: "tues" is not a day; use one of fri, mon, sat, sun, thu, tue, wed`,
		`testdata/many.yaml:17: classes[0].schedule.holidays[0].name: a holiday needs a name, e.g. name: kerstvakantie`,
		`testdata/many.yaml:18: classes[0].schedule.holidays[0].to: the holiday ends (2026-12-19) before it starts (2027-01-03)`,
		`testdata/many.yaml:20: classes[0].subjects.wiskunde: "bakkr" is not on the roster (did you mean bakker?)`,
		`testdata/many.yaml:21: classes[0].subjects.nederlands: anna is not a teacher; add the role teacher to anna`,
		`testdata/many.yaml:25: people[0].roles[1]: "mentr" is not a role; use pupil, teacher, mentor, care or admin (did you mean mentor?)`,
		`testdata/many.yaml:26: people[0].classes[0]: class "2b" is not defined under classes (did you mean 2B?)`,
		`testdata/many.yaml:27: people[0].mentor: bakker is not a mentor; add the role mentor to bakker or choose another mentor`,
		`testdata/many.yaml:28: people[0].level: "selff" is not a steering level; use teacher, shared or self (did you mean self?)`,
		`testdata/many.yaml:29: people[1].name: the name is missing; mentors and teachers see it in summaries`,
		`testdata/many.yaml:30: people[1].mentr: unknown field "mentr" (did you mean mentor?)`,
		`testdata/many.yaml:32: people[1].discord: "anna#123" is not a Discord user id; it is a number like 123456789012345678 (turn on Developer Mode, right-click the person > Copy User ID), not the user name`,
		`testdata/many.yaml:33: people[1].slack: "anna" is not a Slack user id; it starts with U or W, e.g. U0123ABCD (profile > ⋮ > Copy member ID), not the display name`,
		`testdata/many.yaml:34: people[1].level: only pupils have a steering level; remove it or add the role pupil`,
	}
	got := strings.Split(ps.Error(), "\n")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got:\n%s\n\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := Load("testdata/many.yaml"); err == nil || err.Error() != ps.Error() {
		t.Errorf("Load error differs from Check: %v", err)
	}
}

// TestRosterImport proves people from a CSV join the roster: lists split on ';',
// quoting and a byte order mark handled, references between YAML and CSV resolved.
func TestRosterImport(t *testing.T) {
	s, err := Load("testdata/roster/school.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(s.People), []string{"kim", "lee", "noor", "sam"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("people = %v, want %v", got, want)
	}
	lee, _ := s.Person("lee")
	if !reflect.DeepEqual(lee.Roles, []Role{Mentor, Teacher}) || !lee.InClass("3A") || lee.Slack != "W0000LEE" {
		t.Errorf("lee = %+v", *lee)
	}
	noor, _ := s.Person("noor")
	want := Person{ID: "noor", Name: "Noor Haddad", Roles: []Role{Pupil}, Classes: []string{"3A"}, Mentor: "lee", Level: SelfLed,
		Discord: "300000000000000002", Slack: "U0000NOOR", Locale: "nl"}
	if !reflect.DeepEqual(*noor, want) {
		t.Errorf("noor = %+v\nwant %+v", *noor, want)
	}
	if p, ok := s.FindPerson(`Sam "Sammy" de Wit`); !ok || p.ID != "sam" || p.Level != TeacherLed {
		t.Errorf("sam = %+v, %v", p, ok)
	}
	if got := ids(s.Mentees("lee")); !reflect.DeepEqual(got, []string{"noor", "sam"}) {
		t.Errorf("mentees of lee = %v", got)
	}
	if p, ok := s.ByPlatform("discord", "300000000000000002"); !ok || p.ID != "noor" {
		t.Errorf("ByPlatform(discord) = %v, %v", p, ok)
	}
	if p, ok := s.ByPlatform("slack", "W0000LEE"); !ok || p.ID != "lee" {
		t.Errorf("ByPlatform(slack) = %v, %v", p, ok)
	}
	if s.LocaleFor(noor) != "nl" || s.LocaleFor(lee) != "en" {
		t.Errorf("locales = %s %s", s.LocaleFor(noor), s.LocaleFor(lee))
	}
}

// TestRosterProblems proves problems in a CSV name the CSV file, its line and column,
// and that a good row between bad ones is not reported.
func TestRosterProblems(t *testing.T) {
	csv := filepath.Join("testdata", "badroster", "people.csv")
	cases := []struct {
		file string
		want []string
	}{
		{"testdata/badroster/school.yaml", []string{
			csv + `:3: mentor: "leee" is not on the roster (did you mean lee?)`,
			csv + `:4: roles: "mentr" is not a role; use pupil, teacher, mentor, care or admin (did you mean mentor?)`,
			csv + `:5: id: id "LEE" is used twice (first at testdata/badroster/school.yaml:6; ids are compared without case)`,
			csv + `:6: this row has 5 columns, the header has 8`,
			csv + `:7: discord: Discord user id 300000000000000009 is also given to lee (at testdata/badroster/school.yaml:6)`,
			csv + `:7: classes: class "4C" is not defined under classes`,
			csv + `:7: classes: a pupil belongs to exactly one class, found 2 (3A, 4C)`,
		}},
		{"testdata/badroster/semicolon.yaml", []string{
			filepath.Join("testdata", "badroster", "semicolon.csv") + `:1: the columns are separated by ';' (as a Dutch spreadsheet saves CSV); save it with ',' between columns, and use ';' only inside roles and classes`,
		}},
		{"testdata/badroster/header.yaml", []string{
			filepath.Join("testdata", "badroster", "header.csv") + `:1: nmae: unknown column "nmae" (did you mean name?)`,
			filepath.Join("testdata", "badroster", "header.csv") + `:1: name: the header lacks the column "name"; the header is id,name,roles,classes,mentor,level,discord,slack,locale,email,left`,
			filepath.Join("testdata", "badroster", "header.csv") + `:1: roles: the header lacks the column "roles"; the header is id,name,roles,classes,mentor,level,discord,slack,locale,email,left`,
		}},
	}
	for _, c := range cases {
		got := strings.Split(Check(c.file).Error(), "\n")
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", c.file, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

// TestRosterCSVSyntax proves a broken quote in the CSV is reported at its line.
func TestRosterCSVSyntax(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "school.yaml"), []byte("id: t\nroster: r.csv\n"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "r.csv"), []byte("id,name,roles\nx,X,care\ny,\"Y,care\n"), 0o600))
	ps := Check(filepath.Join(dir, "school.yaml"))
	if len(ps) != 1 || ps[0].File != filepath.Join(dir, "r.csv") || ps[0].Line != 3 || !strings.Contains(ps[0].Msg, "not valid CSV") {
		t.Errorf("problems = %v", ps)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestMergeKeys proves YAML anchors and merge keys work, so classes can share a schedule.
func TestMergeKeys(t *testing.T) {
	s, err := Parse([]byte(doc(
		"id: t",
		"classes:",
		"  - id: 1A",
		"    schedule: &sched",
		`      checkin: "08:30"`,
		"      days: [ma, di, wo, do]",
		"  - id: 1B",
		"    schedule:",
		"      <<: *sched",
		`      reminder: "11:00"`,
		"people: []",
	)), "school.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Class("1B")
	if b.Schedule.CheckIn.String() != "08:30" || b.Schedule.Reminder.String() != "11:00" || len(b.Schedule.Days) != 4 {
		t.Errorf("1B schedule = %+v", b.Schedule)
	}
}

// TestCheckUnreadable proves a missing file is one problem naming the file, and a
// fine file gives nil (not an empty non-nil error).
func TestCheckUnreadable(t *testing.T) {
	ps := Check("testdata/does-not-exist.yaml")
	if len(ps) != 1 || ps[0].String() != "testdata/does-not-exist.yaml: cannot read the file: no such file or directory" {
		t.Errorf("problems = %q", ps)
	}
	s, err := Load("testdata/roster/school.yaml")
	if err != nil || s == nil {
		t.Fatalf("Load = %v, %v", s, err)
	}
}

func TestProblemString(t *testing.T) {
	for _, c := range []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.yaml", Line: 3, Field: "id", Msg: "bad"}, "a.yaml:3: id: bad"},
		{Problem{File: "a.yaml", Line: 0, Field: "id", Msg: "bad"}, "a.yaml: id: bad"},
		{Problem{File: "a.yaml", Line: 3, Field: "", Msg: "bad"}, "a.yaml:3: bad"},
		{Problem{File: "", Line: 0, Field: "", Msg: "bad"}, "bad"},
		{Problem{File: "a.yaml", Line: 3, Col: 5, Source: "\tid  x", Msg: "bad"}, "a.yaml:3:5: bad\n    →id  x\n        ^"},
	} {
		if got := c.p.String(); got != c.want {
			t.Errorf("%#v = %q, want %q", c.p, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	cands := []string{"mentor", "mentees", "name", "roles", "level", "id"}
	for _, c := range []struct{ in, want string }{
		{"mentr", "mentor"},
		{"mnetor", "mentor"}, // neighbouring letters swapped
		{"Mentor", "mentor"},
		{"nmae", "name"},
		{"role", "roles"},
		{"rol", ""}, // two edits in three letters is a guess, not a typo
		{"ix", "id"},
		{"colour", ""},
		{"lvl", ""},
	} {
		if got := closest(c.in, cands); got != c.want {
			t.Errorf("closest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// codeBlock returns the first fenced block of lang after the line containing marker.
func codeBlock(t *testing.T, text, marker, lang string) string {
	t.Helper()
	_, rest, ok := strings.Cut(text, marker)
	if !ok {
		t.Fatalf("docs lack %q", marker)
	}
	_, rest, ok = strings.Cut(rest, "```"+lang+"\n")
	if !ok {
		t.Fatalf("no ```%s block after %q", lang, marker)
	}
	block, _, _ := strings.Cut(rest, "```")
	return block
}

// TestDocsStayTrue proves the YAML shown in docs/configuration.md is valid and that the
// check output it quotes is what the loader prints for the mistakes it describes.
func TestDocsStayTrue(t *testing.T) {
	docs, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	glance := codeBlock(t, string(docs), "## The file at a glance", "yaml")
	if _, err := Parse([]byte(glance), "glance.yaml"); err != nil {
		t.Errorf("the at-a-glance example has problems:\n%v", err)
	}

	example, err := os.ReadFile("../../examples/school.yaml")
	if err != nil {
		t.Fatal(err)
	}
	broken := string(example)
	for _, e := range [][2]string{
		{`checkin: "08:15"`, `checkin: 8.15`},
		{`to: 2027-02-21`, `to: 2027-01-21`},
		{`geschiedenis: devries`, `geschiedenis: devris`},
		{"    mentor: devries", "    mentr: devries"},
		{"- id: daan", "- id: anna"},
		{"level: self\n", "level: zelf\n"},
	} {
		if !strings.Contains(broken, e[0]) {
			t.Fatalf("examples/school.yaml no longer contains %q", e[0])
		}
		broken = strings.Replace(broken, e[0], e[1], 1)
	}
	_, err = Parse([]byte(broken), "school.yaml")
	if err == nil {
		t.Fatal("the broken example has no problems")
	}
	want := strings.TrimSpace(codeBlock(t, string(docs), "gives these lines:", ""))
	if got := err.Error(); got != want {
		t.Errorf("docs/configuration.md quotes:\n%s\n\nbut the check prints:\n%s", want, got)
	}
}

// TestExampleWithRoster proves examples/roster.csv fits the example school when its
// roster line is uncommented.
func TestExampleWithRoster(t *testing.T) {
	example, err := os.ReadFile("../../examples/school.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(example), "# roster: roster.csv", "roster: roster.csv", 1)
	if text == string(example) {
		t.Fatal("examples/school.yaml lacks the commented roster line")
	}
	s, err := Parse([]byte(text), "../../examples/school.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(s.Members("2B", Pupil)); len(got) != 9 || got[6] != "lotte" || got[8] != "noah" {
		t.Errorf("pupils of 2B = %v", got)
	}
	noah, _ := s.Person("noah")
	if s.LocaleFor(noah) != "en" || noah.Mentor != "devries" {
		t.Errorf("noah = %+v", *noah)
	}
}

// BenchmarkParseLargeSchool measures a school of 40 classes and 1,200 pupils.
func BenchmarkParseLargeSchool(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("id: big\nclasses:\n")
	for c := range 40 {
		fmt.Fprintf(&sb, "  - id: c%d\n    subjects: {wiskunde: t%d}\n", c, c)
	}
	sb.WriteString("people:\n")
	for c := range 40 {
		fmt.Fprintf(&sb, "  - {id: t%d, name: Teacher %d, roles: [mentor, teacher], classes: [c%d], slack: UT%d}\n", c, c, c, c)
		for p := range 30 {
			fmt.Fprintf(&sb, "  - {id: p%d_%d, name: Pupil %d %d, roles: [pupil], classes: [c%d], mentor: t%d, discord: \"%d\"}\n", c, p, c, p, c, c, 1000000+c*100+p)
		}
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data, "big.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}
