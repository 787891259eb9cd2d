// Package config describes a school: classes, people and their roles, subjects,
// schedules, locale and policies, as loaded from one YAML file. Secrets never live
// here; they come from the environment.
package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Role is what a person does in Kring.
type Role string

// The roles.
const (
	Pupil   Role = "pupil"
	Teacher Role = "teacher"
	Mentor  Role = "mentor"
	// Care is the school's safeguarding contact (zorgcoördinator).
	Care  Role = "care"
	Admin Role = "admin"
)

// Level is a pupil's steering level: how much of the day's goal the teacher decides.
type Level string

// The steering levels, from most to least teacher direction.
const (
	// TeacherLed pupils confirm the class day plan a teacher set.
	TeacherLed Level = "teacher"
	// Shared pupils choose one of the goals offered.
	Shared Level = "shared"
	// SelfLed pupils write their own goal.
	SelfLed Level = "self"
)

// Levels lists the valid steering levels in order.
var Levels = []Level{TeacherLed, Shared, SelfLed}

// School is a whole configuration file.
type School struct {
	// ID names the school in storage keys; letters, digits, '-' and '_'.
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Locale is the default language of classes that set none: "nl" or "en".
	Locale string `yaml:"locale"`
	// Timezone is the default IANA zone of classes that set none (default Europe/Amsterdam).
	Timezone string `yaml:"timezone"`
	// Retention is how long records that hold pupils' words are kept, e.g. "365d" or "8760h".
	Retention Duration `yaml:"retention"`
	Policy    Policy   `yaml:"policy"`
	// Questions are the settings of pupils' questions to teachers.
	Questions Questions `yaml:"questions"`
	Discord   struct {
		// Guild is the Discord server id this school runs on.
		Guild string `yaml:"guild"`
	} `yaml:"discord"`
	Slack struct {
		// Team is the Slack workspace (team) id this school runs on.
		Team string `yaml:"team"`
	} `yaml:"slack"`
	// Prompts is the school's bank of discussion prompts per subject ("wiskunde": [...]),
	// which a teacher posts with /discuss bank:SUBJECT.
	Prompts map[string][]string `yaml:"prompts"`
	// Roster optionally names a CSV file whose people are added to People.
	Roster  string    `yaml:"roster"`
	Classes []*Class  `yaml:"classes"`
	People  []*Person `yaml:"people"`

	byID      map[string]*Person
	byDiscord map[string]*Person
	bySlack   map[string]*Person
	byName    map[string]*Person
	classes   map[string]*Class
}

// Policy holds the school's privacy and alerting choices.
type Policy struct {
	// TeachersSeeCheckins lets a class's teachers read its pupils' check-ins (default false:
	// only the pupil, the mentor and the care contact).
	TeachersSeeCheckins bool `yaml:"teachers_see_checkins"`
	// TeacherSeesAnonymousName lets the teacher see who asked an anonymous question.
	TeacherSeesAnonymousName bool `yaml:"teacher_sees_anonymous_name"`
	// AlertWords are the school's own words or phrases, per language, that alert the
	// mentor and the care contacts at once wherever a pupil writes them. They extend
	// Kring's built-in safeguarding phrases (bot/safeguard), which cannot be switched off.
	AlertWords map[string][]string `yaml:"alert_words"`
	// HelpNow lists, per language, where a pupil finds help right now; a pupil whose
	// words raised an alert is shown these lines. Empty for a language: Kring's
	// defaults (De Kindertelefoon, 113 Zelfmoordpreventie, 112).
	HelpNow map[string][]string `yaml:"help_now"`
	// LowMoodRun is how many check-ins in a row with mood 1 alert the mentor (default 3).
	LowMoodRun int `yaml:"low_mood_run"`
	// SilentDays is how many school days without a check-in alert the mentor (default 3).
	SilentDays int `yaml:"silent_days"`
	// AlertResend is how long a safeguarding alert may stay open (nobody pressed "I'm
	// handling this") before it is re-sent and escalated to the admins, in school time
	// (default 30m); each later re-send waits twice as long, at most 4 school hours.
	AlertResend Duration `yaml:"alert_resend"`
	// Digest is how often a mentor gets the digest of their mentees unless they chose
	// otherwise (/digest): "daily", "weekly" (the default: on the last school day of the
	// week) or "off".
	Digest string `yaml:"digest"`
	// DigestAt is the time of day the digest goes out, "HH:MM" (default 15:30).
	DigestAt TimeOfDay `yaml:"digest_at"`
}

// Questions are the settings of pupils' questions to teachers, counted in school
// hours (schedule.day_start to day_end of school days; weekends and holidays skipped).
type Questions struct {
	// RemindAfter is how long a question waits before its teacher is reminded (default 4h).
	RemindAfter Duration `yaml:"remind_after"`
	// EscalateAfter is how long a question waits before the pupil's mentor sees it too
	// (default 8h; after RemindAfter).
	EscalateAfter Duration `yaml:"escalate_after"`
}

// Class is one school class (e.g. "2B") with its schedule and channels.
type Class struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Locale   string   `yaml:"locale"`
	Timezone string   `yaml:"timezone"`
	Schedule Schedule `yaml:"schedule"`
	// Subjects maps a subject name (e.g. "wiskunde") to the person id of its teacher in this class.
	Subjects map[string]string `yaml:"subjects"`
	Discord  struct {
		// Channel is the Discord channel id of the class.
		Channel string `yaml:"channel"`
	} `yaml:"discord"`
	Slack struct {
		// Channel is the Slack channel id of the class.
		Channel string `yaml:"channel"`
	} `yaml:"slack"`

	// Location is the parsed Timezone (the school's when the class sets none).
	Location *time.Location `yaml:"-"`
}

// Schedule is when a class's daily jobs run, in the class time zone.
type Schedule struct {
	// CheckIn is the time of day the check-in is sent, "HH:MM".
	CheckIn TimeOfDay `yaml:"checkin"`
	// Reminder is the time of day non-responders get one reminder, "HH:MM".
	Reminder TimeOfDay `yaml:"reminder"`
	// Days are the school days, e.g. [mon, tue, wed, thu, fri] (the default).
	Days []Weekday `yaml:"days"`
	// Holidays are date ranges with no check-ins.
	Holidays []Holiday `yaml:"holidays"`
	// DayStart and DayEnd bound the school day, "HH:MM" (default 08:30 and 16:30):
	// timers that count school hours ("remind the teacher after 4 school hours") count
	// only this part of school days.
	DayStart TimeOfDay `yaml:"day_start"`
	DayEnd   TimeOfDay `yaml:"day_end"`
}

// Holiday is an inclusive range of dates without school.
type Holiday struct {
	Name string `yaml:"name"`
	From Date   `yaml:"from"`
	To   Date   `yaml:"to"`
}

// Person is anyone on the roster.
type Person struct {
	// ID is the short, stable roster id (e.g. "anna"), used in keys and commands.
	ID    string `yaml:"id"`
	Name  string `yaml:"name"`
	Roles []Role `yaml:"roles"`
	// Classes are the classes the person belongs to; a pupil has exactly one.
	Classes []string `yaml:"classes"`
	// Mentor is the person id of a pupil's mentor.
	Mentor string `yaml:"mentor"`
	// Level is a pupil's initial steering level (mentors change it with a command).
	Level Level `yaml:"level"`
	// Locale overrides the class locale for this person's direct messages.
	Locale string `yaml:"locale"`
	// Discord is the person's Discord user id (optional).
	Discord string `yaml:"discord"`
	// Slack is the person's Slack user id (optional).
	Slack string `yaml:"slack"`
	// Email is the person's school e-mail address (optional); `kring link slack-emails`
	// finds their Slack account by it.
	Email string `yaml:"email"`
	// Left is the day the person left the school (set by `kring roster import` when they
	// are no longer in the school's export). A person who left stays on the roster, so
	// their records follow the retention rules, but gets no more check-ins and is no
	// longer recognised on a platform.
	Left Date `yaml:"left"`
}

// Active reports whether the person is still at the school.
func (p *Person) Active() bool { return p.Left.IsZero() }

// Has reports whether p has role r.
func (p *Person) Has(r Role) bool {
	for _, x := range p.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Class returns a pupil's class id (the first listed), or "".
func (p *Person) Class() string {
	if len(p.Classes) == 0 {
		return ""
	}
	return p.Classes[0]
}

// InClass reports whether p belongs to class id.
func (p *Person) InClass(id string) bool {
	for _, c := range p.Classes {
		if c == id {
			return true
		}
	}
	return false
}

// Prepare fills defaults, parses derived values and builds the lookup indexes. The
// loader calls it after validation; tests that build a School in code call it too.
func (s *School) Prepare() error {
	if s.Locale == "" {
		s.Locale = "nl"
	}
	if s.Timezone == "" {
		s.Timezone = "Europe/Amsterdam"
	}
	if s.Retention == 0 {
		s.Retention = Duration(365 * 24 * time.Hour)
	}
	if s.Policy.LowMoodRun == 0 {
		s.Policy.LowMoodRun = 3
	}
	if s.Policy.SilentDays == 0 {
		s.Policy.SilentDays = 3
	}
	if s.Policy.Digest == "" {
		s.Policy.Digest = "weekly"
	}
	if s.Policy.DigestAt == 0 {
		s.Policy.DigestAt = TimeOfDay(15*60 + 30)
	}
	if s.Questions.RemindAfter == 0 {
		s.Questions.RemindAfter = Duration(4 * time.Hour)
	}
	if s.Questions.EscalateAfter == 0 {
		s.Questions.EscalateAfter = Duration(8 * time.Hour)
	}
	s.byID = map[string]*Person{}
	s.byDiscord = map[string]*Person{}
	s.bySlack = map[string]*Person{}
	s.byName = map[string]*Person{}
	s.classes = map[string]*Class{}
	for _, c := range s.Classes {
		if c.Locale == "" {
			c.Locale = s.Locale
		}
		if c.Timezone == "" {
			c.Timezone = s.Timezone
		}
		loc, err := time.LoadLocation(c.Timezone)
		if err != nil {
			return fmt.Errorf("class %s: time zone %q: %w", c.ID, c.Timezone, err)
		}
		c.Location = loc
		if len(c.Schedule.Days) == 0 {
			c.Schedule.Days = []Weekday{Weekday(time.Monday), Weekday(time.Tuesday), Weekday(time.Wednesday), Weekday(time.Thursday), Weekday(time.Friday)}
		}
		if c.Schedule.CheckIn == 0 {
			c.Schedule.CheckIn = TimeOfDay(8*60 + 15)
		}
		if c.Schedule.Reminder == 0 {
			c.Schedule.Reminder = c.Schedule.CheckIn + 105
		}
		if c.Schedule.DayStart == 0 {
			c.Schedule.DayStart = TimeOfDay(8*60 + 30)
		}
		if c.Schedule.DayEnd == 0 {
			c.Schedule.DayEnd = TimeOfDay(16*60 + 30)
		}
		s.classes[c.ID] = c
	}
	for _, p := range s.People {
		if p.Has(Pupil) && p.Level == "" {
			p.Level = TeacherLed
		}
		s.byID[p.ID] = p
		s.byName[strings.ToLower(p.Name)] = p
		if p.Discord != "" {
			s.byDiscord[p.Discord] = p
		}
		if p.Slack != "" {
			s.bySlack[p.Slack] = p
		}
	}
	return nil
}

// Person returns the person with roster id id.
func (s *School) Person(id string) (*Person, bool) {
	p, ok := s.byID[id]
	return p, ok
}

// FindPerson resolves a roster id, or a full name, case-insensitively.
func (s *School) FindPerson(ref string) (*Person, bool) {
	if p, ok := s.byID[strings.ToLower(ref)]; ok {
		return p, true
	}
	if p, ok := s.byID[ref]; ok {
		return p, true
	}
	p, ok := s.byName[strings.ToLower(ref)]
	return p, ok
}

// ByPlatform returns the person with the given platform user id ("discord", "slack").
func (s *School) ByPlatform(platform, user string) (*Person, bool) {
	var p *Person
	var ok bool
	switch platform {
	case "discord":
		p, ok = s.byDiscord[user]
	case "slack":
		p, ok = s.bySlack[user]
	case "shell":
		p, ok = s.byID[user]
	}
	return p, ok
}

// Class returns the class with id id.
func (s *School) Class(id string) (*Class, bool) {
	c, ok := s.classes[id]
	return c, ok
}

// Members returns the active people of class id who have role r, in roster order.
func (s *School) Members(class string, r Role) []*Person {
	var out []*Person
	for _, p := range s.People {
		if p.Has(r) && p.InClass(class) && p.Active() {
			out = append(out, p)
		}
	}
	return out
}

// Mentees returns the active pupils whose mentor is mentor.
func (s *School) Mentees(mentor string) []*Person {
	var out []*Person
	for _, p := range s.People {
		if p.Has(Pupil) && p.Mentor == mentor && p.Active() {
			out = append(out, p)
		}
	}
	return out
}

// LocaleFor returns the language a person's messages use: their own, their class's, the school's.
func (s *School) LocaleFor(p *Person) string {
	if p != nil && p.Locale != "" {
		return p.Locale
	}
	if p != nil {
		if c, ok := s.classes[p.Class()]; ok {
			return c.Locale
		}
	}
	return s.Locale
}

// TimeOfDay is minutes after midnight, written "HH:MM".
type TimeOfDay int

// MinReminderGap is how long after the check-in a reminder may come at the earliest: a
// reminder sooner would only nag a pupil who just got the question, so the check-in
// dialog never sends one, and the configuration check refuses such a schedule.
const MinReminderGap = 30 * time.Minute

// ParseTimeOfDay reads "HH:MM".
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		return 0, valueErr("config.time_bad", "%q is not a time of day; write HH:MM, e.g. 08:15", s)
	}
	return TimeOfDay(hh*60 + mm), nil
}

// String writes "HH:MM".
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60) }

// On returns the instant of this time of day on the given date in loc. On a
// daylight-saving day a time that does not exist moves forward, as the wall clock does.
func (t TimeOfDay) On(d Date, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, int(t)/60, int(t)%60, 0, 0, loc)
}

// UnmarshalText reads "HH:MM".
func (t *TimeOfDay) UnmarshalText(b []byte) error {
	v, err := ParseTimeOfDay(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalText writes "HH:MM".
func (t TimeOfDay) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Date is a calendar date without a zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar date of t in its own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate reads "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return Date{}, valueErr("config.date_bad", "%q is not a date; write YYYY-MM-DD, e.g. 2026-12-21", s)
	}
	return DateOf(t), nil
}

// String writes "YYYY-MM-DD".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d.Year == 0 }

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.String() < e.String() }

// AddDays returns the date n days later.
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// UnmarshalText reads "YYYY-MM-DD".
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText writes "YYYY-MM-DD".
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// IsSchoolDay reports whether class c has school on date d: a school day of the week and no holiday.
func (c *Class) IsSchoolDay(d Date) bool {
	wd := d.Weekday()
	on := false
	for _, x := range c.Schedule.Days {
		if time.Weekday(x) == wd {
			on = true
		}
	}
	if !on {
		return false
	}
	for _, h := range c.Schedule.Holidays {
		if !d.Before(h.From) && !h.To.Before(d) {
			return false
		}
	}
	return true
}

// Weekday is a day of the week written as mon, tue, ... (or Dutch ma, di, ...).
type Weekday time.Weekday

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"zo": time.Sunday, "ma": time.Monday, "di": time.Tuesday, "wo": time.Wednesday,
	"do": time.Thursday, "vr": time.Friday, "za": time.Saturday,
}

// UnmarshalText reads a day name.
func (w *Weekday) UnmarshalText(b []byte) error {
	d, ok := weekdayNames[strings.ToLower(strings.TrimSpace(string(b)))]
	if !ok {
		names := make([]string, 0, 7)
		for n, v := range weekdayNames {
			if len(n) == 3 {
				_ = v
				names = append(names, n)
			}
		}
		sort.Strings(names)
		return valueErr("config.day_bad", "%q is not a day; use one of %s", string(b), strings.Join(names, ", "))
	}
	*w = Weekday(d)
	return nil
}

// MarshalText writes the English short name.
func (w Weekday) MarshalText() ([]byte, error) {
	return []byte(strings.ToLower(time.Weekday(w).String()[:3])), nil
}

// Duration is a time.Duration that also accepts whole days, e.g. "30d".
type Duration time.Duration

// UnmarshalText reads "30d" or any time.ParseDuration string.
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 {
			return valueErr("config.days_bad", "%q is not a number of days; write e.g. 365d", s)
		}
		*d = Duration(time.Duration(days) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return valueErr("config.duration_bad", "%q is not a duration; write e.g. 365d or 72h", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes whole days as "Nd".
func (d Duration) MarshalText() ([]byte, error) {
	v := time.Duration(d)
	if v%(24*time.Hour) == 0 {
		return []byte(fmt.Sprintf("%dd", v/(24*time.Hour))), nil
	}
	return []byte(v.String()), nil
}

// On returns midnight at the start of date d in loc.
func (d Date) On(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Std returns the value as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }
