// Package bot is Kring's dialogue core. The Engine takes normalised events from the
// adapters, resolves the platform user to a roster person, checks the role for the
// command, picks the conversation (the dialog named by a command, button, thread or
// timer; for typed text the one on top of the person's conversation stack), loads the
// person's state and the shared records the step reads from Redis in one round trip,
// runs the dialog step, and commits the new state, the effects and the outgoing messages
// in one atomic write (a second round trip) that checks every version it read.
// Scheduled jobs and timers enter through the same path.
package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/outbox"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/store"
)

// Options wire an Engine.
type Options struct {
	School  *config.School
	Store   *store.Store
	Outbox  *outbox.Outbox
	Clock   clock.Clock
	Catalog *i18n.Catalog
	// Dialogs are the conversations; command names and dialog names must be unique.
	Dialogs []dialog.Dialog
	// Adapters are the connected platforms in order of preference for reaching a person.
	Adapters []chat.Adapter
	Log      *slog.Logger
	// MaxText is the longest inbound text accepted at all (default 16,000 characters);
	// dialogs apply their own, smaller limits with a friendly re-ask.
	MaxText int
	// Observer, if set, is told about every step (metrics).
	Observer Observer
	// JobWorkers is how many people a scheduled job serves at once (default 32; the
	// terminal uses 1 so its transcript follows the roster).
	JobWorkers int
	// Directory resolves platform accounts (default: the school file's ids).
	Directory Directory
	// Onboarding, if set, answers people the Directory does not know (link codes).
	Onboarding Onboarding
	// Inbox names the dialog that gets typed text no open conversation expects (""
	// answers such text with core.no_dialog).
	Inbox string
	// Alerts finds safeguarding phrases in a pupil's text (dialog.Input.Alerts).
	Alerts func(school *config.School, text string) []string
	// Periods reads pupils' check-ins and help requests over a period, pipelined, for
	// dialogs that are dialog.PeriodReaders (a mentor's digest).
	Periods func(ctx context.Context, pupils []*config.Person, from, to config.Date) ([]dialog.PupilPeriod, error)
}

// PanicObserver is an Observer that also counts dialog steps that panicked.
type PanicObserver interface {
	Panic(dialog string)
}

// AlertObserver is an Observer that also counts staff-only messages (alerts, relayed
// help requests) a dialog sent.
type AlertObserver interface {
	Alert(dialog string, n int)
}

// Observer sees what the Engine does. Methods must not block.
type Observer interface {
	Event(kind chat.EventKind)
	Step(dialog string, d time.Duration, err error)
	Conflict()
	Duplicate()
}

// Engine is the dialogue core. It is safe for concurrent use.
type Engine struct {
	school   *config.School
	st       *store.Store
	ob       *outbox.Outbox
	clk      clock.Clock
	cat      *i18n.Catalog
	log      *slog.Logger
	obs      Observer
	maxText  int
	workers  int
	dialogs  map[string]dialog.Dialog
	order    []dialog.Dialog
	commands map[string]commandRef
	specs    []dialog.CommandSpec
	adapters []chat.Adapter
	dir      Directory
	onboard  Onboarding
	// stripes serialise the steps of one person inside this process, so optimistic
	// retries are only needed against other processes.
	stripes [256]sync.Mutex
	kinds   *record.Kinds
	inbox   string
	alerts  func(school *config.School, text string) []string
	periods func(ctx context.Context, pupils []*config.Person, from, to config.Date) ([]dialog.PupilPeriod, error)
	// timers is signalled when a step armed a timer, so the timer loop looks again.
	timers chan struct{}
	// langs is the copy of the languages people chose themselves (lang.go).
	langs langCache
}

// TimerArmed is signalled whenever a step set a timer, so a waiting timer loop can
// look for an earlier due time.
func (e *Engine) TimerArmed() <-chan struct{} { return e.timers }

// Kinds returns the declared record kinds (built-in and the dialogs').
func (e *Engine) Kinds() *record.Kinds { return e.kinds }

type commandRef struct {
	spec   dialog.CommandSpec
	dialog dialog.Dialog
}

// MaxAttempts is how often a step is retried when another process committed a step of
// the same person first (within one process the steps of a person take turns).
const MaxAttempts = 20

// New builds an Engine.
func New(o Options) (*Engine, error) {
	if o.School == nil || o.Store == nil || o.Outbox == nil || o.Catalog == nil {
		return nil, errors.New("engine: school, store, outbox and catalog are required")
	}
	e := &Engine{
		school: o.School, st: o.Store, ob: o.Outbox, clk: o.Clock, cat: o.Catalog, log: o.Log,
		obs: o.Observer, maxText: o.MaxText, workers: max(1, o.JobWorkers), dialogs: map[string]dialog.Dialog{},
		commands: map[string]commandRef{}, adapters: o.Adapters, inbox: o.Inbox, alerts: o.Alerts, periods: o.Periods,
		timers: make(chan struct{}, 1), dir: o.Directory, onboard: o.Onboarding,
	}
	if e.dir == nil {
		e.dir = fileDirectory{o.School}
	}
	if e.clk == nil {
		e.clk = clock.Real{}
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.maxText == 0 {
		e.maxText = 16000
	}
	if o.JobWorkers == 0 {
		e.workers = 32
	}
	var extra []record.Kind
	for _, d := range o.Dialogs {
		if rd, ok := d.(dialog.Recorder); ok {
			extra = append(extra, rd.Records()...)
		}
	}
	kinds, err := record.NewKinds(extra...)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	e.kinds = kinds
	for _, d := range o.Dialogs {
		if d.Name() == routeAction {
			return nil, fmt.Errorf("engine: dialog name %q is the Engine's own", routeAction)
		}
		if _, dup := e.dialogs[d.Name()]; dup {
			return nil, fmt.Errorf("engine: dialog %q registered twice", d.Name())
		}
		e.dialogs[d.Name()] = d
		e.order = append(e.order, d)
		for _, c := range d.Commands() {
			if _, dup := e.commands[c.Name]; dup {
				return nil, fmt.Errorf("engine: command %q declared twice", c.Name)
			}
			e.commands[c.Name] = commandRef{spec: c, dialog: d}
			e.specs = append(e.specs, c)
		}
	}
	if e.inbox != "" && e.dialogs[e.inbox] == nil {
		return nil, fmt.Errorf("engine: inbox dialog %q is not registered", e.inbox)
	}
	return e, nil
}

// routeAction is the action-id prefix of the buttons with which a person says which
// conversation a typed text was for.
const routeAction = "core"

// Commands returns every command the dialogs declare, for adapters to register.
func (e *Engine) Commands() []dialog.CommandSpec { return e.specs }

// Dialogs returns the registered dialogs in order.
func (e *Engine) Dialogs() []dialog.Dialog { return e.order }

// School returns the school configuration.
func (e *Engine) School() *config.School { return e.school }

// Catalog returns the message catalog.
func (e *Engine) Catalog() *i18n.Catalog { return e.cat }

// KV returns the adapter cache for platform.
func (e *Engine) KV(p chat.Platform) chat.KV { return e.st.KV(string(p)) }

// Handle implements chat.Handler.
func (e *Engine) Handle(ctx context.Context, ev chat.Event) []chat.Message {
	if e.obs != nil {
		e.obs.Event(ev.Kind)
	}
	log := e.log.With("event", ev.ID, "platform", ev.Platform, "kind", ev.Kind)
	if !e.ourTenant(ev) {
		log.Debug("event from another tenant ignored", "tenant", ev.Tenant)
		return nil
	}
	p, ok := e.dir.Person(ev.Platform, ev.User)
	if !ok && e.onboard != nil {
		var replies []chat.Message
		if p, replies = e.onboard.Unknown(ctx, ev); p == nil && replies != nil {
			return replies
		}
		ok = p != nil
	}
	if !ok {
		log.Info("event from a user not on the roster")
		return []chat.Message{e.reply(ev, e.cat.For(e.school.Locale), "core.not_enrolled")}
	}
	log = log.With("person", p.ID)
	e.refreshLangs(ctx)
	L := e.cat.For(e.localeOf(p))
	if n := len([]rune(ev.Text)); n > e.maxText {
		return []chat.Message{e.reply(ev, L, "core.too_long", "Len", n, "Max", e.maxText)}
	}
	req := stepRequest{ev: ev, person: p, L: L, log: log}
	switch ev.Kind {
	case chat.KindCommand:
		ref, ok := e.commands[strings.ToLower(ev.Command)]
		if !ok {
			return []chat.Message{e.reply(ev, L, "core.unknown_command", "Command", chat.Literal(ev.Command), "Help", L.T("cmd.help.name"))}
		}
		if !ref.spec.Allowed(p) {
			return []chat.Message{e.reply(ev, L, "core.not_allowed", "Command", ref.spec.Label(L), "Roles", e.roleNames(L, ref.spec.Roles))}
		}
		args, problem := e.parseArgs(ref.spec, ev, L)
		if problem != nil {
			return []chat.Message{*problem}
		}
		if sv, ok := ref.dialog.(Service); ok {
			return sv.Serve(ctx, ev, p, args, L)
		}
		req.dialog = ref.dialog
		req.kind = dialog.Command
		req.args = args
	case chat.KindButton, chat.KindForm:
		name, _, _ := strings.Cut(ev.Action, ".")
		if name == routeAction {
			// "This text was for that conversation": the saved text goes there.
			req.kind = dialog.Text
			req.route = true
			break
		}
		d, ok := e.dialogs[name]
		if !ok {
			log.Warn("action for an unknown dialog", "action", ev.Action)
			return []chat.Message{e.reply(ev, L, "core.no_dialog", "Help", L.T("cmd.help.name"))}
		}
		req.dialog = d
		req.kind = dialog.Choice
		if ev.Kind == chat.KindForm {
			req.kind = dialog.Form
		}
	case chat.KindMessage:
		req.kind = dialog.Text
		switch {
		case ev.ThreadKey != "":
			// A thread a dialog opened: its key starts with the dialog's name.
			name, _, _ := strings.Cut(ev.ThreadKey, ":")
			d, ok := e.dialogs[name]
			if !ok {
				log.Warn("text in a thread of an unknown dialog", "thread", ev.ThreadKey)
				return []chat.Message{e.reply(ev, L, "core.no_dialog")}
			}
			req.dialog = d
		case ev.DM:
		case ev.Mention:
			// Someone addressed Kring in the class channel: the inbox answers them.
			d, ok := e.dialogs[e.inbox]
			if !ok {
				return []chat.Message{e.reply(ev, L, "core.no_dialog")}
			}
			req.dialog = d
		default:
			// Kring does not read class-channel chatter; dialogs talk in DMs and threads.
			return nil
		}
	default:
		return nil
	}
	return e.step(ctx, req)
}

func (e *Engine) ourTenant(ev chat.Event) bool {
	if ev.Tenant == "" {
		return true
	}
	switch ev.Platform {
	case chat.Discord:
		return e.school.Discord.Guild == "" || e.school.Discord.Guild == ev.Tenant
	case chat.Slack:
		return e.school.Slack.Team == "" || e.school.Slack.Team == ev.Tenant
	}
	return true
}

type stepRequest struct {
	ev     chat.Event
	person *config.Person
	L      *i18n.Localizer
	log    *slog.Logger
	dialog dialog.Dialog
	kind   dialog.InputKind
	args   map[string]string
	job    string
	// route is set for the button that says which conversation a pending text is for.
	route bool
	// timer is the timer being fired (Kind Wake).
	timer *Timer
	// periods are what a PeriodReader's step reads besides its state.
	periods []dialog.PupilPeriod
}

// MaxPasses bounds how often one typed text is handed on (dialog.Result.Pass): each
// pass takes a conversation off the stack, so a real stack never needs more.
const MaxPasses = 8

// step loads, decides and commits, retrying on a concurrent commit of the same person
// or of a shared record the step read. Its replies are only for failures; everything
// else goes through the outbox.
func (e *Engine) step(ctx context.Context, r stepRequest) []chat.Message {
	class, _ := e.school.Class(r.person.Class())
	classID := ""
	if class != nil {
		classID = class.ID
	}
	if pr, ok := r.dialog.(dialog.PeriodReader); ok && e.periods != nil {
		// Records written once and never changed (check-ins, help requests): read once,
		// before the step's own read, in two pipelined round trips (index, then MGET).
		ids, from, to := pr.Period(e.input(r, class, store.Snapshot{}, r.dialog))
		var pupils []*config.Person
		for _, id := range ids {
			if p, ok := e.school.Person(id); ok {
				pupils = append(pupils, p)
			}
		}
		if len(pupils) > 0 {
			got, err := e.periods(ctx, pupils, from, to)
			if err != nil {
				r.log.Error("read pupils' records", "err", err)
				return []chat.Message{e.reply(r.ev, r.L, "core.store_down")}
			}
			r.periods = got
		}
	}
	mu := &e.stripes[stripe(r.person.ID)]
	mu.Lock()
	defer mu.Unlock()
	// What a step reads depends on the event alone, so it is worked out once, not per attempt.
	var declared []dialog.Ref
	var declaredKeys []string
	if rd, ok := r.dialog.(dialog.Reader); ok {
		seen := map[string]bool{}
		for _, ref := range rd.Reads(e.input(r, class, store.Snapshot{}, r.dialog)) {
			k, err := e.sharedKey(ref)
			if err != nil {
				r.log.Error("dialog reads an undeclared record", "dialog", r.dialog.Name(), "err", err)
				return []chat.Message{e.reply(r.ev, r.L, "core.busy")}
			}
			if !seen[k] {
				seen[k] = true
				declared = append(declared, ref)
				declaredKeys = append(declaredKeys, k)
			}
		}
	}
	passes := 0
	for attempt := 0; attempt < MaxAttempts; attempt++ {
		start := e.clk.Now()
		req := store.LoadRequest{Event: r.ev.ID, Person: r.person.ID, Class: classID,
			Shared: append([]string(nil), declaredKeys...), Listening: r.dialog == nil}
		refs := make(map[string]dialog.Ref, len(declared))
		for i, ref := range declared {
			refs[declaredKeys[i]] = ref
		}
		if r.timer != nil {
			req.Shared = append(req.Shared, timerBodyKey(r.timer.ID))
		}
		snap, err := e.st.LoadStep(ctx, req)
		if err != nil {
			r.log.Error("load state", "err", err)
			return []chat.Message{e.reply(r.ev, r.L, "core.store_down")}
		}
		if snap.Duplicate {
			if e.obs != nil {
				e.obs.Duplicate()
			}
			r.log.Debug("duplicate event dropped")
			return nil
		}
		if r.timer != nil && !r.timer.current(snap.Shared[timerBodyKey(r.timer.ID)]) {
			// Re-armed or cancelled since it was claimed: the new arming fires on its own.
			r.log.Debug("timer changed since it was claimed", "timer", r.timer.ID)
			return nil
		}
		stack := e.known(stackOf(snap.Person))
		for _, o := range stack {
			for _, ref := range o.Refs {
				if k, err := e.sharedKey(ref); err == nil {
					refs[k] = ref
				}
			}
		}
		r.L = e.actorLocalizer(r, snap.Person)
		d := r.dialog
		text := r.ev.Text
		sys := map[string]string{}
		if d == nil {
			name := ""
			if r.route {
				name = r.ev.Value
				text = snap.Person[pendingField]
				if text == "" {
					return []chat.Message{e.reply(r.ev, r.L, "core.route_gone")}
				}
				sys[pendingField] = ""
			} else {
				var ask []dialog.Open
				name, ask = pickListener(stack, parseTime(snap.Person[typedField]))
				if len(ask) > 0 {
					replies, retry := e.askWhich(ctx, r, snap, ask)
					if retry {
						continue
					}
					return replies
				}
			}
			if name == "" {
				name = e.inbox
			}
			d = e.dialogs[name]
			if d == nil {
				return []chat.Message{e.reply(r.ev, r.L, "core.no_dialog", "Help", r.L.T("cmd.help.name"))}
			}
			sys[typedField] = e.clk.Now().UTC().Format(time.RFC3339Nano)
		}
		in := e.input(r, class, snap, d)
		in.Text = text
		in.Open = stack
		in.Shared = map[dialog.Ref]dialog.Shared{}
		for k, ref := range refs {
			if h, ok := snap.Shared[k]; ok {
				in.Shared[ref] = decodeShared(ref, h)
			}
		}
		res, err := e.safeStep(d, in, r)
		if errors.Is(err, errPanic) {
			return e.afterPanic(ctx, r, d)
		}
		// Only text the stack routed can go on to the next conversation; the inbox is
		// the last one and keeps what it gets.
		pass := res.Pass && r.dialog == nil && in.Kind == dialog.Text && d.Name() != e.inbox && passes < MaxPasses
		if pass {
			res.Listen = false
		} else if res.Pass {
			// Never by the built-in dialogs (they pass only stack-routed DM text), but a
			// dropped text must show somewhere.
			r.log.Warn("typed text could not be passed on", "dialog", d.Name(), "passes", passes)
		}
		if err != nil {
			r.log.Error("dialog step failed", "dialog", d.Name(), "err", err)
			if e.obs != nil {
				e.obs.Step(d.Name(), e.clk.Now().Sub(start), err)
			}
			return []chat.Message{e.reply(r.ev, r.L, "core.busy")}
		}
		b := e.st.NewBatch(r.person.ID, r.ev.ID, snap.Version())
		for k := range refs {
			if h, ok := snap.Shared[k]; ok {
				b.Check(e.st.Key(k), h["v"])
			}
		}
		if r.timer != nil {
			b.Unschedule(e.st.Key(timerSet), r.timer.ID, e.st.Key(timerBodyKey(r.timer.ID)))
		}
		if err := e.stage(b, r, d, snap, stack, sys, res, in.Now, class); err != nil {
			r.log.Error("stage step", "dialog", d.Name(), "err", err)
			return []chat.Message{e.reply(r.ev, r.L, "core.busy")}
		}
		err = b.Commit(ctx)
		if e.obs != nil {
			e.obs.Step(d.Name(), e.clk.Now().Sub(start), err)
		}
		switch {
		case err == nil:
			if len(b.Outbox) > 0 {
				e.ob.Wake()
			}
			if armsTimer(res.Effects) {
				select {
				case e.timers <- struct{}{}:
				default:
				}
			}
			e.countAlerts(d.Name(), res.Messages)
			e.afterStep(ctx, r, snap)
			if pass {
				// The same text, as a new event (the first is marked done), for whoever
				// listens next now that this conversation left the stack.
				passes++
				r.log.Debug("typed text passed on", "dialog", d.Name())
				r.ev.ID += "/pass"
				r.ev.Text = text
				r.route = false
				attempt = -1
				continue
			}
			return nil
		case errors.Is(err, store.ErrConflict):
			if e.obs != nil {
				e.obs.Conflict()
			}
			// A short random pause keeps two processes from colliding again and again.
			// Real time on purpose: this is contention, not the school's clock.
			pause := time.Duration(rand.Int64N(int64(attempt+1) * int64(2*time.Millisecond)))
			select {
			case <-ctx.Done():
				return []chat.Message{e.reply(r.ev, r.L, "core.busy")}
			case <-time.After(pause):
			}
			continue
		case errors.Is(err, store.ErrDuplicate):
			return nil
		default:
			r.log.Error("commit step", "dialog", d.Name(), "err", err)
			return []chat.Message{e.reply(r.ev, r.L, "core.store_down")}
		}
	}
	r.log.Warn("step gave up after concurrent updates", "attempts", MaxAttempts)
	return []chat.Message{e.reply(r.ev, r.L, "core.busy")}
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func armsTimer(effects []dialog.Effect) bool {
	for _, ef := range effects {
		if _, ok := ef.(dialog.SetTimer); ok {
			return true
		}
	}
	return false
}

// known drops conversations of dialogs this Engine does not run (a dialog removed from
// the deployment), so typed text never goes to a conversation nobody can answer.
func (e *Engine) known(stack []dialog.Open) []dialog.Open {
	out := stack[:0:0]
	for _, o := range stack {
		if e.dialogs[o.Dialog] != nil {
			out = append(out, o)
		}
	}
	return out
}

// askWhich keeps typed text that could be for more than one open conversation and asks
// the person which one, with a button per conversation. retry means the person's state
// changed meanwhile and the step should decide again.
func (e *Engine) askWhich(ctx context.Context, r stepRequest, snap store.Snapshot, cands []dialog.Open) (replies []chat.Message, retry bool) {
	now := e.clk.Now()
	b := e.st.NewBatch(r.person.ID, r.ev.ID, snap.Version())
	// Text typed before the person answered an earlier "which one?" is kept with it.
	pending := r.ev.Text
	if prev := snap.Person[pendingField]; prev != "" {
		pending = prev + "\n" + pending
	}
	b.SetFields(e.st.PersonKey(r.person.ID), map[string]string{pendingField: pending})
	var topics []string
	var choices []chat.Choice
	for _, o := range cands {
		label := o.Topic
		if label == "" {
			label = r.L.T("core.topic_unnamed")
		}
		topics = append(topics, label)
		choices = append(choices, chat.Choice{Action: routeAction + ".route", Value: o.Dialog, Label: label})
	}
	msg := chat.Message{
		To:      chat.Target{Kind: chat.ToPerson, Person: r.person.ID},
		Text:    r.L.T("core.which", "Text", chat.Literal(shorten(r.ev.Text, 80)), "Topics", strings.Join(topics, r.L.T("core.or"))),
		Choices: choices,
	}
	if err := e.queue(b, r, msg, e.ob.NewID(now, eventHash(r.ev.ID), 0)); err != nil {
		r.log.Error("queue question which conversation", "err", err)
		return []chat.Message{e.reply(r.ev, r.L, "core.busy")}, false
	}
	switch err := b.Commit(ctx); {
	case err == nil:
		e.ob.Wake()
		return nil, false
	case errors.Is(err, store.ErrDuplicate):
		return nil, false
	case errors.Is(err, store.ErrConflict):
		// Something changed meanwhile (a conversation ended): decide again.
		return nil, true
	default:
		r.log.Error("commit question which conversation", "err", err)
		return []chat.Message{e.reply(r.ev, r.L, "core.store_down")}, false
	}
}

func shorten(s string, n int) string {
	rs := []rune(strings.TrimSpace(s))
	if len(rs) <= n {
		return string(rs)
	}
	return string(rs[:n-1]) + "…"
}

var errPanic = errors.New("dialog panicked")

// safeStep runs the dialog's step and turns a panic into errPanic, logged with the
// dialog and the event, so one bad input cannot take the process down.
func (e *Engine) safeStep(d dialog.Dialog, in dialog.Input, r stepRequest) (res dialog.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			r.log.Error("dialog step panicked", "dialog", d.Name(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			res, err = dialog.Result{}, errPanic
		}
	}()
	return d.Step(in)
}

// afterPanic marks the event handled, so a platform retry or the next scheduler tick
// does not replay the input that crashed the step, counts it and apologises.
func (e *Engine) afterPanic(ctx context.Context, r stepRequest, d dialog.Dialog) []chat.Message {
	if po, ok := e.obs.(PanicObserver); ok {
		po.Panic(d.Name())
	}
	if r.ev.ID != "" {
		b := e.st.NewBatch(r.person.ID, r.ev.ID, store.AnyVersion)
		if r.timer != nil {
			b.Unschedule(e.st.Key(timerSet), r.timer.ID, e.st.Key(timerBodyKey(r.timer.ID)))
		}
		if err := b.Commit(ctx); err != nil && !errors.Is(err, store.ErrDuplicate) {
			r.log.Error("mark crashed event handled", "err", err)
		}
	}
	return []chat.Message{e.reply(r.ev, r.L, "core.busy")}
}

func (e *Engine) input(r stepRequest, class *config.Class, snap store.Snapshot, d dialog.Dialog) dialog.Input {
	loc := time.Local
	if class != nil {
		loc = class.Location
	} else if l, err := time.LoadLocation(e.school.Timezone); err == nil {
		loc = l
	}
	now := e.clk.Now().In(loc)
	in := dialog.Input{
		Kind: r.kind, Now: now, Today: config.DateOf(now), School: e.school, Person: r.person,
		Class: class, L: r.L, Caps: e.capsFor(r.person, r.ev.Platform), Job: r.job, Event: r.ev.ID,
		LocalizerFor: e.localizerFor, Reachable: e.reachable, CapsOf: e.capsOf,
		Periods: r.periods,
		Text:    r.ev.Text, Command: strings.ToLower(r.ev.Command), Args: r.args,
		Action: r.ev.Action, Value: r.ev.Value, Fields: r.ev.Fields,
		Thread: r.ev.ThreadKey, Channel: !r.ev.DM && r.ev.ThreadKey == "" && r.ev.Mention,
		Profile: snap.Person, ClassData: snap.Class,
	}
	if r.timer != nil {
		in.Payload, in.Timer = r.timer.Payload, r.timer.Key
	}
	if e.alerts != nil {
		in.Alerts = func(text string) []string { return e.alerts(e.school, text) }
	}
	if s, ok := snap.Person["d:"+d.Name()]; ok {
		in.State = []byte(s)
	}
	return in
}

// capsOf is what the platform that reaches person id first can show.
func (e *Engine) capsOf(id string) chat.Capabilities {
	if p, ok := e.school.Person(id); ok {
		return e.capsFor(p, "")
	}
	return chat.Capabilities{}
}

// reachable reports whether a connected platform has an address for person id.
func (e *Engine) reachable(id string) bool {
	p, ok := e.school.Person(id)
	if !ok {
		return false
	}
	for _, ad := range e.adapters {
		if _, ok := e.personAddress(p, ad.Platform()); ok && !refuses(ad, p.ID) {
			return true
		}
	}
	return false
}

// Refuser is an adapter that knows it cannot reach some roster people although they
// have an address on its platform (the terminal simulating someone without an id).
type Refuser interface {
	Refuses(person string) bool
}

func refuses(ad chat.Adapter, person string) bool {
	r, ok := ad.(Refuser)
	return ok && r.Refuses(person)
}

func (e *Engine) localizerFor(p *config.Person) *i18n.Localizer {
	return e.cat.For(e.localeOf(p))
}

// stage turns a step's result into the writes of one batch.
func (e *Engine) stage(b *store.Batch, r stepRequest, d dialog.Dialog, snap store.Snapshot, stack []dialog.Open,
	sys map[string]string, res dialog.Result, now time.Time, class *config.Class) error {
	own := sys
	switch {
	case res.Clear:
		own["d:"+d.Name()] = ""
	case res.State != nil:
		own["d:"+d.Name()] = string(res.State)
	}
	asked := false
	for _, m := range res.Messages {
		if m.To.Kind == chat.ToPerson && m.To.Person == r.person.ID {
			asked = true
		}
	}
	next := restack(stack, d.Name(), res, asked, now)
	if !sameStack(stack, next) || snap.Person[focusField] != "" {
		own[focusField] = ""
		own[stackField] = ""
		own[store.ListenField] = ""
		if len(next) > 0 {
			doc, err := json.Marshal(next)
			if err != nil {
				return fmt.Errorf("encode conversation stack: %w", err)
			}
			own[stackField] = string(doc)
			var keys []string
			for _, o := range next {
				for _, ref := range o.Refs {
					k, err := e.sharedKey(ref)
					if err != nil {
						return fmt.Errorf("dialog %s listens on %s: %w", d.Name(), ref, err)
					}
					keys = append(keys, k)
				}
			}
			own[store.ListenField] = strings.Join(keys, " ")
		}
	}
	for _, ef := range res.Effects {
		if sp, ok := ef.(dialog.SetProfile); ok && sp.Person == r.person.ID {
			for k, v := range sp.Fields {
				own[k] = v
			}
		}
	}
	if len(own) > 0 {
		b.SetFields(e.st.PersonKey(r.person.ID), own)
	}
	e.mirrorLang(b, r.person.ID, own, snap.Person)
	for _, ef := range res.Effects {
		if err := e.applyEffect(b, r, d, ef, now, class); err != nil {
			return err
		}
	}
	src := eventHash(r.ev.ID)
	for i, m := range res.Messages {
		if err := e.queue(b, r, m, e.ob.NewID(now, src, i)); err != nil {
			return err
		}
	}
	return e.queueHomes(b, res.Effects, now, src, len(res.Messages))
}

func sameStack(a, b []dialog.Open) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Dialog != y.Dialog || x.Topic != y.Topic || !x.Asked.Equal(y.Asked) || len(x.Refs) != len(y.Refs) {
			return false
		}
		for j := range x.Refs {
			if x.Refs[j] != y.Refs[j] {
				return false
			}
		}
	}
	return true
}

// sharedKey is the key suffix of a shared record, from its kind's declaration.
func (e *Engine) sharedKey(ref dialog.Ref) (string, error) {
	k, ok := e.kinds.Get(ref.Kind)
	if !ok {
		return "", fmt.Errorf("undeclared record kind %q", ref.Kind)
	}
	if k.Shape != record.SharedRecord {
		return "", fmt.Errorf("record kind %s is not a shared record", k.Name)
	}
	if ref.ID == "" || strings.ContainsAny(ref.ID, " {}") {
		return "", fmt.Errorf("record %s: bad id %q", k.Name, ref.ID)
	}
	return k.KeyFor("", ref.ID), nil
}

func (e *Engine) retentionOf(k record.Kind) time.Duration {
	if k.Retention > 0 {
		return k.Retention
	}
	return e.st.Retention()
}

// ownerIndex lists, per person, the keys of records that hold their data, so export and
// erase find every kind from the declarations alone.
func (e *Engine) ownerIndex(b *store.Batch, person, key string, now time.Time) {
	if person == "" {
		return
	}
	ret := e.st.Retention()
	b.IndexTTL(e.st.Key("ri:"+person), key, float64(now.UnixMilli()), float64(now.Add(-ret).UnixMilli()), ret)
}

func (e *Engine) applyEffect(b *store.Batch, r stepRequest, d dialog.Dialog, ef dialog.Effect, now time.Time, class *config.Class) error {
	switch x := ef.(type) {
	case dialog.SetProfile:
		if x.Person != r.person.ID {
			// Another person's profile: set only these fields, and bump their version so
			// a step of theirs that read the profile before this commit is retried.
			k := e.st.PersonKey(x.Person)
			b.SetFields(k, x.Fields)
			b.Bump(k, e.st.Retention())
		}
	case dialog.SetClass:
		// The class hash is read by every member's step; a write bumps its version so
		// concurrent writers of class fields (two teachers) conflict instead of mixing.
		k := e.st.ClassKey(x.Class)
		b.SetFields(k, x.Fields)
		b.Bump(k, e.st.Retention())
	case dialog.Put:
		return e.put(b, x, now)
	case dialog.SetShared, dialog.SetMember, dialog.Count, dialog.AddToSet, dialog.RemoveFromSet:
		return e.writeShared(b, ef, now)
	case dialog.SetTimer:
		return e.arm(b, r, d, x, now, class)
	case dialog.CancelTimer:
		person := x.Person
		if person == "" {
			person = r.person.ID
		}
		name, err := e.timerDialog(d, x.Dialog)
		if err != nil {
			return err
		}
		id := timerID(name, person, x.Key)
		b.Unschedule(e.st.Key(timerSet), id, e.st.Key(timerBodyKey(id)))
	case dialog.Audit:
		entry := x.Entry
		if entry.Time.IsZero() {
			entry.Time = now
		}
		doc, err := json.Marshal(entry)
		if err != nil {
			return fmt.Errorf("encode audit entry: %w", err)
		}
		b.Log(e.st.AuditKey(entry.Time), string(doc), AuditMax)
	default:
		return fmt.Errorf("unknown effect %T", ef)
	}
	return nil
}

// put stores a document record as its kind declares.
func (e *Engine) put(b *store.Batch, x dialog.Put, now time.Time) error {
	k, ok := e.kinds.Get(x.Kind)
	if !ok {
		return fmt.Errorf("put: undeclared record kind %q", x.Kind)
	}
	if k.Shape != record.Document {
		return fmt.Errorf("put: record kind %s is not a document", k.Name)
	}
	if x.ID == "" || (strings.Contains(k.Key, "{owner}") && x.Owner == "") {
		return fmt.Errorf("put %s: id and owner are required", k.Name)
	}
	doc, err := json.Marshal(x.Doc)
	if err != nil {
		return fmt.Errorf("encode %s record: %w", k.Name, err)
	}
	ret := e.retentionOf(k)
	key := k.KeyFor(x.Owner, x.ID)
	b.PutJSONTTL(e.st.Key(key), doc, ret)
	if idx := k.IndexFor(x.Owner, x.Group); idx != "" {
		oldest := float64(now.Add(-ret).UnixMilli())
		if k.IndexUnit == record.Days {
			oldest = float64(config.DayNumber(config.DateOf(now.Add(-ret))))
		}
		b.IndexTTL(e.st.Key(idx), x.ID, x.Score, oldest, ret)
	}
	if k.Owners == record.OwnedByOwner {
		e.ownerIndex(b, x.Owner, key, now)
	}
	return nil
}

// writeShared applies a write to a shared record. Only SetShared bumps the version;
// member values, counters and set membership are independent of each other.
func (e *Engine) writeShared(b *store.Batch, ef dialog.Effect, now time.Time) error {
	var ref dialog.Ref
	switch x := ef.(type) {
	case dialog.SetShared:
		ref = x.Ref
	case dialog.SetMember:
		ref = x.Ref
	case dialog.Count:
		ref = x.Ref
	case dialog.AddToSet:
		ref = x.Ref
	case dialog.RemoveFromSet:
		ref = x.Ref
	}
	suffix, err := e.sharedKey(ref)
	if err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	kind, _ := e.kinds.Get(ref.Kind)
	ret := e.retentionOf(kind)
	key := e.st.Key(suffix)
	switch x := ef.(type) {
	case dialog.SetShared:
		fields := make(map[string]string, len(x.Fields))
		for f, v := range x.Fields {
			fields[fieldPrefix+f] = v
		}
		b.SetFieldsTTL(key, fields, ret)
		b.Bump(key, ret)
	case dialog.SetMember:
		if x.Member == "" {
			return fmt.Errorf("write %s: member is required", ref)
		}
		b.SetFieldsTTL(key, map[string]string{memberPrefix + x.Member: x.Value}, ret)
		if kind.Owners == record.OwnedByMembers && x.Value != "" {
			e.ownerIndex(b, x.Member, suffix, now)
		}
	case dialog.Count:
		b.Incr(key, countPrefix+x.Name, x.By)
		b.SetFieldsTTL(key, nil, ret)
	case dialog.AddToSet:
		if strings.Contains(x.Set, ":") || x.Set == "" {
			return fmt.Errorf("write %s: bad set name %q", ref, x.Set)
		}
		b.SetFieldsTTL(key, map[string]string{setPrefix + x.Set + ":" + x.Item: "1"}, ret)
	case dialog.RemoveFromSet:
		b.SetFieldsTTL(key, map[string]string{setPrefix + x.Set + ":" + x.Item: ""}, ret)
	}
	return nil
}

// AuditMax caps one day's audit list (a safety net; a school day writes far fewer).
const AuditMax = 100000

// DayNumber counts days since 1970-01-01 (for sorting dates in Redis).
func DayNumber(d config.Date) int64 { return config.DayNumber(d) }

// queue routes message m to a platform and adds it to the batch's outbox writes. A
// message to a class channel or thread goes to every connected platform where the
// class has a channel, one outbox entry each.
func (e *Engine) queue(b *store.Batch, r stepRequest, m chat.Message, id string) error {
	m.ID = id
	if m.Staff && m.To.Kind != chat.ToPerson {
		// A staff-only message may hold a pupil's words: never into a shared channel.
		return fmt.Errorf("staff message %s addressed to %s", id, m.To.Kind)
	}
	actor := m.To.Kind == chat.ToPerson && m.To.Person == r.person.ID && r.ev.Platform != ""
	if actor {
		if r.ev.ReplyRef != "" {
			m.ReplyRef = r.ev.ReplyRef
		}
		if !r.ev.DM {
			// The actor used a command in a shared channel: only they may see the answer.
			m.Ephemeral = true
		}
	}
	if m.To.Kind == chat.ToClass || m.To.Kind == chat.ToThread {
		c, ok := e.school.Class(m.To.Class)
		if !ok {
			return fmt.Errorf("message %s to unknown class %q", id, m.To.Class)
		}
		n := 0
		for _, ad := range e.adapters {
			// The logical thread stays in Message.To.Thread; the adapter maps it to
			// its platform's thread (Address.Thread is only for a known platform id).
			a, ok := e.classAddress(c, ad.Platform())
			if !ok {
				continue
			}
			cm := m
			cm.ID = id + "." + string(ad.Platform())
			if err := e.ob.Add(b, outbox.Entry{ID: cm.ID, Platform: ad.Platform(), Delivery: chat.Delivery{Message: cm, Address: a}}); err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			r.log.Warn("the class has no channel on a connected platform; class post not queued", "class", c.ID)
		}
		return nil
	}
	platform, addr, ok := e.route(m.To, actor, r.ev)
	if fwd, forwarded := e.forwardStaff(m, ok); forwarded {
		r.log.Warn("staff message forwarded: no connected platform reaches its recipient", "recipient", m.To.Person, "to", fwd.To.Person)
		m = fwd
		platform, addr, ok = e.route(m.To, false, r.ev)
	}
	if !ok {
		r.log.Warn("no connected platform reaches the recipient; message not queued",
			"to", m.To.Kind, "recipient", m.To.Person+m.To.Class)
		return nil
	}
	return e.ob.Add(b, outbox.Entry{ID: id, Platform: platform, Delivery: chat.Delivery{Message: m, Address: addr}})
}

// route picks the platform and address for a person: the actor's own platform for
// replies, otherwise the first connected platform that knows the recipient.
func (e *Engine) route(t chat.Target, actor bool, ev chat.Event) (chat.Platform, chat.Address, bool) {
	if t.Kind != chat.ToPerson {
		return "", chat.Address{}, false
	}
	p, ok := e.school.Person(t.Person)
	if !ok {
		return "", chat.Address{}, false
	}
	if actor {
		if a, ok := e.personAddress(p, ev.Platform); ok {
			return ev.Platform, a, true
		}
	}
	for _, ad := range e.adapters {
		if a, ok := e.personAddress(p, ad.Platform()); ok && !refuses(ad, p.ID) {
			return ad.Platform(), a, true
		}
	}
	return "", chat.Address{}, false
}

func (e *Engine) personAddress(p *config.Person, platform chat.Platform) (chat.Address, bool) {
	switch platform {
	case chat.Discord:
		u := e.dir.Account(p, platform)
		return chat.Address{Tenant: e.school.Discord.Guild, User: u}, u != ""
	case chat.Slack:
		u := e.dir.Account(p, platform)
		return chat.Address{Tenant: e.school.Slack.Team, User: u}, u != ""
	case chat.Shell:
		return chat.Address{User: p.ID}, true
	}
	return chat.Address{}, false
}

func (e *Engine) classAddress(c *config.Class, platform chat.Platform) (chat.Address, bool) {
	switch platform {
	case chat.Discord:
		return chat.Address{Tenant: e.school.Discord.Guild, Channel: c.Discord.Channel}, c.Discord.Channel != ""
	case chat.Slack:
		return chat.Address{Tenant: e.school.Slack.Team, Channel: c.Slack.Channel}, c.Slack.Channel != ""
	case chat.Shell:
		return chat.Address{Channel: c.ID}, true
	}
	return chat.Address{}, false
}

func (e *Engine) capsFor(p *config.Person, platform chat.Platform) chat.Capabilities {
	for _, a := range e.adapters {
		if a.Platform() == platform {
			return a.Capabilities()
		}
	}
	for _, a := range e.adapters {
		if _, ok := e.personAddress(p, a.Platform()); ok {
			return a.Capabilities()
		}
	}
	return chat.Capabilities{}
}

// reply builds an immediate reply to the actor of ev.
func (e *Engine) reply(ev chat.Event, L *i18n.Localizer, key string, kv ...any) chat.Message {
	return chat.Message{
		To:        chat.Target{Kind: chat.ToPerson},
		Text:      L.T(key, kv...),
		Ephemeral: true,
		ReplyRef:  ev.ReplyRef,
	}
}

func (e *Engine) roleNames(L *i18n.Localizer, roles []config.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = L.T("role." + string(r))
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	// "a mentor, care coordinator or administrator"
	return strings.Join(names[:len(names)-1], ", ") + L.T("core.or") + names[len(names)-1]
}

func (e *Engine) countAlerts(dialog string, msgs []chat.Message) {
	ao, ok := e.obs.(AlertObserver)
	if !ok {
		return
	}
	n := 0
	for _, m := range msgs {
		if m.Staff {
			n++
		}
	}
	if n > 0 {
		ao.Alert(dialog, n)
	}
}

func stripe(person string) uint8 {
	h := sha256.Sum256([]byte(person))
	return h[0]
}

func eventHash(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:5])
}

// RunJob runs a scheduled job for every member of class with the job's audience role.
// Each person's step carries an event id made of job, class, date and person, so a job
// that is run again (after a crash mid-way) skips everyone already done.
func (e *Engine) RunJob(ctx context.Context, d dialog.Dialog, job dialog.Job, class *config.Class, date config.Date) (int, error) {
	var people []*config.Person
	switch {
	case job.PerClass:
		people = []*config.Person{config.ClassActor(class)}
	case job.Person != "":
		p, ok := e.school.Person(job.Person)
		if !ok || !p.InClass(class.ID) {
			return 0, fmt.Errorf("job %s.%s: %q is not in class %s", d.Name(), job.Name, job.Person, class.ID)
		}
		people = []*config.Person{p}
	default:
		people = e.school.Members(class.ID, job.Audience)
	}
	e.refreshLangs(ctx)
	var (
		mu    sync.Mutex
		first error
		done  int
		wg    sync.WaitGroup
		sem   = make(chan struct{}, e.workers)
	)
	for _, p := range people {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			id := fmt.Sprintf("job:%s.%s:%s:%s:%s", d.Name(), job.Name, class.ID, date, p.ID)
			L := e.cat.For(e.localeOf(p))
			replies := e.step(ctx, stepRequest{
				ev: chat.Event{ID: id}, person: p, L: L, dialog: d, kind: job.Kind, job: job.Name,
				log: e.log.With("job", job.Name, "class", class.ID, "person", p.ID),
			})
			mu.Lock()
			defer mu.Unlock()
			if len(replies) > 0 && first == nil {
				first = fmt.Errorf("job %s for %s did not complete", job.Name, p.ID)
			}
			if len(replies) == 0 {
				done++
			}
		}()
	}
	wg.Wait()
	return done, first
}

// Unreachable records that a platform refused to reach a person and tells their mentor,
// once, privately. The outbox calls it.
func (e *Engine) Unreachable(ctx context.Context, ent outbox.Entry) {
	p, ok := e.dir.Person(ent.Platform, ent.Delivery.Address.User)
	if !ok {
		return
	}
	e.forwardRefused(ctx, ent)
	field := "unreachable:" + string(ent.Platform)
	snap, err := e.st.Load(ctx, "", p.ID, "")
	if err != nil {
		e.log.Warn("record unreachable", "person", p.ID, "err", err)
		return
	}
	if snap.Person[field] != "" {
		return
	}
	now := e.clk.Now()
	// One episode per day at most: two processes noticing the same refusal tell once.
	event := "unreach:" + string(ent.Platform) + ":" + p.ID + ":" + e.today(p).String()
	b := e.st.NewBatch(p.ID, event, store.AnyVersion)
	b.SetFields(e.st.PersonKey(p.ID), map[string]string{field: now.UTC().Format(time.RFC3339)})
	if m, ok := e.school.Person(p.Mentor); ok {
		L := e.cat.For(e.localeOf(m))
		msg := chat.Message{
			To:    chat.Target{Kind: chat.ToPerson, Person: m.ID},
			Text:  L.T("core.unreachable_mentor", "Name", chat.Literal(p.Name), "Platform", string(ent.Platform)),
			Staff: true,
		}
		r := stepRequest{ev: chat.Event{ID: event}, person: p, log: e.log}
		if err := e.queue(b, r, msg, e.ob.NewID(now, eventHash(event), 0)); err != nil {
			e.log.Warn("queue unreachable notice", "err", err)
		}
	}
	if err := b.Commit(ctx); err != nil && !errors.Is(err, store.ErrDuplicate) {
		e.log.Warn("record unreachable", "person", p.ID, "err", err)
		return
	}
	e.ob.Wake()
}
