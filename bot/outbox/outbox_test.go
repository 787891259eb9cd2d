package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/clock"
	"github.com/kring-school/kring/bot/outbox"
	"github.com/kring-school/kring/bot/store"
	"github.com/redis/go-redis/v9"
)

type rig struct {
	st  *store.Store
	ob  *outbox.Outbox
	clk *clock.Fake
	rdb redis.UniversalClient
}

func newRig(t *testing.T) rig {
	rdb, prefix := bottest.Stores()[0].Open(t, nil)
	clk := clock.NewFake(bottest.Monday0750)
	st := store.New(rdb, prefix, "school", 24*time.Hour)
	return rig{st: st, ob: outbox.New(st, clk), clk: clk, rdb: rdb}
}

// queue commits n messages for user in one batch, as one dialog step would.
func (r rig) queue(t *testing.T, step, user string, n int) {
	t.Helper()
	b := r.st.NewBatch("system", step, store.AnyVersion)
	for i := range n {
		id := r.ob.NewID(r.clk.Now(), step, i)
		e := outbox.Entry{
			ID:       id,
			Platform: chat.Shell,
			Delivery: chat.Delivery{Message: chat.Message{ID: id, Text: fmt.Sprintf("%s#%d", step, i)}, Address: chat.Address{User: user}},
		}
		if err := r.ob.Add(b, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (r rig) deliverer(a chat.Adapter) *outbox.Deliverer {
	return outbox.NewDeliverer(r.ob, []chat.Adapter{a}, slog.New(slog.DiscardHandler))
}

func TestRetryAfterIsHonouredAndMessageSentOnce(t *testing.T) {
	r := newRig(t)
	var calls atomic.Int32
	rec := &bottest.Recorder{Fail: func(chat.Delivery) error {
		if calls.Add(1) == 1 {
			return &chat.RetryError{After: 30 * time.Second, Err: errors.New("429")}
		}
		return nil
	}}
	d := r.deliverer(rec)
	r.queue(t, "s1", "anna", 1)
	ctx := context.Background()
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.Sent()) != 0 {
		t.Fatal("throttled message counted as sent")
	}
	r.clk.Advance(29 * time.Second)
	if n, _ := d.DeliverDue(ctx); n != 0 {
		t.Fatalf("message retried %d times before its Retry-After", n)
	}
	r.clk.Advance(time.Second)
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.Sent()) != 1 || rec.Sent()[0].Attempt != 2 {
		t.Fatalf("sent = %+v, want one delivery on attempt 2", rec.Sent())
	}
	if q, _, _ := r.ob.Depth(ctx); q != 0 {
		t.Fatalf("outbox depth %d after delivery, want 0", q)
	}
}

func TestRecipientOrderSurvivesAThrottle(t *testing.T) {
	r := newRig(t)
	var failed atomic.Bool
	rec := &bottest.Recorder{Fail: func(d chat.Delivery) error {
		if d.Message.Text == "s1#0" && failed.CompareAndSwap(false, true) {
			return &chat.RetryError{After: 5 * time.Second}
		}
		return nil
	}}
	d := r.deliverer(rec)
	r.queue(t, "s1", "anna", 3)
	ctx := context.Background()
	_, _ = d.DeliverDue(ctx)
	if n := len(rec.Sent()); n != 0 {
		t.Fatalf("%d later messages overtook the throttled first one", n)
	}
	r.clk.Advance(5 * time.Second)
	_, _ = d.DeliverDue(ctx)
	var got []string
	for _, m := range rec.To("anna") {
		got = append(got, m.Text)
	}
	if fmt.Sprint(got) != "[s1#0 s1#1 s1#2]" {
		t.Fatalf("delivered %v, want [s1#0 s1#1 s1#2]", got)
	}
}

func TestGiveUpAfterMaxAttempts(t *testing.T) {
	r := newRig(t)
	rec := &bottest.Recorder{Fail: func(chat.Delivery) error { return &chat.RetryError{After: time.Second, Err: errors.New("503")} }}
	d := r.deliverer(rec)
	d.MaxAttempts = 3
	r.queue(t, "s1", "anna", 1)
	ctx := context.Background()
	for range 5 {
		_, _ = d.DeliverDue(ctx)
		r.clk.Advance(10 * time.Minute)
	}
	q, dead, err := r.ob.Depth(ctx)
	if err != nil || q != 0 || dead != 1 {
		t.Fatalf("queued %d, dead %d (%v); want 0 and 1", q, dead, err)
	}
}

func TestAbandonedClaimIsDeliveredByAnotherProcess(t *testing.T) {
	r := newRig(t)
	r.queue(t, "s1", "anna", 1)
	ctx := context.Background()
	claimed, err := r.ob.Claim(ctx, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v, %d messages", err, len(claimed))
	}
	// The claiming process dies here. Until the lease ends nobody else may send it.
	rec := &bottest.Recorder{}
	other := r.deliverer(rec)
	if n, _ := other.DeliverDue(ctx); n != 0 {
		t.Fatal("a leased message was handed out twice")
	}
	r.clk.Advance(r.ob.Lease)
	if _, err := other.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.Sent()) != 1 {
		t.Fatalf("sent %d after the lease ended, want 1", len(rec.Sent()))
	}
}

func TestTwoDeliverersSendEveryMessageOnce(t *testing.T) {
	r := newRig(t)
	for i := range 20 {
		r.queue(t, fmt.Sprintf("s%d", i), fmt.Sprintf("user%d", i%7), 10)
	}
	a, b := &bottest.Recorder{}, &bottest.Recorder{}
	da, db := r.deliverer(a), r.deliverer(b)
	da.Batch, db.Batch = 7, 7
	var wg sync.WaitGroup
	for _, d := range []*outbox.Deliverer{da, db} {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = d.DeliverDue(context.Background()) }()
	}
	wg.Wait()
	seen := map[string]int{}
	for _, d := range append(a.Sent(), b.Sent()...) {
		seen[d.Message.ID]++
	}
	if len(seen) != 200 {
		t.Fatalf("%d distinct messages delivered, want 200", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("message %s delivered %d times", id, n)
		}
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	for i, w := range want {
		if got := outbox.Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := outbox.Backoff(50); got != 10*time.Minute {
		t.Errorf("Backoff(50) = %v, want the 10 minute cap", got)
	}
}

func TestLaterMessageWaitsBehindAThrottledOne(t *testing.T) {
	r := newRig(t)
	var failed atomic.Bool
	rec := &bottest.Recorder{Fail: func(d chat.Delivery) error {
		if d.Message.Text == "a#0" && failed.CompareAndSwap(false, true) {
			return &chat.RetryError{After: 10 * time.Second}
		}
		return nil
	}}
	d := r.deliverer(rec)
	ctx := context.Background()
	r.queue(t, "a", "anna", 1)
	_, _ = d.DeliverDue(ctx)
	r.clk.Advance(time.Second)
	r.queue(t, "b", "anna", 1) // queued while a waits: must not overtake it
	_, _ = d.DeliverDue(ctx)
	if n := len(rec.Sent()); n != 0 {
		t.Fatalf("a later message overtook the throttled one (%d sent)", n)
	}
	r.clk.Advance(9 * time.Second)
	_, _ = d.DeliverDue(ctx)
	var got []string
	for _, m := range rec.To("anna") {
		got = append(got, m.Text)
	}
	if fmt.Sprint(got) != "[a#0 b#0]" {
		t.Fatalf("delivered %v, want [a#0 b#0]", got)
	}
}

func TestHeldBackMessagesDoNotUseUpAttempts(t *testing.T) {
	r := newRig(t)
	var tries atomic.Int32
	rec := &bottest.Recorder{Fail: func(d chat.Delivery) error {
		if d.Message.Text == "s#0" && tries.Add(1) <= 4 {
			return &chat.RetryError{After: time.Second}
		}
		return nil
	}}
	d := r.deliverer(rec)
	d.MaxAttempts = 5
	r.queue(t, "s", "anna", 2)
	ctx := context.Background()
	for range 6 {
		_, _ = d.DeliverDue(ctx)
		r.clk.Advance(time.Second)
	}
	if got := rec.To("anna"); len(got) != 2 {
		t.Fatalf("delivered %d of 2; the held-back message was given up too early", len(got))
	}
	if _, dead, _ := r.ob.Depth(ctx); dead != 0 {
		t.Fatalf("%d messages buried", dead)
	}
}

func TestReleaseAfterAnotherProcessFinishedLeavesNoOrphan(t *testing.T) {
	r := newRig(t)
	r.queue(t, "s1", "anna", 1)
	ctx := context.Background()
	claimed, err := r.ob.Claim(ctx, 1)
	if err != nil || len(claimed) != 1 {
		t.Fatal(err)
	}
	id := claimed[0].ID
	if err := r.ob.Ack(ctx, id); err != nil { // another process delivered it
		t.Fatal(err)
	}
	_ = r.ob.Release(ctx, id, time.Second)
	_ = r.ob.Bury(ctx, id, "late")
	if n := r.rdb.Exists(ctx, r.st.Key("om:"+id)).Val(); n != 0 {
		t.Fatal("a finished message's hash came back without expiry")
	}
	if q, dead, _ := r.ob.Depth(ctx); q != 0 || dead != 0 {
		t.Fatalf("queued %d, dead %d after a late release and bury; want 0 and 0", q, dead)
	}
}

// A permanent failure (the adapter contract: neither a RetryError nor ErrUnreachable)
// is given up on at the first try, and the recipient's next message goes out at once
// instead of waiting behind ten tries.
func TestPermanentFailureIsBuriedAtOnceAndReleasesTheQueue(t *testing.T) {
	r := newRig(t)
	var tries atomic.Int32
	rec := &bottest.Recorder{Fail: func(d chat.Delivery) error {
		if d.Message.Text == "s#0" {
			tries.Add(1)
			return errors.New("400: invalid form body")
		}
		return nil
	}}
	d := r.deliverer(rec)
	r.queue(t, "s", "anna", 2)
	ctx := context.Background()
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := tries.Load(); n != 1 {
		t.Errorf("the refused message was tried %d times, want 1", n)
	}
	if got := rec.To("anna"); len(got) != 1 || got[0].Text != "s#1" {
		t.Errorf("the next message did not go out at once: %v", got)
	}
	if q, dead, _ := r.ob.Depth(ctx); q != 0 || dead != 1 {
		t.Errorf("queued %d, dead %d; want 0 and 1", q, dead)
	}
	if ttl := r.rdb.PTTL(ctx, r.st.Key("obdead")).Val(); ttl <= 0 {
		t.Errorf("the dead-letter set has no expiry (PTTL %v)", ttl)
	}
}

// A platform that refuses everything for a while (a ban, a revoked token) keeps every
// message: no attempt is counted, nothing is buried, and they go out after the pause.
func TestPausedPlatformKeepsEveryMessage(t *testing.T) {
	r := newRig(t)
	var paused atomic.Bool
	paused.Store(true)
	var tries atomic.Int32
	rec := &bottest.Recorder{Fail: func(chat.Delivery) error {
		tries.Add(1)
		if paused.Load() {
			return &chat.PausedError{After: 5 * time.Minute, Reason: "banned", Err: errors.New("429 without headers")}
		}
		return nil
	}}
	d := r.deliverer(rec)
	d.MaxAttempts = 2
	for i := range 5 {
		r.queue(t, fmt.Sprintf("s%d", i), fmt.Sprintf("user%d", i), 2)
	}
	ctx := context.Background()
	for range 20 {
		_, _ = d.DeliverDue(ctx)
		r.clk.Advance(time.Minute)
		if r.clk.Now().Sub(bottest.Monday0750) == 10*time.Minute {
			paused.Store(false)
		}
	}
	if n := tries.Load(); n > 5+5+10 {
		t.Errorf("%d tries while paused: the pause was not kept", n)
	}
	if n := len(rec.Sent()); n != 10 {
		t.Errorf("%d of 10 messages delivered after the pause", n)
	}
	if q, dead, _ := r.ob.Depth(ctx); q != 0 || dead != 0 {
		t.Errorf("queued %d, dead %d; want 0 and 0 (nothing buried for a pause)", q, dead)
	}
}

// slowAdapter holds the first message it is asked to send until released.
type slowAdapter struct {
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	sent    []string
	first   atomic.Bool
}

func (s *slowAdapter) Platform() chat.Platform                      { return chat.Shell }
func (s *slowAdapter) Capabilities() chat.Capabilities              { return chat.Capabilities{} }
func (s *slowAdapter) Run(ctx context.Context, _ chat.Engine) error { <-ctx.Done(); return nil }
func (s *slowAdapter) Send(ctx context.Context, d chat.Delivery) error {
	if s.first.CompareAndSwap(false, true) {
		close(s.entered)
		select {
		case <-s.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	s.sent = append(s.sent, d.Message.Text)
	s.mu.Unlock()
	return nil
}

// A send slower than the lease keeps its claim: another process polling meanwhile
// takes nothing, and every message (the slow one and the one queued behind it) is
// sent exactly once, in order.
func TestSlowSendKeepsItsLease(t *testing.T) {
	r := newRig(t)
	slow := &slowAdapter{entered: make(chan struct{}), release: make(chan struct{})}
	other := &bottest.Recorder{}
	da, db := r.deliverer(slow), r.deliverer(other)
	r.queue(t, "s", "anna", 2)
	ctx := context.Background()
	drain(r.clk)
	done := make(chan struct{})
	go func() { defer close(done); _, _ = da.DeliverDue(ctx) }()
	<-slow.entered
	// Three leases pass while the first send hangs, a third of a lease at a time; the
	// keeper re-arms its timer after every extension, which is when the clock moves on.
	for range 9 {
		<-r.clk.Waiting()
		r.clk.Advance(r.ob.Lease / 3)
	}
	<-r.clk.Waiting()
	if n, err := db.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("another process claimed %d messages (%v) while the slow send was still running", n, err)
	}
	close(slow.release)
	<-done
	r.clk.Advance(3 * r.ob.Lease)
	if n, _ := db.DeliverDue(ctx); n != 0 {
		t.Fatalf("another process claimed %d messages after they were delivered", n)
	}
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if fmt.Sprint(slow.sent) != "[s#0 s#1]" || len(other.Sent()) != 0 {
		t.Fatalf("sent %v by the slow process and %d by the other; want [s#0 s#1] and 0", slow.sent, len(other.Sent()))
	}
}

// A process whose claim was taken over (it stalled longer than a lease before sending)
// does not send the message again.
func TestTakenOverClaimIsNotSent(t *testing.T) {
	r := newRig(t)
	r.queue(t, "s", "anna", 1)
	ctx := context.Background()
	stale, err := r.ob.Claim(ctx, 1)
	if err != nil || len(stale) != 1 {
		t.Fatalf("claim: %v", err)
	}
	r.clk.Advance(r.ob.Lease)
	fresh, err := r.ob.Claim(ctx, 1)
	if err != nil || len(fresh) != 1 {
		t.Fatalf("second claim: %d, %v", len(fresh), err)
	}
	if mine, err := r.ob.Extend(ctx, stale[0]); err != nil || mine {
		t.Errorf("the stalled process still holds the claim (%v, %v)", mine, err)
	}
	if mine, err := r.ob.Extend(ctx, fresh[0]); err != nil || !mine {
		t.Errorf("the new owner lost its claim (%v, %v)", mine, err)
	}
	// The stalled process giving the message back must not undo the new owner's claim.
	if n, _ := r.deliverer(&bottest.Recorder{}).DeliverDue(ctx); n != 0 {
		t.Fatalf("%d messages handed out twice", n)
	}
}

// drain empties the clock's waiting signals left by earlier calls.
func drain(c *clock.Fake) {
	for {
		select {
		case <-c.Waiting():
		default:
			return
		}
	}
}

// TestMessageDueLater: a message with NotBefore waits in the outbox until then.
func TestMessageDueLater(t *testing.T) {
	r := newRig(t)
	later := r.clk.Now().Add(90 * time.Minute)
	b := r.st.NewBatch("system", "later", store.AnyVersion)
	id := r.ob.NewID(r.clk.Now(), "later", 0)
	m := chat.Message{ID: id, Text: "straks", NotBefore: later}
	if err := r.ob.Add(b, outbox.Entry{ID: id, Platform: chat.Shell, Delivery: chat.Delivery{Message: m, Address: chat.Address{User: "anna"}}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := &bottest.Recorder{}
	d := r.deliverer(rec)
	if _, err := d.DeliverDue(context.Background()); err != nil || len(rec.Sent()) != 0 {
		t.Fatalf("delivered %d (%v) before NotBefore", len(rec.Sent()), err)
	}
	r.clk.Set(later)
	if _, err := d.DeliverDue(context.Background()); err != nil || len(rec.Sent()) != 1 {
		t.Fatalf("delivered %d (%v) at NotBefore, want 1", len(rec.Sent()), err)
	}
}
