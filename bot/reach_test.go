package bot_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/config"
)

// A pupil whose DMs refuse Kring is an episode: the mentor is told once when it starts,
// the pupil is tried at most once a day meanwhile (not every message), and when a daily
// probe goes through the flag is cleared and the mentor told again. A new refusal
// afterwards is a new episode.
func TestUnreachableEpisodeClearsAfterADailyProbe(t *testing.T) {
	var blocked atomic.Bool
	blocked.Store(true)
	var tries atomic.Int32
	rec := &bottest.Recorder{Fail: func(d chat.Delivery) error {
		if d.Address.User == "anna" {
			tries.Add(1)
			if blocked.Load() {
				return chat.ErrUnreachable
			}
		}
		return nil
	}}
	h := bottest.New(t, bottest.Options{Adapters: []chat.Adapter{rec}})
	ctx := context.Background()
	h.At("08:15")
	h.At("10:00")
	h.At("15:00")
	monday := tries.Load()
	if monday > 2 {
		t.Errorf("Anna was tried %d times on the day her DMs refused Kring; want the refusal and at most one probe", monday)
	}
	if n := len(rec.To("devries")); n != 1 {
		t.Fatalf("mentor got %d notices on Monday, want 1", n)
	}
	// Tuesday: the morning check-in is the day's probe; Anna opened her DMs.
	blocked.Store(false)
	h.Clock.Advance(17*time.Hour + 15*time.Minute)
	h.Tick()
	if got := rec.To("anna"); len(got) == 0 {
		t.Fatal("Tuesday's probe did not reach Anna")
	}
	if v := h.Redis.HGet(ctx, h.Store.PersonKey("anna"), "unreachable:shell").Val(); v != "" {
		t.Errorf("Anna is still marked unreachable after a probe reached her (%q)", v)
	}
	h.Tick() // deliver the mentor's notice
	notes := rec.To("devries")
	if len(notes) != 2 || !notes[1].Staff {
		t.Fatalf("mentor notices = %d, want 2 (unreachable, then reachable again)", len(notes))
	}
	// Wednesday she blocks again: a new episode, a new notice.
	blocked.Store(true)
	h.Clock.Advance(24 * time.Hour)
	h.Tick()
	h.Tick()
	if n := len(rec.To("devries")); n != 3 {
		t.Errorf("mentor got %d notices after a second episode began, want 3", n)
	}
}

// Using Kring on the platform ends the episode at once.
func TestUnreachableClearsWhenThePupilInteracts(t *testing.T) {
	rec := &bottest.Recorder{Fail: func(d chat.Delivery) error {
		if d.Address.User == "anna" && d.Message.ReplyRef == "" && !d.Message.Ephemeral {
			return chat.ErrUnreachable
		}
		return nil
	}}
	h := bottest.New(t, bottest.Options{Adapters: []chat.Adapter{rec}})
	ctx := context.Background()
	h.At("08:15")
	if v := h.Redis.HGet(ctx, h.Store.PersonKey("anna"), "unreachable:shell").Val(); v == "" {
		t.Fatal("anna not marked unreachable")
	}
	h.Engine.Handle(ctx, chat.Event{ID: "ev-help", Platform: chat.Shell, User: "anna", Kind: chat.KindCommand, Command: "help", DM: true})
	if v := h.Redis.HGet(ctx, h.Store.PersonKey("anna"), "unreachable:shell").Val(); v != "" {
		t.Errorf("anna still marked unreachable after she used a command (%q)", v)
	}
	h.Tick()
	if n := len(rec.To("devries")); n != 2 {
		t.Errorf("mentor got %d notices, want 2 (unreachable, reachable again)", n)
	}
}

// schoolOnDiscord is the example school with Discord ids for the given roster ids.
func schoolOnDiscord(t *testing.T, ids map[string]string) *config.School {
	s := bottest.ExampleSchool(t)
	for _, p := range s.People {
		p.Discord = ids[p.ID]
	}
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	return s
}

// A staff message for someone no connected platform reaches (here the mentor's notice
// that a pupil refuses DMs, for a mentor without a Discord id) goes to the next in line.
func TestStaffMessageForUnreachableStaffIsForwarded(t *testing.T) {
	s := schoolOnDiscord(t, map[string]string{"anna": "401", "mulder": "402", "elamrani": "403"})
	rec := &bottest.Recorder{P: chat.Discord, Fail: func(d chat.Delivery) error {
		if d.Address.User == "401" {
			return chat.ErrUnreachable
		}
		return nil
	}}
	h := bottest.New(t, bottest.Options{School: s, Adapters: []chat.Adapter{rec}})
	h.At("08:15")
	h.Tick()
	got := rec.To("402")
	if len(got) != 1 || !got[0].Staff || !strings.Contains(got[0].Text, "De Vries") {
		t.Fatalf("care contact got %+v, want the mentor's notice, forwarded", got)
	}
}

// A staff message the platform refuses (the mentor closed their DMs) is forwarded to
// the next in line once.
func TestRefusedStaffMessageIsForwarded(t *testing.T) {
	s := schoolOnDiscord(t, map[string]string{"anna": "401", "devries": "409", "mulder": "402"})
	rec := &bottest.Recorder{P: chat.Discord, Fail: func(d chat.Delivery) error {
		if d.Address.User == "401" || d.Address.User == "409" {
			return chat.ErrUnreachable
		}
		return nil
	}}
	h := bottest.New(t, bottest.Options{School: s, Adapters: []chat.Adapter{rec}})
	h.At("08:15")
	h.Tick()
	h.Tick()
	got := rec.To("402")
	if len(got) != 1 || !strings.Contains(got[0].Text, "De Vries") || !strings.Contains(got[0].Text, "Anna") {
		t.Fatalf("care contact got %+v, want the notice about Anna that the mentor refused, once", got)
	}
}
