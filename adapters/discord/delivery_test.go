package discord

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/guard"
	"github.com/kring-school/kring/bot/outbox"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/bot/store/storetest"
)

// A message posted again after its acknowledgement was lost carries the same nonce
// with enforce_nonce: Discord (and the fake, like it) answers with the first message
// instead of making a second one.
func TestRepeatedSendIsDeduplicatedByNonce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d := chat.Delivery{Message: chat.Message{ID: "0001-0001-job-000", To: person("anna"), Text: "Goedemorgen!"},
		Address: chat.Address{Tenant: guildID, User: annaID}, Attempt: 1}
	for range 2 {
		if err := e.a.Send(e.ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	posts := e.fake.Requests()
	var nonce any
	for _, r := range posts {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/messages") {
			body := r.JSON()
			nonce = body["nonce"]
			if body["enforce_nonce"] != true {
				t.Errorf("post without enforce_nonce: %s", r.Body)
			}
		}
	}
	if n, _ := nonce.(string); n != Nonce(d.Message.ID) || len(n) > 25 {
		t.Errorf("nonce %v, want %q (at most 25 characters)", nonce, Nonce(d.Message.ID))
	}
	ch := e.fake.OpenDM(annaID)
	if n := len(e.fake.ChannelMessages(ch)); n != 1 {
		t.Errorf("%d messages in Anna's DM after sending one message twice, want 1", n)
	}
	if e.fake.NonceHits() != 1 {
		t.Errorf("the fake matched %d repeated nonces, want 1", e.fake.NonceHits())
	}
}

// Text that is only whitespace is never posted (Discord refuses it with 50006); the
// message fails for good at once, without a request.
func TestWhitespaceOnlyTextIsNeverSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	before := e.fake.Count(fakediscord.Route("POST", "/channels/*/messages"))
	err := e.a.Send(e.ctx, chat.Delivery{Message: chat.Message{ID: "w1", To: person("anna"), Text: " \n\t "},
		Address: chat.Address{Tenant: guildID, User: annaID}, Attempt: 1})
	var re *chat.RetryError
	if err == nil || errors.As(err, &re) || errors.Is(err, chat.ErrUnreachable) {
		t.Fatalf("Send of whitespace = %v, want a permanent error", err)
	}
	if n := e.fake.Count(fakediscord.Route("POST", "/channels/*/messages")) - before; n != 0 {
		t.Errorf("%d posts of a whitespace-only text", n)
	}
}

// banRig is a Discord adapter delivering through the real outbox on a real Redis, with
// a guard on the rig's fake clock.
type banRig struct {
	e       *env
	ob      *outbox.Outbox
	del     *outbox.Deliverer
	st      *store.Store
	paused  atomic.Int32
	resumed atomic.Int32
	reasons chan string
}

func newBanRig(t *testing.T) *banRig {
	rdb, prefix := storetest.Redis(t)
	r := &banRig{reasons: make(chan string, 10)}
	r.e = prepareEnv(t, func(_ *fakediscord.Options, o *Options) {
		o.Guard = guard.New(guard.Options{
			Platform: chat.Discord, Redis: rdb, Prefix: prefix, Local: 2000, Now: o.Clock.Now,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			OnPause: func(_ context.Context, reason string, _ time.Time) {
				r.paused.Add(1)
				r.reasons <- reason
			},
			OnResume: func(context.Context, string) { r.resumed.Add(1) },
		})
	})
	r.e.start()
	r.st = store.New(rdb, prefix, "test", 24*time.Hour)
	r.ob = outbox.New(r.st, r.e.clk)
	r.del = outbox.NewDeliverer(r.ob, []chat.Adapter{r.e.a}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.del.Workers = 1
	return r
}

func (r *banRig) queue(t *testing.T, n int) {
	t.Helper()
	b := r.st.NewBatch("system", "morning", store.AnyVersion)
	for i := range n {
		user := annaID
		if i%2 == 1 {
			user = bramID
		}
		id := r.ob.NewID(r.e.clk.Now(), "morning", i)
		err := r.ob.Add(b, outbox.Entry{ID: id, Platform: chat.Discord, Delivery: chat.Delivery{
			Message: chat.Message{ID: id, To: person("anna"), Text: fmt.Sprintf("Bericht %d", i)},
			Address: chat.Address{Tenant: guildID, User: user},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(r.e.ctx); err != nil {
		t.Fatal(err)
	}
}

func (r *banRig) posts() int {
	return r.e.fake.Count(func(q fakediscord.Request) bool {
		return q.Method == "POST" && strings.HasPrefix(q.Path, "/channels/") && q.Status == 200
	})
}

// Cloudflare's ban (429 without rate-limit headers): sending stops at the first one,
// nothing is retried meanwhile and nothing is buried, the admin hook fires once, and
// when the pause is over one probe goes through and the whole queue is delivered.
func TestBanStopsAllSendingAndResumes(t *testing.T) {
	t.Parallel()
	r := newBanRig(t)
	r.e.fake.Inject(fakediscord.Fault{Method: "POST", Path: "/channels/*/messages", Status: 429, Bare: true, Times: 1})
	r.queue(t, 10)
	if _, err := r.del.DeliverDue(r.e.ctx); err != nil {
		t.Fatal(err)
	}
	requests := len(r.e.fake.Requests())
	if reason := <-r.reasons; reason != guard.ReasonBanned {
		t.Errorf("pause reason %q, want %q", reason, guard.ReasonBanned)
	}
	if reason, _ := r.e.a.Paused(); reason != guard.ReasonBanned {
		t.Errorf("Paused() = %q while banned", reason)
	}
	// Polling during the ban makes no request and buries nothing.
	for range 5 {
		r.e.clk.Advance(10 * time.Second)
		if _, err := r.del.DeliverDue(r.e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.e.fake.Requests()) - requests; n != 0 {
		t.Errorf("%d requests during the ban", n)
	}
	if q, dead, _ := r.ob.Depth(r.e.ctx); q != 10 || dead != 0 {
		t.Errorf("queued %d, dead %d during the ban; want 10 and 0", q, dead)
	}
	r.e.clk.Advance(guard.BanMin)
	for range 3 {
		if _, err := r.del.DeliverDue(r.e.ctx); err != nil {
			t.Fatal(err)
		}
		r.e.clk.Advance(time.Second)
	}
	if n := r.posts(); n != 10 {
		t.Errorf("%d of 10 messages delivered after the ban", n)
	}
	if q, dead, _ := r.ob.Depth(r.e.ctx); q != 0 || dead != 0 {
		t.Errorf("queued %d, dead %d after the ban; want 0 and 0", q, dead)
	}
	if r.paused.Load() != 1 || r.resumed.Load() != 1 {
		t.Errorf("admin told of %d pauses and %d resumptions, want 1 and 1", r.paused.Load(), r.resumed.Load())
	}
}

// A revoked token (401) stops sending at once and tells the admin; the messages stay.
func TestUnauthorizedStopsSending(t *testing.T) {
	t.Parallel()
	r := newBanRig(t)
	r.e.fake.Inject(fakediscord.Fault{Method: "POST", Path: "/channels/*/messages", Status: 401, Message: "401: Unauthorized"})
	r.queue(t, 6)
	for range 3 {
		if _, err := r.del.DeliverDue(r.e.ctx); err != nil {
			t.Fatal(err)
		}
		r.e.clk.Advance(time.Minute)
	}
	refused := r.e.fake.Count(func(q fakediscord.Request) bool { return q.Status == 401 })
	if refused != 1 {
		t.Errorf("%d requests refused with 401; sending must stop after the first", refused)
	}
	if reason := <-r.reasons; reason != guard.ReasonUnauthorized {
		t.Errorf("pause reason %q, want %q", reason, guard.ReasonUnauthorized)
	}
	if q, dead, _ := r.ob.Depth(r.e.ctx); q != 6 || dead != 0 {
		t.Errorf("queued %d, dead %d; want 6 and 0", q, dead)
	}
}

// Three Kring processes (three adapters) share Discord's global limit through the
// guard in Redis: a morning of 600 pupils gets no 429 and breaks no limit. The rates
// are scaled like TestFanOutThrough429Storm (450/s under a limit of 500/s); without the
// shared limiter the three would send 1,350/s.
func TestThreeProcessesShareTheGlobalLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about three seconds of real pacing")
	}
	t.Parallel()
	rdb, prefix := storetest.Redis(t)
	shared := guard.Limit{Rate: 450, Burst: 1, Period: time.Second}
	base := prepareEnv(t, func(f *fakediscord.Options, o *Options) {
		f.GlobalLimit = 500
		o.Guard = guard.New(guard.Options{Platform: chat.Discord, Redis: rdb, Prefix: prefix, Local: 450, Global: shared})
	})
	adapters := []*Adapter{base.a}
	for range 2 {
		a, err := New(Options{Token: base.fake.Token(), School: base.school, Catalog: base.cat, KV: base.kv,
			HTTPClient: base.fake.Client(), Log: base.a.log, Rate: 450,
			Guard: guard.New(guard.Options{Platform: chat.Discord, Redis: rdb, Prefix: prefix, Local: 450, Global: shared})})
		if err != nil {
			t.Fatal(err)
		}
		adapters = append(adapters, a)
	}
	ds := morning(600, "thu")
	var wg sync.WaitGroup
	for i, a := range adapters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			(&miniOutbox{a: a}).deliver(t, base.ctx, ds[i*200:(i+1)*200], 16)
		}()
	}
	wg.Wait()
	tooMany := base.fake.Count(func(r fakediscord.Request) bool { return r.Status == 429 })
	if tooMany != 0 {
		t.Errorf("%d answers were 429 for 600 pupils from 3 processes, want 0", tooMany)
	}
	if v := base.fake.Violations(); len(v) != 0 {
		t.Errorf("%d requests broke a limit, first: %+v", len(v), v[0])
	}
	if n := base.fake.Count(func(r fakediscord.Request) bool { return r.Status == 200 && strings.HasPrefix(r.Path, "/channels/") }); n != 600 {
		t.Errorf("%d delivered, want 600", n)
	}
}

// Every command is deferred with "thinking…"; when the step sends the person nothing
// (a duplicate, a step that only writes, an error path) the adapter deletes the deferred
// reply after ResolveAfter, and when the outbox answers with a follow-up it leaves it.
func TestEveryDeferredCommandIsResolved(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var ids []string
	for range len(e.clk.Waiting()) {
		<-e.clk.Waiting()
	}
	for _, spec := range testSpecs() {
		in, err := e.fake.SlashCommand(fakediscord.Actor{User: teacherID}, classChan, spec.Name)
		if err != nil {
			t.Fatal(err)
		}
		ev := e.h.next(t, e.ctx)
		ids = append(ids, in.ID)
		if spec.Name == "help" {
			// This one is answered through the outbox, as a follow-up.
			m := chat.Message{ID: "help-1", To: person("teacher"), Text: "Hulp", ReplyRef: ev.ReplyRef, Ephemeral: true}
			if err := e.a.Send(e.ctx, chat.Delivery{Message: m, Address: chat.Address{User: teacherID}, Attempt: 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := len(e.fake.Unresolved()); n != len(ids)-1 {
		t.Fatalf("%d of %d deferred commands unresolved before the deadline; want all but the one followed up", n, len(ids))
	}
	// Each command's watcher waits on the clock; move it on once all of them wait.
	for range ids {
		select {
		case <-e.clk.Waiting():
		case <-e.ctx.Done():
			t.Fatal("the deferred replies are not watched")
		}
	}
	e.clk.Advance(20 * time.Second)
	deletes, err := e.fake.WaitN(e.ctx, len(ids)-1, fakediscord.Route("DELETE", "/webhooks/*/*/messages/@original"))
	if err != nil {
		t.Fatalf("deferred replies deleted: %d of %d: %v", len(deletes), len(ids)-1, err)
	}
	if left := e.fake.Unresolved(); len(left) != 0 {
		t.Errorf("%d deferred commands left thinking: %v", len(left), left)
	}
}

// Opening a form while Redis stalls (a real redis-server of the test's own, paused by
// DEBUG SLEEP) is answered within the budget: go-redis honours the deadline
// (ContextTimeoutEnabled, set by store.Connect), and the person is told to try again
// before Redis wakes up, well inside Discord's 3 seconds.
func TestFormOpenDuringARedisStall(t *testing.T) {
	t.Parallel()
	url := storetest.OwnRedis(t)
	rdb, err := store.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	st := store.New(rdb, "kring", "test", time.Hour)
	e := newEnv(t, func(_ *fakediscord.Options, o *Options) { o.KV = st.KV("discord") })
	f := &chat.Form{Action: "checkin.goal", Title: "Doel", Open: "Open", Fields: []chat.Field{{ID: "goal", Label: "Doel"}}}
	if err := e.a.Send(e.ctx, chat.Delivery{Message: chat.Message{ID: "f1", To: person("anna"), Text: "Doel?", Form: f}, Address: chat.Address{User: annaID}}); err != nil {
		t.Fatal(err)
	}
	msg := e.lastDM(annaID)
	e.a.forms = newFormCache(16) // as if another process had sent it

	woke := storetest.Stall(t, url, 4*time.Second)
	in, err := e.fake.PressButton(fakediscord.Actor{User: annaID}, msg["id"].(string), buttonID(t, msg, "Open"))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := e.fake.Wait(e.ctx, callbackFor(in))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-woke:
		t.Error("the form button was answered only after Redis woke up")
	default:
	}
	if cb.Status != 204 || cb.JSON()["type"].(float64) != 4 {
		t.Errorf("callback during the stall = %s (%d), want an ephemeral 'try again'", cb.Body, cb.Status)
	}
	<-woke
}

// Discord unreachable at start-up (the gateway lookup answers 503 twice): Run logs,
// waits with backoff on its clock and connects, instead of ending the process.
func TestRunRetriesDiscordAtStart(t *testing.T) {
	t.Parallel()
	e := prepareEnv(t)
	for _, p := range []string{"/gateway", "/gateway/bot"} {
		e.fake.Inject(fakediscord.Fault{Method: "GET", Path: p, Status: 503, Times: 2})
	}
	for range len(e.clk.Waiting()) {
		<-e.clk.Waiting()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.Run(ctx, e.h) }()
	for range 2 {
		select {
		case <-e.clk.Waiting():
			e.clk.Advance(time.Minute)
		case err := <-done:
			t.Fatalf("Run ended while Discord was unreachable: %v", err)
		}
	}
	if _, err := e.fake.Wait(e.ctx, fakediscord.Route("PUT", "/applications/*/guilds/*/commands")); err != nil {
		t.Fatalf("not connected after Discord came back: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
