package roster

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/kring-school/kring/bot/config"
)

// Kind says what an import does to one person.
type Kind string

// The kinds of change.
const (
	Added     Kind = "added"
	Changed   Kind = "changed"
	Left      Kind = "left"
	Unchanged Kind = "unchanged"
)

// Change is what an import does to one person.
type Change struct {
	Kind   Kind
	Person *config.Person
	// Class is the person's class after the import (before it, for Left).
	Class string
	// What lists the changed fields, e.g. "class 2B → 3B".
	What []Text
}

// Plan is the outcome of comparing an export with the current roster.
type Plan struct {
	// People is the new roster CSV: the current CSV people updated, then the new ones.
	People  []*config.Person
	Changes []Change
	// Problems are the rows that cannot be imported (besides those of Export.Problems).
	Problems []Problem
	// InSchoolFile are export rows whose person is defined in the school YAML file; the
	// import leaves them to that file.
	InSchoolFile []Row
}

// Count is one class's line of the summary.
type Count struct {
	Class                           string
	Added, Changed, Left, Unchanged int
}

// Counts summarises the plan per class, in class order.
func (p *Plan) Counts() []Count {
	by := map[string]*Count{}
	for _, c := range p.Changes {
		n := by[c.Class]
		if n == nil {
			n = &Count{Class: c.Class}
			by[c.Class] = n
		}
		switch c.Kind {
		case Added:
			n.Added++
		case Changed:
			n.Changed++
		case Left:
			n.Left++
		case Unchanged:
			n.Unchanged++
		}
	}
	out := make([]Count, 0, len(by))
	for _, n := range by {
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Class < out[j].Class })
	return out
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Merge compares export x with the school's current roster CSV people (current) and
// plans the new roster CSV. People in the school file itself (s.People that are not in
// current) are never rewritten. Pupils of the CSV who are not in the export are marked
// as left on today; someone who comes back is active again. Kring's own fields the
// export lacks (Discord and Slack ids, steering level, language) are kept.
func Merge(s *config.School, current []*config.Person, x *Export, today config.Date) *Plan {
	plan := &Plan{}
	inCSV := map[string]*config.Person{}
	for _, p := range current {
		inCSV[strings.ToLower(p.ID)] = p
	}
	inFile := map[string]bool{}
	for _, p := range s.People {
		if _, ok := inCSV[strings.ToLower(p.ID)]; !ok {
			inFile[strings.ToLower(p.ID)] = true
		}
	}
	seen := map[string]int{}
	var added []*config.Person
	updated := map[string]*config.Person{}
	for _, r := range x.Rows {
		key := strings.ToLower(r.ID)
		bad := func(c Column, t Text) {
			plan.Problems = append(plan.Problems, Problem{Line: r.Line, Column: c, Text: t})
		}
		switch {
		case r.ID == "":
			bad(ColID, say("roster.id_empty", "the %s is empty", x.Columns[ColID]))
			continue
		case !idPattern.MatchString(r.ID):
			bad(ColID, say("roster.id_bad", "%q cannot be a Kring id; use letters, digits, '.', '-' and '_'", r.ID))
			continue
		}
		if first, dup := seen[key]; dup {
			bad(ColID, say("roster.id_twice", "%s is also on line %d", r.ID, first))
			continue
		}
		seen[key] = r.Line
		if inFile[key] {
			plan.InSchoolFile = append(plan.InSchoolFile, r)
			continue
		}
		old := inCSV[key]
		p, ok := plannedPerson(s, x, r, old, bad)
		if !ok {
			if old != nil {
				// The row is bad: the person stays as they were rather than be marked left.
				updated[key] = old
			}
			continue
		}
		if old == nil {
			added = append(added, p)
			plan.Changes = append(plan.Changes, Change{Kind: Added, Person: p, Class: p.Class()})
			continue
		}
		updated[key] = p
		what := diff(old, p)
		kind := Changed
		if len(what) == 0 {
			kind = Unchanged
		}
		plan.Changes = append(plan.Changes, Change{Kind: kind, Person: p, Class: p.Class(), What: what})
	}
	for _, old := range current {
		key := strings.ToLower(old.ID)
		if p, ok := updated[key]; ok {
			plan.People = append(plan.People, p)
			continue
		}
		if _, ok := seen[key]; ok {
			plan.People = append(plan.People, old) // a bad row: unchanged
			continue
		}
		p := *old
		if p.Has(config.Pupil) && p.Active() {
			p.Left = today
			plan.Changes = append(plan.Changes, Change{Kind: Left, Person: &p, Class: p.Class()})
		}
		plan.People = append(plan.People, &p)
	}
	plan.People = append(plan.People, added...)
	sort.SliceStable(plan.Problems, func(i, j int) bool { return plan.Problems[i].Line < plan.Problems[j].Line })
	return plan
}

// plannedPerson builds the person a row describes on top of what Kring knew (old).
func plannedPerson(s *config.School, x *Export, r Row, old *config.Person, bad func(Column, Text)) (*config.Person, bool) {
	p := &config.Person{ID: r.ID, Roles: []config.Role{config.Pupil}}
	if old != nil {
		cp := *old
		p = &cp
		p.Roles = slices.Clone(old.Roles)
		p.Left = config.Date{}
	}
	ok := true
	if r.Name == "" {
		bad(ColName, say("roster.name_empty", "the name is empty"))
		ok = false
	}
	p.Name = r.Name
	if len(r.Roles) > 0 {
		p.Roles = nil
		for _, role := range r.Roles {
			p.Roles = append(p.Roles, config.Role(role))
		}
	}
	class, found := findClass(s, r.Class)
	switch {
	case r.Class == "":
		bad(ColClass, say("roster.class_empty", "the class is empty"))
		ok = false
	case !found:
		bad(ColClass, say("roster.class_unknown", "class %q is not in the school file; add it under classes (with its schedule) first", r.Class))
		ok = false
	default:
		p.Classes = []string{class}
	}
	if p.Has(config.Pupil) && found {
		m, problem := pickMentor(s, r, p, class, old)
		if problem.English != "" {
			bad(ColMentor, problem)
			ok = false
		}
		p.Mentor = m
	}
	if x.Has(ColEmail) {
		p.Email = r.Email
		if r.Email != "" && !strings.Contains(r.Email, "@") {
			bad(ColEmail, say("roster.email_bad", "%q is not an e-mail address", r.Email))
			ok = false
		}
	}
	if x.Has(ColLocale) && r.Locale != "" {
		switch r.Locale {
		case "nl", "nederlands", "dutch":
			p.Locale = "nl"
		case "en", "engels", "english":
			p.Locale = "en"
		default:
			bad(ColLocale, say("roster.locale_bad", "%q is not a language Kring speaks; use nl or en", r.Locale))
			ok = false
		}
	}
	return p, ok
}

func findClass(s *config.School, id string) (string, bool) {
	for _, c := range s.Classes {
		if strings.EqualFold(c.ID, id) {
			return c.ID, true
		}
	}
	return "", false
}

var titles = []string{"dhr.", "dhr", "mevr.", "mevr", "mw.", "mw", "mr.", "mrs.", "ms."}

// pickMentor resolves the export's mentor (a roster id or a name, with or without a
// title); without one, the class's only mentor, else the mentor Kring knew.
func pickMentor(s *config.School, r Row, p *config.Person, class string, old *config.Person) (string, Text) {
	if r.Mentor != "" {
		want := strings.ToLower(r.Mentor)
		for _, m := range s.People {
			if !m.Has(config.Mentor) {
				continue
			}
			if strings.ToLower(m.ID) == want || strings.ToLower(m.Name) == want || bare(m.Name) == bare(r.Mentor) {
				return m.ID, Text{}
			}
		}
		return "", say("roster.mentor_unknown", "%q is not a mentor on the roster; use the mentor's id or name as in the school file", r.Mentor)
	}
	var inClass []string
	for _, m := range s.Members(class, config.Mentor) {
		inClass = append(inClass, m.ID)
	}
	if len(inClass) == 1 {
		return inClass[0], Text{}
	}
	if old != nil && old.Mentor != "" && old.Class() == class {
		return old.Mentor, Text{}
	}
	if len(inClass) == 0 {
		return "", say("roster.mentor_none", "no mentor given, and class %s has no mentor in the school file", class)
	}
	return "", say("roster.mentor_several", "no mentor given, and class %s has several (%s)", class, strings.Join(inClass, ", "))
}

// bare folds a name without its title, for matching "De Vries" with "Dhr. De Vries".
func bare(name string) string {
	f := strings.Fields(strings.ToLower(name))
	if len(f) > 1 && slices.Contains(titles, f[0]) {
		f = f[1:]
	}
	return strings.Join(f, " ")
}

// diff names what an import changes about a person, in roster terms.
func diff(old, p *config.Person) []Text {
	var out []Text
	if old.Name != p.Name {
		out = append(out, say("roster.what_name", "name %s → %s", old.Name, p.Name))
	}
	if old.Class() != p.Class() {
		out = append(out, say("roster.what_class", "class %s → %s", old.Class(), p.Class()))
	}
	if old.Mentor != p.Mentor {
		out = append(out, say("roster.what_mentor", "mentor %s → %s", old.Mentor, p.Mentor))
	}
	if old.Email != p.Email {
		out = append(out, say("roster.what_email", "e-mail"))
	}
	if old.Locale != p.Locale {
		out = append(out, say("roster.what_language", "language %s → %s", orDash(old.Locale), orDash(p.Locale)))
	}
	if !slices.Equal(old.Roles, p.Roles) {
		out = append(out, say("roster.what_roles", "roles"))
	}
	if !old.Active() {
		out = append(out, say("roster.what_back", "back at school"))
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
