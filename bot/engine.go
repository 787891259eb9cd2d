// Package bot is Kring's dialogue core. The Engine takes normalised events from the
// adapters, resolves the platform user to a roster person, checks the role for the
// command, loads the person's state from Redis in one round trip, runs the dialog step,
// and commits the new state, the effects and the outgoing messages in one atomic write
// (a second round trip). Scheduled jobs enter through the same path.
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
	"strings"
	"sync"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/i18n"
	"github.com/kring-school/kring/bot/outbox"
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
	// background counts home-page refreshes still running, so shutdown can wait for them.
	background sync.WaitGroup
}

// Wait blocks until the Engine's background work (home-page refreshes) has finished.
// Call it after the adapters stopped, before closing the store.
func (e *Engine) Wait() { e.background.Wait() }

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
		commands: map[string]commandRef{}, adapters: o.Adapters, dir: o.Directory, onboard: o.Onboarding,
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
	for _, d := range o.Dialogs {
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
	return e, nil
}

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
	L := e.cat.For(e.school.LocaleFor(p))
	if n := len([]rune(ev.Text)); n > e.maxText {
		return []chat.Message{e.reply(ev, L, "core.too_long", "Len", n, "Max", e.maxText)}
	}
	req := stepRequest{ev: ev, person: p, L: L, log: log}
	switch ev.Kind {
	case chat.KindCommand:
		ref, ok := e.commands[strings.ToLower(ev.Command)]
		if !ok {
			return []chat.Message{e.reply(ev, L, "core.unknown_command", "Command", chat.Literal(ev.Command))}
		}
		if !ref.spec.Allowed(p) {
			return []chat.Message{e.reply(ev, L, "core.not_allowed", "Command", ref.spec.Name, "Roles", e.roleNames(L, ref.spec.Roles))}
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
		d, ok := e.dialogs[name]
		if !ok {
			log.Warn("action for an unknown dialog", "action", ev.Action)
			return []chat.Message{e.reply(ev, L, "core.no_dialog")}
		}
		req.dialog = d
		req.kind = dialog.Choice
		if ev.Kind == chat.KindForm {
			req.kind = dialog.Form
		}
	case chat.KindMessage:
		if !ev.DM {
			// Kring does not read class-channel chatter; dialogs talk in DMs and threads.
			return nil
		}
		req.kind = dialog.Text
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
}

// step loads, decides and commits, retrying on a concurrent commit of the same person.
// Its replies are only for failures; everything else goes through the outbox.
func (e *Engine) step(ctx context.Context, r stepRequest) []chat.Message {
	class, _ := e.school.Class(r.person.Class())
	classID := ""
	if class != nil {
		classID = class.ID
	}
	mu := &e.stripes[stripe(r.person.ID)]
	mu.Lock()
	defer mu.Unlock()
	for attempt := 0; attempt < MaxAttempts; attempt++ {
		start := e.clk.Now()
		snap, err := e.st.Load(ctx, r.ev.ID, r.person.ID, classID)
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
		d := r.dialog
		if d == nil {
			d = e.dialogs[snap.Person["focus"]]
			if d == nil {
				return []chat.Message{e.reply(r.ev, r.L, "core.no_dialog")}
			}
		}
		in := e.input(r, class, snap, d)
		res, err := d.Step(in)
		if err != nil {
			r.log.Error("dialog step failed", "dialog", d.Name(), "err", err)
			if e.obs != nil {
				e.obs.Step(d.Name(), e.clk.Now().Sub(start), err)
			}
			return []chat.Message{e.reply(r.ev, r.L, "core.busy")}
		}
		b := e.st.NewBatch(r.person.ID, r.ev.ID, snap.Version())
		if err := e.stage(b, r, d, snap, res, in.Now); err != nil {
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
			e.countAlerts(d.Name(), res.Messages)
			e.afterCommit(ctx, res.Effects)
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
		Class: class, L: r.L, Caps: e.capsFor(r.person, r.ev.Platform), Job: r.job,
		LocalizerFor: e.localizerFor,
		Text:         r.ev.Text, Command: strings.ToLower(r.ev.Command), Args: r.args,
		Action: r.ev.Action, Value: r.ev.Value, Fields: r.ev.Fields,
		Profile: snap.Person, ClassData: snap.Class,
	}
	if s, ok := snap.Person["d:"+d.Name()]; ok {
		in.State = []byte(s)
	}
	return in
}

func (e *Engine) localizerFor(p *config.Person) *i18n.Localizer {
	return e.cat.For(e.school.LocaleFor(p))
}

// stage turns a step's result into the writes of one batch.
func (e *Engine) stage(b *store.Batch, r stepRequest, d dialog.Dialog, snap store.Snapshot, res dialog.Result, now time.Time) error {
	own := map[string]string{}
	switch {
	case res.Clear:
		own["d:"+d.Name()] = ""
	case res.State != nil:
		own["d:"+d.Name()] = string(res.State)
	}
	if res.Listen {
		own["focus"] = d.Name()
	} else if snap.Person["focus"] == d.Name() {
		own["focus"] = ""
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
	for _, ef := range res.Effects {
		if err := e.applyEffect(b, r, ef, now); err != nil {
			return err
		}
	}
	src := eventHash(r.ev.ID)
	for i, m := range res.Messages {
		if err := e.queue(b, r, m, e.ob.NewID(now, src, i)); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) applyEffect(b *store.Batch, r stepRequest, ef dialog.Effect, now time.Time) error {
	ret := e.st.Retention()
	switch x := ef.(type) {
	case dialog.SetProfile:
		if x.Person != r.person.ID {
			b.SetFields(e.st.PersonKey(x.Person), x.Fields)
		}
	case dialog.SetClass:
		b.SetFields(e.st.ClassKey(x.Class), x.Fields)
	case dialog.SaveCheckIn:
		doc, err := json.Marshal(x.Record)
		if err != nil {
			return fmt.Errorf("encode check-in: %w", err)
		}
		d, err := config.ParseDate(x.Record.Date)
		if err != nil {
			return fmt.Errorf("check-in date: %w", err)
		}
		b.PutJSON(e.st.Key("ci:"+x.Record.Person+":"+x.Record.Date), doc)
		oldest := config.DateOf(now.Add(-ret))
		b.Index(e.st.Key("cix:"+x.Record.Person), x.Record.Date, float64(DayNumber(d)), float64(DayNumber(oldest)))
	case dialog.SaveHelp:
		doc, err := json.Marshal(x.Request)
		if err != nil {
			return fmt.Errorf("encode help request: %w", err)
		}
		b.PutJSON(e.st.Key("h:"+x.Request.ID), doc)
		created := float64(x.Request.Created.UnixMilli())
		b.Index(e.st.Key("hq:"+x.Request.Class), x.Request.ID, created, float64(now.Add(-ret).UnixMilli()))
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

// AuditMax caps one day's audit list (a safety net; a school day writes far fewer).
const AuditMax = 100000

// DayNumber counts days since 1970-01-01 (for sorting dates in Redis).
func DayNumber(d config.Date) int64 {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// queue routes message m to a platform and adds it to the batch's outbox writes.
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
	platform, addr, ok := e.route(m.To, actor, r.ev)
	if !ok {
		r.log.Warn("no connected platform reaches the recipient; message not queued",
			"to", m.To.Kind, "recipient", m.To.Person+m.To.Class)
		return nil
	}
	return e.ob.Add(b, outbox.Entry{ID: id, Platform: platform, Delivery: chat.Delivery{Message: m, Address: addr}})
}

// route picks the platform and address for a target: the actor's own platform for
// replies, otherwise the first connected platform that knows the recipient.
func (e *Engine) route(t chat.Target, actor bool, ev chat.Event) (chat.Platform, chat.Address, bool) {
	switch t.Kind {
	case chat.ToPerson:
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
			if a, ok := e.personAddress(p, ad.Platform()); ok {
				return ad.Platform(), a, true
			}
		}
	case chat.ToClass, chat.ToThread:
		c, ok := e.school.Class(t.Class)
		if !ok {
			return "", chat.Address{}, false
		}
		for _, ad := range e.adapters {
			// The logical thread stays in Message.To.Thread; the adapter maps it to
			// its platform's thread (Address.Thread is only for a known platform id).
			if a, ok := e.classAddress(c, ad.Platform()); ok {
				return ad.Platform(), a, true
			}
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
	return strings.Join(names, L.T("core.or"))
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
	people := e.school.Members(class.ID, job.Audience)
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
			L := e.cat.For(e.school.LocaleFor(p))
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
	b := e.st.NewBatch(p.ID, "unreach:"+string(ent.Platform)+":"+p.ID, store.AnyVersion)
	b.SetFields(e.st.PersonKey(p.ID), map[string]string{field: now.UTC().Format(time.RFC3339)})
	if m, ok := e.school.Person(p.Mentor); ok {
		L := e.cat.For(e.school.LocaleFor(m))
		msg := chat.Message{
			To:    chat.Target{Kind: chat.ToPerson, Person: m.ID},
			Text:  L.T("core.unreachable_mentor", "Name", chat.Literal(p.Name), "Platform", string(ent.Platform)),
			Staff: true,
		}
		r := stepRequest{ev: chat.Event{ID: "unreach:" + p.ID}, person: p, log: e.log}
		if err := e.queue(b, r, msg, e.ob.NewID(now, eventHash("unreach:"+p.ID), 0)); err != nil {
			e.log.Warn("queue unreachable notice", "err", err)
		}
	}
	if err := b.Commit(ctx); err != nil && !errors.Is(err, store.ErrDuplicate) {
		e.log.Warn("record unreachable", "person", p.ID, "err", err)
		return
	}
	e.ob.Wake()
}
