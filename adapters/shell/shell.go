// Package shell is the terminal adapter: a whole class in one terminal. You choose who
// you are (:as anna), see that person's direct messages and the class channel, answer
// choices by number or text, and move the simulated clock so the scheduler fires. With
// a script it reads the same input from a file and prints the whole transcript, which
// is how the demo and the end-to-end tests run.
package shell

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/i18n"
)

// Driver runs what is due at the current simulated time: scheduled jobs and the outbox.
type Driver interface {
	Tick(ctx context.Context) error
}

// Scheduler tells when the next job or timer is due (zero: nothing in sight).
type Scheduler interface {
	NextDue(ctx context.Context, now time.Time) time.Time
}

// Options configure the terminal adapter.
type Options struct {
	School  *config.School
	Catalog *i18n.Catalog
	Clock   *clock.Fake
	In      io.Reader
	Out     io.Writer
	// Script prints every delivery with its recipient and echoes input lines, for
	// transcripts; otherwise only the current person's messages are shown.
	Script bool
	// As is the person to start as (default: the first pupil).
	As string
	// Session, if set, replaces the random part of event ids: a script on a throwaway
	// store uses a fixed one, so ids derived from events (question codes) are the same
	// every run. Leave it empty on a store that outlives the session.
	Session string
}

// Adapter is the terminal platform.
type Adapter struct {
	o      Options
	L      *i18n.Localizer
	driver Driver
	sched  Scheduler

	mu sync.Mutex
	as *config.Person
	// session makes event ids unique across terminal sessions on a persistent store,
	// where ids of an earlier session are still remembered as handled.
	session string
	seq     int
	choices map[string][]chat.Choice
	pending map[string][]string
	// post is the newest class or thread post with choices, which :press answers.
	post *classPost
	// threads maps the logical thread keys seen so far to their class.
	threads map[string]string
	// offline are people the terminal pretends Kring cannot reach (:offline).
	offline map[string]bool
}

// classPost is a post in a class channel or thread, as the terminal remembers it.
type classPost struct {
	class, thread string
	choices       []chat.Choice
}

// New returns a terminal adapter. Call Bind before Run.
func New(o Options) *Adapter {
	var b [6]byte
	_, _ = rand.Read(b[:])
	session := hex.EncodeToString(b[:])
	if o.Session != "" {
		session = o.Session
	}
	a := &Adapter{o: o, L: o.Catalog.For(o.School.Locale), session: session,
		choices: map[string][]chat.Choice{}, pending: map[string][]string{}, offline: map[string]bool{},
		threads: map[string]string{}}
	if p, ok := o.School.FindPerson(o.As); ok {
		a.as = p
	} else if ps := pupils(o.School); len(ps) > 0 {
		a.as = ps[0]
	} else if len(o.School.People) > 0 {
		a.as = o.School.People[0]
	}
	return a
}

// Bind gives the adapter the runtime's driver and scheduler, which exist only after the
// adapter was handed to the runtime.
func (a *Adapter) Bind(d Driver, s Scheduler) { a.driver, a.sched = d, s }

// Platform implements chat.Adapter.
func (a *Adapter) Platform() chat.Platform { return chat.Shell }

// Capabilities implements chat.Adapter: choices are numbered lines you answer by number.
func (a *Adapter) Capabilities() chat.Capabilities {
	return chat.Capabilities{Buttons: true, Ephemeral: true}
}

// Refuses reports whether the terminal pretends Kring cannot reach person (:offline),
// as if they had no Discord or Slack id: the Engine then treats them as unreachable.
func (a *Adapter) Refuses(person string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.offline[person]
}

// Send implements chat.Adapter: it prints the message, or keeps it for the person it is
// for until you switch to them.
func (a *Adapter) Send(_ context.Context, d chat.Delivery) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := d.Message
	var label, who string
	switch {
	case d.Address.User != "":
		who = d.Address.User
		name := who
		if p, ok := a.o.School.Person(who); ok {
			name = p.Name
		}
		label = a.L.T("shell.to_person", "Name", name)
		if len(m.Choices) > 0 {
			a.choices[who] = m.Choices
		}
	default:
		label = a.L.T("shell.to_class", "Class", d.Address.Channel)
		key := m.To.Thread
		if key == "" {
			key = d.Address.Thread
		}
		if key != "" {
			title := m.To.ThreadTitle
			if title == "" {
				title = key
			}
			label = a.L.T("shell.to_thread", "Class", d.Address.Channel, "Thread", title, "Key", key)
			a.threads[key] = d.Address.Channel
		}
		if len(m.Choices) > 0 {
			a.post = &classPost{class: d.Address.Channel, thread: key, choices: m.Choices}
		}
	}
	text := a.render(label, m)
	if !a.o.Script && who != "" && (a.as == nil || who != a.as.ID) {
		a.pending[who] = append(a.pending[who], text)
		fmt.Fprintln(a.o.Out, a.L.T("shell.new_for", "Name", a.nameOf(who), "ID", who))
		return nil
	}
	fmt.Fprintln(a.o.Out, text)
	return nil
}

func (a *Adapter) render(label string, m chat.Message) string {
	var b strings.Builder
	b.WriteString("[" + label + "] ")
	body := chat.Plain(m.Text)
	b.WriteString(strings.ReplaceAll(body, "\n", "\n    "))
	if m.Ephemeral {
		b.WriteString(" " + a.L.T("shell.only_you"))
	}
	for i, c := range m.Choices {
		if i == 0 {
			b.WriteString("\n   ")
		}
		fmt.Fprintf(&b, " %d) %s ", i+1, c.Label)
	}
	if m.Form != nil {
		b.WriteString("\n    " + a.L.T("shell.form_hint"))
	}
	if m.Image != nil {
		b.WriteString("\n    " + a.L.T("shell.image", "Alt", m.Image.Alt))
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func (a *Adapter) nameOf(id string) string {
	if p, ok := a.o.School.Person(id); ok {
		return p.Name
	}
	return id
}

// Run reads lines until the input ends or ctx is done.
func (a *Adapter) Run(ctx context.Context, h chat.Engine) error {
	if a.driver == nil {
		return fmt.Errorf("shell: Bind was not called")
	}
	if !a.o.Script {
		fmt.Fprintln(a.o.Out, a.L.T("shell.intro"))
		a.prompt()
	}
	sc := bufio.NewScanner(a.o.In)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	inComment := false
	for sc.Scan() {
		if ctx.Err() != nil {
			return nil
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			if a.o.Script && strings.HasPrefix(line, "# ") {
				if !inComment {
					fmt.Fprintln(a.o.Out)
				}
				fmt.Fprintln(a.o.Out, line)
				inComment = true
			}
			continue
		}
		inComment = false
		if a.o.Script {
			fmt.Fprintf(a.o.Out, "%s> %s\n", a.asID(), line)
		}
		quit, err := a.line(ctx, h, line)
		if err != nil {
			fmt.Fprintln(a.o.Out, a.L.T("shell.error", "Error", err.Error()))
		}
		if quit {
			return nil
		}
		if err := a.driver.Tick(ctx); err != nil {
			fmt.Fprintln(a.o.Out, a.L.T("shell.error", "Error", err.Error()))
		}
		if !a.o.Script {
			a.prompt()
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	return nil
}

func (a *Adapter) asID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.as == nil {
		return "?"
	}
	return a.as.ID
}

func (a *Adapter) prompt() {
	now := a.o.Clock.Now().In(a.location())
	day := a.L.T("shell.day." + strings.ToLower(now.Weekday().String()[:3]))
	fmt.Fprintf(a.o.Out, "%s %s %s> ", day, now.Format("15:04"), a.asID())
}

func (a *Adapter) location() *time.Location {
	if len(a.o.School.Classes) > 0 {
		return a.o.School.Classes[0].Location
	}
	return time.UTC
}

// line handles one input line; quit reports :quit.
func (a *Adapter) line(ctx context.Context, h chat.Handler, line string) (quit bool, err error) {
	if strings.HasPrefix(line, ":") {
		return a.meta(ctx, h, line)
	}
	ev := a.event()
	me := ev.User
	switch {
	case strings.HasPrefix(line, "/"):
		name, rest, _ := strings.Cut(strings.TrimPrefix(line, "/"), " ")
		ev.Kind = chat.KindCommand
		ev.Command = a.canonical(strings.ToLower(name))
		ev.ArgText = strings.TrimSpace(rest)
	default:
		if c, ok := a.matchChoice(me, line); ok {
			ev.Kind = chat.KindButton
			ev.Action, ev.Value = c.Action, c.Value
		} else {
			ev.Kind = chat.KindMessage
			ev.Text = line
		}
	}
	a.handle(ctx, h, ev)
	return false, nil
}

// event starts an event of the current person, in their DM.
func (a *Adapter) event() chat.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	return chat.Event{ID: "shell-" + a.session + "-" + strconv.Itoa(a.seq), Platform: chat.Shell, User: a.as.ID, DM: true, Time: a.o.Clock.Now()}
}

// handle gives ev to the Engine and shows its immediate replies to the actor.
func (a *Adapter) handle(ctx context.Context, h chat.Handler, ev chat.Event) {
	for _, m := range h.Handle(ctx, ev) {
		_ = a.Send(ctx, chat.Delivery{Message: m, Address: chat.Address{User: ev.User}})
	}
}

// press answers the newest class or thread post with its choice n, as a button
// pressed in the class channel (:press N).
func (a *Adapter) press(ctx context.Context, h chat.Handler, arg string) error {
	a.mu.Lock()
	post := a.post
	a.mu.Unlock()
	if post == nil {
		return fmt.Errorf("%s", a.L.T("shell.no_post"))
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 || n > len(post.choices) {
		return fmt.Errorf("%s", a.L.T("shell.bad_press", "Max", len(post.choices)))
	}
	ev := a.event()
	ev.DM, ev.Channel, ev.Thread, ev.ThreadKey = false, post.class, post.thread, post.thread
	ev.Kind, ev.Action, ev.Value = chat.KindButton, post.choices[n-1].Action, post.choices[n-1].Value
	a.handle(ctx, h, ev)
	return nil
}

// say types text in the thread of logical key in its class channel (:thread KEY text).
func (a *Adapter) say(ctx context.Context, h chat.Handler, arg string) error {
	key, text, _ := strings.Cut(arg, " ")
	text = strings.TrimSpace(text)
	a.mu.Lock()
	class, ok := a.threads[key]
	var keys []string
	for k := range a.threads {
		keys = append(keys, k)
	}
	a.mu.Unlock()
	switch {
	case !ok:
		slices.Sort(keys)
		return fmt.Errorf("%s", a.L.T("shell.no_thread", "Key", key, "Keys", strings.Join(keys, ", ")))
	case text == "":
		return fmt.Errorf("%s", a.L.T("shell.thread_usage"))
	}
	ev := a.event()
	ev.DM, ev.Channel, ev.Thread, ev.ThreadKey = false, class, key, key
	ev.Kind, ev.Text = chat.KindMessage, text
	a.handle(ctx, h, ev)
	return nil
}

// canonical maps a localised command name (/incheck) to its canonical one (/checkin).
func (a *Adapter) canonical(name string) string {
	for _, lang := range i18n.Languages {
		L := a.o.Catalog.For(lang)
		for _, id := range a.o.Catalog.IDs(lang) {
			if strings.HasPrefix(id, "cmd.") && strings.HasSuffix(id, ".name") && strings.Count(id, ".") == 2 && L.T(id) == name {
				return strings.TrimSuffix(strings.TrimPrefix(id, "cmd."), ".name")
			}
		}
	}
	return name
}

// matchChoice maps "2" or a label to the person's last offered choice, and uses it up:
// like a pressed button, an answered choice can't be answered again.
func (a *Adapter) matchChoice(person, text string) (chat.Choice, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cs := a.choices[person]
	if len(cs) == 0 {
		return chat.Choice{}, false
	}
	pick := -1
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= len(cs) {
		pick = n - 1
	} else {
		for i, c := range cs {
			if letters(c.Label) == letters(text) && letters(text) != "" {
				pick = i
			}
		}
	}
	if pick < 0 {
		return chat.Choice{}, false
	}
	delete(a.choices, person)
	return cs[pick], true
}

func letters(s string) string {
	return strings.ToLower(strings.TrimFunc(strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' {
			return r
		}
		return -1
	}, s), unicode.IsSpace))
}

// nextDue is when the next job or dialog timer is due.
func (a *Adapter) nextDue(ctx context.Context) time.Time {
	return a.sched.NextDue(ctx, a.o.Clock.Now())
}

func (a *Adapter) meta(ctx context.Context, h chat.Handler, line string) (bool, error) {
	cmd, arg, _ := strings.Cut(strings.TrimPrefix(line, ":"), " ")
	arg = strings.TrimSpace(arg)
	switch cmd {
	case "quit", "q", "exit":
		return true, nil
	case "as":
		p, ok := a.o.School.FindPerson(arg)
		if !ok {
			return false, fmt.Errorf("%s", a.L.T("shell.no_such_person", "Ref", arg))
		}
		a.mu.Lock()
		a.as = p
		waiting := a.pending[p.ID]
		delete(a.pending, p.ID)
		a.mu.Unlock()
		fmt.Fprintln(a.o.Out, a.L.T("shell.now_as", "Name", p.Name, "Roles", a.roles(p)))
		for _, t := range waiting {
			fmt.Fprintln(a.o.Out, t)
		}
	case "offline":
		p, ok := a.o.School.FindPerson(arg)
		if !ok {
			return false, fmt.Errorf("%s", a.L.T("shell.no_such_person", "Ref", arg))
		}
		a.mu.Lock()
		a.offline[p.ID] = true
		a.mu.Unlock()
		fmt.Fprintln(a.o.Out, a.L.T("shell.offline", "Name", p.Name))
	case "who":
		for _, p := range a.o.School.People {
			fmt.Fprintf(a.o.Out, "  %-10s %-20s %s\n", p.ID, p.Name, a.roles(p))
		}
	case "time":
		fmt.Fprintln(a.o.Out, a.stamp())
	case "help":
		fmt.Fprintln(a.o.Out, a.L.T("shell.help"))
	case "press", "druk":
		return false, a.press(ctx, h, arg)
	case "thread", "draad":
		return false, a.say(ctx, h, arg)
	case "next":
		next := a.sched.NextDue(ctx, a.o.Clock.Now())
		if next.IsZero() {
			return false, fmt.Errorf("%s", a.L.T("shell.no_jobs"))
		}
		a.o.Clock.Set(next)
		fmt.Fprintln(a.o.Out, a.stamp())
	case "clock", "date", "tomorrow":
		target, err := a.target(cmd, arg)
		if err != nil {
			return false, err
		}
		if cmd == "date" {
			// :date sets the scene (a script's first line): it jumps, running nothing on the way.
			a.o.Clock.Set(target)
			fmt.Fprintln(a.o.Out, a.stamp())
			break
		}
		// Walk through every job and timer on the way so nothing is skipped or bunched up.
		var last time.Time
		for {
			next := a.nextDue(ctx)
			if next.IsZero() || next.After(target) || !next.After(last) {
				break
			}
			last = next
			a.o.Clock.Set(next)
			fmt.Fprintln(a.o.Out, a.stamp())
			if err := a.driver.Tick(ctx); err != nil {
				return false, err
			}
		}
		if a.o.Clock.Now().Before(target) {
			a.o.Clock.Set(target)
			fmt.Fprintln(a.o.Out, a.stamp())
		}
	default:
		return false, fmt.Errorf("%s", a.L.T("shell.unknown_meta", "Cmd", cmd))
	}
	return false, nil
}

func (a *Adapter) stamp() string {
	now := a.o.Clock.Now().In(a.location())
	return a.L.T("shell.clock", "Day", a.L.T("shell.day."+strings.ToLower(now.Weekday().String()[:3])), "Time", now.Format("2006-01-02 15:04"))
}

// target works out where :clock, :date and :tomorrow move the clock; never backwards.
func (a *Adapter) target(cmd, arg string) (time.Time, error) {
	loc := a.location()
	now := a.o.Clock.Now().In(loc)
	bad := fmt.Errorf("%s", a.L.T("shell.bad_clock"))
	switch {
	case cmd == "tomorrow":
		d := config.DateOf(now).AddDays(1)
		return config.TimeOfDay(7*60).On(d, loc), nil
	case cmd == "date":
		ds, ts, _ := strings.Cut(arg, " ")
		d, err := config.ParseDate(ds)
		if err != nil {
			return time.Time{}, bad
		}
		tod := config.TimeOfDay(7 * 60)
		if ts != "" {
			if tod, err = config.ParseTimeOfDay(ts); err != nil {
				return time.Time{}, bad
			}
		}
		t := tod.On(d, loc)
		if t.Before(now) {
			return time.Time{}, fmt.Errorf("%s", a.L.T("shell.no_back"))
		}
		return t, nil
	case strings.HasPrefix(arg, "+"):
		d, err := time.ParseDuration(arg[1:])
		if err != nil || d < 0 {
			return time.Time{}, bad
		}
		return now.Add(d), nil
	default:
		tod, err := config.ParseTimeOfDay(arg)
		if err != nil {
			return time.Time{}, bad
		}
		t := tod.On(config.DateOf(now), loc)
		if !t.After(now) {
			t = tod.On(config.DateOf(now).AddDays(1), loc)
		}
		return t, nil
	}
}

// roles names a person's roles in the terminal's language, and their classes.
func (a *Adapter) roles(p *config.Person) string {
	rs := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		rs[i] = a.L.T("role." + string(r))
	}
	return strings.TrimSpace(strings.Join(rs, ", ") + " " + strings.Join(p.Classes, ","))
}

func pupils(s *config.School) []*config.Person {
	var out []*config.Person
	for _, p := range s.People {
		if p.Has(config.Pupil) {
			out = append(out, p)
		}
	}
	return out
}
