package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/store"
	"github.com/redis/go-redis/v9"
)

// Timers live in Redis beside the outbox:
//
//	tm        zset  timer id -> due time (ms); a claimed timer is pushed one lease ahead
//	tb:ID     hash  the timer: dialog (d), person (p), key (k), payload (pl), due (due),
//	                arming (arm); kept until a week after it was due
//
// A timer id is DIALOG|PERSON|KEY, so arming a key again replaces the earlier timer.
// Firing runs the dialog's step for the person with Kind Wake; the step's commit removes
// the timer in the same atomic write, so a timer fires once even with many processes and
// across restarts (a process that dies mid-step leaves the timer to fire after the lease).
const (
	timerSet = "tm"
	// TimerLease is how long a claimed timer stays with one process.
	TimerLease = 2 * time.Minute
	timerKeep  = 7 * 24 * time.Hour
)

func timerID(dialogName, person, key string) string {
	return dialogName + "|" + person + "|" + key
}

func timerBodyKey(id string) string { return "tb:" + id }

// Timer is one armed timer as claimed for firing.
type Timer struct {
	ID      string
	Dialog  string
	Person  string
	Key     string
	Payload string
	Due     time.Time
	Arm     string
}

// current reports whether the timer's body still is the arming that was claimed.
func (t *Timer) current(body map[string]string) bool {
	return len(body) > 0 && body["arm"] == t.Arm
}

// arm stages a SetTimer effect.
func (e *Engine) arm(b *store.Batch, r stepRequest, d dialog.Dialog, w dialog.SetTimer, now time.Time, class *config.Class) error {
	person := w.Person
	if person == "" {
		person = r.person.ID
	}
	if w.Key == "" || strings.Contains(w.Key, "|") {
		return fmt.Errorf("wake: bad key %q", w.Key)
	}
	target := class
	if cid, ok := config.IsClassActor(person); ok {
		c, ok := e.school.Class(cid)
		if !ok {
			return fmt.Errorf("wake: unknown class %q", cid)
		}
		target = c
	} else if p, ok := e.school.Person(person); ok {
		if c, ok := e.school.Class(p.Class()); ok {
			target = c
		}
	} else {
		return fmt.Errorf("wake: unknown person %q", person)
	}
	due := w.At
	if due.IsZero() {
		switch {
		case w.SchoolTime && target != nil:
			due = target.AddSchoolTime(now, w.After)
		default:
			due = now.Add(w.After)
		}
	}
	id := timerID(d.Name(), person, w.Key)
	body := e.st.Key(timerBodyKey(id))
	b.Del(body)
	b.SetFieldsTTL(body, map[string]string{
		"d": d.Name(), "p": person, "k": w.Key, "pl": w.Payload,
		"due": strconv.FormatInt(due.UnixMilli(), 10),
		// Unique per arming: the event that armed it and the due time.
		"arm": eventHash(r.ev.ID) + "." + strconv.FormatInt(due.UnixMilli(), 36),
	}, due.Sub(now)+timerKeep)
	b.Schedule(e.st.Key(timerSet), id, due)
	return nil
}

// claimTimers takes up to ARGV[3] timers due at ARGV[1], pushing each one lease ahead
// (ARGV[2]) so no other process fires it meanwhile, and returns id and body pairs. A
// timer whose body is gone (cancelled) is dropped.
var claimTimers = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local body = redis.call('HGETALL', ARGV[4] .. id)
  if #body == 0 then
    redis.call('ZREM', KEYS[1], id)
  else
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    out[#out + 1] = id
    out[#out + 1] = body
  end
end
return out`)

// FireDue fires up to n timers due now and reports how many it fired.
func (e *Engine) FireDue(ctx context.Context, n int) (int, error) {
	now := e.clk.Now()
	res, err := claimTimers.Run(ctx, e.st.Client(), []string{e.st.Key(timerSet)},
		now.UnixMilli(), now.Add(TimerLease).UnixMilli(), n, e.st.Key("tb:")).Slice()
	if err != nil {
		return 0, fmt.Errorf("claim timers: %w", err)
	}
	fired := 0
	var errs []error
	for i := 0; i+1 < len(res); i += 2 {
		id, _ := res[i].(string)
		flat, _ := res[i+1].([]any)
		body := map[string]string{}
		for j := 0; j+1 < len(flat); j += 2 {
			f, _ := flat[j].(string)
			v, _ := flat[j+1].(string)
			body[f] = v
		}
		due, _ := strconv.ParseInt(body["due"], 10, 64)
		t := Timer{ID: id, Dialog: body["d"], Person: body["p"], Key: body["k"], Payload: body["pl"],
			Due: time.UnixMilli(due), Arm: body["arm"]}
		if err := e.Fire(ctx, t); err != nil {
			errs = append(errs, err)
			continue
		}
		fired++
	}
	return fired, errors.Join(errs...)
}

// Fire runs the step a timer asks for. A timer for a dialog or person that no longer
// exists is removed with a warning.
func (e *Engine) Fire(ctx context.Context, t Timer) error {
	log := e.log.With("timer", t.ID, "dialog", t.Dialog, "person", t.Person)
	d := e.dialogs[t.Dialog]
	var p *config.Person
	if cid, ok := config.IsClassActor(t.Person); ok {
		if c, ok := e.school.Class(cid); ok {
			p = config.ClassActor(c)
		}
	} else if x, ok := e.school.Person(t.Person); ok {
		p = x
	}
	if d == nil || p == nil {
		log.Warn("timer for a dialog or person that is gone; dropped")
		b := e.st.NewBatch(t.Person, "", store.AnyVersion)
		b.Unschedule(e.st.Key(timerSet), t.ID, e.st.Key(timerBodyKey(t.ID)))
		return b.Commit(ctx)
	}
	id := "tm:" + t.ID + ":" + t.Arm
	replies := e.step(ctx, stepRequest{
		ev: chat.Event{ID: id}, person: p, L: e.cat.For(e.localeOf(p)), dialog: d,
		kind: dialog.Wake, timer: &t, log: log,
	})
	if len(replies) > 0 {
		// It stays claimed for the lease and fires again after it.
		return fmt.Errorf("timer %s did not complete", t.ID)
	}
	return nil
}

// NextTimer returns when the earliest timer is due (zero when there is none).
func (e *Engine) NextTimer(ctx context.Context) (time.Time, error) {
	z, err := e.st.Client().ZRangeWithScores(ctx, e.st.Key(timerSet), 0, 0).Result()
	if err != nil {
		return time.Time{}, fmt.Errorf("next timer: %w", err)
	}
	if len(z) == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(int64(z[0].Score)), nil
}
