package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
	"github.com/kring-school/kring/bot/dialog"
	"github.com/kring-school/kring/bot/outbox"
	"github.com/kring-school/kring/bot/record"
	"github.com/kring-school/kring/bot/store"
	"github.com/redis/go-redis/v9"
)

// RecentCheckIns returns up to n of a person's latest check-ins, newest first. Two
// round trips: the index, then the records.
func (e *Engine) RecentCheckIns(ctx context.Context, person string, n int) ([]record.CheckIn, error) {
	all, err := e.recentCheckIns(ctx, []string{person}, n)
	return all[person], err
}

// recentCheckIns reads the latest n check-ins of several people in two round trips
// (every index in one pipeline, then every record in one MGET), however many people.
func (e *Engine) recentCheckIns(ctx context.Context, people []string, n int) (map[string][]record.CheckIn, error) {
	rdb := e.st.Client()
	pipe := rdb.Pipeline()
	idx := make([]*redis.StringSliceCmd, len(people))
	for i, p := range people {
		idx[i] = pipe.ZRevRange(ctx, e.st.Key("cix:"+p), 0, int64(n-1))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("check-in indexes: %w", err)
	}
	var keys []string
	for i, p := range people {
		for _, d := range idx[i].Val() {
			keys = append(keys, e.st.Key("ci:"+p+":"+d))
		}
	}
	out := make(map[string][]record.CheckIn, len(people))
	if len(keys) == 0 {
		return out, nil
	}
	vals, err := rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("check-ins: %w", err)
	}
	for _, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue // expired between the two reads
		}
		var c record.CheckIn
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			return nil, fmt.Errorf("decode check-in: %w", err)
		}
		out[c.Person] = append(out[c.Person], c)
	}
	return out, nil
}

// Home builds a person's own page: a pupil's goal and recent check-ins, a mentor's
// mentees at a glance. A mentor's view reads pupils' check-ins, so it is audited.
func (e *Engine) Home(ctx context.Context, personID string) (chat.Home, error) {
	p, ok := e.school.Person(personID)
	if !ok {
		return chat.Home{}, fmt.Errorf("home: unknown person %q", personID)
	}
	h := chat.Home{Person: p.ID, Name: p.Name, Lang: e.localeOf(p)}
	if p.Has(config.Pupil) {
		prof, err := e.st.Client().HMGet(ctx, e.st.PersonKey(p.ID), "goal", "goal_date").Result()
		if err != nil {
			return h, fmt.Errorf("home of %s: %w", p.ID, err)
		}
		h.Goal, _ = prof[0].(string)
		h.GoalDate, _ = prof[1].(string)
		recent, err := e.RecentCheckIns(ctx, p.ID, 7)
		if err != nil {
			return h, err
		}
		for _, c := range recent {
			h.Recent = append(h.Recent, chat.HomeCheckIn{Date: c.Date, Status: string(c.Status), Mood: c.Mood, Goal: c.Goal})
		}
	}
	if p.Has(config.Mentor) {
		mentees := e.school.Mentees(p.ID)
		ids := make([]string, len(mentees))
		for i, m := range mentees {
			ids[i] = m.ID
		}
		recent, err := e.recentCheckIns(ctx, ids, 5)
		if err != nil {
			return h, err
		}
		for _, m := range mentees {
			h.Mentees = append(h.Mentees, menteeLine(m, recent[m.ID]))
		}
		if len(h.Mentees) > 0 {
			now := e.clk.Now()
			doc, _ := json.Marshal(record.Audit{Time: now, Actor: p.ID, Action: "build-home", Subject: strings.Join(ids, ","), Detail: "mood and last check-in of mentees"})
			if err := e.st.AppendAudit(ctx, now, string(doc)); err != nil {
				return h, fmt.Errorf("audit home of %s: %w", p.ID, err)
			}
		}
	}
	return h, nil
}

func menteeLine(m *config.Person, recent []record.CheckIn) chat.HomeMentee {
	line := chat.HomeMentee{Person: m.ID, Name: m.Name}
	var moods []int
	for _, c := range recent {
		if c.Mood == 0 {
			continue
		}
		if line.LastDate == "" {
			line.LastDate, line.LastMood = c.Date, c.Mood
		}
		moods = append(moods, c.Mood)
	}
	if len(moods) >= 2 {
		// moods are newest first: compare the latest with the mean of the ones before.
		sum := 0
		for _, v := range moods[1:] {
			sum += v
		}
		prev := float64(sum) / float64(len(moods)-1)
		switch d := float64(moods[0]) - prev; {
		case d >= 0.5:
			line.Trend = 1
		case d <= -0.5:
			line.Trend = -1
		}
	}
	return line
}

// queueHomes adds a home-page refresh (chat.Message.Home) to the step's batch for
// every person whose page the step's effects change (a check-in: the pupil and their
// mentor), one outbox entry per connected adapter that has home pages and knows the
// person. Queued in the step's commit, the refresh is never lost, is retried like any
// message, and is delivered by whichever process claims it; the adapter builds the page
// through Engine.Home when it delivers, so it shows what is committed by then.
func (e *Engine) queueHomes(b *store.Batch, effects []dialog.Effect, now time.Time, src string, n int) error {
	var people []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			people = append(people, id)
		}
	}
	for _, ef := range effects {
		if s, ok := ef.(dialog.Put); ok && s.Kind == record.KindCheckIn {
			add(s.Owner)
			if p, ok := e.school.Person(s.Owner); ok {
				add(p.Mentor)
			}
		}
	}
	for _, id := range people {
		p, ok := e.school.Person(id)
		if !ok {
			continue
		}
		for _, ad := range e.adapters {
			if !ad.Capabilities().Home {
				continue
			}
			a, ok := e.personAddress(p, ad.Platform())
			if !ok {
				continue
			}
			m := chat.Message{ID: e.ob.NewID(now, src, n) + "." + string(ad.Platform()), To: chat.Target{Kind: chat.ToPerson, Person: id}, Home: true}
			n++
			if err := e.ob.Add(b, outbox.Entry{ID: m.ID, Platform: ad.Platform(), Delivery: chat.Delivery{Message: m, Address: a}}); err != nil {
				return fmt.Errorf("queue home page of %s: %w", id, err)
			}
		}
	}
	return nil
}
