package bot

import (
	"context"
	"errors"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/outbox"
	"github.com/kring-school/kring/bot/store"
)

// A person whose direct messages a platform refuses (Discord 50007) has the field
// unreachable:PLATFORM in their profile (the time it began) and probe:PLATFORM (the day
// of the last probe). While the first is set, a pupil's messages on that platform are
// held (dropped, the mentor having been told) except one probe a day; the episode ends
// when a probe goes through or the person uses Kring there, and the mentor is told
// again. Staff messages are always tried: they must reach someone.

func unreachField(p chat.Platform) string { return "unreachable:" + string(p) }
func probeField(p chat.Platform) string   { return "probe:" + string(p) }

// Gate implements the outbox's Gate: see outbox.Verdict.
func (e *Engine) Gate(ctx context.Context, ent outbox.Entry) outbox.Verdict {
	p, ok := e.school.ByPlatform(string(ent.Platform), ent.Delivery.Address.User)
	if !ok || !p.Has(config.Pupil) {
		return outbox.Send
	}
	key := e.st.PersonKey(p.ID)
	vals, err := e.st.Client().HMGet(ctx, key, unreachField(ent.Platform), probeField(ent.Platform)).Result()
	if err != nil {
		return outbox.Send // better one refused request than a lost check-in
	}
	flag, _ := vals[0].(string)
	if flag == "" {
		return outbox.Send
	}
	today := e.today(p).String()
	if last, _ := vals[1].(string); last == today {
		return outbox.Hold
	}
	// HSETNX-like race between processes is harmless: at worst two probes in a day.
	if err := e.st.Client().HSet(ctx, key, probeField(ent.Platform), today).Err(); err != nil {
		return outbox.Hold
	}
	return outbox.Probe
}

func (e *Engine) today(p *config.Person) config.Date {
	loc := time.Local
	if c, ok := e.school.Class(p.Class()); ok && c.Location != nil {
		loc = c.Location
	}
	return config.DateOf(e.clk.Now().In(loc))
}

// Reached implements the outbox's Reached: a probe went through, so the platform
// reaches the person again.
func (e *Engine) Reached(ctx context.Context, ent outbox.Entry) {
	p, ok := e.school.ByPlatform(string(ent.Platform), ent.Delivery.Address.User)
	if !ok {
		return
	}
	e.reachableAgain(ctx, p, ent.Platform)
}

// Unreached returns the people of list that no connected platform knows.
func (e *Engine) Unreached(list []*config.Person) []string {
	var out []string
	for _, p := range list {
		if !e.reachable(p.ID) {
			out = append(out, p.ID)
		}
	}
	return out
}

// reachableAgain ends an unreachable episode: the flag goes, and the mentor is told once.
func (e *Engine) reachableAgain(ctx context.Context, p *config.Person, platform chat.Platform) {
	now := e.clk.Now()
	event := "reach:" + string(platform) + ":" + p.ID + ":" + now.UTC().Format(time.RFC3339Nano)
	b := e.st.NewBatch(p.ID, event, store.AnyVersion)
	b.SetFields(e.st.PersonKey(p.ID), map[string]string{unreachField(platform): "", probeField(platform): ""})
	if m, ok := e.school.Person(p.Mentor); ok {
		L := e.cat.For(e.school.LocaleFor(m))
		msg := chat.Message{
			To:    chat.Target{Kind: chat.ToPerson, Person: m.ID},
			Text:  L.T("delivery.reachable_mentor", "Name", chat.Literal(p.Name), "Platform", string(platform)),
			Staff: true,
		}
		r := stepRequest{ev: chat.Event{ID: event}, person: p, log: e.log}
		if err := e.queue(b, r, msg, e.ob.NewID(now, eventHash(event), 0)); err != nil {
			e.log.Warn("queue reachable notice", "err", err)
		}
	}
	if err := b.Commit(ctx); err != nil && !errors.Is(err, store.ErrDuplicate) {
		e.log.Warn("record reachable", "person", p.ID, "err", err)
		return
	}
	e.log.Info("person reachable again", "person", p.ID, "platform", platform)
	e.ob.Wake()
}

// afterStep ends an unreachable episode when the person used Kring on that platform.
func (e *Engine) afterStep(ctx context.Context, r stepRequest, snap store.Snapshot) {
	if r.ev.Platform == "" || snap.Person[unreachField(r.ev.Platform)] == "" {
		return
	}
	e.reachableAgain(ctx, r.person, r.ev.Platform)
}

// NotifyAdmins queues a staff message with catalog key and arguments to every admin,
// once per event id (several processes may notice the same thing).
func (e *Engine) NotifyAdmins(ctx context.Context, event, key string, kv ...any) {
	now := e.clk.Now()
	for _, p := range e.school.People {
		if !p.Has(config.Admin) {
			continue
		}
		id := event + ":" + p.ID
		L := e.cat.For(e.school.LocaleFor(p))
		b := e.st.NewBatch(p.ID, id, store.AnyVersion)
		msg := chat.Message{To: chat.Target{Kind: chat.ToPerson, Person: p.ID}, Text: L.T(key, kv...), Staff: true}
		r := stepRequest{ev: chat.Event{ID: id}, person: p, log: e.log}
		if err := e.queue(b, r, msg, e.ob.NewID(now, eventHash(id), 0)); err != nil {
			e.log.Warn("queue admin notice", "err", err)
			continue
		}
		if len(b.Outbox) == 0 {
			e.log.Error("an admin cannot be reached on any connected platform", "admin", p.ID, "notice", key)
			continue
		}
		if err := b.Commit(ctx); err != nil && !errors.Is(err, store.ErrDuplicate) {
			e.log.Warn("queue admin notice", "admin", p.ID, "err", err)
		}
	}
	e.ob.Wake()
}

// nextInLine returns who gets a staff message its recipient cannot receive: the first
// reachable care contact, else the first reachable admin (never the recipient).
func (e *Engine) nextInLine(orig string) (*config.Person, bool) {
	for _, r := range []config.Role{config.Care, config.Admin} {
		for _, p := range e.school.People {
			if p.ID != orig && p.Has(r) && e.reachable(p.ID) {
				return p, true
			}
		}
	}
	return nil, false
}

// forwardStaff returns a staff message whose recipient no connected platform reaches
// (routed is false) readdressed to the next in line, with a line saying for whom it was.
func (e *Engine) forwardStaff(m chat.Message, routed bool) (chat.Message, bool) {
	if routed || !m.Staff || m.To.Kind != chat.ToPerson {
		return m, false
	}
	orig, ok := e.school.Person(m.To.Person)
	if !ok {
		return m, false
	}
	next, ok := e.nextInLine(orig.ID)
	if !ok {
		return m, false
	}
	L := e.cat.For(e.localeOf(next))
	m.Text = L.T("delivery.forwarded", "Name", chat.Literal(orig.Name)) + "\n\n" + m.Text
	m.To.Person = next.ID
	m.ReplyRef, m.Ephemeral = "", false
	return m, true
}

// forwardRefused queues a staff message the platform refused to deliver (the
// recipient closed their DMs) to the next in line, once per message.
func (e *Engine) forwardRefused(ctx context.Context, ent outbox.Entry) {
	m := ent.Delivery.Message
	if !m.Staff || m.To.Kind != chat.ToPerson || m.To.Person == "" {
		return
	}
	orig, ok := e.school.Person(m.To.Person)
	if !ok {
		return
	}
	next, ok := e.nextInLine(orig.ID)
	if !ok {
		e.log.Error("a staff message could not be delivered and nobody else can be reached", "recipient", orig.ID, "id", ent.ID)
		return
	}
	L := e.cat.For(e.localeOf(next))
	m.Text = L.T("delivery.forwarded_refused", "Name", chat.Literal(orig.Name), "Platform", string(ent.Platform)) + "\n\n" + m.Text
	m.To.Person = next.ID
	m.ReplyRef, m.Ephemeral = "", false
	event := "fwd:" + ent.ID
	b := e.st.NewBatch(next.ID, event, store.AnyVersion)
	r := stepRequest{ev: chat.Event{ID: event}, person: next, log: e.log}
	if err := e.queue(b, r, m, e.ob.NewID(e.clk.Now(), eventHash(event), 0)); err != nil {
		e.log.Warn("forward refused staff message", "err", err)
		return
	}
	if err := b.Commit(ctx); err != nil && !errors.Is(err, store.ErrDuplicate) {
		e.log.Warn("forward refused staff message", "err", err)
		return
	}
	e.log.Warn("staff message refused by the platform; forwarded", "recipient", orig.ID, "to", next.ID)
	e.ob.Wake()
}
