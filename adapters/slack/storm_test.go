package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
)

// simClock is a discrete-event clock: time moves only when every worker is blocked
// waiting on it, straight to the next deadline. Pacing and Retry-After then play out
// exactly and instantly, and the fake Slack measures rates on the same time line.
type simClock struct {
	mu      sync.Mutex
	cond    *sync.Cond
	now     time.Time
	waiters []simWaiter
	active  int
}

type simWaiter struct {
	at time.Time
	ch chan time.Time
}

func newSimClock(t time.Time) *simClock {
	c := &simClock{now: t}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, simWaiter{at: c.now.Add(d), ch: ch})
	c.cond.Broadcast()
	return ch
}

func (c *simClock) enter(n int) {
	c.mu.Lock()
	c.active += n
	c.mu.Unlock()
}

func (c *simClock) leave() {
	c.mu.Lock()
	c.active--
	c.cond.Broadcast()
	c.mu.Unlock()
}

// run moves time forward until every worker has left.
func (c *simClock) run() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for c.active > 0 && len(c.waiters) < c.active {
			c.cond.Wait()
		}
		if c.active == 0 {
			return
		}
		sort.Slice(c.waiters, func(i, j int) bool { return c.waiters[i].at.Before(c.waiters[j].at) })
		c.now = c.waiters[0].at
		keep := c.waiters[:0]
		for _, w := range c.waiters {
			if w.at.After(c.now) {
				keep = append(keep, w)
				continue
			}
			w.ch <- c.now
		}
		c.waiters = keep
	}
}

// bigSchool is one class of n pupils on Slack.
func bigSchool(t testing.TB, n int) *config.School {
	s := &config.School{ID: "big", Classes: []*config.Class{{ID: "1a", Locale: "nl"}}}
	s.Slack.Team = testTeam
	s.People = append(s.People, &config.Person{ID: "mentor", Name: "Mentor", Roles: []config.Role{config.Mentor}, Slack: "U0MENTOR"})
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("p%03d", i)
		s.People = append(s.People, &config.Person{ID: id, Name: "Pupil " + id, Roles: []config.Role{config.Pupil},
			Classes: []string{"1a"}, Mentor: "mentor", Slack: "U" + strings.ToUpper(id)})
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

// kringID reads the Kring message id the adapter stamps into its block ids.
func kringID(m fakeslack.Message) string {
	var blocks []struct {
		BlockID string `json:"block_id"`
	}
	_ = json.Unmarshal(m.Blocks, &blocks)
	for _, b := range blocks {
		if parts := strings.Split(b.BlockID, "|"); len(parts) == 3 && parts[0] == "k" {
			return parts[1]
		}
	}
	return ""
}

// fanOut delivers perPupil messages to every pupil the way the outbox does: workers
// in parallel, one pupil's messages in order, a *chat.RetryError waited out and
// retried. It returns the number of retries and the simulated time it took.
func fanOut(t *testing.T, a *Adapter, clk *simClock, school *config.School, day string, perPupil, workers int) (int, time.Duration) {
	pupils := school.Members("1a", config.Pupil)
	var mu sync.Mutex
	retries := 0
	start := clk.Now()
	clk.enter(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer clk.leave()
			for i := w; i < len(pupils); i += workers {
				p := pupils[i]
				for k := 0; k < perPupil; k++ {
					m := chat.Message{ID: fmt.Sprintf("%s-%s-%d", day, p.ID, k), To: chat.Target{Kind: chat.ToPerson, Person: p.ID},
						Text: "Hoi " + chat.Literal(p.Name) + "! Tijd voor je check-in."}
					if k == 1 {
						m.Text = "Hoe voel je je vandaag?"
						for v := 1; v <= 5; v++ {
							m.Choices = append(m.Choices, chat.Choice{Action: "checkin.mood", Value: fmt.Sprint(v), Label: fmt.Sprint(v)})
						}
					}
					d := chat.Delivery{Message: m, Address: chat.Address{User: p.Slack}, Attempt: 1}
					for {
						err := a.Send(context.Background(), d)
						var re *chat.RetryError
						if errors.As(err, &re) {
							mu.Lock()
							retries++
							mu.Unlock()
							<-clk.After(re.After)
							d.Attempt++
							continue
						}
						if err != nil {
							t.Errorf("send %s: %v", m.ID, err)
						}
						break
					}
				}
			}
		}()
	}
	clk.run()
	return retries, clk.Now().Sub(start)
}

// TestFanOutThrough429Storm sends the morning check-in to 200 pupils (two messages
// each) with Slack's published limits in force, and a storm of 429s in the middle.
// Every message arrives exactly once, no limit is ever tripped by Kring's own pace,
// and each DM channel is opened once, then served from the cache the next morning.
func TestFanOutThrough429Storm(t *testing.T) {
	const pupils, storm = 200, 60
	clk := newSimClock(time.Date(2026, 11, 23, 7, 15, 0, 0, time.UTC))
	school := bigSchool(t, pupils)
	// The fake enforces what Slack documents: 1 message/s per channel with short
	// bursts, chat.postMessage several hundred a minute per workspace, Tier 3 for
	// conversations.open.
	fake := fakeslack.New(fakeslack.Options{Team: testTeam, BotToken: botToken, Clock: clk,
		ChannelRate: 1, ChannelBurst: 3, RetryAfter: 30 * time.Second,
		Methods: map[string]fakeslack.Limit{"chat.postMessage": {PerMinute: 300, Burst: 30}, "conversations.open": {PerMinute: 50, Burst: 10}}})
	t.Cleanup(fake.Close)
	a, err := New(Options{BotToken: botToken, AppToken: appToken, School: school, Catalog: testCatalog(t), Clock: clk,
		Log: quietLog(), APIURL: fake.APIURL, HTTPClient: &http.Client{Transport: localOnly{}}})
	if err != nil {
		t.Fatal(err)
	}
	fake.ThrottleFrom("chat.postMessage", 100, storm, 2*time.Second)

	wall := time.Now()
	retries, took := fanOut(t, a, clk, school, "mon", 2, 20)
	t.Logf("cold morning: %d pupils x 2 messages in %v simulated (%v wall), %d retries", pupils, took, time.Since(wall).Round(time.Millisecond), retries)

	if got := fake.Throttled("chat.postMessage", "injected"); got != storm || retries != storm {
		t.Fatalf("429 storm: %d injected, %d retries; want %d each", got, retries, storm)
	}
	for _, m := range []string{"chat.postMessage", "conversations.open"} {
		if n := fake.Throttled(m, "channel") + fake.Throttled(m, "method"); n != 0 {
			t.Fatalf("%s tripped Slack's limits %d times: the pace was not kept", m, n)
		}
	}
	seen := map[string]int{}
	for _, m := range fake.Messages("") {
		seen[kringID(m)]++
	}
	for _, p := range school.Members("1a", config.Pupil) {
		ms := fake.Messages(fake.DM(p.Slack))
		if len(ms) != 2 || kringID(ms[0]) != "mon-"+p.ID+"-0" || kringID(ms[1]) != "mon-"+p.ID+"-1" {
			t.Fatalf("%s got %d messages (%v), want its two, in order", p.ID, len(ms), ms)
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("message %s delivered %d times", id, n)
		}
	}
	if n := len(fake.Calls("conversations.open")); n != pupils {
		t.Fatalf("conversations.open %d times for %d pupils", n, pupils)
	}
	// 200 DM opens at Tier 3 (50/min after a burst of 10) cannot take less than 3.8
	// minutes (less a second for the limiter's float rounding).
	if took < (pupils-10)*time.Minute/50-time.Second {
		t.Fatalf("fan-out took %v simulated: faster than conversations.open allows", took)
	}

	wall = time.Now()
	retries, took = fanOut(t, a, clk, school, "tue", 1, 20)
	t.Logf("warm morning: %d pupils x 1 message in %v simulated (%v wall), %d retries", pupils, took, time.Since(wall).Round(time.Millisecond), retries)
	if n := len(fake.Calls("conversations.open")); n != pupils {
		t.Fatalf("the second morning opened %d DMs again", n-pupils)
	}
	if retries != 0 || fake.Throttled("chat.postMessage", "method") != 0 {
		t.Fatalf("warm morning: %d retries, %d limit hits", retries, fake.Throttled("chat.postMessage", "method"))
	}
	// 200 posts at 300/min after a burst of 30: at least 34 seconds.
	if took < (pupils-30)*time.Minute/300-time.Second {
		t.Fatalf("warm fan-out took %v simulated: faster than chat.postMessage allows", took)
	}
}
