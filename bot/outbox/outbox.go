// Package outbox delivers queued messages through the adapters. Messages are queued in
// Redis in the same atomic commit as the dialog step that produced them (a sorted set
// of ids scored by due time, plus one hash per message), so a message is never lost
// between deciding and sending. Any number of Kring processes deliver from one outbox:
// a Lua script claims due messages by pushing their due time one lease into the future,
// so each message is in one process's hands at a time. Failures are retried with
// backoff, honouring the platform's Retry-After; a message is acknowledged (deleted)
// only after the platform accepted it.
//
// Each claim writes a token into the message's hash. Before sending, and every third of
// a lease while a send is in progress, the deliverer checks that the token is still its
// own and pushes the lease on; a send that is slower than the lease therefore keeps its
// claim, and a process whose claim was taken over (it stalled longer than a lease) does
// not send. When the lease can no longer be extended the send is cancelled.
//
// Delivery is at-least-once in one narrow case: the platform accepted a message but the
// acknowledgement never reached Redis (the process died, or Redis failed in between);
// the message is sent again when its lease ends. Adapters pass the message id to the
// platform where it deduplicates (Discord's enforce_nonce); see docs/reliability.md.
//
// A platform that refuses all sending for a while (*chat.PausedError: a ban, a revoked
// token) holds every message for it without counting an attempt; nothing is buried for
// it. A permanent failure is buried at once and releases the recipient's next messages.
// Home-page refreshes (chat.Message.Home) are harmless to repeat.
package outbox

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/store"
	"github.com/redis/go-redis/v9"
)

// Entry is one queued message with the platform that delivers it.
type Entry struct {
	ID       string        `json:"-"`
	Platform chat.Platform `json:"platform"`
	Delivery chat.Delivery `json:"delivery"`
}

// Outbox is the queue in Redis.
type Outbox struct {
	st   *store.Store
	clk  clock.Clock
	wake chan struct{}
	seq  atomic.Uint64
	// owner and claims make claim tokens unique across processes and claims.
	owner  string
	claims atomic.Uint64
	// Lease is how long a claimed message stays with one process before others may take it.
	Lease time.Duration
}

// New returns the outbox of st.
func New(st *store.Store, clk clock.Clock) *Outbox {
	return &Outbox{st: st, clk: clk, wake: make(chan struct{}, 1), Lease: 2 * time.Minute, owner: randomOwner()}
}

// randomOwner names this outbox in claim tokens; a random name needs no configuration
// and cannot collide between replicas that share a host name.
func randomOwner() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Add queues e in batch b, due now (or at its message's NotBefore, if later). The
// message goes out when b commits.
func (o *Outbox) Add(b *store.Batch, e Entry) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode outbox entry %s: %w", e.ID, err)
	}
	due := o.clk.Now()
	if nb := e.Delivery.Message.NotBefore; nb.After(due) {
		due = nb
	}
	b.Enqueue(e.ID, body, due)
	return nil
}

// Wake tells a waiting deliverer in this process that new messages are due.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

//go:embed claim.lua
var claimLua string

var claimScript = redis.NewScript(claimLua)

// Claimed is a message handed to this process for delivery.
type Claimed struct {
	Entry
	Attempt int
	// Token identifies this claim; Extend checks it.
	Token string
}

// Claim takes up to n due messages, oldest first, for one lease.
func (o *Outbox) Claim(ctx context.Context, n int) ([]Claimed, error) {
	now := o.clk.Now()
	token := fmt.Sprintf("%s.%d", o.owner, o.claims.Add(1))
	res, err := claimScript.Run(ctx, o.st.Client(), []string{o.st.Key("ob")},
		now.UnixMilli(), n, now.Add(o.Lease).UnixMilli(), o.st.Key("om:"), token).Slice()
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	out := make([]Claimed, 0, len(res)/3)
	for i := 0; i+2 < len(res); i += 3 {
		id, _ := res[i].(string)
		body, _ := res[i+1].(string)
		attempt, _ := res[i+2].(int64)
		var e Entry
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			// A body we cannot read will never deliver: park it for an operator.
			_ = o.Bury(ctx, id, "undecodable: "+err.Error())
			continue
		}
		e.ID = id
		e.Delivery.Attempt = int(attempt)
		out = append(out, Claimed{Entry: e, Attempt: int(attempt), Token: token})
	}
	return out, nil
}

// extendScript pushes a claim's lease on, if the claim is still the caller's.
var extendScript = redis.NewScript(`
if redis.call('HGET', KEYS[2], 'claim') == ARGV[1] then
  return redis.call('ZADD', KEYS[1], 'XX', 'CH', ARGV[2], ARGV[3]) + 1
end
return 0`)

// Extend checks that c is still claimed by this process and pushes its lease to a
// full lease from now. It reports false when another process took the message over
// (or it was finished meanwhile): then it must not be sent.
func (o *Outbox) Extend(ctx context.Context, c Claimed) (bool, error) {
	until := o.clk.Now().Add(o.Lease).UnixMilli()
	n, err := extendScript.Run(ctx, o.st.Client(), []string{o.st.Key("ob"), o.st.Key("om:" + c.ID)}, c.Token, until, c.ID).Int()
	if err != nil {
		return false, fmt.Errorf("extend lease of %s: %w", c.ID, err)
	}
	return n > 0, nil
}

// Ack removes a delivered message.
func (o *Outbox) Ack(ctx context.Context, id string) error {
	pipe := o.st.Client().TxPipeline()
	pipe.ZRem(ctx, o.st.Key("ob"), id)
	pipe.Del(ctx, o.st.Key("om:"+id))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("ack %s: %w", id, err)
	}
	return nil
}

// Retry makes a claimed message due again after d; the failed try counts.
func (o *Outbox) Retry(ctx context.Context, id string, d time.Duration) error {
	return o.retry(ctx, id, "", d)
}

// retryScript reschedules a message, unless another process has claimed it since.
var retryScript = redis.NewScript(`
if ARGV[3] == '' or redis.call('HGET', KEYS[2], 'claim') == ARGV[3] then
  redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[2])
end
return 1`)

func (o *Outbox) retry(ctx context.Context, id, token string, d time.Duration) error {
	due := o.clk.Now().Add(d).UnixMilli()
	keys := []string{o.st.Key("ob"), o.st.Key("om:" + id)}
	if err := retryScript.Run(ctx, o.st.Client(), keys, due, id, token).Err(); err != nil {
		return fmt.Errorf("retry %s: %w", id, err)
	}
	return nil
}

// releaseScript gives a message back untried, unless another process finished it
// meanwhile (then writing its hash again would leave an orphan without expiry) or,
// given a claim token, claimed it since.
var releaseScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 and (ARGV[3] == '' or redis.call('HGET', KEYS[2], 'claim') == ARGV[3]) then
  redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[2])
  redis.call('HINCRBY', KEYS[2], 'attempts', -1)
end
return 1`)

// buryScript parks a message in the dead-letter set, trimming entries whose bodies
// have expired, unless the message is gone already. The set itself expires one
// OutboxTTL after the last burial, like the last body in it.
var buryScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  redis.call('HSET', KEYS[2], 'reason', ARGV[4])
end
return 1`)

// Release gives a claimed message back untried, due after d: its claim does not count
// as an attempt (it waited behind another message, or this process lacks its platform).
func (o *Outbox) Release(ctx context.Context, id string, d time.Duration) error {
	return o.release(ctx, id, "", d)
}

func (o *Outbox) release(ctx context.Context, id, token string, d time.Duration) error {
	due := o.clk.Now().Add(d).UnixMilli()
	keys := []string{o.st.Key("ob"), o.st.Key("om:" + id)}
	if err := releaseScript.Run(ctx, o.st.Client(), keys, due, id, token).Err(); err != nil {
		return fmt.Errorf("release %s: %w", id, err)
	}
	return nil
}

// Bury moves a message that will never deliver to the dead-letter set, with the reason.
func (o *Outbox) Bury(ctx context.Context, id, reason string) error {
	now := o.clk.Now()
	keys := []string{o.st.Key("ob"), o.st.Key("om:" + id), o.st.Key("obdead")}
	// The bodies expire after OutboxTTL; so do their entries in the dead-letter set.
	oldest := now.Add(-store.OutboxTTL).UnixMilli()
	if err := buryScript.Run(ctx, o.st.Client(), keys, id, now.UnixMilli(), oldest, reason, store.OutboxTTL.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("bury %s: %w", id, err)
	}
	return nil
}

// Depth returns how many messages are queued (due or not) and how many were given up on.
func (o *Outbox) Depth(ctx context.Context) (queued, dead int64, err error) {
	pipe := o.st.Client().Pipeline()
	q := pipe.ZCard(ctx, o.st.Key("ob"))
	d := pipe.ZCard(ctx, o.st.Key("obdead"))
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, 0, fmt.Errorf("outbox depth: %w", err)
	}
	return q.Val(), d.Val(), nil
}

// Observer is told what delivery does (metrics hook it up). Methods must not block.
type Observer interface {
	Delivered(p chat.Platform, attempt int)
	Retried(p chat.Platform, throttled bool)
	Failed(p chat.Platform, reason string)
}

// Verdict is what a Gate says about a message to a person.
type Verdict int

// The verdicts of a Gate.
const (
	// Send sends the message as usual.
	Send Verdict = iota
	// Probe sends it as the one try of the day to a person the platform refused
	// before; Reached is called when it goes through.
	Probe
	// Hold does not send it: the platform refused this person and today's probe was
	// made. The message is dropped (the mentor was told when the refusal began).
	Hold
)

// Deliverer moves due messages from the outbox to the adapters.
type Deliverer struct {
	o        *Outbox
	adapters map[chat.Platform]chat.Adapter
	log      *slog.Logger
	// Unreachable is called when a platform refuses to reach a person (chat.ErrUnreachable).
	Unreachable func(ctx context.Context, e Entry)
	// Gate, if set, is asked before a message to a person is sent (see Verdict).
	Gate func(ctx context.Context, e Entry) Verdict
	// Reached is called when a Probe went through: the person can be reached again.
	Reached func(ctx context.Context, e Entry)
	// Observer, if set, sees every outcome.
	Observer Observer
	// Batch is how many messages one claim takes.
	Batch int
	// Workers is how many recipients are served at once.
	Workers int
	// Poll is how often the outbox is checked for messages queued by other processes or due retries.
	Poll time.Duration
	// MaxAttempts is how many tries a message gets before it is buried.
	MaxAttempts int
	// SendTimeout bounds one Send.
	SendTimeout time.Duration

	delivered atomic.Int64

	holdMu sync.Mutex
	// holds keeps a recipient's later messages behind one that has to wait, across
	// batches: recipient key -> until.
	holds map[string]time.Time
	// paused keeps every message of a platform that refuses all sending: platform -> until.
	paused map[chat.Platform]time.Time
}

// NewDeliverer returns a deliverer for the given adapters.
func NewDeliverer(o *Outbox, adapters []chat.Adapter, log *slog.Logger) *Deliverer {
	m := map[chat.Platform]chat.Adapter{}
	for _, a := range adapters {
		m[a.Platform()] = a
	}
	return &Deliverer{o: o, adapters: m, log: log, Batch: 64, Workers: 16, Poll: time.Second, MaxAttempts: 10,
		SendTimeout: time.Minute, holds: map[string]time.Time{}, paused: map[chat.Platform]time.Time{}}
}

// Delivered returns how many messages this deliverer delivered.
func (d *Deliverer) Delivered() int64 { return d.delivered.Load() }

// Run delivers until ctx is done. Messages in flight when ctx ends are finished or left
// in the outbox for the next process: none is lost.
func (d *Deliverer) Run(ctx context.Context) error {
	for {
		n, err := d.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("outbox delivery", "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.o.wake:
		case <-d.o.clk.After(d.Poll):
		}
	}
}

// DeliverDue delivers every message due now and returns how many it handled.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	total := 0
	for {
		claimed, err := d.o.Claim(ctx, d.Batch)
		if err != nil {
			return total, err
		}
		if len(claimed) == 0 {
			return total, nil
		}
		total += len(claimed)
		d.deliverBatch(ctx, claimed)
		if len(claimed) < d.Batch {
			return total, nil
		}
	}
}

// deliverBatch sends a claimed batch: one recipient's messages in order, recipients in
// parallel. When one message of a recipient has to wait, the later ones wait with it so
// the conversation never arrives out of order.
func (d *Deliverer) deliverBatch(ctx context.Context, claimed []Claimed) {
	var order []string
	groups := map[string][]Claimed{}
	for _, c := range claimed {
		k := recipient(c.Entry)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], c)
	}
	sem := make(chan struct{}, max(1, d.Workers))
	var wg sync.WaitGroup
	for _, k := range order {
		g := groups[k]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d.deliverGroup(ctx, k, g)
		}()
	}
	wg.Wait()
}

func recipient(e Entry) string {
	a := e.Delivery.Address
	return string(e.Platform) + "|" + a.User + "|" + a.Channel + "|" + e.Delivery.Message.To.Thread
}

func (d *Deliverer) deliverGroup(ctx context.Context, key string, g []Claimed) {
	now := d.o.clk.Now()
	d.holdMu.Lock()
	until, held := d.holds[key]
	if held && !until.After(now) {
		delete(d.holds, key)
		held = false
	}
	if p, ok := d.paused[g[0].Platform]; ok {
		if p.After(now) && (!held || p.After(until)) {
			until, held = p, true
		} else if !p.After(now) {
			delete(d.paused, g[0].Platform)
		}
	}
	d.holdMu.Unlock()
	if held {
		d.holdBack(ctx, g, until.Sub(now))
		return
	}
	k := d.keep(ctx, g)
	defer k.stop()
	for i, c := range g {
		k.at(i)
		wait, ok := d.deliverOne(ctx, k.ctx, c)
		if ok {
			continue
		}
		if wait > 0 {
			d.holdMu.Lock()
			d.holds[key] = now.Add(wait)
			d.holdMu.Unlock()
		}
		d.holdBack(ctx, g[i+1:], wait)
		return
	}
}

// holdBack releases messages untried so they wait behind an earlier one to the same
// recipient: the conversation never arrives out of order.
func (d *Deliverer) holdBack(ctx context.Context, g []Claimed, wait time.Duration) {
	for _, c := range g {
		if err := d.o.release(ctx, c.ID, c.Token, wait); err != nil {
			d.log.Warn("outbox hold back", "id", c.ID, "err", err)
		}
	}
}

// errLeaseLost cancels a send whose claim another process took over.
var errLeaseLost = errors.New("outbox lease lost to another process")

// keeper holds the leases of one recipient's claimed messages while they are sent one
// after the other: every third of a lease it extends the claims not yet finished. When
// the claim of the message being sent is lost (or cannot be checked for a whole lease)
// it cancels ctx, so the send does not race the process that took it over.
type keeper struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	mu     sync.Mutex
	from   int
	done   chan struct{}
	exited chan struct{}
}

func (d *Deliverer) keep(ctx context.Context, g []Claimed) *keeper {
	kctx, cancel := context.WithCancelCause(ctx)
	k := &keeper{ctx: kctx, cancel: cancel, done: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(k.exited)
		extended := d.o.clk.Now()
		for {
			select {
			case <-k.done:
				return
			case <-d.o.clk.After(d.o.Lease / 3):
			}
			k.mu.Lock()
			from := k.from
			k.mu.Unlock()
			for i := from; i < len(g); i++ {
				mine, err := d.o.Extend(ctx, g[i])
				switch {
				case err != nil && i == from && d.o.clk.Now().Sub(extended) >= d.o.Lease:
					// Redis has been away for a whole lease: another process may own it now.
					cancel(errLeaseLost)
					return
				case err == nil && !mine && i == from:
					cancel(errLeaseLost)
					return
				case err == nil && mine && i == from:
					extended = d.o.clk.Now()
				}
				// A later message whose claim was lost is skipped by its check before sending.
			}
		}
	}()
	return k
}

// at tells the keeper that g[i] is being sent now and those before it are settled.
func (k *keeper) at(i int) {
	k.mu.Lock()
	k.from = i
	k.mu.Unlock()
}

func (k *keeper) stop() {
	close(k.done)
	<-k.exited
	k.cancel(nil)
}

// deliverOne sends c and settles its fate. ok is false when it was rescheduled after wait.
// sendCtx is cancelled when the claim is lost; ctx is for the outbox's own writes.
func (d *Deliverer) deliverOne(ctx, sendCtx context.Context, c Claimed) (wait time.Duration, ok bool) {
	a, found := d.adapters[c.Platform]
	if !found {
		// The platform is not connected in this process: give it back, another may have it.
		wait = d.o.Lease
		if err := d.o.release(ctx, c.ID, c.Token, wait); err != nil {
			d.log.Warn("outbox requeue", "id", c.ID, "err", err)
		}
		return wait, false
	}
	// A claim that waited behind other messages may have been taken over meanwhile;
	// checking it also restarts the lease for the send.
	if mine, err := d.o.Extend(ctx, c); err != nil || !mine {
		if err != nil {
			d.log.Warn("outbox claim check", "id", c.ID, "err", err)
		} else {
			d.log.Info("outbox claim taken over by another process; not sending", "id", c.ID)
		}
		return 0, false
	}
	verdict := Send
	if d.Gate != nil && c.Delivery.Address.User != "" {
		verdict = d.Gate(ctx, c.Entry)
	}
	if verdict == Hold {
		d.log.Info("recipient refused this platform; held until they interact or the daily probe succeeds",
			"platform", c.Platform, "id", c.ID)
		if d.Observer != nil {
			d.Observer.Failed(c.Platform, "unreachable")
		}
		_ = d.o.Ack(ctx, c.ID)
		return 0, true
	}
	if sendCtx.Err() != nil {
		return 0, false
	}
	tctx, cancel := context.WithTimeout(sendCtx, d.SendTimeout)
	err := a.Send(tctx, c.Delivery)
	cancel()
	if err != nil && errors.Is(context.Cause(sendCtx), errLeaseLost) {
		err = errLeaseLost
	}
	if err == nil {
		if aerr := d.o.Ack(ctx, c.ID); aerr != nil {
			d.log.Warn("outbox ack", "id", c.ID, "err", aerr)
		}
		d.delivered.Add(1)
		if d.Observer != nil {
			d.Observer.Delivered(c.Platform, c.Attempt)
		}
		if verdict == Probe && d.Reached != nil {
			d.Reached(ctx, c.Entry)
		}
		return 0, true
	}
	if errors.Is(err, errLeaseLost) {
		d.log.Warn("outbox send cancelled: its claim was lost", "platform", c.Platform, "id", c.ID)
		return 0, false
	}
	if errors.Is(err, chat.ErrUnreachable) {
		d.log.Info("recipient unreachable", "platform", c.Platform, "id", c.ID)
		if d.Unreachable != nil {
			d.Unreachable(ctx, c.Entry)
		}
		if d.Observer != nil {
			d.Observer.Failed(c.Platform, "unreachable")
		}
		_ = d.o.Ack(ctx, c.ID)
		return 0, true
	}
	if ctx.Err() != nil {
		// Shutting down: leave the message for the next lease; it is not lost.
		return 0, false
	}
	var pe *chat.PausedError
	if errors.As(err, &pe) {
		// The platform refuses everything for now: keep the message (and everything
		// else for this platform) without counting the try.
		wait = max(pe.After, time.Second)
		d.holdMu.Lock()
		if until := d.o.clk.Now().Add(wait); until.After(d.paused[c.Platform]) {
			d.paused[c.Platform] = until
		}
		d.holdMu.Unlock()
		if rerr := d.o.release(ctx, c.ID, c.Token, wait); rerr != nil {
			d.log.Warn("outbox release", "id", c.ID, "err", rerr)
		}
		return wait, false
	}
	var re *chat.RetryError
	throttled := errors.As(err, &re)
	if !throttled && !errors.Is(err, context.DeadlineExceeded) {
		// A permanent failure will not change by trying again: give up at once, and let
		// the recipient's next messages go.
		d.log.Error("outbox message refused for good", "platform", c.Platform, "id", c.ID, "err", err)
		if d.Observer != nil {
			d.Observer.Failed(c.Platform, "permanent")
		}
		_ = d.o.Bury(ctx, c.ID, err.Error())
		return 0, true
	}
	if c.Attempt >= d.MaxAttempts {
		d.log.Error("outbox gave up", "platform", c.Platform, "id", c.ID, "attempts", c.Attempt, "err", err)
		if d.Observer != nil {
			d.Observer.Failed(c.Platform, "gave-up")
		}
		_ = d.o.Bury(ctx, c.ID, err.Error())
		return 0, true
	}
	wait = Backoff(c.Attempt)
	if throttled && re.After > 0 {
		wait = re.After
	}
	d.log.Info("outbox retry", "platform", c.Platform, "id", c.ID, "attempt", c.Attempt, "after", wait, "err", err)
	if d.Observer != nil {
		d.Observer.Retried(c.Platform, throttled)
	}
	if rerr := d.o.retry(ctx, c.ID, c.Token, wait); rerr != nil {
		d.log.Warn("outbox retry", "id", c.ID, "err", rerr)
	}
	return wait, false
}

// Backoff is the pause before try attempt+1: 1s, 2s, 4s ... capped at 10 minutes.
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 10 {
		return 10 * time.Minute
	}
	return min(time.Duration(1<<(attempt-1))*time.Second, 10*time.Minute)
}

// NewID returns a message id that sorts by queue time: ms timestamp, then this
// process's queue order (so two messages queued in the same millisecond keep their
// order), then source and index.
func (o *Outbox) NewID(now time.Time, source string, n int) string {
	return fmt.Sprintf("%013d-%012d-%s-%03d", now.UnixMilli(), o.seq.Add(1), source, n)
}
