package config

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

var (
	schoolIDPattern = regexp.MustCompile(`^[a-z0-9_-]+$`)
	// Class and person ids appear in commands and storage keys: no spaces or punctuation
	// beyond '.', '-' and '_'.
	idPattern      = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	discordPattern = regexp.MustCompile(`^[0-9]+$`)
	slackUser      = regexp.MustCompile(`^[UW][A-Z0-9]+$`)
	slackTeam      = regexp.MustCompile(`^[TE][A-Z0-9]+$`)
	slackChannel   = regexp.MustCompile(`^[CG][A-Z0-9]+$`)
	emailPattern   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

var (
	locales    = []string{"nl", "en"}
	roleNames  = []string{string(Pupil), string(Teacher), string(Mentor), string(Care), string(Admin)}
	levelNames = []string{string(TeacherLed), string(Shared), string(SelfLed)}
)

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validate checks the meaning of a decoded school: references, uniqueness, formats and
// ranges. Every check reports through the loader so all problems come out together.
func (l *loader) validate(s *School) {
	l.validateSchool(s)
	classIDs := l.validateClasses(s)
	l.validatePeople(s, classIDs)
	l.validateSubjects(s)
	l.validatePrompts(s)
}

// MaxPrompt is the longest discussion prompt, in the bank or typed.
const MaxPrompt = 500

// MaxBankPrompts is the most prompts one subject of the bank holds (they are offered
// as a numbered list).
const MaxBankPrompts = 25

func (l *loader) validatePrompts(s *School) {
	subjects := make([]string, 0, len(s.Prompts))
	for sub := range s.Prompts {
		subjects = append(subjects, sub)
	}
	sort.Strings(subjects)
	for _, sub := range subjects {
		p := "prompts." + sub
		switch {
		case strings.TrimSpace(sub) == "" || strings.ContainsAny(sub, " |:"):
			l.atK(p, "config.subject_name", "%q is not a usable subject name; use one word, e.g. wiskunde", sub)
			continue
		case len(s.Prompts[sub]) == 0:
			l.atK(p, "config.subject_no_prompts", "the subject %s has no prompts; add at least one, or remove the subject", sub)
		case len(s.Prompts[sub]) > MaxBankPrompts:
			l.atK(p, "config.subject_too_many", "the subject %s has %d prompts; at most %d per subject", sub, len(s.Prompts[sub]), MaxBankPrompts)
		}
		for i, q := range s.Prompts[sub] {
			switch n := len([]rune(strings.TrimSpace(q))); {
			case n == 0:
				l.atK(fmt.Sprintf("%s[%d]", p, i), "config.prompt_empty", "an empty prompt; write the question or remove the line")
			case n > MaxPrompt:
				l.atK(fmt.Sprintf("%s[%d]", p, i), "config.prompt_too_long", "the prompt has %d characters; at most %d", n, MaxPrompt)
			}
		}
	}
}

func (l *loader) validateSchool(s *School) {
	switch {
	case s.ID == "" && l.failed["id"]:
	case s.ID == "":
		l.atK("id", "config.school_id_missing", "the school id is missing; add e.g. id: %s (lowercase letters, digits, '-' and '_'; it names the school in storage keys)", suggestID(s.Name))
	case !schoolIDPattern.MatchString(s.ID):
		l.atK("id", "config.school_id_bad", "%q is not a valid school id; use lowercase letters, digits, '-' and '_', e.g. %s", s.ID, suggestID(s.ID))
	}
	l.checkLocale("locale", s.Locale)
	l.checkZone("timezone", s.Timezone)
	if s.Retention != 0 && time.Duration(s.Retention) < 24*time.Hour {
		l.atK("retention", "config.retention_short", "%s is too short; keep records at least 1 day (e.g. 365d)", shortDuration(time.Duration(s.Retention)))
	}
	if s.Policy.LowMoodRun < 0 {
		l.atK("policy.low_mood_run", "config.low_mood_run_negative", "%d is negative; use a number of check-ins, e.g. 3", s.Policy.LowMoodRun)
	}
	switch s.Policy.Digest {
	case "", "daily", "weekly", "off":
	default:
		l.atK("policy.digest", "config.digest_bad", "%q is not a digest frequency; use daily, weekly or off", s.Policy.Digest)
	}
	if s.Policy.AlertResend != 0 && time.Duration(s.Policy.AlertResend) < time.Minute {
		l.atK("policy.alert_resend", "config.alert_resend_short", "%s is too short; re-send an open alert after at least 1m (e.g. 30m)", shortDuration(time.Duration(s.Policy.AlertResend)))
	}
	if s.Policy.SilentDays < 0 {
		l.atK("policy.silent_days", "config.silent_days_negative", "%d is negative; use a number of school days, e.g. 3", s.Policy.SilentDays)
	}
	ra, ea := time.Duration(s.Questions.RemindAfter), time.Duration(s.Questions.EscalateAfter)
	if ra < 0 || (ra > 0 && ra < 15*time.Minute) {
		l.atK("questions.remind_after", "config.remind_after_short", "%s is too short; remind after at least 15 minutes of school time, e.g. 4h", shortDuration(ra))
	}
	if ea < 0 || (ea > 0 && ra > 0 && ea <= ra) {
		l.atK("questions.escalate_after", "config.escalate_after_short", "%s must be longer than remind_after (%s), e.g. 8h", shortDuration(ea), shortDuration(ra))
	}
	langs := make([]string, 0, len(s.Policy.AlertWords))
	for lang := range s.Policy.AlertWords {
		langs = append(langs, lang)
	}
	sort.Strings(langs)
	for _, lang := range langs {
		p := "policy.alert_words." + lang
		if !contains(locales, lang) {
			l.atK(p, "config.alert_words_lang", "%q is not a supported language; alert words are listed under nl or en", lang)
			continue
		}
		for i, w := range s.Policy.AlertWords[lang] {
			if strings.TrimSpace(w) == "" {
				l.atK(fmt.Sprintf("%s[%d]", p, i), "config.alert_word_empty", "an alert word is empty; remove it")
			}
		}
	}
	langs = langs[:0]
	for lang := range s.Policy.HelpNow {
		langs = append(langs, lang)
	}
	sort.Strings(langs)
	for _, lang := range langs {
		p := "policy.help_now." + lang
		if !contains(locales, lang) {
			l.atK(p, "config.help_lines_lang", "%q is not a supported language; help lines are listed under nl or en", lang)
			continue
		}
		for i, w := range s.Policy.HelpNow[lang] {
			if strings.TrimSpace(w) == "" {
				l.atK(fmt.Sprintf("%s[%d]", p, i), "config.help_line_empty", "a help line is empty; remove it")
			}
		}
	}
	if s.Discord.Guild != "" && !discordPattern.MatchString(s.Discord.Guild) {
		l.atK("discord.guild", "config.discord_guild_bad", "%q is not a Discord server id; it is a number like 123456789012345678 (Server Settings > Widget, or right-click the server > Copy Server ID)", s.Discord.Guild)
	}
	if s.Slack.Team != "" && !slackTeam.MatchString(s.Slack.Team) {
		l.atK("slack.team", "config.slack_team_bad", "%q is not a Slack workspace id; it starts with T, e.g. T0123ABCD", s.Slack.Team)
	}
}

// suggestID turns a name into a valid school id for a hint ("Demo College" -> demo-college).
func suggestID(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	id := strings.TrimRight(b.String(), "-")
	if id == "" {
		return "my-school"
	}
	return id
}

func (l *loader) checkLocale(field, loc string) {
	if loc != "" && !contains(locales, loc) {
		l.atK(field, "config.locale_bad", "%q is not a supported language; use nl or en", loc)
	}
}

func (l *loader) checkZone(field, zone string) {
	if zone == "" {
		return
	}
	if _, err := time.LoadLocation(zone); err != nil {
		l.atK(field, "config.timezone_bad", "%q is not a time zone; use an IANA name such as Europe/Amsterdam", zone)
	}
}

// validateClasses checks each class and returns the set of class ids.
func (l *loader) validateClasses(s *School) map[string]bool {
	ids := map[string]bool{}
	firstLine := map[string]int{}
	for i, c := range s.Classes {
		p := fmt.Sprintf("classes[%d]", i)
		if c == nil {
			l.atK(p, "config.class_empty", "a class is empty; give it at least an id")
			continue
		}
		switch {
		case c.ID == "" && l.failed[p+".id"]:
		case c.ID == "":
			l.atK(p+".id", "config.class_id_missing", "the class id is missing; add e.g. id: 2B")
		case !idPattern.MatchString(c.ID):
			l.atK(p+".id", "config.class_id_bad", "%q is not a valid class id; use letters, digits, '.', '-' and '_' (no spaces)", c.ID)
		default:
			key := strings.ToLower(c.ID)
			if first, ok := firstLine[key]; ok {
				l.atK(p+".id", "config.class_id_twice", "class id %q is used twice (first on line %d; ids are compared without case)", c.ID, first)
			} else {
				firstLine[key] = l.line(p + ".id")
				ids[c.ID] = true
			}
		}
		l.checkLocale(p+".locale", c.Locale)
		l.checkZone(p+".timezone", c.Timezone)
		sc := c.Schedule
		checkin, reminder := sc.CheckIn, sc.Reminder
		if checkin == 0 {
			checkin = TimeOfDay(8*60 + 15) // Prepare's default
		}
		switch {
		case reminder == 0 || l.failed[p+".schedule.checkin"]:
		case reminder <= checkin:
			l.atK(p+".schedule.reminder", "config.reminder_before_checkin", "the reminder (%s) must come after the check-in (%s)", reminder, checkin)
		case time.Duration(reminder-checkin)*time.Minute < MinReminderGap:
			l.atK(p+".schedule.reminder", "config.reminder_too_soon", "the reminder (%s) is only %d minutes after the check-in (%s), and a reminder is never sent within %d minutes of the check-in (pupils get that long to answer); set it at %s or later",
				reminder, int(reminder-checkin), checkin, int(MinReminderGap.Minutes()), checkin+TimeOfDay(MinReminderGap.Minutes()))
		}
		for j, h := range sc.Holidays {
			hp := fmt.Sprintf("%s.schedule.holidays[%d]", p, j)
			if strings.TrimSpace(h.Name) == "" {
				l.atK(hp+".name", "config.holiday_name", "a holiday needs a name, e.g. name: kerstvakantie")
			}
			if h.From.IsZero() && !l.failed[hp+".from"] {
				l.atK(hp+".from", "config.holiday_from", "a holiday needs a first day, e.g. %s: 2026-12-19", "from")
			}
			if h.To.IsZero() && !l.failed[hp+".to"] {
				l.atK(hp+".to", "config.holiday_to", "a holiday needs a last day, e.g. %s: 2027-01-03 (the same as %s for a single day)", "to", "from")
			}
			if !h.From.IsZero() && !h.To.IsZero() && h.To.Before(h.From) {
				l.atK(hp+".to", "config.holiday_backwards", "the holiday ends (%s) before it starts (%s)", h.To, h.From)
			}
		}
		if c.Discord.Channel != "" && !discordPattern.MatchString(c.Discord.Channel) {
			l.atK(p+".discord.channel", "config.discord_channel_bad", "%q is not a Discord channel id; it is a number like 123456789012345678 (turn on Developer Mode, right-click the channel > Copy Channel ID)", c.Discord.Channel)
		}
		if c.Slack.Channel != "" && !slackChannel.MatchString(c.Slack.Channel) {
			l.atK(p+".slack.channel", "config.slack_channel_bad", "%q is not a Slack channel id; it starts with C or G, e.g. C0123ABCD (channel details, at the bottom)", c.Slack.Channel)
		}
	}
	return ids
}

// personField locates a field of person i: in the YAML file by path, or in the roster
// CSV by row and column.
func (l *loader) personField(i int, field string) (file string, line int, path string) {
	o := l.origins[i]
	if o.csv {
		col, _, _ := strings.Cut(field, "[")
		return o.file, o.line, col
	}
	path = fmt.Sprintf("people[%d]", o.index)
	if field != "" {
		path += "." + field
	}
	return o.file, l.line(path), path
}

// personFailed reports whether a field of YAML person i could not be read, so checks
// that depend on it stay quiet rather than repeat the problem in other words.
func (l *loader) personFailed(i int, field string) bool {
	o := l.origins[i]
	return !o.csv && l.failed[fmt.Sprintf("people[%d].%s", o.index, field)]
}

// personK reports a problem on a field of person i, in the YAML file or the roster CSV
// the person came from; key is its catalog message (see addK).
func (l *loader) personK(i int, field, key, format string, args ...any) {
	file, line, path := l.personField(i, field)
	l.addK(file, line, path, key, format, args...)
}

// where names the place of person i for a problem about person from: "line 40" in
// the same file, "school.yaml:40" in another.
func (l *loader) where(i, from int) phrase {
	file, line, _ := l.personField(i, "id")
	if file == l.origins[from].file {
		return phrase{key: "config.where_line", kv: []any{"V1", line}, en: fmt.Sprintf("line %d", line)}
	}
	return phrase{en: fmt.Sprintf("%s:%d", file, line)}
}

func (l *loader) validatePeople(s *School, classIDs map[string]bool) {
	byID := map[string]*Person{}
	ids := make([]string, 0, len(s.People))
	firstID := map[string]int{}
	firstDiscord := map[string]int{}
	firstSlack := map[string]int{}
	for i, p := range s.People {
		if p == nil {
			l.personK(i, "", "config.person_empty", "a person is empty; give them at least id, name and roles")
			continue
		}
		switch {
		case p.ID == "" && l.personFailed(i, "id"):
		case p.ID == "":
			l.personK(i, "id", "config.person_id_missing", "the person's id is missing; add a short, stable id, e.g. id: anna")
		case !idPattern.MatchString(p.ID):
			l.personK(i, "id", "config.person_id_bad", "%q is not a valid id; use letters, digits, '.', '-' and '_' (no spaces)", p.ID)
		default:
			key := strings.ToLower(p.ID)
			if first, ok := firstID[key]; ok {
				l.personK(i, "id", "config.person_id_twice", "id %q is used twice (first at %s; ids are compared without case)", p.ID, l.where(first, i))
			} else {
				firstID[key] = i
				byID[p.ID] = p
				ids = append(ids, p.ID)
			}
		}
		if strings.TrimSpace(p.Name) == "" && !l.personFailed(i, "name") {
			l.personK(i, "name", "config.person_name_missing", "the name is missing; mentors and teachers see it in summaries")
		}
		if len(p.Roles) == 0 && !l.personFailed(i, "roles") {
			l.personK(i, "roles", "config.person_no_roles", "no roles; give one or more of %s", joinOr(roleNames))
		}
		for j, r := range p.Roles {
			if !contains(roleNames, string(r)) {
				l.personK(i, fmt.Sprintf("roles[%d]", j), "config.person_role_bad", "%q is not a role; use %s%s", r, joinOr(roleNames), didYouMean(string(r), roleNames))
			}
		}
		l.checkPersonLocale(i, p.Locale)
		if p.Email != "" && !emailPattern.MatchString(p.Email) {
			l.personK(i, "email", "config.person_email_bad", "%q is not an e-mail address; write e.g. anna@school.nl", p.Email)
		}
		if p.Discord != "" {
			if !discordPattern.MatchString(p.Discord) {
				l.personK(i, "discord", "config.person_discord_bad", "%q is not a Discord user id; it is a number like 123456789012345678 (turn on Developer Mode, right-click the person > Copy User ID), not the user name", p.Discord)
			} else if first, ok := firstDiscord[p.Discord]; ok {
				l.personK(i, "discord", "config.person_discord_twice", "Discord user id %s is also given to %s (at %s)", p.Discord, s.People[first].ID, l.where(first, i))
			} else {
				firstDiscord[p.Discord] = i
			}
		}
		if p.Slack != "" {
			if !slackUser.MatchString(p.Slack) {
				l.personK(i, "slack", "config.person_slack_bad", "%q is not a Slack user id; it starts with U or W, e.g. U0123ABCD (profile > ⋮ > Copy member ID), not the display name", p.Slack)
			} else if first, ok := firstSlack[p.Slack]; ok {
				l.personK(i, "slack", "config.person_slack_twice", "Slack user id %s is also given to %s (at %s)", p.Slack, s.People[first].ID, l.where(first, i))
			} else {
				firstSlack[p.Slack] = i
			}
		}
	}
	classList := make([]string, 0, len(classIDs))
	for c := range classIDs {
		classList = append(classList, c)
	}
	sort.Strings(classList)
	for i, p := range s.People {
		if p == nil {
			continue
		}
		if !p.Active() {
			// Someone who left keeps their row for their records' sake; their class or
			// mentor may be gone from the school file by now.
			continue
		}
		for j, c := range p.Classes {
			if !classIDs[c] {
				l.personK(i, fmt.Sprintf("classes[%d]", j), "config.person_class_unknown", "class %q is not defined under classes%s", c, didYouMean(c, classList))
			}
		}
		pupil := p.Has(Pupil)
		if pupil && !l.personFailed(i, "classes") {
			switch len(p.Classes) {
			case 0:
				l.personK(i, "classes", "config.pupil_no_class", "a pupil needs exactly one class, e.g. classes: [2B]")
			case 1:
			default:
				l.personK(i, "classes", "config.pupil_classes", "a pupil belongs to exactly one class, found %d (%s)", len(p.Classes), strings.Join(p.Classes, ", "))
			}
		}
		switch {
		case pupil && p.Mentor == "" && !l.personFailed(i, "mentor"):
			l.personK(i, "mentor", "config.pupil_no_mentor", "a pupil needs a mentor (their check-in summaries and alerts go to the mentor); add e.g. mentor: devries")
		case !pupil && p.Mentor != "":
			l.personK(i, "mentor", "config.mentor_not_pupil", "only pupils have a mentor; remove it or add the role %s", Pupil)
		case p.Mentor != "":
			m, ok := byID[p.Mentor]
			switch {
			case !ok:
				l.personK(i, "mentor", "config.mentor_unknown", "%q is not on the roster%s", p.Mentor, didYouMean(p.Mentor, ids))
			case !m.Has(Mentor):
				l.personK(i, "mentor", "config.mentor_not_mentor", "%s is not a mentor; add the role mentor to %s or choose another mentor", m.ID, m.ID)
			}
		}
		if p.Level != "" {
			switch {
			case !pupil:
				l.personK(i, "level", "config.level_not_pupil", "only pupils have a steering level; remove it or add the role %s", Pupil)
			case !contains(levelNames, string(p.Level)):
				l.personK(i, "level", "config.level_bad", "%q is not a steering level; use %s%s", p.Level, joinOr(levelNames), didYouMean(string(p.Level), levelNames))
			}
		}
	}
}

func (l *loader) checkPersonLocale(i int, loc string) {
	if loc != "" && !contains(locales, loc) {
		l.personK(i, "locale", "config.locale_bad", "%q is not a supported language; use nl or en", loc)
	}
}

func (l *loader) validateSubjects(s *School) {
	byID := map[string]*Person{}
	var ids []string
	for _, p := range s.People {
		if p != nil && p.ID != "" {
			if _, dup := byID[p.ID]; !dup {
				byID[p.ID] = p
				ids = append(ids, p.ID)
			}
		}
	}
	for i, c := range s.Classes {
		if c == nil {
			continue
		}
		subjects := make([]string, 0, len(c.Subjects))
		for sub := range c.Subjects {
			subjects = append(subjects, sub)
		}
		sort.Strings(subjects)
		for _, sub := range subjects {
			p := fmt.Sprintf("classes[%d].subjects.%s", i, sub)
			if strings.TrimSpace(sub) == "" {
				l.atK(p, "config.teaches_no_subject", "a subject needs a name")
				continue
			}
			t := c.Subjects[sub]
			teacher, ok := byID[t]
			switch {
			case t == "":
				l.atK(p, "config.teaches_no_teacher", "no teacher given for %s; write the person id of its teacher in this class", sub)
			case !ok:
				l.atK(p, "config.teacher_unknown", "%q is not on the roster%s", t, didYouMean(t, ids))
			case !teacher.Has(Teacher):
				l.atK(p, "config.teacher_not_teacher", "%s is not a teacher; add the role %s to %s", t, Teacher, t)
			case !teacher.InClass(c.ID):
				l.atK(p, "config.teacher_not_in_class", "%s does not teach in class %s; add %s to %s's classes", t, c.ID, c.ID, t)
			}
		}
	}
}

// shortDuration writes 12h rather than 12h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
